r"""Approximation of periodic functions by trigonometric polynomials (chapter 1).

The hypothesis spaces are

.. math::

    \mathcal H_m = \Big\{ a_0 + \sum_{k=1}^{m-1} a_k \cos(kx) + b_k \sin(kx) \Big\},
    \qquad \dim \mathcal H_m = 2m - 1,

trigonometric polynomials of degree ``< m`` on the circle :math:`[0, 2\pi)`, stored by
their coefficient vectors ``c = (a_0, a_1, ..., a_{m-1}, b_1, ..., b_{m-1})``. The
subpackage has one module per object:

* :mod:`dynapprox.trigonometric.polynomials` - evaluation, Fourier truncation (the
  :math:`L^2`-best element), least squares, sampled errors;
* :mod:`dynapprox.trigonometric.best` - the best uniform approximation by linear
  programming, with a proven bracket ``lower <= E_m(f) <= upper``;
* :mod:`dynapprox.trigonometric.jackson` - the Jackson-Favard bound and targets of given
  smoothness.

Every public name is re-exported here (``trig.fourier_truncation``, ...).
"""

from __future__ import annotations

from .best import (
    BestApproximation,
    PiecewiseSmoothTarget,
    alternation_lower_bound,
    best_uniform_approximation,
    certified_sup_error,
)
from .jackson import AbsSinPower, favard_constant, jackson_bound
from .polynomials import (
    TWO_PI,
    check_coefficients,
    dft_coefficients,
    fourier_truncation,
    grid_values,
    l2_error,
    least_squares_fit,
    square_wave,
    sup_error,
    trig_derivative,
    trig_design_matrix,
    trig_eval,
    uniform_grid,
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
    "PiecewiseSmoothTarget",
    "certified_sup_error",
    "alternation_lower_bound",
    "BestApproximation",
    "best_uniform_approximation",
    "favard_constant",
    "jackson_bound",
    "AbsSinPower",
]
