"""Tests of dynapprox.memory against closed forms, scipy and brute force."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, linalg

from dynapprox import memory as mem


# ------------------------------------------------------------------ kernels and constants

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
        fd = (mem.exp_power_kernel(t + h, derivative=k - 1, **kw) - mem.exp_power_kernel(t - h, derivative=k - 1, **kw)) / (2 * h)
        exact = mem.exp_power_kernel(t, derivative=k, **kw)
        assert np.allclose(exact, fd, rtol=1e-6, atol=1e-8)


def test_exp_power_kernel_closed_forms():
    t = np.linspace(0, 4, 9)
    assert np.allclose(mem.exp_power_kernel(t, decay=2.0), np.exp(-2 * t))
    assert np.allclose(mem.exp_power_kernel(t, decay=0.0, scale=1.0, power=2.0), (1 + t) ** -2.0)
    assert np.allclose(mem.exp_power_kernel(t, decay=0.5, freq=3.0), np.exp(-0.5 * t) * np.cos(3 * t))
    # second derivative of (1+t)^-2 is 6 (1+t)^-4
    assert np.allclose(mem.exp_power_kernel(t, decay=0.0, scale=1.0, power=2.0, derivative=2), 6 * (1 + t) ** -4.0)


def test_step_response_is_the_integral_of_the_kernel():
    dt = 1e-3
    t = dt * np.arange(4000)
    rho = np.exp(-t)
    y = mem.step_response(rho, dt)
    # Riemann sum of the integral 1 - e^{-t}, error O(dt)
    assert np.max(np.abs(y[:, 0] - (1 - np.exp(-t)))) < 2 * dt
    # and it is what the package's convolution returns for the step input
    from dynapprox.functionals import apply_kernel

    yk = apply_kernel(rho[:, None], np.ones((t.size, 1)), dt, method="direct")
    assert np.allclose(y[:, 0], yk, rtol=1e-10, atol=1e-12)


def test_memory_constants_closed_form_for_exp_over_linear():
    # rho = e^{-a t}/(1+t), beta = a: gamma_k = (sum_j binom(k-1,j) a^{k-1-j} j!) / a^k, attained at t = 0
    a = 0.5
    t = np.linspace(0, 60, 6001)
    derivs = mem.step_response_derivatives(
        lambda s, j: mem.exp_power_kernel(s, decay=a, scale=1.0, power=1.0, derivative=j), t, 3
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
        max(abs(np.exp(beta * t[n]) * derivs[k, n, i]) / beta ** (k + 1) for n in range(50) for i in range(3))
        for k in range(2)
    )
    assert mc.gamma == pytest.approx(brute)


def test_rnn_rate_bound():
    b = mem.rnn_rate_bound(np.array([1.0, 2.0, 4.0]), alpha=2, beta=0.5, gamma=3.0, d=2)
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


# ------------------------------------------------------------------ memory function

def test_memory_function_of_linear_functional_is_l1_norm_of_kernel():
    from dynapprox.functionals import apply_kernel

    dt = 0.05
    t = dt * np.arange(200)
    rho = np.stack([np.exp(-t) * np.cos(3 * t), -np.exp(-2 * t)], axis=1)
    func = lambda x: apply_kernel(rho, x, dt, method="direct")  # noqa: E731
    M = mem.memory_function(func, 200, 2, dt, amplitudes=(0.5, 2.0))
    assert np.allclose(M, mem.linear_memory_function(rho), rtol=1e-9, atol=1e-12)


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
    brute = np.max([np.abs(np.diff(np.concatenate([[0.0], y]))) / dt / a for y, a in zip(ys, amps)], axis=0)
    assert np.allclose(M, brute)


# ------------------------------------------------------------------ modal form, parameterisations

def test_parameterisations_round_trip_and_stability():
    r = np.array([1e-3, 0.5, 3.0, 40.0])
    for par in mem.PARAMETERISATIONS:
        assert np.allclose(mem.decay_from_param(mem.param_from_decay(r, par), par), r, rtol=1e-12)
    p = np.linspace(-30, 30, 13)
    assert np.all(mem.decay_from_param(p, "exp") > 0)
    assert np.all(mem.decay_from_param(p, "softplus") > 0)
    assert np.allclose(mem.decay_from_param(p, "softplus"), np.log1p(np.exp(p)))


def test_modal_form_kernel_matches_expm():
    rng = np.random.default_rng(0)
    m, d = 5, 2
    W = rng.standard_normal((m, m)) - 3 * np.eye(m)
    U = rng.standard_normal((m, d))
    c = rng.standard_normal(m)
    mod = mem.modal_form(W, U, c)
    t = np.linspace(0, 4, 11)
    ref = np.array([c @ linalg.expm(W * s) @ U for s in t])
    assert np.allclose(mod.kernel(t), ref, atol=1e-10)
    assert mod.width == m
    Wr, Ur, cr = mod.to_real()
    ref2 = np.array([cr @ linalg.expm(Wr * s) @ Ur for s in t])
    assert np.allclose(ref2, ref, atol=1e-10)
    assert mod.spectral_abscissa == pytest.approx(np.max(np.linalg.eigvals(W).real))


def test_modal_form_rejects_unstable_W():
    with pytest.raises(ValueError, match="Hurwitz"):
        mem.modal_form(np.eye(2), np.ones((2, 1)), np.ones(2))


def test_spectral_abscissas():
    Ws = [np.diag([-1.0, -2.0]), np.array([[-0.1, 3.0], [-3.0, -0.1]])]
    assert np.allclose(mem.spectral_abscissas(Ws), [-1.0, -0.1])


def test_refine_l1_never_worse_than_its_start_and_exact_in_the_span():
    from dynapprox import realization

    dt = 0.1
    t = dt * np.arange(400)
    rho = mem.exp_power_kernel(t, decay=0.5, scale=1.0, power=0.5)
    for m in (2, 5):
        f = realization.era_fit(rho, dt, m)
        mod = mem.modal_form(f.W, f.U, f.c)
        ref = mem.refine_l1(mod, rho, dt)
        e0 = np.sum(np.abs(rho - mod.kernel(t)[:, 0])) * dt
        e1 = np.sum(np.abs(rho - ref.kernel(t)[:, 0])) * dt
        assert e1 <= e0 * (1 + 1e-12)
        assert np.allclose(ref.decay, mod.decay) and np.allclose(ref.freq, mod.freq)
    # brute force: for one real mode the optimal coefficient is a weighted median, found on a fine grid
    one = mem.ModalRNN(np.array([0.7]), np.array([0.0]), np.array([[0.0]]))
    g_opt = mem.refine_l1(one, rho, dt).coef[0, 0].real
    grid = np.linspace(0.0, 2.0, 20001)
    errs = [np.sum(np.abs(rho - g * np.exp(-0.7 * t))) for g in grid]
    assert abs(g_opt - grid[int(np.argmin(errs))]) < 2e-4
    # a target in the span is recovered exactly
    two = mem.ModalRNN(np.array([0.3, 1.0]), np.array([0.0, 2.0]), np.array([[0.5], [0.2 - 0.1j]]))
    start = mem.ModalRNN(two.decay, two.freq, np.array([[0.0], [0.0j]]))
    assert np.allclose(mem.refine_l1(start, two.kernel(t), dt).coef, two.coef, atol=1e-7)


# ------------------------------------------------------------------ perturbation error

def test_halfline_quadrature_integrates_closed_forms():
    t, w = mem.halfline_quadrature(T=20.0, t_max=1e9)
    assert np.all(w > 0) and t.min() > 0 and t.max() < 1e9
    # int_0^inf e^{-t} = 1, int_0^inf (1+t)^{-2} = 1 - 1/(1 + 1e9) on [0, 1e9]
    assert w @ np.exp(-t) == pytest.approx(1.0, rel=1e-12)
    assert w @ (1 + t) ** -2.0 == pytest.approx(1.0 - 1.0 / (1.0 + 1e9), rel=1e-12)


def test_perturbation_error_dense_direction_crosses_boundary_at_abscissa():
    # one mode W = -r: the structured directions shift the eigenvalue by +-delta; the error is
    # infinite once delta >= r, and for delta < r the worst is the closed form |1/(r - delta) - 1/r| * r
    from dynapprox.kernels import exponential

    r = 0.05
    W, U, c = np.array([[-r]]), np.array([[1.0]]), np.array([r])
    rho = exponential(r, weights=[r])  # r e^{-r t}, the model's own kernel
    res = mem.perturbation_error((W, U, c), rho, [0.0, 0.01, 0.06], n_random=3, perturb="recurrent", T=50.0)
    assert res.errors[0] == pytest.approx(0.0, abs=1e-14)
    assert np.isfinite(res.errors[1]) and np.isinf(res.errors[2])
    assert res.errors[1] == pytest.approx(r * (1 / (r - 0.01) - 1 / r), rel=1e-10)
    assert res.errors_upper[1] >= res.errors[1]
    assert res.worst_direction[0] == "" and res.worst_direction[1] in ("first-order", "+ones")


def test_perturbation_error_matches_scipy_quad_on_the_half_line():
    from dynapprox.halfline import l1_error_halfline
    from dynapprox.kernels import polynomial

    rho = polynomial(0.5)
    mod = mem.ModalRNN(np.array([0.02, 0.3, 1.5]), np.array([0.0, 0.0, 0.8]), np.array([[0.05], [0.4], [0.2 + 0.1j]]))
    res = mem.perturbation_error(mod, rho, [0.0], "exp", T=40.0)
    ref = l1_error_halfline(rho, mod, T=40.0)
    # same remainder bracket; the rule is not split at the sign changes of rho - rhohat, which
    # costs it its high order near the zeros (here 3e-6 relative with the default panels, against
    # scipy.quad): a relative 1e-5 is still far below the digits a chapter prints
    assert res.base_error == pytest.approx(ref.lower, rel=1e-5)
    assert res.errors_upper[0] == pytest.approx(ref.upper, rel=1e-5)
    fine = mem.perturbation_error(mod, rho, [0.0], "exp", T=40.0, panel=0.1, nodes=20, growth=0.05)
    assert fine.base_error == pytest.approx(ref.lower, rel=1e-6)


def test_perturbation_error_reparameterised_never_unstable():
    mod = mem.ModalRNN(np.array([0.01, 1.0]), np.array([0.0, 2.0]), np.array([[0.01], [0.3 + 0.1j]]))
    for par in ("exp", "softplus"):
        res = mem.perturbation_error(mod, mod, [0.0, 0.5, 2.0], parameterisation=par, n_random=5, T=30.0)
        assert np.all(np.isfinite(res.errors)) and np.all(res.unstable_fraction == 0)
    res = mem.perturbation_error(mod, mod, [0.005, 0.02], parameterisation="direct", n_random=5, T=30.0)
    assert np.isfinite(res.errors[0]) and np.isinf(res.errors[1])


def test_perturbation_error_is_deterministic_and_monotone_lower_estimate():
    mod = mem.ModalRNN(np.array([0.5, 1.0]), np.array([0.0, 1.0]), np.array([[1.0], [0.2j]]))
    a = mem.perturbation_error(mod, mod, [0.01, 0.1], parameterisation="exp", seed=4, T=40.0)
    b = mem.perturbation_error(mod, mod, [0.01, 0.1], parameterisation="exp", seed=4, T=40.0)
    assert np.array_equal(a.errors, b.errors) and a.worst_direction == b.worst_direction
    assert a.errors[1] > a.errors[0] > 0


@pytest.mark.parametrize("par", ["dense", "direct", "exp", "softplus"])
def test_diagonal_sensitivity_is_the_sup_attained_by_the_structured_direction(par):
    # random positive diagonal models: no tried direction exceeds the closed form, and the
    # structured one attains it (to quadrature accuracy); the onsets of instability agree
    from dynapprox.linear_rnn import LinearRNN

    rng = np.random.default_rng(5)
    for _ in range(2):
        r = np.sort(rng.uniform(0.05, 3.0, 4))
        model = LinearRNN(-np.diag(r), rng.uniform(0.1, 1.0, (4, 1)), rng.uniform(0.1, 1.0, 4))
        deltas = np.array([0.0, 1e-3, 0.01, 0.04, 0.2])
        exact = mem.diagonal_sensitivity(model, deltas, par)
        subject = model if par == "dense" else mem.modal_form(model.W, model.U, model.c)
        # the kernel changes have one sign: a coarse grid keeps the rule's high order
        est = mem.perturbation_error(subject, subject, deltas, par, n_random=12, seed=1, perturb="recurrent",
                                     T=20.0, panel=1.0, nodes=12, growth=0.3)
        assert np.array_equal(np.isinf(est.errors), np.isinf(exact))
        fin = np.isfinite(exact)
        assert np.allclose(est.errors[fin], exact[fin], rtol=1e-9, atol=1e-14)
    # the onsets: 1/sum(1/r) for the dense W, min r for the rates themselves, none for exp
    S = np.sum(1.0 / r)
    assert np.isinf(mem.diagonal_sensitivity(model, [1.0001 / S], "dense")[0])
    assert np.isfinite(mem.diagonal_sensitivity(model, [0.9999 / S], "dense")[0])
    assert np.isinf(mem.diagonal_sensitivity(model, [r.min()], "direct")[0])
    g = model.c * model.U[:, 0]
    assert mem.diagonal_sensitivity(model, [0.3], "exp")[0] == pytest.approx(np.expm1(0.3) * np.sum(g / r), rel=1e-12)


def test_diagonal_sensitivity_dense_against_scipy_quad():
    # the kernel change along delta 11^T, integrated by scipy.quad with expm
    r = np.array([0.2, 1.0, 3.0])
    W, U, c = -np.diag(r), np.array([[0.3], [0.5], [0.2]]), np.array([1.0, 0.5, 2.0])
    d = 0.05
    Wt = W + d * np.ones((3, 3))
    f = lambda s: abs(c @ (linalg.expm(Wt * s) - linalg.expm(W * s)) @ U[:, 0])  # noqa: E731
    ref = integrate.quad(f, 0, np.inf, limit=200)[0]
    assert mem.diagonal_sensitivity((W, U, c), [d], "dense")[0] == pytest.approx(ref, rel=1e-7)


def test_modal_error_lower_bound_is_below_the_half_line_error():
    from dynapprox.halfline import l1_error_halfline
    from dynapprox.kernels import polynomial

    rho = polynomial(1.0)
    Ts = np.logspace(-1, 8, 400)
    rng = np.random.default_rng(3)
    for _ in range(5):
        mod = mem.ModalRNN(np.sort(rng.uniform(0.005, 2.0, 3)), np.zeros(3), rng.uniform(0.0, 0.6, (3, 1)))
        bound = mem.modal_error_lower_bound(rho, mod, Ts)
        assert bound <= l1_error_halfline(rho, mod, T=50.0).lower + 1e-12
    # a model that is exact on a window and has a fast slowest mode: the bound is the target's tail
    fast = mem.ModalRNN(np.array([5.0]), np.array([0.0]), np.array([[1.0]]))
    assert mem.modal_error_lower_bound(rho, fast, [20.0]) == pytest.approx(1 / 21 - np.exp(-100) / 5, rel=1e-12)


# ------------------------------------------------------------------ training

def test_kernel_loss_gradient_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    n, dt = 3, 0.1
    t = dt * np.arange(60)
    rho = np.exp(-t) + np.exp(-(t - 2) ** 2)
    params = {"p": rng.standard_normal(n), "omega": rng.uniform(0, 2, n), "g_re": rng.standard_normal(n), "g_im": rng.standard_normal(n)}
    for par in mem.PARAMETERISATIONS:
        P = dict(params)
        if par == "direct":
            P["p"] = np.abs(P["p"]) + 0.1
        loss, grads = mem.kernel_l2_loss_and_grad(P, rho, dt, par)
        tp = {k: torch.tensor(v, requires_grad=True) for k, v in P.items()}
        f = {"direct": lambda p: p, "exp": torch.exp, "softplus": torch.nn.functional.softplus}[par]
        lam = torch.complex(-f(tp["p"]), tp["omega"])
        g = torch.complex(tp["g_re"], tp["g_im"])
        tt = torch.tensor(t, dtype=torch.float64)
        khat = (2 * torch.exp(tt[:, None] * lam[None, :]) * g[None, :]).real.sum(1)
        tl = ((khat - torch.tensor(rho)) ** 2).sum() * dt
        tl.backward()
        assert loss == pytest.approx(float(tl.detach()), rel=1e-12)
        for k in P:
            assert np.allclose(grads[k], tp[k].grad.numpy(), rtol=1e-9, atol=1e-12), (par, k)


def test_kernel_loss_on_quadrature_nodes_is_the_half_line_integral():
    # one real pair 2 Re(g e^{-r t}) against e^{-t}: J = int (2g e^{-rt} - e^{-t})^2 in closed form,
    # and the gradient on the nodes is the gradient of the same weighted sum (torch)
    torch = pytest.importorskip("torch")
    t, w = mem.halfline_quadrature(20.0, t_max=1e5, panel=1.0, nodes=10, growth=0.5)
    g, r = 0.3, 0.4
    P = {"p": mem.param_from_decay(np.array([r]), "exp"), "omega": np.array([0.0]), "g_re": np.array([g]), "g_im": np.array([0.0])}
    loss, grads = mem.kernel_l2_loss_and_grad(P, np.exp(-t), None, "exp", t=t, weights=w)
    exact = (2 * g) ** 2 / (2 * r) - 2 * (2 * g) / (r + 1) + 0.5
    assert loss == pytest.approx(exact, rel=1e-11)
    tp = torch.tensor(P["p"], requires_grad=True)
    tg = torch.tensor(P["g_re"], requires_grad=True)
    tt, tw = torch.tensor(t), torch.tensor(w)
    tl = (((2 * tg * torch.exp(-torch.exp(tp) * tt)) - torch.exp(-tt)) ** 2 * tw).sum()
    tl.backward()
    assert np.allclose(grads["p"], tp.grad.numpy(), rtol=1e-10) and np.allclose(grads["g_re"], tg.grad.numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="either dt alone"):
        mem.kernel_l2_loss_and_grad(P, np.exp(-t), 0.1, "exp", t=t, weights=w)


def test_train_modal_rnn_fits_a_two_mode_kernel_and_batches_are_independent():
    dt = 0.1
    t = dt * np.arange(200)
    rho = np.stack([np.exp(-0.5 * t) * np.cos(t), np.exp(-t)])
    res = mem.train_modal_rnn(rho, dt, n_modes=2, steps=1500, lr=2e-2, seed=0)
    assert res.losses.shape == (1501, 2)
    assert np.all(res.losses[-1] < 1e-3 * res.losses[0])
    single = mem.train_modal_rnn(rho[1], dt, n_modes=2, steps=1500, lr=2e-2, seed=0)
    assert np.allclose(single.losses, res.losses[:, 1])
    # the returned models reproduce the trained kernels
    khat = res.models[0].kernel(t)[:, 0]
    assert np.sum((khat - rho[0]) ** 2) * dt == pytest.approx(res.losses[-1, 0], rel=1e-6, abs=1e-12)


def test_train_modal_rnn_snapshots_are_the_models_of_shorter_runs():
    dt = 0.1
    t = dt * np.arange(200)
    rho = np.exp(-0.5 * t) * np.cos(t)
    res = mem.train_modal_rnn(rho, dt, n_modes=2, steps=50, lr=2e-2, seed=0, snapshot_every=20)
    plain = mem.train_modal_rnn(rho, dt, n_modes=2, steps=50, lr=2e-2, seed=0)
    assert np.array_equal(res.losses, plain.losses)  # snapshots do not change the training
    assert [k for k, _ in res.snapshots] == [0, 20, 40, 50] and plain.snapshots is None
    for k, models in res.snapshots:
        # independent reference: a run stopped after k steps ends with these models; the
        # snapshot's kernel reproduces the loss recorded at step k
        short = mem.train_modal_rnn(rho, dt, n_modes=2, steps=k, lr=2e-2, seed=0)
        assert np.allclose(models[0].kernel(t), short.models[0].kernel(t), rtol=0, atol=1e-14)
        khat = models[0].kernel(t)[:, 0]
        assert np.sum((khat - rho) ** 2) * dt == pytest.approx(res.losses[k], rel=1e-9)
    with pytest.raises(ValueError, match="snapshot_every"):
        mem.train_modal_rnn(rho, dt, n_modes=2, steps=5, snapshot_every=0)


def test_escape_time():
    L = np.array([[10.0, 10.0], [5.0, 9.0], [0.05, 8.0]])
    assert list(mem.escape_time(L, 100.0)) == [2, -1]


def test_tanh_rnn_gradient_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    m, d, batch, n_t = 4, 2, 3, 7
    W, U, c = rng.standard_normal((m, m)) * 0.5, rng.standard_normal((m, d)), rng.standard_normal(m)
    x, y = rng.standard_normal((batch, n_t, d)), rng.standard_normal((batch, n_t))
    loss, (dW, dU, dc) = mem.tanh_rnn_loss_and_grad(W, U, c, x, y)
    tW, tU, tc = (torch.tensor(a, requires_grad=True) for a in (W, U, c))
    h = torch.zeros(batch, m, dtype=torch.float64)
    outs = []
    for k in range(n_t):
        h = torch.tanh(h @ tW.T + torch.tensor(x[:, k]) @ tU.T)
        outs.append(h @ tc)
    yt = torch.tensor(y)
    tl = ((torch.stack(outs, 1) - yt) ** 2).sum() / (yt**2).sum()
    tl.backward()
    assert loss == pytest.approx(float(tl.detach()), rel=1e-12)
    for mine, ref in ((dW, tW), (dU, tU), (dc, tc)):
        assert np.allclose(mine, ref.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_train_tanh_rnn_learns_a_short_memory_and_is_deterministic():
    from dynapprox.functionals import apply_kernel

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 16, 1))
    rho = 0.3 * np.exp(-np.arange(16) / 2.0)
    y = apply_kernel(rho[:, None], x, 1.0, method="direct")
    a = mem.train_tanh_rnn(x, y, m=4, steps=200, lr=2e-2, seed=3)
    b = mem.train_tanh_rnn(x, y, m=4, steps=200, lr=2e-2, seed=3)
    assert np.array_equal(a.losses, b.losses) and np.array_equal(a.W, b.W)
    assert a.losses[-20:].mean() < 0.05 * a.losses[:5].mean()


# ------------------------------------------------------------------ bad input

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
    with pytest.raises(ValueError, match="parameterisation"):
        mem.decay_from_param(t, "tanh")
    with pytest.raises(ValueError, match="r must be positive"):
        mem.param_from_decay(np.array([0.0]), "exp")
    with pytest.raises(ValueError, match="U must have"):
        mem.modal_form(-np.eye(2), np.ones((3, 1)), np.ones(2))
    one = (-np.eye(1), np.ones((1, 1)), np.ones(1))
    rho = lambda s: np.exp(-s)  # noqa: E731
    with pytest.raises(TypeError, match="ModalRNN"):
        mem.perturbation_error(one, rho, [0.1], parameterisation="exp", T=5.0, rho_tail=lambda s: np.exp(-s))
    with pytest.raises(ValueError, match="deltas"):
        mem.perturbation_error(one, rho, [-0.1], T=5.0, rho_tail=lambda s: np.exp(-s))
    with pytest.raises(ValueError, match="no tail bound"):
        mem.perturbation_error(one, rho, [0.1], T=5.0)
    with pytest.raises(TypeError, match="rho must be"):
        mem.perturbation_error(one, 3.0, [0.1], T=5.0)
    with pytest.raises(ValueError, match="diagonal"):
        mem.diagonal_sensitivity((-np.ones((2, 2)), np.ones((2, 1)), np.ones(2)), [0.1])
    with pytest.raises(ValueError, match="positive entries"):
        mem.diagonal_sensitivity((-np.eye(2), -np.ones((2, 1)), np.ones(2)), [0.1])
    with pytest.raises(ValueError, match="t_max must exceed T"):
        mem.halfline_quadrature(10.0, t_max=5.0)
    with pytest.raises(ValueError, match="dt"):
        mem.kernel_l2_loss_and_grad({"p": [1.0], "omega": [0.0], "g_re": [1.0], "g_im": [0.0]}, np.ones(4), None)
    with pytest.raises(ValueError, match="tail_l1_lower|rho_tail_lower"):
        mem.modal_error_lower_bound(rho, mem.ModalRNN(np.array([1.0]), np.array([0.0]), np.array([[1.0]])), [1.0])
    with pytest.raises(ValueError, match="factor"):
        mem.escape_time(np.ones(3), 0.5)
    with pytest.raises(ValueError, match="d must be at most"):
        mem.memory_function(lambda x: x[..., 0], 5, 11, 0.1)
    with pytest.raises(ValueError, match="freq"):
        mem.ModalRNN(np.array([1.0]), np.array([-1.0]), np.array([[1.0]]))
    with pytest.raises(ValueError, match="x must have shape"):
        mem.tanh_rnn_loss_and_grad(np.eye(2), np.ones((2, 1)), np.ones(2), np.ones((3, 5, 2)), np.ones((3, 5)))
    with pytest.raises(ValueError, match="steps"):
        mem.train_tanh_rnn(np.ones((3, 5, 1)), np.ones((3, 5)), m=2, steps=0)
    with pytest.raises(ValueError, match="perturb"):
        mem.perturbation_error(one, rho, [0.1], perturb="some", T=5.0, rho_tail=lambda s: np.exp(-s))
