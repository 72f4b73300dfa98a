"""Tests of dynapprox.training: hand-written gradients against autograd, the optimiser, SSM training."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from dynapprox.halfline import quadrature_rule
from dynapprox.linear_rnn import LinearRNN
from dynapprox.parameterisations import PARAMETERISATIONS, weight
from dynapprox.training import (
    _ssm_loss_and_grads,
    kernel_l2_loss_and_grad,
    kernel_loss_gradients,
    train_diagonal_ssm,
    train_modal_rnn,
)


def test_kernel_loss_gradient_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    n, dt = 3, 0.1
    t = dt * np.arange(60)
    rho = np.exp(-t) + np.exp(-((t - 2) ** 2))
    params = {
        "p": rng.standard_normal(n),
        "omega": rng.uniform(0, 2, n),
        "g_re": rng.standard_normal(n),
        "g_im": rng.standard_normal(n),
    }
    for par in PARAMETERISATIONS:
        P = dict(params)
        if par == "direct":
            P["p"] = np.abs(P["p"]) + 0.1
        loss, grads = kernel_l2_loss_and_grad(P, rho, dt, par)
        tp = {k: torch.tensor(v, requires_grad=True) for k, v in P.items()}
        f = {
            "direct": lambda p: p,
            "exp": torch.exp,
            "softplus": torch.nn.functional.softplus,
            "best": lambda p: 1.0 / (p**2 + 0.5),
        }[par]
        lam = torch.complex(-f(tp["p"]), tp["omega"])
        g = torch.complex(tp["g_re"], tp["g_im"])
        tt = torch.tensor(t, dtype=torch.float64)
        khat = (
            2 * torch.exp(tt[:, None] * lam[None, :]) * g[None, :]
        ).real.sum(1)
        tl = ((khat - torch.tensor(rho)) ** 2).sum() * dt
        tl.backward()
        assert loss == pytest.approx(float(tl.detach()), rel=1e-12)
        for k in P:
            assert np.allclose(
                grads[k], tp[k].grad.numpy(), rtol=1e-9, atol=1e-12
            ), (
                par,
                k,
            )


def test_kernel_loss_on_quadrature_nodes_is_the_half_line_integral():
    # one real pair 2 Re(g e^{-r t}) against e^{-t}: J = int (2g e^{-rt} - e^{-t})^2 in closed form,
    # and the gradient on the nodes is the gradient of the same weighted sum (torch)
    torch = pytest.importorskip("torch")
    t, w = quadrature_rule(
        20.0, t_max=1e5, panel=1.0, nodes=10, growth=0.5
    )
    g, r = 0.3, 0.4
    P = {
        "p": weight(np.array([r]), "exp"),
        "omega": np.array([0.0]),
        "g_re": np.array([g]),
        "g_im": np.array([0.0]),
    }
    loss, grads = kernel_l2_loss_and_grad(
        P, np.exp(-t), None, "exp", t=t, weights=w
    )
    exact = (2 * g) ** 2 / (2 * r) - 2 * (2 * g) / (r + 1) + 0.5
    assert loss == pytest.approx(exact, rel=1e-11)
    tp = torch.tensor(P["p"], requires_grad=True)
    tg = torch.tensor(P["g_re"], requires_grad=True)
    tt, tw = torch.tensor(t), torch.tensor(w)
    tl = (
        ((2 * tg * torch.exp(-torch.exp(tp) * tt)) - torch.exp(-tt)) ** 2
        * tw
    ).sum()
    tl.backward()
    assert np.allclose(
        grads["p"], tp.grad.numpy(), rtol=1e-10
    ) and np.allclose(grads["g_re"], tg.grad.numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="either dt alone"):
        kernel_l2_loss_and_grad(P, np.exp(-t), 0.1, "exp", t=t, weights=w)


def test_train_modal_rnn_fits_a_two_mode_kernel_and_batches_are_independent():
    dt = 0.1
    t = dt * np.arange(200)
    rho = np.stack([np.exp(-0.5 * t) * np.cos(t), np.exp(-t)])
    res = train_modal_rnn(rho, dt, n_modes=2, steps=1500, lr=2e-2, seed=0)
    assert res.losses.shape == (1501, 2)
    assert np.all(res.losses[-1] < 1e-3 * res.losses[0])
    single = train_modal_rnn(
        rho[1], dt, n_modes=2, steps=1500, lr=2e-2, seed=0
    )
    assert np.allclose(single.losses, res.losses[:, 1])
    # the returned models reproduce the trained kernels
    khat = res.models[0].kernel(t)[:, 0]
    assert np.sum((khat - rho[0]) ** 2) * dt == pytest.approx(
        res.losses[-1, 0], rel=1e-6, abs=1e-12
    )


def test_train_modal_rnn_snapshots_are_the_models_of_shorter_runs():
    dt = 0.1
    t = dt * np.arange(200)
    rho = np.exp(-0.5 * t) * np.cos(t)
    res = train_modal_rnn(
        rho, dt, n_modes=2, steps=50, lr=2e-2, seed=0, snapshot_every=20
    )
    plain = train_modal_rnn(rho, dt, n_modes=2, steps=50, lr=2e-2, seed=0)
    assert np.array_equal(
        res.losses, plain.losses
    )  # snapshots do not change the training
    assert [k for k, _ in res.snapshots] == [
        0,
        20,
        40,
        50,
    ] and plain.snapshots is None
    for k, models in res.snapshots:
        # independent reference: a run stopped after k steps ends with these models; the
        # snapshot's kernel reproduces the loss recorded at step k
        short = train_modal_rnn(
            rho, dt, n_modes=2, steps=k, lr=2e-2, seed=0
        )
        assert np.allclose(
            models[0].kernel(t),
            short.models[0].kernel(t),
            rtol=0,
            atol=1e-14,
        )
        khat = models[0].kernel(t)[:, 0]
        assert np.sum((khat - rho) ** 2) * dt == pytest.approx(
            res.losses[k], rel=1e-9
        )
    with pytest.raises(ValueError, match="snapshot_every"):
        train_modal_rnn(rho, dt, n_modes=2, steps=5, snapshot_every=0)


def test_train_modal_rnn_adam_is_the_textbook_update():
    # torch.optim.Adam makes the same steps as Adam written out (to rounding)
    dt = 0.1
    t = dt * np.arange(80)
    rho = np.exp(-0.5 * t) * np.cos(t)
    res = train_modal_rnn(rho, dt, n_modes=2, steps=20, lr=1e-2, seed=0)
    gen = np.random.default_rng(0)
    om0 = gen.uniform(0.0, 1.0, size=2)
    params = {
        "p": weight(np.full(2, 1.0), "softplus"),
        "omega": om0,
        "g_re": 0.1 * gen.standard_normal(2),
        "g_im": 0.1 * gen.standard_normal(2),
    }
    m1 = {k: np.zeros(2) for k in params}
    m2 = {k: np.zeros(2) for k in params}
    for it in range(20):
        loss, grads = kernel_l2_loss_and_grad(params, rho, dt, "softplus")
        assert loss == pytest.approx(res.losses[it], rel=1e-10)
        for k in params:
            m1[k] = 0.9 * m1[k] + 0.1 * grads[k]
            m2[k] = 0.999 * m2[k] + 0.001 * grads[k] ** 2
            mh, vh = (
                m1[k] / (1 - 0.9 ** (it + 1)),
                m2[k] / (1 - 0.999 ** (it + 1)),
            )
            params[k] = params[k] - 1e-2 * mh / (np.sqrt(vh) + 1e-8)
    for k in params:
        np.testing.assert_allclose(res.params[k], params[k], rtol=1e-10)


def test_ssm_loss_gradients_autograd_match_hand_written_and_finite_differences():
    rng = np.random.default_rng(0)
    dt = 0.2
    t = dt * np.arange(100)
    rho = (1 + t) ** -2.0
    for p in PARAMETERISATIONS:
        w = weight(np.array([0.05, 0.4, 1.5]), p, 1.0, 0.3)
        u, c = rng.normal(size=3), rng.normal(size=3)
        model = LinearRNN.modal(w, None, c * u, p, 1.0, 0.3)
        loss, grads = kernel_loss_gradients(model, rho, dt)
        loss2, _, grads2 = _ssm_loss_and_grads(
            {"w": w, "u": u, "c": c}, rho, t, dt, p, 1.0, 0.3
        )
        assert loss == pytest.approx(loss2, rel=1e-12)
        np.testing.assert_allclose(
            grads["w"], grads2["w"], rtol=1e-9, atol=1e-14
        )
        np.testing.assert_allclose(
            grads["coef"] * u, grads2["c"], rtol=1e-9, atol=1e-14
        )
        h = 1e-6
        wp, wm = w.copy(), w.copy()
        wp[0] += h
        wm[0] -= h
        lp = kernel_loss_gradients(
            LinearRNN.modal(wp, None, c * u, p, 1.0, 0.3), rho, dt
        )[0]
        lm = kernel_loss_gradients(
            LinearRNN.modal(wm, None, c * u, p, 1.0, 0.3), rho, dt
        )[0]
        assert grads["w"][0] == pytest.approx(
            (lp - lm) / (2 * h), rel=1e-5, abs=1e-10
        )


def test_ssm_loss_is_the_riemann_sum_and_approximates_the_integral():
    model = LinearRNN.modal([1.0], None, [1.0])  # kernel e^{-t}
    dt = 1e-3
    t = dt * np.arange(20000)
    loss, _ = kernel_loss_gradients(model, np.zeros_like(t), dt)
    ref = integrate.quad(lambda s: np.exp(-2 * s), 0, np.inf)[0]
    assert loss == pytest.approx(ref, rel=2e-3)


def test_train_diagonal_ssm_decreases_the_loss_and_is_deterministic():
    dt = 0.25
    t = dt * np.arange(200)
    rho = np.exp(-0.3 * t) + 0.5 * np.exp(-2 * t)
    lam0 = -np.array([0.1, 1.0, 3.0])
    r1 = train_diagonal_ssm(
        rho, dt, lam0, steps=300, lr=0.05, seed=0, parameterisation="exp"
    )
    r2 = train_diagonal_ssm(
        rho, dt, lam0, steps=300, lr=0.05, seed=0, parameterisation="exp"
    )
    np.testing.assert_array_equal(r1.losses, r2.losses)
    assert r1.losses[-1] < 1e-2 * r1.losses[0] and not r1.diverged
    g = train_diagonal_ssm(
        rho,
        dt,
        lam0,
        steps=50,
        lr=1e-3,
        seed=0,
        parameterisation="softplus",
        optimizer="gd",
    )
    assert g.losses[-1] < g.losses[0]
    np.testing.assert_allclose(r1.max_eigenvalue[0], -0.1)
    np.testing.assert_allclose(r1.model.coef[:, 0].real, r1.c * r1.u)


def test_train_diagonal_ssm_direct_is_the_mirror_of_the_eigenvalue_parameterisation():
    # direct stores w = -lambda; plain gradient descent on w is gradient descent on lambda
    dt = 0.25
    t = dt * np.arange(100)
    rho = np.exp(-0.3 * t)
    lam0 = -np.array([0.5, 2.0])
    r = train_diagonal_ssm(
        rho,
        dt,
        lam0,
        steps=5,
        lr=0.01,
        seed=0,
        parameterisation="direct",
        optimizer="gd",
    )
    gen = np.random.default_rng(0)
    lam, u, c = (
        lam0.copy(),
        0.1 * gen.standard_normal(2),
        0.1 * gen.standard_normal(2),
    )
    for _ in range(5):
        E = np.exp(np.outer(t, lam))
        e = E @ (c * u) - rho
        dg = 2 * dt * (e @ E)
        dlam = 2 * dt * ((e * t) @ E) * (c * u)
        lam, u, c = lam - 0.01 * dlam, u - 0.01 * c * dg, c - 0.01 * u * dg
    np.testing.assert_allclose(-r.model.decay, lam, rtol=1e-12)


def test_divergence_is_reported_and_the_model_stays_finite():
    dt = 0.25
    t = dt * np.arange(400)
    rho = (1 + t) ** -2.0
    lam0 = -np.logspace(0, -1.5, 8)
    r = train_diagonal_ssm(
        rho,
        dt,
        lam0,
        steps=100,
        lr=2.0,
        seed=1,
        parameterisation="exp",
        optimizer="gd",
    )
    assert r.diverged and np.isnan(r.losses[-1])
    assert (
        np.all(np.isfinite(r.model.weights))
        and np.all(np.isfinite(r.u))
        and np.all(np.isfinite(r.c))
    )


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="dt"):
        kernel_l2_loss_and_grad(
            {"p": [1.0], "omega": [0.0], "g_re": [1.0], "g_im": [0.0]},
            np.ones(4),
            None,
        )
    with pytest.raises(
        ValueError, match="init_eigenvalues must be negative"
    ):
        train_diagonal_ssm(
            np.ones(10), 0.1, [0.5], steps=1, lr=0.1, seed=0
        )
    with pytest.raises(ValueError, match="optimizer"):
        train_diagonal_ssm(
            np.ones(10),
            0.1,
            [-0.5],
            steps=1,
            lr=0.1,
            seed=0,
            optimizer="sgd",
        )
    with pytest.raises(TypeError, match="real modes"):
        kernel_loss_gradients(
            LinearRNN(-np.eye(1), np.ones((1, 1)), np.ones(1)),
            np.ones(4),
            0.1,
        )
