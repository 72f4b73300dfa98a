"""Unit tests of dynapprox.flows.controlled against scipy.integrate.solve_ivp, closed forms,
torch.autograd.gradcheck and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

from dynapprox import flows

pytestmark = pytest.mark.usefixtures("float64_default")


def test_controlled_flow_piecewise_constant_matches_solve_ivp():
    g = torch.Generator().manual_seed(4)
    K, m, n = 3, 4, 2
    W, b, V = (
        torch.randn(K, m, n, generator=g),
        torch.randn(K, m, generator=g),
        torch.randn(K, n, m, generator=g),
    )
    x0 = torch.randn(5, n, generator=g)
    T = 1.2
    out = flows.controlled_flow(
        x0, W, b, V, T, "tanh", "rk4", steps_per_piece=100
    )
    Wn, bn, Vn = W.numpy(), b.numpy(), V.numpy()

    def rhs(t, x):
        k = min(int(t / (T / K)), K - 1)
        return Vn[k] @ np.tanh(Wn[k] @ x + bn[k])

    ref = []
    for p in x0.numpy():
        y = p
        for k in range(
            K
        ):  # integrate piece by piece so that the solver never steps over a switch
            y = solve_ivp(
                rhs,
                (k * T / K, (k + 1) * T / K - 1e-15),
                y,
                rtol=1e-12,
                atol=1e-13,
            ).y[:, -1]
        ref.append(y)
    assert np.max(np.abs(out.numpy() - np.array(ref))) < 1e-8
    # control_field on one piece agrees with the formula
    assert torch.allclose(
        flows.control_field(x0, W[0], b[0], V[0]),
        torch.tanh(x0 @ W[0].T + b[0]) @ V[0].T,
    )


def test_controlled_flow_trajectory_and_euler_resnet():
    g = torch.Generator().manual_seed(5)
    W, b, V = (
        torch.randn(2, 3, 2, generator=g),
        torch.randn(2, 3, generator=g),
        torch.randn(2, 2, 3, generator=g),
    )
    x0 = torch.randn(4, 2, generator=g)
    traj = flows.controlled_flow(
        x0, W, b, V, 1.0, "relu", "euler", 3, return_trajectory=True
    )
    assert traj.shape == (7, 4, 2)
    x, h = x0, 1.0 / 6
    for j in range(6):
        k = j // 3
        x = x + h * torch.relu(x @ W[k].T + b[k]) @ V[k].T
    assert torch.allclose(traj[-1], x, atol=1e-14)


def test_gradcheck_through_rk4_and_the_controls():
    g = torch.Generator().manual_seed(6)
    W = torch.randn(2, 3, 2, generator=g, requires_grad=True)
    b = torch.randn(2, 3, generator=g, requires_grad=True)
    V = torch.randn(2, 2, 3, generator=g, requires_grad=True)
    x0 = torch.randn(3, 2, generator=g, requires_grad=True)

    def fn(x0, W, b, V):
        return flows.controlled_flow(x0, W, b, V, 0.7, "tanh", "rk4", 3)

    assert torch.autograd.gradcheck(fn, (x0, W, b, V))

    def fn2(x0):
        return flows.odeint(
            flows.talk_vector_field, x0, 0.0, 1.0, 5, "euler"
        )

    assert torch.autograd.gradcheck(fn2, (x0,))


def test_flow_of_a_one_dimensional_field_is_increasing():
    model = flows.ContinuousResNet(
        1, 4, T=2.0, width=6, init_scale=2.0, seed=3
    )
    x = torch.linspace(-2, 2, 401)[:, None]
    with torch.no_grad():
        z = model(x)[:, 0]
    assert torch.all(torch.diff(z) > 0)


def test_continuous_resnet_terminals_lift_and_determinism():
    x = torch.linspace(-1, 1, 7)[:, None]
    m1, m2 = (
        flows.ContinuousResNet(
            2,
            3,
            width=4,
            terminal="projection",
            out_dim=1,
            input_dim=1,
            seed=11,
        )
        for _ in range(2)
    )
    assert torch.equal(m1(x), m2(x)) and m1(x).shape == (7, 1)
    z = m1.flow(x)
    assert torch.equal(m1(x)[:, 0], z[:, 0])
    assert torch.equal(m1.lift(x), torch.cat([x, torch.zeros_like(x)], 1))
    clf = flows.ContinuousResNet(2, 2, terminal="classifier", seed=1)
    pts = torch.randn(10, 2, generator=torch.Generator().manual_seed(0))
    logits = clf(pts)
    assert logits.shape == (10,)
    assert torch.equal(clf.predict(pts), (logits > 0).long())
    aff = flows.ContinuousResNet(
        2, 2, terminal="affine", out_dim=3, seed=1
    )
    assert aff(pts).shape == (10, 3)
    # Euler with many steps approaches the RK4 flow
    with torch.no_grad():
        ref = clf.flow(pts, "rk4", 50)
        e1 = torch.max(torch.abs(clf.flow(pts, "euler", 10) - ref))
        e2 = torch.max(torch.abs(clf.flow(pts, "euler", 20) - ref))
    assert 1.6 < float(e1 / e2) < 2.4


def test_controls_and_model_reject_bad_input():
    W, b, V = torch.zeros(2, 3, 2), torch.zeros(2, 3), torch.zeros(2, 2, 3)
    x = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="b must have width 3"):
        flows.controlled_flow(x, W, torch.zeros(2, 4), V)
    with pytest.raises(ValueError, match="V must have trailing shape"):
        flows.controlled_flow(x, W, b, torch.zeros(2, 3, 2))
    with pytest.raises(ValueError, match="same number of pieces"):
        flows.controlled_flow(x, W, b, torch.zeros(3, 2, 3))
    with pytest.raises(ValueError, match="x0 must have 2 columns"):
        flows.controlled_flow(torch.zeros(4, 3), W, b, V)
    with pytest.raises(ValueError, match="T must be positive"):
        flows.controlled_flow(x, W, b, V, T=-1.0)
    with pytest.raises(ValueError, match="activation"):
        flows.controlled_flow(x, W, b, V, activation="gelu")
    with pytest.raises(ValueError, match="W must have 3"):
        flows.controlled_flow(x, W[0], b, V)
    with pytest.raises(ValueError, match="dim must be a positive"):
        flows.ContinuousResNet(0, 2)
    with pytest.raises(ValueError, match="terminal"):
        flows.ContinuousResNet(2, 2, terminal="softmax")
    with pytest.raises(ValueError, match="input_dim must be at most"):
        flows.ContinuousResNet(2, 2, input_dim=3)
    with pytest.raises(ValueError, match="x must have 1 columns"):
        flows.ContinuousResNet(2, 2, input_dim=1)(torch.zeros(3, 2))
    with pytest.raises(ValueError, match="predict needs"):
        flows.ContinuousResNet(2, 2).predict(x)
    with pytest.raises(ValueError, match="y must have shape"):
        flows.train_full_batch(
            flows.ContinuousResNet(2, 1), x, torch.zeros(4)
        )
    with pytest.raises(ValueError, match="labels 0 and 1"):
        flows.train_full_batch(
            flows.ContinuousResNet(2, 1, terminal="classifier"),
            x,
            torch.full((4,), 2.0),
            "bce",
        )
    with pytest.raises(ValueError, match="x must have shape"):
        flows.talk_vector_field(0.0, torch.zeros(3, 3))


def test_controlled_flow_exact_closed_form_and_fixed_step_schemes():
    g = torch.Generator().manual_seed(7)
    K, m, n = 3, 4, 2
    x0 = torch.randn(6, n, generator=g)
    # W = 0: the field V_k sigma(b_k) is constant on each piece, the flow a sum of translations
    W0, b, V = (
        torch.zeros(K, m, n),
        torch.randn(K, m, generator=g),
        torch.randn(K, n, m, generator=g),
    )
    for act, sig in (
        ("tanh", torch.tanh),
        ("sigmoid", torch.sigmoid),
        ("softplus", torch.nn.functional.softplus),
        ("relu", torch.relu),
    ):
        exact = flows.controlled_flow_exact(
            x0, W0, b, V, T=1.5, activation=act
        )
        shift = sum(0.5 * V[k] @ sig(b[k]) for k in range(K))
        assert torch.allclose(exact, x0 + shift, atol=1e-12), act
    # a genuinely nonlinear field: RK4 with many steps per piece (an independent fixed-step
    # scheme) agrees to its own accuracy; RK4 with one step per piece and large weights does not
    W = 3 * torch.randn(K, m, n, generator=g)
    V = 3 * torch.randn(K, n, m, generator=g)
    exact = flows.controlled_flow_exact(x0, W, b, V, T=1.0)
    fine = flows.controlled_flow(
        x0, W, b, V, T=1.0, method="rk4", steps_per_piece=400
    )
    coarse = flows.controlled_flow(
        x0, W, b, V, T=1.0, method="rk4", steps_per_piece=1
    )
    assert float((exact - fine).abs().max()) < 1e-8
    assert float((exact - coarse).abs().max()) > 1e-3
    assert exact.dtype == torch.float64 and exact.shape == x0.shape
    with pytest.raises(ValueError, match="rtol must be positive"):
        flows.controlled_flow_exact(x0, W, b, V, rtol=0.0)
    with pytest.raises(ValueError, match="x0 must have 2 columns"):
        flows.controlled_flow_exact(torch.zeros(3, 3), W, b, V)
    with pytest.raises(ValueError, match="activation"):
        flows.controlled_flow_exact(x0, W, b, V, activation="gelu")


def test_gaussian_initializer_scale_seed_and_bad_input():
    randn = flows.gaussian_initializer(2.0, seed=5, dtype=torch.float64)
    w = randn(4000, fan_in=4)
    assert isinstance(w, torch.nn.Parameter) and w.dtype == torch.float64
    assert (
        abs(float(w.detach().std()) - 1.0) < 0.05
    )  # 2 / sqrt(4) = 1; sd of the estimate 0.011
    again = flows.gaussian_initializer(2.0, seed=5, dtype=torch.float64)
    assert torch.equal(again(4000, fan_in=4), w)
    with pytest.raises(ValueError, match="init_scale"):
        flows.gaussian_initializer(-1.0, 0, torch.float64)
    with pytest.raises(TypeError, match="dtype"):
        flows.gaussian_initializer(1.0, 0, torch.int64)


def test_scalar_terminal_is_the_affine_readout_of_one_output():
    x = torch.randn(5, 2)
    scalar = flows.ContinuousResNet(
        3, 2, terminal="scalar", input_dim=2, seed=4
    )
    affine = flows.ContinuousResNet(
        3, 2, terminal="affine", out_dim=1, input_dim=2, seed=4
    )
    assert scalar(x).shape == (5,)
    assert torch.equal(scalar(x), affine(x)[:, 0])
    with pytest.raises(ValueError, match="predict needs"):
        scalar.predict(x)
