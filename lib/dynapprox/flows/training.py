r"""Empirical risk minimisation of a model by full-batch Adam (:class:`torch.optim.Adam`).

The training problem of chapters 2-4 is :math:`\min_\theta \frac1N \sum_i
\ell(\text{model}_\theta(x_i), y_i)` on a fixed data set; :func:`train_full_batch`
runs PyTorch's own Adam on the full batch, so that the result depends only on the
model's initial parameters.
"""

from __future__ import annotations

import torch

from .._validation import (
    check_float_tensor,
    check_in,
    check_nonnegative_int,
    check_positive_float,
)

__all__ = ["train_full_batch"]


def train_full_batch(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss: str = "mse",
    n_iter: int = 300,
    lr: float = 1e-2,
) -> list[float]:
    r"""Minimise the empirical risk of ``model`` on ``(x, y)`` by full-batch Adam.

    ``loss="mse"`` is :math:`\frac1N \sum_i \|\text{model}(x_i) - y_i\|^2` (mean over
    all entries); ``loss="bce"`` is the logistic loss of logits ``model(x)`` against
    labels ``y`` in :math:`\{0, 1\}`. Full batches and no randomness: the result depends
    only on the model's initial parameters.

    Parameters
    ----------
    model : torch.nn.Module
        The model, e.g. a :class:`~dynapprox.flows.controlled.ContinuousResNet`.
    x : torch.Tensor
        Inputs, shape ``[N, d]``.
    y : torch.Tensor
        Targets, shape of ``model(x)``.
    loss : str
        ``"mse"`` or ``"bce"``.
    n_iter : int
        Number of Adam steps.
    lr : float
        Learning rate.

    Returns
    -------
    history : list of float
        The loss before each step.

    Used in
    -------
    :doc:`/chapters/02_composition_dynamics`, :doc:`/chapters/03_flow_approximation`
    (:prf:ref:`thm-lls`, :prf:ref:`prop-1d-lower-bound`), :doc:`/chapters/04_invariant_functions`
    (:prf:ref:`thm-invariant-uap`).
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"model must be a torch.nn.Module, got {type(model).__name__}"
        )
    x = check_float_tensor("x", x)
    y = check_float_tensor("y", y)
    check_in("loss", loss, ("mse", "bce"))
    n_iter = check_nonnegative_int("n_iter", n_iter)
    lr = check_positive_float("lr", lr)
    with torch.no_grad():
        out_shape = tuple(model(x[:1]).shape[1:])
    if tuple(y.shape) != (x.shape[0],) + out_shape:
        raise ValueError(
            f"y must have shape {(x.shape[0],) + out_shape} (that of model(x)), got {tuple(y.shape)}"
        )
    if loss == "bce" and not bool(torch.all((y == 0) | (y == 1))):
        raise ValueError(
            "y must contain only labels 0 and 1 for loss='bce'"
        )
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(n_iter):
        opt.zero_grad()
        out = model(x)
        if loss == "mse":
            value = torch.mean((out - y.to(out.dtype)) ** 2)
        else:
            value = torch.nn.functional.binary_cross_entropy_with_logits(
                out, y.to(out.dtype)
            )
        value.backward()
        opt.step()
        history.append(float(value.detach()))
    return history
