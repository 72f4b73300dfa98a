r"""The sequence-to-sequence targets of Table 2 of Jiang and Li (NeurIPS 2024).

A linear target with kernel :math:`e^{-s}` on sequences of i.i.d. uniform inputs, re-ordered
(:func:`swap_permutation`) or mixed by a random filter (:func:`random_filter`,
:func:`mixing_matrix`), the data sets (:func:`seq2seq_dataset`), and the certified error
floor of every causal model (:func:`seen_weights`, :func:`causal_floor`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import (
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real_array,
)
from ..reproducibility import rng as _rng

__all__ = [
    "exp_kernel_matrix",
    "swap_permutation",
    "random_filter",
    "mixing_matrix",
    "seq2seq_dataset",
    "seen_weights",
    "causal_floor",
]


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

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-causal-floor`,
    :prf:ref:`prop-attention-perm`).
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

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-attention-perm`).
    """
    L = check_positive_int("L", L)
    k = check_positive_int("k", k)
    if 2 * k > L:
        raise ValueError(f"k must be at most L / 2 = {L / 2:g}, got {k}")
    idx = np.arange(L)
    return np.concatenate([idx[L - k :], idx[k : L - k], idx[:k]])


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

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-attention-sign`).
    """
    length = check_positive_int("length", length)
    theta = _rng(seed).standard_normal(length)
    return theta / np.sum(np.abs(theta))


def mixing_matrix(theta: ArrayLike, L: int, delay: int = 0) -> np.ndarray:
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

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-causal-floor`,
    :prf:ref:`prop-attention-sign`).
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


def _check_permutation(permutation: ArrayLike, L: int) -> np.ndarray:
    perm = np.asarray(permutation)
    if perm.shape != (L,) or not np.array_equal(
        np.sort(perm), np.arange(L)
    ):
        raise ValueError(
            f"permutation must be a permutation of range({L})"
        )
    return perm


def seq2seq_dataset(
    n: int,
    weights: ArrayLike,
    seed: int,
    permutation: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
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

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-attention-perm`,
    :prf:ref:`prop-attention-sign`).
    """
    n = check_positive_int("n", n)
    W = check_real_array("weights", weights, ndim=2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(
            f"weights must be square (L, L), got shape {W.shape}"
        )
    L = W.shape[0]
    x = _rng(seed).uniform(0.0, 1.0, size=(n, L))
    y = x @ W.T
    if permutation is not None:
        x = x[:, _check_permutation(permutation, L)]
    return x[:, :, None], y


def seen_weights(
    weights: ArrayLike, permutation: ArrayLike | None = None
) -> np.ndarray:
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

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-causal-floor`).
    """
    W = check_real_array("weights", weights, ndim=2)
    if permutation is None:
        return W.copy()
    return W[:, _check_permutation(permutation, W.shape[1])]


def causal_floor(seen: ArrayLike, var_x: float = 1.0 / 12.0) -> float:
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

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-causal-floor`).
    """
    W = check_real_array("seen", seen, ndim=2)
    var_x = check_positive_float("var_x", var_x)
    return float(var_x * np.sum(np.triu(W, k=1) ** 2) / W.shape[0])
