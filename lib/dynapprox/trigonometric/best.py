r"""Best uniform approximation by trigonometric polynomials, with a proven bracket of :math:`E_m(f)`.

:func:`best_uniform_approximation` computes the best approximation in the sup norm,
:math:`E_m(f) = \inf_{p \in \mathcal H_m} \|f - p\|_\infty`, by a linear programme
(``scipy.optimize.linprog``) on a grid, with a bracket ``lower <= E_m(f) <= upper`` whose
two ends are proven bounds: ``lower`` by de la Vallee Poussin's alternation argument
(:func:`alternation_lower_bound`), ``upper`` by a Taylor bound between the grid points
(:func:`certified_sup_error`) for targets that know their derivatives
(:class:`PiecewiseSmoothTarget`, e.g. :class:`dynapprox.trigonometric.jackson.AbsSinPower`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import linprog

from .._validation import check_callable, check_positive_int
from .polynomials import (
    TWO_PI,
    check_coefficients,
    dft_coefficients,
    grid_values,
    trig_derivative,
    trig_design_matrix,
    trig_eval,
    uniform_grid,
)

__all__ = [
    "PiecewiseSmoothTarget",
    "certified_sup_error",
    "alternation_lower_bound",
    "BestApproximation",
    "best_uniform_approximation",
]


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

    :class:`dynapprox.trigonometric.jackson.AbsSinPower` is one. :func:`certified_sup_error` needs these to bound
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
    f: PiecewiseSmoothTarget,
    coef: ArrayLike,
    n_grid: int = 16384,
    order: int = 6,
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
        The target, e.g. :class:`~dynapprox.trigonometric.jackson.AbsSinPower`.
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
    coef, m = check_coefficients(coef)
    n_grid = check_positive_int("n_grid", n_grid)
    order = check_positive_int("order", order)
    if n_grid < 2 * m:
        raise ValueError(
            f"n_grid must be at least 2m = {2 * m}, got {n_grid}"
        )
    bp = (
        np.mod(np.asarray(f.breakpoints(), dtype=float), TWO_PI)
        * n_grid
        / TWO_PI
    )
    if bp.size and np.max(np.abs(bp - np.round(bp))) > 1e-9:
        raise ValueError(
            f"every break point of f must be a grid point 2 pi j / n_grid; n_grid = {n_grid} is not"
        )
    # midpoints c_j; the computed c_j may be off by a few ulps of 2 pi: widen eta accordingly
    c = TWO_PI * (np.arange(n_grid) + 0.5) / n_grid
    eta = np.pi / n_grid + 8 * _U * TWO_PI
    A = trig_design_matrix(c, m)
    k = np.arange(1, m, dtype=float)
    amp = np.hypot(
        coef[1:m], coef[m:]
    )  # |a_k cos kx + b_k sin kx| <= amp_k
    total = np.zeros(n_grid)
    rounding = 0.0
    for i in range(order):
        weight = eta**i / math.factorial(i)
        e_i = np.asarray(
            f.derivative(i, c), dtype=float
        ) - A @ trig_derivative(coef, i)
        total += np.abs(e_i) * weight
        P_i = (abs(coef[0]) if i == 0 else 0.0) + float(np.sum(k**i * amp))
        rounding += (
            _rounding_allowance(m, float(f.derivative_bound(i)) + P_i)
            * weight
        )
    P_r = float(np.sum(k**order * amp))
    remainder = (
        (float(f.derivative_bound(order)) + P_r)
        * eta**order
        / math.factorial(order)
    )
    return float(np.max(total)) + remainder + rounding


def alternation_lower_bound(
    f: Callable[[np.ndarray], np.ndarray],
    coef: ArrayLike,
    n_grid: int = 16384,
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
    coef, m = check_coefficients(coef)
    n_grid = check_positive_int("n_grid", n_grid)
    if n_grid < 2 * m:
        raise ValueError(
            f"n_grid must be at least 2m = {2 * m}, got {n_grid}"
        )
    x, fx = grid_values(f, n_grid)
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
        return (
            int(np.count_nonzero(s != np.roll(s, 1))) if s.size >= 2 else 0
        )

    levels = np.unique(np.abs(e[e != 0]))
    if levels.size == 0 or sign_changes(levels[0]) < 2 * m:
        return 0.0
    lo, hi = (
        0,
        levels.size - 1,
    )  # the largest level with >= 2m cyclic sign changes
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
    f: Callable[[np.ndarray], np.ndarray],
    m: int,
    n_grid: int = 2048,
    refine: int = 8,
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
    m = check_positive_int("m", m)
    n_grid = check_positive_int("n_grid", n_grid)
    refine = check_positive_int("refine", refine)
    if n_grid < 4 * m:
        raise ValueError(
            f"n_grid must be at least 4m = {4 * m} for a meaningful sup on the grid, got {n_grid}"
        )
    x, fx = grid_values(f, n_grid)
    A = trig_design_matrix(x, m)
    p = A.shape[1]
    # HiGHS tolerances are absolute (about 1e-7): rescale the problem so that the
    # optimum is of order one, using the truncation error (>= E_m) as the scale.
    coef_trunc = dft_coefficients(fx, m)
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
        res = linprog(
            cost, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs"
        )
        if (
            res.status != 0
        ):  # pragma: no cover - HiGHS solves these small LPs
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
        coef=coef,
        lower=lower,
        upper=upper,
        sampled=sampled,
        lp_value=lp_value,
    )
