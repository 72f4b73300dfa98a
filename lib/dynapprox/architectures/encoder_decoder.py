r"""Recurrent encoder-decoders and the POD (singular value) spectrum of a two-time kernel.

An encoder RNN reads the past into :math:`h_0`, a coding vector
:math:`v = Q h_0 \in \mathbb R^N` is passed to a decoder RNN that runs freely. Its kernel
:math:`\hat\rho(t, s) = c^\top e^{V t} P\, Q\, e^{W s} U` has rank at most ``N`` in
:math:`(t, s)`; the complexity of a target :math:`\rho(t, s)` is the decay of its POD
spectrum (:class:`RecurrentEncoderDecoder`, :func:`pod`, :func:`pod_tail`,
:func:`fit_encoder_decoder`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import linalg

from .._validation import (
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real_array,
)

__all__ = [
    "RecurrentEncoderDecoder",
    "pod",
    "pod_tail",
    "modal_kernel",
    "fit_encoder_decoder",
]


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

    Used in
    -------
    Returned by :func:`fit_encoder_decoder` (in :doc:`/chapters/11_architectures`,
    :prf:ref:`prop-ed-pod`).
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
                raise ValueError(
                    f"{name} must be square, got shape {A.shape}"
                )
            a = _spectral_abscissa(A)
            if a >= 0:
                raise ValueError(
                    f"{name} must be Hurwitz (all eigenvalues with negative real part); "
                    f"its spectral abscissa is {a:.3g}"
                )
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
            raise ValueError(
                f"P must have shape ({mD}, {N}), got {P.shape}"
            )
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

    def truncate(self, N: int) -> RecurrentEncoderDecoder:
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
            raise ValueError(
                f"N must be at most the coding dimension {self.coding_dim}, got {N}"
            )
        return RecurrentEncoderDecoder(
            self.W, self.U, self.Q[:N], self.P[:, :N], self.V, self.c
        )

    def decoder_modes(self, t: ArrayLike) -> np.ndarray:
        r"""The ``N`` functions :math:`(c^\top e^{V t} P)_n`, shape ``(len(t), N)``."""
        t = check_real_array("t", t, ndim=1)
        return np.einsum(
            "i,kij,jn->kn", self.c, _expm_action_rows(self.V, t), self.P
        )

    def encoder_modes(self, s: ArrayLike) -> np.ndarray:
        r"""The ``N`` functions :math:`(Q e^{W s} U)_n`, shape ``(len(s), N)``."""
        s = check_real_array("s", s, ndim=1)
        return np.einsum(
            "ni,kij,j->kn",
            self.Q,
            _expm_action_rows(self.W, s),
            self.U[:, 0],
        )

    def kernel(self, t: ArrayLike, s: ArrayLike) -> np.ndarray:
        r"""The kernel :math:`\hat\rho(t_i, s_j)`, shape ``(len(t), len(s))``."""
        return self.decoder_modes(t) @ self.encoder_modes(s).T

    def output(
        self, x_past: ArrayLike, dt: float, t: ArrayLike
    ) -> np.ndarray:
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


def pod(
    rho_ts: ArrayLike, dt: float, ds: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-ed-pod`).
    """
    dt = check_positive_float("dt", dt)
    ds = dt if ds is None else check_positive_float("ds", ds)
    R = check_real_array("rho_ts", rho_ts, ndim=2)
    Uu, S, Vt = linalg.svd(R * np.sqrt(dt * ds), full_matrices=False)
    return S, Uu / np.sqrt(dt), Vt.T / np.sqrt(ds)


def pod_tail(sigma: ArrayLike, N: int) -> float:
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

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-ed-pod`).
    """
    sigma = check_real_array("sigma", sigma, ndim=1)
    if np.any(sigma < 0):
        raise ValueError("sigma must be non-negative")
    N = check_nonnegative_int("N", N)
    s = np.sort(sigma)[::-1]
    return float(np.sqrt(np.sum(s[N:] ** 2)))


def modal_kernel(
    sigma: ArrayLike, phi: ArrayLike, psi: ArrayLike
) -> np.ndarray:
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

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-ed-pod`).
    """
    sigma = check_real_array("sigma", sigma, ndim=1)
    phi = check_real_array("phi", phi, ndim=2)
    psi = check_real_array("psi", psi, ndim=2)
    if phi.shape[1] != sigma.size or psi.shape[1] != sigma.size:
        raise ValueError(
            f"phi and psi must have {sigma.size} columns, got {phi.shape} and {psi.shape}"
        )
    return (phi * sigma) @ psi.T


def fit_encoder_decoder(
    rho_ts: ArrayLike,
    dt: float,
    N: int,
    m_enc: int,
    m_dec: int,
    size: int | None = None,
) -> RecurrentEncoderDecoder:
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

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-ed-pod`).
    """
    from ..realization import era_fit

    dt = check_positive_float("dt", dt)
    R = check_real_array("rho_ts", rho_ts, ndim=2)
    N = check_positive_int("N", N)
    m_enc = check_positive_int("m_enc", m_enc)
    m_dec = check_positive_int("m_dec", m_dec)
    if N > min(R.shape):
        raise ValueError(
            f"N must be at most min(rho_ts.shape) = {min(R.shape)}, got {N}"
        )
    sigma, phi, psi = pod(R, dt)
    dec = era_fit(phi[:, :N] * sigma[:N], dt, m_dec, size=size)
    enc = era_fit(psi[:, :N], dt, m_enc, size=size)
    W = np.asarray(enc.W).T
    U = np.asarray(enc.c).reshape(-1, 1)
    Q = np.asarray(enc.U).T
    return RecurrentEncoderDecoder(
        W=W,
        U=U,
        Q=Q,
        P=np.asarray(dec.U),
        V=np.asarray(dec.W),
        c=np.asarray(dec.c),
    )
