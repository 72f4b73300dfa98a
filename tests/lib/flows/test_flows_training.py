"""Unit tests of dynapprox.flows.training: full-batch Adam is deterministic and decreases the loss."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

from dynapprox import flows


@pytest.fixture(autouse=True)
def _float64_default():
    """Run every test of this module in float64 and restore the global default afterwards."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _talk_numpy(t, x):
    return [
        -x[1] * math.sin(t),
        -0.5 * (1 - x[0] ** 2) * x[1] + x[0] * math.cos(t),
    ]


def _solve_ivp_reference(x0: np.ndarray, T: float) -> np.ndarray:
    return np.array(
        [
            solve_ivp(
                _talk_numpy,
                (0.0, T),
                p,
                method="DOP853",
                rtol=1e-12,
                atol=1e-13,
            ).y[:, -1]
            for p in x0
        ]
    )


def test_training_decreases_the_loss_deterministically():
    x = torch.linspace(-1, 1, 32)[:, None]
    y = x**3 + 0.5 * x
    runs = []
    for _ in range(2):
        model = flows.ContinuousResNet(
            1, 2, width=4, terminal="identity", seed=2
        )
        runs.append(
            flows.train_full_batch(model, x, y, "mse", n_iter=60, lr=2e-2)
        )
    assert runs[0] == runs[1]
    assert runs[0][-1] < 0.5 * runs[0][0]
