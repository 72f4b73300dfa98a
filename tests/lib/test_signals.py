"""Unit tests of dynapprox.signals."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox import signals


def test_time_grid():
    t = signals.time_grid(2.0, 0.1)
    assert t.shape == (20,)
    np.testing.assert_allclose(t, 0.1 * np.arange(20))
    with pytest.raises(ValueError, match="dt must be at most T"):
        signals.time_grid(1.0, 2.0)
    with pytest.raises(ValueError, match="T must be positive"):
        signals.time_grid(-1.0, 0.1)


def test_step_and_impulse():
    x = signals.step(5, 3, 1)
    assert x.shape == (5, 3)
    np.testing.assert_array_equal(x[:, 1], 1.0)
    assert x[:, [0, 2]].sum() == 0
    imp = signals.impulse(5, 2, 0, 0.25)
    assert imp[0, 0] == 4.0 and imp.sum() * 0.25 == 1.0
    with pytest.raises(ValueError, match="i must be a channel index"):
        signals.step(5, 2, 2)
    with pytest.raises(TypeError, match="n_t must be a positive integer"):
        signals.step(2.5, 1, 0)


def test_smooth_random_is_seeded_smooth_and_normalised():
    a = signals.smooth_random(2000, 2, 0.01, seed=3, corr_time=0.5)
    b = signals.smooth_random(2000, 2, 0.01, seed=3, corr_time=0.5)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.sqrt(np.mean(a**2, axis=0)), 1.0)
    # smooth: increments over one step are small compared with the values (Gaussian filter of width 50 steps)
    assert np.max(np.abs(np.diff(a, axis=0))) < 0.1
    c = signals.smooth_random(2000, 2, 0.01, seed=4, corr_time=0.5)
    assert not np.allclose(a, c)
    with pytest.raises(ValueError, match="seed"):
        signals.smooth_random(10, 1, 0.1, seed=None)


def test_piecewise_constant_and_white_noise():
    x = signals.piecewise_constant(100, 1, 0.1, seed=0, hold=1.0)
    assert np.all(np.abs(x) <= 1)
    # constant on blocks of 10 steps
    assert np.all(x.reshape(10, 10)[:, :1] == x.reshape(10, 10))
    w = signals.white_noise(200000, 1, 0.01, seed=1)
    # variance 1/dt = 100 up to sampling error (relative sd sqrt(2/n) = 0.3%)
    assert abs(w.var() / 100 - 1) < 0.02
    with pytest.raises(ValueError, match="hold must be positive"):
        signals.piecewise_constant(10, 1, 0.1, seed=0, hold=0.0)
