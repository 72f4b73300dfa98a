"""Fast evaluation of linear RNNs: every method equals the exact ZOH recurrence."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox import evaluation as ev
from dynapprox.linear_rnn import LinearRNN


def _rnn(m: int, d: int, seed: int) -> LinearRNN:
    rng = np.random.default_rng(seed)
    # real and complex eigenvalues, a dense W
    A = rng.standard_normal((m, m))
    W = A - (np.abs(np.linalg.eigvals(A).real).max() + 0.3) * np.eye(m)
    return LinearRNN(
        W, rng.standard_normal((m, d)), rng.standard_normal(m)
    )


@pytest.mark.parametrize("m,d", [(1, 1), (5, 1), (6, 2)])
@pytest.mark.parametrize("method", ev.METHODS + ("auto",))
def test_every_method_equals_the_recurrence(m, d, method):
    rnn = _rnn(m, d, seed=m + 10 * d)
    x = np.random.default_rng(1).standard_normal((3, 200, d))
    ref = rnn.output(x, 0.05, method="recurrence")
    y = ev.rnn_output(rnn, x, 0.05, method=method)
    assert y.shape == ref.shape
    np.testing.assert_allclose(
        y, ref, rtol=0, atol=1e-11 * np.abs(ref).max()
    )
    single = ev.rnn_output(rnn, x[0], 0.05, method=method)
    np.testing.assert_allclose(
        single, ref[0], rtol=0, atol=1e-11 * np.abs(ref).max()
    )


def test_impulse_response_equals_discrete_kernel():
    rnn = _rnn(6, 2, seed=3)
    np.testing.assert_allclose(
        ev.zoh_impulse_response(rnn.W, rnn.U, rnn.c, 0.1, 50),
        rnn.discrete_kernel(50, 0.1),
        atol=1e-13,
    )


def test_zero_eigenvalue_limit_in_zoh_modes():
    # a (marginal) zero eigenvalue: B = dt U in that mode
    z, r = ev.zoh_modes(
        np.array([[0.0]]), np.array([[2.0]]), np.array([1.5]), 0.1
    )
    assert z[0] == 1.0 and r[0, 0] == pytest.approx(0.3)


def test_choose_method_reads_the_measured_table_for_one_channel():
    for m, row in ev.WISDOM.items():
        for L, method in zip(ev.WISDOM_L, row, strict=True):
            assert ev.choose_method(L, m) == method
            # nearest grid point in log L and log m
            assert ev.choose_method(int(L * 1.3), int(m * 1.2)) == method
    # a wide dense W on a short input: the plain recurrence (no eigen-decomposition)
    assert ev.choose_method(256, 256) == "naive"
    # a long input and a small width: per-mode filters
    assert ev.choose_method(65536, 8) == "lfilter"


def test_choose_method_is_the_argmin_of_the_cost_model_for_several_channels():
    for L in (256, 4096, 65536):
        for m in (8, 64, 256):
            t = ev.predicted_seconds(L, m, d=3)
            assert ev.choose_method(L, m, d=3) == min(t, key=t.get)
            terms = ev.cost_terms("fft", L, m, d=3)
            assert t["fft"] == pytest.approx(
                sum(ev.COST["fft"][k] * v for k, v in terms.items())
            )


def test_bad_input_names_the_argument():
    rnn = _rnn(4, 1, seed=0)
    with pytest.raises(ValueError, match="method"):
        ev.rnn_output(rnn, np.zeros((10, 1)), 0.1, method="fast")
    with pytest.raises(ValueError, match="x must have d = 1"):
        ev.rnn_output(rnn, np.zeros((10, 2)), 0.1)
    with pytest.raises(ValueError, match="dt"):
        ev.rnn_output(rnn, np.zeros((10, 1)), -0.1)
    with pytest.raises(TypeError, match="model"):
        ev.rnn_output(object(), np.zeros((10, 1)), 0.1)
    with pytest.raises(ValueError, match="L"):
        ev.choose_method(0, 4)
    with pytest.raises(ValueError, match="shapes"):
        ev.zoh_modes(np.eye(2), np.ones((3, 1)), np.ones(2), 0.1)


def test_auto_falls_back_to_the_loop_for_a_defective_W():
    W = -np.eye(4) + np.diag(
        np.ones(3), 1
    )  # a Jordan block: no eigenbasis
    rnn = LinearRNN(W, np.ones((4, 1)), np.arange(1.0, 5.0))
    x = np.random.default_rng(0).standard_normal((300, 1))
    np.testing.assert_allclose(
        ev.rnn_output(rnn, x, 0.1),
        rnn.output(x, 0.1, method="recurrence"),
        atol=1e-12,
    )
    with pytest.raises(ValueError, match="well-conditioned"):
        ev.rnn_output(rnn, x, 0.1, method="lfilter")


def test_rnn_output_refuses_a_discrete_model():
    model = LinearRNN(0.5 * np.eye(2), np.ones((2, 1)), np.ones(2), dt=1.0)
    with pytest.raises(ValueError, match="discrete-time"):
        ev.rnn_output(model, np.ones((4, 1)), 1.0)
