"""Unit tests of dynapprox.linear_rnn."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, linalg

from dynapprox import functionals, signals
from dynapprox.linear_rnn import LinearRNN, spectral_abscissa


def _random_rnn(m=5, d=2, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(m, m)) / np.sqrt(m) - 1.5 * np.eye(m)
    assert spectral_abscissa(W) < 0
    return LinearRNN(W, rng.normal(size=(m, d)), rng.normal(size=m))


def test_kernel_matches_expm():
    rnn = _random_rnn()
    t = np.linspace(0, 6, 25)
    ref = np.stack([rnn.c @ linalg.expm(rnn.W * s) @ rnn.U for s in t])
    np.testing.assert_allclose(rnn.kernel(t), ref, rtol=1e-9, atol=1e-12)


def test_kernel_of_defective_matrix_uses_expm():
    # a Jordan block: not diagonalisable; rho(t) = c^T e^{Wt} U = t e^{-t} for these weights
    rnn = LinearRNN([[-1.0, 1.0], [0.0, -1.0]], [[0.0], [1.0]], [1.0, 0.0])
    t = np.linspace(0, 5, 11)
    np.testing.assert_allclose(
        rnn.kernel(t)[:, 0], t * np.exp(-t), atol=1e-12
    )


def test_zoh_recurrence_is_exact_for_piecewise_constant_input():
    rnn = _random_rnn(m=3, d=1, seed=1)
    dt, n_t = 0.2, 30
    x = signals.piecewise_constant(n_t, 1, dt, seed=2, hold=dt)
    y = rnn.output(x, dt)

    def rhs(t, h):
        k = min(int(t / dt + 1e-12), n_t - 1)
        return rnn.W @ h + rnn.U[:, 0] * x[k, 0]

    sol = integrate.solve_ivp(
        rhs,
        (0, (n_t - 1) * dt),
        np.zeros(3),
        t_eval=dt * np.arange(n_t),
        rtol=1e-11,
        atol=1e-12,
        max_step=dt / 4,
    )
    np.testing.assert_allclose(y, rnn.c @ sol.y, atol=1e-8)


def test_recurrence_equals_convolution_with_discrete_kernel():
    rnn = _random_rnn()
    dt, n_t = 0.05, 300
    x = signals.smooth_random(n_t, 2, dt, seed=0)
    g = rnn.discrete_kernel(n_t, dt)
    y_rec = rnn.output(x, dt, method="recurrence")
    y_conv = functionals.apply_kernel(g / dt, x, dt)
    assert np.max(np.abs(y_rec - y_conv)) <= 1e-10 * np.max(np.abs(y_rec))
    # g_j is the integral of the kernel over [t_{j-1}, t_j]
    j = 7
    ref = [
        integrate.quad(
            lambda s, i=i: rnn.kernel(np.array([s]))[0, i],
            (j - 1) * dt,
            j * dt,
        )[0]
        for i in range(2)
    ]
    np.testing.assert_allclose(g[j], ref, rtol=1e-9)


def test_recurrence_and_riemann_convolution_converge_at_first_order():
    rnn = _random_rnn(seed=3)
    T = 6.0
    diffs = []
    for dt in (0.02, 0.01, 0.005):
        t = signals.time_grid(T, dt)
        x = np.stack([np.sin(t), np.cos(2 * t)], axis=1)
        diffs.append(
            np.max(
                np.abs(
                    rnn.output(x, dt, "recurrence")
                    - rnn.output(x, dt, "convolution")
                )
            )
        )
    ratios = np.array(diffs[:-1]) / np.array(diffs[1:])
    assert np.all(np.abs(ratios - 2.0) < 0.1), ratios
    assert diffs[-1] < 0.05


def test_batch_output():
    rnn = _random_rnn()
    x = signals.smooth_random(50, 2, 0.1, seed=0)
    xb = np.stack([x, 2 * x])
    yb = rnn.output(xb, 0.1)
    np.testing.assert_allclose(yb[1], 2 * rnn.output(x, 0.1))


def test_non_hurwitz_and_bad_shapes_are_rejected():
    with pytest.raises(
        ValueError, match=r"W must be Hurwitz.*spectral abscissa.*0\.5"
    ):
        LinearRNN([[0.5, 0.0], [0.0, -1.0]], [[1.0], [1.0]], [1.0, 1.0])
    with pytest.raises(ValueError, match="W must be Hurwitz"):
        LinearRNN(
            [[0.0, 1.0], [-1.0, 0.0]], [[1.0], [1.0]], [1.0, 1.0]
        )  # purely imaginary: marginal
    with pytest.raises(ValueError, match="W must be a square matrix"):
        LinearRNN(np.ones((2, 3)), np.ones((2, 1)), np.ones(2))
    with pytest.raises(ValueError, match=r"U must have shape \(m, d\)"):
        LinearRNN(-np.eye(2), np.ones((3, 1)), np.ones(2))
    with pytest.raises(ValueError, match=r"c must have shape \(m,\)"):
        LinearRNN(-np.eye(2), np.ones((2, 1)), np.ones(3))
    rnn = LinearRNN(-np.eye(2), np.ones((2, 1)), np.ones(2))
    with pytest.raises(ValueError, match="x must have d = 1 channels"):
        rnn.output(np.ones((5, 2)), 0.1)
    with pytest.raises(ValueError, match="method must be one of"):
        rnn.output(np.ones((5, 1)), 0.1, method="euler")
    with pytest.raises(ValueError, match="t must be non-negative"):
        rnn.kernel(np.array([-1.0]))


def test_spectral_abscissa():
    W = np.array([[-1.0, 5.0], [0.0, -0.25]])
    assert spectral_abscissa(W) == pytest.approx(-0.25)
    with pytest.raises(ValueError, match="W must be a square matrix"):
        spectral_abscissa(np.ones((2, 3)))


def test_discrete_rnn_against_a_loop():
    rng = np.random.default_rng(0)
    W, U, c = (
        rng.normal(size=(4, 4)) / 2,
        rng.normal(size=(4, 2)),
        rng.normal(size=4),
    )
    x = rng.normal(size=(20, 2))
    h = np.zeros(4)
    ref = []
    for k in range(20):
        ref.append(c @ h)
        h = W @ h + U @ x[k]
    rnn = LinearRNN(W, U, c, dt=0.1)
    np.testing.assert_allclose(rnn.output(x), ref, rtol=1e-12)
    lin = rnn.output(np.stack([x, 3 * x]))
    np.testing.assert_allclose(lin[1], 3 * lin[0], rtol=1e-10, atol=1e-12)
    # its kernel is the impulse response: y_k = sum_j g_j^T x_{k-j}
    g = rnn.impulse_response(20)
    y = np.array(
        [sum(g[j] @ x[k - j] for j in range(1, k + 1)) for k in range(20)]
    )
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-12)


def test_discretise_is_scipy_zero_order_hold():
    from scipy.signal import cont2discrete

    rng = np.random.default_rng(2)
    W = rng.normal(size=(3, 3)) - 4 * np.eye(3)
    U, c = rng.normal(size=(3, 2)), rng.normal(size=3)
    rnn = LinearRNN(W, U, c)
    A, B, _, _, _ = cont2discrete(
        (W, U, c[None], np.zeros((1, 2))), 0.2, method="zoh"
    )
    disc = rnn.discretise(0.2)
    np.testing.assert_allclose(disc.W, A, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(disc.U, B, rtol=1e-12, atol=1e-14)
    assert disc.dt == 0.2 and disc.is_stable
    x = rng.normal(size=(30, 2))
    np.testing.assert_allclose(
        disc.output(x), rnn.output(x, 0.2), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        disc.impulse_response(30),
        rnn.discrete_kernel(30, 0.2),
        rtol=1e-12,
        atol=1e-15,
    )


def test_modal_and_dense_forms_have_the_same_kernel():
    rng = np.random.default_rng(3)
    mod = LinearRNN.modal(
        [0.3, 1.0, 2.0],
        [0.0, 1.5, 0.0],
        [[0.5, 1.0], [0.2 - 0.3j, 0.1j], [1.0, -1.0]],
    )
    assert mod.form == "modal" and mod.m == 4 and mod.d == 2
    t = np.linspace(0, 6, 13)
    ref = np.array([mod.c @ linalg.expm(mod.W * s) @ mod.U for s in t])
    np.testing.assert_allclose(mod.kernel(t), ref, atol=1e-12)
    dense = mod.to_dense()
    assert dense.form == "dense"
    np.testing.assert_allclose(dense.kernel(t), ref, atol=1e-12)
    back = dense.to_modal()
    np.testing.assert_allclose(back.kernel(t), ref, atol=1e-10)
    assert np.allclose(np.sort(back.decay), [0.3, 1.0, 2.0])
    lam, g = mod.modes()
    np.testing.assert_allclose(
        np.real(np.exp(np.outer(t, lam)) @ g), ref, atol=1e-12
    )
    assert (
        mod.spectral_abscissa
        == pytest.approx(-0.3)
        == pytest.approx(dense.spectral_abscissa)
    )
    x = rng.normal(size=(40, 2))
    np.testing.assert_allclose(
        mod.output(x, 0.1), dense.output(x, 0.1), rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("par", ["direct", "exp", "softplus", "best"])
def test_modal_parameterisations_give_the_same_model(par):
    mod = LinearRNN.modal([0.2, 1.5], [0.0, 0.7], [1.0, 0.3 + 0.1j])
    other = mod.to_modal(par)
    assert other.parameterisation == par
    t = np.linspace(0, 10, 21)
    np.testing.assert_allclose(
        other.kernel(t), mod.kernel(t), rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(other.decay, mod.decay, rtol=1e-12)


def test_unstable_modal_model_needs_permission():
    with pytest.raises(ValueError, match="allow_unstable"):
        LinearRNN.modal([-0.1], None, [1.0])
    bad = LinearRNN.modal([-0.1], None, [1.0], allow_unstable=True)
    assert not bad.is_stable


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="freq must be non-negative"):
        LinearRNN.modal([1.0], [-1.0], [1.0])
    with pytest.raises(ValueError, match="coef shape"):
        LinearRNN.modal([1.0, 2.0], None, [1.0])
    with pytest.raises(ValueError, match="parameterisation"):
        LinearRNN.modal([1.0], None, [1.0], "tanh")
    with pytest.raises(ValueError, match="dt must be given"):
        LinearRNN(-np.eye(1), np.ones((1, 1)), np.ones(1)).output(
            np.ones((3, 1))
        )
    with pytest.raises(ValueError, match="dt must be positive"):
        LinearRNN(np.eye(1), np.ones((1, 1)), np.ones(1), dt=0.0)
    with pytest.raises(ValueError, match="impulse_response"):
        LinearRNN(np.eye(1), np.ones((1, 1)), np.ones(1), dt=0.1).kernel(
            [0.0]
        )


def test_modal_form_kernel_matches_expm():
    rng = np.random.default_rng(0)
    m, d = 5, 2
    W = rng.standard_normal((m, m)) - 3 * np.eye(m)
    U = rng.standard_normal((m, d))
    c = rng.standard_normal(m)
    mod = LinearRNN(W, U, c).to_modal()
    t = np.linspace(0, 4, 11)
    ref = np.array([c @ linalg.expm(W * s) @ U for s in t])
    assert np.allclose(mod.kernel(t), ref, atol=1e-10)
    assert mod.m == m
    dense = mod.to_dense()
    Wr, Ur, cr = dense.W, dense.U, dense.c
    ref2 = np.array([cr @ linalg.expm(Wr * s) @ Ur for s in t])
    assert np.allclose(ref2, ref, atol=1e-10)
    assert mod.spectral_abscissa == pytest.approx(
        np.max(np.linalg.eigvals(W).real)
    )


def test_modal_form_rejects_unstable_W():
    with pytest.raises(ValueError, match="Hurwitz"):
        LinearRNN(np.eye(2), np.ones((2, 1)), np.ones(2)).to_modal()
