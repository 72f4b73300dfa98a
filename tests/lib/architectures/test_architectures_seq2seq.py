"""Tests of dynapprox.architectures.seq2seq against brute-force sums."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox import architectures as arch


def test_exp_kernel_swap_and_mixing_matrices_against_brute_force():
    L = 9
    K = arch.exp_kernel_matrix(L, rate=0.7)
    x = np.random.default_rng(0).uniform(size=L)
    y = np.array(
        [
            sum(np.exp(-0.7 * s) * x[t - s] for s in range(t + 1))
            for t in range(L)
        ]
    )
    np.testing.assert_allclose(K @ x, y, atol=1e-14)
    perm = arch.swap_permutation(L, 3)
    np.testing.assert_array_equal(perm, [6, 7, 8, 3, 4, 5, 0, 1, 2])
    theta = np.array([0.5, -0.2, 0.3])
    for delay in (0, 2):
        M = arch.mixing_matrix(theta, L, delay=delay)
        ref = [
            sum(
                theta[j] * x[t + j - delay]
                for j in range(3)
                if 0 <= t + j - delay < L
            )
            for t in range(L)
        ]
        np.testing.assert_allclose(M @ x, ref, atol=1e-14)
    # the delayed (causal) mixing is lower triangular; the printed one reads the future
    assert np.allclose(
        np.triu(arch.mixing_matrix(theta, L, delay=2), 1), 0
    )
    assert not np.allclose(
        np.triu(arch.mixing_matrix(theta, L, delay=0), 1), 0
    )
    th = arch.random_filter(5, seed=3)
    assert th.shape == (5,) and abs(np.sum(np.abs(th)) - 1) < 1e-15
    np.testing.assert_array_equal(th, arch.random_filter(5, seed=3))
    with pytest.raises(ValueError, match="k must be at most"):
        arch.swap_permutation(5, 3)
    with pytest.raises(ValueError, match="delay"):
        arch.mixing_matrix(theta, 4, delay=4)


def test_seq2seq_dataset_seen_weights_and_causal_floor():
    L = 6
    K = arch.exp_kernel_matrix(L)
    perm = arch.swap_permutation(L, 2)
    X, y = arch.seq2seq_dataset(4000, K, seed=1, permutation=perm)
    X0, y0 = arch.seq2seq_dataset(4000, K, seed=1)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(X[:, :, 0], X0[:, perm, 0])
    assert X.min() >= 0 and X.max() <= 1
    W = arch.seen_weights(K, perm)
    np.testing.assert_allclose(X[:, :, 0] @ W.T, y, atol=1e-13)
    # the floor is the variance left by the best causal predictor: regress each y_t on the shown
    # inputs up to t (the best linear causal model; inputs are independent, so nonlinear ones do no better)
    floor = arch.causal_floor(W)
    resid = []
    for t in range(L):
        A = np.c_[np.ones(len(X)), X[:, : t + 1, 0]]
        coef, *_ = np.linalg.lstsq(A, y[:, t], rcond=None)
        resid.append(np.mean((y[:, t] - A @ coef) ** 2))
    assert np.mean(resid) == pytest.approx(floor, rel=0.08)
    assert arch.causal_floor(K) == 0.0
    with pytest.raises(ValueError, match="square"):
        arch.seq2seq_dataset(3, np.ones((2, 3)), seed=0)
    with pytest.raises(ValueError, match="permutation"):
        arch.seen_weights(K, [0, 0, 1, 2, 3, 4])
