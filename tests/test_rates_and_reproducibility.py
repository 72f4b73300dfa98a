"""Unit tests of dynapprox.rates, dynapprox.reproducibility and dynapprox.plotting."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dynapprox import reproducibility
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


def test_seed_everything_is_deterministic():
    import torch

    g1 = reproducibility.seed_everything(3)
    a = (g1.normal(size=3), np.random.rand(), torch.rand(2))
    g2 = reproducibility.seed_everything(3)
    b = (g2.normal(size=3), np.random.rand(), torch.rand(2))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]
    assert torch.equal(a[2], b[2])


def test_rng_and_generators():
    g = np.random.default_rng(5)
    assert reproducibility.rng(g) is g
    np.testing.assert_array_equal(reproducibility.rng(7).normal(size=2), np.random.default_rng(7).normal(size=2))
    with pytest.raises(ValueError, match="seed"):
        reproducibility.rng(None)
    with pytest.raises(ValueError, match="seed must be a non-negative"):
        reproducibility.seed_everything(-1)
    import torch

    t1 = torch.rand(3, generator=reproducibility.torch_generator(4))
    t2 = torch.rand(3, generator=reproducibility.torch_generator(4))
    assert torch.equal(t1, t2)


def test_book_style_sets_colour_blind_cycle():
    import matplotlib as mpl

    from dynapprox.plotting import OKABE_ITO, use_book_style

    use_book_style()
    colours = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
    assert colours == list(OKABE_ITO)
