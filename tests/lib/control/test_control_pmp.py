"""Tests of dynapprox.control.pmp: states, costates and Hamiltonians against autograd."""

from __future__ import annotations

import numpy as np
import torch
from control_problems import (
    DT,
    make_problem,
    sum_loss,
)

from dynapprox import control as ctl


def test_forward_matches_explicit_loop():
    W, b, x0, _ = make_problem()
    s = ctl.forward(x0, W, b, 0.3)
    x = x0.clone()
    for n in range(W.shape[0]):
        x = x + 0.3 * torch.tanh(x @ W[n].T + b[n])
        assert torch.allclose(s[n + 1], x, atol=1e-15)


def test_costate_equals_backprop_gradient():
    W, b, x0, y = make_problem()
    h = 0.3
    Wr, br = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
    xs = [x0.clone().requires_grad_(True)]
    for n in range(W.shape[0]):
        xs.append(xs[-1] + h * torch.tanh(xs[-1] @ Wr[n].T + br[n]))
    for x in xs:
        x.retain_grad()
    reg = 1e-2
    J = sum_loss(xs[-1], y) + 0.5 * reg * (
        Wr.pow(2).sum() + br.pow(2).sum()
    )
    J.backward()
    states = torch.stack([x.detach() for x in xs])
    p = ctl.costates(
        states, W, b, h, ctl.terminal_costate(states[-1], y, sum_loss)
    )
    for n, x in enumerate(xs):
        assert torch.max(torch.abs(p[n] + x.grad)) < 1e-12
    # and grad_theta H_n = -dJ/dtheta_n
    Wh, bh = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
    ctl.hamiltonian(states, p, Wh, bh, h, reg).sum().backward()
    assert torch.max(torch.abs(Wh.grad + Wr.grad)) < 1e-12
    assert torch.max(torch.abs(bh.grad + br.grad)) < 1e-12


def test_hamiltonian_grad_x_matches_autograd():
    W, b, x0, y = make_problem(1)
    h = 0.2
    states = ctl.forward(x0, W, b, h)
    p = torch.randn(
        states.shape, generator=torch.Generator().manual_seed(3), dtype=DT
    )
    x = states[:-1].clone().requires_grad_(True)
    H = (p[1:] * ctl.layer_maps(x, W, b, h)).sum()
    (g,) = torch.autograd.grad(H, x)
    assert torch.allclose(
        ctl.hamiltonian_grad_x(states[:-1], p[1:], W, b, h), g, atol=1e-14
    )


def test_augmented_hamiltonian_penalties_vanish_at_current_weights():
    W, b, x0, y = make_problem(2)
    h = 0.25
    states = ctl.forward(x0, W, b, h)
    p = ctl.costates(
        states, W, b, h, ctl.terminal_costate(states[-1], y, sum_loss)
    )
    a = ctl.augmented_hamiltonian(W, b, states, p, h, 1e-3, 5.0)
    plain = ctl.hamiltonian(states, p, W, b, h, 1e-3)
    assert torch.allclose(a, plain, atol=1e-13)


def test_hamiltonian_remainder_is_second_order():
    W, b, x0, y = make_problem(5)
    h = 0.3
    states = ctl.forward(x0, W, b, h)
    p = ctl.costates(
        states, W, b, h, ctl.terminal_costate(states[-1], y, sum_loss)
    )
    g = torch.Generator().manual_seed(9)
    dW, db = (
        torch.randn(W.shape, generator=g, dtype=DT),
        torch.randn(b.shape, generator=g, dtype=DT),
    )
    rem = []
    eps = [1e-3, 2e-3, 4e-3, 8e-3]
    J0 = float(ctl.objective(x0, y, W, b, h, 0.0, sum_loss))
    H0 = ctl.hamiltonian(states, p, W, b, h, 0.0).sum()
    for e in eps:
        J1 = float(
            ctl.objective(x0, y, W + e * dW, b + e * db, h, 0.0, sum_loss)
        )
        dH = float(
            ctl.hamiltonian(
                states, p, W + e * dW, b + e * db, h, 0.0
            ).sum()
            - H0
        )
        rem.append(abs(J1 - J0 + dH))
    slope = np.polyfit(np.log(eps), np.log(rem), 1)[0]
    assert abs(slope - 2) < 0.1


def test_weight_decay_is_half_lambda_squared_norm_per_layer():
    W, b, _, _ = make_problem()
    explicit = [
        0.5 * 0.3 * (float((W[n] ** 2).sum()) + float((b[n] ** 2).sum()))
        for n in range(W.shape[0])
    ]
    assert np.allclose(
        ctl.weight_decay(W, b, 0.3).numpy(), explicit, rtol=1e-14
    )
