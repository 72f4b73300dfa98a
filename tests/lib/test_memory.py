"""Tests of dynapprox.memory against closed forms, scipy and brute force."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox import memory as mem


@pytest.mark.parametrize(
    "kw",
    [
        dict(decay=1.0),
        dict(decay=0.5, freq=2.0, scale=0.3, power=1.0),
        dict(decay=0.0, scale=1.0, power=2.0),
        dict(decay=1.0, scale=1.0, power=1.0),
    ],
)
def test_exp_power_kernel_derivatives_match_finite_differences(kw):
    t = np.linspace(0.5, 5.0, 7)
    h = 1e-4
    for k in range(1, 4):
        fd = (
            mem.exp_power_kernel(t + h, derivative=k - 1, **kw)
            - mem.exp_power_kernel(t - h, derivative=k - 1, **kw)
        ) / (2 * h)
        exact = mem.exp_power_kernel(t, derivative=k, **kw)
        assert np.allclose(exact, fd, rtol=1e-6, atol=1e-8)


def test_exp_power_kernel_closed_forms():
    t = np.linspace(0, 4, 9)
    assert np.allclose(mem.exp_power_kernel(t, decay=2.0), np.exp(-2 * t))
    assert np.allclose(
        mem.exp_power_kernel(t, decay=0.0, scale=1.0, power=2.0),
        (1 + t) ** -2.0,
    )
    assert np.allclose(
        mem.exp_power_kernel(t, decay=0.5, freq=3.0),
        np.exp(-0.5 * t) * np.cos(3 * t),
    )
    # second derivative of (1+t)^-2 is 6 (1+t)^-4
    assert np.allclose(
        mem.exp_power_kernel(
            t, decay=0.0, scale=1.0, power=2.0, derivative=2
        ),
        6 * (1 + t) ** -4.0,
    )


def test_step_response_is_the_integral_of_the_kernel():
    dt = 1e-3
    t = dt * np.arange(4000)
    rho = np.exp(-t)
    y = mem.step_response(rho, dt)
    # Riemann sum of the integral 1 - e^{-t}, error O(dt)
    assert np.max(np.abs(y[:, 0] - (1 - np.exp(-t)))) < 2 * dt
    # and it is what the package's convolution returns for the step input
    from dynapprox.functionals import apply_kernel

    yk = apply_kernel(
        rho[:, None], np.ones((t.size, 1)), dt, method="direct"
    )
    assert np.allclose(y[:, 0], yk, rtol=1e-10, atol=1e-12)


def test_memory_constants_closed_form_for_exp_over_linear():
    # rho = e^{-a t}/(1+t), beta = a: gamma_k = (sum_j binom(k-1,j) a^{k-1-j} j!) / a^k, attained at t = 0
    a = 0.5
    t = np.linspace(0, 60, 6001)
    derivs = mem.step_response_derivatives(
        lambda s, j: mem.exp_power_kernel(
            s, decay=a, scale=1.0, power=1.0, derivative=j
        ),
        t,
        3,
    )
    mc = mem.memory_constants(derivs, t, beta=a)
    expected = [1 / a, (a + 1) / a**2, (a**2 + 2 * a + 2) / a**3]
    assert np.allclose(mc.gammas, expected, rtol=1e-12)
    assert mc.gamma == pytest.approx(max(expected))
    assert mc.tail < 0.01 * mc.gamma


def test_memory_constants_brute_force_sup():
    rng = np.random.default_rng(3)
    t = np.linspace(0, 3, 50)
    derivs = rng.standard_normal((2, 50, 3))
    beta = 0.7
    mc = mem.memory_constants(derivs, t, beta)
    brute = max(
        max(
            abs(np.exp(beta * t[n]) * derivs[k, n, i]) / beta ** (k + 1)
            for n in range(50)
            for i in range(3)
        )
        for k in range(2)
    )
    assert mc.gamma == pytest.approx(brute)


def test_rnn_rate_bound():
    b = mem.rnn_rate_bound(
        np.array([1.0, 2.0, 4.0]), alpha=2, beta=0.5, gamma=3.0, d=2
    )
    assert np.allclose(b, 3.0 * 2 / (0.5 * np.array([1, 4, 16])))


def test_rnn_rate_bound_proven_form():
    # without beta: the form C gamma d / m^alpha that the proof gives; the printed form (beta given)
    # is larger exactly when beta < 1
    m = np.array([1.0, 2.0, 4.0])
    b = mem.rnn_rate_bound(m, alpha=2, gamma=3.0, d=2)
    assert np.allclose(b, 3.0 * 2 / np.array([1, 4, 16]))
    assert np.all(mem.rnn_rate_bound(m, 2, 3.0, 2, beta=0.5) > b)
    assert np.all(mem.rnn_rate_bound(m, 2, 3.0, 2, beta=2.0) < b)
    with pytest.raises(ValueError, match="beta"):
        mem.rnn_rate_bound(m, 2, 3.0, beta=-1.0)


def test_memory_function_of_linear_functional_is_l1_norm_of_kernel():
    from dynapprox.functionals import apply_kernel

    dt = 0.05
    t = dt * np.arange(200)
    rho = np.stack([np.exp(-t) * np.cos(3 * t), -np.exp(-2 * t)], axis=1)
    func = lambda x: apply_kernel(rho, x, dt, method="direct")  # noqa: E731
    M = mem.memory_function(func, 200, 2, dt, amplitudes=(0.5, 2.0))
    assert np.allclose(
        M, mem.linear_memory_function(rho), rtol=1e-9, atol=1e-12
    )


def test_memory_function_of_a_static_nonlinearity_brute_force():
    # H_t(x) = tanh(y_t) with y the linear response: d/dt tanh(a y) / a, max over the tried amplitudes
    from dynapprox.functionals import apply_kernel

    dt = 0.1
    t = dt * np.arange(50)
    rho = np.exp(-t)[:, None]
    func = lambda x: np.tanh(apply_kernel(rho, x, dt, method="direct"))  # noqa: E731
    amps = (0.1, 1.0)
    M = mem.memory_function(func, 50, 1, dt, amplitudes=amps)
    ys = [np.tanh(a * np.cumsum(rho[:, 0]) * dt) for a in amps]
    brute = np.max(
        [
            np.abs(np.diff(np.concatenate([[0.0], y]))) / dt / a
            for y, a in zip(ys, amps, strict=False)
        ],
        axis=0,
    )
    assert np.allclose(M, brute)


def test_bad_inputs_name_the_argument():
    t = np.linspace(0, 1, 5)
    with pytest.raises(ValueError, match="t must be non-negative"):
        mem.exp_power_kernel(-t - 1)
    with pytest.raises(ValueError, match="decay"):
        mem.exp_power_kernel(t, decay=-1.0)
    with pytest.raises(TypeError, match="derivative"):
        mem.exp_power_kernel(t, derivative=1.5)
    with pytest.raises(ValueError, match="dt"):
        mem.step_response(t, 0.0)
    with pytest.raises(ValueError, match="beta"):
        mem.memory_constants(np.ones((2, 5)), t, -1.0)
    with pytest.raises(ValueError, match="derivs"):
        mem.memory_constants(np.ones((2, 4)), t, 1.0)
    with pytest.raises(ValueError, match="d must be at most"):
        mem.memory_function(lambda x: x[..., 0], 5, 11, 0.1)
