"""Fixtures of the control tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="module")
def _one_thread_here(one_thread: None) -> None:
    """Every test of this folder runs with one PyTorch thread (tests/lib/conftest.py)."""
