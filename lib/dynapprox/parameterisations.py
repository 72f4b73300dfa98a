r"""Parameterisations of the recurrent weights of a modal (diagonal) linear RNN.

A mode of a stable linear RNN has an eigenvalue :math:`\lambda = -r + i\omega` with decay
rate :math:`r > 0`. A *parameterisation* writes the decay rate as a function of a
trainable weight, :math:`r = f(w)`, so that :math:`\operatorname{Re}\lambda = -f(w)`. Every
name below has this one meaning (the weight is mapped to the **decay rate**):

============  ==============================  ==============================  ==========================
name          :math:`r = f(w)`                stable for                      gradient scale
============  ==============================  ==============================  ==========================
``direct``    :math:`w`                       :math:`w > 0` only              :math:`1/w^2`
``exp``       :math:`e^{w}`                   every :math:`w`                 :math:`e^{-w}`
``softplus``  :math:`\log(1 + e^{w})`         every :math:`w`                 :math:`\sigma(w)/\log^2(1+e^w)`
``best``      :math:`1/(a w^2 + b)`           every :math:`w`                 :math:`2a\abs{w}`
============  ==============================  ==============================  ==========================

``exp`` is the S4D-style choice :math:`W = -\exp(M)`, ``softplus`` :math:`W = -\mathrm{softplus}(M)`,
and ``best`` (:math:`a, b > 0`) the reparameterisation of Wang and Li (StableSSM), whose
gradient scale :math:`\abs{f'(w)}/f(w)^2` (:func:`gradient_scale`) is proportional to the
weight. The last three are *stable reparameterisations*: every real weight gives a
decaying mode.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._validation import check_in, check_positive_float, check_real_array

__all__ = [
    "PARAMETERISATIONS",
    "rate",
    "weight",
    "rate_derivative",
    "gradient_scale",
    "torch_rate",
]

#: The parameterisations :math:`r = f(w)` of a decay rate (see the module docstring).
PARAMETERISATIONS: tuple[str, ...] = ("direct", "exp", "softplus", "best")


def check_ab(a: Any, b: Any) -> tuple[float, float]:
    """Return the parameters ``(a, b)`` of ``"best"`` as positive floats, else raise."""
    return check_positive_float("a", a), check_positive_float("b", b)


def rate(
    w: ArrayLike, parameterisation: str, a: float = 1.0, b: float = 0.5
) -> np.ndarray:
    r"""The decay rate :math:`r = f(w)` of a weight, :math:`\operatorname{Re}\lambda = -r`.

    Parameters
    ----------
    w : array_like
        Weights.
    parameterisation : str
        One of :data:`PARAMETERISATIONS`.
    a : float
        Parameter of ``"best"``, positive.
    b : float
        Parameter of ``"best"``, positive (then :math:`r \le 1/b`).

    Returns
    -------
    numpy.ndarray
        :math:`f(w)`, same shape as ``w``.

    Used in
    -------
    :doc:`/chapters/10_curse_of_memory` (:prf:ref:`prop-curse-sensitivity`),
    :doc:`/chapters/12_state_space_models`.
    """
    w = check_real_array("w", w, ndim=None)
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    a, b = check_ab(a, b)
    if parameterisation == "direct":
        return w.copy()
    if parameterisation == "exp":
        return np.exp(w)
    if parameterisation == "softplus":
        return np.logaddexp(0.0, w)
    return 1.0 / (a * w**2 + b)


def weight(
    r: ArrayLike, parameterisation: str, a: float = 1.0, b: float = 0.5
) -> np.ndarray:
    r"""Inverse of :func:`rate`: the weight :math:`w = f^{-1}(r)` of a decay rate :math:`r > 0`.

    For ``"best"`` the root :math:`w \ge 0` is returned, and :math:`r \le 1/b` is required.

    Parameters
    ----------
    r : array_like
        Positive decay rates.
    parameterisation : str
        One of :data:`PARAMETERISATIONS`.
    a : float
        Parameter of ``"best"``.
    b : float
        Parameter of ``"best"``.

    Returns
    -------
    numpy.ndarray
        :math:`f^{-1}(r)`, same shape as ``r``.

    Used in
    -------
    :doc:`/chapters/10_curse_of_memory`, :doc:`/chapters/12_state_space_models`.
    """
    r = check_real_array("r", r, ndim=None)
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    a, b = check_ab(a, b)
    if np.any(r <= 0):
        raise ValueError(
            "r must be positive (a stable mode has a positive decay rate)"
        )
    if parameterisation == "direct":
        return r.copy()
    if parameterisation == "exp":
        return np.log(r)
    if parameterisation == "softplus":
        return r + np.log(
            -np.expm1(-r)
        )  # log(e^r - 1), stable for small and large r
    if np.any(r > 1.0 / b):
        raise ValueError(
            f"r must be <= 1/b = {1.0 / b:g} for the 'best' parameterisation"
        )
    return np.sqrt(np.maximum(1.0 / r - b, 0.0) / a)


def rate_derivative(
    w: ArrayLike, parameterisation: str, a: float = 1.0, b: float = 0.5
) -> np.ndarray:
    r"""The derivative :math:`f'(w)` of :func:`rate`.

    Parameters
    ----------
    w : array_like
        Weights.
    parameterisation : str
        One of :data:`PARAMETERISATIONS`.
    a : float
        Parameter of ``"best"``.
    b : float
        Parameter of ``"best"``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``w``.

    Used in
    -------
    Used by :func:`dynapprox.training.kernel_l2_loss_and_grad` and :func:`gradient_scale`
    (in :doc:`/chapters/10_curse_of_memory`, :doc:`/chapters/12_state_space_models`).
    """
    w = check_real_array("w", w, ndim=None)
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    a, b = check_ab(a, b)
    if parameterisation == "direct":
        return np.ones_like(w)
    if parameterisation == "exp":
        return np.exp(w)
    if parameterisation == "softplus":
        return 1.0 / (1.0 + np.exp(-w))
    return -2 * a * w / (a * w**2 + b) ** 2


def gradient_scale(
    w: ArrayLike, parameterisation: str, a: float = 1.0, b: float = 0.5
) -> np.ndarray:
    r"""The gradient scale :math:`\abs{f'(w)} / f(w)^2` of a parameterisation.

    For the kernel loss, :math:`\abs{\partial L / \partial w_i} \le C_i\, \abs{f'(w_i)}/f(w_i)^2`
    (see :func:`dynapprox.training.kernel_loss_gradients`); the scale is :math:`1/w^2`
    (``"direct"``), :math:`e^{-w}` (``"exp"``), :math:`\sigma(w)/\log^2(1+e^w)`
    (``"softplus"``) and :math:`2a\abs{w}` (``"best"``).

    Parameters
    ----------
    w : array_like
        Weights.
    parameterisation : str
        One of :data:`PARAMETERISATIONS`.
    a : float
        Parameter of ``"best"``.
    b : float
        Parameter of ``"best"``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``w`` (``inf`` where :math:`f(w) = 0`).

    Used in
    -------
    :doc:`/chapters/12_state_space_models`.
    """
    r = rate(w, parameterisation, a, b)
    d = np.abs(rate_derivative(w, parameterisation, a, b))
    with np.errstate(divide="ignore"):
        return np.where(r == 0, np.inf, d / np.where(r == 0, 1.0, r) ** 2)


def torch_rate(
    w: Any, parameterisation: str, a: float = 1.0, b: float = 0.5
) -> Any:
    r"""The decay rate :math:`f(w)` of a ``torch.Tensor`` of weights (differentiable).

    Parameters
    ----------
    w : torch.Tensor
        Weights.
    parameterisation : str
        One of :data:`PARAMETERISATIONS`.
    a : float
        Parameter of ``"best"``.
    b : float
        Parameter of ``"best"``.

    Returns
    -------
    torch.Tensor
        :math:`f(w)`, same shape as ``w``.

    Used in
    -------
    Used by :func:`dynapprox.training.train_diagonal_ssm` (in :doc:`/chapters/12_state_space_models`).
    """
    import torch

    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    a, b = check_ab(a, b)
    if not isinstance(w, torch.Tensor):
        raise TypeError(
            f"w must be a torch.Tensor, got {type(w).__name__}"
        )
    if parameterisation == "direct":
        return w
    if parameterisation == "exp":
        return torch.exp(w)
    if parameterisation == "softplus":
        return torch.nn.functional.softplus(w)
    return 1.0 / (a * w**2 + b)
