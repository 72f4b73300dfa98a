r"""Discrete (binary and ternary) weights trained by the method of successive approximations.

Li and Hao's algorithm: the Hamiltonian's weight gradient is averaged over mini-batches
(:func:`ema_update`) and maximised entry by entry over the discrete weight set with a move
penalty (:func:`binary_msa_update`, :func:`ternary_msa_update`), on a small perceptron
(:func:`discrete_forward`, :func:`train_discrete_msa`). The maximisation over a finite set is
the point of the method, so it is written out here; the gradients come from autograd.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .._validation import (
    check_finite_float,
    check_in,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
)
from ._checks import check_tensor

__all__ = [
    "ema_update",
    "binary_msa_update",
    "ternary_msa_update",
    "discrete_forward",
    "DiscreteTrainingResult",
    "train_discrete_msa",
]


def ema_update(
    M: torch.Tensor, G: torch.Tensor, decay: float = 0.5
) -> torch.Tensor:
    r"""Moving average of the weight gradient :math:`G` of the linearised Hamiltonian:
    :math:`M \leftarrow a M + (1 - a) G`.

    Parameters
    ----------
    M : torch.Tensor
        Current average.
    G : torch.Tensor
        New gradient :math:`G` of the Hamiltonian's linearised part (same shape).
    decay : float
        :math:`a \in [0, 1)`.

    Returns
    -------
    torch.Tensor
        The updated average.

    Used in
    -------
    Used by :func:`train_discrete_msa` (in :doc:`/chapters/06_discrete_robust`,
    :prf:ref:`prop-ternary-update`).
    """
    M = check_tensor("M", M)
    G = check_tensor("G", G)
    if M.shape != G.shape:
        raise ValueError(
            f"M and G must have the same shape, got {tuple(M.shape)} and {tuple(G.shape)}"
        )
    decay = check_finite_float("decay", decay)
    if not 0.0 <= decay < 1.0:
        raise ValueError(f"decay must lie in [0, 1), got {decay}")
    return decay * M + (1.0 - decay) * G


def _check_discrete(
    W: torch.Tensor, allowed: tuple[float, ...]
) -> torch.Tensor:
    W = check_tensor("W", W)
    ok = torch.zeros_like(W, dtype=torch.bool)
    for a in allowed:
        ok |= W == a
    if not bool(ok.all()):
        raise ValueError(f"W must have entries in {allowed}")
    return W


def _check_update(
    W: torch.Tensor,
    M: torch.Tensor,
    rho: float,
    allowed: tuple[float, ...],
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Check the arguments of an MSA update: discrete ``W``, ``M`` of its shape, ``rho`` in [0, 1]."""
    W = _check_discrete(W, allowed)
    M = check_tensor("M", M)
    if M.shape != W.shape:
        raise ValueError(
            f"M must have the shape of W {tuple(W.shape)}, got {tuple(M.shape)}"
        )
    rho = check_finite_float("rho", rho)
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"rho must lie in [0, 1], got {rho}")
    return W, M, rho


def _wrong_sign_threshold(
    M: torch.Tensor, W: torch.Tensor, rho: float
) -> float:
    wrong = torch.sign(M) != W
    if not bool(wrong.any()):
        return 0.0
    return rho * float(M.abs()[wrong].max())


def binary_msa_update(
    W: torch.Tensor, M: torch.Tensor, rho: float = 0.1
) -> torch.Tensor:
    r"""Hamiltonian maximisation over binary weights :math:`\{-1, +1\}` with a flip penalty.

    With the threshold :math:`\bar\rho = \rho \max\{|M_{ij}| : \operatorname{sign} M_{ij} \ne W_{ij}\}`
    (:math:`\bar\rho = 0` if no entry disagrees), each entry solves
    :math:`\max_{w \in \{\pm 1\}} M_{ij} w - \frac{\bar\rho}{2}(w - W_{ij})^2`, i.e.
    :math:`W_{ij} \leftarrow \operatorname{sign} M_{ij}` where :math:`|M_{ij}| > \bar\rho`,
    otherwise unchanged (Li and Hao's rule; ``rho = 0`` is the plain MSA ``sign(M)``).

    Parameters
    ----------
    W : torch.Tensor
        Current weights, entries in ``{-1, 1}``.
    M : torch.Tensor
        Moving average :math:`M` of the gradients :math:`G` (see :func:`ema_update`), same shape.
    rho : float
        Relative flip threshold in ``[0, 1]``.

    Returns
    -------
    torch.Tensor
        New binary weights.

    Used in
    -------
    :doc:`/chapters/06_discrete_robust` (:prf:ref:`prop-ternary-update`).
    """
    W, M, rho = _check_update(W, M, rho, (-1.0, 1.0))
    thr = _wrong_sign_threshold(M, W, rho)
    target = torch.where(M == 0, W, torch.sign(M))
    return torch.where(M.abs() > thr, target, W)


def ternary_msa_update(
    W: torch.Tensor, M: torch.Tensor, rho: float = 0.1, lam: float = 0.0
) -> torch.Tensor:
    r"""Hamiltonian maximisation over ternary weights :math:`\{-1, 0, +1\}` with an
    :math:`\ell^1` penalty and a move penalty (Li and Hao's sparse ternary rule).

    Each entry solves
    :math:`\max_{w \in \{-1,0,1\}} M_{ij} w - \lambda |w| - \bar\rho (w - W_{ij})^2` with the
    threshold :math:`\bar\rho = \rho \max\{|M_{ij}| : \operatorname{sign} M_{ij} \ne W_{ij}\}`
    (:math:`\operatorname{sign} 0 = 0`, so every zero weight with :math:`M_{ij} \ne 0` counts as
    wrong-signed; :math:`\bar\rho = 0` if no entry disagrees), whose solution is

    .. math::

        w = +1 \text{ if } M_{ij} > \bar\rho (1 - 2W_{ij}) + \lambda, \quad
        w = -1 \text{ if } M_{ij} < -\bar\rho(1 + 2W_{ij}) - \lambda, \quad w = 0 \text{ otherwise.}

    Parameters
    ----------
    W : torch.Tensor
        Current weights, entries in ``{-1, 0, 1}``.
    M : torch.Tensor
        Moving average :math:`M` of the gradients :math:`G` (see :func:`ema_update`), same shape.
    rho : float
        Relative move penalty in ``[0, 1]``.
    lam : float
        Sparsity penalty :math:`\lambda \ge 0` (same units as ``M``).

    Returns
    -------
    torch.Tensor
        New ternary weights.

    Used in
    -------
    :doc:`/chapters/06_discrete_robust` (:prf:ref:`prop-ternary-update`).
    """
    W, M, rho = _check_update(W, M, rho, (-1.0, 0.0, 1.0))
    lam = check_finite_float("lam", lam)
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    rho_bar = _wrong_sign_threshold(M, W, rho)
    new = torch.zeros_like(W)
    new = torch.where(
        M > rho_bar * (1.0 - 2.0 * W) + lam, torch.ones_like(W), new
    )
    new = torch.where(
        M < -rho_bar * (1.0 + 2.0 * W) - lam, -torch.ones_like(W), new
    )
    return new


def discrete_forward(
    x: torch.Tensor,
    weights: Sequence[torch.Tensor],
    scales: Sequence[float],
) -> list[torch.Tensor]:
    r"""Forward pass of a perceptron with discrete weights and fixed layer scales.

    :math:`x_{n+1} = \tanh(c_n W_n x_n)` for the hidden layers and
    :math:`x_N = c_{N-1} W_{N-1} x_{N-1}` (the logits) for the last one.

    Parameters
    ----------
    x : torch.Tensor
        Inputs, shape ``(B, d_0)``.
    weights : list of torch.Tensor
        :math:`W_n` of shapes ``(d_{n+1}, d_n)``.
    scales : list of float
        Positive scales :math:`c_n` (e.g. :math:`1/\sqrt{d_n}`), one per layer.

    Returns
    -------
    list of torch.Tensor
        States :math:`x_0, \dots, x_N`.

    Used in
    -------
    :doc:`/chapters/06_discrete_robust` (:prf:ref:`prop-ternary-update`).
    """
    x = check_tensor("x", x, 2)
    if len(weights) == 0 or len(weights) != len(scales):
        raise ValueError(
            f"weights and scales must be non-empty and of equal length, got {len(weights)} and {len(scales)}"
        )
    xs = [x]
    for n, (Wn, c) in enumerate(zip(weights, scales, strict=True)):
        c = check_positive_float(f"scales[{n}]", c)
        if Wn.ndim != 2 or Wn.shape[1] != xs[-1].shape[1]:
            raise ValueError(
                f"weights[{n}] must have shape (d_out, {xs[-1].shape[1]}), got {tuple(Wn.shape)}"
            )
        z = c * xs[-1] @ Wn.T
        xs.append(z if n == len(weights) - 1 else torch.tanh(z))
    return xs


@dataclass
class DiscreteTrainingResult:
    """Result of :func:`train_discrete_msa`.

    Attributes
    ----------
    weights : list of torch.Tensor
        Final discrete weights.
    loss : numpy.ndarray
        Training cross-entropy after every epoch (entry 0: at initialisation).
    accuracy : numpy.ndarray
        Training accuracy after every epoch.
    sparsity : numpy.ndarray
        Fraction of zero weights after every epoch.

    Used in
    -------
    Returned by :func:`train_discrete_msa` (in :doc:`/chapters/06_discrete_robust`).
    """

    weights: list
    loss: np.ndarray
    accuracy: np.ndarray
    sparsity: np.ndarray


def train_discrete_msa(
    x: torch.Tensor,
    y: torch.Tensor,
    weights: Sequence[torch.Tensor],
    scales: Sequence[float],
    n_epochs: int,
    batch_size: int,
    kind: str = "ternary",
    rho: float = 0.1,
    lam: float = 0.0,
    decay: float = 0.5,
    seed: int = 0,
) -> DiscreteTrainingResult:
    r"""Train a discrete-weight perceptron by the MSA of Li and Hao.

    Per mini-batch: forward pass, costates :math:`p_{n+1} = -\partial \Phi/\partial x_{n+1}`
    (back-propagation), :math:`G_n = \sum_i \partial_W [p^i_{n+1} \cdot f_n(x^i_n, W_n)]`, the
    gradient of the Hamiltonian's first term only (the :math:`\ell^1` term is kept exactly in
    the maximisation; :math:`G_n = -\partial\Phi/\partial W_n`), moving average
    :func:`ema_update`, then the layer-wise Hamiltonian maximisation
    :func:`ternary_msa_update` or :func:`binary_msa_update`. :math:`\Phi` is the mean
    cross-entropy of the logits :math:`x_N`.

    Parameters
    ----------
    x : torch.Tensor
        Inputs, shape ``(B, d_0)``.
    y : torch.Tensor
        Integer class labels, shape ``(B,)``.
    weights : list of torch.Tensor
        Initial discrete weights (entries in ``{-1, 0, 1}`` or ``{-1, 1}``).
    scales : list of float
        Layer scales :math:`c_n`.
    n_epochs : int
        Passes over the data.
    batch_size : int
        Mini-batch size.
    kind : str
        Weight set, ``"ternary"`` (:math:`\{-1, 0, 1\}`) or ``"binary"`` (:math:`\{-1, 1\}`).
    rho : float
        Relative move penalty of the update rule.
    lam : float
        :math:`\ell^1` penalty (ternary only).
    decay : float
        Moving-average factor :math:`a`.
    seed : int
        Seed of the mini-batch shuffling.

    Returns
    -------
    DiscreteTrainingResult
        Final weights and per-epoch loss, accuracy and sparsity.

    Used in
    -------
    :doc:`/chapters/06_discrete_robust` (:prf:ref:`prop-ternary-update`).
    """
    x = check_tensor("x", x, 2)
    if (
        not isinstance(y, torch.Tensor)
        or y.dtype not in (torch.int64, torch.int32)
        or y.shape != (x.shape[0],)
    ):
        raise TypeError(
            "y must be an integer torch.Tensor of shape (B,) with the class labels"
        )
    n_epochs = check_nonnegative_int("n_epochs", n_epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    kind = check_in("kind", kind, ("ternary", "binary"))
    allowed = (-1.0, 0.0, 1.0) if kind == "ternary" else (-1.0, 1.0)
    weights = [
        _check_discrete(w, allowed).detach().clone() for w in weights
    ]
    gen = torch.Generator().manual_seed(
        check_nonnegative_int("seed", seed)
    )
    Ms = [torch.zeros_like(w) for w in weights]

    def evaluate() -> tuple[float, float, float]:
        with torch.no_grad():
            logits = discrete_forward(x, weights, scales)[-1]
            loss = float(torch.nn.functional.cross_entropy(logits, y))
            acc = float((logits.argmax(1) == y).double().mean())
        nz = sum(int((w == 0).sum()) for w in weights) / sum(
            w.numel() for w in weights
        )
        return loss, acc, nz

    hist = [evaluate()]
    for _ in range(n_epochs):
        perm = torch.randperm(x.shape[0], generator=gen)
        for start in range(0, x.shape[0], batch_size):
            idx = perm[start : start + batch_size]
            ws = [w.clone().requires_grad_(True) for w in weights]
            with torch.enable_grad():
                logits = discrete_forward(x[idx], ws, scales)[-1]
                loss = torch.nn.functional.cross_entropy(logits, y[idx])
                grads = torch.autograd.grad(loss, ws)
            for n, g in enumerate(grads):
                Ms[n] = ema_update(
                    Ms[n], -g, decay
                )  # dH/dW = -dPhi/dW (costate identity)
                if kind == "ternary":
                    weights[n] = ternary_msa_update(
                        weights[n], Ms[n], rho=rho, lam=lam
                    )
                else:
                    weights[n] = binary_msa_update(
                        weights[n], Ms[n], rho=rho
                    )
        hist.append(evaluate())
    arr = np.array(hist)
    return DiscreteTrainingResult(
        weights=weights,
        loss=arr[:, 0],
        accuracy=arr[:, 1],
        sparsity=arr[:, 2],
    )
