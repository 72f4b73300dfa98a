"""Fitted convergence rates on log-log axes.

An approximation rate ``err(m) ~ C m^{-a}`` is a straight line of slope ``-a`` in
``(log m, log err)``. :func:`fit_loglog_rate` fits that line by least squares and
reports the slope with a Student-t confidence interval, so a chapter can assert
that a theoretical rate lies inside the interval (or within a stated tolerance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ._validation import check_real_array

__all__ = ["RateFit", "fit_loglog_rate"]


@dataclass(frozen=True)
class RateFit:
    """Result of fitting ``log err = log C + slope * log m``.

    Attributes
    ----------
    slope : float
        Fitted exponent (negative for a decaying error).
    intercept : float
        Fitted ``log C``.
    stderr : float
        Standard error of the slope.
    ci_low, ci_high : float
        Ends of the two-sided confidence interval of the slope.
    confidence : float
        Confidence level of that interval.
    n : int
        Number of points used.

    Used in
    -------
    Returned by :func:`fit_loglog_rate` (in :doc:`/chapters/01_approximation` and the chapters
    listed there).
    """

    slope: float
    intercept: float
    stderr: float
    ci_low: float
    ci_high: float
    confidence: float
    n: int

    @property
    def constant(self) -> float:
        """The fitted constant ``C = exp(intercept)``."""
        return float(np.exp(self.intercept))

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the confidence interval of the slope."""
        return self.ci_low <= value <= self.ci_high

    def __str__(self) -> str:
        pct = round(100 * self.confidence)
        ci = f"[{self.ci_low:+.3f}, {self.ci_high:+.3f}]"
        return f"slope {self.slope:+.3f} ± {self.stderr:.3f} ({pct}% CI {ci}, n={self.n})"


def fit_loglog_rate(
    m: ArrayLike, err: ArrayLike, confidence: float = 0.95
) -> RateFit:
    """Fit ``err ≈ C m^slope`` by least squares on ``(log m, log err)``.

    Parameters
    ----------
    m : array_like
        Sizes, positive, with at least 3 distinct values.
    err : array_like
        Errors, positive, same shape as ``m``.
    confidence : float
        Level of the two-sided t-interval for the slope, in (0, 1).

    Returns
    -------
    RateFit
        Slope, intercept, standard error and the confidence interval
        ``slope ± t_{(1+confidence)/2, n-2} * stderr``.

    Used in
    -------
    :doc:`/chapters/01_approximation` (:prf:ref:`thm-jackson`),
    :doc:`/chapters/02_composition_dynamics` (:prf:ref:`thm-euler-convergence`),
    :doc:`/chapters/03_flow_approximation`, :doc:`/chapters/05_optimal_control`,
    :doc:`/chapters/09_rates_memory`.
    """
    m = check_real_array("m", m, ndim=1, min_size=3)
    err = check_real_array("err", err, ndim=1, min_size=3)
    if m.shape != err.shape:
        raise ValueError(
            f"m and err must have the same shape, got {m.shape} and {err.shape}"
        )
    if np.any(m <= 0):
        raise ValueError("m must be positive")
    if np.any(err <= 0):
        raise ValueError(
            "err must be positive (a zero error has no logarithm; drop exact fits)"
        )
    if len(np.unique(m)) < 3:
        raise ValueError("m must contain at least 3 distinct values")
    if not 0 < confidence < 1:
        raise ValueError(
            f"confidence must lie in (0, 1), got {confidence}"
        )
    res = stats.linregress(np.log(m), np.log(err))
    n = m.size
    tq = stats.t.ppf(0.5 + confidence / 2, df=n - 2)
    half = tq * res.stderr
    return RateFit(
        slope=float(res.slope),
        intercept=float(res.intercept),
        stderr=float(res.stderr),
        ci_low=float(res.slope - half),
        ci_high=float(res.slope + half),
        confidence=float(confidence),
        n=int(n),
    )
