"""Unit tests of dynapprox.rates (dynapprox.reproducibility and dynapprox.plotting: tests/lib)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dynapprox.rates import fit_loglog_rate


def test_exact_power_law_is_recovered():
    m = np.array([4, 8, 16, 32, 64])
    fit = fit_loglog_rate(m, 3.0 * m**-2.5)
    assert fit.slope == pytest.approx(-2.5, abs=1e-12)
    assert fit.constant == pytest.approx(3.0, rel=1e-12)
    assert fit.stderr < 1e-12 and fit.ci_low <= fit.slope <= fit.ci_high


def test_confidence_interval_matches_scipy_and_covers():
    rng = np.random.default_rng(0)
    m = np.geomspace(4, 256, 8)
    covered = 0
    trials = 400
    for _ in range(trials):
        err = 2.0 * m**-1.5 * np.exp(0.1 * rng.normal(size=m.size))
        fit = fit_loglog_rate(m, err, confidence=0.9)
        covered += fit.contains(-1.5)
    # a 90% interval covers the true slope in about 90% of the trials (binomial sd 1.5%)
    assert 0.85 <= covered / trials <= 0.95
    res = stats.linregress(np.log(m), np.log(err))
    assert fit.stderr == pytest.approx(res.stderr)


@pytest.mark.parametrize(
    "m, err, words",
    [
        ([1, 2], [1, 2], "at least 3"),
        ([1, 2, 3], [1, 2, 4, 5], "same shape"),
        ([1, 2, 3], [1, 0, 2], "err must be positive"),
        ([0, 2, 3], [1, 1, 2], "m must be positive"),
        ([2, 2, 3], [1, 1, 2], "3 distinct"),
    ],
)
def test_fit_rejects_bad_input(m, err, words):
    with pytest.raises(ValueError, match=words):
        fit_loglog_rate(m, err)
