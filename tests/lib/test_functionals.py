"""Unit tests of dynapprox.functionals."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox import functionals, kernels, signals
from dynapprox.linear_rnn import LinearRNN


def _brute_force(rho, x, dt):
    n_t = x.shape[0]
    y = np.zeros(n_t)
    for k in range(n_t):
        for j in range(min(k + 1, rho.shape[0])):
            y[k] += rho[j] @ x[k - j] * dt
    return y


def test_fft_direct_and_brute_force_agree():
    rng = np.random.default_rng(0)
    dt = 0.03
    rho = rng.normal(size=(150, 3))
    x = rng.normal(size=(4, 400, 3))
    y_fft = functionals.apply_kernel(rho, x, dt, method="fft")
    y_dir = functionals.apply_kernel(rho, x, dt, method="direct")
    assert y_fft.shape == (4, 400)
    assert np.max(np.abs(y_fft - y_dir)) <= 1e-10 * np.max(np.abs(y_dir))
    np.testing.assert_allclose(
        y_dir[2], _brute_force(rho, x[2], dt), rtol=1e-12, atol=1e-12
    )
    # a single signal gives a 1-D output; a kernel longer than the signal is cut
    y1 = functionals.apply_kernel(rng.normal(size=(500, 3)), x[0], dt)
    assert y1.shape == (400,)


def test_impulse_response_is_the_kernel():
    dt = 0.1
    t = signals.time_grid(10.0, dt)
    rho = kernels.oscillating(0.3, 1.7)(t)
    y = functionals.apply_kernel(
        rho, signals.impulse(t.size, 1, 0, dt), dt
    )
    np.testing.assert_allclose(y, rho[:, 0], atol=1e-12)


def test_probe_recovers_kernel_exactly_for_riemann_functional():
    dt = 0.05
    t = signals.time_grid(8.0, dt)
    rho = kernels.exponential(
        [0.5, 2.0], d=2, weights=[[1.0, -1.0], [0.5, 2.0]]
    )(t)
    rho_hat = functionals.probe_kernel(
        lambda x: functionals.apply_kernel(rho, x, dt), t.size, 2, dt
    )
    np.testing.assert_allclose(rho_hat, rho, atol=1e-10)


def test_probe_of_continuous_system_gives_cell_averages():
    # rho(t) = e^{-t}: the exact step response is 1 - e^{-t}; differences give the cell averages
    dt = 0.1
    rnn = LinearRNN([[-1.0]], [[1.0]], [1.0])
    n_t = 50
    rho_hat = functionals.probe_kernel(
        lambda x: rnn.output(x, dt), n_t, 1, dt
    )[:, 0]
    k = np.arange(1, n_t)
    cell_avg = (np.exp(-(k - 1) * dt) - np.exp(-k * dt)) / dt
    assert rho_hat[0] == 0.0
    np.testing.assert_allclose(rho_hat[1:], cell_avg, rtol=1e-10)


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="x must have d = 2 channels"):
        functionals.apply_kernel(np.ones((5, 2)), np.ones((7, 3)), 0.1)
    with pytest.raises(ValueError, match="method must be one of"):
        functionals.apply_kernel(
            np.ones(5), np.ones((7, 1)), 0.1, method="svd"
        )
    with pytest.raises(ValueError, match="dt must be positive"):
        functionals.apply_kernel(np.ones(5), np.ones((7, 1)), 0.0)
    with pytest.raises(ValueError, match="rho_vals must have 1 or 2"):
        functionals.apply_kernel(np.ones((5, 1, 1)), np.ones((7, 1)), 0.1)
    with pytest.raises(ValueError, match="x must have 2 or 3"):
        functionals.apply_kernel(np.ones(5), np.ones(7), 0.1)
    with pytest.raises(TypeError, match="functional must be callable"):
        functionals.probe_kernel(3, 10, 1, 0.1)
    with pytest.raises(
        ValueError, match="functional must return outputs of shape"
    ):
        functionals.probe_kernel(lambda x: x, 10, 1, 0.1)
