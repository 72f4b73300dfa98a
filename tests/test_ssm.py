"""Unit tests of dynapprox.ssm against independent references."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, linalg

from dynapprox import kernels, ssm


@pytest.mark.parametrize("p", ssm.PARAMETERISATIONS)
def test_eigenvalue_weight_roundtrip(p):
    lam = -np.array([0.003, 0.1, 1.0, 1.9])
    w = ssm.weight_from_eigenvalue(lam, p)
    np.testing.assert_allclose(ssm.eigenvalue_from_weight(w, p), lam, rtol=1e-12)


def test_closed_forms_of_the_parameterisations():
    w = np.array([-2.0, 0.0, 1.5])
    np.testing.assert_allclose(ssm.eigenvalue_from_weight(w, "exp"), -np.exp(w))
    np.testing.assert_allclose(ssm.eigenvalue_from_weight(w, "softplus"), -np.log1p(np.exp(w)))
    np.testing.assert_allclose(ssm.eigenvalue_from_weight(w, "best", a=2.0, b=0.5), -1 / (2 * w**2 + 0.5))
    np.testing.assert_allclose(ssm.eigenvalue_from_weight(w, "direct"), w)


@pytest.mark.parametrize("p", ssm.PARAMETERISATIONS)
def test_gradient_scale_against_finite_differences(p):
    w = np.array([-1.3, -0.4, 0.7, 2.2]) if p != "direct" else np.array([-1.3, -0.4, -2.0])
    h = 1e-6
    fprime = (ssm.eigenvalue_from_weight(w + h, p, 1.0, 0.3) - ssm.eigenvalue_from_weight(w - h, p, 1.0, 0.3)) / (2 * h)
    ref = np.abs(fprime) / ssm.eigenvalue_from_weight(w, p, 1.0, 0.3) ** 2
    np.testing.assert_allclose(ssm.gradient_scale(w, p, 1.0, 0.3), ref, rtol=1e-6)


def test_best_gradient_scale_is_linear_in_the_weight():
    w = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(ssm.gradient_scale(w, "best", a=1.5, b=0.2), 3.0 * np.abs(w), atol=1e-12)


def test_kernel_against_expm_and_linear_rnn():
    model = ssm.DiagonalSSM(np.array([-0.5, 0.2]), np.array([1.0, -2.0]), np.array([0.3, 0.7]), "exp")
    t = np.linspace(0, 4, 9)
    k = model.kernel(t)[:, 0]
    Lam = np.diag(model.eigenvalues)
    ref = [model.c @ linalg.expm(Lam * s) @ model.u for s in t]
    np.testing.assert_allclose(k, ref, atol=1e-12)
    np.testing.assert_allclose(model.to_linear_rnn().kernel(t)[:, 0], k, atol=1e-12)


def test_loss_gradients_autograd_match_hand_written_and_finite_differences():
    rng = np.random.default_rng(0)
    dt = 0.2
    t = dt * np.arange(100)
    rho = (1 + t) ** -2.0
    for p in ssm.PARAMETERISATIONS:
        lam = -np.array([0.05, 0.4, 1.5])
        w = ssm.weight_from_eigenvalue(lam, p, 1.0, 0.3)
        model = ssm.DiagonalSSM(w, rng.normal(size=3), rng.normal(size=3), p, 1.0, 0.3)
        loss, grads = ssm.kernel_loss_gradients(model, rho, dt)
        loss2, _, grads2 = ssm._loss_and_grads(model.w, model.u, model.c, rho, t, dt, p, 1.0, 0.3)
        assert loss == pytest.approx(loss2, rel=1e-12)
        for key in ("w", "u", "c"):
            np.testing.assert_allclose(grads[key], grads2[key], rtol=1e-9, atol=1e-14)
        # central finite difference in w_0
        h = 1e-6
        wp, wm = model.w.copy(), model.w.copy()
        wp[0] += h
        wm[0] -= h
        lp = ssm.kernel_loss_gradients(ssm.DiagonalSSM(wp, model.u, model.c, p, 1.0, 0.3), rho, dt)[0]
        lm = ssm.kernel_loss_gradients(ssm.DiagonalSSM(wm, model.u, model.c, p, 1.0, 0.3), rho, dt)[0]
        assert grads["w"][0] == pytest.approx((lp - lm) / (2 * h), rel=1e-5, abs=1e-10)


def test_loss_is_the_riemann_sum_and_approximates_the_integral():
    model = ssm.DiagonalSSM(np.array([0.0]), np.array([1.0]), np.array([1.0]), "exp")   # kernel e^{-t}
    dt = 1e-3
    t = dt * np.arange(20000)
    rho = np.zeros_like(t)
    loss, _ = ssm.kernel_loss_gradients(model, rho, dt)
    ref = integrate.quad(lambda s: np.exp(-2 * s), 0, np.inf)[0]
    assert loss == pytest.approx(ref, rel=2e-3)


def test_training_decreases_the_loss_and_is_deterministic():
    dt = 0.25
    t = dt * np.arange(200)
    rho = np.exp(-0.3 * t) + 0.5 * np.exp(-2 * t)
    lam0 = -np.array([0.1, 1.0, 3.0])
    r1 = ssm.train_diagonal_ssm(rho, dt, lam0, steps=300, lr=0.05, seed=0, parameterisation="exp")
    r2 = ssm.train_diagonal_ssm(rho, dt, lam0, steps=300, lr=0.05, seed=0, parameterisation="exp")
    np.testing.assert_array_equal(r1.losses, r2.losses)
    assert r1.losses[-1] < 1e-2 * r1.losses[0] and not r1.diverged
    g = ssm.train_diagonal_ssm(rho, dt, lam0, steps=50, lr=1e-3, seed=0, parameterisation="softplus", optimizer="gd")
    assert g.losses[-1] < g.losses[0]
    np.testing.assert_allclose(r1.max_eigenvalue[0], -0.1)


def test_perturbation_error_closed_form_single_mode():
    # one mode c u e^{lambda t} = e^{-t}, target the same: the error of lambda' is |1/|lambda'| - 1| (one-signed)
    rho = kernels.exponential(1.0)
    model = ssm.DiagonalSSM(np.array([0.0]), np.array([1.0]), np.array([1.0]), "exp")
    E = ssm.perturbation_error(model, rho, [0.0, 0.1], n_draws=4, seed=0)
    assert E.upper[0] < 1e-12
    assert E.lower[1] == pytest.approx(np.exp(0.1) - 1, rel=1e-9)   # lambda' = -e^{-0.1}: 1/|lambda'| - 1
    assert E.upper[1] == pytest.approx(np.exp(0.1) - 1, rel=1e-9)
    direct = ssm.DiagonalSSM(np.array([-0.05]), np.array([1.0]), np.array([1.0]), "direct")
    Ed = ssm.perturbation_error(direct, kernels.exponential(0.05), [0.01, 0.05, 0.2], n_draws=2, seed=0)
    assert np.isfinite(Ed.upper[0]) and Ed.lower[1] == np.inf and Ed.lower[2] == np.inf
    # |1/0.04 - 1/0.05| for the worst constant direction (+0.01)
    assert Ed.lower[0] == pytest.approx(1 / 0.04 - 1 / 0.05, rel=1e-9)


def test_l1_error_against_scipy_quad():
    rho = kernels.polynomial(1.0)
    model = ssm.DiagonalSSM(np.log([0.05, 0.7]), np.array([1.0, -0.3]), np.array([0.4, 1.0]), "exp")
    lam, g = model.eigenvalues, model.c * model.u
    f = lambda s: abs((1 + s) ** -2.0 - np.sum(g * np.exp(lam * s)))
    ref = sum(integrate.quad(f, a, b, limit=400)[0] for a, b in ((0, 5), (5, 60), (60, np.inf)))
    e = ssm.l1_error(model, rho)
    assert e.lower <= ref * (1 + 1e-7) and e.upper >= ref * (1 - 1e-7) and e.rel_gap < 1e-9


def test_tail_error_lower_bound_is_below_the_error_and_closed_form():
    rho = kernels.polynomial(1.0)
    # one mode with rate r: the bound is max_T [1/(1+T) - g e^{-rT}/r]
    r, g = 0.5, 1.0
    model = ssm.DiagonalSSM(np.array([np.log(r)]), np.array([1.0]), np.array([g]), "exp")
    T = np.linspace(0, 40, 4001)
    ref = np.max(1 / (1 + T) - g * np.exp(-r * T) / r)
    assert ssm.tail_error_lower_bound(model, rho, T) == pytest.approx(ref, rel=1e-12)
    assert ssm.tail_error_lower_bound(model, rho, T) <= ssm.l1_error(model, rho).lower


def test_bad_input():
    with pytest.raises(ValueError, match="parameterisation"):
        ssm.eigenvalue_from_weight([0.0], "tanh")
    with pytest.raises(ValueError, match="negative"):
        ssm.weight_from_eigenvalue([0.1], "exp")
    with pytest.raises(ValueError, match="-1/b"):
        ssm.weight_from_eigenvalue([-3.0], "best", b=0.5)
    with pytest.raises(ValueError, match="b must be positive"):
        ssm.eigenvalue_from_weight([0.0], "best", b=0.0)
    with pytest.raises(ValueError, match="same shape"):
        ssm.DiagonalSSM(np.zeros(2), np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="init_eigenvalues must be negative"):
        ssm.train_diagonal_ssm(np.ones(10), 0.1, [0.5], steps=1, lr=0.1, seed=0)
    with pytest.raises(ValueError, match="optimizer"):
        ssm.train_diagonal_ssm(np.ones(10), 0.1, [-0.5], steps=1, lr=0.1, seed=0, optimizer="sgd")
    with pytest.raises(TypeError, match="DiagonalSSM"):
        ssm.perturbation_error("model", kernels.polynomial(1.0), [0.1])
    with pytest.raises(ValueError, match="deltas"):
        ssm.perturbation_error(ssm.DiagonalSSM([0.0], [1.0], [1.0]), kernels.polynomial(1.0), [-0.1])
    with pytest.raises(ValueError, match="stable"):
        ssm.l1_error(ssm.DiagonalSSM([0.5], [1.0], [1.0], "direct"), kernels.polynomial(1.0))
    with pytest.raises(ValueError, match="times"):
        ssm.tail_error_lower_bound(ssm.DiagonalSSM([0.0], [1.0], [1.0]), kernels.polynomial(1.0), [-1.0])
    with pytest.raises(ValueError, match="Hurwitz"):
        ssm.DiagonalSSM([0.5], [1.0], [1.0], "direct").to_linear_rnn()


def test_divergence_is_reported_and_the_model_stays_finite():
    dt = 0.25
    t = dt * np.arange(400)
    rho = (1 + t) ** -2.0
    lam0 = -np.logspace(0, -1.5, 8)
    r = ssm.train_diagonal_ssm(rho, dt, lam0, steps=100, lr=2.0, seed=1, parameterisation="exp", optimizer="gd")
    assert r.diverged and np.isnan(r.losses[-1])
    assert np.all(np.isfinite(r.model.w)) and np.all(np.isfinite(r.model.u)) and np.all(np.isfinite(r.model.c))
