r"""Sequence architectures other than the RNN, in the linear functional setting.

Three model families of chapter 11 ("Convolutional, encoder-decoder and transformer
architectures"), each reduced to the object that carries its approximation theory:

* **Dilated causal CNN** (WaveNet). A linear network of ``K`` layers with filter size
  ``l`` and dilations :math:`1, l, \dots, l^{K-1}` realises a causal convolution
  kernel supported on :math:`[0, l^K)`. Writing the lag in base ``l``,
  :math:`j = \sum_{k=1}^{K} i_k l^{k-1}`, the kernel of a network with channel
  numbers :math:`r_0 = 1, r_1, \dots, r_{K-1}, r_K = 1` is a *tensor train*

  .. math:: \hat\rho_j = G_1[i_1]\, G_2[i_2] \cdots G_K[i_K],
     \qquad G_k[i] \in \mathbb R^{r_{k-1} \times r_k},

  so the complexity of a target for this architecture is the rank structure of its
  *tensorised* kernel (:func:`tensorise`, :func:`unfolding_singular_values`,
  :func:`tt_svd`, :func:`fit_dilated_cnn`).
* **Recurrent encoder-decoder**. An encoder RNN reads the past into
  :math:`h_0`, a coding vector :math:`v = Q h_0 \in \mathbb R^N` is passed to a
  decoder RNN that runs freely. Its kernel
  :math:`\hat\rho(t, s) = c^\top e^{V t} P\, Q\, e^{W s} U` has rank at most ``N``
  in :math:`(t, s)`; the complexity of a target :math:`\rho(t, s)` is the decay of
  its POD (singular value) spectrum (:class:`RecurrentEncoderDecoder`, :func:`pod`,
  :func:`pod_tail`, :func:`fit_encoder_decoder`).
* **Attention**. The experiment of Table 2 of Jiang and Li (NeurIPS 2024) with their data
  construction: a linear target with kernel :math:`e^{-s}` on sequences of i.i.d. uniform
  inputs, re-ordered (:func:`swap_permutation`) or mixed by a random filter
  (:func:`random_filter`, :func:`mixing_matrix`); a one-layer, one-head transformer of
  their eq. (5) (:class:`TinyTransformer`) and a linear RNN with an output at every step
  (:class:`LinearRNNSeq`), trained by :func:`train_regressor`; and the certified floor of
  every causal model (:func:`causal_floor`).

Conventions follow :mod:`dynapprox.signals`: time grid :math:`t_k = k\,\Delta t`,
kernels sampled on it, numpy ``float64``; randomness enters through ``seed``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import linalg

from ._validation import (
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real_array,
)
from .reproducibility import rng as _rng

__all__ = [
    "tensorise",
    "detensorise",
    "unfolding_singular_values",
    "tt_svd",
    "DilatedCNN",
    "fit_dilated_cnn",
    "min_tt_ranks",
    "RecurrentEncoderDecoder",
    "pod",
    "pod_tail",
    "modal_kernel",
    "fit_encoder_decoder",
    "exp_kernel_matrix",
    "swap_permutation",
    "random_filter",
    "mixing_matrix",
    "seq2seq_dataset",
    "seen_weights",
    "causal_floor",
    "LinearRNNSeq",
    "TinyTransformer",
    "train_regressor",
]


# --------------------------------------------------------------------------------------
# Dilated causal convolutions and tensor trains
# --------------------------------------------------------------------------------------


def _check_l_K(l, K) -> tuple[int, int]:
    l = check_positive_int("l", l)
    K = check_positive_int("K", K)
    if l < 2:
        raise ValueError(f"l (the filter size) must be at least 2, got {l}")
    if l**K > 2**26:
        raise ValueError(f"l**K = {l}**{K} is too large (more than 2**26 lags)")
    return l, K


def tensorise(rho, l: int, K: int) -> np.ndarray:
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
    """
    l, K = _check_l_K(l, K)
    rho = check_real_array("rho", rho, ndim=1)
    if rho.size > l**K:
        raise ValueError(f"rho has {rho.size} lags, more than the receptive field l**K = {l**K}")
    full = np.zeros(l**K)
    full[: rho.size] = rho
    return full.reshape([l] * K, order="F")


def detensorise(tensor) -> np.ndarray:
    r"""Inverse of :func:`tensorise`: the kernel :math:`\rho_j` of an order-``K`` tensor.

    Parameters
    ----------
    tensor : array_like
        Shape ``(l,) * K``.

    Returns
    -------
    numpy.ndarray
        Shape ``(l**K,)``.
    """
    tensor = check_real_array("tensor", tensor)
    if tensor.ndim < 1 or len(set(tensor.shape)) != 1:
        raise ValueError(f"tensor must have all axes of equal length l, got shape {tensor.shape}")
    return tensor.reshape(-1, order="F")


def unfolding_singular_values(rho, l: int, K: int) -> list[np.ndarray]:
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
    """
    T = tensorise(rho, l, K)
    Tc = np.ascontiguousarray(T.transpose(range(K - 1, -1, -1)))  # axes i_K..i_1 (C order)
    out = []
    for k in range(1, K):
        # rows = (i_1..i_k): in Tc these are the LAST k axes
        A = Tc.reshape(l ** (K - k), l**k).T
        out.append(linalg.svd(A, compute_uv=False))
    return out


def min_tt_ranks(rho, l: int, K: int, tol: float) -> np.ndarray:
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
    """
    tol = check_positive_float("tol", tol)
    ranks = [1]
    for s in unfolding_singular_values(rho, l, K):
        tails = np.sqrt(np.concatenate([np.cumsum((s**2)[::-1])[::-1], [0.0]]))  # tails[r] = ||s[r:]||
        ranks.append(int(np.argmax(tails <= tol)))
    ranks.append(1)
    return np.array(ranks, dtype=int)


def tt_svd(tensor, max_rank: int | None = None, eps: float | None = None) -> tuple[list[np.ndarray], np.ndarray]:
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
    """
    T = check_real_array("tensor", tensor)
    if T.ndim < 1 or len(set(T.shape)) != 1:
        raise ValueError(f"tensor must have all axes of equal length l, got shape {T.shape}")
    if max_rank is None and eps is None:
        raise ValueError("give max_rank or eps (or both)")
    if max_rank is not None:
        max_rank = check_positive_int("max_rank", max_rank)
    K, l = T.ndim, T.shape[0]
    delta = None
    if eps is not None:
        eps = float(eps)
        if not np.isfinite(eps) or eps < 0:
            raise ValueError(f"eps must be a finite number >= 0, got {eps}")
        delta = eps / np.sqrt(max(K - 1, 1))
    cores: list[np.ndarray] = []
    discarded = np.zeros(max(K - 1, 0))
    C = np.ascontiguousarray(T).reshape(1, -1)
    r_prev = 1
    for k in range(K - 1):
        C = C.reshape(r_prev * l, -1)
        U, S, Vt = linalg.svd(C, full_matrices=False)
        tails = np.sqrt(np.concatenate([np.cumsum((S**2)[::-1])[::-1], [0.0]]))
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
    """

    cores: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.cores, (list, tuple)) or len(self.cores) == 0:
            raise TypeError("cores must be a non-empty list of arrays of shape (r_prev, l, r_next)")
        cores = [check_real_array(f"cores[{k}]", G, ndim=3) for k, G in enumerate(self.cores)]
        l = cores[0].shape[1]
        if l < 2:
            raise ValueError(f"the filter size (cores[k].shape[1]) must be at least 2, got {l}")
        if cores[0].shape[0] != 1 or cores[-1].shape[2] != 1:
            raise ValueError("cores[0] must have shape (1, l, r_1) and cores[-1] shape (r_{K-1}, l, 1)")
        for k, G in enumerate(cores):
            if G.shape[1] != l:
                raise ValueError(f"cores[{k}] has filter size {G.shape[1]}, expected l = {l}")
            if k > 0 and G.shape[0] != cores[k - 1].shape[2]:
                raise ValueError(
                    f"cores[{k}] has {G.shape[0]} input channels but cores[{k - 1}] has {cores[k - 1].shape[2]} outputs"
                )
        self.cores = cores

    @property
    def l(self) -> int:
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

    def apply(self, x, dt: float = 1.0) -> np.ndarray:
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
                raise ValueError(f"x must have one channel (shape (n_t, 1)), got shape {shape}")
            z = x[None]
        else:
            if shape[2] != 1:
                raise ValueError(f"x must have one channel (shape (batch, n_t, 1)), got shape {shape}")
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


def fit_dilated_cnn(rho, l: int, K: int, max_rank: int | None = None, eps: float | None = None) -> DilatedCNN:
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
    """
    l, K = _check_l_K(l, K)
    rho = check_real_array("rho", rho, ndim=1)
    head = rho[: l**K]
    cores, _ = tt_svd(tensorise(head, l, K), max_rank=max_rank, eps=eps)
    return DilatedCNN(cores)


# --------------------------------------------------------------------------------------
# Recurrent encoder-decoder
# --------------------------------------------------------------------------------------


def _expm_action_rows(A: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Return e^{A t_k} for all k, shape (len(t), m, m), via an eigen-decomposition (or expm)."""
    lam, V = linalg.eig(A)
    if np.linalg.cond(V) < 1e8:
        Vinv = linalg.inv(V)
        E = np.exp(np.multiply.outer(t, lam))  # (n, m)
        out = np.einsum("ij,kj,jl->kil", V, E, Vinv)
        return out.real if np.isrealobj(A) else out
    return np.stack([linalg.expm(A * tk) for tk in t])


def _spectral_abscissa(A: np.ndarray) -> float:
    return float(np.max(np.linalg.eigvals(A).real))


@dataclass
class RecurrentEncoderDecoder:
    r"""Linear recurrent encoder-decoder with coding dimension ``N``.

    Encoder (reads the past, :math:`s \le 0`): :math:`\dot h_s = W h_s + U x_s`,
    :math:`h_{-\infty} = 0`; coding vector :math:`v = Q h_0 \in \mathbb R^N`.
    Decoder (runs freely for :math:`t \ge 0`): :math:`\dot g_t = V g_t`,
    :math:`g_0 = P v`, output :math:`\hat y_t = c^\top g_t`. Hence

    .. math:: \hat y_t = \int_0^\infty \hat\rho(t, s)\, x_{-s}\, \mathrm ds, \qquad
       \hat\rho(t, s) = c^\top e^{V t} P\, Q\, e^{W s} U ,

    a kernel of rank at most ``N`` in :math:`(t, s)`.

    Parameters
    ----------
    W : array_like
        Encoder matrix, shape ``(m_E, m_E)``, Hurwitz.
    U : array_like
        Input matrix, shape ``(m_E, 1)`` or ``(m_E,)`` (scalar input).
    Q : array_like
        Encoding map, shape ``(N, m_E)``.
    P : array_like
        Decoding map, shape ``(m_D, N)``.
    V : array_like
        Decoder matrix, shape ``(m_D, m_D)``, Hurwitz.
    c : array_like
        Read-out, shape ``(m_D,)``.
    """

    W: np.ndarray
    U: np.ndarray
    Q: np.ndarray
    P: np.ndarray
    V: np.ndarray
    c: np.ndarray

    def __post_init__(self) -> None:
        W = check_real_array("W", self.W, ndim=2)
        V = check_real_array("V", self.V, ndim=2)
        for name, A in (("W", W), ("V", V)):
            if A.shape[0] != A.shape[1]:
                raise ValueError(f"{name} must be square, got shape {A.shape}")
            a = _spectral_abscissa(A)
            if a >= 0:
                raise ValueError(f"{name} must be Hurwitz (all eigenvalues with negative real part); its spectral abscissa is {a:.3g}")
        mE, mD = W.shape[0], V.shape[0]
        U = check_real_array("U", self.U, ndim=(1, 2))
        U = U.reshape(-1, 1) if U.ndim == 1 else U
        if U.shape != (mE, 1):
            raise ValueError(f"U must have shape ({mE}, 1), got {U.shape}")
        Q = check_real_array("Q", self.Q, ndim=2)
        if Q.shape[1] != mE:
            raise ValueError(f"Q must have shape (N, {mE}), got {Q.shape}")
        N = Q.shape[0]
        P = check_real_array("P", self.P, ndim=2)
        if P.shape != (mD, N):
            raise ValueError(f"P must have shape ({mD}, {N}), got {P.shape}")
        c = check_real_array("c", self.c, ndim=1)
        if c.shape != (mD,):
            raise ValueError(f"c must have shape ({mD},), got {c.shape}")
        self.W, self.U, self.Q, self.P, self.V, self.c = W, U, Q, P, V, c

    @property
    def coding_dim(self) -> int:
        """The coding dimension ``N``."""
        return int(self.Q.shape[0])

    @property
    def widths(self) -> tuple[int, int]:
        """Encoder and decoder widths ``(m_E, m_D)``."""
        return int(self.W.shape[0]), int(self.V.shape[0])

    def truncate(self, N: int) -> "RecurrentEncoderDecoder":
        r"""The same encoder and decoder with only the first ``N`` coding channels.

        Keeps the rows ``Q[:N]`` and the columns ``P[:, :N]``: the kernel becomes
        :math:`\sum_{n \le N} (c^\top e^{Vt} P)_n (Q e^{Ws} U)_n`.

        Parameters
        ----------
        N : int
            New coding dimension, ``1 <= N <= coding_dim``.

        Returns
        -------
        RecurrentEncoderDecoder
        """
        N = check_positive_int("N", N)
        if N > self.coding_dim:
            raise ValueError(f"N must be at most the coding dimension {self.coding_dim}, got {N}")
        return RecurrentEncoderDecoder(self.W, self.U, self.Q[:N], self.P[:, :N], self.V, self.c)

    def decoder_modes(self, t) -> np.ndarray:
        r"""The ``N`` functions :math:`(c^\top e^{V t} P)_n`, shape ``(len(t), N)``."""
        t = check_real_array("t", t, ndim=1)
        return np.einsum("i,kij,jn->kn", self.c, _expm_action_rows(self.V, t), self.P)

    def encoder_modes(self, s) -> np.ndarray:
        r"""The ``N`` functions :math:`(Q e^{W s} U)_n`, shape ``(len(s), N)``."""
        s = check_real_array("s", s, ndim=1)
        return np.einsum("ni,kij,j->kn", self.Q, _expm_action_rows(self.W, s), self.U[:, 0])

    def kernel(self, t, s) -> np.ndarray:
        r"""The kernel :math:`\hat\rho(t_i, s_j)`, shape ``(len(t), len(s))``."""
        return self.decoder_modes(t) @ self.encoder_modes(s).T

    def output(self, x_past, dt: float, t) -> np.ndarray:
        r"""Outputs :math:`\hat y_{t_i} = \sum_j \hat\rho(t_i, s_j)\, x_{-s_j}\,\Delta t`.

        Parameters
        ----------
        x_past : array_like
            Shape ``(n_s,)`` or ``(batch, n_s)``: entry ``j`` is :math:`x_{-s_j}`,
            :math:`s_j = j\,\Delta t` (the past read backwards from time 0).
        dt : float
            Time step.
        t : array_like
            Output times, shape ``(n_out,)``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_out,)`` or ``(batch, n_out)``.
        """
        dt = check_positive_float("dt", dt)
        x = check_real_array("x_past", x_past, ndim=(1, 2))
        s = dt * np.arange(x.shape[-1])
        R = self.kernel(t, s)
        return x @ R.T * dt


def pod(rho_ts, dt: float, ds: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Proper orthogonal decomposition (SVD) of a sampled two-time kernel :math:`\rho(t_i, s_j)`.

    Discretises the integral operator :math:`(\mathcal R x)(t) = \int \rho(t, s) x(s)\,\mathrm ds`
    with the rectangle rule and returns

    .. math:: \rho(t, s) \approx \sum_n \sigma_n\, \phi_n(t)\, \psi_n(s), \qquad
       \int \phi_n \phi_m\, \mathrm dt = \int \psi_n \psi_m\, \mathrm ds = \delta_{nm},

    so that :math:`\|\rho\|_{L^2}^2 = \sum_n \sigma_n^2` (Hilbert-Schmidt norm).

    Parameters
    ----------
    rho_ts : array_like
        Shape ``(n_t, n_s)``.
    dt : float
        Step of the ``t`` grid.
    ds : float, optional
        Step of the ``s`` grid (default ``dt``).

    Returns
    -------
    sigma : numpy.ndarray
        Shape ``(r,)``, non-increasing, ``r = min(n_t, n_s)``.
    phi : numpy.ndarray
        Shape ``(n_t, r)``, samples of :math:`\phi_n(t_i)`.
    psi : numpy.ndarray
        Shape ``(n_s, r)``, samples of :math:`\psi_n(s_j)`.
    """
    dt = check_positive_float("dt", dt)
    ds = dt if ds is None else check_positive_float("ds", ds)
    R = check_real_array("rho_ts", rho_ts, ndim=2)
    Uu, S, Vt = linalg.svd(R * np.sqrt(dt * ds), full_matrices=False)
    return S, Uu / np.sqrt(dt), Vt.T / np.sqrt(ds)


def pod_tail(sigma, N: int) -> float:
    r"""The POD tail :math:`(\sum_{n > N} \sigma_n^2)^{1/2}`: the least :math:`L^2` error of any rank-``N`` kernel.

    Parameters
    ----------
    sigma : array_like
        Singular values, shape ``(r,)``, non-negative.
    N : int
        Coding dimension, ``>= 0``.

    Returns
    -------
    float
    """
    sigma = check_real_array("sigma", sigma, ndim=1)
    if np.any(sigma < 0):
        raise ValueError("sigma must be non-negative")
    N = check_nonnegative_int("N", N)
    s = np.sort(sigma)[::-1]
    return float(np.sqrt(np.sum(s[N:] ** 2)))


def modal_kernel(sigma, phi, psi) -> np.ndarray:
    r"""Assemble :math:`\rho(t_i, s_j) = \sum_n \sigma_n \phi_n(t_i) \psi_n(s_j)`.

    Parameters
    ----------
    sigma : array_like
        Shape ``(r,)``.
    phi : array_like
        Shape ``(n_t, r)``.
    psi : array_like
        Shape ``(n_s, r)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_t, n_s)``.
    """
    sigma = check_real_array("sigma", sigma, ndim=1)
    phi = check_real_array("phi", phi, ndim=2)
    psi = check_real_array("psi", psi, ndim=2)
    if phi.shape[1] != sigma.size or psi.shape[1] != sigma.size:
        raise ValueError(f"phi and psi must have {sigma.size} columns, got {phi.shape} and {psi.shape}")
    return (phi * sigma) @ psi.T


def fit_encoder_decoder(rho_ts, dt: float, N: int, m_enc: int, m_dec: int,
                        size: int | None = None) -> RecurrentEncoderDecoder:
    r"""Constructive encoder-decoder fit: POD truncation, then realisation of both sides.

    1. POD (:func:`pod`): keep the ``N`` leading modes
       :math:`\sigma_n \phi_n(t)` and :math:`\psi_n(s)`.
    2. Decoder: a width-``m_dec`` linear system whose ``N`` input channels produce
       :math:`\sigma_n \phi_n(t) \approx c^\top e^{V t} P e_n` (ERA on the ``N``-channel kernel).
    3. Encoder: the ``N`` functions :math:`\psi_n(s) \approx (Q e^{W s} U)_n` by ERA on the
       ``N``-channel kernel :math:`\psi` and transposition (a system with ``N`` inputs
       and one output, transposed, has one input and ``N`` outputs).

    The :math:`L^2` error is at least :func:`pod_tail` (any rank-``N`` kernel) and equals it
    up to the two realisation errors.

    Parameters
    ----------
    rho_ts : array_like
        Samples :math:`\rho(t_i, s_j)` on the same grid in both variables, shape ``(n, n)``.
    dt : float
        Grid step.
    N : int
        Coding dimension.
    m_enc : int
        Encoder width.
    m_dec : int
        Decoder width.
    size : int, optional
        Number of block rows and columns of the Hankel matrices of the two ERA fits
        (default: as many as the samples allow; a few times the widths is enough and faster).

    Returns
    -------
    RecurrentEncoderDecoder
    """
    from .realization import era_fit

    dt = check_positive_float("dt", dt)
    R = check_real_array("rho_ts", rho_ts, ndim=2)
    N = check_positive_int("N", N)
    m_enc = check_positive_int("m_enc", m_enc)
    m_dec = check_positive_int("m_dec", m_dec)
    if N > min(R.shape):
        raise ValueError(f"N must be at most min(rho_ts.shape) = {min(R.shape)}, got {N}")
    sigma, phi, psi = pod(R, dt)
    dec = era_fit(phi[:, :N] * sigma[:N], dt, m_dec, size=size)
    enc = era_fit(psi[:, :N], dt, m_enc, size=size)
    W = np.asarray(enc.W).T
    U = np.asarray(enc.c).reshape(-1, 1)
    Q = np.asarray(enc.U).T
    return RecurrentEncoderDecoder(W=W, U=U, Q=Q, P=np.asarray(dec.U), V=np.asarray(dec.W), c=np.asarray(dec.c))


def lag_tail_bound(model, n: int, dt: float = 1.0) -> float:
    r"""A closed-form bound of :math:`\sum_{j \ge n} |\hat\rho(j\,\Delta t)|` for a model with modes.

    For :math:`\hat\rho(t) = \sum_i g_i e^{\lambda_i t}` (a linear RNN, through
    :func:`dynapprox.halfline.modal_terms`) with every :math:`\operatorname{Re}\lambda_i < 0`,

    .. math:: \sum_{j \ge n} |\hat\rho(j\Delta t)| \le \sum_i |g_i|
       \frac{e^{\operatorname{Re}\lambda_i\, n \Delta t}}{1 - e^{\operatorname{Re}\lambda_i \Delta t}} .

    It turns an :math:`\ell^1` error over the lags :math:`0, \dots, n-1` into a bracket of the
    error over all lags :math:`j \ge 0`.

    Parameters
    ----------
    model : object
        A model with modes (``W, U, c`` or ``eigenvalues, u, c``).
    n : int
        First lag of the tail.
    dt : float
        Time step.

    Returns
    -------
    float
        The bound (``inf`` if a mode does not decay).
    """
    from .halfline import modal_terms

    n = check_nonnegative_int("n", n)
    dt = check_positive_float("dt", dt)
    terms = modal_terms(model)
    if terms is None:
        raise ValueError("model has no (well-conditioned) modal decomposition")
    lam, g = terms
    re = lam.real
    size = np.abs(g).sum(axis=1)
    if np.any((re >= 0) & (size > 0)):
        return float("inf")
    return float(np.sum(size * np.exp(re * n * dt) / (1.0 - np.exp(re * dt))))


__all__.append("lag_tail_bound")


# --------------------------------------------------------------------------------------
# Table 2 of Jiang and Li: temporal ordering and temporal mixing, RNN against attention
# --------------------------------------------------------------------------------------


def exp_kernel_matrix(L: int, rate: float = 1.0) -> np.ndarray:
    r"""Matrix of the causal linear target :math:`y(t) = \sum_{s=0}^{t} e^{-\mathrm{rate}\, s} x(t - s)`.

    Parameters
    ----------
    L : int
        Sequence length :math:`\tau`.
    rate : float
        Decay rate (Jiang and Li take 1).

    Returns
    -------
    numpy.ndarray
        Shape ``(L, L)``, :math:`K[t, s] = e^{-\mathrm{rate}(t - s)}` for :math:`s \le t`, else 0,
        so that ``y = K @ x``.
    """
    L = check_positive_int("L", L)
    rate = check_positive_float("rate", rate)
    lag = np.subtract.outer(np.arange(L), np.arange(L))
    return np.where(lag >= 0, np.exp(-rate * np.maximum(lag, 0)), 0.0)


def swap_permutation(L: int, k: int) -> np.ndarray:
    r"""The re-ordering that exchanges the first ``k`` values of a sequence with the last ``k``.

    Position :math:`j` of the shown sequence holds :math:`x(\pi(j))`: positions
    :math:`0, \dots, k-1` show :math:`x(L-k), \dots, x(L-1)` and positions
    :math:`L-k, \dots, L-1` show :math:`x(0), \dots, x(k-1)`; the middle is unchanged.

    Parameters
    ----------
    L : int
        Sequence length.
    k : int
        Block length, :math:`1 \le k \le L/2`.

    Returns
    -------
    numpy.ndarray
        The permutation :math:`\pi`, shape ``(L,)``.
    """
    L = check_positive_int("L", L)
    k = check_positive_int("k", k)
    if 2 * k > L:
        raise ValueError(f"k must be at most L / 2 = {L / 2:g}, got {k}")
    idx = np.arange(L)
    return np.concatenate([idx[L - k:], idx[k:L - k], idx[:k]])


def random_filter(length: int, seed: int) -> np.ndarray:
    r"""A random filter :math:`\theta` with i.i.d. standard normal taps, normalised to :math:`\|\theta\|_1 = 1`.

    Parameters
    ----------
    length : int
        Number of taps :math:`l`.
    seed : int
        Seed of the taps.

    Returns
    -------
    numpy.ndarray
        Shape ``(length,)``.
    """
    length = check_positive_int("length", length)
    theta = _rng(seed).standard_normal(length)
    return theta / np.sum(np.abs(theta))


def mixing_matrix(theta, L: int, delay: int = 0) -> np.ndarray:
    r"""Matrix of the temporal mixing :math:`(\theta * x)(t) = \sum_{j=0}^{l-1} \theta(j)\, x(t + j - \mathrm{delay})`.

    With ``delay = 0`` this is the operation printed in Sec. 6.2 of Jiang and Li, which
    reads :math:`l - 1` future values; with ``delay = l - 1`` it is the causal filter
    :math:`\sum_{j} \theta(l-1-j)\, x(t - j)`. Values of :math:`x` outside
    :math:`0, \dots, L-1` count as 0.

    Parameters
    ----------
    theta : array_like
        Taps :math:`\theta(0), \dots, \theta(l-1)`, shape ``(l,)``.
    L : int
        Sequence length.
    delay : int
        Shift, :math:`0 \le \mathrm{delay} < L`.

    Returns
    -------
    numpy.ndarray
        Shape ``(L, L)``: ``M`` with ``theta * x = M @ x``.
    """
    theta = check_real_array("theta", theta, ndim=1)
    L = check_positive_int("L", L)
    delay = check_nonnegative_int("delay", delay)
    if delay >= L:
        raise ValueError(f"delay must be below L = {L}, got {delay}")
    M = np.zeros((L, L))
    for j, th in enumerate(theta):
        M += th * np.eye(L, k=j - delay)
    return M


def _check_permutation(permutation, L: int) -> np.ndarray:
    perm = np.asarray(permutation)
    if perm.shape != (L,) or not np.array_equal(np.sort(perm), np.arange(L)):
        raise ValueError(f"permutation must be a permutation of range({L})")
    return perm



def seq2seq_dataset(n: int, weights, seed: int, permutation=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Inputs i.i.d. uniform on :math:`[0, 1]` and outputs of the linear map ``weights``.

    :math:`x \in [0, 1]^L` has i.i.d. uniform entries and the outputs are
    :math:`y = W x` (one per time step). With a ``permutation`` :math:`\pi` the model is
    shown :math:`x \circ \pi` (position :math:`j` holds :math:`x(\pi(j))`) while :math:`y` is
    unchanged: the *temporal ordering* alteration of Jiang and Li. The outputs are then
    :math:`y = W_{\mathrm{seen}} (x \circ \pi)` with :func:`seen_weights`.

    Parameters
    ----------
    n : int
        Number of sequences.
    weights : array_like
        The matrix :math:`W`, shape ``(L, L)``.
    seed : int
        Seed of the inputs.
    permutation : array_like, optional
        A permutation of ``range(L)``.

    Returns
    -------
    X : numpy.ndarray
        Shape ``(n, L, 1)``, the sequences as shown to the model.
    y : numpy.ndarray
        Shape ``(n, L)``.
    """
    n = check_positive_int("n", n)
    W = check_real_array("weights", weights, ndim=2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"weights must be square (L, L), got shape {W.shape}")
    L = W.shape[0]
    x = _rng(seed).uniform(0.0, 1.0, size=(n, L))
    y = x @ W.T
    if permutation is not None:
        x = x[:, _check_permutation(permutation, L)]
    return x[:, :, None], y


def seen_weights(weights, permutation=None) -> np.ndarray:
    r"""The map from the shown sequence to the outputs: :math:`W_{\mathrm{seen}}[t, j] = W[t, \pi(j)]`.

    Parameters
    ----------
    weights : array_like
        Shape ``(L, L)``.
    permutation : array_like, optional
        As in :func:`seq2seq_dataset`.

    Returns
    -------
    numpy.ndarray
        Shape ``(L, L)``.
    """
    W = check_real_array("weights", weights, ndim=2)
    if permutation is None:
        return W.copy()
    return W[:, _check_permutation(permutation, W.shape[1])]


def causal_floor(seen, var_x: float = 1.0 / 12.0) -> float:
    r"""Least mean squared error of *any* causal model on the outputs :math:`y = W_{\mathrm{seen}} X`.

    For independent inputs of variance :math:`v`, the output at time :math:`t` splits into
    a function of the shown inputs up to :math:`t` and the term
    :math:`\sum_{j > t} W_{\mathrm{seen}}[t, j] X_j`, independent of them. No causal model
    (one whose output at :math:`t` depends on :math:`X_0, \dots, X_t` only, linear or not)
    can predict it better than its mean, so

    .. math:: \frac1L \sum_t \mathbb E\,(y_t - \hat y_t)^2 \;\ge\;
       \frac{v}{L} \sum_t \sum_{j > t} W_{\mathrm{seen}}[t, j]^2 .

    Parameters
    ----------
    seen : array_like
        :math:`W_{\mathrm{seen}}`, shape ``(L, L)``.
    var_x : float
        Variance of one input value (:math:`1/12` for the uniform law on :math:`[0, 1]`).

    Returns
    -------
    float
        The bound.
    """
    W = check_real_array("seen", seen, ndim=2)
    var_x = check_positive_float("var_x", var_x)
    return float(var_x * np.sum(np.triu(W, k=1) ** 2) / W.shape[0])


def _torch():
    import torch

    return torch


def _init_linear(torch, layer, g) -> None:
    """PyTorch's default initialisation of ``nn.Linear``, drawn from the generator ``g``."""
    bound = 1.0 / np.sqrt(layer.in_features)
    with torch.no_grad():
        layer.weight.copy_((2 * torch.rand(layer.weight.shape, generator=g, dtype=torch.float64) - 1) * bound)
        layer.bias.copy_((2 * torch.rand(layer.bias.shape, generator=g, dtype=torch.float64) - 1) * bound)


def _mlp(torch, n_in: int, width: int, depth: int, n_out: int, g):
    layers, d = [], n_in
    for _ in range(depth):
        layers += [torch.nn.Linear(d, width, dtype=torch.float64), torch.nn.Tanh()]
        d = width
    layers.append(torch.nn.Linear(d, n_out, dtype=torch.float64))
    for layer in layers:
        if isinstance(layer, torch.nn.Linear):
            _init_linear(torch, layer, g)
    return torch.nn.Sequential(*layers)


class LinearRNNSeq:
    r"""A linear RNN with an output at every step: :math:`h_t = A h_{t-1} + B x_t`, :math:`\hat y_t = c^\top h_t`.

    With :math:`h_{-1} = 0` the outputs are the causal convolution
    :math:`\hat y_t = \sum_{j \le t} c^\top A^j B\, x_{t-j}`, computed from the kernel (one
    matrix power per lag) rather than by a loop over the batch. A thin wrapper around a
    ``torch.nn.Module`` (attribute ``module``), float64.

    Parameters
    ----------
    m : int
        Width.
    seed : int
        Seed of the initial weights (:math:`A` near :math:`0.5 I`, small :math:`B, c`).
    """

    def __init__(self, m: int, seed: int) -> None:
        torch = _torch()
        m = check_positive_int("m", m)
        g = torch.Generator().manual_seed(check_nonnegative_int("seed", seed))

        class _RNN(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.A = torch.nn.Parameter(0.5 * torch.eye(m, dtype=torch.float64)
                                            + 0.1 * torch.randn(m, m, generator=g, dtype=torch.float64) / np.sqrt(m))
                self.B = torch.nn.Parameter(torch.randn(m, generator=g, dtype=torch.float64) / np.sqrt(m))
                self.c = torch.nn.Parameter(torch.randn(m, generator=g, dtype=torch.float64) / np.sqrt(m))

            def kernel(self, L):
                v, ks = self.B, []
                for _ in range(L):
                    ks.append(self.c @ v)
                    v = self.A @ v
                return torch.stack(ks)

            def forward(self, X):
                L = X.shape[1]
                k = self.kernel(L)
                lag = torch.arange(L)[:, None] - torch.arange(L)[None, :]
                T = torch.where(lag >= 0, k[lag.clamp(min=0)], torch.zeros((), dtype=X.dtype))
                return X[:, :, 0] @ T.T

        self.module = _RNN()
        self.m = m

    @property
    def n_params(self) -> int:
        """Number of trainable weights, ``m**2 + 2 m``."""
        return self.m**2 + 2 * self.m


class TinyTransformer:
    r"""One attention layer with one head, in the family of eq. (5) of Jiang and Li.

    The input value :math:`x(s)` gets the position encoding :math:`z(s) = a\, x(s) + e(s)`
    (:math:`a, e(s) \in \mathbb R^{d_e}`, learned or fixed), a feed-forward network
    :math:`\hat f: \mathbb R^{d_e} \to \mathbb R^{n}` gives the token features
    :math:`\hat h(s) = \hat f(z(s))`, and the output at time :math:`t` is

    .. math:: \hat y(t) = \hat F\Big(\sum_{s} \operatorname{softmax}_s\big[q(t)^\top W_K \hat h(s)\big]\,
       W_V \hat h(s)\Big),

    with :math:`W_K \in \mathbb R^{m_h \times n}`, :math:`W_V \in \mathbb R^{m_v \times n}` and a
    feed-forward :math:`\hat F: \mathbb R^{m_v} \to \mathbb R`. The softmax runs over all
    positions (no causal mask), as in the paper. The query is

    * ``query="token"``: :math:`q(t) = W_Q \hat h(t)`, eq. (5) itself;
    * ``query="position"``: :math:`q(t) \in \mathbb R^{m_h}` a learned vector per output
      position, the sub-family of eq. (5) in which the query coordinates of
      :math:`\hat f` read the position only (the paper's own construction uses disjoint
      coordinates of :math:`\hat f` for queries and keys).

    With ``query="position"`` a fixed re-ordering of the inputs, outputs unchanged, is
    absorbed exactly by re-ordering the rows of :math:`e` (see the chapter). Feed-forward
    networks have ``ff_depth`` hidden layers of width ``ff_width`` with tanh; linear layers
    have PyTorch's default initialisation, drawn from a seeded generator; :math:`a` is
    standard normal, :math:`e` standard normal (``e_init="normal"``) or the unit vectors
    :math:`e(s) = \mathbf e_s` (``e_init="onehot"``, which needs :math:`d_e \ge L`; the
    classical fixed encoding, here only the starting point), and :math:`q` has i.i.d.
    centred normal entries of standard deviation ``q_init_std`` (``q_init_std=0``: every
    output starts with uniform attention weights :math:`1/L`, whatever the order of the
    inputs).

    Parameters
    ----------
    L : int
        Sequence length.
    n, m_h, m_v : int
        Token-feature, query/key and value dimensions.
    ff_width, ff_depth : int
        Width and number of hidden layers of :math:`\hat f` and :math:`\hat F`.
    seed : int
        Seed of the initial weights.
    d_e : int
        Dimension of the position encoding.
    query : str
        ``"position"`` or ``"token"``.
    dtype : str
        ``"float64"`` or ``"float32"``.
    e_init : str
        ``"normal"`` or ``"onehot"``: initial position encodings.
    q_init_std : float
        Standard deviation of the initial queries (``query="position"`` only); 0 allowed.
    """

    def __init__(self, L: int, n: int, m_h: int, m_v: int, ff_width: int, ff_depth: int, seed: int,
                 d_e: int = 8, query: str = "position", dtype: str = "float64",
                 e_init: str = "normal", q_init_std: float = 1.0) -> None:
        torch = _torch()
        L = check_positive_int("L", L)
        n, m_h, m_v = (check_positive_int(k, v) for k, v in (("n", n), ("m_h", m_h), ("m_v", m_v)))
        ff_width = check_positive_int("ff_width", ff_width)
        ff_depth = check_nonnegative_int("ff_depth", ff_depth)
        d_e = check_positive_int("d_e", d_e)
        if query not in ("position", "token"):
            raise ValueError(f"query must be 'position' or 'token', got {query!r}")
        if dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        if e_init not in ("normal", "onehot"):
            raise ValueError(f"e_init must be 'normal' or 'onehot', got {e_init!r}")
        if e_init == "onehot" and d_e < L:
            raise ValueError(f"e_init='onehot' needs d_e >= L = {L}, got d_e = {d_e}")
        if isinstance(q_init_std, bool) or not isinstance(q_init_std, (int, float)) \
                or not np.isfinite(q_init_std) or q_init_std < 0:
            raise ValueError(f"q_init_std must be a finite number >= 0, got {q_init_std!r}")
        g = torch.Generator().manual_seed(check_nonnegative_int("seed", seed))
        f64 = torch.float64

        class _Transformer(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = torch.nn.Parameter(torch.randn(d_e, generator=g, dtype=f64))
                e0 = torch.randn(L, d_e, generator=g, dtype=f64)
                if e_init == "onehot":
                    e0 = torch.eye(L, d_e, dtype=f64)
                self.e = torch.nn.Parameter(e0)
                self.f = _mlp(torch, d_e, ff_width, ff_depth, n, g)
                if query == "position":
                    self.q = torch.nn.Parameter(float(q_init_std) * torch.randn(L, m_h, generator=g, dtype=f64))
                else:
                    self.WQ = torch.nn.Parameter(torch.randn(m_h, n, generator=g, dtype=f64) / np.sqrt(n))
                self.WK = torch.nn.Parameter(torch.randn(m_h, n, generator=g, dtype=f64) / np.sqrt(n))
                self.WV = torch.nn.Parameter(torch.randn(m_v, n, generator=g, dtype=f64) / np.sqrt(n))
                self.F = _mlp(torch, m_v, ff_width, ff_depth, 1, g)

            def attention(self, X):
                h = self.f(X[:, :, :1] * self.a + self.e)
                q = self.q if query == "position" else h @ self.WQ.T
                scores = q @ (h @ self.WK.T).transpose(-1, -2)
                return torch.softmax(scores, dim=-1), h

            def forward(self, X):
                att, h = self.attention(X)
                return self.F(att @ (h @ self.WV.T))[..., 0]

        self.module = _Transformer()
        if dtype == "float32":
            self.module = self.module.float()
        self.L, self.query = L, query

    @property
    def n_params(self) -> int:
        """Number of trainable weights."""
        return int(sum(p.numel() for p in self.module.parameters() if p.requires_grad))


def train_regressor(model, X, y, steps: int, lr: float, batch: int, seed: int,
                    X_test=None, y_test=None, schedule: str = "constant") -> dict:
    r"""Train ``model.module`` by Adam on the mean squared error over all outputs.

    The loss is :math:`\frac{1}{n L}\sum_{i, t} (\hat y_{i,t} - y_{i,t})^2` (or
    :math:`\frac1n\sum_i (\hat y_i - y_i)^2` for one output per sequence). The step size
    is ``lr`` throughout (``schedule="constant"``) or decays on the cosine
    :math:`\mathrm{lr}_k = \tfrac12 \mathrm{lr}\,(1 + \cos(\pi k/\mathrm{steps}))`,
    :math:`k = 0, \dots, \mathrm{steps} - 1` (``schedule="cosine"``).

    Parameters
    ----------
    model : LinearRNNSeq or TinyTransformer
        Any object with a ``module`` attribute mapping ``(batch, L, 1)`` tensors to outputs
        of the shape of ``y``'s rows.
    X : array_like
        Training inputs, shape ``(n, L, 1)``.
    y : array_like
        Training targets, shape ``(n,)`` or ``(n, L)``.
    steps : int
        Number of Adam steps.
    lr : float
        Learning rate.
    batch : int
        Mini-batch size (drawn with a ``torch.Generator`` seeded by ``seed``).
    seed : int
        Seed of the mini-batch order.
    X_test : array_like, optional
        Test inputs (default: the training inputs).
    y_test : array_like, optional
        Test targets.
    schedule : str
        ``"constant"`` or ``"cosine"``.

    Returns
    -------
    dict
        ``"train"``: loss per step, shape ``(steps,)``; ``"test"``: final test MSE (float).
    """
    torch = _torch()
    steps = check_positive_int("steps", steps)
    lr = check_positive_float("lr", lr)
    batch = check_positive_int("batch", batch)
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"schedule must be 'constant' or 'cosine', got {schedule!r}")
    X = check_real_array("X", X, ndim=3)
    y = check_real_array("y", y, ndim=(1, 2))
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of samples, got {X.shape[0]} and {y.shape[0]}")
    if not hasattr(model, "module"):
        raise TypeError("model must have a torch 'module' attribute (LinearRNNSeq or TinyTransformer)")
    dtype = next(model.module.parameters()).dtype
    Xt, yt = torch.tensor(X, dtype=dtype), torch.tensor(y, dtype=dtype)
    g = torch.Generator().manual_seed(check_nonnegative_int("seed", seed))
    opt = torch.optim.Adam([p for p in model.module.parameters() if p.requires_grad], lr=lr)
    hist = np.zeros(steps)
    for k in range(steps):
        if schedule == "cosine":
            for group in opt.param_groups:
                group["lr"] = 0.5 * lr * (1.0 + np.cos(np.pi * k / steps))
        idx = torch.randint(0, Xt.shape[0], (min(batch, Xt.shape[0]),), generator=g)
        opt.zero_grad()
        loss = torch.mean((model.module(Xt[idx]) - yt[idx]) ** 2)
        loss.backward()
        opt.step()
        hist[k] = loss.item()
    Xs = Xt if X_test is None else torch.tensor(check_real_array("X_test", X_test, ndim=3), dtype=dtype)
    ys = yt if y_test is None else torch.tensor(check_real_array("y_test", y_test, ndim=(1, 2)), dtype=dtype)
    with torch.no_grad():
        test = torch.mean((model.module(Xs) - ys) ** 2).item()
    return {"train": hist, "test": float(test)}
