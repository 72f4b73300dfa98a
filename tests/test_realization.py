"""Unit tests of dynapprox.realization."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg

from dynapprox import kernels, realization, signals
from dynapprox.linear_rnn import LinearRNN


def test_hankel_singular_values_match_numpy_svd():
    dt = 0.1
    t = signals.time_grid(20.0, dt)
    rho = kernels.delayed_bump(3.0, 1.0)(t)[:, 0]
    n = (t.size - 1) // 2
    H = linalg.hankel(rho[:n], rho[n - 1 : 2 * n - 1])
    np.testing.assert_allclose(realization.hankel_matrix(rho), H)
    np.testing.assert_allclose(realization.hankel_singular_values(rho, dt), np.linalg.svd(dt * H, compute_uv=False),
                               rtol=1e-12, atol=1e-15)


def test_hankel_singular_value_of_an_exponential():
    # rank one: sigma_1 = dt sum_k e^{-2 a t_k} (finite window), -> 1/(2a) as dt -> 0 and T -> inf
    a, dt = 0.7, 0.05
    t = signals.time_grid(40.0, dt)
    s = realization.hankel_singular_values(np.exp(-a * t), dt)
    n = (t.size - 1) // 2
    q = np.exp(-2 * a * dt)
    exact = dt * (1 - q**n) / (1 - q)
    assert s[0] == pytest.approx(exact, rel=1e-10)
    # rectangle rule: dt / (1 - e^{-2 a dt}) = 1/(2a) + dt/2 + O(dt^2), i.e. 3.5% above 1/(2a) here
    assert s[0] - 1 / (2 * a) == pytest.approx(dt / 2, rel=0.05)
    assert s[1] < 1e-12 * s[0]


def test_era_recovers_an_exact_low_order_system():
    # 4 modes: two real exponentials and one damped oscillation, two input channels
    rng = np.random.default_rng(0)
    W = linalg.block_diag([[-0.5]], [[-2.0]], [[-0.3, 1.5], [-1.5, -0.3]])
    true = LinearRNN(W, rng.normal(size=(4, 2)), rng.normal(size=4))
    dt = 0.05
    t = signals.time_grid(30.0, dt)
    rho = true.kernel(t)
    fit = realization.era_fit(rho, dt, 4)
    assert fit.m == 4
    t_long = signals.time_grid(60.0, dt)  # also beyond the fitting window
    err = realization.l1_distance(true.kernel(t_long), fit.kernel(t_long), dt)
    assert err < 1e-8 * realization.l1_distance(rho, 0 * rho, dt)
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(fit.W).real), [-2.0, -0.5, -0.3, -0.3], atol=1e-8)


@pytest.mark.parametrize("kernel", [kernels.delayed_bump(3.0, 1.0), kernels.sum_kernels(
    kernels.exponential(1.0), kernels.oscillating(0.5, 2.0), kernels.delayed_bump(2.0, 0.7))])
def test_era_error_is_within_a_small_factor_of_the_hankel_singular_value(kernel):
    dt = 0.05
    t = signals.time_grid(30.0, dt)
    rho = kernel(t)
    s = realization.hankel_singular_values(rho, dt)
    ms = [3, 5, 7, 9]
    for m, fit in zip(ms, realization.era_fits(rho, dt, ms)):
        err = realization.l1_distance(rho, fit.kernel(t), dt)
        # AAK/Glover lower bound sigma_{m+1} <= H_inf error <= L1 error (up to discretisation),
        # and ERA (approximately balanced truncation) stays within a small factor above it
        assert 0.9 * s[m] <= err <= 20 * s[m], (m, err, s[m])


def test_l1_distance():
    assert realization.l1_distance([1.0, -1.0, 2.0], [0.0, 0.0, 0.0], 0.5) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="same shape"):
        realization.l1_distance(np.ones(3), np.ones(4), 0.1)


@pytest.mark.parametrize("parameterisation,m", [("diag", 4), ("complex", 2), ("full", 2)])
def test_training_fits_a_realisable_kernel(parameterisation, m):
    # (a real diagonal model of width 2 on this 2-mode target can stall at the symmetric saddle
    # where both modes coincide, loss ~2e-2 of the initial one; width 4 escapes it)
    dt = 0.1
    t = signals.time_grid(10.0, dt)
    rho = kernels.exponential([0.5, 1.5], weights=[1.0, -0.5])(t)
    if parameterisation == "complex":
        rho = kernels.oscillating(0.5, 1.0)(t)
    rnn, hist = realization.train_linear_rnn(rho, dt, m, steps=400, lr=0.05, seed=1, parameterisation=parameterisation)
    assert hist.shape == (400,)
    final = np.sum((rnn.kernel(t) - rho) ** 2) * dt
    assert final < 1e-3 * hist[0]
    # deterministic
    rnn2, hist2 = realization.train_linear_rnn(rho, dt, m, steps=400, lr=0.05, seed=1, parameterisation=parameterisation)
    np.testing.assert_array_equal(hist, hist2)


def test_bad_input_is_rejected():
    rho = np.exp(-np.arange(50) * 0.1)

    with pytest.raises(ValueError, match="m must be at most the numerical rank 1"):
        realization.era_fit(rho, 0.1, 3)
    with pytest.raises(ValueError, match="size must be at most"):
        realization.hankel_singular_values(rho, 0.1, size=100)
    with pytest.raises(ValueError, match="rho_vals must have 1 or 2"):
        realization.era_fit(np.ones((5, 1, 1)), 0.1, 1)
    with pytest.raises(ValueError, match="dt must be positive"):
        realization.hankel_singular_values(rho, -0.1)
    with pytest.raises(ValueError, match="parameterisation must be one of"):
        realization.train_linear_rnn(rho, 0.1, 2, parameterisation="lstm")
    with pytest.raises(ValueError, match="m must be even"):
        realization.train_linear_rnn(rho, 0.1, 3, parameterisation="complex")
    with pytest.raises(TypeError, match="m must be a positive integer"):
        realization.era_fit(rho, 0.1, 1.5)
