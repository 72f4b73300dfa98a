"""Unit tests of dynapprox.flows.talk against scipy.integrate.solve_ivp."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from flows_reference import solve_ivp_reference

from dynapprox import flows

pytestmark = pytest.mark.usefixtures("float64_default")


def test_talk_example_dataset_labels_are_the_pulled_back_half_plane():
    x0, xT, y = flows.talk_example_dataset(
        50, T=1.5, margin=(0.05, 0.5), seed=3
    )
    assert x0.shape == (50, 2) and xT.shape == (50, 2) and y.shape == (50,)
    ref = solve_ivp_reference(x0.numpy()[:8], 1.5)
    assert np.max(np.abs(ref - xT.numpy()[:8])) < 1e-6
    assert torch.all((xT[:, 0].abs() > 0.05) & (xT[:, 0].abs() < 0.5))
    assert torch.equal(y, (xT[:, 0] > 0).double())
    x0b, _, _ = flows.talk_example_dataset(
        50, T=1.5, margin=(0.05, 0.5), seed=3
    )
    assert torch.equal(x0, x0b)
    with pytest.raises(ValueError, match="margin must satisfy"):
        flows.talk_example_dataset(5, margin=(0.5, 0.1))
    with pytest.raises(TypeError, match="margin must be a pair"):
        flows.talk_example_dataset(5, margin=0.1)
