"""Tests of dynapprox.architectures.training against torch's own scheduler."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox import architectures as arch


def test_train_regressor_cosine_schedule_matches_torch_scheduler():
    torch = pytest.importorskip("torch")
    X, y = arch.seq2seq_dataset(64, arch.exp_kernel_matrix(5), seed=1)
    steps, lr = 12, 5e-2
    ours = arch.LinearRNNSeq(m=3, seed=0)
    hist = arch.train_regressor(
        ours, X, y, steps=steps, lr=lr, batch=16, seed=2, schedule="cosine"
    )["train"]
    # reference: the same loop written with torch's CosineAnnealingLR
    ref = arch.LinearRNNSeq(m=3, seed=0)
    opt = torch.optim.Adam(ref.module.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    g = torch.Generator().manual_seed(2)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    ref_hist = []
    for _ in range(steps):
        idx = torch.randint(0, Xt.shape[0], (16,), generator=g)
        opt.zero_grad()
        loss = torch.mean((ref.module(Xt[idx]) - yt[idx]) ** 2)
        loss.backward()
        opt.step()
        sched.step()
        ref_hist.append(loss.item())
    np.testing.assert_allclose(hist, ref_hist, rtol=1e-12)
    const = arch.train_regressor(
        arch.LinearRNNSeq(m=3, seed=0),
        X,
        y,
        steps=steps,
        lr=lr,
        batch=16,
        seed=2,
    )["train"]
    assert (
        np.max(np.abs(const - hist)) > 0
    )  # the schedule changes the trajectory
    with pytest.raises(ValueError, match="schedule"):
        arch.train_regressor(
            ours, X, y, steps=1, lr=lr, batch=4, seed=0, schedule="linear"
        )
