r"""Recurrent neural networks: the linear continuous-time RNN and the discrete RNN.

The linear RNN of width :math:`m` with :math:`d` input channels is

.. math::

    \dot h_t = W h_t + U x_t, \qquad h_{-\infty} = 0, \qquad \hat y_t = c^\top h_t ,

with :math:`W \in \Wset_m` (Hurwitz: every eigenvalue has negative real part),
:math:`U \in \R^{m\times d}`, :math:`c \in \R^m`. Its output is the kernel functional

.. math::

    \hat H_t(\mathbf x) = \int_0^\infty c^\top e^{Ws} U x_{t-s}\,\dd s,
    \qquad \hat\rho(s) = (c^\top e^{Ws} U)^\top \in \R^d .

:class:`LinearRNN` evaluates :math:`\hat\rho` and the outputs on the grid
:math:`t_k = k\,\Delta t` of :mod:`dynapprox.signals` (input zero before :math:`t=0`).
:class:`DiscreteRNN` is the network :math:`h_{k+1} = \sigma(W h_k + U x_k)`,
:math:`h_0 = 0`, :math:`\hat y_k = c^\top h_k` of the talk.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import linalg

from ._validation import check_callable, check_in, check_positive_float, check_positive_int, check_real_array
from .functionals import apply_kernel

__all__ = ["spectral_abscissa", "LinearRNN", "DiscreteRNN"]


def spectral_abscissa(W) -> float:
    r"""The spectral abscissa :math:`\kappa(W) = \max_j \operatorname{Re}\lambda_j(W)`.

    :math:`W` is Hurwitz (:math:`W \in \Wset_m`) iff :math:`\kappa(W) < 0`; then for every
    :math:`\epsilon > 0` there is :math:`C_\epsilon` with
    :math:`\|e^{Ws}\| \le C_\epsilon e^{(\kappa(W) + \epsilon) s}` for all :math:`s \ge 0`.

    Parameters
    ----------
    W : array_like
        Square matrix, shape ``(m, m)``.

    Returns
    -------
    float
        :math:`\kappa(W)`.
    """
    W = check_real_array("W", W, ndim=2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square matrix, got shape {W.shape}")
    return float(np.max(np.linalg.eigvals(W).real))


def _check_signal(x, d: int) -> tuple[np.ndarray, bool]:
    xs = check_real_array("x", x, ndim=(2, 3))
    single = xs.ndim == 2
    if single:
        xs = xs[None]
    if xs.shape[2] != d:
        raise ValueError(f"x must have d = {d} channels (last axis), got shape {np.shape(x)}")
    return xs, single


def _check_weights(W, U, c) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    W = check_real_array("W", W, ndim=2)
    m = W.shape[0]
    if W.shape != (m, m):
        raise ValueError(f"W must be a square matrix (m, m), got shape {W.shape}")
    U = check_real_array("U", U, ndim=(1, 2))
    if U.ndim == 1:
        U = U[:, None]
    if U.shape[0] != m:
        raise ValueError(f"U must have shape (m, d) = ({m}, d) to match W, got shape {U.shape}")
    c = check_real_array("c", c, ndim=1)
    if c.shape != (m,):
        raise ValueError(f"c must have shape (m,) = ({m},) to match W, got shape {c.shape}")
    return W, U, c


class LinearRNN:
    r"""A stable linear continuous-time RNN :math:`\dot h = W h + U x`, :math:`\hat y = c^\top h`.

    Parameters
    ----------
    W : array_like
        Recurrent kernel, shape ``(m, m)``, Hurwitz (else ``ValueError``).
    U : array_like
        Input kernel, shape ``(m, d)`` (or ``(m,)`` for ``d = 1``).
    c : array_like
        Output weights, shape ``(m,)``.
    """

    def __init__(self, W, U, c) -> None:
        W, U, c = _check_weights(W, U, c)
        a = spectral_abscissa(W)
        if not a < 0:
            raise ValueError(
                f"W must be Hurwitz (all eigenvalues with negative real part), but its spectral abscissa "
                f"max Re lambda(W) = {a:.6g} >= 0: the RNN would not have fading memory"
            )
        self.W, self.U, self.c = W, U, c
        self.m, self.d = W.shape[0], U.shape[1]
        self.abscissa = a

    def __repr__(self) -> str:
        return f"LinearRNN(m={self.m}, d={self.d}, spectral abscissa={self.abscissa:.4g})"

    def kernel(self, t) -> np.ndarray:
        r"""The kernel :math:`\hat\rho(s) = (c^\top e^{Ws} U)^\top` at the times ``t``.

        Uses the eigen-decomposition :math:`W = V \Lambda V^{-1}` when :math:`V` is well
        conditioned (:math:`\kappa(V) < 10^8`), and ``scipy.linalg.expm`` otherwise.

        Parameters
        ----------
        t : array_like
            Times :math:`s \ge 0`, shape ``(n,)``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, d)``.
        """
        t = check_real_array("t", t, ndim=1)
        if np.any(t < 0):
            raise ValueError("t must be non-negative: the kernel lives on [0, inf)")
        lam, V = np.linalg.eig(self.W)
        if np.linalg.cond(V) < 1e8:
            left = self.c @ V
            right = np.linalg.solve(V, self.U.astype(complex))
            return np.real((np.exp(np.outer(t, lam)) * left) @ right)
        E = linalg.expm(t[:, None, None] * self.W[None])
        return np.einsum("i,nij,jd->nd", self.c, E, self.U)

    def zoh_matrices(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        r"""Exact zero-order-hold discretisation :math:`A = e^{W\Delta t}`, :math:`B = \int_0^{\Delta t} e^{Ws}\,\dd s\, U`.

        If :math:`x` is constant on :math:`[t_k, t_{k+1})`, then exactly
        :math:`h_{t_{k+1}} = A h_{t_k} + B x_{t_k}`. Computed from the exponential of the
        block matrix :math:`\begin{pmatrix} W & U \\ 0 & 0\end{pmatrix}\Delta t`.

        Parameters
        ----------
        dt : float
            Time step :math:`\Delta t > 0`.

        Returns
        -------
        tuple of numpy.ndarray
            ``(A, B)`` of shapes ``(m, m)`` and ``(m, d)``.
        """
        dt = check_positive_float("dt", dt)
        m, d = self.m, self.d
        M = np.zeros((m + d, m + d))
        M[:m, :m] = self.W
        M[:m, m:] = self.U
        E = linalg.expm(M * dt)
        return E[:m, :m], E[:m, m:]

    def discrete_kernel(self, n_t: int, dt: float) -> np.ndarray:
        r"""Impulse response of the zero-order-hold recurrence: :math:`g_0 = 0`, :math:`g_j = (c^\top A^{j-1} B)^\top`.

        The recurrence output is :math:`\hat y_k = \sum_{j=1}^{k} g_j^\top x_{t_{k-j}}`, and
        :math:`g_j = \int_{t_{j-1}}^{t_j} \hat\rho(s)\,\dd s`.

        Parameters
        ----------
        n_t : int
            Number of samples.
        dt : float
            Time step :math:`\Delta t > 0`.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_t, d)`` (no factor :math:`\Delta t`: :math:`g_j \approx \hat\rho(t_j)\Delta t`).
        """
        n_t = check_positive_int("n_t", n_t)
        A, B = self.zoh_matrices(dt)
        g = np.zeros((n_t, self.d))
        v = self.c.copy()
        for j in range(1, n_t):
            g[j] = v @ B
            v = v @ A
        return g

    def output(self, x, dt: float, method: str = "auto") -> np.ndarray:
        r"""The outputs :math:`\hat y_k \approx \hat H_{t_k}(\mathbf x)` for an input sampled on the grid.

        * ``"auto"`` (default), ``"recurrence"``, ``"fft"``, ``"lfilter"``, ``"scan"``: the exact
          solution for the zero-order-hold input (:math:`x_t = x_{t_k}` on :math:`[t_k, t_{k+1})`):
          :math:`h_{k+1} = A h_k + B x_k`, :math:`h_0 = 0`, :math:`\hat y_k = c^\top h_k`
          (see :meth:`zoh_matrices`). Strictly causal: :math:`\hat y_k` depends on
          :math:`x_{t_0}, \dots, x_{t_{k-1}}`. The methods compute the same numbers (to
          rounding) in different ways (:mod:`dynapprox.evaluation`): ``"recurrence"`` is the
          dense loop, ``"auto"`` the fastest for the length and width
          (:func:`dynapprox.evaluation.choose_method`).
        * ``"convolution"``: the Riemann sum
          :math:`\sum_{j=0}^{k} \hat\rho(s_j)^\top x_{t_{k-j}}\Delta t` of
          :func:`dynapprox.functionals.apply_kernel` (FFT).

        Both converge to :math:`\hat H_{t_k}(\mathbf x)` as :math:`\Delta t \to 0`, and differ
        by :math:`O(\Delta t)` for a Lipschitz input.

        Parameters
        ----------
        x : array_like
            Input, shape ``(n_t, d)`` or ``(batch, n_t, d)``.
        dt : float
            Time step :math:`\Delta t > 0`.
        method : str
            ``"auto"``, ``"recurrence"``, ``"fft"``, ``"lfilter"``, ``"scan"`` or ``"convolution"``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_t,)`` or ``(batch, n_t)``.
        """
        from .evaluation import rnn_output

        xs, single = _check_signal(x, self.d)
        dt = check_positive_float("dt", dt)
        method = check_in("method", method, ("auto", "recurrence", "fft", "lfilter", "scan", "convolution"))
        if method == "convolution":
            t = dt * np.arange(xs.shape[1])
            y = apply_kernel(self.kernel(t), xs, dt, method="fft")
        else:
            y = rnn_output(self, xs, dt, method="naive" if method == "recurrence" else method)
        return y[0] if single else y


_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "linear": lambda z: z,
}


class DiscreteRNN:
    r"""The discrete RNN :math:`h_{k+1} = \sigma(W h_k + U x_k)`, :math:`h_0 = 0`, :math:`\hat y_k = c^\top h_k`.

    It parametrises the functionals :math:`\hat H_k : (x_0, \dots, x_{k-1}) \mapsto \hat y_k`.

    Parameters
    ----------
    W : array_like
        Recurrent weights, shape ``(m, m)`` (no stability condition is imposed).
    U : array_like
        Input weights, shape ``(m, d)`` (or ``(m,)`` for ``d = 1``).
    c : array_like
        Output weights, shape ``(m,)``.
    activation : str or callable
        :math:`\sigma`: ``"tanh"``, ``"relu"``, ``"linear"`` or an element-wise callable.
    """

    def __init__(self, W, U, c, activation: str | Callable[[np.ndarray], np.ndarray] = "tanh") -> None:
        self.W, self.U, self.c = _check_weights(W, U, c)
        self.m, self.d = self.W.shape[0], self.U.shape[1]
        if isinstance(activation, str):
            check_in("activation", activation, tuple(_ACTIVATIONS))
            self.sigma = _ACTIVATIONS[activation]
        else:
            self.sigma = check_callable("activation", activation)

    def __repr__(self) -> str:
        return f"DiscreteRNN(m={self.m}, d={self.d})"

    def output(self, x) -> np.ndarray:
        r"""The outputs :math:`\hat y_k = c^\top h_k`, ``k = 0, ..., n_t - 1``.

        Parameters
        ----------
        x : array_like
            Input sequence, shape ``(n_t, d)`` or ``(batch, n_t, d)``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_t,)`` or ``(batch, n_t)``; :math:`\hat y_0 = 0`.
        """
        xs, single = _check_signal(x, self.d)
        batch, n_t, _ = xs.shape
        h = np.zeros((batch, self.m))
        y = np.empty((batch, n_t))
        for k in range(n_t):
            y[:, k] = h @ self.c
            h = self.sigma(h @ self.W.T + xs[:, k] @ self.U.T)
        return y[0] if single else y
