r"""Trigonometric polynomials on the circle: evaluation, Fourier truncation, least squares, errors.

The hypothesis spaces of chapter 1 are

.. math::

    \mathcal H_m = \Big\{ a_0 + \sum_{k=1}^{m-1} a_k \cos(kx) + b_k \sin(kx) \Big\},
    \qquad \dim \mathcal H_m = 2m - 1,

trigonometric polynomials of degree ``< m`` on the circle :math:`[0, 2\pi)`. A polynomial
is stored by its coefficient vector ``c = (a_0, a_1, ..., a_{m-1}, b_1, ..., b_{m-1})`` of
length ``2m - 1``. This module evaluates polynomials (:func:`trig_eval`,
:func:`trig_derivative`), computes the :math:`L^2`-best element of :math:`\mathcal H_m`
(:func:`fourier_truncation`, by FFT) and the discrete least-squares fit
(:func:`least_squares_fit`), and measures errors on grids (:func:`sup_error`,
:func:`l2_error`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .._validation import (
    check_callable,
    check_nonnegative_int,
    check_positive_int,
    check_real_array,
)

__all__ = [
    "TWO_PI",
    "uniform_grid",
    "grid_values",
    "check_coefficients",
    "dft_coefficients",
    "trig_design_matrix",
    "trig_eval",
    "trig_derivative",
    "fourier_truncation",
    "least_squares_fit",
    "sup_error",
    "l2_error",
    "square_wave",
]


#: :math:`2\pi`, the length of the circle.
TWO_PI = 2.0 * np.pi


def uniform_grid(n: int) -> np.ndarray:
    r"""The ``n`` points :math:`x_j = 2\pi j / n`, ``j = 0..n-1``, of the circle.

    Used in
    -------
    :doc:`/chapters/01_approximation`.
    """
    n = check_positive_int("n", n)
    return TWO_PI * np.arange(n) / n


def trig_design_matrix(x: ArrayLike, m: int) -> np.ndarray:
    r"""Matrix ``A`` with ``A @ c = p(x)`` for :math:`p \in \mathcal H_m`.

    Columns: :math:`1, \cos x, \dots, \cos((m-1)x), \sin x, \dots, \sin((m-1)x)`;
    shape ``(len(x), 2m - 1)``.

    Used in
    -------
    Used by :func:`trig_eval` and :func:`~dynapprox.trigonometric.best.best_uniform_approximation` (in
    :doc:`/chapters/01_approximation`).
    """
    x = check_real_array("x", x, ndim=1)
    m = check_positive_int("m", m)
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
        raise ValueError(
            f"coef must have odd length 2m-1, got length {coef.size}"
        )
    m = (coef.size + 1) // 2
    return trig_design_matrix(x, m) @ coef


def grid_values(
    f: Callable[[np.ndarray], np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """The grid :func:`uniform_grid` ``(n)`` and the values of ``f`` on it (checked to have its shape).

    Used in
    -------
    Used by :func:`dynapprox.trigonometric.best.alternation_lower_bound` and
    :func:`dynapprox.trigonometric.best.best_uniform_approximation` (in :doc:`/chapters/01_approximation`).
    """
    x = uniform_grid(n)
    fx = np.asarray(f(x), dtype=float)
    if fx.shape != x.shape:
        raise ValueError(
            f"f must map an array of shape {x.shape} to one of the same shape, got {fx.shape}"
        )
    return x, fx


def check_coefficients(coef: ArrayLike) -> tuple[np.ndarray, int]:
    """Return ``coef`` as a float array of odd length ``2m - 1`` and the budget ``m``, else raise.

    Used in
    -------
    Used by every function of :mod:`dynapprox.trigonometric` that takes coefficients (in
    :doc:`/chapters/01_approximation`).
    """
    coef = check_real_array("coef", coef, ndim=1)
    if coef.size % 2 != 1:
        raise ValueError(
            f"coef must have odd length 2m-1, got length {coef.size}"
        )
    return coef, (coef.size + 1) // 2


def trig_derivative(coef: ArrayLike, order: int = 1) -> np.ndarray:
    r"""Coefficients of the derivative :math:`p^{(r)}` of :math:`p \in \mathcal H_m`, ``r = order``.

    One derivative maps :math:`a_k \cos kx + b_k \sin kx` to
    :math:`k b_k \cos kx - k a_k \sin kx`, so :math:`(a_k, b_k) \mapsto (k b_k, -k a_k)`
    and :math:`a_0 \mapsto 0`; the result is again in :math:`\mathcal H_m`, in the
    layout of the module docstring (length ``2m - 1``).

    Used in
    -------
    Used by :func:`~dynapprox.trigonometric.best.certified_sup_error` (in :doc:`/chapters/01_approximation`).
    """

    coef, m = check_coefficients(coef)
    order = check_nonnegative_int("order", order)
    k = np.arange(1, m, dtype=float)
    a, b = coef[1:m].copy(), coef[m:].copy()
    for _ in range(order):
        a, b = k * b, -k * a
    out = np.empty_like(coef)
    out[0] = coef[0] if order == 0 else 0.0
    out[1:m], out[m:] = a, b
    return out


def dft_coefficients(values: np.ndarray, m: int) -> np.ndarray:
    r"""Coefficients in :math:`\mathcal H_m` of the truncated DFT of samples on :func:`uniform_grid`.

    With :math:`\hat f_k = \frac1n \sum_j f(x_j) e^{-ikx_j}`: :math:`a_0 = \hat f_0`,
    :math:`a_k = 2\operatorname{Re}\hat f_k`, :math:`b_k = -2\operatorname{Im}\hat f_k`
    for :math:`0 < k < m`: the discrete least-squares projection onto :math:`\mathcal H_m`.

    Parameters
    ----------
    values : numpy.ndarray
        Samples :math:`f(x_j)` at the ``n`` points of :func:`uniform_grid`, ``n > 2(m-1)``.
    m : int
        Budget.

    Returns
    -------
    coef : numpy.ndarray
        Length ``2m - 1``.

    Used in
    -------
    Used by :func:`fourier_truncation`, :func:`least_squares_fit` and
    :func:`dynapprox.trigonometric.best.best_uniform_approximation` (in :doc:`/chapters/01_approximation`).
    """
    n = values.size
    if n < 2 * m - 1:
        raise ValueError(
            f"need at least 2m-1 = {2 * m - 1} samples for degree < m = {m}, got {n}"
        )
    if 2 * (m - 1) >= n:
        # frequency m-1 would alias with -(m-1); keep the projection well defined
        raise ValueError(
            f"n_grid must exceed 2(m-1) = {2 * (m - 1)}, got {n}"
        )
    fhat = (
        np.fft.rfft(values) / n
    )  # fhat[k] = (1/n) sum_j f(x_j) e^{-ikx_j}
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
    m = check_positive_int("m", m)
    n_grid = check_positive_int("n_grid", n_grid)
    x = uniform_grid(n_grid)
    values = np.asarray(f(x), dtype=float)
    if values.shape != x.shape:
        raise ValueError(
            f"f must map an array of shape {x.shape} to one of the same shape, got {values.shape}"
        )
    return dft_coefficients(values, m)


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
    m = check_positive_int("m", m)
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


def sup_error(
    f: Callable[[np.ndarray], np.ndarray],
    coef: ArrayLike,
    n_grid: int = 16384,
) -> float:
    r""":math:`\max_j |f(x_j) - p(x_j)|` on ``n_grid`` uniform points.

    A sampled maximum: an estimate of :math:`\|f - p\|_\infty` from below, not a bound
    (see :func:`~dynapprox.trigonometric.best.certified_sup_error` for a proven upper bound).

    Used in
    -------
    :doc:`/chapters/01_approximation`.
    """
    f = check_callable("f", f)
    x = uniform_grid(check_positive_int("n_grid", n_grid))
    return float(
        np.max(np.abs(np.asarray(f(x), dtype=float) - trig_eval(coef, x)))
    )


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
    return np.where(
        (y > 0) & (y < np.pi), 1.0, np.where(y > np.pi, -1.0, 0.0)
    )
