r"""Training the sequence models of :mod:`dynapprox.architectures` by :class:`torch.optim.Adam`."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._validation import (
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real_array,
)

__all__ = ["train_regressor"]


def train_regressor(
    model: Any,
    X: ArrayLike,
    y: ArrayLike,
    steps: int,
    lr: float,
    batch: int,
    seed: int,
    X_test: ArrayLike | None = None,
    y_test: ArrayLike | None = None,
    schedule: str = "constant",
) -> dict[str, Any]:
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

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`prop-attention-perm`).
    """
    steps = check_positive_int("steps", steps)
    lr = check_positive_float("lr", lr)
    batch = check_positive_int("batch", batch)
    if schedule not in ("constant", "cosine"):
        raise ValueError(
            f"schedule must be 'constant' or 'cosine', got {schedule!r}"
        )
    X = check_real_array("X", X, ndim=3)
    y = check_real_array("y", y, ndim=(1, 2))
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y must have the same number of samples, got {X.shape[0]} and {y.shape[0]}"
        )
    if not hasattr(model, "module"):
        raise TypeError(
            "model must have a torch 'module' attribute (LinearRNNSeq or TinyTransformer)"
        )
    dtype = next(model.module.parameters()).dtype
    Xt, yt = torch.tensor(X, dtype=dtype), torch.tensor(y, dtype=dtype)
    g = torch.Generator().manual_seed(check_nonnegative_int("seed", seed))
    opt = torch.optim.Adam(
        [p for p in model.module.parameters() if p.requires_grad], lr=lr
    )
    hist = np.zeros(steps)
    for k in range(steps):
        if schedule == "cosine":
            for group in opt.param_groups:
                group["lr"] = 0.5 * lr * (1.0 + np.cos(np.pi * k / steps))
        idx = torch.randint(
            0, Xt.shape[0], (min(batch, Xt.shape[0]),), generator=g
        )
        opt.zero_grad()
        loss = torch.mean((model.module(Xt[idx]) - yt[idx]) ** 2)
        loss.backward()
        opt.step()
        hist[k] = loss.item()
    Xs = (
        Xt
        if X_test is None
        else torch.tensor(
            check_real_array("X_test", X_test, ndim=3), dtype=dtype
        )
    )
    ys = (
        yt
        if y_test is None
        else torch.tensor(
            check_real_array("y_test", y_test, ndim=(1, 2)), dtype=dtype
        )
    )
    with torch.no_grad():
        test = torch.mean((model.module(Xs) - ys) ** 2).item()
    return {"train": hist, "test": float(test)}
