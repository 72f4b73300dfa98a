"""Tests of dynapprox.modal: the L1-optimal coefficients of a modal RNN."""

from __future__ import annotations

import numpy as np

from dynapprox.linear_rnn import LinearRNN
from dynapprox.memory import exp_power_kernel
from dynapprox.modal import refine_l1


def test_refine_l1_never_worse_than_its_start_and_exact_in_the_span():
    from dynapprox import realization

    dt = 0.1
    t = dt * np.arange(400)
    rho = exp_power_kernel(t, decay=0.5, scale=1.0, power=0.5)
    for m in (2, 5):
        f = realization.era_fit(rho, dt, m)
        mod = f.to_modal()
        ref = refine_l1(mod, rho, dt)
        e0 = np.sum(np.abs(rho - mod.kernel(t)[:, 0])) * dt
        e1 = np.sum(np.abs(rho - ref.kernel(t)[:, 0])) * dt
        assert e1 <= e0 * (1 + 1e-12)
        assert np.allclose(ref.decay, mod.decay) and np.allclose(
            ref.freq, mod.freq
        )
    # brute force: for one real mode the optimal coefficient is a weighted median, found on a fine grid
    one = LinearRNN.modal(
        np.array([0.7]), np.array([0.0]), np.array([[0.0]])
    )
    g_opt = refine_l1(one, rho, dt).coef[0, 0].real
    grid = np.linspace(0.0, 2.0, 20001)
    errs = [np.sum(np.abs(rho - g * np.exp(-0.7 * t))) for g in grid]
    assert abs(g_opt - grid[int(np.argmin(errs))]) < 2e-4
    # a target in the span is recovered exactly
    two = LinearRNN.modal(
        np.array([0.3, 1.0]),
        np.array([0.0, 2.0]),
        np.array([[0.5], [0.2 - 0.1j]]),
    )
    start = LinearRNN.modal(two.decay, two.freq, np.array([[0.0], [0.0j]]))
    assert np.allclose(
        refine_l1(start, two.kernel(t), dt).coef, two.coef, atol=1e-7
    )
