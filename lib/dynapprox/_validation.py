"""Argument checks shared by the package.

Every public function of :mod:`dynapprox` validates its input with these helpers,
so that bad input fails at once with a message that names the argument and the
expected form, instead of failing later with an obscure shape error.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = [
    "check_positive_int",
    "check_nonnegative_int",
    "check_positive_float",
    "check_finite_float",
    "check_real_array",
    "check_callable",
    "check_in",
    "check_kernel_samples",
    "check_float_tensor",
]


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an ``int`` if it is an integer >= 1, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a positive integer, got {value!r} of type {type(value).__name__}"
        )
    if value < 1:
        raise ValueError(
            f"{name} must be a positive integer (>= 1), got {value}"
        )
    return int(value)


def check_nonnegative_int(name: str, value: Any) -> int:
    """Return ``value`` as an ``int`` if it is an integer >= 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a non-negative integer, got {value!r} of type {type(value).__name__}"
        )
    if value < 0:
        raise ValueError(
            f"{name} must be a non-negative integer (>= 0), got {value}"
        )
    return int(value)


def check_finite_float(name: str, value: Any) -> float:
    """Return ``value`` as a finite ``float``, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {value!r} of type {type(value).__name__}"
        )
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive_float(name: str, value: Any) -> float:
    """Return ``value`` as a finite ``float`` > 0, else raise."""
    value = check_finite_float(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def check_real_array(
    name: str,
    value: Any,
    ndim: int | tuple[int, ...] | None = None,
    min_size: int = 1,
    finite: bool = True,
) -> np.ndarray:
    """Return ``value`` as a float ``ndarray`` after checking its form.

    Parameters
    ----------
    name : str
        The argument's name, used in error messages.
    value : array_like
        Anything :func:`numpy.asarray` accepts.
    ndim : int or tuple of int, optional
        Required number of dimensions (or the allowed ones).
    min_size : int
        Minimum number of entries.
    finite : bool
        Whether NaN and infinities are rejected.
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be an array of real numbers, got {type(value).__name__}"
        ) from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(
                f"{name} must have {' or '.join(map(str, allowed))} dimension(s), got shape {arr.shape}"
            )
    if arr.size < min_size:
        raise ValueError(
            f"{name} must have at least {min_size} entries, got {arr.size}"
        )
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values")
    return arr


def check_callable(name: str, value: Any) -> Any:
    """Return ``value`` if it is callable, else raise ``TypeError``."""
    if not callable(value):
        raise TypeError(
            f"{name} must be callable, got {type(value).__name__}"
        )
    return value


def check_in(name: str, value: Any, allowed: tuple[Any, ...]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError``."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def check_kernel_samples(
    name: str, value: Any, min_rows: int = 1
) -> np.ndarray:
    """Return sampled kernel values as a float array of shape ``(n_t, d)`` (``(n_t,)`` is read as ``d = 1``).

    At least ``min_rows`` time samples are required.
    """
    arr = check_real_array(name, value, ndim=(1, 2), min_size=min_rows)
    arr = arr[:, None] if arr.ndim == 1 else arr
    if arr.shape[0] < min_rows:
        raise ValueError(
            f"{name} must have at least {min_rows} time samples (rows), got shape {arr.shape}"
        )
    return arr


def check_float_tensor(
    name: str, value: Any, ndim: int | None = None
) -> torch.Tensor:
    """Return ``value`` if it is a non-empty floating-point ``torch.Tensor`` (with ``ndim`` axes), else raise."""
    import torch

    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor, got {type(value).__name__}"
        )
    if not torch.is_floating_point(value):
        raise TypeError(
            f"{name} must be a floating-point tensor, got dtype {value.dtype}"
        )
    if ndim is not None and value.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimension(s), got shape {tuple(value.shape)}"
        )
    if value.numel() == 0:
        raise ValueError(
            f"{name} must not be empty, got shape {tuple(value.shape)}"
        )
    return value
