"""Unit tests of dynapprox.reproducibility: seeds and generators."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox import reproducibility


def test_seed_everything_is_deterministic():
    import torch

    g1 = reproducibility.seed_everything(3)
    # the legacy global state is part of what seed_everything seeds
    a = (g1.normal(size=3), np.random.rand(), torch.rand(2))  # noqa: NPY002
    g2 = reproducibility.seed_everything(3)
    b = (g2.normal(size=3), np.random.rand(), torch.rand(2))  # noqa: NPY002
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]
    assert torch.equal(a[2], b[2])


def test_rng_and_generators():
    g = np.random.default_rng(5)
    assert reproducibility.rng(g) is g
    np.testing.assert_array_equal(
        reproducibility.rng(7).normal(size=2),
        np.random.default_rng(7).normal(size=2),
    )
    with pytest.raises(ValueError, match="seed"):
        reproducibility.rng(None)
    with pytest.raises(ValueError, match="seed must be a non-negative"):
        reproducibility.seed_everything(-1)
    import torch

    t1 = torch.rand(3, generator=reproducibility.torch_generator(4))
    t2 = torch.rand(3, generator=reproducibility.torch_generator(4))
    assert torch.equal(t1, t2)
