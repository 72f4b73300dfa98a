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
    np.testing.assert_allclose(
        realization.hankel_singular_values(rho, dt),
        np.linalg.svd(dt * H, compute_uv=False),
        rtol=1e-12,
        atol=1e-15,
    )


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
    err = realization.l1_distance(
        true.kernel(t_long), fit.kernel(t_long), dt
    )
    assert err < 1e-8 * realization.l1_distance(rho, 0 * rho, dt)
    np.testing.assert_allclose(
        np.sort(np.linalg.eigvals(fit.W).real),
        [-2.0, -0.5, -0.3, -0.3],
        atol=1e-8,
    )


@pytest.mark.parametrize(
    "kernel",
    [
        kernels.delayed_bump(3.0, 1.0),
        kernels.sum_kernels(
            kernels.exponential(1.0),
            kernels.oscillating(0.5, 2.0),
            kernels.delayed_bump(2.0, 0.7),
        ),
    ],
)
def test_era_error_is_within_a_small_factor_of_the_hankel_singular_value(
    kernel,
):
    dt = 0.05
    t = signals.time_grid(30.0, dt)
    rho = kernel(t)
    s = realization.hankel_singular_values(rho, dt)
    ms = [3, 5, 7, 9]
    for m, fit in zip(ms, realization.era_fits(rho, dt, ms), strict=False):
        err = realization.l1_distance(rho, fit.kernel(t), dt)
        # AAK/Glover lower bound sigma_{m+1} <= H_inf error <= L1 error (up to discretisation),
        # and ERA (approximately balanced truncation) stays within a small factor above it
        assert 0.9 * s[m] <= err <= 20 * s[m], (m, err, s[m])


def test_l1_distance():
    assert realization.l1_distance(
        [1.0, -1.0, 2.0], [0.0, 0.0, 0.0], 0.5
    ) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="same shape"):
        realization.l1_distance(np.ones(3), np.ones(4), 0.1)


def test_bad_input_is_rejected():
    rho = np.exp(-np.arange(50) * 0.1)

    with pytest.raises(
        ValueError, match="m must be at most the numerical rank 1"
    ):
        realization.era_fit(rho, 0.1, 3)
    with pytest.raises(ValueError, match="size must be at most"):
        realization.hankel_singular_values(rho, 0.1, size=100)
    with pytest.raises(ValueError, match="rho_vals must have 1 or 2"):
        realization.era_fit(np.ones((5, 1, 1)), 0.1, 1)
    with pytest.raises(ValueError, match="dt must be positive"):
        realization.hankel_singular_values(rho, -0.1)
    with pytest.raises(TypeError, match="m must be a positive integer"):
        realization.era_fit(rho, 0.1, 1.5)


# ------------------------------------------------------------------ negative and complex discrete poles


def test_era_refuses_a_negative_real_pole_by_default():
    # 0.9^k + 0.5 (-0.6)^k: the pole -0.6 has no real logarithm; it used to be mapped to the rate
    # log(0.6)/dt with the residue unchanged, which missed the samples by 0.6 without a warning
    k = np.arange(80)
    rho = 0.9**k + 0.5 * (-0.6) ** k
    with pytest.raises(
        ValueError, match=r"negative real discrete pole lambda = -0\.6"
    ):
        realization.era_fit(rho, 0.5, 2)


def test_era_pairs_a_negative_real_pole_and_reproduces_the_samples():
    dt = 0.5
    k = np.arange(80)
    rho = 0.9**k + 0.5 * (-0.6) ** k
    fit = realization.era_fit(rho, dt, 2, negative_poles="pair")
    assert (
        fit.m == 3
    )  # one real state for 0.9, two for the Nyquist pair of -0.6
    np.testing.assert_allclose(
        fit.kernel(dt * k)[:, 0], rho, rtol=0, atol=1e-12
    )
    lam = np.linalg.eigvals(fit.W)
    np.testing.assert_allclose(
        np.sort(np.abs(lam.imag)), [0.0, np.pi / dt, np.pi / dt], atol=1e-9
    )
    np.testing.assert_allclose(
        np.sort(np.exp(lam.real * dt)), [0.6, 0.6, 0.9], rtol=1e-9
    )


def test_discrete_to_rnn_reproduces_real_negative_and_complex_poles():
    # an independent reference: C A^k B by matrix powers, for a discrete system with one positive,
    # one negative real pole and a complex pair (A in real block form)
    rng = np.random.default_rng(5)
    A = linalg.block_diag([[0.8]], [[-0.5]], [[0.6, 0.3], [-0.3, 0.6]])
    B, C = rng.normal(size=(4, 1)), rng.normal(size=4)
    dt, n = 0.2, 60
    ref = np.array(
        [C @ np.linalg.matrix_power(A, j) @ B for j in range(n)]
    )
    rnn = realization._discrete_to_rnn(A, B, C, dt, "pair", n_check=n)
    assert rnn.m == 5
    np.testing.assert_allclose(
        rnn.kernel(dt * np.arange(n)),
        ref,
        rtol=0,
        atol=1e-12 * np.abs(ref).max(),
    )
    with pytest.raises(
        ValueError, match="negative real discrete pole lambda = -0.5"
    ):
        realization._discrete_to_rnn(A, B, C, dt)
    with pytest.raises(ValueError, match="pole lambda = 0"):
        realization._discrete_to_rnn(
            np.diag([0.5, 0.0]), np.ones((2, 1)), np.ones(2), dt
        )


def test_era_negative_poles_option_is_checked():
    with pytest.raises(ValueError, match="negative_poles must be one of"):
        realization.era_fit(
            np.exp(-0.1 * np.arange(50)), 0.1, 1, negative_poles="drop"
        )


# ------------------------------------------------------------------ continuous Hankel singular values


def test_exp_sum_hankel_singular_values_match_the_gramians():
    # independent reference: sigma_k = sqrt(eig(P Q)) with the controllability and observability
    # Gramians of W = -diag(s), U = w, c = 1 (a non-symmetric realisation of the same kernel)
    s = np.array([0.3, 1.1, 2.5, 4.0])
    w = np.array([1.0, 0.5, 2.0, 0.25])
    W = -np.diag(s)
    U = w[:, None]
    c = np.ones(4)
    P = linalg.solve_continuous_lyapunov(W, -U @ U.T)
    Q = linalg.solve_continuous_lyapunov(W.T, -np.outer(c, c))
    ref = np.sort(np.sqrt(np.abs(np.linalg.eigvals(P @ Q))))[::-1]
    got = realization.exp_sum_hankel_singular_values(s, w)
    np.testing.assert_allclose(got, ref, rtol=1e-8)
    # one exponential: sigma_1 = w / (2 s)
    assert realization.exp_sum_hankel_singular_values([0.7], [3.0])[
        0
    ] == pytest.approx(3.0 / 1.4, rel=1e-14)


def test_exp_sum_hankel_singular_values_are_the_limit_of_the_sampled_ones():
    # the sampled system's Hankel singular values converge to the continuous ones as dt -> 0 (O(dt))
    s = np.array([0.5, 2.0])
    w = np.array([1.0, 1.0])
    cont = realization.exp_sum_hankel_singular_values(s, w)
    errs = []
    for dt in (0.04, 0.02):
        t = dt * np.arange(
            int(24 / dt)
        )  # the section on [0, 12] misses e^{-2 s 12} <= e^{-12} of sigma
        disc = realization.hankel_singular_values(
            np.exp(-np.outer(t, s)) @ w, dt
        )[:2]
        errs.append(np.max(np.abs(disc - cont) / cont))
    # first order in dt: halving dt halves the relative error (measured 7.1% and 3.5%)
    assert 0.4 < errs[1] / errs[0] < 0.6 and errs[1] < 0.05


def test_exp_sum_hankel_singular_values_bad_input():
    with pytest.raises(ValueError, match="rates must be positive"):
        realization.exp_sum_hankel_singular_values([-1.0], [1.0])
    with pytest.raises(ValueError, match="weights must be positive"):
        realization.exp_sum_hankel_singular_values([1.0], [-1.0])
    with pytest.raises(ValueError, match="same shape"):
        realization.exp_sum_hankel_singular_values([1.0, 2.0], [1.0])


# ------------------------------------------------------------------ sampled errors, bracketed


def test_sampled_error_brackets_a_closed_form():
    # rho = e^{-t}, model e^{-2t}: e_k = dt (q1^k - q2^k) >= 0, so the H-infinity norm is attained at
    # theta = 0 and equals the l1 norm, dt (1/(1-q1) - 1/(1-q2)) over all k >= 0
    dt, n = 0.1, 300
    t = dt * np.arange(n)
    q1, q2 = np.exp(-dt), np.exp(-2 * dt)
    exact = dt * (1 / (1 - q1) - 1 / (1 - q2))
    rho_tail = dt * q1**n / (1 - q1)
    res = realization.sampled_error(
        np.exp(-t), LinearRNN([[-2.0]], [1.0], [1.0]), dt, rho_tail
    )
    assert res.l1[0] <= exact <= res.l1[1]
    assert res.hinf[0] <= exact <= res.hinf[1]
    # the second-order grid bound leaves 1.2e-4 of relative slack here (the first-order one alone 1%)
    assert (
        res.l1[1] - res.l1[0] < 1e-10
        and res.hinf[1] - res.hinf[0] < 1e-3 * exact
    )
    assert res.slack < 0.1 * np.pi / (16 * n) * np.sum(
        np.arange(n) * dt * (q1 ** np.arange(n) - q2 ** np.arange(n))
    )


def test_sampled_error_hinf_bracket_contains_a_dense_evaluation():
    dt, n = 0.1, 200
    t = dt * np.arange(n)
    rho = np.exp(-0.5 * t) * np.cos(3 * t)
    model = LinearRNN([[-0.6, 2.8], [-2.8, -0.6]], [1.0, 0.0], [1.0, 0.0])
    rho_tail = dt * np.exp(-0.5 * t[-1]) / (1 - np.exp(-0.5 * dt))
    res = realization.sampled_error(rho, model, dt, rho_tail, pad=4)
    e = (rho - model.kernel(t)[:, 0]) * dt
    dense = np.abs(
        np.fft.fft(e, n=2**20)
    ).max()  # 1300 times finer than the function's grid
    assert res.hinf[0] <= dense <= res.hinf[1]
    assert res.hinf[1] <= res.l1[1]
    assert res.slack > 0


def test_sampled_error_bad_input():
    t = 0.1 * np.arange(50)
    model = LinearRNN([[-1.0]], [1.0], [1.0])
    with pytest.raises(ValueError, match="rho_tail must be non-negative"):
        realization.sampled_error(np.exp(-t), model, 0.1, -1.0)
    with pytest.raises(TypeError, match="model must be a LinearRNN"):
        realization.sampled_error(np.exp(-t), "rnn", 0.1, 0.0)
    with pytest.raises(ValueError, match="scalar kernel"):
        realization.sampled_error(np.ones((50, 2)), model, 0.1, 0.0)
