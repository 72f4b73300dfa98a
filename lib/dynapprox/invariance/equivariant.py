r"""Equivariant controlled flows and invariant models built on them.

Each coordinate :math:`x_i` of an input is lifted to a feature vector
:math:`h_i \in \mathbb R^k`, the features follow a controlled ODE whose field is
equivariant under the permutations of the coordinates (within blocks), with piecewise
constant controls :math:`\theta_t = (A, B, c)`,

.. math::

    \dot h_i = \sigma\Big(A h_i + B \sum_{j} h_j + c\Big), \qquad
    h_i(0) = u\, x_i + v, \qquad \hat F(x) = \sum_i g(h_i(T)),

and a symmetric readout sums one function over the coordinates
(:func:`equivariant_field`, :class:`EquivariantFlow`). :func:`matched_baseline` builds a
non-invariant continuous-time ResNet with (about) the same number of parameters
(:func:`count_parameters`), the comparison model of chapter 4.

Time is dimensionless: the flow runs on :math:`[0, T]`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from .._validation import (
    check_in,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
)
from ..flows.controlled import (
    ACTIVATIONS,
    ContinuousResNet,
    gaussian_initializer,
)
from ..flows.integrators import METHODS, piecewise_flow
from .groups import check_block_sizes

__all__ = [
    "equivariant_field",
    "EquivariantFlow",
    "count_parameters",
    "matched_baseline",
]


def _block_index(blocks: tuple[int, ...]) -> torch.Tensor:
    return torch.repeat_interleave(
        torch.arange(len(blocks)), torch.tensor(blocks)
    )


def equivariant_field(
    h: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    c: torch.Tensor,
    blocks: Sequence[int] | None = None,
    activation: str = "tanh",
) -> torch.Tensor:
    r"""The equivariant vector field of :class:`EquivariantFlow`, coordinate by coordinate.

    .. math::

        f_i(h) = \sigma\Big(A_{\ell(i)} h_i + \sum_{\ell'} B_{\ell(i)\ell'} \sum_{j \in \ell'} h_j
        + c_{\ell(i)}\Big).

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
        A key of :data:`dynapprox.flows.controlled.ACTIVATIONS`.

    Returns
    -------
    dh : torch.Tensor
        :math:`f(h)`, shape ``[batch, d, k]``.

    Used in
    -------
    :doc:`/chapters/04_invariant_functions` (:prf:ref:`cor-deepsets-flow`), through
    :class:`EquivariantFlow`.
    """
    if (
        not isinstance(h, torch.Tensor)
        or not torch.is_floating_point(h)
        or h.ndim != 3
    ):
        raise ValueError(
            f"h must be a floating-point tensor of shape [batch, d, k], got {getattr(h, 'shape', type(h).__name__)}"
        )
    _, d, k = h.shape
    blocks = (d,) if blocks is None else check_block_sizes(blocks)
    if sum(blocks) != d:
        raise ValueError(f"blocks must sum to d = {d}, got {blocks}")
    r = len(blocks)
    for name, t, shape in (
        ("A", A, (r, k, k)),
        ("B", B, (r, r, k, k)),
        ("c", c, (r, k)),
    ):
        if not isinstance(t, torch.Tensor) or tuple(t.shape) != shape:
            raise ValueError(
                f"{name} must be a tensor of shape {shape}, got {getattr(t, 'shape', type(t).__name__)}"
            )
    check_in("activation", activation, tuple(ACTIVATIONS))
    A, B, c = A.to(h.dtype), B.to(h.dtype), c.to(h.dtype)
    if (
        r == 1
    ):  # one block: plain matrix products (the symmetric group S_d)
        pre = h @ A[0].T + h.sum(dim=1, keepdim=True) @ B[0, 0].T + c[0]
        return ACTIVATIONS[activation](pre)
    beta = _block_index(blocks).to(h.device)
    onehot = torch.nn.functional.one_hot(beta, r).to(h.dtype)  # [d, r]
    sums = torch.einsum("dr,ndk->nrk", onehot, h)  # block sums [n, r, k]
    coupling = torch.einsum(
        "bglk,ngk->nbl", B, sums
    )  # [n, r, k]: sum_gamma B[b, gamma] S_gamma
    pre = (
        torch.einsum("dlk,ndk->ndl", A[beta], h)
        + coupling[:, beta, :]
        + c[beta][None]
    )
    return ACTIVATIONS[activation](pre)


class EquivariantFlow(torch.nn.Module):
    r"""Invariant model :math:`\hat F(x) = \sum_i g(h_i(T))` built on an equivariant flow.

    Each input coordinate :math:`x_i \in \mathbb R^p` (``p = in_features``; a scalar
    coordinate when ``p = 1``) is lifted to :math:`h_i(0) = U_{\beta(i)} x_i + v_{\beta(i)}
    \in \mathbb R^k`, the features follow the controlled equivariant ODE
    :func:`equivariant_field` with controls :math:`(A, B, c)` constant on each of the
    :math:`K` pieces :math:`[mT/K, (m+1)T/K)` (integrated by
    :func:`dynapprox.flows.integrators.piecewise_flow`), and the readout sums one function over the
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
        A key of :data:`dynapprox.flows.controlled.ACTIVATIONS`.
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

    Used in
    -------
    :doc:`/chapters/04_invariant_functions` (:prf:ref:`prop-equivariant-invariant`,
    :prf:ref:`prop-sum-decomposition`, :prf:ref:`thm-invariant-uap`).
    """

    _beta: torch.Tensor  # block index of each coordinate (a buffer)

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
        self.blocks = (
            (self.d,) if blocks is None else check_block_sizes(blocks)
        )
        if sum(self.blocks) != self.d:
            raise ValueError(
                f"blocks must sum to d = {self.d}, got {self.blocks}"
            )
        self.in_features = check_positive_int("in_features", in_features)
        self.readout_width = check_nonnegative_int(
            "readout_width", readout_width
        )
        self.activation = check_in(
            "activation", activation, tuple(ACTIVATIONS)
        )
        self.method = check_in("method", method, tuple(METHODS))
        self.steps_per_piece = check_positive_int(
            "steps_per_piece", steps_per_piece
        )
        randn = gaussian_initializer(init_scale, seed, dtype)
        K, k, r, p, m = (
            self.n_pieces,
            self.width,
            len(self.blocks),
            self.in_features,
            self.readout_width,
        )
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
        self.register_buffer(
            "_beta", _block_index(self.blocks), persistent=False
        )

    def _check_input(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            x = torch.as_tensor(np.asarray(x, dtype=float))
        if not torch.is_floating_point(x):
            raise TypeError(
                f"x must be a floating-point tensor, got dtype {x.dtype}"
            )
        p = self.in_features
        if p == 1 and x.ndim == 2:
            x = x[..., None]
        if x.ndim != 3 or x.shape[1] != self.d or x.shape[2] != p:
            want = f"[n, {self.d}]" if p == 1 else f"[n, {self.d}, {p}]"
            raise ValueError(
                f"x must have shape {want}, got {tuple(x.shape)}"
            )
        return x.to(self.A.dtype)

    def lift(self, x: torch.Tensor) -> torch.Tensor:
        r"""The lift :math:`h_i(0) = U_{\beta(i)} x_i + v_{\beta(i)}`, shape ``[n, d, k]``."""
        x = self._check_input(x)
        return (
            torch.einsum("dkp,ndp->ndk", self.U[self._beta], x)
            + self.v[self._beta][None]
        )

    def flow(self, x: torch.Tensor) -> torch.Tensor:
        r"""The features :math:`h(T)` after the flow, shape ``[n, d, k]``."""
        h = self.lift(x)

        def piece(
            A: torch.Tensor, B: torch.Tensor, c: torch.Tensor
        ) -> Callable[[float, torch.Tensor], torch.Tensor]:
            def f(t: float, y: torch.Tensor) -> torch.Tensor:
                return equivariant_field(
                    y, A, B, c, self.blocks, self.activation
                )

            return f

        fields = [
            piece(A, B, c)
            for A, B, c in zip(self.A, self.B, self.c, strict=True)
        ]
        return piecewise_flow(
            fields, h, self.T, self.method, self.steps_per_piece
        )

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


def count_parameters(model: torch.nn.Module) -> int:
    """Number of scalar trainable parameters of ``model``.

    Used in
    -------
    :doc:`/chapters/04_invariant_functions`.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"model must be a torch.nn.Module, got {type(model).__name__}"
        )
    return int(
        sum(p.numel() for p in model.parameters() if p.requires_grad)
    )


def matched_baseline(
    n_params: int,
    d: int,
    dim: int | None = None,
    n_pieces: int = 4,
    **kwargs: Any,
) -> ContinuousResNet:
    r"""A non-invariant baseline: the continuous-time ResNet whose parameter count is closest to ``n_params``.

    The baseline is :math:`x \mapsto a^\top \varphi_T(x, 0) + c`, a
    :class:`~dynapprox.flows.controlled.ContinuousResNet` with the control family
    :math:`V\sigma(Wz + b)` on :math:`\mathbb R^n`, the input embedded as :math:`(x, 0)` and
    the scalar affine readout (``terminal="scalar"``: output shape ``[n_samples]`` like
    :class:`EquivariantFlow`). Nothing ties its weights across coordinates, so it is not
    invariant under any non-trivial permutation in general.

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
        Passed on to :class:`~dynapprox.flows.controlled.ContinuousResNet` (``T``,
        ``activation``, ``method``, ``steps_per_piece`` (default 2 here), ``init_scale``,
        ``seed``, ``dtype``).

    Returns
    -------
    model : dynapprox.flows.controlled.ContinuousResNet
        The matched baseline, ``terminal="scalar"``.

    Used in
    -------
    :doc:`/chapters/04_invariant_functions` (:prf:ref:`thm-invariant-uap`).
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
    best = min(
        candidates,
        key=lambda w: (abs(K * w * (2 * dim + 1) + fixed - n_params), w),
    )
    kwargs.setdefault("steps_per_piece", 2)
    return ContinuousResNet(
        dim, K, width=best, terminal="scalar", input_dim=d, **kwargs
    )
