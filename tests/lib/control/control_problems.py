"""Shared test problems of the control tests (imported by the test files of this folder)."""

from __future__ import annotations

import torch

DT = torch.float64


def make_problem(seed=0, n_layers=6, d=3, batch=7):
    g = torch.Generator().manual_seed(seed)
    W = 0.7 * torch.randn(n_layers, d, d, generator=g, dtype=DT)
    b = 0.3 * torch.randn(n_layers, d, generator=g, dtype=DT)
    x0 = torch.randn(batch, d, generator=g, dtype=DT)
    y = torch.randn(batch, generator=g, dtype=DT)
    return W, b, x0, y


def sum_loss(xN, y):
    return ((xN.sum(1) - y) ** 2).mean()
