r"""Memory of linear functionals and the stability of recurrent approximation.

A linear, causal, time-homogeneous functional has the Riesz form
:math:`H_t(x) = \int_0^\infty \rho(s)^\top x_{t-s}\,\mathrm ds` with a kernel
:math:`\rho : [0, \infty) \to \mathbb R^d`. Its *step responses*

.. math::

    y_i(t) = H_t(e_i \mathbf 1_{[0,\infty)}) = \int_0^t \rho_i(s)\,\mathrm ds,
    \qquad y_i^{(k)} = \rho_i^{(k-1)} \quad (k \ge 1),

measure two things: *smoothness* (how many derivatives :math:`t \mapsto y_i(t)` has)
and *memory* (how fast the derivatives decay). This module computes

* closed-form kernels :math:`\rho(t) = e^{-at}\cos(\omega t)(1+ct)^{-p}` and all
  their derivatives (:func:`exp_power_kernel`), covering exponential, oscillating,
  mixed and power-law memory;
* step responses (:func:`step_response`) and the constants :math:`\beta, \gamma` of
  the Jackson-type rate theorem for linear RNNs (:func:`memory_constants`,
  :func:`rnn_rate_bound`);
* the memory function of Wang, Li and Li (:func:`memory_function`,
  :func:`linear_memory_function`);
* modal (complex-diagonal) linear RNNs, their stable reparameterisations
  :math:`\lambda = -e^{p} + i\omega` or :math:`-\log(1 + e^{p}) + i\omega`
  (:class:`ModalRNN`, :func:`modal_form`, :func:`decay_from_param`);
* the perturbation error :math:`\mathcal E_m(\delta)` of a trained or constructed model on
  the whole half-line (:func:`perturbation_error`, on the grid of
  :func:`halfline_quadrature`), the exact sensitivity of a positive diagonal RNN
  (:func:`diagonal_sensitivity`) and the lower bound of an error by the slowest mode
  (:func:`modal_error_lower_bound`);
* a fast gradient-descent experiment on the kernel loss, with closed-form kernels
  and hand-written gradients (:func:`train_modal_rnn`, :func:`escape_time`).

Time is continuous; a sampled kernel is an array ``rho_vals`` of shape ``(n_t, d)``
on the grid :math:`t_k = k\,\Delta t`, ``k = 0..n_t-1`` (the convention of
:mod:`dynapprox.functionals`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._validation import (
    check_callable,
    check_finite_float,
    check_in,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real_array,
)
from .reproducibility import rng as _rng

__all__ = [
    "exp_power_kernel",
    "step_response",
    "step_response_derivatives",
    "MemoryConstants",
    "memory_constants",
    "rnn_rate_bound",
    "linear_memory_function",
    "memory_function",
    "spectral_abscissas",
    "PARAMETERISATIONS",
    "decay_from_param",
    "param_from_decay",
    "ModalRNN",
    "modal_form",
    "refine_l1",
    "halfline_quadrature",
    "PerturbationResult",
    "perturbation_error",
    "diagonal_sensitivity",
    "modal_error_lower_bound",
    "kernel_l2_loss_and_grad",
    "TrainingResult",
    "train_modal_rnn",
    "escape_time",
    "tanh_rnn_loss_and_grad",
    "TanhTrainingResult",
    "train_tanh_rnn",
]


# ----------------------------------------------------------------------------------------
# kernels with closed-form derivatives
# ----------------------------------------------------------------------------------------

def exp_power_kernel(
    t,
    decay: float = 1.0,
    freq: float = 0.0,
    scale: float = 0.0,
    power: float = 0.0,
    derivative: int = 0,
) -> np.ndarray:
    r"""The kernel :math:`\rho(t) = e^{-at}\cos(\omega t)\,(1 + ct)^{-p}` or its derivatives.

    With :math:`\lambda = -a + i\omega` and :math:`g(t) = (1+ct)^{-p}`, Leibniz' rule gives

    .. math::

        \rho^{(k)}(t) = \operatorname{Re} \sum_{j=0}^{k} \binom{k}{j} \lambda^{k-j}
        g^{(j)}(t)\, e^{\lambda t}, \qquad
        g^{(j)}(t) = (-p)(-p-1)\cdots(-p-j+1)\, c^j (1+ct)^{-p-j}.

    Special cases: exponential memory :math:`e^{-at}` (``scale = 0``), power-law
    memory :math:`(1+t)^{-p}` (``decay = 0``, ``scale = 1``), and mixed kernels such as
    :math:`e^{-t}/(1+t)` (``decay = 1, scale = 1, power = 1``).

    Parameters
    ----------
    t : array_like
        Times :math:`t \ge 0`, any shape.
    decay : float
        Exponential rate :math:`a \ge 0`.
    freq : float
        Angular frequency :math:`\omega`.
    scale : float
        The constant :math:`c \ge 0` of the algebraic factor.
    power : float
        The exponent :math:`p \ge 0` of the algebraic factor.
    derivative : int
        Order :math:`k \ge 0` of the derivative.

    Returns
    -------
    numpy.ndarray
        :math:`\rho^{(k)}(t)`, same shape as ``t``.
    """
    t = check_real_array("t", t, ndim=None)
    if np.any(t < 0):
        raise ValueError("t must be non-negative (the kernel lives on [0, inf))")
    decay = check_finite_float("decay", decay)
    freq = check_finite_float("freq", freq)
    scale = check_finite_float("scale", scale)
    power = check_finite_float("power", power)
    k = check_nonnegative_int("derivative", derivative)
    for name, v in (("decay", decay), ("scale", scale), ("power", power)):
        if v < 0:
            raise ValueError(f"{name} must be non-negative, got {v}")
    lam = complex(-decay, freq)
    base = 1.0 + scale * t
    total = np.zeros(t.shape, dtype=complex)
    falling = 1.0  # (-p)(-p-1)...(-p-j+1)
    binom = 1.0
    for j in range(k + 1):
        if j > 0:
            falling *= -power - (j - 1)
            binom = binom * (k - j + 1) / j
        total += binom * lam ** (k - j) * falling * scale**j * base ** (-power - j)
    return np.real(total * np.exp(lam * t))


def step_response(rho_vals, dt: float) -> np.ndarray:
    r"""Step responses :math:`y_i(t_k) = H_{t_k}(e_i\mathbf 1_{t \ge 0})` of a sampled kernel.

    Uses the causal Riemann sum of :func:`dynapprox.functionals.apply_kernel`,
    :math:`y_i(t_k) = \sum_{j=0}^{k} \rho_i(t_j)\,\Delta t`, so that the step response is
    exactly what the package's convolution returns for the step input.

    Parameters
    ----------
    rho_vals : array_like
        Kernel samples, shape ``(n_t,)`` or ``(n_t, d)``.
    dt : float
        Time step :math:`\Delta t > 0`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_t, d)``; column ``i`` is :math:`y_i` on the grid.
    """
    rho = _as_kernel("rho_vals", rho_vals)
    dt = check_positive_float("dt", dt)
    return np.cumsum(rho, axis=0) * dt


def step_response_derivatives(kernel_derivative: Callable[[np.ndarray, int], np.ndarray], t, order: int) -> np.ndarray:
    r"""Stack the derivatives :math:`y^{(k)}(t) = \rho^{(k-1)}(t)`, ``k = 1..order``.

    Parameters
    ----------
    kernel_derivative : callable
        ``kernel_derivative(t, j)`` returns :math:`\rho^{(j)}(t)` with shape ``(len(t),)``
        or ``(len(t), d)`` (e.g. a ``functools.partial`` of :func:`exp_power_kernel`).
    t : array_like
        Times, shape ``(n_t,)``.
    order : int
        Highest order :math:`K = \alpha + 1` of the step-response derivative.

    Returns
    -------
    numpy.ndarray
        Shape ``(order, n_t, d)``: entry ``[k-1]`` is :math:`y^{(k)}` on the grid.
    """
    check_callable("kernel_derivative", kernel_derivative)
    t = check_real_array("t", t, ndim=1)
    order = check_positive_int("order", order)
    out = []
    for j in range(order):
        v = np.asarray(kernel_derivative(t, j), dtype=float)
        if v.ndim == 1:
            v = v[:, None]
        if v.shape[0] != t.size:
            raise ValueError(f"kernel_derivative(t, {j}) must have len(t) = {t.size} rows, got shape {v.shape}")
        out.append(v)
    return np.stack(out)


@dataclass(frozen=True)
class MemoryConstants:
    r"""The constants of the rate theorem for one decay rate :math:`\beta`.

    Attributes
    ----------
    beta : float
        The decay rate :math:`\beta`.
    gammas : numpy.ndarray
        :math:`\gamma_k = \max_i \sup_t |e^{\beta t} y_i^{(k)}(t)| / \beta^k`, ``k = 1..K``.
    gamma : float
        :math:`\gamma = \max_k \gamma_k`, the smallest admissible :math:`\gamma`.
    tail : float
        :math:`\max_{k,i} |e^{\beta T} y_i^{(k)}(T)| / \beta^k` at the last grid time
        :math:`T`: small when the :math:`o(1)` hypothesis is plausible on the grid.
    """

    beta: float
    gammas: np.ndarray
    gamma: float
    tail: float


def memory_constants(derivs, t, beta: float) -> MemoryConstants:
    r"""The constant :math:`\gamma` of the rate theorem for a given :math:`\beta`.

    .. math::

        \gamma(\beta) = \max_{1 \le k \le \alpha+1}\;\max_{i \le d}\;
        \sup_{t \ge 0} \frac{|e^{\beta t} y_i^{(k)}(t)|}{\beta^k},

    the sup taken over the grid ``t`` (a lower estimate of the sup over
    :math:`[0, \infty)`; for the kernels of the book it is attained at :math:`t = 0`).

    Parameters
    ----------
    derivs : array_like
        Shape ``(alpha + 1, n_t, d)`` (or ``(alpha + 1, n_t)``), from
        :func:`step_response_derivatives`.
    t : array_like
        Times, shape ``(n_t,)``, non-negative.
    beta : float
        Decay rate :math:`\beta > 0`.

    Returns
    -------
    MemoryConstants
    """
    derivs = check_real_array("derivs", derivs, ndim=(2, 3))
    if derivs.ndim == 2:
        derivs = derivs[:, :, None]
    t = check_real_array("t", t, ndim=1)
    if derivs.shape[1] != t.size:
        raise ValueError(f"derivs must have shape (K, len(t), d) with len(t) = {t.size}, got {derivs.shape}")
    if np.any(t < 0):
        raise ValueError("t must be non-negative")
    beta = check_positive_float("beta", beta)
    K = derivs.shape[0]
    powers = beta ** np.arange(1, K + 1)
    weighted = np.abs(derivs) * np.exp(beta * t)[None, :, None] / powers[:, None, None]
    gammas = weighted.max(axis=(1, 2))
    tail = float(weighted[:, -1, :].max())
    return MemoryConstants(beta=beta, gammas=gammas, gamma=float(gammas.max()), tail=tail)


def rnn_rate_bound(m, alpha: int, gamma: float, d: int = 1, constant: float = 1.0, *,
                   beta: float | None = None) -> np.ndarray:
    r"""The right-hand side :math:`C(\alpha)\,\gamma d / m^\alpha` of the rate theorem (Theorem 10 of Li, Han, E, Li).

    The proof of the theorem gives :math:`C(\alpha)\gamma d/m^\alpha`, invariant under a change
    of time unit; the paper prints :math:`C(\alpha)\gamma d/(\beta m^\alpha)`, which follows
    from it for :math:`\beta \le 1` only (chapter "Smoothness, memory and approximation
    rates of RNNs"). Passing ``beta`` returns the printed form. The universal constant
    :math:`C(\alpha)` is not explicit; ``constant = 1`` returns the *shape*, and the ratio of
    a measured error to it estimates (a lower bound of) :math:`C(\alpha)`.

    Parameters
    ----------
    m : array_like
        Widths :math:`m \ge 1`.
    alpha : int
        Smoothness :math:`\alpha \ge 1`.
    gamma : float
        Constant :math:`\gamma > 0` from :func:`memory_constants`.
    d : int
        Input dimension.
    constant : float
        The factor :math:`C(\alpha) > 0`.
    beta : float, optional
        Decay rate :math:`\beta > 0`; if given, the printed form :math:`C\gamma d/(\beta m^\alpha)`.

    Returns
    -------
    numpy.ndarray
        The bound for each ``m``.
    """
    m = check_real_array("m", m, ndim=(0, 1))
    if np.any(m < 1):
        raise ValueError("m must be >= 1")
    alpha = check_positive_int("alpha", alpha)
    gamma = check_positive_float("gamma", gamma)
    d = check_positive_int("d", d)
    constant = check_positive_float("constant", constant)
    scale = 1.0 if beta is None else check_positive_float("beta", beta)
    return constant * gamma * d / (scale * m**alpha)


# ----------------------------------------------------------------------------------------
# memory functions
# ----------------------------------------------------------------------------------------

def linear_memory_function(rho_vals) -> np.ndarray:
    r"""Memory function of a linear functional, :math:`M(H)(t) = \|\rho(t)\|_1`.

    For :math:`H_t(x) = \int_0^\infty \rho(s)^\top x_{t-s}\,\mathrm ds` and the
    Heaviside input :math:`u^x_t = x\mathbf 1_{t \ge 0}`,
    :math:`\frac{\mathrm d}{\mathrm dt} H_t(u^x) = \rho(t)^\top x`, whose sup over
    :math:`\|x\|_\infty \le 1` is :math:`\sum_i |\rho_i(t)|`.

    Parameters
    ----------
    rho_vals : array_like
        Kernel samples, shape ``(n_t,)`` or ``(n_t, d)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_t,)``.
    """
    rho = _as_kernel("rho_vals", rho_vals)
    return np.abs(rho).sum(axis=1)


def memory_function(
    functional: Callable[[np.ndarray], np.ndarray],
    n_t: int,
    d: int,
    dt: float,
    amplitudes=(1.0,),
) -> np.ndarray:
    r"""Estimate the memory function of a (nonlinear) functional from step responses.

    Wang, Li and Li define

    .. math::

        M(H)(t) = \sup_{x \ne 0} \frac{1}{\|x\|_\infty}\Big|\frac{\mathrm d}{\mathrm dt} H_t(u^x)\Big|,
        \qquad u^x_s = x\,\mathbf 1_{s \ge 0}.

    The sup is estimated over the finite set :math:`x = a s` with ``a`` in
    ``amplitudes`` and :math:`s` ranging over all sign vectors
    :math:`\{-1, 1\}^d` (so ``d <= 10``); the derivative is the backward difference on
    the grid. The result is a **lower estimate** of :math:`M(H)`; for a linear
    functional evaluated by the causal Riemann sum it is exact on the grid and equals
    :func:`linear_memory_function` (the tests check this).

    Parameters
    ----------
    functional : callable
        Maps a batch of inputs, shape ``(batch, n_t, d)``, to outputs of shape
        ``(batch, n_t)`` or ``(batch, n_t, 1)``.
    n_t : int
        Number of time steps.
    d : int
        Input dimension, at most 10.
    dt : float
        Time step.
    amplitudes : array_like
        Positive amplitudes :math:`a` of the Heaviside inputs.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_t,)``: the estimate of :math:`M(H)(t_k)`.
    """
    check_callable("functional", functional)
    n_t = check_positive_int("n_t", n_t)
    d = check_positive_int("d", d)
    if d > 10:
        raise ValueError(f"d must be at most 10 (2^d sign vectors are tried), got {d}")
    dt = check_positive_float("dt", dt)
    amps = check_real_array("amplitudes", amplitudes, ndim=1)
    if np.any(amps <= 0):
        raise ValueError("amplitudes must be positive")
    signs = np.array(np.meshgrid(*([[-1.0, 1.0]] * d), indexing="ij")).reshape(d, -1).T
    xs = (amps[:, None, None] * signs[None, :, :]).reshape(-1, d)
    batch = np.broadcast_to(xs[:, None, :], (xs.shape[0], n_t, d)).copy()
    y = np.asarray(functional(batch), dtype=float)
    if y.ndim == 3 and y.shape[2] == 1:
        y = y[:, :, 0]
    if y.shape != (xs.shape[0], n_t):
        raise ValueError(f"functional must return shape (batch, n_t) = {(xs.shape[0], n_t)}, got {y.shape}")
    dy = np.diff(np.concatenate([np.zeros((y.shape[0], 1)), y], axis=1), axis=1) / dt
    scale = np.abs(xs).max(axis=1)
    return (np.abs(dy) / scale[:, None]).max(axis=0)


def spectral_abscissas(Ws) -> np.ndarray:
    r"""Spectral abscissae :math:`\kappa(W) = \max_j \operatorname{Re}\lambda_j(W)` of a list of matrices.

    Tracks the slowest mode of a family of approximants (e.g. ERA realisations of
    increasing order); the slowest time scale is :math:`-1/\text{abscissa}`.

    Parameters
    ----------
    Ws : list of array_like
        Square matrices (of any sizes).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(Ws),)``.
    """
    out = []
    for i, W in enumerate(Ws):
        W = check_real_array(f"Ws[{i}]", W, ndim=2)
        if W.shape[0] != W.shape[1]:
            raise ValueError(f"Ws[{i}] must be square, got shape {W.shape}")
        out.append(float(np.max(np.linalg.eigvals(W).real)))
    return np.array(out)


# ----------------------------------------------------------------------------------------
# modal (diagonal) linear RNNs and their parameterisations
# ----------------------------------------------------------------------------------------

#: Parameterisations of a mode's decay rate :math:`r = f(p) > 0`, :math:`\operatorname{Re}\lambda = -r`.
PARAMETERISATIONS: tuple[str, ...] = ("direct", "exp", "softplus")


def decay_from_param(p, parameterisation: str) -> np.ndarray:
    r"""Decay rate :math:`r = f(p)` of a mode, :math:`\operatorname{Re}\lambda = -r`.

    * ``"direct"``: :math:`r = p` (the weight is :math:`\operatorname{Re}\lambda = -p`
      itself; stable only while :math:`p > 0`);
    * ``"exp"``: :math:`r = e^{p}`, i.e. :math:`W = -\exp(M)`;
    * ``"softplus"``: :math:`r = \log(1 + e^{p})`, i.e. :math:`W = -\mathrm{softplus}(M)`.

    The last two are *stable reparameterisations*: every real :math:`p` gives a stable mode.

    Parameters
    ----------
    p : array_like
        Parameters.
    parameterisation : str
        One of :data:`PARAMETERISATIONS`.

    Returns
    -------
    numpy.ndarray
        :math:`f(p)`, same shape as ``p``.
    """
    p = check_real_array("p", p, ndim=None)
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    if parameterisation == "direct":
        return p.copy()
    if parameterisation == "exp":
        return np.exp(p)
    return np.logaddexp(0.0, p)


def _decay_derivative(p: np.ndarray, parameterisation: str) -> np.ndarray:
    if parameterisation == "direct":
        return np.ones_like(p)
    if parameterisation == "exp":
        return np.exp(p)
    return 1.0 / (1.0 + np.exp(-p))


def param_from_decay(r, parameterisation: str) -> np.ndarray:
    r"""Inverse of :func:`decay_from_param`: the parameter :math:`p = f^{-1}(r)` of a decay :math:`r > 0`.

    Parameters
    ----------
    r : array_like
        Positive decay rates.
    parameterisation : str
        One of :data:`PARAMETERISATIONS`.

    Returns
    -------
    numpy.ndarray
        :math:`f^{-1}(r)`.
    """
    r = check_real_array("r", r, ndim=None)
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    if np.any(r <= 0):
        raise ValueError("r must be positive (a stable mode has a positive decay rate)")
    if parameterisation == "direct":
        return r.copy()
    if parameterisation == "exp":
        return np.log(r)
    return r + np.log(-np.expm1(-r))  # log(e^r - 1), stable for small and large r


@dataclass(frozen=True)
class ModalRNN:
    r"""A linear RNN in modal (complex-diagonal) form.

    Mode ``j`` has eigenvalue :math:`\lambda_j = -r_j + i\omega_j` with :math:`r_j > 0`,
    :math:`\omega_j \ge 0`, and coefficients :math:`g_j \in \mathbb C^d`. A mode with
    :math:`\omega_j > 0` stands for a conjugate pair (two real hidden units), a mode
    with :math:`\omega_j = 0` for one real unit (its :math:`g_j` must be real). The kernel is

    .. math::

        \hat\rho(t) = \sum_j w_j \operatorname{Re}\big(g_j e^{\lambda_j t}\big),
        \qquad w_j = 2 \text{ if } \omega_j > 0 \text{ else } 1,

    equal to :math:`(c^\top e^{Wt} U)^\top` for the real block-diagonal realisation of
    :meth:`to_real`.

    Attributes
    ----------
    decay : numpy.ndarray
        Shape ``(n,)``, the rates :math:`r_j`.
    freq : numpy.ndarray
        Shape ``(n,)``, the frequencies :math:`\omega_j`.
    coef : numpy.ndarray
        Complex, shape ``(n, d)``, the :math:`g_j`.
    """

    decay: np.ndarray
    freq: np.ndarray
    coef: np.ndarray

    def __post_init__(self) -> None:
        decay = check_real_array("decay", self.decay, ndim=1)
        freq = check_real_array("freq", self.freq, ndim=1, min_size=decay.size)
        coef = np.asarray(self.coef, dtype=complex)
        if coef.ndim == 1:
            coef = coef[:, None]
        if freq.shape != decay.shape or coef.ndim != 2 or coef.shape[0] != decay.size:
            raise ValueError(
                f"decay, freq must have shape (n,) and coef shape (n, d); got {decay.shape}, {freq.shape}, {coef.shape}"
            )
        if not np.all(np.isfinite(coef)):
            raise ValueError("coef must be finite")
        if np.any(freq < 0):
            raise ValueError("freq must be non-negative (one mode per conjugate pair)")
        object.__setattr__(self, "decay", decay)
        object.__setattr__(self, "freq", freq)
        object.__setattr__(self, "coef", coef)

    @property
    def d(self) -> int:
        """Input dimension."""
        return int(self.coef.shape[1])

    @property
    def width(self) -> int:
        """Number of real hidden units :math:`m` (two per oscillating mode)."""
        return int(np.sum(np.where(self.freq > 0, 2, 1)))

    @property
    def spectral_abscissa(self) -> float:
        r""":math:`\max_j \operatorname{Re}\lambda_j = -\min_j r_j`."""
        return float(-self.decay.min())

    def kernel(self, t) -> np.ndarray:
        r"""The kernel :math:`\hat\rho(t)`, shape ``(len(t), d)``."""
        t = check_real_array("t", t, ndim=1)
        lam = -self.decay + 1j * self.freq
        w = np.where(self.freq > 0, 2.0, 1.0)
        E = np.exp(np.outer(t, lam)) * w
        return np.real(E @ self.coef)

    def to_real(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""A real realisation ``(W, U, c)`` with :math:`c^\top e^{Wt} U = \hat\rho(t)^\top`.

        A pair :math:`\lambda = -r + i\omega` becomes the block
        :math:`\begin{pmatrix} -r & \omega \\ -\omega & -r \end{pmatrix}` with
        :math:`c = (1, 0)` and rows :math:`(2\operatorname{Re} g, -2\operatorname{Im} g)` of :math:`U`.

        Returns
        -------
        tuple of numpy.ndarray
            ``W`` of shape ``(m, m)``, ``U`` of shape ``(m, d)``, ``c`` of shape ``(m,)``.
        """
        m = self.width
        W = np.zeros((m, m))
        U = np.zeros((m, self.d))
        c = np.zeros(m)
        i = 0
        for r, om, g in zip(self.decay, self.freq, self.coef):
            if om > 0:
                W[i : i + 2, i : i + 2] = [[-r, om], [-om, -r]]
                U[i] = 2 * g.real
                U[i + 1] = -2 * g.imag
                c[i] = 1.0
                i += 2
            else:
                W[i, i] = -r
                U[i] = g.real
                c[i] = 1.0
                i += 1
        return W, U, c


def modal_form(W, U, c) -> ModalRNN:
    r"""The modal form of a stable linear RNN :math:`(W, U, c)` with diagonalisable :math:`W`.

    With :math:`W = V \Lambda V^{-1}`, :math:`c^\top e^{Wt} U = \sum_j (c^\top V)_j
    e^{\lambda_j t} (V^{-1}U)_{j,:}`. Conjugate pairs are merged into one mode with
    :math:`\omega > 0`.

    Parameters
    ----------
    W : array_like
        Shape ``(m, m)``, Hurwitz and diagonalisable.
    U : array_like
        Shape ``(m, d)``.
    c : array_like
        Shape ``(m,)``.

    Returns
    -------
    ModalRNN
    """
    W, U, c = _check_wuc(W, U, c)
    lam, V = np.linalg.eig(W)
    if np.max(lam.real) >= 0:
        raise ValueError(f"W must be Hurwitz, its spectral abscissa is {np.max(lam.real):.3g}")
    if np.linalg.cond(V) > 1e10:
        raise ValueError("W must be diagonalisable (its eigenvector matrix is numerically singular)")
    left = c @ V  # (m,)
    right = np.linalg.solve(V, U.astype(complex))  # (m, d)
    g = left[:, None] * right
    tol = 1e-9 * max(1.0, np.abs(lam).max())
    keep = lam.imag >= -tol
    decay, freq, coef = [], [], []
    for j in np.flatnonzero(keep):
        if abs(lam[j].imag) <= tol:
            decay.append(-lam[j].real)
            freq.append(0.0)
            coef.append(g[j].real.astype(complex))
        else:
            decay.append(-lam[j].real)
            freq.append(lam[j].imag)
            coef.append(g[j])
    return ModalRNN(np.array(decay), np.array(freq), np.array(coef))


def _modal_real_basis(decay: np.ndarray, freq: np.ndarray, osc: np.ndarray, t: np.ndarray) -> np.ndarray:
    r"""Real basis of modal kernels :math:`\sum_j w_j \operatorname{Re}(g_j e^{(-r_j + i\omega_j) t})`.

    Columns: :math:`w_j e^{-r_j t}\cos(\omega_j t)` for every mode (coefficient
    :math:`\operatorname{Re} g_j`), then :math:`-w_j e^{-r_j t}\sin(\omega_j t)` for the
    oscillating modes ``osc`` (coefficient :math:`\operatorname{Im} g_j`); :math:`w_j = 2`
    for an oscillating mode (a conjugate pair), 1 for a real one. ``osc`` is given
    separately so that a pair whose frequency passes through 0 during an optimisation
    keeps its two columns. Coefficients in this order are read back by
    :func:`_modal_coefficients`.
    """
    E = np.exp(np.outer(t, -decay + 1j * freq))
    w = np.where(osc, 2.0, 1.0)
    return np.hstack([w * E.real, -(w * E.imag)[:, osc]])


def _modal_coefficients(x: np.ndarray, osc: np.ndarray) -> np.ndarray:
    """Complex coefficients g_j from real coefficients ordered as the columns of :func:`_modal_real_basis`."""
    n = osc.size
    g = x[:n].astype(complex)
    g[osc] += 1j * x[n:]
    return g


def refine_l1(model: ModalRNN, rho_vals, dt: float) -> ModalRNN:
    r"""Best :math:`L^1` coefficients for fixed eigenvalues: a refinement of a realisation.

    Keeps the eigenvalues :math:`\lambda_j` of ``model`` and solves the convex problem

    .. math::

        \min_{g} \sum_k \Big|\rho(t_k) - \sum_j w_j \operatorname{Re}\big(g_j e^{\lambda_j t_k}\big)\Big|_1 \Delta t

    over the coefficients (real and imaginary parts of :math:`g_j`; real for real modes)
    as a linear programme (``scipy.optimize.linprog``, HiGHS). The coefficients of
    ``model`` are feasible, so the refined error is never larger.

    Parameters
    ----------
    model : ModalRNN
        Model whose eigenvalues are kept (e.g. ``modal_form`` of an ERA realisation).
    rho_vals : array_like
        Target kernel samples, shape ``(n_t,)`` or ``(n_t, d)``.
    dt : float
        Time step.

    Returns
    -------
    ModalRNN
        Same eigenvalues, :math:`L^1`-optimal coefficients.
    """
    from scipy.optimize import linprog

    if not isinstance(model, ModalRNN):
        raise TypeError(f"model must be a ModalRNN, got {type(model).__name__}")
    rho = _as_kernel("rho_vals", rho_vals)
    dt = check_positive_float("dt", dt)
    if model.d != rho.shape[1]:
        raise ValueError(f"model input dimension {model.d} differs from the kernel's {rho.shape[1]}")
    n_t = rho.shape[0]
    t = dt * np.arange(n_t)
    osc = model.freq > 0
    B = _modal_real_basis(model.decay, model.freq, osc, t)
    nb = B.shape[1]
    n = model.decay.size
    # Solve for a correction of the model's own coefficients x0 (a feasible point), with the
    # residual scaled to O(1) and the basis orthonormalised (B = QR): the LP solver's absolute
    # tolerances then act on the scale of the residual, not of the kernel.
    Q, R = np.linalg.qr(B)
    coef = model.coef.copy()
    for i in range(rho.shape[1]):
        x0 = np.concatenate([model.coef[:, i].real, model.coef[osc, i].imag])
        r0 = rho[:, i] - B @ x0
        scale = float(np.max(np.abs(r0)))
        if scale == 0.0:
            continue
        r0 = r0 / scale
        # variables (z, s): minimise sum s subject to -s <= r0 - Q z <= s
        c_obj = np.concatenate([np.zeros(nb), np.ones(n_t)])
        eye = np.eye(n_t)
        A = np.block([[Q, -eye], [-Q, -eye]])
        b = np.concatenate([r0, -r0])
        bounds = [(None, None)] * nb + [(0, None)] * n_t
        res = linprog(c_obj, A_ub=A, b_ub=b, bounds=bounds, method="highs")
        if not res.success:  # pragma: no cover - the problem is always feasible and bounded
            raise RuntimeError(f"linprog failed: {res.message}")
        z = res.x[:nb]
        if np.sum(np.abs(r0 - Q @ z)) < np.sum(np.abs(r0)):
            coef[:, i] = _modal_coefficients(x0 + scale * np.linalg.solve(R, z), osc)
    return ModalRNN(model.decay.copy(), model.freq.copy(), coef)


# ----------------------------------------------------------------------------------------
# perturbation error
# ----------------------------------------------------------------------------------------

def halfline_quadrature(T: float, t_max: float = 1e9, panel: float = 0.5, nodes: int = 16,
                        growth: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes and weights of a composite Gauss-Legendre rule on :math:`[0, t_{\max}]`.

    The panel layout of :func:`dynapprox.halfline.l1_error_halfline`: uniform panels of
    length ``panel`` on the window :math:`[0, T]`, then panels whose length grows
    geometrically, :math:`\max(h, g\,t)` for a panel starting at :math:`t`, up to
    :math:`t_{\max}`; ``nodes`` Gauss-Legendre nodes per panel. For a smooth integrand
    :math:`f`, :math:`\sum_k w_k f(t_k) \approx \int_0^{t_{\max}} f`; for :math:`\abs{f}` with
    :math:`f` changing sign the rule is not split at the zeros (unlike
    :func:`~dynapprox.halfline.l1_error_halfline`), so it loses its high order there but
    evaluates many kernels at once on one grid (the perturbation error and the training
    loss below). Add a closed-form bound of the integral beyond :math:`t_{\max}`.

    Parameters
    ----------
    T : float
        End of the window, :math:`T > 0`.
    t_max : float
        End of the rule, :math:`t_{\max} > T`.
    panel : float
        Panel length on the window (and smallest panel beyond it).
    nodes : int
        Gauss-Legendre nodes per panel.
    growth : float
        Relative growth :math:`g > 0` of the panels beyond the window.

    Returns
    -------
    tuple of numpy.ndarray
        ``t`` and ``w``, both of shape ``(n,)``, :math:`0 < t_k < t_{\max}`, :math:`w_k > 0`.
    """
    T = check_positive_float("T", T)
    t_max = check_positive_float("t_max", t_max)
    if not t_max > T:
        raise ValueError(f"t_max must exceed T, got t_max = {t_max} <= T = {T}")
    panel = check_positive_float("panel", panel)
    nodes = check_positive_int("nodes", nodes)
    growth = check_positive_float("growth", growth)
    edges = list(np.linspace(0.0, T, max(1, int(np.ceil(T / panel))) + 1))
    while edges[-1] < t_max:
        edges.append(min(t_max, edges[-1] + max(panel, growth * edges[-1])))
    e = np.asarray(edges)
    x, wx = np.polynomial.legendre.leggauss(nodes)
    half = 0.5 * (e[1:] - e[:-1])
    t = (0.5 * (e[1:] + e[:-1]))[:, None] + half[:, None] * x[None, :]
    w = half[:, None] * wx[None, :]
    return t.ravel(), w.ravel()


@dataclass(frozen=True)
class PerturbationResult:
    r"""Estimated perturbation errors :math:`\mathcal E_m(\delta)` of one model.

    Attributes
    ----------
    deltas : numpy.ndarray
        Perturbation sizes :math:`\delta` (max-norm of the parameter perturbation).
    errors : numpy.ndarray
        :math:`\widehat{\mathcal E}(\delta)`: the largest whole-half-line :math:`L^1` kernel
        error found, ``inf`` if a perturbed model is unstable (its error is infinite). Each
        error is the lower end of its bracket (window plus quadrature tail to
        :math:`t_{\max}` plus a lower bound of the remainder beyond it, as in
        :class:`dynapprox.halfline.HalfLineL1`), so this is a lower estimate of the sup.
    errors_upper : numpy.ndarray
        The maximum over the upper ends of the brackets (with the closed-form upper bounds of
        the target's and the model's integrals beyond :math:`t_{\max}`).
    base_error : float
        The unperturbed error :math:`\mathcal E_m(0)` (lower end of its bracket).
    unstable_fraction : numpy.ndarray
        Fraction of the tried perturbations that made the model unstable.
    worst_direction : tuple of str
        For each :math:`\delta`, the name of the tried direction with the largest error
        (``""`` for :math:`\delta = 0`); see :func:`perturbation_error`.
    """

    deltas: np.ndarray
    errors: np.ndarray
    errors_upper: np.ndarray
    base_error: float
    unstable_fraction: np.ndarray
    worst_direction: tuple


def _modes_dense(W: np.ndarray, U: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Eigenvalues :math:`\lambda_k` and residues :math:`g_k \in \mathbb C^d`, :math:`c^\top e^{Wt}U = \sum_k g_k^\top e^{\lambda_k t}`."""
    lam, V = np.linalg.eig(W)
    left = c @ V
    right = np.linalg.solve(V, U.astype(complex))
    return lam, left[:, None] * right


def _modes_modal(decay: np.ndarray, freq: np.ndarray, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same for a modal model: an oscillating mode and its conjugate, a real mode once."""
    osc = freq > 0
    lam = np.concatenate([-decay + 1j * freq, -decay[osc] - 1j * freq[osc]])
    g = np.concatenate([np.where(osc[:, None], coef, coef.real), np.conj(coef[osc])])
    return lam, g


def _halfline_errors(modes: list, rho_grid: np.ndarray, t: np.ndarray, w: np.ndarray, t_max: float,
                     rho_rem: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper ends of the whole-half-line L1 errors of several modal kernels on one grid.

    ``rho_rem`` is (lower, upper) bound of the target's tail integral beyond ``t_max``; the
    remainder of the difference is bracketed as in :class:`dynapprox.halfline.HalfLineL1`:
    between max(0, r_rho - R_model) and R_rho + R_model.
    """
    lower = np.full(len(modes), np.inf)
    upper = np.full(len(modes), np.inf)
    for i, (lam, g) in enumerate(modes):
        if np.max(lam.real) >= 0:
            continue
        khat = np.real(np.exp(np.outer(t, lam)) @ g)
        quad = float(w @ np.abs(rho_grid - khat).sum(axis=1))
        keep = np.abs(g).sum(axis=1) > 0
        rem = float(np.sum(np.abs(g[keep]).sum(axis=1) * np.exp(lam.real[keep] * t_max) / (-lam.real[keep])))
        lower[i] = quad + max(0.0, rho_rem[0] - rem)
        upper[i] = quad + rho_rem[1] + rem
    return lower, upper


def perturbation_error(
    model,
    rho,
    deltas,
    parameterisation: str = "dense",
    n_random: int = 20,
    seed: int | np.random.Generator = 0,
    perturb: str = "all",
    *,
    T: float,
    rho_tail: Callable[[float], float] | None = None,
    t_max: float = 1e9,
    panel: float = 0.5,
    nodes: int = 16,
    growth: float = 0.1,
) -> PerturbationResult:
    r"""Estimate :math:`\mathcal E(\delta) = \sup_{\|\tilde\theta - \theta\|_\infty \le \delta}
    \|\rho - \hat\rho_{\tilde\theta}\|_{L^1[0,\infty)}`.

    The error of a linear RNN in the uniform norm of functionals is the :math:`L^1`
    distance of the kernels on the whole half-line. It is computed on the grid of
    :func:`halfline_quadrature` (window :math:`[0, T]`, geometric panels to
    :math:`t_{\max}`), the same grid for every perturbed model, and bracketed with the
    closed-form bounds of the integrals beyond :math:`t_{\max}`: the target's (``rho_tail``,
    by default :meth:`dynapprox.kernels.Kernel.tail_l1`) and the model's,
    :math:`\sum_k \abs{g_k}_1 e^{\operatorname{Re}\lambda_k t_{\max}}/(-\operatorname{Re}\lambda_k)`.
    A perturbed model that is not stable has infinite error and is reported as ``inf``.

    The parameters :math:`\theta` and the perturbations depend on ``parameterisation``:

    * ``"dense"``: ``model`` is ``(W, U, c)`` (or has attributes ``W, U, c``) and
      :math:`\theta = (W, U, c)`, all :math:`m^2 + m d + m` entries;
    * ``"direct"``, ``"exp"``, ``"softplus"``: ``model`` is a :class:`ModalRNN` and
      :math:`\theta = (p, \omega, \operatorname{Re} g, \operatorname{Im} g)` with decay
      :math:`r = f(p)` of :func:`decay_from_param` (``"direct"`` perturbs the decay
      rates themselves, the other two the parameters of a stable reparameterisation).
      Real modes stay real (their :math:`\omega` and :math:`\operatorname{Im} g` are not perturbed).

    With ``perturb = "recurrent"`` only the recurrent weights move (:math:`W`, or
    :math:`(p, \omega)`), the read-in and read-out weights stay fixed.

    The sup is estimated (from below) by the maximum over ``n_random`` random vertices
    of the cube :math:`\|\tilde\theta - \theta\|_\infty = \delta` (seeded, named
    ``"random"``) and a few structured directions: for ``"dense"`` the first-order
    direction that moves the slowest eigenvalue of :math:`W` fastest to the right,
    :math:`\Delta W_{ij} = \delta\,\operatorname{sign}\operatorname{Re}(\bar w_i v_j / w^* v)`
    (:math:`v, w` right and left eigenvectors; ``"first-order"``), and
    :math:`\pm\delta\mathbf 1\mathbf 1^\top` (``"+ones"``, ``"-ones"``; operator norm
    :math:`m\delta`); for the modal forms :math:`p \mp \delta` for all modes (``"rates-"``,
    ``"rates+"``: all rates lowered, resp. raised), combined with
    :math:`\operatorname{Re} g \pm \delta\operatorname{sign}\operatorname{Re} g` when the
    read-out moves.

    Parameters
    ----------
    model : tuple or object or ModalRNN
        The unperturbed model, see above.
    rho : object
        The target kernel: a :class:`~dynapprox.kernels.Kernel`, a model with a ``.kernel(t)``
        method (pass the unperturbed model itself to measure the *sensitivity*
        :math:`\sup \|\hat\rho_{\tilde\theta} - \hat\rho_\theta\|_{L^1}`), or a callable mapping
        times of shape ``(n,)`` to values of shape ``(n,)`` or ``(n, d)``.
    deltas : array_like
        Perturbation sizes :math:`\delta \ge 0`, shape ``(n_delta,)``.
    parameterisation : str
        ``"dense"`` or one of :data:`PARAMETERISATIONS`.
    n_random : int
        Number of random perturbations per :math:`\delta`.
    seed : int or numpy.random.Generator
        Seed of the random directions.
    perturb : str
        ``"all"`` (every parameter) or ``"recurrent"`` (the recurrent weights only).
    T : float
        End of the window of the quadrature (past the features of the target).
    rho_tail : callable, optional
        A bound :math:`t \mapsto R(t) \ge \int_t^\infty \abs{\rho}_1`; default: ``rho.tail_l1``
        (and then ``rho.tail_l1_lower`` for the lower end of the remainder, else 0).
    t_max, panel, nodes, growth
        The grid of :func:`halfline_quadrature`.

    Returns
    -------
    PerturbationResult

    Notes
    -----
    Used in chapter 10, "The curse of memory" (the perturbation experiment).
    """
    from .halfline import model_tail_bound

    rho_fn = rho.kernel if callable(getattr(rho, "kernel", None)) else rho
    if not callable(rho_fn):
        raise TypeError(f"rho must be a Kernel, a model with a .kernel(t) method or a callable t -> values, "
                        f"got {type(rho).__name__}")
    deltas = check_real_array("deltas", deltas, ndim=1)
    if np.any(deltas < 0):
        raise ValueError("deltas must be non-negative")
    check_in("parameterisation", parameterisation, ("dense",) + PARAMETERISATIONS)
    n_random = check_nonnegative_int("n_random", n_random)
    check_in("perturb", perturb, ("all", "recurrent"))
    tail = rho_tail if rho_tail is not None else model_tail_bound(rho)
    if tail is None:
        raise ValueError("no tail bound known for rho: pass rho_tail=callable t -> a bound on the integral of |rho| over [t, inf)")
    t, w = halfline_quadrature(T, t_max, panel, nodes, growth)
    rho_grid = _as_kernel("rho(t)", rho_fn(t))
    low = getattr(rho, "tail_l1_lower", None) if rho_tail is None else None
    rho_rem = (float(low(t_max)) if callable(low) else 0.0, float(tail(t_max)))
    io = 0.0 if perturb == "recurrent" else 1.0
    gen = _rng(seed)

    def sweep(base_modes, make_dirs, perturbed_modes):
        lo0, up0 = _halfline_errors([base_modes], rho_grid, t, w, t_max, rho_rem)
        errors, uppers, fractions, worst_names = [], [], [], []
        for d in deltas:
            if d == 0:
                errors.append(lo0[0])
                uppers.append(up0[0])
                fractions.append(0.0)
                worst_names.append("")
                continue
            names, dirs = make_dirs()
            lo, up = _halfline_errors([perturbed_modes(d, *dd) for dd in dirs], rho_grid, t, w, t_max, rho_rem)
            k = int(np.argmax(lo))
            errors.append(lo[k])
            uppers.append(float(np.max(up)))
            fractions.append(float(np.mean(np.isinf(lo))))
            worst_names.append(names[k])
        return PerturbationResult(deltas, np.array(errors), np.array(uppers), float(lo0[0]),
                                  np.array(fractions), tuple(worst_names))

    if parameterisation == "dense":
        if hasattr(model, "W"):
            model = (model.W, model.U, model.c)
        W, U, c = _check_wuc(*model)
        if U.shape[1] != rho_grid.shape[1]:
            raise ValueError(f"model input dimension {U.shape[1]} differs from the kernel's {rho_grid.shape[1]}")
        lam, V = np.linalg.eig(W)
        if lam.real.max() >= 0:
            raise ValueError(f"W must be Hurwitz, its spectral abscissa is {lam.real.max():.3g}")
        j = int(np.argmax(lam.real))
        lamL, VL = np.linalg.eig(W.T)
        wl = VL[:, int(np.argmin(np.abs(lamL - lam[j])))]
        v = V[:, j]
        sens = np.real(np.outer(np.conj(wl), v) / (np.conj(wl) @ v))
        zU, zc = np.zeros_like(U), np.zeros_like(c)

        def make_dirs():
            names = ["first-order", "+ones", "-ones"] + ["random"] * n_random
            dirs = [(np.sign(sens), zU, zc), (np.ones_like(W), zU, zc), (-np.ones_like(W), zU, zc)]
            for _ in range(n_random):
                dirs.append(tuple(gen.choice([-1.0, 1.0], size=a.shape) for a in (W, U, c)))
            return names, dirs

        def perturbed(d, dW, dU, dc):
            return _modes_dense(W + d * dW, U + io * d * dU, c + io * d * dc)

        return sweep(_modes_dense(W, U, c), make_dirs, perturbed)

    if not isinstance(model, ModalRNN):
        raise TypeError(f"model must be a ModalRNN for parameterisation {parameterisation!r}, got {type(model).__name__}")
    if model.d != rho_grid.shape[1]:
        raise ValueError(f"model input dimension {model.d} differs from the kernel's {rho_grid.shape[1]}")
    p0 = param_from_decay(model.decay, parameterisation)
    osc = model.freq > 0
    sg = np.sign(model.coef.real)
    zero_g = np.zeros(model.coef.shape)

    def make_dirs():
        names, dirs = [], []
        for s_p, label in ((-1.0, "rates-"), (1.0, "rates+")):  # f is increasing: p - delta lowers every rate
            for s_g in ((-1.0, 1.0) if io else (1.0,)):
                names.append(label if not io else f"{label}, coef{'+' if s_g > 0 else '-'}")
                dirs.append((s_p * np.ones_like(p0), np.zeros_like(p0), s_g * sg, zero_g))
        for _ in range(n_random):
            names.append("random")
            dirs.append((
                gen.choice([-1.0, 1.0], size=p0.shape),
                gen.choice([-1.0, 1.0], size=p0.shape) * osc,
                gen.choice([-1.0, 1.0], size=model.coef.shape),
                gen.choice([-1.0, 1.0], size=model.coef.shape) * osc[:, None],
            ))
        return names, dirs

    def perturbed(d, dp, dom, dgr, dgi):
        r = decay_from_param(p0 + d * dp, parameterisation)
        if np.any(r <= 0):
            return np.array([0.0 + 0j]), np.zeros((1, model.d), complex)  # unstable: abscissa 0
        om = np.where(osc, np.maximum(model.freq + d * dom, 1e-300), 0.0)
        return _modes_modal(r, om, model.coef + io * d * (dgr + 1j * dgi))

    return sweep(_modes_modal(model.decay, model.freq, model.coef), make_dirs, perturbed)


def diagonal_sensitivity(model, deltas, parameterisation: str = "dense") -> np.ndarray:
    r"""Exact sup of the kernel change of a positive diagonal linear RNN under recurrent perturbations.

    For :math:`W = -\operatorname{diag}(r_1, \dots, r_m)` with :math:`r_j > 0`, and input and
    output weights :math:`U, c \in \mathbb R^m` with positive entries (:math:`d = 1`), the kernel
    is :math:`\hat\rho(t) = \sum_j c_j U_j e^{-r_j t} > 0`. This function returns

    .. math::

        \Sigma(\delta) = \sup_{\|\tilde\theta - \theta\|_\infty \le \delta}
        \|\hat\rho_{\tilde\theta} - \hat\rho_\theta\|_{L^1[0,\infty)}

    over perturbations of the recurrent parameters only, in closed form (chapter
    10, proposition ``prop-curse-sensitivity``), with :math:`S = \sum_j 1/r_j`:

    * ``"dense"`` (all :math:`m^2` entries of :math:`W`):
      :math:`\delta\,(\sum_i c_i/r_i)(\sum_j U_j/r_j)/(1 - \delta S)` for :math:`\delta S < 1`,
      ``inf`` otherwise (the perturbation :math:`\delta\mathbf 1\mathbf 1^\top` is then unstable);
    * a modal parameterisation :math:`r_j = f(p_j)` of :func:`decay_from_param`
      (``"direct"``, ``"exp"``, ``"softplus"``):
      :math:`\sum_j c_j U_j\,\big(1/f(p_j - \delta) - 1/r_j\big)`, ``inf`` if a rate
      :math:`f(p_j - \delta) \le 0` (``"direct"`` with :math:`\delta \ge \min_j r_j`). For ``"exp"``
      this is :math:`(e^{\delta} - 1)\|\hat\rho\|_{L^1}`.

    Parameters
    ----------
    model : tuple or object
        ``(W, U, c)`` or an object with attributes ``W``, ``U``, ``c``; ``W`` diagonal with
        negative entries, ``U`` of shape ``(m, 1)`` (or ``(m,)``) and ``c`` of shape ``(m,)``
        with positive entries.
    deltas : array_like
        Perturbation sizes :math:`\delta \ge 0`.
    parameterisation : str
        ``"dense"`` or one of :data:`PARAMETERISATIONS`.

    Returns
    -------
    numpy.ndarray
        :math:`\Sigma(\delta)`, shape ``(n_delta,)``.
    """
    if hasattr(model, "W"):
        model = (model.W, model.U, model.c)
    W, U, c = _check_wuc(*model)
    if U.shape[1] != 1:
        raise ValueError(f"U must have one column (d = 1), got shape {U.shape}")
    if not np.allclose(W, np.diag(np.diag(W)), rtol=0.0, atol=0.0):
        raise ValueError("W must be diagonal")
    r = -np.diag(W)
    u = U[:, 0]
    if np.any(r <= 0):
        raise ValueError("W must have negative diagonal entries (positive rates)")
    if np.any(u <= 0) or np.any(c <= 0):
        raise ValueError("U and c must have positive entries")
    deltas = check_real_array("deltas", deltas, ndim=1)
    if np.any(deltas < 0):
        raise ValueError("deltas must be non-negative")
    check_in("parameterisation", parameterisation, ("dense",) + PARAMETERISATIONS)
    out = np.full(deltas.shape, np.inf)
    if parameterisation == "dense":
        S = float(np.sum(1.0 / r))
        a, b = float(np.sum(c / r)), float(np.sum(u / r))
        ok = deltas * S < 1.0
        out[ok] = deltas[ok] * a * b / (1.0 - deltas[ok] * S)
        return out
    g = c * u
    p = param_from_decay(r, parameterisation)
    for i, d in enumerate(deltas):
        low = decay_from_param(p - d, parameterisation)
        if np.all(low > 0):
            out[i] = float(np.sum(g * (1.0 / low - 1.0 / r)))
    return out


def modal_error_lower_bound(rho, model, Ts, rho_tail_lower: Callable[[float], float] | None = None) -> float:
    r"""A lower bound of :math:`\|\rho - \hat\rho\|_{L^1[0,\infty)}` from the slowest mode of the model.

    If :math:`\hat\rho(t) = \sum_k g_k e^{\lambda_k t}` with :math:`\operatorname{Re}\lambda_k \le -a < 0`
    and :math:`G = \sum_k \abs{g_k}_1`, then :math:`\abs{\hat\rho(t)}_1 \le G e^{-at}`, so for every
    :math:`T \ge 0` (chapter 10, proposition ``prop-curse-gap``)

    .. math::

        \|\rho - \hat\rho\|_{L^1[0,\infty)} \;\ge\; \int_T^\infty \abs{\rho}_1\,\mathrm dt - \frac{G\,e^{-aT}}{a}.

    Returns the maximum of the right-hand side over the given times, with the integral
    replaced by its closed-form lower bound (``rho.tail_l1_lower``): a valid lower bound
    of the whole-half-line error, whatever the times.

    Parameters
    ----------
    rho : Kernel
        The target (or any object with a ``tail_l1_lower`` method).
    model : object
        A model whose modes :func:`dynapprox.halfline.modal_terms` can read (linear RNN, modal RNN, SSM).
    Ts : array_like
        Times :math:`T \ge 0` at which the bound is evaluated.
    rho_tail_lower : callable, optional
        :math:`t \mapsto r(t) \le \int_t^\infty \abs{\rho}_1` (default ``rho.tail_l1_lower``).

    Returns
    -------
    float
        The bound (may be negative, i.e. void).
    """
    from .halfline import modal_terms

    Ts = check_real_array("Ts", Ts, ndim=1)
    if np.any(Ts < 0):
        raise ValueError("Ts must be non-negative")
    low = rho_tail_lower if rho_tail_lower is not None else getattr(rho, "tail_l1_lower", None)
    if not callable(low):
        raise ValueError("pass rho_tail_lower=callable t -> a lower bound of the integral of |rho| over [t, inf)")
    terms = modal_terms(model)
    if terms is None:
        raise ValueError(f"cannot read the modes of {type(model).__name__}")
    lam, g = terms
    a = float(-np.max(lam.real))
    if a <= 0:
        raise ValueError("the model must be stable (all Re lambda < 0)")
    G = float(np.abs(g).sum())
    return float(max(low(float(T)) - G * np.exp(-a * T) / a for T in Ts))


# ----------------------------------------------------------------------------------------
# gradient descent on the kernel loss: the plateau experiment
# ----------------------------------------------------------------------------------------

def _loss_grid(rho_last: int, dt: float | None, t, weights) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the loss: the uniform grid k dt (Riemann weights dt), or given nodes and weights."""
    if t is None and weights is None:
        if dt is None:
            raise ValueError("pass dt (uniform grid) or both t and weights (quadrature nodes)")
        dt = check_positive_float("dt", dt)
        return dt * np.arange(rho_last), np.full(rho_last, dt)
    if t is None or weights is None or dt is not None:
        raise ValueError("pass either dt alone (uniform grid) or both t and weights, with dt=None")
    t = check_real_array("t", t, ndim=1)
    weights = check_real_array("weights", weights, ndim=1)
    if t.shape != weights.shape or t.size != rho_last:
        raise ValueError(f"t and weights must have the shape ({rho_last},) of the target's last axis, "
                         f"got {t.shape} and {weights.shape}")
    if np.any(t < 0) or np.any(weights <= 0):
        raise ValueError("t must be non-negative and weights positive")
    return t, weights


def kernel_l2_loss_and_grad(params: dict, rho_vals, dt: float | None, parameterisation: str = "softplus", *,
                            t=None, weights=None):
    r"""Kernel loss :math:`L = \sum_k w_k |\rho(t_k) - \hat\rho(t_k)|^2` of a modal RNN and its gradient.

    For white-noise inputs the expected squared output error of a linear RNN equals
    :math:`J = \int_0^\infty |\rho - \hat\rho|^2\,\mathrm dt` (Itô's isometry), the simplified
    training problem of Li, Han, E and Li (JMLR 2022, eq. (92)). :math:`L` is a quadrature of it:
    the Riemann sum on the uniform grid :math:`t_k = k\,\Delta t` (weights :math:`\Delta t`, a
    window), or, with ``t`` and ``weights`` from :func:`halfline_quadrature`, a Gauss-Legendre
    rule on :math:`[0, t_{\max}]` (the whole half-line up to a closed-form remainder). The model is
    :math:`\hat\rho(t) = \sum_j 2\operatorname{Re}(g_j e^{\lambda_j t})`,
    :math:`\lambda_j = -f(p_j) + i\omega_j` (all modes oscillating pairs, so the width is
    :math:`m = 2n`); the gradient is written out by hand (the tests compare it with
    ``torch.autograd``), so one step costs a few vectorised NumPy operations.

    Parameters
    ----------
    params : dict
        ``"p"``, ``"omega"``, ``"g_re"``, ``"g_im"``: arrays of shape ``(..., n)``; a
        leading batch shape trains several independent models at once.
    rho_vals : array_like
        Targets at the nodes, shape ``(n_t,)`` or ``(..., n_t)`` matching the batch shape.
    dt : float or None
        Time step of the uniform grid; ``None`` when ``t`` and ``weights`` are given.
    parameterisation : str
        One of :data:`PARAMETERISATIONS`.
    t, weights : array_like, optional
        Quadrature nodes and weights, shape ``(n_t,)`` each.

    Returns
    -------
    tuple
        ``(loss, grads)``: loss of shape ``batch``, and a dict of gradients shaped like ``params``.
    """
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    rho = np.asarray(rho_vals, dtype=float)
    p, om = np.asarray(params["p"], float), np.asarray(params["omega"], float)
    g = np.asarray(params["g_re"], float) + 1j * np.asarray(params["g_im"], float)
    t, wq = _loss_grid(rho.shape[-1], dt, t, weights)
    r = decay_from_param(p, parameterisation)
    lam = -r + 1j * om
    E = np.exp(lam[..., None, :] * t[:, None])  # (..., n_t, n)
    Eg = 2.0 * E * g[..., None, :]
    khat = Eg.real.sum(axis=-1)
    res = khat - rho
    loss = (res**2) @ wq
    R = 2.0 * res * wq  # dL/dkhat
    # d khat / d g_re = 2 Re(E), d / d g_im = -2 Im(E)
    g_re = 2.0 * np.einsum("...k,...kn->...n", R, E.real)
    g_im = -2.0 * np.einsum("...k,...kn->...n", R, E.imag)
    tEg = Eg * t[:, None]
    d_relam = np.einsum("...k,...kn->...n", R, tEg.real)  # d khat/d Re(lambda) = Re(t 2 g E)
    d_imlam = -np.einsum("...k,...kn->...n", R, tEg.imag)  # d khat/d Im(lambda) = -Im(t 2 g E)
    grads = {
        "p": -_decay_derivative(p, parameterisation) * d_relam,
        "omega": d_imlam,
        "g_re": g_re,
        "g_im": g_im,
    }
    return loss, grads


@dataclass(frozen=True)
class TrainingResult:
    r"""Result of :func:`train_modal_rnn`.

    Attributes
    ----------
    losses : numpy.ndarray
        Loss history, shape ``(steps + 1, *batch)`` (entry 0 at initialisation).
    params : dict
        Final parameters.
    models : list of ModalRNN
        The final models (one per batch entry), in row-major batch order.
    snapshots : list of (int, list of ModalRNN) or None
        With ``snapshot_every = k``: the step and the models after steps
        :math:`0, k, 2k, \dots` and after the last step (for animations of training).
    """

    losses: np.ndarray
    params: dict = field(repr=False)
    models: list = field(repr=False)
    snapshots: list | None = field(default=None, repr=False)


def train_modal_rnn(
    rho_vals,
    dt: float | None,
    n_modes: int,
    steps: int,
    lr: float = 5e-3,
    seed: int | np.random.Generator = 0,
    parameterisation: str = "softplus",
    init_decay: float = 1.0,
    init_freq: float = 1.0,
    init_scale: float = 0.1,
    optimizer: str = "adam",
    *,
    t=None,
    weights=None,
    snapshot_every: int | None = None,
) -> TrainingResult:
    r"""Train modal linear RNNs on the kernel loss by Adam or plain gradient descent.

    Initialisation (seeded): every decay rate ``r_j`` equals ``init_decay`` (all modes start with
    the same short memory), frequencies are uniform on the interval from 0 to ``init_freq``,
    coefficients :math:`g_j` with independent :math:`N(0, \text{init\_scale}^2)` real and
    imaginary parts. Each target in a batch gets its own, identically initialised model.

    Parameters
    ----------
    rho_vals : array_like
        Target kernels at the nodes, shape ``(n_t,)`` or ``(batch, n_t)`` (scalar input, ``d = 1``).
    dt : float or None
        Time step of a uniform grid (Riemann sum), or ``None`` with ``t`` and ``weights``.
    n_modes : int
        Number of complex modes :math:`n` (width :math:`m = 2n`).
    steps : int
        Number of optimisation steps.
    lr : float
        Learning rate.
    seed : int or numpy.random.Generator
        Seed of the initialisation.
    parameterisation : str
        One of :data:`PARAMETERISATIONS`.
    init_decay, init_freq, init_scale : float
        Initialisation, see above.
    optimizer : str
        ``"adam"`` (betas 0.9, 0.999, eps 1e-8) or ``"gd"``.
    t, weights : array_like, optional
        Quadrature nodes and weights of the loss (see :func:`kernel_l2_loss_and_grad`), e.g.
        from :func:`halfline_quadrature` for the loss on the whole half-line.
    snapshot_every : int, optional
        Keep the models every ``snapshot_every`` steps (and after the last one) in
        ``TrainingResult.snapshots``; the training itself is unchanged.

    Returns
    -------
    TrainingResult
    """
    rho = check_real_array("rho_vals", rho_vals, ndim=(1, 2))
    batch_shape = rho.shape[:-1]
    t, weights = _loss_grid(rho.shape[-1], dt, t, weights)
    n = check_positive_int("n_modes", n_modes)
    steps = check_nonnegative_int("steps", steps)
    lr = check_positive_float("lr", lr)
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    check_in("optimizer", optimizer, ("adam", "gd"))
    init_decay = check_positive_float("init_decay", init_decay)
    init_freq = check_positive_float("init_freq", init_freq)
    init_scale = check_positive_float("init_scale", init_scale)
    if snapshot_every is not None:
        snapshot_every = check_positive_int("snapshot_every", snapshot_every)
    gen = _rng(seed)
    om0 = gen.uniform(0.0, init_freq, size=n)
    gr0 = init_scale * gen.standard_normal(n)
    gi0 = init_scale * gen.standard_normal(n)
    p0 = param_from_decay(np.full(n, init_decay), parameterisation)
    params = {k: np.broadcast_to(v, batch_shape + (n,)).copy() for k, v in
              (("p", p0), ("omega", om0), ("g_re", gr0), ("g_im", gi0))}
    m1 = {k: np.zeros_like(v) for k, v in params.items()}
    m2 = {k: np.zeros_like(v) for k, v in params.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    losses = []
    snapshots = [] if snapshot_every is not None else None
    for it in range(steps + 1):
        loss, grads = kernel_l2_loss_and_grad(params, rho, None, parameterisation, t=t, weights=weights)
        losses.append(loss)
        if snapshots is not None and (it % snapshot_every == 0 or it == steps):
            snapshots.append((it, _modal_models(params, n, parameterisation)))
        if it == steps:
            break
        for k in params:
            if optimizer == "gd":
                params[k] -= lr * grads[k]
            else:
                m1[k] = b1 * m1[k] + (1 - b1) * grads[k]
                m2[k] = b2 * m2[k] + (1 - b2) * grads[k] ** 2
                mh = m1[k] / (1 - b1 ** (it + 1))
                vh = m2[k] / (1 - b2 ** (it + 1))
                params[k] -= lr * mh / (np.sqrt(vh) + eps)
        if parameterisation == "direct":
            params["p"] = np.maximum(params["p"], 1e-6)  # keep the direct model stable
    return TrainingResult(np.array(losses), params, _modal_models(params, n, parameterisation), snapshots)


def _modal_models(params: dict, n: int, parameterisation: str) -> list:
    """The ModalRNN of every batch entry of the trained parameters (row-major order)."""
    models = []
    flat = {k: v.reshape(-1, n) for k, v in params.items()}
    for b in range(flat["p"].shape[0]):
        om = np.abs(flat["omega"][b])
        g = flat["g_re"][b] + 1j * np.where(flat["omega"][b] >= 0, 1, -1) * flat["g_im"][b]
        # every trained mode is a conjugate pair (width 2 each); a mode with omega = 0 is
        # kept as a pair by a tiny positive frequency so that the width stays 2n
        models.append(ModalRNN(decay_from_param(flat["p"][b], parameterisation), np.maximum(om, 1e-300), g[:, None]))
    return models


def escape_time(losses, factor: float = 100.0) -> np.ndarray:
    r"""First iteration at which the loss has dropped by ``factor`` from its initial value.

    Parameters
    ----------
    losses : array_like
        Loss histories, shape ``(n_steps,)`` or ``(n_steps, batch)``.
    factor : float
        Reduction factor > 1.

    Returns
    -------
    numpy.ndarray
        Iteration index per history (``-1`` if never reached); shape ``batch``.
    """
    L = check_real_array("losses", losses, ndim=(1, 2))
    factor = check_positive_float("factor", factor)
    if factor <= 1:
        raise ValueError(f"factor must exceed 1, got {factor}")
    hit = L <= L[0] / factor
    idx = np.where(hit.any(axis=0), hit.argmax(axis=0), -1)
    return np.asarray(idx)


# ----------------------------------------------------------------------------------------
# a small tanh RNN trained by back-propagation through time (NumPy)
# ----------------------------------------------------------------------------------------

def tanh_rnn_loss_and_grad(W, U, c, x, y):
    r"""Relative mean-squared error of a tanh RNN on a batch, and its gradient (BPTT).

    The network is :math:`h_{k+1} = \tanh(W h_k + U x_k)`, :math:`h_0 = 0`,
    :math:`\hat y_k = c^\top h_{k+1}` (the output at step :math:`k` reads the state that
    has seen :math:`x_0, \dots, x_k`), and the loss is
    :math:`\sum_{b,k} (\hat y_{b,k} - y_{b,k})^2 / \sum_{b,k} y_{b,k}^2`. The gradient is
    back-propagation through time written out by hand (the tests compare it with
    ``torch.autograd``); one call costs two loops over time of batched matrix products.

    Parameters
    ----------
    W : array_like
        Shape ``(m, m)``.
    U : array_like
        Shape ``(m, d)``.
    c : array_like
        Shape ``(m,)``.
    x : array_like
        Inputs, shape ``(batch, n_t, d)``.
    y : array_like
        Targets, shape ``(batch, n_t)``.

    Returns
    -------
    tuple
        ``(loss, (dW, dU, dc))``.
    """
    W, U, c = _check_wuc(W, U, c)
    x = check_real_array("x", x, ndim=3)
    y = check_real_array("y", y, ndim=2)
    if x.shape[:2] != y.shape or x.shape[2] != U.shape[1]:
        raise ValueError(f"x must have shape (batch, n_t, d) = {y.shape + (U.shape[1],)} to match y and U, got {x.shape}")
    batch, n_t, _ = x.shape
    m = W.shape[0]
    hs = np.zeros((n_t + 1, batch, m))
    for k in range(n_t):
        hs[k + 1] = np.tanh(hs[k] @ W.T + x[:, k] @ U.T)
    yhat = np.einsum("kbm,m->bk", hs[1:], c)
    norm = float(np.sum(y**2))
    res = yhat - y
    loss = float(np.sum(res**2)) / norm
    dy = 2.0 * res / norm  # (batch, n_t)
    dc = np.einsum("bk,kbm->m", dy, hs[1:])
    dW = np.zeros_like(W)
    dU = np.zeros_like(U)
    dh = np.zeros((batch, m))
    for k in range(n_t - 1, -1, -1):
        dh = dh + dy[:, k, None] * c[None, :]
        dz = dh * (1.0 - hs[k + 1] ** 2)
        dW += dz.T @ hs[k]
        dU += dz.T @ x[:, k]
        dh = dz @ W
    return loss, (dW, dU, dc)


@dataclass(frozen=True)
class TanhTrainingResult:
    r"""Result of :func:`train_tanh_rnn`.

    Attributes
    ----------
    losses : numpy.ndarray
        Relative training loss before each step, shape ``(steps,)``.
    W, U, c : numpy.ndarray
        Final weights.
    """

    losses: np.ndarray
    W: np.ndarray
    U: np.ndarray
    c: np.ndarray


def train_tanh_rnn(
    x,
    y,
    m: int,
    steps: int,
    lr: float = 1e-2,
    batch_size: int = 32,
    seed: int | np.random.Generator = 0,
    init_scale: float = 0.5,
) -> TanhTrainingResult:
    r"""Train the tanh RNN of :func:`tanh_rnn_loss_and_grad` by Adam on mini-batches.

    Initialisation (seeded): :math:`W` with i.i.d. :math:`N(0, \text{init\_scale}^2/m)`
    entries (spectral radius about ``init_scale``), :math:`U` and :math:`c` with
    :math:`N(0, 1/m)` entries. Mini-batches are drawn with replacement from the rows of ``x``.

    Parameters
    ----------
    x : array_like
        Training inputs, shape ``(n, n_t, d)``.
    y : array_like
        Training targets, shape ``(n, n_t)``.
    m : int
        Width.
    steps : int
        Number of Adam steps.
    lr : float
        Learning rate.
    batch_size : int
        Mini-batch size.
    seed : int or numpy.random.Generator
        Seed of the initialisation and of the batches.
    init_scale : float
        Scale of the initial recurrent weights.

    Returns
    -------
    TanhTrainingResult
    """
    x = check_real_array("x", x, ndim=3)
    y = check_real_array("y", y, ndim=2)
    if x.shape[:2] != y.shape:
        raise ValueError(f"x must have shape (n, n_t, d) with (n, n_t) = {y.shape}, got {x.shape}")
    m = check_positive_int("m", m)
    steps = check_positive_int("steps", steps)
    lr = check_positive_float("lr", lr)
    batch_size = check_positive_int("batch_size", batch_size)
    init_scale = check_positive_float("init_scale", init_scale)
    gen = _rng(seed)
    d = x.shape[2]
    params = [
        init_scale * gen.standard_normal((m, m)) / np.sqrt(m),
        gen.standard_normal((m, d)) / np.sqrt(m),
        gen.standard_normal(m) / np.sqrt(m),
    ]
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    losses = np.empty(steps)
    for it in range(steps):
        idx = gen.integers(0, x.shape[0], size=batch_size)
        loss, grads = tanh_rnn_loss_and_grad(*params, x[idx], y[idx])
        losses[it] = loss
        for j, g in enumerate(grads):
            m1[j] = b1 * m1[j] + (1 - b1) * g
            m2[j] = b2 * m2[j] + (1 - b2) * g**2
            params[j] = params[j] - lr * (m1[j] / (1 - b1 ** (it + 1))) / (np.sqrt(m2[j] / (1 - b2 ** (it + 1))) + eps)
    return TanhTrainingResult(losses, *params)


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------

def _as_kernel(name: str, value) -> np.ndarray:
    arr = check_real_array(name, value, ndim=(1, 2))
    return arr[:, None] if arr.ndim == 1 else arr


def _check_wuc(W, U, c) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    W = check_real_array("W", W, ndim=2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square, got shape {W.shape}")
    U = check_real_array("U", U, ndim=(1, 2))
    if U.ndim == 1:
        U = U[:, None]
    c = check_real_array("c", c, ndim=1)
    m = W.shape[0]
    if U.shape[0] != m or c.shape[0] != m:
        raise ValueError(f"U must have {m} rows and c length {m} (the width of W); got {U.shape} and {c.shape}")
    return W, U, c
