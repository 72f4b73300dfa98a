"""Argument checks shared by the modules of :mod:`dynapprox.control` (tensors, weights, states).

The names are public within the subpackage (like :mod:`dynapprox._validation`); the module
itself is private and not documented in the reference.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .._validation import check_finite_float, check_positive_float

__all__ = [
    "LossFn",
    "check_tensor",
    "check_params",
    "check_states",
    "check_x0",
    "check_step_args",
]

#: a terminal loss ``loss_fn(xN, y)`` returning the scalar batch mean
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def check_tensor(
    name: str, value: object, ndim: int | None = None
) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor, got {type(value).__name__}"
        )
    if not value.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor, got dtype {value.dtype}"
        )
    if ndim is not None and value.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions, got shape {tuple(value.shape)}"
        )
    if not torch.all(torch.isfinite(value)):
        raise ValueError(f"{name} must contain only finite values")
    return value


def check_params(W: object, b: object) -> tuple[int, int]:
    W = check_tensor("W", W, 3)
    b = check_tensor("b", b, 2)
    n_layers, d, d2 = W.shape
    if d != d2:
        raise ValueError(
            f"W must have shape (N, d, d), got {tuple(W.shape)}"
        )
    if tuple(b.shape) != (n_layers, d):
        raise ValueError(
            f"b must have shape (N, d) = {(n_layers, d)}, got {tuple(b.shape)}"
        )
    if b.dtype != W.dtype:
        raise TypeError(
            f"W and b must have the same dtype, got {W.dtype} and {b.dtype}"
        )
    return n_layers, d


def check_states(
    name: str, states: object, n_layers: int, d: int
) -> torch.Tensor:
    states = check_tensor(name, states, 3)
    if states.shape[0] != n_layers + 1 or states.shape[2] != d:
        raise ValueError(
            f"{name} must have shape (N + 1, B, d) = ({n_layers + 1}, B, {d}), got {tuple(states.shape)}"
        )
    return states


def check_x0(x0: object, d: int, dtype: torch.dtype) -> torch.Tensor:
    x0 = check_tensor("x0", x0, 2)
    if x0.shape[1] != d:
        raise ValueError(
            f"x0 must have shape (B, d) with d = {d}, got {tuple(x0.shape)}"
        )
    if x0.dtype != dtype:
        raise TypeError(
            f"x0 must have the dtype of the weights ({dtype}), got {x0.dtype}"
        )
    return x0


def check_step_args(
    h: float, reg: float, rho: float
) -> tuple[float, float, float]:
    h = check_positive_float("h", h)
    reg = check_finite_float("reg", reg)
    if reg < 0:
        raise ValueError(f"reg must be >= 0, got {reg}")
    rho = check_finite_float("rho", rho)
    if rho < 0:
        raise ValueError(
            f"rho must be >= 0 (rho = 0 is plain MSA), got {rho}"
        )
    return h, reg, rho
