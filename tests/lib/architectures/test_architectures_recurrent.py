"""Tests of dynapprox.architectures.recurrent: the explicit recurrence and the brute-force tail."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox import architectures as arch


def test_linear_rnn_seq_matches_explicit_recurrence_and_trains():
    torch = pytest.importorskip("torch")
    rnn = arch.LinearRNNSeq(m=3, seed=0)
    X, y = arch.seq2seq_dataset(8, arch.exp_kernel_matrix(6), seed=2)
    A, B, c = (
        p.detach().numpy()
        for p in (rnn.module.A, rnn.module.B, rnn.module.c)
    )
    ref = np.zeros((8, 6))
    for i, x in enumerate(X[:, :, 0]):
        h = np.zeros(3)
        for t, xt in enumerate(x):
            h = A @ h + B * xt
            ref[i, t] = c @ h
    with torch.no_grad():
        np.testing.assert_allclose(
            rnn.module(torch.tensor(X)).numpy(), ref, atol=1e-12
        )
    assert rnn.n_params == sum(p.numel() for p in rnn.module.parameters())
    X, y = arch.seq2seq_dataset(512, arch.exp_kernel_matrix(6), seed=3)
    res = arch.train_regressor(
        rnn, X, y, steps=200, lr=2e-2, batch=64, seed=0
    )
    assert res["test"] < 1e-3 * np.var(y)
    with pytest.raises(ValueError, match="same number of samples"):
        arch.train_regressor(
            rnn, X, y[:10], steps=1, lr=1e-2, batch=4, seed=0
        )
    with pytest.raises(TypeError, match="module"):
        arch.train_regressor(
            object(), X, y, steps=1, lr=1e-2, batch=4, seed=0
        )


def test_lag_tail_bound_against_brute_force():
    from dynapprox.linear_rnn import LinearRNN

    W = np.array(
        [[-0.05, 0.3], [-0.3, -0.05]]
    )  # a damped rotation: the kernel changes sign
    model = LinearRNN(W, np.array([[1.0], [0.5]]), np.array([1.0, -2.0]))
    j = np.arange(200, 20000)
    brute = np.sum(np.abs(model.kernel(j.astype(float))[:, 0]))
    bound = arch.lag_tail_bound(model, 200)
    assert brute <= bound <= 3 * brute
    # one real mode: the bound is the exact geometric sum
    one = LinearRNN(np.array([[-0.1]]), np.array([[2.0]]), np.array([1.5]))
    assert arch.lag_tail_bound(one, 10) == pytest.approx(
        3.0 * np.exp(-1.0) / (1 - np.exp(-0.1)), rel=1e-12
    )
    with pytest.raises(ValueError, match="n must be"):
        arch.lag_tail_bound(one, -1)


def test_linear_rnn_seq_is_the_core_discrete_rnn():
    """module.kernel(L)[j] is the core model's impulse response g[j + 1]; outputs agree one step later."""
    torch = pytest.importorskip("torch")
    rnn = arch.LinearRNNSeq(m=4, seed=1)
    core = rnn.to_linear_rnn()
    assert core.dt == 1.0 and core.m == 4 and core.d == 1
    with torch.no_grad():
        k = rnn.module.kernel(10).numpy()
    np.testing.assert_allclose(
        k, core.impulse_response(11)[1:, 0], atol=1e-13
    )
    x = np.random.default_rng(0).normal(size=12)
    with torch.no_grad():
        seq = rnn.module(torch.tensor(x[None, :, None])).numpy()[0]
    shifted = core.output(np.append(x, 0.0)[:, None])
    np.testing.assert_allclose(seq, np.ravel(shifted)[1:], atol=1e-12)
