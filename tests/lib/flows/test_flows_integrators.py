"""Unit tests of dynapprox.flows.integrators against scipy.integrate.solve_ivp, scipy.linalg.expm,
measured orders of convergence and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from flows_reference import solve_ivp_reference
from scipy.linalg import expm

from dynapprox import flows
from dynapprox.rates import fit_loglog_rate

pytestmark = pytest.mark.usefixtures("float64_default")


def test_rk4_matches_solve_ivp_on_the_talks_nonlinear_field():
    rng = np.random.default_rng(1)
    # on [-1, 1]^2 the trajectories stay bounded up to T = 3 (outside, |x_1| > 1 is anti-damped
    # and some trajectories grow fast); RK4 with h = 0.0075 then has errors ~ 1e-10
    x0 = rng.uniform(-1.0, 1.0, size=(6, 2))
    ref = solve_ivp_reference(x0, 3.0)
    out = flows.odeint(
        flows.talk_vector_field,
        torch.tensor(x0),
        0.0,
        3.0,
        n_steps=400,
        method="rk4",
    )
    assert np.max(np.abs(out.numpy() - ref)) < 1e-8


def test_linear_flow_matches_matrix_exponential():
    rng = np.random.default_rng(2)
    A = rng.normal(size=(3, 3)) / 2
    x0 = rng.normal(size=(5, 3))
    At = torch.tensor(A)
    out = flows.odeint(
        lambda t, x: x @ At.T,
        torch.tensor(x0),
        0.0,
        1.5,
        n_steps=200,
        method="rk4",
    )
    exact = x0 @ expm(1.5 * A).T
    # RK4 is exact up to the Taylor remainder of exp(hA) beyond order 4: relative error ~ T (h|A|)^4 / 120
    assert np.max(np.abs(out.numpy() - exact)) < 1e-9 * np.max(
        np.abs(exact)
    )
    # and Euler is exactly (I + hA)^N
    eul = flows.odeint(
        lambda t, x: x @ At.T,
        torch.tensor(x0),
        0.0,
        1.5,
        n_steps=30,
        method="euler",
    )
    assert np.allclose(
        eul.numpy(),
        x0 @ np.linalg.matrix_power(np.eye(3) + 0.05 * A, 30).T,
        rtol=1e-12,
    )


def test_euler_is_exactly_a_resnet_and_trajectory_shape():
    rng = np.random.default_rng(3)
    A = torch.tensor(rng.normal(size=(2, 2)))
    x0 = torch.tensor(rng.normal(size=(4, 2)))

    def f(t, x):
        return torch.tanh(x @ A.T) * (1 + t)

    traj = flows.odeint(
        f, x0, 0.0, 1.0, n_steps=5, method="euler", return_trajectory=True
    )
    assert traj.shape == (6, 4, 2)
    x, h = x0.clone(), 0.2
    for k in range(5):
        x = x + h * f(k * h, x)
        assert torch.allclose(traj[k + 1], x, rtol=0, atol=1e-15)
    assert torch.equal(
        traj[-1], flows.odeint(f, x0, 0.0, 1.0, n_steps=5, method="euler")
    )


def test_backward_integration_inverts_the_flow():
    x0 = torch.tensor([[0.3, -0.7], [1.1, 0.2]])
    xT = flows.odeint(flows.talk_vector_field, x0, 0.0, 2.0, 200)
    back = flows.odeint(flows.talk_vector_field, xT, 2.0, 0.0, 200)
    assert torch.max(torch.abs(back - x0)) < 1e-9


@pytest.mark.parametrize(
    "method, order, steps",
    [("euler", 1, [20, 40, 80, 160, 320]), ("rk4", 4, [10, 20, 40, 80])],
)
def test_measured_order_of_convergence(method, order, steps):
    x0 = np.array([[0.8, -0.4], [-1.0, 0.5]])
    ref = solve_ivp_reference(x0, 2.0)
    errs = [
        np.max(
            np.abs(
                flows.odeint(
                    flows.talk_vector_field,
                    torch.tensor(x0),
                    0.0,
                    2.0,
                    n,
                    method,
                ).numpy()
                - ref
            )
        )
        for n in steps
    ]
    fit = fit_loglog_rate(np.array(steps, float), np.array(errs))
    # asymptotic regime: the slope is -order up to O(h) corrections, here below 0.15
    assert abs(fit.slope + order) < 0.15, fit


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        (
            dict(x0=np.zeros((2, 2))),
            TypeError,
            "x0 must be a torch.Tensor",
        ),
        (
            dict(x0=torch.zeros(2, 2, dtype=torch.int64)),
            TypeError,
            "floating-point",
        ),
        (dict(n_steps=0), ValueError, "n_steps"),
        (dict(n_steps=2.5), TypeError, "n_steps"),
        (dict(method="rk45"), ValueError, "method"),
        (dict(t1=0.0), ValueError, "t1 must differ"),
        (dict(t1=float("nan")), ValueError, "t1"),
        (dict(f=3), TypeError, "f must be callable"),
        (dict(f=lambda t, x: x[:, :1]), ValueError, "shape of x"),
    ],
)
def test_odeint_rejects_bad_input(kwargs, exc, words):
    args = dict(f=lambda t, x: -x, x0=torch.ones(2, 2))
    args.update(kwargs)
    with pytest.raises(exc, match=words):
        flows.odeint(**args)


def test_piecewise_flow_switches_fields_at_the_piece_boundaries():
    # dx/dt = a_k x on [kT/K, (k+1)T/K): x(T) = exp(T/K * sum a_k) x(0) exactly for the flow
    rates = [0.5, -1.0, 2.0]
    fields = [(lambda t, x, a=a: a * x) for a in rates]
    x0 = torch.tensor([[1.0], [-2.0]])
    out = flows.piecewise_flow(
        fields, x0, T=0.9, method="rk4", steps_per_piece=50
    )
    assert torch.allclose(out, x0 * math.exp(0.3 * sum(rates)), rtol=1e-9)
    traj = flows.piecewise_flow(
        fields, x0, 0.9, "euler", 4, return_trajectory=True
    )
    assert traj.shape == (13, 2, 1) and torch.equal(traj[0], x0)
    # Euler: each piece multiplies by (1 + h a_k)^s
    expected = x0 * math.prod((1 + 0.3 / 4 * a) ** 4 for a in rates)
    assert torch.allclose(traj[-1], expected, rtol=1e-12)
    with pytest.raises(ValueError, match="fields must contain"):
        flows.piecewise_flow([], x0, 1.0)
    with pytest.raises(ValueError, match="T must be"):
        flows.piecewise_flow(fields, x0, 0.0)
