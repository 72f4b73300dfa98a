"""Seeding and determinism.

Chapters call :func:`seed_everything` once at the top. Package functions that draw
random numbers take their own ``seed`` or :class:`numpy.random.Generator` /
:class:`torch.Generator` argument and never read global random state silently.
"""

from __future__ import annotations

import os
import random
from typing import TYPE_CHECKING

import numpy as np

from ._validation import check_nonnegative_int, check_positive_int

if TYPE_CHECKING:
    import torch

__all__ = ["seed_everything", "rng", "torch_generator"]


def seed_everything(
    seed: int = 0, threads: int | None = 2
) -> np.random.Generator:
    """Seed Python, NumPy and PyTorch and make PyTorch deterministic.

    Sets ``random.seed``, ``numpy.random.seed`` and ``torch.manual_seed`` to ``seed``,
    asks PyTorch for deterministic algorithms and, if ``threads`` is given, fixes
    the number of intra-op threads (results of reductions can depend on it).

    Returns a fresh :class:`numpy.random.Generator` seeded with ``seed``, the
    preferred source of randomness in a chapter.

    Used in
    -------
    Used by :func:`dynapprox.book.setup` (the setup cell of every chapter, e.g.
    :doc:`/chapters/01_approximation`).
    """
    seed = check_nonnegative_int("seed", seed)
    if threads is not None:
        threads = check_positive_int("threads", threads)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    random.seed(seed)
    # the legacy global state too: code that calls np.random.* directly is seeded
    np.random.seed(seed % 2**32)  # noqa: NPY002
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    else:
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
        if threads is not None:
            torch.set_num_threads(threads)
    return np.random.default_rng(seed)


def rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Return a NumPy generator: ``seed`` itself if it is one, else a new one seeded with it.

    ``None`` is rejected on purpose: every random draw in the book is seeded.

    Used in
    -------
    Used by the functions of the package that take a ``seed`` (an int or a
    generator), e.g. for the random input signals of
    :doc:`/chapters/07_sequence_modelling`.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        raise ValueError(
            "seed must be an int or a numpy.random.Generator, not None (the book seeds every draw)"
        )
    return np.random.default_rng(check_nonnegative_int("seed", seed))


def torch_generator(seed: int) -> torch.Generator:
    """Return a :class:`torch.Generator` on the CPU seeded with ``seed``.

    Used in
    -------
    :doc:`/chapters/05_optimal_control`, :doc:`/chapters/06_discrete_robust`.
    """
    import torch

    g = torch.Generator(device="cpu")
    g.manual_seed(check_nonnegative_int("seed", seed))
    return g
