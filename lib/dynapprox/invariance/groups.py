r"""Permutation groups, their action on inputs, and invariance and equivariance errors.

A permutation :math:`s \in S_d` acts on :math:`x \in \mathbb R^d` by relabelling the
indices,

.. math::

    s(x)_i = x_{s(i)}, \qquad i = 0, \dots, d-1,

which in code is ``x[..., s]`` (:func:`permute`). A function :math:`F` is
*G-invariant* for a subgroup :math:`G \le S_d` if :math:`F(s(x)) = F(x)` for all
:math:`s \in G`, and a map :math:`\Phi : \mathbb R^d \to \mathbb R^d` is
*G-equivariant* if :math:`\Phi(s(x)) = s(\Phi(x))`. This module provides

* random elements of the groups of the talk: the symmetric group :math:`S_d`
  (:func:`random_permutations`), the cyclic translations :math:`\mathbb Z_d`
  (:func:`cyclic_shifts`, :func:`random_cyclic_shifts`) and products
  :math:`S_{d_1} \times \dots \times S_{d_r}` acting on consecutive blocks
  (:func:`random_block_permutations`);
* the invariance and equivariance errors of a function (:func:`invariance_error`,
  :func:`equivariance_error`) and the group average (Reynolds operator)
  :func:`group_average`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from .._validation import check_callable, check_positive_int
from ..reproducibility import rng as _rng

__all__ = [
    "check_permutation",
    "check_block_sizes",
    "permute",
    "compose",
    "inverse",
    "random_permutations",
    "cyclic_shifts",
    "random_cyclic_shifts",
    "random_block_permutations",
    "inversion_count",
    "invariance_error",
    "equivariance_error",
    "group_average",
]


# --------------------------------------------------------------------------------------
# Permutations and their action
# --------------------------------------------------------------------------------------


def check_permutation(
    name: str, perm: Any, d: int | None = None
) -> np.ndarray:
    """Return ``perm`` as an ``int64`` array of permutations of ``0..d-1``, else raise.

    Parameters
    ----------
    name : str
        The argument's name, used in error messages.
    perm : array_like
        One permutation (shape ``[d]``) or a batch of them (shape ``[n, d]``), each
        row a rearrangement of ``0, ..., d-1``.
    d : int, optional
        Required length of each permutation.

    Returns
    -------
    perm : numpy.ndarray
        The permutation(s), dtype ``int64``, same shape.

    Used in
    -------
    Used by every function of this module that takes permutations (in
    :doc:`/chapters/04_invariant_functions`).
    """
    if isinstance(perm, torch.Tensor):
        perm = perm.detach().cpu().numpy()
    arr = np.asarray(perm)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            f"{name} must be an integer array of indices, got dtype {arr.dtype}"
        )
    if arr.ndim not in (1, 2) or arr.shape[-1] == 0:
        raise ValueError(
            f"{name} must have shape [d] or [n, d] with d >= 1, got shape {arr.shape}"
        )
    if d is not None and arr.shape[-1] != d:
        raise ValueError(
            f"{name} must permute {d} indices, got length {arr.shape[-1]}"
        )
    ref = np.arange(arr.shape[-1])
    if not np.all(np.sort(arr, axis=-1) == ref):
        raise ValueError(
            f"{name} must contain each of 0..{arr.shape[-1] - 1} exactly once in every row"
        )
    return arr.astype(np.int64)


def _axis_length(x: Any, axis: int) -> int:
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"axis must lie in [-{x.ndim}, {x.ndim}) for an input of shape {tuple(x.shape)}, got {axis}"
        )
    return int(x.shape[axis])


def _as_array(name: str, x: Any) -> np.ndarray | torch.Tensor:
    if isinstance(x, torch.Tensor):
        if x.ndim == 0:
            raise ValueError(f"{name} must have at least one dimension")
        return x
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be an array of real numbers or a torch.Tensor, got {type(x).__name__}"
        ) from exc
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension")
    return arr


def permute(
    x: Any, perm: Any, axis: int = -1
) -> np.ndarray | torch.Tensor:
    r"""The action :math:`s(x)_i = x_{s(i)}` of one permutation along ``axis``.

    Parameters
    ----------
    x : array_like or torch.Tensor
        Input; the permuted axis has length ``d``. A tensor stays a tensor (and keeps
        its autograd graph).
    perm : array_like
        A permutation :math:`s` of ``0..d-1``, shape ``[d]``.
    axis : int
        The axis the permutation acts on (``-1``: the coordinates of a vector;
        ``-2``: the rows of a table such as a crystal's atom list).

    Returns
    -------
    y : numpy.ndarray or torch.Tensor
        :math:`s(x)`, same shape as ``x``.

    Used in
    -------
    No chapter cell calls it: it is the action :math:`s(x)` defined in
    :doc:`/chapters/04_invariant_functions`, and the reference the unit tests check :func:`compose`,
    :func:`inverse` and :func:`invariance_error` against.
    """
    x = _as_array("x", x)
    d = _axis_length(x, axis)
    perm = check_permutation("perm", perm, d)
    if perm.ndim != 1:
        raise ValueError(
            f"perm must be a single permutation of shape [{d}], got shape {perm.shape}"
        )
    if isinstance(x, torch.Tensor):
        return torch.index_select(
            x, axis % x.ndim, torch.as_tensor(perm, device=x.device)
        )
    return np.take(x, perm, axis=axis)


def compose(s: Any, t: Any) -> np.ndarray:
    r"""The permutation ``r`` with ``permute(x, r) == permute(permute(x, t), s)``.

    Applying :math:`t` and then :math:`s` gives
    :math:`s(t(x))_i = t(x)_{s(i)} = x_{t(s(i))}`, so ``r = t[s]``: the action
    :math:`s \mapsto (x \mapsto s(x))` reverses the order of composition (a right
    action). Works row-wise on batches of the same shape.

    Parameters
    ----------
    s : array_like
        The permutation applied second, shape ``[d]`` or ``[n, d]``.
    t : array_like
        The permutation applied first, same shape.

    Returns
    -------
    r : numpy.ndarray
        ``t[s]`` (row-wise), dtype ``int64``.

    Used in
    -------
    :doc:`/chapters/04_invariant_functions` (the order of composition of the action).
    """
    s = check_permutation("s", s)
    t = check_permutation("t", t, s.shape[-1])
    if s.shape != t.shape:
        raise ValueError(
            f"s and t must have the same shape, got {s.shape} and {t.shape}"
        )
    return np.take_along_axis(t, s, axis=-1)


def inverse(s: Any) -> np.ndarray:
    r"""The inverse permutation(s): ``permute(permute(x, s), inverse(s)) == x``.

    Used in
    -------
    No chapter cell calls it: the inverse in the group law of
    :doc:`/chapters/04_invariant_functions` (checked by the unit tests).
    """
    s = check_permutation("s", s)
    return np.argsort(s, axis=-1).astype(np.int64)


def random_permutations(
    d: int, n: int, seed: int | np.random.Generator
) -> np.ndarray:
    r"""``n`` independent uniform random elements of the symmetric group :math:`S_d`.

    Parameters
    ----------
    d : int
        Number of indices.
    n : int
        Number of permutations.
    seed : int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    perms : numpy.ndarray
        Shape ``[n, d]``, dtype ``int64``; each row a uniform random permutation.

    Used in
    -------
    :doc:`/chapters/04_invariant_functions` (:prf:ref:`prop-equivariant-invariant`,
    :prf:ref:`thm-invariant-uap`).
    """
    d = check_positive_int("d", d)
    n = check_positive_int("n", n)
    g = _rng(seed)
    return np.argsort(g.random((n, d)), axis=-1).astype(np.int64)


def cyclic_shifts(d: int) -> np.ndarray:
    r"""All :math:`d` translations :math:`s_k(i) = (i + k) \bmod d` of the cyclic group.

    Returns
    -------
    perms : numpy.ndarray
        Shape ``[d, d]``; row ``k`` is :math:`s_k`, so ``permute(x, perms[k])`` is
        ``numpy.roll(x, -k)``.

    Used in
    -------
    :doc:`/chapters/04_invariant_functions` (:prf:ref:`prop-equivariant-invariant`).
    """
    d = check_positive_int("d", d)
    return ((np.arange(d)[None, :] + np.arange(d)[:, None]) % d).astype(
        np.int64
    )


def random_cyclic_shifts(
    d: int, n: int, seed: int | np.random.Generator
) -> np.ndarray:
    r"""``n`` uniform random elements of the cyclic translation group :math:`\mathbb Z_d`.

    Returns
    -------
    perms : numpy.ndarray
        Shape ``[n, d]``; rows :math:`s_k(i) = (i + k) \bmod d` with uniform :math:`k`.

    Used in
    -------
    No chapter cell calls it (the chapter uses all of :func:`cyclic_shifts`); the translations of
    :doc:`/chapters/04_invariant_functions`.
    """
    d = check_positive_int("d", d)
    n = check_positive_int("n", n)
    k = _rng(seed).integers(0, d, size=n)
    return cyclic_shifts(d)[k]


def check_block_sizes(sizes: Any) -> tuple[int, ...]:
    r"""Return the block sizes :math:`(d_1, \dots, d_r)` of a product group as a tuple, else raise.

    Parameters
    ----------
    sizes : int or tuple of int
        One positive block size or a non-empty sequence of them.

    Returns
    -------
    sizes : tuple of int
        The block sizes.

    Used in
    -------
    Used by :func:`random_block_permutations` and
    :class:`dynapprox.invariance.equivariant.EquivariantFlow` (in
    :doc:`/chapters/04_invariant_functions`).
    """
    if isinstance(sizes, (int, np.integer)):
        sizes = (sizes,)
    try:
        sizes = tuple(sizes)
    except TypeError as exc:
        raise TypeError(
            f"sizes must be a sequence of positive integers, got {type(sizes).__name__}"
        ) from exc
    if not sizes:
        raise ValueError("sizes must contain at least one block size")
    return tuple(
        check_positive_int(f"sizes[{i}]", s) for i, s in enumerate(sizes)
    )


def random_block_permutations(
    sizes: Sequence[int], n: int, seed: int | np.random.Generator
) -> np.ndarray:
    r"""``n`` uniform random elements of :math:`S_{d_1} \times \dots \times S_{d_r}`.

    The product group acts on :math:`d = d_1 + \dots + d_r` indices cut into
    consecutive blocks of sizes :math:`d_1, \dots, d_r`; each factor permutes the
    indices of its own block and leaves the others fixed (e.g. atoms of the same
    species in a crystal's atom list).

    Parameters
    ----------
    sizes : tuple of int
        Block sizes :math:`d_1, \dots, d_r`.
    n : int
        Number of group elements.
    seed : int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    perms : numpy.ndarray
        Shape ``[n, d]``; each row maps every block onto itself.

    Used in
    -------
    :doc:`/chapters/04_invariant_functions` (:prf:ref:`prop-equivariant-invariant`).
    """
    sizes = check_block_sizes(sizes)
    n = check_positive_int("n", n)
    g = _rng(seed)
    parts, start = [], 0
    for s in sizes:
        parts.append(start + np.argsort(g.random((n, s)), axis=-1))
        start += s
    return np.concatenate(parts, axis=1).astype(np.int64)


def inversion_count(perms: Any) -> np.ndarray:
    r"""Number of inversions :math:`\#\{i < j : s(i) > s(j)\}` of each permutation.

    It is the Kendall distance of :math:`s` to the identity: the minimal number of
    adjacent transpositions that sort it; it ranges from ``0`` (identity) to
    :math:`d(d-1)/2` (reversal).

    Parameters
    ----------
    perms : array_like
        Shape ``[d]`` or ``[n, d]``.

    Returns
    -------
    count : numpy.ndarray
        Shape ``[]`` or ``[n]``, dtype ``int64``.

    Used in
    -------
    :doc:`/chapters/04_invariant_functions`.
    """
    p = check_permutation("perms", perms)
    upper = np.triu(np.ones((p.shape[-1], p.shape[-1]), dtype=bool), k=1)
    inv = (p[..., :, None] > p[..., None, :]) & upper
    return inv.sum(axis=(-2, -1)).astype(np.int64)


# --------------------------------------------------------------------------------------
# Invariance and equivariance errors
# --------------------------------------------------------------------------------------


def _orbit(
    x: np.ndarray | torch.Tensor, perms: np.ndarray, axis: int
) -> np.ndarray | torch.Tensor:
    """All ``s(x_b)``, stacked as a batch of shape ``[n * P, ...]`` (sample-major)."""
    ax = axis % x.ndim
    if ax == 0:
        raise ValueError("axis must not be the batch axis 0")
    if isinstance(x, torch.Tensor):
        idx = torch.as_tensor(perms, device=x.device)
        moved = torch.movedim(x, ax, -1)  # [n, ..., d]
        out = moved[..., idx]  # [n, ..., P, d]
        out = torch.movedim(out, -2, 1)  # [n, P, ..., d]
        out = torch.movedim(out, -1, ax + 1)
        return out.reshape((-1,) + tuple(x.shape[1:]))
    arr = np.moveaxis(x, ax, -1)[..., perms]
    arr = np.moveaxis(np.moveaxis(arr, -2, 1), -1, ax + 1)
    return arr.reshape((-1,) + x.shape[1:])


def _prepare(
    x: Any, perms: Any, axis: int
) -> tuple[np.ndarray | torch.Tensor, np.ndarray]:
    x = _as_array("x", x)
    if x.ndim < 2:
        raise ValueError(
            f"x must be a batch with the sample index in axis 0 (at least 2 dimensions), got shape {tuple(x.shape)}"
        )
    d = _axis_length(x, axis)
    perms = check_permutation("perms", perms, d)
    if perms.ndim == 1:
        perms = perms[None, :]
    return x, perms


def _to_numpy(y: Any, name: str) -> np.ndarray:
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    return np.asarray(y, dtype=float)


def invariance_error(
    f: Callable[[Any], Any], x: Any, perms: Any, axis: int = -1
) -> float:
    r"""Largest change :math:`\max_{b, s} |f(s(x_b)) - f(x_b)|` over samples and group elements.

    For a G-invariant :math:`f` it is zero in exact arithmetic; in floating point it is
    a few units of rounding (sums taken in another order).

    Parameters
    ----------
    f : callable
        Maps a batch of inputs (shape of ``x``) to outputs with the batch in axis 0.
        NumPy and torch inputs are both accepted; ``x`` is passed as given.
    x : array_like or torch.Tensor
        Inputs, shape ``[n, ...]`` with the sample index in axis 0.
    perms : array_like
        Group elements, shape ``[P, d]`` (or one permutation ``[d]``), acting on ``axis``.
    axis : int
        The permuted axis of ``x`` (not 0).

    Returns
    -------
    err : float
        The maximal absolute difference.

    Used in
    -------
    :doc:`/chapters/04_invariant_functions` (:prf:ref:`prop-equivariant-invariant`,
    :prf:ref:`prop-reynolds`).
    """
    check_callable("f", f)
    x, perms = _prepare(x, perms, axis)
    with torch.no_grad():
        y0 = _to_numpy(f(x), "f(x)")
        ys = _to_numpy(f(_orbit(x, perms, axis)), "f(s(x))")
    n, P = x.shape[0], perms.shape[0]
    ys = ys.reshape((n, P) + y0.shape[1:])
    return float(np.max(np.abs(ys - y0[:, None])))


def equivariance_error(
    phi: Callable[[Any], Any],
    x: Any,
    perms: Any,
    axis: int = -1,
    out_axis: int | None = None,
) -> float:
    r"""Largest defect :math:`\max_{b, s} |\Phi(s(x_b)) - s(\Phi(x_b))|` of equivariance.

    Parameters
    ----------
    phi : callable
        Maps a batch of inputs to a batch of outputs whose axis ``out_axis`` has the
        same length ``d`` and is acted on in the same way (e.g. a flow map).
    x : array_like or torch.Tensor
        Inputs, shape ``[n, ...]``.
    perms : array_like
        Group elements, shape ``[P, d]``.
    axis : int
        The permuted axis of the input (not 0).
    out_axis : int, optional
        The permuted axis of the output (default ``axis``; e.g. ``1`` for features of
        shape ``[n, d, k]`` computed from inputs of shape ``[n, d]``).

    Returns
    -------
    err : float
        The maximal absolute entry of :math:`\Phi(s(x)) - s(\Phi(x))`.

    Used in
    -------
    :doc:`/chapters/04_invariant_functions` (:prf:ref:`prop-equivariant-invariant`).
    """
    check_callable("phi", phi)
    x, perms = _prepare(x, perms, axis)
    with torch.no_grad():
        y0 = phi(x)
        if not isinstance(y0, torch.Tensor):
            y0 = np.asarray(y0, dtype=float)
        oax = axis if out_axis is None else int(out_axis)
        if (
            y0.ndim < 2
            or y0.shape[0] != x.shape[0]
            or not -y0.ndim <= oax < y0.ndim
            or y0.shape[oax] != x.shape[axis]
        ):
            raise ValueError(
                f"phi must map inputs of shape {tuple(x.shape)} to outputs with the same batch size and "
                f"an axis out_axis={oax} of length {x.shape[axis]}, got {tuple(y0.shape)}"
            )
        moved = _to_numpy(_orbit(y0, perms, oax), "s(phi(x))")
        ys = _to_numpy(phi(_orbit(x, perms, axis)), "phi(s(x))")
    return float(np.max(np.abs(ys - moved)))


def group_average(
    f: Callable[[Any], Any], x: Any, perms: Any, axis: int = -1
) -> np.ndarray:
    r"""The group average (Reynolds operator) :math:`\bar f(x) = \frac{1}{|P|}\sum_{s \in P} f(s(x))`.

    If ``perms`` lists a whole finite group :math:`G`, :math:`\bar f` is G-invariant and
    equals :math:`f` when :math:`f` is.

    Parameters
    ----------
    f : callable
        Maps a batch of inputs to outputs with the batch in axis 0.
    x : array_like or torch.Tensor
        Inputs, shape ``[n, ...]``.
    perms : array_like
        The permutations averaged over, shape ``[P, d]``.
    axis : int
        The permuted axis (not 0).

    Returns
    -------
    fbar : numpy.ndarray
        :math:`\bar f(x_b)` for each sample, shape of ``f(x)``.

    Used in
    -------
    :doc:`/chapters/04_invariant_functions` (:prf:ref:`prop-reynolds`).
    """
    check_callable("f", f)
    x, perms = _prepare(x, perms, axis)
    with torch.no_grad():
        ys = _to_numpy(f(_orbit(x, perms, axis)), "f(s(x))")
    return ys.reshape((x.shape[0], perms.shape[0]) + ys.shape[1:]).mean(
        axis=1
    )
