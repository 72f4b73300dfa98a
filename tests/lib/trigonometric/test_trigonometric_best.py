"""Unit tests of dynapprox.trigonometric.best: the LP optimum and its proven bracket."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox import trigonometric as trig


def test_best_uniform_constant_and_known_values():
    # best constant approximation of |sin x| is 1/2 with error 1/2; degree 1 cannot do better
    # because |sin x| has only even frequencies.
    for m in (1, 2):
        b = trig.best_uniform_approximation(lambda x: np.abs(np.sin(x)), m)
        assert b.lower == pytest.approx(0.5, abs=1e-7)
        assert b.lower <= b.upper + 1e-12
    # degree 2: the best approximation a + b cos 2x of |sin x| has error 1/8 (equioscillation)
    b = trig.best_uniform_approximation(lambda x: np.abs(np.sin(x)), 3)
    assert b.lower == pytest.approx(0.125, abs=1e-6)


def test_best_uniform_beats_truncation_and_brackets():
    f = trig.AbsSinPower(1)
    for m in (4, 9):
        b = trig.best_uniform_approximation(f, m)
        t = trig.sup_error(f, trig.fourier_truncation(f, m))
        assert (
            b.lower <= b.lp_value * (1 + 1e-6)
            and b.lower <= b.sampled <= b.upper <= t
        )
        assert (
            b.upper <= 1.01 * b.lower
        )  # the bracket is tight for the LP minimiser
    # a plain callable says nothing between samples: no finite upper bound
    b = trig.best_uniform_approximation(lambda x: np.abs(np.sin(x)), 4)
    assert b.upper == np.inf and b.lower > 0


def test_certified_sup_error_bounds_a_dense_maximum():
    for k, omega, m in ((1, 1, 5), (3, 1, 5), (3, 2, 9), (5, 1, 4)):
        f = trig.AbsSinPower(k, omega=omega)
        coef = trig.best_uniform_approximation(f, m).coef
        dense = trig.sup_error(f, coef, n_grid=2**20)
        assert dense <= trig.certified_sup_error(f, coef, n_grid=64), (
            k,
            omega,
            m,
        )
        # on a fine grid it is tight
        assert (
            dense
            <= trig.certified_sup_error(f, coef, n_grid=8192)
            <= dense * (1 + 2e-3)
        )
    # p = 0 and f = |sin x|^3: the sup 1 sits at pi/2, not a point of a grid of 42 points;
    # the sampled maximum misses it, the certified bound does not
    f = trig.AbsSinPower(3)
    assert trig.sup_error(f, [0.0], n_grid=42) < 0.999
    assert 1.0 <= trig.certified_sup_error(f, [0.0], n_grid=42) <= 1.01


def test_alternation_lower_bound_known_values():
    f = lambda x: np.abs(np.sin(x))  # noqa: E731
    # E_1(|sin x|) = 1/2, attained by the constant 1/2
    assert trig.alternation_lower_bound(f, [0.5]) == pytest.approx(
        0.5, abs=1e-12
    )
    # any p gives a lower bound: here the truncation in H_3, whose error alternates but is
    # larger than E_3 = 1/8 at the kinks and smaller elsewhere; the bound stays below 1/8
    coef = trig.fourier_truncation(f, 3)
    lb = trig.alternation_lower_bound(f, coef)
    assert 0.0 < lb <= 0.125
    # the best approximant 1/2 - ... of error 1/8 (LP) gives the bound 1/8 up to the grid
    b = trig.best_uniform_approximation(f, 3)
    assert (
        b.lower == pytest.approx(0.125, abs=1e-6)
        and b.lower <= 0.125 + 1e-12
    )
    # an error of one sign does not alternate: the bound is 0
    assert trig.alternation_lower_bound(f, [-1.0, 0.0, 0.0]) == 0.0
