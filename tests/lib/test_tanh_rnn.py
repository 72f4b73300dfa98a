"""Tests of dynapprox.tanh_rnn: BPTT against autograd, training."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox.tanh_rnn import tanh_rnn_loss_and_grad, train_tanh_rnn


def test_tanh_rnn_gradient_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    m, d, batch, n_t = 4, 2, 3, 7
    W, U, c = (
        rng.standard_normal((m, m)) * 0.5,
        rng.standard_normal((m, d)),
        rng.standard_normal(m),
    )
    x, y = (
        rng.standard_normal((batch, n_t, d)),
        rng.standard_normal((batch, n_t)),
    )
    loss, (dW, dU, dc) = tanh_rnn_loss_and_grad(W, U, c, x, y)
    tW, tU, tc = (torch.tensor(a, requires_grad=True) for a in (W, U, c))
    h = torch.zeros(batch, m, dtype=torch.float64)
    outs = []
    for k in range(n_t):
        h = torch.tanh(h @ tW.T + torch.tensor(x[:, k]) @ tU.T)
        outs.append(h @ tc)
    yt = torch.tensor(y)
    tl = ((torch.stack(outs, 1) - yt) ** 2).sum() / (yt**2).sum()
    tl.backward()
    assert loss == pytest.approx(float(tl.detach()), rel=1e-12)
    for mine, ref in ((dW, tW), (dU, tU), (dc, tc)):
        assert np.allclose(mine, ref.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_train_tanh_rnn_learns_a_short_memory_and_is_deterministic():
    from dynapprox.functionals import apply_kernel

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 16, 1))
    rho = 0.3 * np.exp(-np.arange(16) / 2.0)
    y = apply_kernel(rho[:, None], x, 1.0, method="direct")
    a = train_tanh_rnn(x, y, m=4, steps=200, lr=2e-2, seed=3)
    b = train_tanh_rnn(x, y, m=4, steps=200, lr=2e-2, seed=3)
    assert np.array_equal(a.losses, b.losses) and np.array_equal(a.W, b.W)
    assert a.losses[-20:].mean() < 0.05 * a.losses[:5].mean()


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="x must have shape"):
        tanh_rnn_loss_and_grad(
            np.eye(2),
            np.ones((2, 1)),
            np.ones(2),
            np.ones((3, 5, 2)),
            np.ones((3, 5)),
        )
    with pytest.raises(ValueError, match="steps"):
        train_tanh_rnn(np.ones((3, 5, 1)), np.ones((3, 5)), m=2, steps=0)
