"""Tests of dynapprox.control.embedding: the PCA subspace against a known plane."""

from __future__ import annotations

import numpy as np
import torch
from control_problems import (
    DT,
)
from scipy.optimize import minimize

from dynapprox import control as ctl


def test_pca_subspace_recovers_plane_and_projection():
    g = np.random.default_rng(2)
    Q, _ = np.linalg.qr(g.standard_normal((6, 2)))
    Z = g.standard_normal((200, 2))
    X = torch.tensor(Z @ Q.T + 1.5, dtype=DT)
    sub = ctl.pca_subspace(X, energy=0.999)
    assert sub.basis.shape == (6, 2)
    P = sub.basis.numpy() @ sub.basis.numpy().T
    assert np.allclose(P, Q @ Q.T, atol=1e-10)
    assert torch.max(sub.residual(X).abs()) < 1e-10
    # closed-form control equals a numerical minimiser of |(I-P)(x+u-m)|^2 + c|u|^2
    x = torch.tensor(g.standard_normal(6), dtype=DT)
    c = 0.7

    def obj(u):
        return float(
            np.sum(sub.residual(x + torch.tensor(u)).numpy() ** 2)
            + c * np.sum(u**2)
        )

    u_num = minimize(
        obj, np.zeros(6), method="BFGS", options={"gtol": 1e-12}
    ).x
    u_cf = -(1 / (1 + c)) * sub.residual(x).numpy()
    assert np.allclose(u_num, u_cf, atol=1e-6)
