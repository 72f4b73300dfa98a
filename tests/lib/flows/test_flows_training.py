"""Unit tests of dynapprox.flows.training: full-batch Adam is deterministic and decreases the loss."""

from __future__ import annotations

import pytest
import torch

from dynapprox import flows

pytestmark = pytest.mark.usefixtures("float64_default")


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
