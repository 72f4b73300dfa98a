r"""A small tanh RNN trained by back-propagation through time.

The nonlinear RNN :math:`h_{k+1} = \tanh(W h_k + U x_k)`, :math:`h_0 = 0`,
:math:`\hat y_k = c^\top h_{k+1}`, trained on input-output data by Adam, with the
gradient written out by hand (NumPy, batched). Chapter 10 trains it on targets with short
and with long memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._validation import (
    check_positive_float,
    check_positive_int,
    check_real_array,
)
from .linear_rnn import check_weights
from .reproducibility import rng as _rng

__all__ = [
    "tanh_rnn_loss_and_grad",
    "TanhTrainingResult",
    "train_tanh_rnn",
]


def tanh_rnn_loss_and_grad(
    W: ArrayLike, U: ArrayLike, c: ArrayLike, x: ArrayLike, y: ArrayLike
) -> tuple[float, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    r"""Relative mean-squared error of a tanh RNN on a batch, and its gradient (BPTT).

    The network is :math:`h_{k+1} = \tanh(W h_k + U x_k)`, :math:`h_0 = 0`,
    :math:`\hat y_k = c^\top h_{k+1}` (the output at step :math:`k` reads the state that
    has seen :math:`x_0, \dots, x_k`), and the loss is
    :math:`\sum_{b,k} (\hat y_{b,k} - y_{b,k})^2 / \sum_{b,k} y_{b,k}^2`. The gradient is
    back-propagation through time written out by hand (the tests compare it with
    ``torch.autograd``); one call costs two loops over time of batched matrix products.

    Parameters
    ----------
    W : array_like
        Shape ``(m, m)``.
    U : array_like
        Shape ``(m, d)``.
    c : array_like
        Shape ``(m,)``.
    x : array_like
        Inputs, shape ``(batch, n_t, d)``.
    y : array_like
        Targets, shape ``(batch, n_t)``.

    Returns
    -------
    tuple
        ``(loss, (dW, dU, dc))``.

    Used in
    -------
    Used by :func:`train_tanh_rnn` (in :doc:`/chapters/10_curse_of_memory`).
    """
    W, U, c = check_weights(W, U, c)
    x = check_real_array("x", x, ndim=3)
    y = check_real_array("y", y, ndim=2)
    if x.shape[:2] != y.shape or x.shape[2] != U.shape[1]:
        raise ValueError(
            f"x must have shape (batch, n_t, d) = {y.shape + (U.shape[1],)} to match y and U, got {x.shape}"
        )
    batch, n_t, _ = x.shape
    m = W.shape[0]
    hs = np.zeros((n_t + 1, batch, m))
    for k in range(n_t):
        hs[k + 1] = np.tanh(hs[k] @ W.T + x[:, k] @ U.T)
    yhat = np.einsum("kbm,m->bk", hs[1:], c)
    norm = float(np.sum(y**2))
    res = yhat - y
    loss = float(np.sum(res**2)) / norm
    dy = 2.0 * res / norm  # (batch, n_t)
    dc = np.einsum("bk,kbm->m", dy, hs[1:])
    dW = np.zeros_like(W)
    dU = np.zeros_like(U)
    dh = np.zeros((batch, m))
    for k in range(n_t - 1, -1, -1):
        dh = dh + dy[:, k, None] * c[None, :]
        dz = dh * (1.0 - hs[k + 1] ** 2)
        dW += dz.T @ hs[k]
        dU += dz.T @ x[:, k]
        dh = dz @ W
    return loss, (dW, dU, dc)


@dataclass(frozen=True)
class TanhTrainingResult:
    r"""Result of :func:`train_tanh_rnn`.

    Attributes
    ----------
    losses : numpy.ndarray
        Relative training loss before each step, shape ``(steps,)``.
    W, U, c : numpy.ndarray
        Final weights.

    Used in
    -------
    :doc:`/chapters/10_curse_of_memory`.
    """

    losses: np.ndarray
    W: np.ndarray
    U: np.ndarray
    c: np.ndarray


def train_tanh_rnn(
    x: ArrayLike,
    y: ArrayLike,
    m: int,
    steps: int,
    lr: float = 1e-2,
    batch_size: int = 32,
    seed: int | np.random.Generator = 0,
    init_scale: float = 0.5,
) -> TanhTrainingResult:
    r"""Train the tanh RNN of :func:`tanh_rnn_loss_and_grad` by Adam (``torch.optim.Adam``) on mini-batches.

    The gradient is the hand-written back-propagation through time of
    :func:`tanh_rnn_loss_and_grad`; ``torch.optim.Adam`` (default settings) makes the update.

    Initialisation (seeded): :math:`W` with i.i.d. :math:`N(0, \text{init\_scale}^2/m)`
    entries (spectral radius about ``init_scale``), :math:`U` and :math:`c` with
    :math:`N(0, 1/m)` entries. Mini-batches are drawn with replacement from the rows of ``x``.

    Parameters
    ----------
    x : array_like
        Training inputs, shape ``(n, n_t, d)``.
    y : array_like
        Training targets, shape ``(n, n_t)``.
    m : int
        Width.
    steps : int
        Number of Adam steps.
    lr : float
        Learning rate.
    batch_size : int
        Mini-batch size.
    seed : int or numpy.random.Generator
        Seed of the initialisation and of the batches.
    init_scale : float
        Scale of the initial recurrent weights.

    Returns
    -------
    TanhTrainingResult

    Used in
    -------
    :doc:`/chapters/10_curse_of_memory` (:prf:ref:`thm-inverse`).
    """
    x = check_real_array("x", x, ndim=3)
    y = check_real_array("y", y, ndim=2)
    if x.shape[:2] != y.shape:
        raise ValueError(
            f"x must have shape (n, n_t, d) with (n, n_t) = {y.shape}, got {x.shape}"
        )
    m = check_positive_int("m", m)
    steps = check_positive_int("steps", steps)
    lr = check_positive_float("lr", lr)
    batch_size = check_positive_int("batch_size", batch_size)
    init_scale = check_positive_float("init_scale", init_scale)
    import torch

    gen = _rng(seed)
    d = x.shape[2]
    params = [
        init_scale * gen.standard_normal((m, m)) / np.sqrt(m),
        gen.standard_normal((m, d)) / np.sqrt(m),
        gen.standard_normal(m) / np.sqrt(m),
    ]
    tensors = [
        torch.from_numpy(p) for p in params
    ]  # share memory with params
    opt = torch.optim.Adam(tensors, lr=lr)
    losses = np.empty(steps)
    for it in range(steps):
        idx = gen.integers(0, x.shape[0], size=batch_size)
        loss, grads = tanh_rnn_loss_and_grad(
            params[0], params[1], params[2], x[idx], y[idx]
        )
        losses[it] = loss
        for tensor, g in zip(tensors, grads, strict=True):
            tensor.grad = torch.from_numpy(np.ascontiguousarray(g))
        opt.step()
    return TanhTrainingResult(losses, *params)
