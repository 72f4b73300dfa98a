"""Whole-half-line L1 errors: brackets against closed forms and scipy quadrature."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special

from dynapprox import kernels
from dynapprox.halfline import (
    HalfLineL1,
    l1_error_halfline,
    modal_terms,
    model_tail_bound,
)
from dynapprox.linear_rnn import LinearRNN


def test_norm_of_polynomial_kernel_is_one_over_omega():
    zero = lambda t: 0.0 * t  # noqa: E731
    for omega in (0.5, 1.0, 2.0):
        e = l1_error_halfline(
            kernels.polynomial(omega),
            zero,
            T=20.0,
            rhohat_tail=lambda t: 0.0,
        )
        assert e.lower <= 1.0 / omega + 1e-12 <= e.upper + 2e-12
        # the remainder is the exact tail (1 + t_max)^-omega / omega
        assert e.remainder_upper == pytest.approx(
            (1 + 1e9) ** (-omega) / omega, rel=1e-12
        )
        assert (
            e.rel_gap == 0.0
        )  # the tail of (1+t)^-(1+omega) is known exactly
        assert abs(e.upper - 1.0 / omega) < 1e-10


def test_sign_changing_difference_against_closed_form():
    # e^{-t} - 2 e^{-2t} changes sign at t = log 2; its L1 norm is 1/4 + 1/4 = 1/2
    rnn = LinearRNN(np.diag([-2.0]), [[2.0]], [1.0])
    e = l1_error_halfline(kernels.exponential(1.0), rnn, T=10.0)
    assert e.rel_gap < 1e-12
    assert e.value == pytest.approx(
        0.5, abs=1e-13
    )  # the kink at log 2 is split out
    fine = l1_error_halfline(
        kernels.exponential(1.0), rnn, T=10.0, panel=0.01
    )
    assert fine.value == pytest.approx(0.5, abs=1e-13)


def test_window_alone_underestimates_a_heavy_tail():
    # a fit that is exact on [0, T) and zero after: the window says 0, the half-line says the tail
    T = 50.0
    rho = kernels.polynomial(0.5)
    e = l1_error_halfline(
        rho,
        lambda t: np.where(t < T, rho(t)[:, 0], 0.0),
        T=T,
        rhohat_tail=lambda t: 0.0,
    )
    assert e.window < 1e-14
    assert e.value == pytest.approx(rho.tail_l1(T), rel=1e-4)


def test_against_scipy_quad_for_a_modal_model():
    rho = kernels.sum_kernels(
        kernels.polynomial(0.5), kernels.oscillating(0.5, 2.0)
    )
    model = LinearRNN.modal(
        np.array([0.3, 1.0, 0.6]),
        np.array([0.0, 0.0, 1.9]),
        np.array([0.5, 0.4, 0.45 + 0.05j]),
    )
    e = l1_error_halfline(rho, model, T=40.0)

    def f(t):
        return abs(
            rho(np.array([t]))[0, 0] - model.kernel(np.array([t]))[0, 0]
        )  # noqa: E731

    ref = sum(
        integrate.quad(f, a, b, limit=400)[0]
        for a, b in ((0, 40), (40, 400))
    )
    ref += integrate.quad(f, 400, np.inf, limit=400)[0]
    assert e.lower - 1e-7 <= ref <= e.upper + 1e-7
    assert e.value == pytest.approx(ref, rel=1e-6)


def test_modal_terms_reproduce_the_kernels():
    t = np.linspace(0, 5, 11)
    W = np.array([[-1.0, 2.0], [-2.0, -1.0]])
    for model in (
        LinearRNN(W, [[1.0], [0.5]], [1.0, -1.0]),
        LinearRNN.modal(
            np.array([0.5, 1.0]),
            np.array([0.0, 3.0]),
            np.array([1.0, 0.2 - 0.4j]),
        ),
    ):
        lam, g = modal_terms(model)
        vals = np.real(np.exp(np.outer(t, lam)) @ g)
        np.testing.assert_allclose(vals, model.kernel(t), atol=1e-12)


def test_model_tail_bound_dominates_the_tail():
    model = LinearRNN.modal(
        np.array([0.5, 1.0]),
        np.array([0.0, 3.0]),
        np.array([1.0, 0.2 - 0.4j]),
    )
    bound = model_tail_bound(model)
    for t0 in (0.0, 1.0, 5.0):
        true = integrate.quad(
            lambda s: abs(model.kernel(np.array([s]))[0, 0]),
            t0,
            np.inf,
            limit=400,
        )[0]
        assert true <= bound(t0) + 1e-12


def test_kernel_tails_match_quadrature():
    cases = [
        kernels.polynomial(0.7),
        kernels.delayed_bump(3.0, 0.8),
        kernels.exponential([1.0, 0.5], weights=[1.0, 2.0]),
        kernels.airy(1.5, 4.0),
    ]
    for k in cases:
        for t0 in (0.0, 2.0, 6.0):
            true = integrate.quad(
                lambda s, k=k: np.abs(k(np.array([s]))).sum(),
                t0,
                np.inf,
                limit=400,
            )[0]
            assert true <= k.tail_l1(t0) * (1 + 1e-9) + 1e-13, (k.name, t0)
    # exact where the docstring says so
    assert kernels.delayed_bump(3.0, 0.8).tail_l1(3.0) == pytest.approx(
        0.5 * np.sqrt(np.pi) * 0.8
    )
    assert kernels.airy(1.5, 4.0).tail_l1(4.0) == pytest.approx(1 / 4.5)
    assert special.erfc(0.0) == 1.0


def test_bad_input_names_the_argument():
    rho = kernels.polynomial(1.0)
    with pytest.raises(ValueError, match="T"):
        l1_error_halfline(rho, rho, T=0.0)
    with pytest.raises(ValueError, match="t_max"):
        l1_error_halfline(rho, rho, T=10.0, t_max=5.0)
    with pytest.raises(ValueError, match="rhohat_tail"):
        l1_error_halfline(rho, lambda t: 0 * t, T=10.0)
    with pytest.raises(TypeError, match="rhohat"):
        l1_error_halfline(rho, 3.0, T=10.0)
    with pytest.raises(ValueError, match="no tail bound"):
        kernels.Kernel(lambda t: t).tail_l1(1.0)


def test_unstable_mode_gives_an_infinite_upper_end():
    growing = LinearRNN.modal(
        np.array([-0.1]), None, np.array([1.0]), allow_unstable=True
    )
    assert model_tail_bound(growing)(1.0) == float("inf")
    assert isinstance(
        l1_error_halfline(
            kernels.polynomial(1.0), kernels.polynomial(1.0), T=1.0
        ),
        HalfLineL1,
    )


def test_quadrature_rule_integrates_on_the_panel_layout():
    from dynapprox.halfline import quadrature_rule

    t, w = quadrature_rule(
        10.0, t_max=1e6, panel=0.5, nodes=12, growth=0.1
    )
    assert np.all(w > 0) and t.min() > 0 and t.max() < 1e6
    assert np.sum(w * np.exp(-t)) == pytest.approx(1.0, rel=1e-13)
    assert np.sum(w * (1 + t) ** -2) == pytest.approx(
        1.0 - 1.0 / (1 + 1e6), rel=1e-12
    )
    with pytest.raises(ValueError, match="t_max"):
        quadrature_rule(10.0, t_max=5.0)


def test_halfline_quadrature_integrates_closed_forms():
    from dynapprox.halfline import quadrature_rule

    t, w = quadrature_rule(T=20.0, t_max=1e9)
    assert np.all(w > 0) and t.min() > 0 and t.max() < 1e9
    # int_0^inf e^{-t} = 1, int_0^inf (1+t)^{-2} = 1 - 1/(1 + 1e9) on [0, 1e9]
    assert w @ np.exp(-t) == pytest.approx(1.0, rel=1e-12)
    assert w @ (1 + t) ** -2.0 == pytest.approx(
        1.0 - 1.0 / (1.0 + 1e9), rel=1e-12
    )
