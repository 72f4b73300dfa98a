"""Unit tests of dynapprox.trigonometric.jackson: Favard constants, the bound, AbsSinPower."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox import trigonometric as trig


def test_abs_sin_power_derivative_bound_and_breakpoints():
    for k, omega in ((1, 1), (3, 1), (5, 2)):
        f = trig.AbsSinPower(k, omega=omega)
        for r in range(8):
            assert f.derivative_bound(r) >= f.derivative_sup_norm(r) * (
                1 - 1e-12
            )
        assert f.derivative_bound(0) == pytest.approx(1.0, abs=1e-15)
        np.testing.assert_allclose(f(f.breakpoints()), 0.0, atol=1e-15)
        assert f.breakpoints().size == 2 * omega
    # |sin x|: every derivative of sin is bounded by 1, attained
    for r in range(5):
        assert trig.AbsSinPower(1).derivative_bound(r) == 1.0


def test_favard_constants_closed_forms():
    assert trig.favard_constant(0) == 1.0
    assert trig.favard_constant(1) == pytest.approx(np.pi / 2, rel=1e-14)
    assert trig.favard_constant(2) == pytest.approx(
        np.pi**2 / 8, rel=1e-14
    )
    assert trig.favard_constant(3) == pytest.approx(
        np.pi**3 / 24, rel=1e-14
    )
    assert trig.favard_constant(4) == pytest.approx(
        5 * np.pi**4 / 384, rel=1e-14
    )
    # brute-force partial sums of the defining series
    j = np.arange(200000)
    for r in (2, 5, 6):
        brute = 4 / np.pi * np.sum(((-1.0) ** j / (2 * j + 1)) ** (r + 1))
        assert trig.favard_constant(r) == pytest.approx(brute, rel=1e-9)


def test_jackson_bound_holds_for_lipschitz_example():
    f = trig.AbsSinPower(1)
    for m in (3, 6, 12):
        assert trig.best_uniform_approximation(
            f, m
        ).upper <= trig.jackson_bound(m, 1, 1.0)


def test_abs_sin_power_derivatives_against_finite_differences():
    f = trig.AbsSinPower(3, omega=2)
    x = np.linspace(0.1, 1.4, 9)  # inside (0, pi/2), away from kinks
    h = 1e-5
    fd1 = (f(x + h) - f(x - h)) / (2 * h)
    np.testing.assert_allclose(
        f.derivative(1, x), fd1, rtol=1e-6, atol=1e-8
    )
    fd2 = (f.derivative(1, x + h) - f.derivative(1, x - h)) / (2 * h)
    np.testing.assert_allclose(
        f.derivative(2, x), fd2, rtol=1e-6, atol=1e-6
    )
    np.testing.assert_allclose(f.derivative(0, x), f(x), atol=1e-14)
    assert f.derivative_sup_norm() == pytest.approx(
        8 * trig.AbsSinPower(3).derivative_sup_norm(), rel=1e-6
    )
