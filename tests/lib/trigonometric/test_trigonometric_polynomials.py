"""Unit tests of dynapprox.trigonometric.polynomials against quadrature, Parseval and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from dynapprox import trigonometric as trig


def smooth(x):
    return np.exp(np.sin(x)) + 0.5 * np.cos(3 * x)


def _fourier_coefficient(wave, k: int) -> float:
    """(1/pi) * integral over the circle of smooth(t) wave(k t), by adaptive quadrature."""
    integral = integrate.quad(
        lambda t: smooth(t) * wave(k * t), 0, 2 * np.pi, limit=200
    )[0]
    return integral / np.pi


def test_fourier_truncation_matches_quadrature():
    m = 6
    coef = trig.fourier_truncation(smooth, m, n_grid=512)
    for k in range(m):
        a = _fourier_coefficient(np.cos, k) / (2 if k == 0 else 1)
        assert coef[k] == pytest.approx(a, abs=1e-12)
    for k in range(1, m):
        b = _fourier_coefficient(np.sin, k)
        assert coef[m - 1 + k] == pytest.approx(b, abs=1e-12)


def test_truncation_reproduces_trig_polynomials():
    rng = np.random.default_rng(1)
    coef = rng.normal(size=2 * 5 - 1)
    f = lambda x: trig.trig_eval(coef, x)  # noqa: E731
    np.testing.assert_allclose(
        trig.fourier_truncation(f, 5, n_grid=64), coef, atol=1e-13
    )
    # a larger space contains it: the extra coefficients vanish
    big = trig.fourier_truncation(f, 8, n_grid=64)
    assert np.allclose(big[5:8], 0, atol=1e-13) and np.allclose(
        big[8 + 4 :], 0, atol=1e-13
    )


def test_least_squares_equals_truncated_dft_on_uniform_grid():
    x = trig.uniform_grid(200)
    y = smooth(x) + np.abs(np.sin(x))
    for m in (1, 4, 17):
        ls = trig.least_squares_fit(x, y, m)
        dft = trig.fourier_truncation(
            lambda t: smooth(t) + np.abs(np.sin(t)), m, n_grid=200
        )
        np.testing.assert_allclose(ls, dft, atol=1e-11)


def test_l2_error_is_parseval_tail():
    f = trig.AbsSinPower(3)
    m = 7
    coef = trig.fourier_truncation(f, m, n_grid=8192)
    fhat = np.fft.fft(f(trig.uniform_grid(8192))) / 8192
    tail = np.sqrt(np.sum(np.abs(fhat[m : 8192 - m + 1]) ** 2))
    assert trig.l2_error(f, coef, n_grid=8192) == pytest.approx(
        tail, rel=1e-9
    )


def test_square_wave_l2_error_against_parseval():
    # s = sum over odd k of 4/(pi k) sin kx. The truncation computed from N samples has
    # b_k = (4/N) cot(pi k/N) for odd k < m, so by Parseval the squared L2 error is
    # (1/2) sum_{odd k < m} (4/(pi k) - b_k)^2 + (8/pi^2) sum_{odd k >= m} 1/k^2, the last sum
    # being psi_1(j0 + 1/2)/4 with j0 = number of odd k < m (Hurwitz zeta/trigamma).
    from scipy.special import polygamma

    N = 4096
    for m in (8, 64, 256):
        coef = trig.fourier_truncation(trig.square_wave, m, n_grid=N)
        k = np.arange(1, m, 2)
        b = 4 / N / np.tan(np.pi * k / N)
        np.testing.assert_allclose(
            coef[m - 1 + k], b, rtol=1e-10, atol=1e-14
        )
        tail = 8 / np.pi**2 * polygamma(1, k.size + 0.5) / 4
        exact = np.sqrt(0.5 * np.sum((4 / (np.pi * k) - b) ** 2) + tail)
        mid = trig.l2_error(
            trig.square_wave, coef, n_grid=16384, midpoint=True
        )
        assert mid == pytest.approx(exact, rel=2e-3), (m, mid, exact)
        # the trapezoidal rule samples the jumps at 0 and pi and is biased low by about 2/n
        trap = trig.l2_error(trig.square_wave, coef, n_grid=16384)
        assert trap**2 == pytest.approx(exact**2 - 2 / 16384, rel=0.05)


def test_trig_derivative_against_finite_differences_and_closed_form():
    rng = np.random.default_rng(3)
    coef = rng.normal(size=2 * 6 - 1)
    x = np.linspace(0.0, 2 * np.pi, 37)
    h = 1e-5
    fd = (trig.trig_eval(coef, x + h) - trig.trig_eval(coef, x - h)) / (
        2 * h
    )
    np.testing.assert_allclose(
        trig.trig_eval(trig.trig_derivative(coef, 1), x), fd, atol=1e-8
    )
    np.testing.assert_array_equal(trig.trig_derivative(coef, 0), coef)
    # d^4/dx^4 (cos 3x + 2 sin 5x) = 81 cos 3x + 1250 sin 5x
    c = np.zeros(11)
    c[3], c[5 + 5] = 1.0, 2.0
    np.testing.assert_allclose(
        trig.trig_eval(trig.trig_derivative(c, 4), x),
        81 * np.cos(3 * x) + 1250 * np.sin(5 * x),
        atol=1e-11,
    )


def test_square_wave_exact_at_the_jumps():
    x = trig.uniform_grid(64)
    s = trig.square_wave(x)
    assert s[0] == 0.0 and s[32] == 0.0  # x = 0 and x = pi exactly
    inner = np.ones(64, bool)
    inner[[0, 32]] = False
    np.testing.assert_array_equal(s[inner], np.sign(np.sin(x[inner])))
    np.testing.assert_array_equal(
        s[1:], -s[1:][::-1]
    )  # odd: s(x_j) = -s(x_{n-j})
    # np.sign(np.sin(x)) is wrong at pi in floating point: the reason for this function
    assert np.sign(np.sin(x[32])) == 1.0


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (
            lambda: trig.fourier_truncation(np.sin, 0),
            ValueError,
            "m must be a positive integer",
        ),
        (
            lambda: trig.fourier_truncation(np.sin, 2.5),
            TypeError,
            "m must be a positive integer",
        ),
        (
            lambda: trig.fourier_truncation("sin", 3),
            TypeError,
            "f must be callable",
        ),
        (
            lambda: trig.fourier_truncation(np.sin, 10, n_grid=8),
            ValueError,
            "samples",
        ),
        (
            lambda: trig.fourier_truncation(lambda x: x[:3], 2),
            ValueError,
            "f must map",
        ),
        (
            lambda: trig.least_squares_fit([0, 1], [0, 1, 2], 1),
            ValueError,
            "x and y must have the same shape",
        ),
        (
            lambda: trig.least_squares_fit([0, 1], [0, 1], 3),
            ValueError,
            "at least 2m-1",
        ),
        (
            lambda: trig.trig_eval([1.0, 2.0], [0.0]),
            ValueError,
            "odd length",
        ),
        (
            lambda: trig.best_uniform_approximation(np.sin, 8, n_grid=16),
            ValueError,
            "n_grid",
        ),
        (lambda: trig.AbsSinPower(2), ValueError, "k must be odd"),
        (lambda: trig.AbsSinPower(3, omega=0), ValueError, "omega"),
        (
            lambda: trig.jackson_bound(4, 1, -1.0),
            ValueError,
            "derivative_sup_norm",
        ),
        (
            lambda: trig.least_squares_fit([0, np.nan, 2], [0, 1, 2], 1),
            ValueError,
            "x must contain only finite",
        ),
        (
            lambda: trig.certified_sup_error(np.sin, [0.0]),
            TypeError,
            "PiecewiseSmoothTarget",
        ),
        (
            lambda: trig.certified_sup_error(
                trig.AbsSinPower(1), [0.0], n_grid=63
            ),
            ValueError,
            "break point",
        ),
        (
            lambda: trig.certified_sup_error(
                trig.AbsSinPower(1), [0.0, 1.0]
            ),
            ValueError,
            "odd length",
        ),
        (
            lambda: trig.certified_sup_error(
                trig.AbsSinPower(1), [0.0], order=0
            ),
            ValueError,
            "order",
        ),
        (
            lambda: trig.alternation_lower_bound(
                np.sin, np.zeros(9), n_grid=8
            ),
            ValueError,
            "n_grid",
        ),
        (lambda: trig.trig_derivative([0.0], -1), ValueError, "order"),
    ],
)
def test_bad_input_names_the_argument(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_public_helpers_grid_values_coefficients_and_dft():
    x, fx = trig.grid_values(smooth, 64)
    assert np.array_equal(x, trig.uniform_grid(64)) and np.array_equal(
        fx, smooth(x)
    )
    with pytest.raises(ValueError, match="f must map"):
        trig.grid_values(lambda x: x[:3], 8)
    coef, m = trig.check_coefficients([1.0, 2.0, 3.0])
    assert m == 2 and coef.dtype == float
    with pytest.raises(ValueError, match="odd length"):
        trig.check_coefficients([1.0, 2.0])
    # the DFT coefficients of samples of p in H_m are those of p (exact on the grid)
    p = np.array([0.5, 1.0, -2.0, 0.25, 3.0])  # m = 3
    vals = trig.trig_eval(p, trig.uniform_grid(16))
    assert np.allclose(trig.dft_coefficients(vals, 3), p, atol=1e-13)
    assert trig.TWO_PI == 2 * np.pi
