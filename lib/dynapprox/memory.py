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
  :func:`linear_memory_function`).

Modal linear RNNs are :class:`dynapprox.linear_rnn.LinearRNN` objects, their
parameterisations live in :mod:`dynapprox.parameterisations`, perturbation errors in
:mod:`dynapprox.perturbation` and training on the kernel loss in :mod:`dynapprox.training`.

Time is continuous; a sampled kernel is an array ``rho_vals`` of shape ``(n_t, d)``
on the grid :math:`t_k = k\,\Delta t`, ``k = 0..n_t-1`` (the convention of
:mod:`dynapprox.functionals`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._validation import (
    check_callable,
    check_finite_float,
    check_kernel_samples,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real_array,
)

__all__ = [
    "exp_power_kernel",
    "step_response",
    "step_response_derivatives",
    "MemoryConstants",
    "memory_constants",
    "rnn_rate_bound",
    "linear_memory_function",
    "memory_function",
]


# ----------------------------------------------------------------------------------------
# kernels with closed-form derivatives
# ----------------------------------------------------------------------------------------


def exp_power_kernel(
    t: ArrayLike,
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

    Used in
    -------
    :doc:`/chapters/09_rates_memory`
    """
    t = check_real_array("t", t, ndim=None)
    if np.any(t < 0):
        raise ValueError(
            "t must be non-negative (the kernel lives on [0, inf))"
        )
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
        total += (
            binom
            * lam ** (k - j)
            * falling
            * scale**j
            * base ** (-power - j)
        )
    return np.real(total * np.exp(lam * t))


def step_response(rho_vals: ArrayLike, dt: float) -> np.ndarray:
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

    Used in
    -------
    :doc:`/chapters/09_rates_memory`
    """
    rho = check_kernel_samples("rho_vals", rho_vals)
    dt = check_positive_float("dt", dt)
    return np.cumsum(rho, axis=0) * dt


def step_response_derivatives(
    kernel_derivative: Callable[[np.ndarray, int], np.ndarray],
    t: ArrayLike,
    order: int,
) -> np.ndarray:
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

    Used in
    -------
    :doc:`/chapters/09_rates_memory`
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
            raise ValueError(
                f"kernel_derivative(t, {j}) must have len(t) = {t.size} rows, got shape {v.shape}"
            )
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

    Used in
    -------
    Returned by :func:`memory_constants` (in :doc:`/chapters/09_rates_memory`).
    """

    beta: float
    gammas: np.ndarray
    gamma: float
    tail: float


def memory_constants(
    derivs: Any, t: ArrayLike, beta: float
) -> MemoryConstants:
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

    Used in
    -------
    :doc:`/chapters/09_rates_memory`
    """
    derivs = check_real_array("derivs", derivs, ndim=(2, 3))
    if derivs.ndim == 2:
        derivs = derivs[:, :, None]
    t = check_real_array("t", t, ndim=1)
    if derivs.shape[1] != t.size:
        raise ValueError(
            f"derivs must have shape (K, len(t), d) with len(t) = {t.size}, got {derivs.shape}"
        )
    if np.any(t < 0):
        raise ValueError("t must be non-negative")
    beta = check_positive_float("beta", beta)
    K = derivs.shape[0]
    powers = beta ** np.arange(1, K + 1)
    weighted = (
        np.abs(derivs)
        * np.exp(beta * t)[None, :, None]
        / powers[:, None, None]
    )
    gammas = weighted.max(axis=(1, 2))
    tail = float(weighted[:, -1, :].max())
    return MemoryConstants(
        beta=beta, gammas=gammas, gamma=float(gammas.max()), tail=tail
    )


def rnn_rate_bound(
    m: Any,
    alpha: int,
    gamma: float,
    d: int = 1,
    constant: float = 1.0,
    *,
    beta: float | None = None,
) -> np.ndarray:
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

    Used in
    -------
    :doc:`/chapters/09_rates_memory`
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


def linear_memory_function(rho_vals: ArrayLike) -> np.ndarray:
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

    Used in
    -------
    :doc:`/chapters/10_curse_of_memory`
    """
    rho = check_kernel_samples("rho_vals", rho_vals)
    return np.abs(rho).sum(axis=1)


def memory_function(
    functional: Callable[[np.ndarray], np.ndarray],
    n_t: int,
    d: int,
    dt: float,
    amplitudes: Any = (1.0,),
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

    Used in
    -------
    :doc:`/chapters/10_curse_of_memory`
    """
    check_callable("functional", functional)
    n_t = check_positive_int("n_t", n_t)
    d = check_positive_int("d", d)
    if d > 10:
        raise ValueError(
            f"d must be at most 10 (2^d sign vectors are tried), got {d}"
        )
    dt = check_positive_float("dt", dt)
    amps = check_real_array("amplitudes", amplitudes, ndim=1)
    if np.any(amps <= 0):
        raise ValueError("amplitudes must be positive")
    signs = (
        np.array(np.meshgrid(*([[-1.0, 1.0]] * d), indexing="ij"))
        .reshape(d, -1)
        .T
    )
    xs = (amps[:, None, None] * signs[None, :, :]).reshape(-1, d)
    batch = np.broadcast_to(xs[:, None, :], (xs.shape[0], n_t, d)).copy()
    y = np.asarray(functional(batch), dtype=float)
    if y.ndim == 3 and y.shape[2] == 1:
        y = y[:, :, 0]
    if y.shape != (xs.shape[0], n_t):
        raise ValueError(
            f"functional must return shape (batch, n_t) = {(xs.shape[0], n_t)}, got {y.shape}"
        )
    dy = (
        np.diff(
            np.concatenate([np.zeros((y.shape[0], 1)), y], axis=1), axis=1
        )
        / dt
    )
    scale = np.abs(xs).max(axis=1)
    return (np.abs(dy) / scale[:, None]).max(axis=0)
