"""Tests of dynapprox.control.discrete against brute-force maximisation."""

from __future__ import annotations

import numpy as np
import torch
from control_problems import (
    DT,
)

from dynapprox import control as ctl


def _brute_ternary(m, w0, rk, lam):
    vals = np.array([-1.0, 0.0, 1.0])
    return vals[
        np.argmax(m * vals - lam * np.abs(vals) - rk * (vals - w0) ** 2)
    ]


def test_ternary_update_hand_cases():
    W = torch.tensor([[0.0, 1.0, -1.0, 0.0, 1.0]], dtype=DT)
    M = torch.tensor([[0.5, -2.0, 0.2, -0.05, 3.0]], dtype=DT)
    # wrong-signed entries: 0 (0 vs +), 1 (+1 vs -), 2 (-1 vs +), 3 (0 vs -): max |M| = 2, rho_k = 0.2
    new = ctl.ternary_msa_update(W, M, rho=0.1, lam=0.0)
    # entry 0: 0.5 > 0.2 -> +1; entry 1: -2 < -0.2*3 -> -1; entry 2: 0.2 > 0.2*3? no; 0.2 < -0.2*(-1)=0.2? no -> 0
    # entry 3: -0.05 < -0.2? no -> 0; entry 4: 3 > 0.2*(1-2)=-0.2 -> +1
    assert new.tolist() == [[1.0, -1.0, 0.0, 0.0, 1.0]]
    # with an l1 penalty lam = 0.4 entry 0 (0.5 < 0.2 + 0.4) becomes 0
    assert ctl.ternary_msa_update(W, M, rho=0.1, lam=0.4).tolist() == [
        [0.0, -1.0, 0.0, 0.0, 1.0]
    ]


def test_ternary_update_equals_brute_force_maximisation():
    g = np.random.default_rng(0)
    W = torch.tensor(g.integers(-1, 2, (6, 7)), dtype=DT)
    M = torch.tensor(g.standard_normal((6, 7)), dtype=DT)
    rho, lam = 0.3, 0.2
    wrong = torch.sign(M) != W
    rk = rho * float(M.abs()[wrong].max())
    new = ctl.ternary_msa_update(W, M, rho=rho, lam=lam).numpy()
    ref = np.vectorize(lambda m, w0: _brute_ternary(m, w0, rk, lam))(
        M.numpy(), W.numpy()
    )
    assert np.array_equal(new, ref)


def test_binary_update_equals_brute_force_and_plain_sign():
    g = np.random.default_rng(1)
    W = torch.tensor(g.choice([-1.0, 1.0], (5, 4)), dtype=DT)
    M = torch.tensor(g.standard_normal((5, 4)), dtype=DT)
    rho = 0.5
    rk = rho * float(M.abs()[torch.sign(M) != W].max())
    new = ctl.binary_msa_update(W, M, rho=rho).numpy()
    vals = np.array([-1.0, 1.0])
    ref = np.vectorize(
        lambda m, w0: vals[
            np.argmax(m * vals - 0.5 * rk * (vals - w0) ** 2)
        ]
    )(M.numpy(), W.numpy())
    assert np.array_equal(new, ref)
    assert torch.equal(ctl.binary_msa_update(W, M, rho=0.0), torch.sign(M))


def test_ema_update():
    M, G = torch.ones(3, dtype=DT), torch.zeros(3, dtype=DT)
    assert torch.allclose(
        ctl.ema_update(M, G, 0.25), torch.full((3,), 0.25, dtype=DT)
    )


def test_discrete_training_runs_and_keeps_values():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=g, dtype=DT)
    y = (x[:, 0] > 0).long()
    Ws = [
        torch.randint(-1, 2, (8, 3), generator=g).to(DT),
        torch.randint(-1, 2, (2, 8), generator=g).to(DT),
    ]
    res = ctl.train_discrete_msa(
        x, y, Ws, [0.5, 0.3], n_epochs=15, batch_size=16, rho=0.9, seed=0
    )
    for w in res.weights:
        assert set(torch.unique(w).tolist()) <= {-1.0, 0.0, 1.0}
    assert (
        res.accuracy[-1] > res.accuracy[0] + 0.1 and res.accuracy[-1] > 0.8
    ), res.accuracy
