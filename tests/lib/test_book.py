"""dynapprox.book.setup: the one setup line of every chapter."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox.book import setup


def test_setup_seeds_and_limits_threads() -> None:
    from threadpoolctl import threadpool_info

    a = setup(seed=3, threads=1, style=False).normal(size=4)
    b = np.random.default_rng(3).normal(size=4)
    assert np.array_equal(a, b)
    assert all(info["num_threads"] == 1 for info in threadpool_info())
    import torch

    assert torch.get_num_threads() == 1
    assert (
        np.random.rand() == np.random.RandomState(3).rand()  # noqa: NPY002
    )  # global NumPy state seeded too


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"seed": -1}, "seed"),
        ({"threads": 0}, "threads"),
        ({"style": "yes"}, "style"),
    ],
)
def test_setup_names_the_bad_argument(kwargs: dict, name: str) -> None:
    with pytest.raises((TypeError, ValueError), match=name):
        setup(**kwargs)
