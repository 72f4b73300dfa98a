"""Tests of dynapprox.parameterisations: closed forms, inverses, derivatives."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox.parameterisations import (
    PARAMETERISATIONS,
    gradient_scale,
    rate,
    rate_derivative,
    torch_rate,
    weight,
)


def test_parameterisations_round_trip_and_stability():
    r = np.array([1e-3, 0.5, 3.0, 40.0])
    for par in PARAMETERISATIONS:
        assert np.allclose(
            rate(weight(r, par, 1.0, 0.02), par, 1.0, 0.02), r, rtol=1e-12
        )
    p = np.linspace(-30, 30, 13)
    assert np.all(rate(p, "exp") > 0)
    assert np.all(rate(p, "softplus") > 0)
    assert np.allclose(rate(p, "softplus"), np.log1p(np.exp(p)))


@pytest.mark.parametrize("p", PARAMETERISATIONS)
def test_rate_weight_round_trip(p):
    r = np.array([1e-3, 0.05, 0.5, 1.0, 1.9])
    np.testing.assert_allclose(
        rate(weight(r, p, 1.0, 0.5), p, 1.0, 0.5), r, rtol=1e-12
    )


def test_closed_forms_of_the_parameterisations():
    w = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(rate(w, "exp"), np.exp(w))
    np.testing.assert_allclose(rate(w, "softplus"), np.log1p(np.exp(w)))
    np.testing.assert_allclose(
        rate(w, "best", a=2.0, b=0.5), 1 / (2 * w**2 + 0.5)
    )
    np.testing.assert_allclose(rate(w, "direct"), w)


@pytest.mark.parametrize("p", PARAMETERISATIONS)
def test_rate_derivative_and_gradient_scale_against_finite_differences(p):
    w = np.linspace(0.2, 2.5, 9)
    h = 1e-6
    fprime = (rate(w + h, p, 1.0, 0.3) - rate(w - h, p, 1.0, 0.3)) / (
        2 * h
    )
    np.testing.assert_allclose(
        rate_derivative(w, p, 1.0, 0.3), fprime, rtol=1e-6
    )
    np.testing.assert_allclose(
        gradient_scale(w, p, 1.0, 0.3),
        np.abs(fprime) / rate(w, p, 1.0, 0.3) ** 2,
        rtol=1e-6,
    )


def test_best_gradient_scale_is_linear_in_the_weight():
    w = np.linspace(-4, 4, 17)
    np.testing.assert_allclose(
        gradient_scale(w, "best", a=1.5, b=0.2),
        3.0 * np.abs(w),
        atol=1e-12,
    )


@pytest.mark.parametrize("p", PARAMETERISATIONS)
def test_torch_rate_matches_numpy(p):
    torch = pytest.importorskip("torch")
    w = np.linspace(-2, 2, 7)
    np.testing.assert_allclose(
        torch_rate(torch.tensor(w), p, 1.0, 0.3).numpy(),
        rate(w, p, 1.0, 0.3),
        rtol=1e-14,
    )


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="parameterisation"):
        rate([0.0], "tanh")
    with pytest.raises(ValueError, match="r must be positive"):
        weight([0.0], "exp")
    with pytest.raises(ValueError, match="1/b"):
        weight([3.0], "best", b=0.5)
    with pytest.raises(ValueError, match="b must be positive"):
        rate([0.0], "best", b=0.0)
    with pytest.raises(TypeError, match="torch.Tensor"):
        torch_rate(np.zeros(2), "exp")
