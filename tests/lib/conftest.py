"""Fixtures shared by the unit tests of the package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def one_thread() -> Iterator[None]:
    """One PyTorch intra-op thread for a module of tests on tiny tensors (faster, and no
    spinning on a busy machine); the previous count is restored afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
