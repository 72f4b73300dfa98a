"""The one line at the top of every chapter: threads, seeds and figure style.

Every chapter starts with ``rng = setup()``. It replaces the setup code each chapter used to
carry (environment variables for the BLAS threads, the seeding calls, the figure style), so
that a reader sees the chapter's own imports right after it and a change of policy is made
in one place.

Threads are limited *after* NumPy has been imported, through ``threadpoolctl`` (the BLAS
libraries read ``OMP_NUM_THREADS`` only when they are loaded, which happens on the first
``import numpy``, before any chapter code runs). One thread is the book's default: its two
cores execute two chapters at a time, and a reduction computed with a different number of
threads may differ in its last bits, which would change printed numbers between runs.

Used in
-------
The setup cell of every chapter, from :doc:`/chapters/01_approximation` to
:doc:`/chapters/12_state_space_models`.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_nonnegative_int, check_positive_int
from .plotting import use_book_style
from .reproducibility import seed_everything

__all__ = ["setup"]

_LIMITS: list = []  # the threadpoolctl limiter in force (kept alive for the session)


def setup(
    seed: int = 0, threads: int = 1, style: bool = True
) -> np.random.Generator:
    """Prepare a chapter's kernel: BLAS and PyTorch threads, every seed, the figure style.

    Parameters
    ----------
    seed : int
        Seed of Python's, NumPy's and PyTorch's global generators (>= 0); also the seed of
        the returned generator.
    threads : int
        Number of BLAS / OpenMP threads and of PyTorch intra-op threads (>= 1).
    style : bool
        Apply the book's figure style (:func:`dynapprox.plotting.use_book_style`).

    Returns
    -------
    numpy.random.Generator
        A fresh generator seeded with ``seed``: the chapter's source of randomness.

    Used in
    -------
    The setup cell of every chapter, e.g. :doc:`/chapters/01_approximation`.
    """
    seed = check_nonnegative_int("seed", seed)
    threads = check_positive_int("threads", threads)
    if not isinstance(style, bool):
        raise TypeError(f"style must be True or False, got {style!r}")
    from threadpoolctl import threadpool_limits

    _LIMITS[:] = [threadpool_limits(limits=threads)]
    rng = seed_everything(seed, threads=threads)
    if style:
        use_book_style()
    return rng
