"""Tests of dynapprox.control.closed_loop against autograd and closed forms."""

from __future__ import annotations

import torch
from control_problems import (
    DT,
    make_problem,
)

from dynapprox import control as ctl


def test_closed_loop_with_zero_gain_is_open_loop():
    W, b, x0, _ = make_problem(7)
    subs = ctl.embedding_subspaces(ctl.forward(x0, W, b, 0.2), k=1)
    assert torch.allclose(
        ctl.closed_loop_forward(x0, W, b, 0.2, subs, gain=0.0),
        ctl.forward(x0, W, b, 0.2),
    )
    s = ctl.closed_loop_forward(x0, W, b, 0.2, subs, gain=1.0, layers=[0])
    assert torch.max(subs[0].residual(s[0]).abs()) < 1e-12


def _closed_loop_problem(seed=8):
    W, b, x0, _ = make_problem(seed, n_layers=5, d=4, batch=6)
    subs = ctl.embedding_subspaces(ctl.forward(x0 + 0.1, W, b, 0.3), k=2)
    return W, b, x0, subs


def test_closed_loop_gradient_is_autograd():
    # the costate recursion gives the gradient of J (independent reference: autograd)
    W, b, x0, subs = _closed_loop_problem()
    g = torch.Generator().manual_seed(1)
    u = 0.3 * torch.randn(6, 6, 4, generator=g, dtype=DT)
    for c, layers in ((0.0, None), (0.4, [0, 2, 5]), (1.5, [3])):
        grad = ctl.closed_loop_gradient(
            x0, W, b, 0.3, subs, u, c=c, layers=layers
        )
        ur = u.clone().requires_grad_(True)
        J, _ = ctl.closed_loop_objective(
            x0, W, b, 0.3, subs, ur, c=c, layers=layers
        )
        (ref,) = torch.autograd.grad(J.sum(), ur)
        assert torch.max((grad - ref).abs()) < 1e-12, (c, layers)
        if layers is not None:  # no gradient at uncontrolled layers
            off = [n for n in range(6) if n not in layers]
            assert torch.all(grad[off] == 0)


def test_greedy_projection_is_exact_minimiser_when_c_is_zero():
    # with c = 0 the layer-wise projection drives every running loss to zero: J = 0
    W, b, x0, subs = _closed_loop_problem()
    z = ctl.closed_loop_forward(x0, W, b, 0.3, subs, gain=1.0)
    prev = torch.cat(
        [
            x0[None],
            z[:-1]
            + 0.3
            * torch.tanh(
                torch.einsum("nij,nbj->nbi", W, z[:-1]) + b[:, None]
            ),
        ]
    )
    J, states = ctl.closed_loop_objective(
        x0, W, b, 0.3, subs, z - prev, c=0.0
    )
    assert torch.allclose(states, z, atol=1e-14)
    assert float(J.max()) < 1e-24
    J0, _ = ctl.closed_loop_objective(
        x0, W, b, 0.3, subs, torch.zeros_like(z), c=0.0
    )
    assert float(J0.min()) > 1e-3


def test_closed_loop_pmp_single_layer_reaches_closed_form():
    # one controlled layer, c > 0: strictly convex quadratic, minimiser u = -(I-P)(x-m)/(1+c)
    W, b, x0, subs = _closed_loop_problem()
    c = 0.5
    res = ctl.closed_loop_pmp(
        x0, W, b, 0.3, subs, c=c, n_iter=400, lr=0.01, layers=[0]
    )
    u_cf = -subs[0].residual(x0) / (1 + c)
    J_cf, _ = ctl.closed_loop_objective(
        x0,
        W,
        b,
        0.3,
        subs,
        torch.stack([u_cf] + [torch.zeros_like(x0)] * 5),
        c=c,
        layers=[0],
    )
    assert torch.all(res.best_objective >= J_cf - 1e-12)
    assert torch.max(res.best_objective - J_cf) < 1e-4 * float(J_cf.max())
    assert torch.max((res.controls[0] - u_cf).abs()) < 1e-2
    assert torch.all(res.controls[1:] == 0)
    assert res.objective[0] > res.objective.min()
    # the returned states are those of the returned controls
    J, z = ctl.closed_loop_objective(
        x0, W, b, 0.3, subs, res.controls, c=c, layers=[0]
    )
    assert torch.allclose(
        J, res.best_objective, atol=1e-12
    ) and torch.allclose(z, res.states, atol=1e-12)


def test_closed_loop_pmp_decreases_joint_objective():
    W, b, x0, subs = _closed_loop_problem()
    res = ctl.closed_loop_pmp(
        x0 + 0.5, W, b, 0.3, subs, c=0.1, n_iter=60, lr=0.02
    )
    assert res.objective.shape == (61,)
    assert float(res.best_objective.mean()) < 0.5 * res.objective[0]
    assert ctl.closed_loop_pmp(
        x0, W, b, 0.3, subs, n_iter=0
    ).objective.shape == (1,)


def _greedy_controls(x0, W, b, h, subs):
    z = ctl.closed_loop_forward(x0, W, b, h, subs, gain=1.0)
    return z - torch.cat([x0[None], ctl.layer_maps(z[:-1], W, b, h)])


def _reference_msa(x0, W, b, h, subs, c, n_outer, n_inner, lr):
    """Algorithm 1 of the journal paper written with autograd (independent reference)."""
    N = W.shape[0]
    u = list(_greedy_controls(x0, W, b, h, subs))

    def f(n, z):
        return z + h * torch.tanh(z @ W[n].T + b[n])

    for _ in range(n_outer):
        xs = [x0]
        for n in range(N):
            xs.append(f(n, xs[n] + u[n]))
        p = None
        for n in reversed(range(N + 1)):

            def H(x, v, n=n, p=p):
                z = x + v
                val = -(subs[n].residual(z) ** 2).sum() - c * (v**2).sum()
                return val + (p * f(n, z)).sum() if n < N else val

            for _ in range(n_inner):
                v = u[n].clone().requires_grad_(True)
                (gv,) = torch.autograd.grad(H(xs[n], v), v)
                u[n] = (u[n] + lr * gv).detach()
            x = xs[n].clone().requires_grad_(True)
            (p,) = torch.autograd.grad(H(x, u[n]), x)
    return torch.stack(u)


def test_closed_loop_msa_matches_autograd_reference():
    W, b, x0, subs = _closed_loop_problem()
    for c, lr in ((0.001, 0.1), (0.3, 0.4)):
        res = ctl.closed_loop_msa(
            x0, W, b, 0.3, subs, c=c, n_outer=3, n_inner=4, lr=lr
        )
        ref = _reference_msa(x0, W, b, 0.3, subs, c, 3, 4, lr)
        assert (
            torch.max((res.controls - ref).abs())
            < 1e-12 * float(ref.abs().max()) + 1e-14
        )
        J, z = ctl.closed_loop_objective(
            x0, W, b, 0.3, subs, res.controls, c=c
        )
        assert torch.allclose(
            J, res.best_objective, atol=1e-13
        ) and torch.allclose(z, res.states, atol=1e-13)
        assert (
            res.objective.shape == (4,)
            and abs(res.objective[-1] - float(J.mean())) < 1e-13
        )


def test_closed_loop_msa_returns_greedy_when_c_is_zero():
    # the greedy start is a global minimiser (J = 0): costates and Hamiltonian gradients vanish
    W, b, x0, subs = _closed_loop_problem()
    res = ctl.closed_loop_msa(
        x0 + 0.4, W, b, 0.3, subs, c=0.0, n_outer=3, n_inner=10, lr=0.5
    )
    ug = _greedy_controls(x0 + 0.4, W, b, 0.3, subs)
    assert torch.max((res.controls - ug).abs()) < 1e-12
    assert res.objective.max() < 1e-24


def test_closed_loop_msa_single_layer_reaches_closed_form():
    # one controlled layer, c > 0: the inner ascent converges to u = -(I-P)(x-m)/(1+c)
    W, b, x0, subs = _closed_loop_problem()
    c = 0.5
    res = ctl.closed_loop_msa(
        x0,
        W,
        b,
        0.3,
        subs,
        c=c,
        n_outer=1,
        n_inner=100,
        lr=0.25,
        layers=[2],
    )
    x2 = ctl.forward(x0, W, b, 0.3)[2]
    assert (
        torch.max((res.controls[2] + subs[2].residual(x2) / (1 + c)).abs())
        < 1e-12
    )
    assert torch.all(res.controls[[0, 1, 3, 4, 5]] == 0)


def test_closed_loop_msa_small_steps_reach_a_stationary_point():
    # with small steps the sweeps converge; the limit is stationary for J (gradient by autograd-tested costates)
    W, b, x0, subs = _closed_loop_problem()
    res = ctl.closed_loop_msa(
        x0 + 0.3, W, b, 0.3, subs, c=0.2, n_outer=2000, n_inner=1, lr=0.02
    )
    grad = ctl.closed_loop_gradient(
        x0 + 0.3, W, b, 0.3, subs, res.controls, c=0.2
    )
    assert float(grad.abs().max()) < 1e-6
    assert res.objective[-1] < res.objective[0]


def test_fgsm_increases_loss_and_has_sup_norm_eps():
    g = torch.Generator().manual_seed(0)
    A = torch.randn(3, 4, generator=g, dtype=DT)
    x = torch.randn(10, 4, generator=g, dtype=DT)
    y = torch.randint(0, 3, (10,), generator=g)

    def f(z):
        return z @ A.T

    xa = ctl.fgsm(x, y, f, 0.1)
    assert torch.allclose((xa - x).abs(), torch.full_like(x, 0.1))
    ce = torch.nn.functional.cross_entropy
    assert ce(f(xa), y) > ce(f(x), y)
