r"""Recurrent baselines of the architecture comparisons: a sequence-output linear RNN and
the closed-form lag tail of a modal model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import (
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
)
from ..linear_rnn import LinearRNN

__all__ = ["LinearRNNSeq", "lag_tail_bound"]


def _torch() -> Any:
    import torch

    return torch


class LinearRNNSeq:
    r"""A linear RNN with an output at every step: :math:`h_t = A h_{t-1} + B x_t`, :math:`\hat y_t = c^\top h_t`.

    With :math:`h_{-1} = 0` the outputs are the causal convolution
    :math:`\hat y_t = \sum_{j \le t} c^\top A^j B\, x_{t-j}`, computed from the kernel (one
    matrix power per lag) rather than by a loop over the batch. A thin wrapper around a
    ``torch.nn.Module`` (attribute ``module``), float64.

    It is a trainable parameterisation of the book's one linear-RNN type:
    :meth:`to_linear_rnn` returns the discrete-time :class:`dynapprox.linear_rnn.LinearRNN`
    :math:`(W, U, c) = (A, B, c)` with :math:`\Delta t = 1`, whose impulse response
    :math:`g_{j+1} = c^\top A^j B` is this model's lag-:math:`j` weight (the two differ only
    in when the output is read: :math:`\hat y_t` here is the core model's output one step
    later, after it has read :math:`x_t`).

    Parameters
    ----------
    m : int
        Width.
    seed : int
        Seed of the initial weights (:math:`A` near :math:`0.5 I`, small :math:`B, c`).

    Used in
    -------
    :doc:`/chapters/11_architectures` (the recurrent column of the comparison with attention).
    """

    def __init__(self, m: int, seed: int) -> None:
        torch = _torch()
        m = check_positive_int("m", m)
        g = torch.Generator().manual_seed(
            check_nonnegative_int("seed", seed)
        )

        class _RNN(torch.nn.Module):  # type: ignore[name-defined]
            def __init__(self) -> None:
                super().__init__()
                self.A = torch.nn.Parameter(
                    0.5 * torch.eye(m, dtype=torch.float64)
                    + 0.1
                    * torch.randn(m, m, generator=g, dtype=torch.float64)
                    / np.sqrt(m)
                )
                self.B = torch.nn.Parameter(
                    torch.randn(m, generator=g, dtype=torch.float64)
                    / np.sqrt(m)
                )
                self.c = torch.nn.Parameter(
                    torch.randn(m, generator=g, dtype=torch.float64)
                    / np.sqrt(m)
                )

            def kernel(self, L: int) -> Any:
                v, ks = self.B, []
                for _ in range(L):
                    ks.append(self.c @ v)
                    v = self.A @ v
                return torch.stack(ks)

            def forward(self, X: Any) -> Any:
                L = X.shape[1]
                k = self.kernel(L)
                lag = torch.arange(L)[:, None] - torch.arange(L)[None, :]
                T = torch.where(
                    lag >= 0,
                    k[lag.clamp(min=0)],
                    torch.zeros((), dtype=X.dtype),
                )
                return X[:, :, 0] @ T.T

        self.module = _RNN()
        self.m = m

    def to_linear_rnn(self) -> LinearRNN:
        """The current weights as a discrete-time :class:`~dynapprox.linear_rnn.LinearRNN` (``dt = 1``).

        Its :meth:`~dynapprox.linear_rnn.LinearRNN.impulse_response` ``g`` gives this model's
        lag weights: ``module.kernel(L)[j] == g[j + 1]``.
        """
        mod = self.module
        return LinearRNN(
            mod.A.detach().numpy(),
            mod.B.detach().numpy()[:, None],
            mod.c.detach().numpy(),
            dt=1.0,
        )

    @property
    def n_params(self) -> int:
        """Number of trainable weights, ``m**2 + 2 m``."""
        return self.m**2 + 2 * self.m


def lag_tail_bound(model: object, n: int, dt: float = 1.0) -> float:
    r"""A closed-form bound of :math:`\sum_{j \ge n} |\hat\rho(j\,\Delta t)|` for a model with modes.

    For :math:`\hat\rho(t) = \sum_i g_i e^{\lambda_i t}` (a linear RNN, through
    :func:`dynapprox.halfline.modal_terms`) with every :math:`\operatorname{Re}\lambda_i < 0`,

    .. math:: \sum_{j \ge n} |\hat\rho(j\Delta t)| \le \sum_i |g_i|
       \frac{e^{\operatorname{Re}\lambda_i\, n \Delta t}}{1 - e^{\operatorname{Re}\lambda_i \Delta t}} .

    It turns an :math:`\ell^1` error over the lags :math:`0, \dots, n-1` into a bracket of the
    error over all lags :math:`j \ge 0`.

    Parameters
    ----------
    model : object
        A model with modes (``W, U, c`` or ``eigenvalues, u, c``).
    n : int
        First lag of the tail.
    dt : float
        Time step.

    Returns
    -------
    float
        The bound (``inf`` if a mode does not decay).

    Used in
    -------
    :doc:`/chapters/11_architectures` (the whole-half-line error of the RNN fits compared with
    dilated CNNs).
    """
    from ..halfline import modal_terms

    n = check_nonnegative_int("n", n)
    dt = check_positive_float("dt", dt)
    terms = modal_terms(model)
    if terms is None:
        raise ValueError(
            "model has no (well-conditioned) modal decomposition"
        )
    lam, g = terms
    re = lam.real
    size = np.abs(g).sum(axis=1)
    if np.any((re >= 0) & (size > 0)):
        return float("inf")
    return float(
        np.sum(size * np.exp(re * n * dt) / (1.0 - np.exp(re * dt)))
    )
