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
  (``scipy.optimize.linprog``) on a grid, with a certified bracket
  ``lower <= E_m(f) <= upper``.

A polynomial is stored by its coefficient vector
``c = (a_0, a_1, ..., a_{m-1}, b_1, ..., b_{m-1})`` of length ``2m - 1``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.optimize import linprog

from ._validation import check_callable, check_positive_int, check_real_array

__all__ = [
    "uniform_grid",
    "trig_design_matrix",
    "trig_eval",
    "fourier_truncation",
    "least_squares_fit",
    "BestApproximation",
    "best_uniform_approximation",
    "sup_error",
    "l2_error",
    "favard_constant",
    "jackson_bound",
]

TWO_PI = 2.0 * np.pi


def uniform_grid(n: int) -> np.ndarray:
    r"""The ``n`` points :math:`x_j = 2\pi j / n`, ``j = 0..n-1``, of the circle."""
    n = check_positive_int("n", n)
    return TWO_PI * np.arange(n) / n


def _check_m(m) -> int:
    return check_positive_int("m", m)


def trig_design_matrix(x, m: int) -> np.ndarray:
    r"""Matrix ``A`` with ``A @ c = p(x)`` for :math:`p \in \mathcal H_m`.

    Columns: :math:`1, \cos x, \dots, \cos((m-1)x), \sin x, \dots, \sin((m-1)x)`;
    shape ``(len(x), 2m - 1)``.
    """
    x = check_real_array("x", x, ndim=1)
    m = _check_m(m)
    k = np.arange(m)
    cos = np.cos(np.outer(x, k))
    sin = np.sin(np.outer(x, k[1:]))
    return np.hstack([cos, sin])


def trig_eval(coef, x) -> np.ndarray:
    r"""Evaluate :math:`p(x) = a_0 + \sum_{k<m} a_k\cos kx + b_k \sin kx`.

    ``coef`` has odd length ``2m - 1`` in the layout of the module docstring.
    """
    coef = check_real_array("coef", coef, ndim=1)
    if coef.size % 2 != 1:
        raise ValueError(f"coef must have odd length 2m-1, got length {coef.size}")
    m = (coef.size + 1) // 2
    return trig_design_matrix(x, m) @ coef


def _coefficients_from_dft(values: np.ndarray, m: int) -> np.ndarray:
    n = values.size
    if n < 2 * m - 1:
        raise ValueError(f"need at least 2m-1 = {2 * m - 1} samples for degree < m = {m}, got {n}")
    if 2 * (m - 1) >= n:
        # frequency m-1 would alias with -(m-1); keep the projection well defined
        raise ValueError(f"n_grid must exceed 2(m-1) = {2 * (m - 1)}, got {n}")
    fhat = np.fft.rfft(values) / n  # fhat[k] = (1/n) sum_j f(x_j) e^{-ikx_j}
    a = 2.0 * fhat.real[:m]
    b = -2.0 * fhat.imag[1:m]
    a[0] = fhat.real[0]
    return np.concatenate([a, b])


def fourier_truncation(f: Callable[[np.ndarray], np.ndarray], m: int, n_grid: int = 4096) -> np.ndarray:
    r"""Coefficients of the :math:`L^2`-best approximation of ``f`` in :math:`\mathcal H_m`.

    The :math:`L^2(0, 2\pi)` projection keeps the Fourier coefficients
    :math:`\hat f_k = \frac{1}{2\pi}\int_0^{2\pi} f(x) e^{-ikx}dx` with :math:`|k| < m`.
    They are computed by the FFT of ``n_grid`` uniform samples (the trapezoidal rule,
    spectrally accurate for smooth periodic ``f``; the aliasing error is the sum of
    :math:`|\hat f_{k + j n}|` over ``j != 0``).

    Returns the coefficient vector of length ``2m - 1``.
    """
    f = check_callable("f", f)
    m = _check_m(m)
    n_grid = check_positive_int("n_grid", n_grid)
    x = uniform_grid(n_grid)
    values = np.asarray(f(x), dtype=float)
    if values.shape != x.shape:
        raise ValueError(f"f must map an array of shape {x.shape} to one of the same shape, got {values.shape}")
    return _coefficients_from_dft(values, m)


def least_squares_fit(x, y, m: int) -> np.ndarray:
    r"""Least-squares coefficients :math:`\arg\min_c \sum_j |y_j - p_c(x_j)|^2` in :math:`\mathcal H_m`.

    Solved with :func:`numpy.linalg.lstsq` on the design matrix; needs at least
    ``2m - 1`` points. Returns the coefficient vector of length ``2m - 1``.
    """
    x = check_real_array("x", x, ndim=1)
    y = check_real_array("y", y, ndim=1)
    m = _check_m(m)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    if x.size < 2 * m - 1:
        raise ValueError(f"need at least 2m-1 = {2 * m - 1} points for m = {m}, got {x.size}")
    A = trig_design_matrix(x, m)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return coef


@dataclass(frozen=True)
class BestApproximation:
    r"""Best uniform approximation from a grid LP.

    Attributes
    ----------
    coef : numpy.ndarray
        Coefficients of the LP minimiser (length ``2m - 1``).
    lower : float
        The LP optimum, :math:`\min_p \max_{x \in \text{grid}} |f - p|`, a lower
        bound of :math:`E_m(f)` (a sup over fewer points).
    upper : float
        :math:`\max |f - p|` of the minimiser on a ``refine``-times finer grid,
        an upper bound of :math:`E_m(f)`, exact up to the sampling of the
        sup of one fixed function.
    """

    coef: np.ndarray
    lower: float
    upper: float


def best_uniform_approximation(
    f: Callable[[np.ndarray], np.ndarray], m: int, n_grid: int = 2048, refine: int = 8
) -> BestApproximation:
    r"""Best approximation of ``f`` in :math:`\mathcal H_m` in the sup norm, by linear programming.

    Solves :math:`\min_{c, t} t` subject to :math:`|f(x_j) - (Ac)_j| \le t` on ``n_grid``
    uniform points with HiGHS (``scipy.optimize.linprog``). The optimum ``lower`` is
    at most :math:`E_m(f)`; the minimiser's error on a ``refine``-times finer grid,
    ``upper``, is at least :math:`E_m(f)`.
    """
    f = check_callable("f", f)
    m = _check_m(m)
    n_grid = check_positive_int("n_grid", n_grid)
    refine = check_positive_int("refine", refine)
    if n_grid < 4 * m:
        raise ValueError(f"n_grid must be at least 4m = {4 * m} for a meaningful sup on the grid, got {n_grid}")
    x = uniform_grid(n_grid)
    fx = np.asarray(f(x), dtype=float)
    if fx.shape != x.shape:
        raise ValueError(f"f must map an array of shape {x.shape} to one of the same shape, got {fx.shape}")
    A = trig_design_matrix(x, m)
    p = A.shape[1]
    # HiGHS tolerances are absolute (about 1e-7): rescale the problem so that the
    # optimum is of order one, using the truncation error (>= E_m) as the scale.
    scale = float(np.max(np.abs(fx - A @ _coefficients_from_dft(fx, m)))) if n_grid > 2 * (m - 1) else 1.0
    if scale == 0.0:
        return BestApproximation(coef=_coefficients_from_dft(fx, m), lower=0.0, upper=0.0)
    fx = fx / scale
    ones = np.ones((n_grid, 1))
    # variables (c, t): minimise t with  A c - t <= f  and  -A c - t <= -f
    A_ub = np.block([[A, -ones], [-A, -ones]])
    b_ub = np.concatenate([fx, -fx])
    cost = np.zeros(p + 1)
    cost[-1] = 1.0
    bounds = [(None, None)] * p + [(0, None)]
    res = linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if res.status != 0:  # pragma: no cover - HiGHS solves these small LPs
        raise RuntimeError(f"linprog failed: {res.message}")
    coef = res.x[:p] * scale
    fine = uniform_grid(n_grid * refine)
    upper = float(np.max(np.abs(np.asarray(f(fine), dtype=float) - trig_eval(coef, fine))))
    return BestApproximation(coef=coef, lower=float(res.x[-1]) * scale, upper=upper)


def sup_error(f: Callable[[np.ndarray], np.ndarray], coef, n_grid: int = 16384) -> float:
    r""":math:`\max_j |f(x_j) - p(x_j)|` on ``n_grid`` uniform points (estimate of :math:`\|f - p\|_\infty`)."""
    f = check_callable("f", f)
    x = uniform_grid(check_positive_int("n_grid", n_grid))
    return float(np.max(np.abs(np.asarray(f(x), dtype=float) - trig_eval(coef, x))))


def l2_error(f: Callable[[np.ndarray], np.ndarray], coef, n_grid: int = 16384) -> float:
    r"""Normalised :math:`L^2` error :math:`\big(\frac{1}{2\pi}\int_0^{2\pi}|f - p|^2\big)^{1/2}` by the trapezoidal rule."""
    f = check_callable("f", f)
    x = uniform_grid(check_positive_int("n_grid", n_grid))
    r = np.asarray(f(x), dtype=float) - trig_eval(coef, x)
    return float(np.sqrt(np.mean(r**2)))


def favard_constant(r: int) -> float:
    r"""Favard's constant :math:`K_r = \frac{4}{\pi}\sum_{j\ge 0} \big(\frac{(-1)^j}{2j+1}\big)^{r+1}`.

    :math:`K_0 = 1`, :math:`K_1 = \pi/2`, :math:`K_2 = \pi^2/8`, :math:`K_3 = \pi^3/24`;
    for :math:`r \ge 1`, :math:`1 < K_r \le \pi/2` and :math:`K_r \to 4/\pi`.
    Computed in closed form with :func:`scipy.special.zeta` (Hurwitz zeta): for
    :math:`s = r + 1` even the sum is :math:`(1 - 2^{-s})\zeta(s)`, for ``s`` odd it is
    the Dirichlet beta function :math:`4^{-s}(\zeta(s, 1/4) - \zeta(s, 3/4))`.
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
    """
    m = _check_m(m)
    alpha = check_positive_int("alpha", alpha)
    if derivative_sup_norm < 0 or not np.isfinite(derivative_sup_norm):
        raise ValueError(f"derivative_sup_norm must be a finite non-negative number, got {derivative_sup_norm}")
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

    def __call__(self, x) -> np.ndarray:
        return np.abs(np.sin(self.omega * np.asarray(x, dtype=float))) ** self.k

    def derivative(self, order: int, x) -> np.ndarray:
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

    def derivative_sup_norm(self, order: int | None = None, n_grid: int = 200001) -> float:
        r""":math:`\|f^{(\text{order})}\|_\infty` (default ``order = alpha``), sampled on a fine grid of :math:`[0, 2\pi]`."""
        order = self.alpha if order is None else order
        x = np.linspace(0.0, 2 * np.pi, check_positive_int("n_grid", n_grid))
        return float(np.max(np.abs(self.derivative(order, x))))


__all__.append("AbsSinPower")
