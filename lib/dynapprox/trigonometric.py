r"""Approximation of periodic functions by trigonometric polynomials.

The hypothesis spaces of chapter 1 are

.. math::

    \mathcal H_m = \Big\{ a_0 + \sum_{k=1}^{m-1} a_k \cos(kx) + b_k \sin(kx) \Big\},
    \qquad \dim \mathcal H_m = 2m - 1,

trigonometric polynomials of degree ``< m`` on the circle :math:`[0, 2\pi)`.
This module computes three approximants of a target ``f``:

* :func:`fourier_truncation` - the :math:`L^2`-best element of :math:`\mathcal H_m`
  (orthogonal projection = Fourier series truncated to :math:`|k| < m`), via FFT of
  samples on a fine uniform grid;
* :func:`least_squares_fit` - the discrete least-squares fit to samples (the same
  projection for the discrete inner product; on a uniform grid it equals the
  truncated DFT, a fact the tests use as an independent check);
* :func:`best_uniform_approximation` - the best approximation in the sup norm,
  :math:`E_m(f) = \inf_{p \in \mathcal H_m} \|f - p\|_\infty`, by a linear programme
  (``scipy.optimize.linprog``) on a grid, with a bracket ``lower <= E_m(f) <= upper``
  whose two ends are proven bounds: ``lower`` by de la Vallee Poussin's alternation
  argument (:func:`alternation_lower_bound`), ``upper`` by a Taylor bound between the
  grid points (:func:`certified_sup_error`) for targets that know their derivatives
  (:class:`PiecewiseSmoothTarget`, e.g. :class:`AbsSinPower`).

A polynomial is stored by its coefficient vector
``c = (a_0, a_1, ..., a_{m-1}, b_1, ..., b_{m-1})`` of length ``2m - 1``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import linprog

from ._validation import check_callable, check_positive_int, check_real_array

__all__ = [
    "uniform_grid",
    "trig_design_matrix",
    "trig_eval",
    "trig_derivative",
    "fourier_truncation",
    "least_squares_fit",
    "BestApproximation",
    "best_uniform_approximation",
    "sup_error",
    "PiecewiseSmoothTarget",
    "certified_sup_error",
    "alternation_lower_bound",
    "square_wave",
    "l2_error",
    "favard_constant",
    "jackson_bound",
]

TWO_PI = 2.0 * np.pi


def uniform_grid(n: int) -> np.ndarray:
    r"""The ``n`` points :math:`x_j = 2\pi j / n`, ``j = 0..n-1``, of the circle.

    Used in
    -------
    :doc:`/chapters/01_approximation`.
    """
    n = check_positive_int("n", n)
    return TWO_PI * np.arange(n) / n


def _check_m(m: int) -> int:
    return check_positive_int("m", m)


def trig_design_matrix(x: ArrayLike, m: int) -> np.ndarray:
    r"""Matrix ``A`` with ``A @ c = p(x)`` for :math:`p \in \mathcal H_m`.

    Columns: :math:`1, \cos x, \dots, \cos((m-1)x), \sin x, \dots, \sin((m-1)x)`;
    shape ``(len(x), 2m - 1)``.

    Used in
    -------
    Used by :func:`trig_eval` and :func:`best_uniform_approximation` (in
    :doc:`/chapters/01_approximation`).
    """
    x = check_real_array("x", x, ndim=1)
    m = _check_m(m)
    k = np.arange(m)
    cos = np.cos(np.outer(x, k))
    sin = np.sin(np.outer(x, k[1:]))
    return np.hstack([cos, sin])


def trig_eval(coef: ArrayLike, x: ArrayLike) -> np.ndarray:
    r"""Evaluate :math:`p(x) = a_0 + \sum_{k<m} a_k\cos kx + b_k \sin kx`.

    ``coef`` has odd length ``2m - 1`` in the layout of the module docstring.

    Used in
    -------
    :doc:`/chapters/01_approximation` (:prf:ref:`thm-stone-weierstrass`).
    """
    coef = check_real_array("coef", coef, ndim=1)
    if coef.size % 2 != 1:
        raise ValueError(f"coef must have odd length 2m-1, got length {coef.size}")
    m = (coef.size + 1) // 2
    return trig_design_matrix(x, m) @ coef


def _samples(
    f: Callable[[np.ndarray], np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """The grid :func:`uniform_grid` ``(n)`` and the values of ``f`` on it (checked to have its shape)."""
    x = uniform_grid(n)
    fx = np.asarray(f(x), dtype=float)
    if fx.shape != x.shape:
        raise ValueError(
            f"f must map an array of shape {x.shape} to one of the same shape, got {fx.shape}"
        )
    return x, fx


def _check_coef(coef: ArrayLike) -> tuple[np.ndarray, int]:
    coef = check_real_array("coef", coef, ndim=1)
    if coef.size % 2 != 1:
        raise ValueError(f"coef must have odd length 2m-1, got length {coef.size}")
    return coef, (coef.size + 1) // 2


def trig_derivative(coef: ArrayLike, order: int = 1) -> np.ndarray:
    r"""Coefficients of the derivative :math:`p^{(r)}` of :math:`p \in \mathcal H_m`, ``r = order``.

    One derivative maps :math:`a_k \cos kx + b_k \sin kx` to
    :math:`k b_k \cos kx - k a_k \sin kx`, so :math:`(a_k, b_k) \mapsto (k b_k, -k a_k)`
    and :math:`a_0 \mapsto 0`; the result is again in :math:`\mathcal H_m`, in the
    layout of the module docstring (length ``2m - 1``).

    Used in
    -------
    Used by :func:`certified_sup_error` (in :doc:`/chapters/01_approximation`).
    """
    from ._validation import check_nonnegative_int

    coef, m = _check_coef(coef)
    order = check_nonnegative_int("order", order)
    k = np.arange(1, m, dtype=float)
    a, b = coef[1:m].copy(), coef[m:].copy()
    for _ in range(order):
        a, b = k * b, -k * a
    out = np.empty_like(coef)
    out[0] = coef[0] if order == 0 else 0.0
    out[1:m], out[m:] = a, b
    return out


def _coefficients_from_dft(values: np.ndarray, m: int) -> np.ndarray:
    n = values.size
    if n < 2 * m - 1:
        raise ValueError(
            f"need at least 2m-1 = {2 * m - 1} samples for degree < m = {m}, got {n}"
        )
    if 2 * (m - 1) >= n:
        # frequency m-1 would alias with -(m-1); keep the projection well defined
        raise ValueError(f"n_grid must exceed 2(m-1) = {2 * (m - 1)}, got {n}")
    fhat = np.fft.rfft(values) / n  # fhat[k] = (1/n) sum_j f(x_j) e^{-ikx_j}
    a = 2.0 * fhat.real[:m]
    b = -2.0 * fhat.imag[1:m]
    a[0] = fhat.real[0]
    return np.concatenate([a, b])


def fourier_truncation(
    f: Callable[[np.ndarray], np.ndarray], m: int, n_grid: int = 4096
) -> np.ndarray:
    r"""Coefficients of the :math:`L^2`-best approximation of ``f`` in :math:`\mathcal H_m`.

    The :math:`L^2(0, 2\pi)` projection keeps the Fourier coefficients
    :math:`\hat f_k = \frac{1}{2\pi}\int_0^{2\pi} f(x) e^{-ikx}dx` with :math:`|k| < m`.
    They are computed by the FFT of ``n_grid`` uniform samples (the trapezoidal rule,
    spectrally accurate for smooth periodic ``f``; the aliasing error is the sum of
    :math:`|\hat f_{k + j n}|` over ``j != 0``).

    Returns the coefficient vector of length ``2m - 1``.

    Used in
    -------
    :doc:`/chapters/01_approximation` (:prf:ref:`thm-stone-weierstrass`).
    """
    f = check_callable("f", f)
    m = _check_m(m)
    n_grid = check_positive_int("n_grid", n_grid)
    x = uniform_grid(n_grid)
    values = np.asarray(f(x), dtype=float)
    if values.shape != x.shape:
        raise ValueError(
            f"f must map an array of shape {x.shape} to one of the same shape, got {values.shape}"
        )
    return _coefficients_from_dft(values, m)


def least_squares_fit(x: ArrayLike, y: ArrayLike, m: int) -> np.ndarray:
    r"""Least-squares coefficients :math:`\arg\min_c \sum_j |y_j - p_c(x_j)|^2` in :math:`\mathcal H_m`.

    Solved with :func:`numpy.linalg.lstsq` on the design matrix; needs at least
    ``2m - 1`` points. Returns the coefficient vector of length ``2m - 1``.

    Used in
    -------
    :doc:`/chapters/01_approximation`.
    """
    x = check_real_array("x", x, ndim=1)
    y = check_real_array("y", y, ndim=1)
    m = _check_m(m)
    if x.shape != y.shape:
        raise ValueError(
            f"x and y must have the same shape, got {x.shape} and {y.shape}"
        )
    if x.size < 2 * m - 1:
        raise ValueError(
            f"need at least 2m-1 = {2 * m - 1} points for m = {m}, got {x.size}"
        )
    A = trig_design_matrix(x, m)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return coef


@runtime_checkable
class PiecewiseSmoothTarget(Protocol):
    r"""A :math:`2\pi`-periodic target that is smooth between known break points.

    Between consecutive break points the target is the restriction of a
    :math:`C^\infty` function (it may have kinks at the break points). It provides

    * ``f(x)``: its values;
    * ``f.derivative(order, x)``: :math:`f^{(\text{order})}(x)` at points ``x`` that are
      not break points;
    * ``f.derivative_bound(order)``: a proven bound :math:`F_r \ge \sup |f^{(r)}|` over
      the smooth pieces (a closed form, not a sampled maximum);
    * ``f.breakpoints()``: the break points in :math:`[0, 2\pi)`.

    :class:`AbsSinPower` is one. :func:`certified_sup_error` needs these to bound
    :math:`\|f - p\|_\infty` rigorously.

    Used in
    -------
    Used by :func:`certified_sup_error` and :func:`best_uniform_approximation` (in
    :doc:`/chapters/01_approximation`).
    """

    def __call__(self, x: ArrayLike) -> np.ndarray: ...

    def derivative(self, order: int, x: ArrayLike) -> np.ndarray: ...

    def derivative_bound(self, order: int) -> float: ...

    def breakpoints(self) -> np.ndarray: ...


#: Unit roundoff of float64.
_U = float(np.finfo(float).eps) / 2


def _rounding_allowance(m: int, size: float) -> float:
    # Evaluating sum_k g_k cos(k x) + h_k sin(k x) with |k| < m, x in [0, 2 pi): the argument
    # k x is rounded by at most 2 pi m u, sin/cos add one ulp, the sum of at most 2m terms adds
    # 2m u (relative to sum |g_k| + |h_k|), and the target's own evaluation is of the same kind.
    # 64 m u (size) covers all of them with a wide margin.
    return 64.0 * (m + 1) * _U * size


def certified_sup_error(
    f: PiecewiseSmoothTarget, coef: ArrayLike, n_grid: int = 16384, order: int = 6
) -> float:
    r"""A proven upper bound of :math:`\|f - p\|_\infty` over the whole circle.

    Cut the circle into ``n_grid`` cells :math:`[x_j, x_{j+1}]`, :math:`x_j = 2\pi j/n`,
    with midpoints :math:`c_j` and half-width :math:`\eta = \pi/n`. If every break
    point of ``f`` is a grid point, :math:`e = f - p` is smooth on each closed cell, and
    Taylor's theorem at :math:`c_j` gives, for :math:`|x - c_j| \le \eta`,

    .. math::

        |e(x)| \le \sum_{i < r} |e^{(i)}(c_j)|\,\frac{\eta^i}{i!}
        + \big(F_r + P_r\big)\frac{\eta^r}{r!},
        \qquad P_r = \sum_{0<k<m} k^r \sqrt{a_k^2 + b_k^2} \;\ge\; \|p^{(r)}\|_\infty,

    with :math:`F_r` = ``f.derivative_bound(r)`` and ``r = order`` (:math:`P_r \le (m-1)^r
    \sum_k \sqrt{a_k^2+b_k^2}`, Bernstein-type). The maximum over ``j`` of the right side,
    plus a floating-point allowance of :math:`64(m+1)u` times the sizes involved
    (:math:`u = 2^{-53}`: argument rounding, one-ulp sine and cosine, the sum of
    :math:`2m` terms), bounds :math:`\|f - p\|_\infty`. The first-order term makes the
    bound exceed the sampled maximum by about :math:`\eta\,\|e'\|_\infty`.

    Parameters
    ----------
    f : PiecewiseSmoothTarget
        The target, e.g. :class:`AbsSinPower`.
    coef : array_like
        Coefficients of :math:`p \in \mathcal H_m` (length ``2m - 1``).
    n_grid : int
        Number of cells; every break point of ``f`` must be a grid point.
    order : int
        Taylor order :math:`r \ge 1`.

    Returns
    -------
    bound : float
        A number :math:`\ge \|f - p\|_\infty`.

    Used in
    -------
    :doc:`/chapters/01_approximation` (:prf:ref:`thm-jackson`), for the bracket of :math:`E_m(f)`.
    """
    if not isinstance(f, PiecewiseSmoothTarget):
        raise TypeError(
            "f must be a PiecewiseSmoothTarget (callable with derivative, derivative_bound and "
            f"breakpoints methods), got {type(f).__name__}"
        )
    coef, m = _check_coef(coef)
    n_grid = check_positive_int("n_grid", n_grid)
    order = check_positive_int("order", order)
    if n_grid < 2 * m:
        raise ValueError(f"n_grid must be at least 2m = {2 * m}, got {n_grid}")
    bp = np.mod(np.asarray(f.breakpoints(), dtype=float), TWO_PI) * n_grid / TWO_PI
    if bp.size and np.max(np.abs(bp - np.round(bp))) > 1e-9:
        raise ValueError(
            f"every break point of f must be a grid point 2 pi j / n_grid; n_grid = {n_grid} is not"
        )
    # midpoints c_j; the computed c_j may be off by a few ulps of 2 pi: widen eta accordingly
    c = TWO_PI * (np.arange(n_grid) + 0.5) / n_grid
    eta = np.pi / n_grid + 8 * _U * TWO_PI
    A = trig_design_matrix(c, m)
    k = np.arange(1, m, dtype=float)
    amp = np.hypot(coef[1:m], coef[m:])  # |a_k cos kx + b_k sin kx| <= amp_k
    total = np.zeros(n_grid)
    rounding = 0.0
    for i in range(order):
        weight = eta**i / math.factorial(i)
        e_i = np.asarray(f.derivative(i, c), dtype=float) - A @ trig_derivative(coef, i)
        total += np.abs(e_i) * weight
        P_i = (abs(coef[0]) if i == 0 else 0.0) + float(np.sum(k**i * amp))
        rounding += _rounding_allowance(m, float(f.derivative_bound(i)) + P_i) * weight
    P_r = float(np.sum(k**order * amp))
    remainder = (
        (float(f.derivative_bound(order)) + P_r) * eta**order / math.factorial(order)
    )
    return float(np.max(total)) + remainder + rounding


def alternation_lower_bound(
    f: Callable[[np.ndarray], np.ndarray], coef: ArrayLike, n_grid: int = 16384
) -> float:
    r"""A proven lower bound of :math:`E_m(f)` from the alternation of :math:`f - p`.

    De la Vallee Poussin: if :math:`e = f - p`, :math:`p \in \mathcal H_m`, takes
    alternating signs at :math:`2m` points in cyclic order on the circle, then
    :math:`E_m(f) \ge \min_i |e(x_i)|` (otherwise the difference of :math:`p` and a better
    :math:`q \in \mathcal H_m` would change sign :math:`2m` times around the circle, but a
    non-zero trigonometric polynomial of degree :math:`m - 1` has at most :math:`2m - 2`
    zeros there). The function returns the largest such minimum over points of the grid
    :math:`x_j = 2\pi j/n` (found by bisection on the threshold :math:`\tau`: the number of
    cyclic sign changes among the samples with :math:`|e| \ge \tau` decreases with
    :math:`\tau`), minus a floating-point allowance; 0 if :math:`e` does not alternate
    :math:`2m` times. It is close to :math:`E_m(f)` when :math:`p` is close to best.

    Parameters
    ----------
    f : callable
        The target, vectorised.
    coef : array_like
        Coefficients of :math:`p \in \mathcal H_m` (length ``2m - 1``).
    n_grid : int
        Number of grid points.

    Returns
    -------
    bound : float
        A number :math:`\le E_m(f)`.

    Used in
    -------
    :doc:`/chapters/01_approximation` (:prf:ref:`thm-jackson`), for the bracket of :math:`E_m(f)`.
    """
    f = check_callable("f", f)
    coef, m = _check_coef(coef)
    n_grid = check_positive_int("n_grid", n_grid)
    if n_grid < 2 * m:
        raise ValueError(f"n_grid must be at least 2m = {2 * m}, got {n_grid}")
    x, fx = _samples(f, n_grid)
    return _alternation_bound(fx, fx - trig_eval(coef, x), coef, m)


def _alternation_bound(
    fx: np.ndarray, e: np.ndarray, coef: np.ndarray, m: int
) -> float:
    # de la Vallee Poussin bound from the errors e = f - p at cyclically ordered grid points
    size = (
        float(np.max(np.abs(fx)))
        + abs(coef[0])
        + float(np.sum(np.hypot(coef[1:m], coef[m:])))
    )
    allowance = _rounding_allowance(m, size)

    def sign_changes(tau: float) -> int:
        s = np.sign(e[np.abs(e) >= tau])
        s = s[s != 0]
        return int(np.count_nonzero(s != np.roll(s, 1))) if s.size >= 2 else 0

    levels = np.unique(np.abs(e[e != 0]))
    if levels.size == 0 or sign_changes(levels[0]) < 2 * m:
        return 0.0
    lo, hi = 0, levels.size - 1  # the largest level with >= 2m cyclic sign changes
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sign_changes(levels[mid]) >= 2 * m:
            lo = mid
        else:
            hi = mid - 1
    return max(float(levels[lo]) - allowance, 0.0)


@dataclass(frozen=True)
class BestApproximation:
    r"""Best uniform approximation from a grid LP, with a proven bracket of :math:`E_m(f)`.

    Attributes
    ----------
    coef : numpy.ndarray
        Coefficients of the LP minimiser (length ``2m - 1``).
    lower : float
        :func:`alternation_lower_bound` of the minimiser on the fine grid: a proven
        lower bound of :math:`E_m(f)`.
    upper : float
        :func:`certified_sup_error` of the minimiser on the fine grid: a proven upper
        bound of :math:`\|f - p\|_\infty \ge E_m(f)`, when ``f`` is a
        :class:`PiecewiseSmoothTarget`; ``inf`` otherwise (a plain callable says nothing
        about ``f`` between samples).
    sampled : float
        :math:`\max |f - p|` of the minimiser on the fine grid, an estimate of
        :math:`\|f - p\|_\infty` from below (a sampled maximum, not a bound of
        :math:`E_m(f)`).
    lp_value : float
        The LP optimum :math:`\min_p \max_{x \in \text{grid}} |f - p|` as returned by
        the solver: at most :math:`E_m(f)` up to the solver's tolerance (about
        :math:`10^{-7}` relative).

    Used in
    -------
    Returned by :func:`best_uniform_approximation` (in :doc:`/chapters/01_approximation`).
    """

    coef: np.ndarray
    lower: float
    upper: float
    sampled: float
    lp_value: float


def best_uniform_approximation(
    f: Callable[[np.ndarray], np.ndarray], m: int, n_grid: int = 2048, refine: int = 8
) -> BestApproximation:
    r"""Best approximation of ``f`` in :math:`\mathcal H_m` in the sup norm, by linear programming.

    Solves :math:`\min_{c, t} t` subject to :math:`|f(x_j) - (Ac)_j| \le t` on ``n_grid``
    uniform points with HiGHS (``scipy.optimize.linprog``). The minimiser is then
    examined on a ``refine``-times finer grid: :func:`alternation_lower_bound` gives a
    proven lower bound of :math:`E_m(f)`, and, for a :class:`PiecewiseSmoothTarget`,
    :func:`certified_sup_error` a proven upper bound (``inf`` for a plain callable).
    Break points of ``f`` must then lie on the fine grid.

    Parameters
    ----------
    f : callable
        The target, vectorised; a :class:`PiecewiseSmoothTarget` for a finite ``upper``.
    m : int
        Budget: degree ``< m``.
    n_grid : int
        Points of the LP grid, at least ``4m``.
    refine : int
        Refinement factor of the grid on which the bracket is computed.

    Returns
    -------
    BestApproximation
        Coefficients, the bracket ``lower <= E_m(f) <= upper``, the sampled sup and the
        LP optimum.

    Used in
    -------
    :doc:`/chapters/01_approximation` (:prf:ref:`cor-trig-density`, :prf:ref:`thm-jackson`).
    """
    f = check_callable("f", f)
    m = _check_m(m)
    n_grid = check_positive_int("n_grid", n_grid)
    refine = check_positive_int("refine", refine)
    if n_grid < 4 * m:
        raise ValueError(
            f"n_grid must be at least 4m = {4 * m} for a meaningful sup on the grid, got {n_grid}"
        )
    x, fx = _samples(f, n_grid)
    A = trig_design_matrix(x, m)
    p = A.shape[1]
    # HiGHS tolerances are absolute (about 1e-7): rescale the problem so that the
    # optimum is of order one, using the truncation error (>= E_m) as the scale.
    coef_trunc = _coefficients_from_dft(fx, m)
    scale = float(np.max(np.abs(fx - A @ coef_trunc)))
    if scale == 0.0:
        coef, lp_value = coef_trunc, 0.0
    else:
        fs = fx / scale
        ones = np.ones((n_grid, 1))
        # variables (c, t): minimise t with  A c - t <= f  and  -A c - t <= -f
        A_ub = np.block([[A, -ones], [-A, -ones]])
        b_ub = np.concatenate([fs, -fs])
        cost = np.zeros(p + 1)
        cost[-1] = 1.0
        bounds = [(None, None)] * p + [(0, None)]
        res = linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
        if res.status != 0:  # pragma: no cover - HiGHS solves these small LPs
            raise RuntimeError(f"linprog failed: {res.message}")
        coef, lp_value = res.x[:p] * scale, float(res.x[-1]) * scale
    n_fine = n_grid * refine
    fine = uniform_grid(n_fine)
    f_fine = np.asarray(f(fine), dtype=float)
    e_fine = f_fine - trig_eval(coef, fine)
    sampled = float(np.max(np.abs(e_fine)))
    lower = _alternation_bound(
        f_fine, e_fine, coef, m
    )  # = alternation_lower_bound(f, coef, n_fine)
    upper = (
        certified_sup_error(f, coef, n_fine)
        if isinstance(f, PiecewiseSmoothTarget)
        else math.inf
    )
    return BestApproximation(
        coef=coef, lower=lower, upper=upper, sampled=sampled, lp_value=lp_value
    )


def sup_error(
    f: Callable[[np.ndarray], np.ndarray], coef: ArrayLike, n_grid: int = 16384
) -> float:
    r""":math:`\max_j |f(x_j) - p(x_j)|` on ``n_grid`` uniform points.

    A sampled maximum: an estimate of :math:`\|f - p\|_\infty` from below, not a bound
    (see :func:`certified_sup_error` for a proven upper bound).

    Used in
    -------
    :doc:`/chapters/01_approximation`.
    """
    f = check_callable("f", f)
    x = uniform_grid(check_positive_int("n_grid", n_grid))
    return float(np.max(np.abs(np.asarray(f(x), dtype=float) - trig_eval(coef, x))))


def l2_error(
    f: Callable[[np.ndarray], np.ndarray],
    coef: ArrayLike,
    n_grid: int = 16384,
    midpoint: bool = False,
) -> float:
    r"""Normalised :math:`L^2` error :math:`\big(\frac{1}{2\pi}\int_0^{2\pi}|f - p|^2\big)^{1/2}` by quadrature.

    The mean of :math:`|f - p|^2` over ``n_grid`` uniform points: the trapezoidal rule
    (points :math:`2\pi j/n`), spectrally accurate for smooth periodic ``f``; or, with
    ``midpoint=True``, the midpoint rule (points :math:`2\pi (j + 1/2)/n`), which keeps
    jump points of ``f`` that are grid points out of the sample set (a sample at a jump
    weighs :math:`1/n` with a value that is neither one-sided limit, an error of order
    :math:`1/n` in the mean square).

    Used in
    -------
    :doc:`/chapters/01_approximation`.
    """
    f = check_callable("f", f)
    n_grid = check_positive_int("n_grid", n_grid)
    x = uniform_grid(n_grid) + (np.pi / n_grid if midpoint else 0.0)
    r = np.asarray(f(x), dtype=float) - trig_eval(coef, x)
    return float(np.sqrt(np.mean(r**2)))


def favard_constant(r: int) -> float:
    r"""Favard's constant :math:`K_r = \frac{4}{\pi}\sum_{j\ge 0} \big(\frac{(-1)^j}{2j+1}\big)^{r+1}`.

    :math:`K_0 = 1`, :math:`K_1 = \pi/2`, :math:`K_2 = \pi^2/8`, :math:`K_3 = \pi^3/24`;
    for :math:`r \ge 1`, :math:`1 < K_r \le \pi/2` and :math:`K_r \to 4/\pi`.
    Computed in closed form with :func:`scipy.special.zeta` (Hurwitz zeta): for
    :math:`s = r + 1` even the sum is :math:`(1 - 2^{-s})\zeta(s)`, for ``s`` odd it is
    the Dirichlet beta function :math:`4^{-s}(\zeta(s, 1/4) - \zeta(s, 3/4))`.

    Used in
    -------
    :doc:`/chapters/01_approximation` (:prf:ref:`thm-jackson`).
    """
    from scipy.special import zeta

    from ._validation import check_nonnegative_int

    r = check_nonnegative_int("r", r)
    if r == 0:
        return 1.0
    s = r + 1
    if s % 2 == 0:
        total = (1.0 - 2.0**-s) * zeta(s)
    else:
        total = 4.0**-s * (zeta(s, 0.25) - zeta(s, 0.75))
    return float(4.0 / np.pi * total)


def jackson_bound(m: int, alpha: int, derivative_sup_norm: float) -> float:
    r"""The Jackson-Favard bound :math:`K_\alpha \|f^{(\alpha)}\|_\infty / m^\alpha` on :math:`E_m(f)`.

    Valid for :math:`2\pi`-periodic ``f`` whose derivative of order ``alpha - 1`` is
    absolutely continuous with :math:`f^{(\alpha)} \in L^\infty` (see chapter 1).

    Used in
    -------
    :doc:`/chapters/01_approximation` (:prf:ref:`thm-jackson`).
    """
    m = _check_m(m)
    alpha = check_positive_int("alpha", alpha)
    if derivative_sup_norm < 0 or not np.isfinite(derivative_sup_norm):
        raise ValueError(
            f"derivative_sup_norm must be a finite non-negative number, got {derivative_sup_norm}"
        )
    return favard_constant(alpha) * float(derivative_sup_norm) / m**alpha


@dataclass(frozen=True)
class AbsSinPower:
    r"""The target :math:`f(x) = |\sin(\omega x)|^k` with ``k`` odd and ``omega`` a positive integer.

    On :math:`(0, \pi/\omega)` it equals :math:`\sin^k(\omega x)`, and with ``k`` odd
    :math:`\sin^k y = 2^{1-k}\sum_{j=0}^{(k-1)/2} (-1)^{(k-1)/2-j}\binom{k}{j}\sin((k-2j)y)`.
    Its derivatives up to order ``k - 1`` are continuous and the ``k``-th is bounded
    with jumps at the zeros of :math:`\sin(\omega x)`, so it has smoothness
    ``alpha = k`` in the sense of the Jackson-Favard theorem (``f^{(k-1)}``
    absolutely continuous, ``f^{(k)}`` in :math:`L^\infty`) and no more.

    Used in
    -------
    :doc:`/chapters/01_approximation` (:prf:ref:`thm-jackson`).
    """

    k: int
    omega: int = 1

    def __post_init__(self) -> None:
        k = check_positive_int("k", self.k)
        check_positive_int("omega", self.omega)
        if k % 2 != 1:
            raise ValueError(f"k must be odd (|sin x|^k is smooth for even k), got {k}")

    @property
    def alpha(self) -> int:
        """The smoothness order ``alpha = k`` (``f^{(alpha)}`` is bounded, ``f^{(alpha+1)}`` is not)."""
        return self.k

    def __call__(self, x: ArrayLike) -> np.ndarray:
        return np.abs(np.sin(self.omega * np.asarray(x, dtype=float))) ** self.k

    def derivative(self, order: int, x: ArrayLike) -> np.ndarray:
        r"""The derivative :math:`f^{(\text{order})}(x)` (one-sided at the kinks), from the sine expansion."""
        from math import comb

        from ._validation import check_nonnegative_int

        order = check_nonnegative_int("order", order)
        x = np.asarray(x, dtype=float)
        y = np.mod(self.omega * x, np.pi)  # fold onto (0, pi), where f = sin^k
        k = self.k
        out = np.zeros_like(y)
        for j in range((k - 1) // 2 + 1):
            n = k - 2 * j
            coef = 2.0 ** (1 - k) * (-1) ** ((k - 1) // 2 - j) * comb(k, j)
            # d^order/dy^order sin(n y) = n^order sin(n y + order pi / 2)
            out += coef * n**order * np.sin(n * y + order * np.pi / 2)
        return out * self.omega**order

    def derivative_bound(self, order: int) -> float:
        r"""A proven bound of :math:`\sup |f^{(\text{order})}|` on the smooth pieces.

        From the sine expansion, :math:`|f^{(r)}| \le \omega^r\, 2^{1-k}
        \sum_{j \le (k-1)/2} \binom{k}{j} (k - 2j)^r` (equal to 1 for ``r = 0``). It is
        exact for ``r = 0`` and an overestimate of the sampled
        :meth:`derivative_sup_norm` otherwise.
        """
        from math import comb

        from ._validation import check_nonnegative_int

        order = check_nonnegative_int("order", order)
        k = self.k
        total = sum(
            comb(k, j) * float(k - 2 * j) ** order for j in range((k - 1) // 2 + 1)
        )
        return float(self.omega**order * 2.0 ** (1 - k) * total)

    def breakpoints(self) -> np.ndarray:
        r"""The kinks :math:`x = j\pi/\omega`, ``j = 0, ..., 2 omega - 1``, in :math:`[0, 2\pi)`."""
        return np.pi * np.arange(2 * self.omega) / self.omega

    def derivative_sup_norm(
        self, order: int | None = None, n_grid: int = 200001
    ) -> float:
        r""":math:`\|f^{(\text{order})}\|_\infty` (default ``order = alpha``), sampled.

        The maximum over ``n_grid`` equally spaced points of :math:`[0, 2\pi]`.
        """
        order = self.alpha if order is None else order
        x = np.linspace(0.0, 2 * np.pi, check_positive_int("n_grid", n_grid))
        return float(np.max(np.abs(self.derivative(order, x))))


__all__.append("AbsSinPower")


def square_wave(x: ArrayLike) -> np.ndarray:
    r"""The square wave :math:`s(x) = \operatorname{sgn} \sin x`, with the exact value 0 at the jumps.

    :math:`s = 1` on :math:`(0, \pi)`, :math:`-1` on :math:`(\pi, 2\pi)` and :math:`0` at
    :math:`x \equiv 0, \pi`. It is evaluated from :math:`x \bmod 2\pi` compared with
    ``numpy.pi``, not as ``np.sign(np.sin(x))``: in floating point ``np.sin(np.pi)`` is
    :math:`1.2 \cdot 10^{-16} > 0`, which would put the value :math:`+1` at the grid
    point :math:`\pi` of :func:`uniform_grid` (an even number of points contains it
    exactly) and break the odd symmetry of the samples.

    Used in
    -------
    :doc:`/chapters/01_approximation` (:prf:ref:`cor-trig-density`), a target outside
    :math:`C_{\mathrm{per}}`.
    """
    y = np.mod(check_real_array("x", x), TWO_PI)
    return np.where((y > 0) & (y < np.pi), 1.0, np.where(y > np.pi, -1.0, 0.0))
