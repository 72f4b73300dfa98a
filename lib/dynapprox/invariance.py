r"""Permutation symmetry: group actions, invariance checks and equivariant flows.

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
* measurements of the invariance and equivariance errors of a function
  (:func:`invariance_error`, :func:`equivariance_error`) and the group average
  (Reynolds operator) :func:`group_average`;
* an equivariant controlled flow, with each coordinate lifted to a
  feature vector :math:`h_i \in \mathbb R^k` and piecewise constant controls
  :math:`\theta_t = (A, B, c)`,

  .. math::

      \dot h_i = \sigma\Big(A h_i + B \sum_{j} h_j + c\Big), \qquad
      h_i(0) = u\, x_i + v, \qquad \hat F(x) = \sum_i g(h_i(T)),

  (:func:`equivariant_field`, :class:`EquivariantFlow`), and a non-invariant
  baseline flow with (about) the same number of parameters
  (:class:`BaselineFlow`, :func:`matched_baseline`);
* the fractional-coordinate tables of NaCl and CaCO3 shown in the talk
  (:data:`NACL`, :data:`CACO3`, :func:`crystal_table`) and a test of whether two
  coordinate tables describe the same structure (:func:`same_structure`).

Time is dimensionless: the flow runs on :math:`[0, T]`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import torch

from . import flows
from ._validation import (
    check_callable,
    check_finite_float,
    check_in,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
)
from .reproducibility import rng as _rng

__all__ = [
    "check_permutation",
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
    "equivariant_field",
    "EquivariantFlow",
    "BaselineFlow",
    "matched_baseline",
    "count_parameters",
    "CrystalTable",
    "NACL",
    "CACO3",
    "crystal_table",
    "same_structure",
]


# --------------------------------------------------------------------------------------
# Permutations and their action
# --------------------------------------------------------------------------------------


def check_permutation(name: str, perm: Any, d: int | None = None) -> np.ndarray:
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
    """
    if isinstance(perm, torch.Tensor):
        perm = perm.detach().cpu().numpy()
    arr = np.asarray(perm)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array of indices, got dtype {arr.dtype}")
    if arr.ndim not in (1, 2) or arr.shape[-1] == 0:
        raise ValueError(f"{name} must have shape [d] or [n, d] with d >= 1, got shape {arr.shape}")
    if d is not None and arr.shape[-1] != d:
        raise ValueError(f"{name} must permute {d} indices, got length {arr.shape[-1]}")
    ref = np.arange(arr.shape[-1])
    if not np.all(np.sort(arr, axis=-1) == ref):
        raise ValueError(f"{name} must contain each of 0..{arr.shape[-1] - 1} exactly once in every row")
    return arr.astype(np.int64)


def _axis_length(x: Any, axis: int) -> int:
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis must lie in [-{x.ndim}, {x.ndim}) for an input of shape {tuple(x.shape)}, got {axis}")
    return int(x.shape[axis])


def _as_array(name: str, x: Any) -> np.ndarray | torch.Tensor:
    if isinstance(x, torch.Tensor):
        if x.ndim == 0:
            raise ValueError(f"{name} must have at least one dimension")
        return x
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers or a torch.Tensor, got {type(x).__name__}") from exc
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension")
    return arr


def permute(x: Any, perm: Any, axis: int = -1) -> np.ndarray | torch.Tensor:
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
    """
    x = _as_array("x", x)
    d = _axis_length(x, axis)
    perm = check_permutation("perm", perm, d)
    if perm.ndim != 1:
        raise ValueError(f"perm must be a single permutation of shape [{d}], got shape {perm.shape}")
    if isinstance(x, torch.Tensor):
        return torch.index_select(x, axis % x.ndim, torch.as_tensor(perm, device=x.device))
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
    """
    s = check_permutation("s", s)
    t = check_permutation("t", t, s.shape[-1])
    if s.shape != t.shape:
        raise ValueError(f"s and t must have the same shape, got {s.shape} and {t.shape}")
    return np.take_along_axis(t, s, axis=-1)


def inverse(s: Any) -> np.ndarray:
    r"""The inverse permutation(s): ``permute(permute(x, s), inverse(s)) == x``."""
    s = check_permutation("s", s)
    return np.argsort(s, axis=-1).astype(np.int64)


def random_permutations(d: int, n: int, seed: int | np.random.Generator) -> np.ndarray:
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
    """
    d = check_positive_int("d", d)
    return ((np.arange(d)[None, :] + np.arange(d)[:, None]) % d).astype(np.int64)


def random_cyclic_shifts(d: int, n: int, seed: int | np.random.Generator) -> np.ndarray:
    r"""``n`` uniform random elements of the cyclic translation group :math:`\mathbb Z_d`.

    Returns
    -------
    perms : numpy.ndarray
        Shape ``[n, d]``; rows :math:`s_k(i) = (i + k) \bmod d` with uniform :math:`k`.
    """
    d = check_positive_int("d", d)
    n = check_positive_int("n", n)
    k = _rng(seed).integers(0, d, size=n)
    return cyclic_shifts(d)[k]


def _check_sizes(sizes: Any) -> tuple[int, ...]:
    if isinstance(sizes, (int, np.integer)):
        sizes = (sizes,)
    try:
        sizes = tuple(sizes)
    except TypeError as exc:
        raise TypeError(f"sizes must be a sequence of positive integers, got {type(sizes).__name__}") from exc
    if not sizes:
        raise ValueError("sizes must contain at least one block size")
    return tuple(check_positive_int(f"sizes[{i}]", s) for i, s in enumerate(sizes))


def random_block_permutations(sizes: Sequence[int], n: int, seed: int | np.random.Generator) -> np.ndarray:
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
    """
    sizes = _check_sizes(sizes)
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
    """
    p = check_permutation("perms", perms)
    upper = np.triu(np.ones((p.shape[-1], p.shape[-1]), dtype=bool), k=1)
    inv = (p[..., :, None] > p[..., None, :]) & upper
    return inv.sum(axis=(-2, -1)).astype(np.int64)


# --------------------------------------------------------------------------------------
# Invariance and equivariance errors
# --------------------------------------------------------------------------------------


def _orbit(x: np.ndarray | torch.Tensor, perms: np.ndarray, axis: int) -> np.ndarray | torch.Tensor:
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
    moved = np.moveaxis(x, ax, -1)
    out = moved[..., perms]
    out = np.moveaxis(out, -2, 1)
    out = np.moveaxis(out, -1, ax + 1)
    return out.reshape((-1,) + x.shape[1:])


def _prepare(x: Any, perms: Any, axis: int) -> tuple[np.ndarray | torch.Tensor, np.ndarray]:
    x = _as_array("x", x)
    if x.ndim < 2:
        raise ValueError(f"x must be a batch with the sample index in axis 0 (at least 2 dimensions), got shape {tuple(x.shape)}")
    d = _axis_length(x, axis)
    perms = check_permutation("perms", perms, d)
    if perms.ndim == 1:
        perms = perms[None, :]
    return x, perms


def _to_numpy(y: Any, name: str) -> np.ndarray:
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    return np.asarray(y, dtype=float)


def invariance_error(f: Callable[[Any], Any], x: Any, perms: Any, axis: int = -1) -> float:
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
    phi: Callable[[Any], Any], x: Any, perms: Any, axis: int = -1, out_axis: int | None = None
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
    """
    check_callable("phi", phi)
    x, perms = _prepare(x, perms, axis)
    with torch.no_grad():
        y0 = phi(x)
        if not isinstance(y0, torch.Tensor):
            y0 = np.asarray(y0, dtype=float)
        oax = axis if out_axis is None else int(out_axis)
        if y0.ndim < 2 or y0.shape[0] != x.shape[0] or not -y0.ndim <= oax < y0.ndim or y0.shape[oax] != x.shape[axis]:
            raise ValueError(
                f"phi must map inputs of shape {tuple(x.shape)} to outputs with the same batch size and "
                f"an axis out_axis={oax} of length {x.shape[axis]}, got {tuple(y0.shape)}"
            )
        moved = _to_numpy(_orbit(y0, perms, oax), "s(phi(x))")
        ys = _to_numpy(phi(_orbit(x, perms, axis)), "phi(s(x))")
    return float(np.max(np.abs(ys - moved)))


def group_average(f: Callable[[Any], Any], x: Any, perms: Any, axis: int = -1) -> np.ndarray:
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
    """
    check_callable("f", f)
    x, perms = _prepare(x, perms, axis)
    with torch.no_grad():
        ys = _to_numpy(f(_orbit(x, perms, axis)), "f(s(x))")
    return ys.reshape((x.shape[0], perms.shape[0]) + ys.shape[1:]).mean(axis=1)


# --------------------------------------------------------------------------------------
# The equivariant controlled flow
# --------------------------------------------------------------------------------------


def _block_index(blocks: tuple[int, ...]) -> torch.Tensor:
    return torch.repeat_interleave(torch.arange(len(blocks)), torch.tensor(blocks))


def equivariant_field(
    h: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    c: torch.Tensor,
    blocks: Sequence[int] | None = None,
    activation: str = "tanh",
) -> torch.Tensor:
    r"""The equivariant vector field :math:`f_i(h) = \sigma\big(A_{\ell(i)} h_i + \sum_{\ell'} B_{\ell(i)\ell'} \sum_{j \in \ell'} h_j + c_{\ell(i)}\big)`.

    The :math:`d` coordinates are cut into consecutive blocks (``blocks`` gives their
    sizes; one block by default) and :math:`\ell(i)` is the block of coordinate
    :math:`i`. Each coordinate carries a feature vector :math:`h_i \in \mathbb R^k`.
    With one block and :math:`k = 1` this is the field
    :math:`\dot x_i = \sigma(a x_i + b \sum_j x_j + c)`, the residual DeepSets family (42)
    of Li, Lin and Shen (JMLR 25(278), 2024) with outer weight 1. The field is equivariant under
    every permutation that maps each block onto itself: only :math:`h_i` itself and
    block sums enter coordinate :math:`i`, with coefficients that depend on its block.

    Parameters
    ----------
    h : torch.Tensor
        States, shape ``[batch, d, k]``.
    A : torch.Tensor
        Self-interaction, shape ``[r, k, k]`` (``r`` blocks).
    B : torch.Tensor
        Interaction with block sums, shape ``[r, r, k, k]``; ``B[l, l2]`` acts on
        the sum over block ``l2`` in the field of block ``l``.
    c : torch.Tensor
        Biases, shape ``[r, k]``.
    blocks : tuple of int, optional
        Block sizes summing to ``d`` (default: one block of size ``d``).
    activation : str
        A key of :data:`dynapprox.flows.ACTIVATIONS`.

    Returns
    -------
    dh : torch.Tensor
        :math:`f(h)`, shape ``[batch, d, k]``.
    """
    if not isinstance(h, torch.Tensor) or not torch.is_floating_point(h) or h.ndim != 3:
        raise ValueError(f"h must be a floating-point tensor of shape [batch, d, k], got {getattr(h, 'shape', type(h).__name__)}")
    _, d, k = h.shape
    blocks = (d,) if blocks is None else _check_sizes(blocks)
    if sum(blocks) != d:
        raise ValueError(f"blocks must sum to d = {d}, got {blocks}")
    r = len(blocks)
    for name, t, shape in (("A", A, (r, k, k)), ("B", B, (r, r, k, k)), ("c", c, (r, k))):
        if not isinstance(t, torch.Tensor) or tuple(t.shape) != shape:
            raise ValueError(f"{name} must be a tensor of shape {shape}, got {getattr(t, 'shape', type(t).__name__)}")
    check_in("activation", activation, tuple(flows.ACTIVATIONS))
    A, B, c = A.to(h.dtype), B.to(h.dtype), c.to(h.dtype)
    if r == 1:  # one block: plain matrix products (the symmetric group S_d)
        pre = h @ A[0].T + h.sum(dim=1, keepdim=True) @ B[0, 0].T + c[0]
        return flows.ACTIVATIONS[activation](pre)
    beta = _block_index(blocks).to(h.device)
    onehot = torch.nn.functional.one_hot(beta, r).to(h.dtype)  # [d, r]
    sums = torch.einsum("dr,ndk->nrk", onehot, h)  # block sums [n, r, k]
    coupling = torch.einsum("bglk,ngk->nbl", B, sums)  # [n, r, k]: sum_gamma B[b, gamma] S_gamma
    pre = torch.einsum("dlk,ndk->ndl", A[beta], h) + coupling[:, beta, :] + c[beta][None]
    return flows.ACTIVATIONS[activation](pre)


class EquivariantFlow(torch.nn.Module):
    r"""Invariant model :math:`\hat F(x) = \sum_i g(h_i(T))` built on an equivariant flow.

    Each input coordinate :math:`x_i \in \mathbb R^p` (``p = in_features``; a scalar
    coordinate when ``p = 1``) is lifted to :math:`h_i(0) = U_{\beta(i)} x_i + v_{\beta(i)}
    \in \mathbb R^k`, the features follow the controlled equivariant ODE
    :func:`equivariant_field` with controls :math:`(A, B, c)` constant on each of the
    :math:`K` pieces :math:`[mT/K, (m+1)T/K)` (integrated by
    :func:`dynapprox.flows.odeint`), and the readout sums one function over the
    coordinates,

    .. math::

        \hat F(x) = \sum_{i=1}^{d} g\big(h_i(T)\big), \qquad
        g(h) = w_2^\top \tanh(W_1 h + b_1) + b_2

    (or :math:`g(h) = w^\top h` if ``readout_width = 0``). The flow of an equivariant
    field commutes with the group action and the readout is a symmetric sum, so the
    model is invariant under every permutation that maps each block onto itself
    (chapter 4 proves it).

    Parameters
    ----------
    d : int
        Number of coordinates (set elements, atoms).
    width : int
        Feature dimension :math:`k`.
    n_pieces : int
        Number :math:`K` of constant pieces of the controls.
    T : float
        Horizon :math:`T > 0`.
    blocks : tuple of int, optional
        Block sizes summing to ``d`` (default one block: symmetry group :math:`S_d`).
    in_features : int
        Features :math:`p` per coordinate of the input; inputs have shape ``[n, d]``
        if ``p = 1`` and ``[n, d, p]`` otherwise.
    readout_width : int
        Hidden width of :math:`g` (``0``: linear :math:`g`).
    activation : str
        A key of :data:`dynapprox.flows.ACTIVATIONS`.
    method : str
        ``"euler"`` or ``"rk4"``.
    steps_per_piece : int
        Integration steps per piece.
    init_scale : float
        Gaussian initial weights have standard deviation ``init_scale / sqrt(fan_in)``.
    seed : int
        Seed of the initial parameters.
    dtype : torch.dtype
        ``torch.float32`` or ``torch.float64``.
    """

    def __init__(
        self,
        d: int,
        width: int = 4,
        n_pieces: int = 4,
        T: float = 1.0,
        blocks: Sequence[int] | None = None,
        in_features: int = 1,
        readout_width: int = 16,
        activation: str = "tanh",
        method: str = "rk4",
        steps_per_piece: int = 2,
        init_scale: float = 1.0,
        seed: int = 0,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        self.d = check_positive_int("d", d)
        self.width = check_positive_int("width", width)
        self.n_pieces = check_positive_int("n_pieces", n_pieces)
        self.T = check_positive_float("T", T)
        self.blocks = (self.d,) if blocks is None else _check_sizes(blocks)
        if sum(self.blocks) != self.d:
            raise ValueError(f"blocks must sum to d = {self.d}, got {self.blocks}")
        self.in_features = check_positive_int("in_features", in_features)
        self.readout_width = check_nonnegative_int("readout_width", readout_width)
        self.activation = check_in("activation", activation, tuple(flows.ACTIVATIONS))
        self.method = check_in("method", method, tuple(flows.METHODS))
        self.steps_per_piece = check_positive_int("steps_per_piece", steps_per_piece)
        init_scale = check_finite_float("init_scale", init_scale)
        if init_scale < 0:
            raise ValueError(f"init_scale must be non-negative, got {init_scale}")
        seed = check_nonnegative_int("seed", seed)
        if dtype not in (torch.float32, torch.float64):
            raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        g = torch.Generator(device="cpu")
        g.manual_seed(seed)
        K, k, r, p, m = self.n_pieces, self.width, len(self.blocks), self.in_features, self.readout_width

        def randn(*shape: int, fan_in: int) -> torch.nn.Parameter:
            return torch.nn.Parameter(torch.randn(*shape, generator=g, dtype=dtype) * (init_scale / math.sqrt(fan_in)))

        self.U = randn(r, k, p, fan_in=p)
        self.v = randn(r, k, fan_in=1)
        self.A = randn(K, r, k, k, fan_in=k)
        self.B = randn(K, r, r, k, k, fan_in=k * self.d)
        self.c = randn(K, r, k, fan_in=1)
        if m > 0:
            self.W1 = randn(m, k, fan_in=k)
            self.b1 = randn(m, fan_in=1)
            self.w2 = randn(m, fan_in=m * self.d)
            self.b2 = torch.nn.Parameter(torch.zeros((), dtype=dtype))
        else:
            self.w = randn(k, fan_in=k * self.d)
        self.register_buffer("_beta", _block_index(self.blocks), persistent=False)

    def _check_input(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            x = torch.as_tensor(np.asarray(x, dtype=float))
        if not torch.is_floating_point(x):
            raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
        p = self.in_features
        if p == 1 and x.ndim == 2:
            x = x[..., None]
        if x.ndim != 3 or x.shape[1] != self.d or x.shape[2] != p:
            want = f"[n, {self.d}]" if p == 1 else f"[n, {self.d}, {p}]"
            raise ValueError(f"x must have shape {want}, got {tuple(x.shape)}")
        return x.to(self.A.dtype)

    def lift(self, x: torch.Tensor) -> torch.Tensor:
        r"""The lift :math:`h_i(0) = U_{\beta(i)} x_i + v_{\beta(i)}`, shape ``[n, d, k]``."""
        x = self._check_input(x)
        return torch.einsum("dkp,ndp->ndk", self.U[self._beta], x) + self.v[self._beta][None]

    def flow(self, x: torch.Tensor) -> torch.Tensor:
        r"""The features :math:`h(T)` after the flow, shape ``[n, d, k]``."""
        h = self.lift(x)
        dt = self.T / self.n_pieces
        for q in range(self.n_pieces):
            A, B, c = self.A[q], self.B[q], self.c[q]

            def f(t: float, y: torch.Tensor, A=A, B=B, c=c) -> torch.Tensor:
                return equivariant_field(y, A, B, c, self.blocks, self.activation)

            h = flows.odeint(f, h, q * dt, (q + 1) * dt, self.steps_per_piece, self.method)
        return h

    def readout(self, h: torch.Tensor) -> torch.Tensor:
        r"""The invariant readout :math:`\sum_i g(h_i)`, shape ``[n]``."""
        if self.readout_width > 0:
            gi = torch.tanh(h @ self.W1.T + self.b1) @ self.w2 + self.b2
        else:
            gi = h @ self.w
        return gi.sum(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r"""The model :math:`\hat F(x) = \sum_i g(h_i(T))`, shape ``[n]``."""
        return self.readout(self.flow(x))


class BaselineFlow(torch.nn.Module):
    r"""A non-invariant continuous-time ResNet :math:`x \mapsto a^\top \varphi_T(x, 0) + c`.

    A thin wrapper of :class:`dynapprox.flows.ContinuousResNet` (control family
    :math:`V\sigma(Wz + b)` on :math:`\mathbb R^n`, input embedded as :math:`(x, 0)`,
    affine scalar readout) that returns shape ``[n_samples]`` like
    :class:`EquivariantFlow`. Nothing ties its weights across coordinates, so it is
    not invariant under any non-trivial permutation in general.

    Parameters
    ----------
    d : int
        Input dimension.
    dim : int
        State dimension :math:`n \ge d` of the flow.
    width : int
        Width of each control.
    n_pieces : int
        Number of constant pieces.
    T : float
        Horizon.
    activation : str
        A key of :data:`dynapprox.flows.ACTIVATIONS`.
    method : str
        ``"euler"`` or ``"rk4"``.
    steps_per_piece : int
        Integration steps per piece.
    seed : int
        Seed of the initial parameters.
    dtype : torch.dtype
        Floating-point type.
    """

    def __init__(
        self,
        d: int,
        dim: int,
        width: int,
        n_pieces: int = 4,
        T: float = 1.0,
        activation: str = "tanh",
        method: str = "rk4",
        steps_per_piece: int = 2,
        seed: int = 0,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        self.d = check_positive_int("d", d)
        self.net = flows.ContinuousResNet(
            dim=dim,
            n_pieces=n_pieces,
            T=T,
            width=width,
            activation=activation,
            method=method,
            steps_per_piece=steps_per_piece,
            terminal="affine",
            out_dim=1,
            input_dim=self.d,
            seed=seed,
            dtype=dtype,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r"""The model output, shape ``[n]``."""
        if not isinstance(x, torch.Tensor):
            x = torch.as_tensor(np.asarray(x, dtype=float))
        return self.net(x)[:, 0]


def count_parameters(model: torch.nn.Module) -> int:
    """Number of scalar trainable parameters of ``model``."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def matched_baseline(
    n_params: int,
    d: int,
    dim: int | None = None,
    n_pieces: int = 4,
    **kwargs: Any,
) -> BaselineFlow:
    r"""The :class:`BaselineFlow` whose parameter count is closest to ``n_params``.

    With state dimension :math:`n` and control width :math:`m`, a baseline has
    :math:`K(2nm + m) + n + 1` parameters; the width :math:`m \ge 1` is chosen to
    minimise the distance to ``n_params`` (ties: the smaller width).

    Parameters
    ----------
    n_params : int
        Target number of parameters (e.g. ``count_parameters`` of an
        :class:`EquivariantFlow`).
    d : int
        Input dimension.
    dim : int, optional
        State dimension :math:`n \ge d` (default ``d``).
    n_pieces : int
        Number :math:`K` of constant pieces.
    **kwargs
        Passed on to :class:`BaselineFlow` (``T``, ``activation``, ``method``,
        ``steps_per_piece``, ``seed``, ``dtype``).

    Returns
    -------
    model : BaselineFlow
        The matched baseline.
    """
    n_params = check_positive_int("n_params", n_params)
    d = check_positive_int("d", d)
    dim = d if dim is None else check_positive_int("dim", dim)
    if dim < d:
        raise ValueError(f"dim must be at least d = {d}, got {dim}")
    K = check_positive_int("n_pieces", n_pieces)
    per_width = K * (2 * dim + 1)
    fixed = dim + 1
    m = max(1, round((n_params - fixed) / per_width))
    candidates = [w for w in (m - 1, m, m + 1) if w >= 1]
    best = min(candidates, key=lambda w: (abs(K * w * (2 * dim + 1) + fixed - n_params), w))
    return BaselineFlow(d=d, dim=dim, width=best, n_pieces=K, **kwargs)


# --------------------------------------------------------------------------------------
# Crystal tables of the talk
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrystalTable:
    r"""A crystal structure as a list of atoms with fractional coordinates.

    Attributes
    ----------
    name : str
        Chemical formula.
    species : tuple of str
        Species of each atom (row), atoms of one species listed consecutively.
    coords : numpy.ndarray
        Fractional coordinates :math:`(x, y, z) \in [0, 1)^3` of each atom,
        shape ``[n_atoms, 3]`` (read-only).
    """

    name: str
    species: tuple[str, ...]
    coords: np.ndarray

    @property
    def block_sizes(self) -> tuple[int, ...]:
        """Numbers of atoms of each species, in the order of the table."""
        sizes, last = [], None
        for s in self.species:
            if s == last:
                sizes[-1] += 1
            else:
                sizes.append(1)
                last = s
        return tuple(sizes)

    @property
    def block_species(self) -> tuple[str, ...]:
        """The species of each block, in the order of the table."""
        out: list[str] = []
        for s in self.species:
            if not out or out[-1] != s:
                out.append(s)
        return tuple(out)

    def rows(self) -> list[tuple[str, float, float, float]]:
        """The table as a list of ``(species, x, y, z)`` rows."""
        return [(s, *map(float, c)) for s, c in zip(self.species, self.coords)]


def _make_table(name: str, rows: tuple[tuple[str, float, float, float], ...]) -> CrystalTable:
    species = tuple(r[0] for r in rows)
    coords = np.array([r[1:] for r in rows], dtype=float)
    coords.setflags(write=False)
    table = CrystalTable(name, species, coords)
    if len(table.block_species) != len(set(species)):
        raise ValueError(f"atoms of one species must be listed consecutively in {name}")
    return table


#: Rock salt NaCl, one formula unit as in the talk's table; Na at the origin, Cl at the cell centre.
NACL: CrystalTable = _make_table("NaCl", (("Na", 0.0, 0.0, 0.0), ("Cl", 0.5, 0.5, 0.5)))

#: Calcite CaCO3 in the rhombohedral cell, two formula units (the talk's table).
CACO3: CrystalTable = _make_table(
    "CaCO3",
    (
        ("Ca", 0.0, 0.0, 0.0),
        ("Ca", 0.5, 0.5, 0.5),
        ("C", 0.25, 0.25, 0.25),
        ("C", 0.75, 0.75, 0.75),
        ("O", 0.0073, 0.4927, 0.75),
        ("O", 0.25, 0.9927, 0.5073),
        ("O", 0.4927, 0.75, 0.0073),
        ("O", 0.5073, 0.25, 0.9927),
        ("O", 0.75, 0.0073, 0.4927),
        ("O", 0.9927, 0.5073, 0.25),
    ),
)


def crystal_table(name: str) -> CrystalTable:
    """The talk's table ``"NaCl"`` or ``"CaCO3"`` (:data:`NACL`, :data:`CACO3`)."""
    tables = {"NaCl": NACL, "CaCO3": CACO3}
    check_in("name", name, tuple(tables))
    return tables[name]


def _canonical(coords: np.ndarray, tol: float) -> np.ndarray:
    c = np.mod(coords, 1.0)
    c = np.where(np.abs(c - 1.0) < tol, 0.0, c)
    c = np.round(c / tol) * tol  # snap to the tolerance grid before sorting
    return c[np.lexsort(c.T[::-1])]


def same_structure(species: Sequence[str], coords_a: Any, coords_b: Any, tol: float = 1e-8) -> bool:
    r"""Whether two coordinate tables list the same atoms up to reordering within species.

    Coordinates are fractional, so they are compared modulo 1 (an atom at
    :math:`x = 1` is the atom at :math:`x = 0` of the next cell). The answer is
    ``True`` iff for every species the multisets of positions agree to ``tol``: a
    permutation in :math:`S_{d_1} \times \dots \times S_{d_r}` maps one table to the
    other.

    Parameters
    ----------
    species : tuple of str
        Species of each row (shared by both tables).
    coords_a : array_like
        Shape ``[n_atoms, 3]``.
    coords_b : array_like
        Shape ``[n_atoms, 3]``.
    tol : float
        Tolerance on each coordinate.

    Returns
    -------
    same : bool
    """
    species = tuple(species)
    a = np.asarray(coords_a, dtype=float)
    b = np.asarray(coords_b, dtype=float)
    for name, arr in (("coords_a", a), ("coords_b", b)):
        if arr.ndim != 2 or arr.shape[0] != len(species) or not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be a finite array of shape [{len(species)}, dim], got {arr.shape}")
    if a.shape != b.shape:
        raise ValueError(f"coords_a and coords_b must have the same shape, got {a.shape} and {b.shape}")
    tol = check_positive_float("tol", tol)
    lab = np.array(species)
    for s in sorted(set(species)):
        ca, cb = _canonical(a[lab == s], tol), _canonical(b[lab == s], tol)
        if not np.allclose(ca, cb, atol=2 * tol, rtol=0):
            return False
    return True
