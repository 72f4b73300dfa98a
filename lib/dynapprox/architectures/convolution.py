r"""Dilated causal convolutions (WaveNet) and the tensor-train structure of their kernels.

A linear network of ``K`` layers with filter size ``l`` and dilations
:math:`1, l, \dots, l^{K-1}` realises a causal convolution kernel supported on
:math:`[0, l^K)`. Writing the lag in base ``l``, :math:`j = \sum_{k=1}^{K} i_k l^{k-1}`, the
kernel of a network with channel numbers :math:`r_0 = 1, r_1, \dots, r_{K-1}, r_K = 1` is a
*tensor train*

.. math:: \hat\rho_j = G_1[i_1]\, G_2[i_2] \cdots G_K[i_K],
   \qquad G_k[i] \in \mathbb R^{r_{k-1} \times r_k},

so the complexity of a target for this architecture is the rank structure of its
*tensorised* kernel (:func:`tensorise`, :func:`unfolding_singular_values`, :func:`tt_svd`,
:func:`fit_dilated_cnn`). Kernels are sampled on the grid :math:`t_k = k\,\Delta t`, numpy
``float64``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy import linalg

from .._validation import (
    check_positive_float,
    check_positive_int,
    check_real_array,
)

__all__ = [
    "tensorise",
    "detensorise",
    "unfolding_singular_values",
    "min_tt_ranks",
    "tt_svd",
    "DilatedCNN",
    "fit_dilated_cnn",
]


def _check_l_K(l: int, K: int) -> tuple[int, int]:
    l = check_positive_int("l", l)
    K = check_positive_int("K", K)
    if l < 2:
        raise ValueError(
            f"l (the filter size) must be at least 2, got {l}"
        )
    if l**K > 2**26:
        raise ValueError(
            f"l**K = {l}**{K} is too large (more than 2**26 lags)"
        )
    return l, K


def tensorise(rho: ArrayLike, l: int, K: int) -> np.ndarray:
    r"""Reshape a kernel on the lags :math:`0, \dots, l^K - 1` into an order-``K`` tensor.

    The lag is written in base ``l`` with the least significant digit first,

    .. math:: T[i_1, \dots, i_K] = \rho_{j}, \qquad j = \sum_{k=1}^K i_k\, l^{k-1},
       \quad 0 \le i_k < l,

    so that axis ``k - 1`` is the digit read by layer ``k`` (dilation :math:`l^{k-1}`)
    of a dilated CNN.

    Parameters
    ----------
    rho : array_like
        Kernel samples, shape ``(n,)`` with ``n <= l**K``; missing lags are zero.
    l : int
        Filter size, at least 2.
    K : int
        Number of layers (order of the tensor).

    Returns
    -------
    numpy.ndarray
        Shape ``(l,) * K``.

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-cnn-tt`).
    """
    l, K = _check_l_K(l, K)
    rho = check_real_array("rho", rho, ndim=1)
    if rho.size > l**K:
        raise ValueError(
            f"rho has {rho.size} lags, more than the receptive field l**K = {l**K}"
        )
    full = np.zeros(l**K)
    full[: rho.size] = rho
    return full.reshape([l] * K, order="F")


def detensorise(tensor: ArrayLike) -> np.ndarray:
    r"""Inverse of :func:`tensorise`: the kernel :math:`\rho_j` of an order-``K`` tensor.

    Parameters
    ----------
    tensor : array_like
        Shape ``(l,) * K``.

    Returns
    -------
    numpy.ndarray
        Shape ``(l**K,)``.

    Used in
    -------
    No chapter calls it: the inverse of :func:`tensorise` (in :doc:`/chapters/11_architectures`),
    for tests and exercises.
    """
    tensor = check_real_array("tensor", tensor)
    if tensor.ndim < 1 or len(set(tensor.shape)) != 1:
        raise ValueError(
            f"tensor must have all axes of equal length l, got shape {tensor.shape}"
        )
    return tensor.reshape(-1, order="F")


def unfolding_singular_values(
    rho: ArrayLike, l: int, K: int
) -> list[np.ndarray]:
    r"""Singular values of the ``K - 1`` unfoldings of the tensorised kernel.

    Unfolding ``k`` (``k = 1, ..., K-1``) is the matrix
    :math:`A_k[(i_1..i_k), (i_{k+1}..i_K)] = T[i_1, \dots, i_K]` of size
    :math:`l^k \times l^{K-k}`. A dilated CNN with :math:`r_k` channels after layer
    ``k`` has :math:`\operatorname{rank} A_k \le r_k`, so by Eckart-Young every such
    network has

    .. math:: \|\rho - \hat\rho\|_{\ell^2} \;\ge\; \max_k \Big(\sum_{n > r_k} \sigma^{(k)}_n{}^2\Big)^{1/2}.

    Parameters
    ----------
    rho : array_like
        Kernel samples, shape ``(n,)``, ``n <= l**K``.
    l : int
        Filter size.
    K : int
        Number of layers.

    Returns
    -------
    list of numpy.ndarray
        Entry ``k - 1`` holds the non-increasing singular values of unfolding ``k``.

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-cnn-tt`).
    """
    T = tensorise(rho, l, K)
    Tc = np.ascontiguousarray(
        T.transpose(range(K - 1, -1, -1))
    )  # axes i_K..i_1 (C order)
    out = []
    for k in range(1, K):
        # rows = (i_1..i_k): in Tc these are the LAST k axes
        A = Tc.reshape(l ** (K - k), l**k).T
        out.append(linalg.svd(A, compute_uv=False))
    return out


def min_tt_ranks(rho: ArrayLike, l: int, K: int, tol: float) -> np.ndarray:
    r"""Smallest channel numbers that any ``K``-layer dilated CNN needs for an :math:`\ell^2` error ``tol``.

    For each unfolding ``k`` the least :math:`r_k` with
    :math:`(\sum_{n > r_k} \sigma^{(k)}_n{}^2)^{1/2} \le \mathrm{tol}`
    (see :func:`unfolding_singular_values`). Necessary, not sufficient.

    Parameters
    ----------
    rho : array_like
        Kernel samples, shape ``(n,)``, ``n <= l**K``.
    l : int
        Filter size.
    K : int
        Number of layers.
    tol : float
        Admissible :math:`\ell^2` error, positive.

    Returns
    -------
    numpy.ndarray
        Integer array ``[1, r_1, ..., r_{K-1}, 1]`` of length ``K + 1``.

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-cnn-tt`).
    """
    tol = check_positive_float("tol", tol)
    ranks = [1]
    for s in unfolding_singular_values(rho, l, K):
        tails = np.sqrt(
            np.concatenate([np.cumsum((s**2)[::-1])[::-1], [0.0]])
        )  # tails[r] = ||s[r:]||
        ranks.append(int(np.argmax(tails <= tol)))
    ranks.append(1)
    return np.array(ranks, dtype=int)


def tt_svd(
    tensor: ArrayLike,
    max_rank: int | None = None,
    eps: float | None = None,
) -> tuple[list[np.ndarray], np.ndarray]:
    r"""Tensor-train decomposition by successive truncated SVDs (TT-SVD, Oseledets 2011).

    Returns cores :math:`G_k` of shape :math:`(r_{k-1}, l, r_k)`, :math:`r_0 = r_K = 1`,
    with :math:`T[i_1..i_K] \approx G_1[:, i_1, :] \cdots G_K[:, i_K, :]`. If
    :math:`\delta_k` is the Frobenius norm discarded at step ``k``, the error obeys
    :math:`\|T - \hat T\|_F \le (\sum_k \delta_k^2)^{1/2}`.

    Parameters
    ----------
    tensor : array_like
        Shape ``(l,) * K``, ``K >= 1``.
    max_rank : int, optional
        Upper bound on every :math:`r_k`.
    eps : float, optional
        Absolute Frobenius accuracy: each step discards at most
        :math:`\mathrm{eps}/\sqrt{K-1}`, so the total error is at most ``eps``.
        At least one of ``max_rank`` and ``eps`` must be given.

    Returns
    -------
    cores : list of numpy.ndarray
        ``K`` arrays of shapes ``(r_{k-1}, l, r_k)``.
    discarded : numpy.ndarray
        Shape ``(K - 1,)``, the :math:`\delta_k`.

    Used in
    -------
    Used by :func:`fit_dilated_cnn` (in :doc:`/chapters/11_architectures`, :prf:ref:`prop-cnn-tt`).
    """
    T = check_real_array("tensor", tensor)
    if T.ndim < 1 or len(set(T.shape)) != 1:
        raise ValueError(
            f"tensor must have all axes of equal length l, got shape {T.shape}"
        )
    if max_rank is None and eps is None:
        raise ValueError("give max_rank or eps (or both)")
    if max_rank is not None:
        max_rank = check_positive_int("max_rank", max_rank)
    K, l = T.ndim, T.shape[0]
    delta = None
    if eps is not None:
        eps = float(eps)
        if not np.isfinite(eps) or eps < 0:
            raise ValueError(
                f"eps must be a finite number >= 0, got {eps}"
            )
        delta = eps / np.sqrt(max(K - 1, 1))
    cores: list[np.ndarray] = []
    discarded = np.zeros(max(K - 1, 0))
    C = np.ascontiguousarray(T).reshape(1, -1)
    r_prev = 1
    for k in range(K - 1):
        C = C.reshape(r_prev * l, -1)
        U, S, Vt = linalg.svd(C, full_matrices=False)
        tails = np.sqrt(
            np.concatenate([np.cumsum((S**2)[::-1])[::-1], [0.0]])
        )
        r = S.size
        if delta is not None:
            r = max(int(np.argmax(tails <= delta)), 1)
        if max_rank is not None:
            r = min(r, max_rank)
        r = max(r, 1)
        discarded[k] = tails[r]
        cores.append(U[:, :r].reshape(r_prev, l, r))
        C = S[:r, None] * Vt[:r]
        r_prev = r
    cores.append(C.reshape(r_prev, l, 1))
    return cores, discarded


@dataclass
class DilatedCNN:
    r"""A linear dilated causal CNN (WaveNet without gates), stored as its layer weights.

    Layer ``k = 1..K`` maps :math:`r_{k-1}` channels to :math:`r_k` channels with a
    filter of size ``l`` and dilation :math:`l^{k-1}`:

    .. math:: z^{(k)}_b[n] = \sum_{i=0}^{l-1} \sum_{a} G_k[a, i, b]\; z^{(k-1)}_a[n - i\, l^{k-1}],
       \qquad z^{(0)} = x, \quad \hat y = z^{(K)} \Delta t,

    with :math:`r_0 = r_K = 1`. The network is the causal convolution with kernel
    :math:`\hat\rho_j = G_1[:, i_1, :] \cdots G_K[:, i_K, :]`,
    :math:`j = \sum_k i_k l^{k-1}` (a tensor train), supported on :math:`[0, l^K)`.

    Parameters
    ----------
    cores : list of numpy.ndarray
        ``K`` arrays of shapes ``(r_{k-1}, l, r_k)`` with ``r_0 = r_K = 1``.

    Used in
    -------
    Returned by :func:`fit_dilated_cnn` (in :doc:`/chapters/11_architectures`,
    :prf:ref:`prop-cnn-tt`).
    """

    cores: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if (
            not isinstance(self.cores, (list, tuple))
            or len(self.cores) == 0
        ):
            raise TypeError(
                "cores must be a non-empty list of arrays of shape (r_prev, l, r_next)"
            )
        cores = [
            check_real_array(f"cores[{k}]", G, ndim=3)
            for k, G in enumerate(self.cores)
        ]
        l = cores[0].shape[1]
        if l < 2:
            raise ValueError(
                f"the filter size (cores[k].shape[1]) must be at least 2, got {l}"
            )
        if cores[0].shape[0] != 1 or cores[-1].shape[2] != 1:
            raise ValueError(
                "cores[0] must have shape (1, l, r_1) and cores[-1] shape (r_{K-1}, l, 1)"
            )
        for k, G in enumerate(cores):
            if G.shape[1] != l:
                raise ValueError(
                    f"cores[{k}] has filter size {G.shape[1]}, expected l = {l}"
                )
            if k > 0 and G.shape[0] != cores[k - 1].shape[2]:
                raise ValueError(
                    f"cores[{k}] has {G.shape[0]} input channels but cores[{k - 1}] has {cores[k - 1].shape[2]} outputs"
                )
        self.cores = cores

    @property
    def l(self) -> int:  # noqa: E743 (the paper's name for the filter size)
        """Filter size."""
        return int(self.cores[0].shape[1])

    @property
    def K(self) -> int:
        """Number of layers."""
        return len(self.cores)

    @property
    def ranks(self) -> np.ndarray:
        """Channel numbers ``[1, r_1, ..., r_{K-1}, 1]``."""
        return np.array([1] + [G.shape[2] for G in self.cores], dtype=int)

    @property
    def n_params(self) -> int:
        r"""Number of weights, :math:`\sum_k l\, r_{k-1} r_k`."""
        return int(sum(G.size for G in self.cores))

    @property
    def receptive_field(self) -> int:
        """Number of lags the network sees, ``l**K``."""
        return self.l**self.K

    def kernel(self) -> np.ndarray:
        r"""The kernel :math:`\hat\rho_j`, ``j = 0..l**K - 1``, by contracting the train.

        Returns
        -------
        numpy.ndarray
            Shape ``(l**K,)``.
        """
        out = self.cores[0].reshape(self.l, -1)  # (l, r_1): rows = i_1
        for G in self.cores[1:]:
            r_prev, l, r = G.shape
            # new index j = i_old + l^k * i_new (i_old fastest)
            out = np.einsum("ja,aib->ijb", out, G).reshape(-1, r)
        return out[:, 0]

    def apply(self, x: ArrayLike, dt: float = 1.0) -> np.ndarray:
        r"""Run the layers on input signals: :math:`\hat y_n = \sum_j \hat\rho_j x_{n-j}\,\Delta t`.

        Parameters
        ----------
        x : array_like
            Shape ``(n_t,)``, ``(n_t, 1)`` or ``(batch, n_t, 1)``; zero before time 0.
        dt : float
            Time step (the output is a Riemann sum with weight ``dt``).

        Returns
        -------
        numpy.ndarray
            Same shape as ``x``.
        """
        dt = check_positive_float("dt", dt)
        x = check_real_array("x", x, ndim=(1, 2, 3))
        shape = x.shape
        if x.ndim == 1:
            z = x[None, :, None]
        elif x.ndim == 2:
            if shape[1] != 1:
                raise ValueError(
                    f"x must have one channel (shape (n_t, 1)), got shape {shape}"
                )
            z = x[None]
        else:
            if shape[2] != 1:
                raise ValueError(
                    f"x must have one channel (shape (batch, n_t, 1)), got shape {shape}"
                )
            z = x
        n_t = z.shape[1]
        for k, G in enumerate(self.cores):
            dil = self.l**k
            out = np.zeros(z.shape[:2] + (G.shape[2],))
            for i in range(self.l):
                shift = i * dil
                if shift >= n_t:
                    break
                out[:, shift:, :] += z[:, : n_t - shift, :] @ G[:, i, :]
            z = out
        return (z * dt).reshape(shape)


def fit_dilated_cnn(
    rho: ArrayLike,
    l: int,
    K: int,
    max_rank: int | None = None,
    eps: float | None = None,
) -> DilatedCNN:
    r"""Constructive fit of a dilated CNN to a kernel: TT-SVD of the tensorised kernel.

    The lags beyond :math:`l^K` cannot be represented and are dropped (their norm is
    the *memory* part of the error); the lags inside are approximated by a tensor
    train with ranks at most ``max_rank`` / accuracy ``eps`` (see :func:`tt_svd`),
    quasi-optimal in :math:`\ell^2` among networks with the same channel numbers.

    Parameters
    ----------
    rho : array_like
        Kernel samples :math:`\rho(t_j)`, shape ``(n,)`` (any ``n``).
    l : int
        Filter size, at least 2.
    K : int
        Number of layers.
    max_rank : int, optional
        Largest number of channels.
    eps : float, optional
        Absolute :math:`\ell^2` accuracy of the TT-SVD on the first ``l**K`` lags.

    Returns
    -------
    DilatedCNN
        The fitted network; ``kernel()`` has shape ``(l**K,)``.

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-cnn-tt`).
    """
    l, K = _check_l_K(l, K)
    rho = check_real_array("rho", rho, ndim=1)
    head = rho[: l**K]
    cores, _ = tt_svd(tensorise(head, l, K), max_rank=max_rank, eps=eps)
    return DilatedCNN(cores)
