"""Tests of dynapprox.perturbation against closed forms and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, linalg

from dynapprox import kernels
from dynapprox.halfline import l1_error_halfline
from dynapprox.linear_rnn import LinearRNN
from dynapprox.perturbation import (
    diagonal_sensitivity,
    modal_error_lower_bound,
    perturbation_error,
)


def test_perturbation_error_dense_direction_crosses_boundary_at_abscissa():
    # one mode W = -r: the structured directions shift the eigenvalue by +-delta; the error is
    # infinite once delta >= r, and for delta < r the worst is the closed form |1/(r - delta) - 1/r| * r
    from dynapprox.kernels import exponential

    r = 0.05
    W, U, c = np.array([[-r]]), np.array([[1.0]]), np.array([r])
    rho = exponential(r, weights=[r])  # r e^{-r t}, the model's own kernel
    res = perturbation_error(
        LinearRNN(W, U, c),
        rho,
        [0.0, 0.01, 0.06],
        n_random=3,
        perturb="recurrent",
        T=50.0,
    )
    assert res.errors[0] == pytest.approx(0.0, abs=1e-14)
    assert np.isfinite(res.errors[1]) and np.isinf(res.errors[2])
    assert res.errors[1] == pytest.approx(
        r * (1 / (r - 0.01) - 1 / r), rel=1e-10
    )
    assert res.errors_upper[1] >= res.errors[1]
    assert res.worst_direction[0] == "" and res.worst_direction[1] in (
        "first-order",
        "+ones",
    )


def test_perturbation_error_matches_scipy_quad_on_the_half_line():
    from dynapprox.halfline import l1_error_halfline
    from dynapprox.kernels import polynomial

    rho = polynomial(0.5)
    mod = LinearRNN.modal(
        np.array([0.02, 0.3, 1.5]),
        np.array([0.0, 0.0, 0.8]),
        np.array([[0.05], [0.4], [0.2 + 0.1j]]),
    )
    res = perturbation_error(mod, rho, [0.0], "exp", T=40.0)
    ref = l1_error_halfline(rho, mod, T=40.0)
    # same remainder bracket; the rule is not split at the sign changes of rho - rhohat, which
    # costs it its high order near the zeros (here 3e-6 relative with the default panels, against
    # scipy.quad): a relative 1e-5 is still far below the digits a chapter prints
    assert res.base_error == pytest.approx(ref.lower, rel=1e-5)
    assert res.errors_upper[0] == pytest.approx(ref.upper, rel=1e-5)
    fine = perturbation_error(
        mod, rho, [0.0], "exp", T=40.0, panel=0.1, nodes=20, growth=0.05
    )
    assert fine.base_error == pytest.approx(ref.lower, rel=1e-6)


def test_perturbation_error_reparameterised_never_unstable():
    mod = LinearRNN.modal(
        np.array([0.01, 1.0]),
        np.array([0.0, 2.0]),
        np.array([[0.01], [0.3 + 0.1j]]),
    )
    for par in ("exp", "softplus"):
        res = perturbation_error(
            mod,
            mod,
            [0.0, 0.5, 2.0],
            parameterisation=par,
            n_random=5,
            T=30.0,
        )
        assert np.all(np.isfinite(res.errors)) and np.all(
            res.unstable_fraction == 0
        )
    res = perturbation_error(
        mod,
        mod,
        [0.005, 0.02],
        parameterisation="direct",
        n_random=5,
        T=30.0,
    )
    assert np.isfinite(res.errors[0]) and np.isinf(res.errors[1])


def test_perturbation_error_is_deterministic_and_monotone_lower_estimate():
    mod = LinearRNN.modal(
        np.array([0.5, 1.0]),
        np.array([0.0, 1.0]),
        np.array([[1.0], [0.2j]]),
    )
    a = perturbation_error(
        mod, mod, [0.01, 0.1], parameterisation="exp", seed=4, T=40.0
    )
    b = perturbation_error(
        mod, mod, [0.01, 0.1], parameterisation="exp", seed=4, T=40.0
    )
    assert (
        np.array_equal(a.errors, b.errors)
        and a.worst_direction == b.worst_direction
    )
    assert a.errors[1] > a.errors[0] > 0


@pytest.mark.parametrize("par", ["dense", "direct", "exp", "softplus"])
def test_diagonal_sensitivity_is_the_sup_attained_by_the_structured_direction(
    par,
):
    # random positive diagonal models: no tried direction exceeds the closed form, and the
    # structured one attains it (to quadrature accuracy); the onsets of instability agree
    from dynapprox.linear_rnn import LinearRNN

    rng = np.random.default_rng(5)
    for _ in range(2):
        r = np.sort(rng.uniform(0.05, 3.0, 4))
        model = LinearRNN(
            -np.diag(r),
            rng.uniform(0.1, 1.0, (4, 1)),
            rng.uniform(0.1, 1.0, 4),
        )
        deltas = np.array([0.0, 1e-3, 0.01, 0.04, 0.2])
        exact = diagonal_sensitivity(model, deltas, par)
        subject = model if par == "dense" else model.to_modal()
        # the kernel changes have one sign: a coarse grid keeps the rule's high order
        est = perturbation_error(
            subject,
            subject,
            deltas,
            par,
            n_random=12,
            seed=1,
            perturb="recurrent",
            T=20.0,
            panel=1.0,
            nodes=12,
            growth=0.3,
        )
        assert np.array_equal(np.isinf(est.errors), np.isinf(exact))
        fin = np.isfinite(exact)
        assert np.allclose(
            est.errors[fin], exact[fin], rtol=1e-9, atol=1e-14
        )
    # the onsets: 1/sum(1/r) for the dense W, min r for the rates themselves, none for exp
    S = np.sum(1.0 / r)
    assert np.isinf(diagonal_sensitivity(model, [1.0001 / S], "dense")[0])
    assert np.isfinite(
        diagonal_sensitivity(model, [0.9999 / S], "dense")[0]
    )
    assert np.isinf(diagonal_sensitivity(model, [r.min()], "direct")[0])
    g = model.c * model.U[:, 0]
    assert diagonal_sensitivity(model, [0.3], "exp")[0] == pytest.approx(
        np.expm1(0.3) * np.sum(g / r), rel=1e-12
    )


def test_diagonal_sensitivity_dense_against_scipy_quad():
    # the kernel change along delta 11^T, integrated by scipy.quad with expm
    r = np.array([0.2, 1.0, 3.0])
    W, U, c = (
        -np.diag(r),
        np.array([[0.3], [0.5], [0.2]]),
        np.array([1.0, 0.5, 2.0]),
    )
    d = 0.05
    Wt = W + d * np.ones((3, 3))

    def f(s):
        return abs(
            c @ (linalg.expm(Wt * s) - linalg.expm(W * s)) @ U[:, 0]
        )  # noqa: E731

    ref = integrate.quad(f, 0, np.inf, limit=200)[0]
    assert diagonal_sensitivity(LinearRNN(W, U, c), [d], "dense")[
        0
    ] == pytest.approx(ref, rel=1e-7)


def test_modal_error_lower_bound_is_below_the_half_line_error():
    from dynapprox.halfline import l1_error_halfline
    from dynapprox.kernels import polynomial

    rho = polynomial(1.0)
    Ts = np.logspace(-1, 8, 400)
    rng = np.random.default_rng(3)
    for _ in range(5):
        mod = LinearRNN.modal(
            np.sort(rng.uniform(0.005, 2.0, 3)),
            np.zeros(3),
            rng.uniform(0.0, 0.6, (3, 1)),
        )
        bound = modal_error_lower_bound(rho, mod, Ts)
        assert bound <= l1_error_halfline(rho, mod, T=50.0).lower + 1e-12
    # a model that is exact on a window and has a fast slowest mode: the bound is the target's tail
    fast = LinearRNN.modal(
        np.array([5.0]), np.array([0.0]), np.array([[1.0]])
    )
    assert modal_error_lower_bound(rho, fast, [20.0]) == pytest.approx(
        1 / 21 - np.exp(-100) / 5, rel=1e-12
    )


def test_perturbation_error_closed_form_single_mode_in_each_parameterisation():
    # one mode e^{-t}, target the same: moving the weight by delta changes the rate to f(p -+ delta);
    # the worst kernel change (one-signed) is |1/f(p - delta) - 1| for an increasing f
    rho = kernels.exponential(1.0)
    for par in ("exp", "softplus", "best"):
        model = LinearRNN.modal([1.0], None, [1.0]).to_modal(par)
        E = perturbation_error(
            model, rho, [0.0, 0.1], n_random=4, seed=0, T=50.0
        )
        low = (
            1.0
            / LinearRNN.modal(model.weights - 0.1, None, [1.0], par).decay[
                0
            ]
        )
        high = (
            1.0
            / LinearRNN.modal(model.weights + 0.1, None, [1.0], par).decay[
                0
            ]
        )
        assert E.errors_upper[0] < 1e-12
        assert E.errors[1] == pytest.approx(
            max(abs(low - 1), abs(high - 1)), rel=1e-9
        )
    direct = LinearRNN.modal([0.05], None, [1.0])
    Ed = perturbation_error(
        direct,
        kernels.exponential(0.05),
        [0.01, 0.05, 0.2],
        n_random=2,
        seed=0,
        T=50.0,
    )
    assert (
        np.isfinite(Ed.errors_upper[0])
        and Ed.errors[1] == np.inf
        and Ed.errors[2] == np.inf
    )
    assert Ed.errors[0] == pytest.approx(1 / 0.04 - 1 / 0.05, rel=1e-9)
    assert Ed.value[0] == pytest.approx(
        0.5 * (Ed.errors[0] + Ed.errors_upper[0])
    )


def test_per_mode_lower_bound_closed_form_and_below_the_error():
    rho = kernels.polynomial(1.0)
    r, g = 0.5, 1.0
    model = LinearRNN.modal([r], None, [g])
    T = np.linspace(0, 40, 4001)
    ref = np.max(1 / (1 + T) - g * np.exp(-r * T) / r)
    assert modal_error_lower_bound(
        rho, model, T, per_mode=True
    ) == pytest.approx(ref, rel=1e-12)
    two = LinearRNN.modal([0.05, 0.7], None, [0.4, -0.3])
    sharp = modal_error_lower_bound(rho, two, T, per_mode=True)
    assert (
        modal_error_lower_bound(rho, two, T)
        <= sharp
        <= l1_error_halfline(rho, two, T=50.0).lower
    )


def test_bad_inputs_name_the_argument():
    one = LinearRNN(-np.eye(1), np.ones((1, 1)), np.ones(1))
    rho = lambda s: np.exp(-s)  # noqa: E731
    with pytest.raises(ValueError, match="deltas"):
        perturbation_error(
            one, rho, [-0.1], T=5.0, rho_tail=lambda s: np.exp(-s)
        )
    with pytest.raises(ValueError, match="no tail bound"):
        perturbation_error(one, rho, [0.1], T=5.0)
    with pytest.raises(TypeError, match="rho must be"):
        perturbation_error(one, 3.0, [0.1], T=5.0)
    with pytest.raises(TypeError, match="LinearRNN"):
        perturbation_error(
            (-np.eye(1), np.ones((1, 1)), np.ones(1)),
            rho,
            [0.1],
            T=5.0,
            rho_tail=rho,
        )
    with pytest.raises(ValueError, match="perturb"):
        perturbation_error(
            one,
            rho,
            [0.1],
            perturb="some",
            T=5.0,
            rho_tail=lambda s: np.exp(-s),
        )
    with pytest.raises(ValueError, match="parameterisation"):
        perturbation_error(
            one, rho, [0.1], "tanh", T=5.0, rho_tail=lambda s: np.exp(-s)
        )
    with pytest.raises(ValueError, match="diagonal"):
        diagonal_sensitivity(
            LinearRNN(
                -np.ones((2, 2)) - np.eye(2), np.ones((2, 1)), np.ones(2)
            ),
            [0.1],
        )
    with pytest.raises(ValueError, match="positive entries"):
        diagonal_sensitivity(
            LinearRNN(-np.eye(2), -np.ones((2, 1)), np.ones(2)), [0.1]
        )
    with pytest.raises(ValueError, match="tail_l1_lower|rho_tail_lower"):
        modal_error_lower_bound(
            rho,
            LinearRNN.modal(
                np.array([1.0]), np.array([0.0]), np.array([[1.0]])
            ),
            [1.0],
        )
