"""Unit tests of the one-dimensional closed-form flows of dynapprox.flows
(relu_field_flow, relu_flow_composition, pl_flow_controls, flow_sup_error_lower_bound)
against scipy.integrate.solve_ivp, RK4 of the switched ODE, numpy.interp, closed forms
and a brute-force pair search, plus bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

from dynapprox import flows


def _relu_ivp(x0, v, w, b, tau):
    out = []
    for p in np.atleast_1d(x0):
        sol = solve_ivp(
            lambda t, x: [v * max(w * x[0] + b, 0.0)],
            (0.0, tau),
            [p],
            method="DOP853",
            rtol=1e-12,
            atol=1e-13,
        )
        out.append(sol.y[0, -1])
    return np.array(out)


@pytest.mark.parametrize(
    "v, w, b, tau",
    [
        (1.0, 1.0, -0.3, 0.7),
        (-1.0, 1.0, 0.2, 1.3),
        (1.0, -0.5, 0.1, 0.9),
        (-0.7, -1.0, -0.4, 2.0),
        (1.0, 0.0, 2.5, 0.4),
        (-1.0, 0.0, -1.0, 3.0),
    ],
)
def test_relu_field_flow_matches_solve_ivp(v, w, b, tau):
    x0 = np.linspace(-2.0, 2.0, 17)
    assert (
        np.max(
            np.abs(
                flows.relu_field_flow(x0, v, w, b, tau)
                - _relu_ivp(x0, v, w, b, tau)
            )
        )
        < 1e-9
    )


def test_relu_field_flow_fixes_the_kink_and_is_a_group_in_time():
    x0 = np.linspace(-1.0, 3.0, 41)
    once = flows.relu_field_flow(
        flows.relu_field_flow(x0, 1.0, 1.0, -1.0, 0.4), 1.0, 1.0, -1.0, 0.6
    )
    assert np.allclose(
        once,
        flows.relu_field_flow(x0, 1.0, 1.0, -1.0, 1.0),
        rtol=1e-14,
        atol=1e-14,
    )
    assert (
        flows.relu_field_flow(np.array([1.0]), -1.0, 1.0, -1.0, 5.0)[0]
        == 1.0
    )
    assert np.array_equal(
        flows.relu_field_flow(x0, 1.0, 1.0, -1.0, 0.0), x0
    )


def test_composition_matches_rk4_of_the_switched_ode():
    torch.set_default_dtype(torch.float64)
    controls = np.array(
        [
            [1.0, 1.0, 0.2, 0.5],
            [-1.0, -1.0, 0.3, 0.8],
            [1.0, 0.5, -0.1, 0.3],
        ]
    )
    x0 = np.linspace(-1.5, 1.5, 31)
    x = torch.tensor(x0)[:, None]
    for v, w, b, tau in controls:
        x = flows.odeint(
            lambda t, y, v=v, w=w, b=b: v * torch.relu(w * y + b),
            x,
            0.0,
            tau,
            4000,
            "rk4",
        )
    # RK4 loses its order at the kink (the field is only Lipschitz there): errors ~ h^2, h ~ 2e-4
    assert (
        np.max(
            np.abs(
                flows.relu_flow_composition(x0, controls) - x[:, 0].numpy()
            )
        )
        < 1e-6
    )


def test_pl_flow_controls_reproduce_the_piecewise_linear_map_exactly():
    rng = np.random.default_rng(4)
    for _ in range(5):
        k = int(rng.integers(1, 12))
        knots = np.sort(rng.uniform(-2, 2, k + 1))
        values = np.cumsum(
            np.concatenate([[rng.normal()], rng.uniform(0.05, 3.0, k)])
        )
        controls, T = flows.pl_flow_controls(knots, values, eta=0.05)
        x = np.linspace(knots[0], knots[-1], 501)
        P = np.interp(x, knots, values)
        assert np.max(
            np.abs(flows.relu_flow_composition(x, controls) - P)
        ) < 1e-12 * max(1.0, np.max(np.abs(P)))
        # members of the restricted affine orbit of ReLU: v in {-1, 0, 1}, |w| <= 1
        assert set(np.unique(controls[:, 0])) <= {
            -1.0,
            0.0,
            1.0,
        } and np.all(np.abs(controls[:, 1]) <= 1)
        s = np.diff(values) / np.diff(knots)
        T_formula = (
            abs(math.log(s[0]))
            + np.sum(np.abs(np.diff(np.log(s))))
            + 0.05 * (values[0] != knots[0])
        )
        assert abs(T - T_formula) < 1e-12 * max(1.0, T_formula)


def test_pl_flow_controls_horizon_for_the_cube():
    # x^3 on k equal cells of [-1, 1], k even: T = 3 log(3 - 3h + h^2) + 4 log(1/h), no translation
    for k in (2, 4, 16, 64):
        h = 2.0 / k
        knots = np.linspace(-1, 1, k + 1)
        _, T = flows.pl_flow_controls(knots, knots**3)
        assert (
            abs(
                T - (3 * math.log(3 - 3 * h + h * h) + 4 * math.log(1 / h))
            )
            < 1e-10
        )


def test_lower_bound_against_brute_force_and_closed_forms():
    rng = np.random.default_rng(5)
    x = np.sort(rng.uniform(-1, 1, 60))
    F = rng.normal(size=60)
    for L, T in ((1.0, 0.0), (1.0, 0.7), (2.0, 1.5)):
        up, down = math.exp(L * T), math.exp(-L * T)
        brute = 0.0
        for i in range(60):
            for j in range(i + 1, 60):
                dx, dF = x[j] - x[i], F[j] - F[i]
                brute = max(brute, dF - up * dx, down * dx - dF)
        assert (
            abs(flows.flow_sup_error_lower_bound(x, F, L, T) - 0.5 * brute)
            < 1e-12
        )
    # decreasing target -x on [-1, 1]: at T = 0 the only flow is the identity, at distance 2;
    # as T grows the bound tends to 1, the distance to all increasing maps
    g = np.linspace(-1, 1, 201)
    assert (
        abs(flows.flow_sup_error_lower_bound(g, -g, 1.0, 0.0) - 2.0)
        < 1e-12
    )
    assert (
        abs(flows.flow_sup_error_lower_bound(g, -g, 1.0, 40.0) - 1.0)
        < 1e-12
    )
    # x^3: 2/(3 sqrt 3) e^{-3T/2} for T >= 0 (the extremal pair is symmetric about 0), up to the grid
    g = np.linspace(-1, 1, 200001)
    for T in (0.0, 1.0, 3.0):
        exact = 2 / (3 * math.sqrt(3)) * math.exp(-1.5 * T)
        assert (
            abs(
                flows.flow_sup_error_lower_bound(g, g**3, 1.0, T) / exact
                - 1
            )
            < 1e-3
        )
    # a target that is itself a flow map of horizon T (slope e^{T}) gets bound 0
    assert (
        flows.flow_sup_error_lower_bound(g, math.exp(0.5) * g, 1.0, 0.5)
        < 1e-12
    )


def test_lower_bound_holds_for_constructed_flows():
    x = np.linspace(-1, 1, 2001)
    for k in (2, 4, 8, 32):
        knots = np.linspace(-1, 1, k + 1)
        controls, T = flows.pl_flow_controls(knots, knots**3)
        err = np.max(
            np.abs(flows.relu_flow_composition(x, controls) - x**3)
        )
        assert err >= flows.flow_sup_error_lower_bound(x, x**3, 1.0, T)


def test_bad_input():
    with pytest.raises(ValueError, match="tau"):
        flows.relu_field_flow([0.0], 1.0, 1.0, 0.0, -1.0)
    with pytest.raises(TypeError, match="v"):
        flows.relu_field_flow([0.0], "a", 1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="controls"):
        flows.relu_flow_composition([0.0], np.ones((2, 3)))
    with pytest.raises(ValueError, match="durations"):
        flows.relu_flow_composition([0.0], [[1.0, 1.0, 0.0, -0.5]])
    with pytest.raises(ValueError, match="knots"):
        flows.pl_flow_controls([0.0, 0.0, 1.0], [0.0, 1.0, 2.0])
    with pytest.raises(
        ValueError, match="values must be strictly increasing"
    ):
        flows.pl_flow_controls([0.0, 1.0, 2.0], [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="shape"):
        flows.pl_flow_controls([0.0, 1.0, 2.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="eta"):
        flows.pl_flow_controls([0.0, 1.0], [0.0, 1.0], eta=0.0)
    with pytest.raises(ValueError, match="lipschitz"):
        flows.flow_sup_error_lower_bound([0.0, 1.0], [0.0, 1.0], -1.0, 1.0)
    with pytest.raises(ValueError, match="T must"):
        flows.flow_sup_error_lower_bound([0.0, 1.0], [0.0, 1.0], 1.0, -1.0)
    with pytest.raises(ValueError, match="x must be strictly"):
        flows.flow_sup_error_lower_bound([1.0, 0.0], [0.0, 1.0], 1.0, 1.0)
