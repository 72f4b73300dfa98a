"""Unit tests of dynapprox.kernels: closed forms, tails, the Laplace-quadrature RNN."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special

from dynapprox import kernels


def test_kernel_closed_forms():
    t = np.linspace(0, 5, 11)
    np.testing.assert_allclose(
        kernels.exponential(2.0)(t)[:, 0], np.exp(-2 * t)
    )
    k = kernels.exponential(
        [1.0, 3.0], d=2, weights=[[1.0, 0.0], [2.0, -1.0]]
    )
    np.testing.assert_allclose(
        k(t),
        np.stack(
            [np.exp(-t) + 2 * np.exp(-3 * t), -np.exp(-3 * t)], axis=1
        ),
    )
    np.testing.assert_allclose(
        kernels.oscillating(0.5, 2.0)(t)[:, 0],
        np.exp(-0.5 * t) * np.cos(2 * t),
    )
    np.testing.assert_allclose(
        kernels.polynomial(0.5)(t)[:, 0], (1 + t) ** -1.5
    )
    np.testing.assert_allclose(
        kernels.delayed_bump(2.0, 0.5)(t)[:, 0],
        np.exp(-(((t - 2) / 0.5) ** 2)),
    )
    np.testing.assert_allclose(
        kernels.airy(1.5, 3.0)(t)[:, 0], special.airy(1.5 * (t - 3))[0]
    )
    s = kernels.sum_kernels(
        kernels.exponential(1.0), kernels.polynomial(1.0)
    )
    np.testing.assert_allclose(s(t)[:, 0], np.exp(-t) + (1 + t) ** -2.0)
    np.testing.assert_allclose(
        (kernels.exponential(1.0) + kernels.exponential(2.0))(t)[:, 0],
        np.exp(-t) + np.exp(-2 * t),
    )
    # the L1 norm of the polynomial kernel is 1/omega
    val, _ = integrate.quad(
        lambda u: kernels.polynomial(0.5)(np.array([u]))[0, 0], 0, np.inf
    )
    assert val == pytest.approx(2.0, rel=1e-8)


def _l1_halfline_quad(f, omega):
    """Independent reference: scipy.integrate.quad of |f| on [0, 1e8], split at decades, plus the
    target's exact mass (1 + 1e8)^{-omega} / omega beyond 1e8, where the approximants (slowest rate
    above 1e-5 in these tests) are below exp(-1000)."""
    edges = [0.0] + [10.0**k for k in range(0, 9)]
    total = sum(
        integrate.quad(f, a, b, limit=400)[0]
        for a, b in zip(edges[:-1], edges[1:], strict=False)
    )
    return total + (1 + edges[-1]) ** -omega / omega


@pytest.mark.parametrize("omega", [0.5, 1.0, 2.0])
def test_laplace_quadrature_laguerre_closed_form(omega):
    rnn = kernels.laplace_quadrature_rnn(omega, 6, grid="laguerre")
    assert rnn.m == 6 and rnn.d == 1
    rates, w = -np.diag(rnn.W), rnn.c
    assert np.all(
        np.diff(rates) > 0
    ) and rnn.spectral_abscissa == pytest.approx(-rates[0])
    t = np.concatenate([[0.0], np.geomspace(1e-3, 1e4, 200)])
    target = (1 + t) ** -(1 + omega)
    approx = rnn.kernel(t)[:, 0]
    # exact at t = 0 (Gauss rule exact for constants), below the target everywhere
    assert approx[0] == pytest.approx(1.0, rel=1e-12)
    assert np.all(approx <= target * (1 + 1e-12))
    # so the whole-half-line L1 error is 1/omega - sum_j w_j / s_j, checked against quad
    closed = 1.0 / omega - np.sum(w / rates)
    ref = _l1_halfline_quad(
        lambda u: abs(
            (1 + u) ** -(1 + omega) - float(np.sum(w * np.exp(-rates * u)))
        ),
        omega,
    )
    assert closed == pytest.approx(ref, rel=1e-6)


def test_laplace_quadrature_laguerre_halfline_agrees_with_closed_form():
    # the whole-half-line quadrature of dynapprox.halfline must reproduce the closed form; at m = 24
    # the difference is at rounding level near t = 0, where its sign flickers (a regression test for
    # the root refinement of halfline._integrate)
    from dynapprox import halfline

    for m in (4, 24):
        rnn = kernels.laplace_quadrature_rnn(1.0, m, grid="laguerre")
        closed = 1.0 - np.sum(rnn.c / -np.diag(rnn.W))
        e = halfline.l1_error_halfline(
            kernels.polynomial(1.0), rnn, T=50.0
        )
        assert e.lower <= closed * (1 + 1e-9) and closed <= e.upper * (
            1 + 1e-9
        )


def test_laplace_quadrature_geometric_converges():
    omega = 1.0
    errs, slowest = [], []
    for m in (4, 8, 16, 32):
        rnn = kernels.laplace_quadrature_rnn(omega, m)
        rates, w = -np.diag(rnn.W), rnn.c
        assert np.all(w > 0) and np.all(
            np.diff(np.log(rates))
            == pytest.approx(np.log(rates[1] / rates[0]))
        )
        errs.append(
            _l1_halfline_quad(
                lambda u, w=w, rates=rates: abs(
                    (1 + u) ** -2.0 - float(np.sum(w * np.exp(-rates * u)))
                ),
                omega,
            )
        )
        slowest.append(rates[0])
    errs, slowest = np.array(errs), np.array(slowest)
    # the error falls while the slowest rate goes to 0
    assert np.all(np.diff(errs) < 0) and np.all(np.diff(slowest) < 0)
    assert errs[-1] < 1e-4 and slowest[-1] < 1e-4
    t = np.linspace(0, 50, 101)
    np.testing.assert_allclose(
        kernels.laplace_quadrature_rnn(omega, 32).kernel(t)[:, 0],
        (1 + t) ** -2.0,
        atol=1e-5,
    )


def test_laplace_quadrature_bad_input():
    with pytest.raises(ValueError, match="omega must be positive"):
        kernels.laplace_quadrature_rnn(0.0, 4)
    with pytest.raises(TypeError, match="m must be a positive integer"):
        kernels.laplace_quadrature_rnn(1.0, 2.5)
    with pytest.raises(ValueError, match="m must be at least 2"):
        kernels.laplace_quadrature_rnn(1.0, 1)
    with pytest.raises(ValueError, match="grid"):
        kernels.laplace_quadrature_rnn(1.0, 4, grid="uniform")


def test_kernel_bad_input():
    with pytest.raises(ValueError, match="beta must be positive"):
        kernels.exponential(-1.0)
    with pytest.raises(ValueError, match="weights must have shape"):
        kernels.exponential([1.0, 2.0], d=1, weights=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="t must be non-negative"):
        kernels.polynomial(1.0)(np.array([-1.0, 0.0]))
    with pytest.raises(ValueError, match="t must have 1 dimension"):
        kernels.polynomial(1.0)(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="same d"):
        kernels.sum_kernels(
            kernels.exponential(1.0, d=2), kernels.exponential(1.0)
        )
    with pytest.raises(TypeError, match=r"kernels\[1\] must be a Kernel"):
        kernels.sum_kernels(kernels.exponential(1.0), np.exp)
    with pytest.raises(ValueError, match="t0 must be non-negative"):
        kernels.delayed_bump(-1.0)
    with pytest.raises(ValueError, match="omega must be positive"):
        kernels.polynomial(0.0)
