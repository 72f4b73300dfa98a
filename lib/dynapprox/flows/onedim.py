r"""One-dimensional flows in closed form and the obstruction to approximating decreasing maps.

In one dimension the flow map of any Lipschitz field is increasing, and Gronwall's
inequality bounds its slopes by :math:`e^{\pm LT}`. This module provides

* :func:`relu_field_flow` - the exact flow of :math:`\dot x = v\,\mathrm{ReLU}(w x + b)`;
* :func:`relu_flow_composition` - the flow of a switched field of that family;
* :func:`pl_flow_controls` - controls whose flow map is a given increasing piecewise
  linear map;
* :func:`flow_sup_error_lower_bound` - how close flows of :math:`L`-Lipschitz fields
  with horizon :math:`T` can come to a target.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import (
    check_finite_float,
    check_positive_float,
    check_real_array,
)

__all__ = [
    "relu_field_flow",
    "relu_flow_composition",
    "pl_flow_controls",
    "flow_sup_error_lower_bound",
]


def _check_controls_1d(controls: ArrayLike) -> np.ndarray:

    c = check_real_array("controls", controls, ndim=(1, 2), min_size=0)
    if c.ndim == 1:
        c = c[None, :]
    if c.shape[-1] != 4:
        raise ValueError(
            f"controls must have 4 columns (v, w, b, tau), got shape {c.shape}"
        )
    if np.any(c[:, 3] < 0):
        raise ValueError(
            "controls[:, 3] (the durations tau) must be non-negative"
        )
    return c


def _check_samples(
    name: str, x: ArrayLike, values: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Strictly increasing points ``x`` (called ``name``) and ``values`` of the same shape ``[N]``, N >= 2."""
    x = check_real_array(name, x, ndim=1, min_size=2)
    v = check_real_array("values", values, ndim=1, min_size=2)
    if v.shape != x.shape:
        raise ValueError(
            f"values must have the shape of {name} {x.shape}, got {v.shape}"
        )
    if np.any(np.diff(x) <= 0):
        raise ValueError(f"{name} must be strictly increasing")
    return x, v


def relu_field_flow(
    x: ArrayLike, v: float, w: float, b: float, tau: float
) -> np.ndarray:
    r"""Exact time-:math:`\tau` flow map of the one-dimensional field :math:`\dot x = v\,\mathrm{ReLU}(w x + b)`.

    With :math:`u = w x + b`: points with :math:`u \le 0` sit where the field vanishes
    and do not move; points with :math:`u > 0` follow :math:`\dot u = v w u`, so
    :math:`u_\tau = u\, e^{v w \tau}` and

    .. math::

        \varphi_\tau(x) = x + \frac{u}{w}\big(e^{v w \tau} - 1\big) \quad (u > 0,\ w \ne 0),
        \qquad \varphi_\tau(x) = x + \tau\, v\,\mathrm{ReLU}(b) \quad (w = 0).

    For :math:`w \ne 0` the map is continuous and piecewise linear, the identity on one
    side of the kink :math:`-b/w` (which it fixes) and of slope :math:`e^{v w \tau}`
    on the other.

    Parameters
    ----------
    x : array_like
        Initial points, any shape.
    v, w, b : float
        Outer weight, inner weight and bias of the field.
    tau : float
        Duration :math:`\tau \ge 0`.

    Returns
    -------
    numpy.ndarray
        :math:`\varphi_\tau(x)`, float64, shape of ``x``.

    Used in
    -------
    Used by :func:`relu_flow_composition` (in :doc:`/chapters/03_flow_approximation`).
    """

    x = check_real_array("x", x, min_size=0)
    v, w, b = (
        check_finite_float("v", v),
        check_finite_float("w", w),
        check_finite_float("b", b),
    )
    tau = check_finite_float("tau", tau)
    if tau < 0:
        raise ValueError(f"tau must be non-negative, got {tau}")
    if w == 0.0:
        return x + tau * v * max(b, 0.0)
    u = w * x + b
    return np.where(u > 0, x + (u / w) * np.expm1(v * w * tau), x)


def relu_flow_composition(x: ArrayLike, controls: ArrayLike) -> np.ndarray:
    r"""Flow map of the switched field :math:`\dot x = v_k\,\mathrm{ReLU}(w_k x + b_k)` on consecutive pieces.

    Piece :math:`k = 0, 1, \dots` lasts :math:`\tau_k`; the result is
    :math:`\varphi = \varphi^{(K-1)}_{\tau_{K-1}} \circ \dots \circ \varphi^{(0)}_{\tau_0}`
    (the first row acts first), evaluated exactly with :func:`relu_field_flow`. The
    horizon is :math:`T = \sum_k \tau_k`.

    Parameters
    ----------
    x : array_like
        Initial points, any shape.
    controls : array_like
        Shape ``[K, 4]``, rows :math:`(v_k, w_k, b_k, \tau_k)`, :math:`\tau_k \ge 0`.

    Returns
    -------
    numpy.ndarray
        :math:`\varphi(x)`, float64, shape of ``x``.

    Used in
    -------
    :doc:`/chapters/03_flow_approximation` (:prf:ref:`thm-lls-1d`, :prf:ref:`prop-pl-flows`).
    """

    out = check_real_array("x", x, min_size=0)
    for v, w, b, tau in _check_controls_1d(controls):
        out = relu_field_flow(out, v, w, b, tau)
    return out


def pl_flow_controls(
    knots: ArrayLike, values: ArrayLike, eta: float = 0.01
) -> tuple[np.ndarray, float]:
    r"""Controls in the ReLU family whose flow map is a given increasing piecewise linear map.

    Let :math:`P` be the continuous piecewise linear map with :math:`P(c_j) = y_j` at
    knots :math:`a = c_0 < \dots < c_k = b` and slopes :math:`s_j > 0`. The returned
    pieces use only fields :math:`v\,\mathrm{ReLU}(w x + b)` with :math:`v \in \{-1, 0, 1\}`
    and :math:`w \in \{0, 1\}`: first, for :math:`j = 1, \dots, k`, the field
    :math:`\operatorname{sign}(\lambda_j)\,\mathrm{ReLU}(x - c'_{j-1})` for the time
    :math:`|\lambda_j|`, :math:`\lambda_j = \log(s_j / s_{j-1})` (:math:`s_0 = 1`), which
    multiplies the slope right of the current image :math:`c'_{j-1} = a + y_{j-1} - y_0`
    of :math:`c_{j-1}` by :math:`s_j/s_{j-1}` and fixes everything left of it; then the
    constant field :math:`\operatorname{sign}(y_0 - a)\,\mathrm{ReLU}(|y_0 - a|/\eta)`
    (:math:`w = 0`) for the time :math:`\eta`, a translation. Pieces of zero duration are
    omitted. On :math:`[a, b]` the flow map equals :math:`P` exactly, and the horizon is

    .. math::

        T = |\log s_1| + \sum_{j=2}^{k} \Big|\log \frac{s_j}{s_{j-1}}\Big| + \eta\,\mathbf 1\{y_0 \ne a\}.

    Parameters
    ----------
    knots : array_like
        Strictly increasing knots :math:`c_0 < \dots < c_k`, :math:`k \ge 1`.
    values : array_like
        Strictly increasing values :math:`y_0 < \dots < y_k`, same length.
    eta : float
        Duration :math:`\eta > 0` of the final translation.

    Returns
    -------
    controls : numpy.ndarray
        Shape ``[K, 4]``, rows :math:`(v, w, b, \tau)` for :func:`relu_flow_composition`.
    T : float
        The horizon :math:`\sum \tau`.

    Used in
    -------
    :doc:`/chapters/03_flow_approximation` (:prf:ref:`thm-lls-1d`, :prf:ref:`prop-pl-flows`).
    """

    c, y = _check_samples("knots", knots, values)
    if np.any(np.diff(y) <= 0):
        raise ValueError(
            "values must be strictly increasing (flow maps in one dimension are increasing)"
        )
    eta = check_positive_float("eta", eta)
    log_s = np.log(np.diff(y) / np.diff(c))
    lam = np.diff(np.concatenate([[0.0], log_s]))
    a = c[0]
    rows = [
        [np.sign(l), 1.0, -(a + y[j] - y[0]), abs(l)]
        for j, l in enumerate(lam)
        if l != 0.0
    ]
    shift = y[0] - a
    if shift != 0.0:
        rows.append([np.sign(shift), 0.0, abs(shift) / eta, eta])
    controls = np.array(rows, dtype=float).reshape(-1, 4)
    return controls, float(np.sum(controls[:, 3]))


def flow_sup_error_lower_bound(
    x: ArrayLike, values: ArrayLike, lipschitz: float, T: float
) -> float:
    r"""Lower bound on the sup distance from a target to one-dimensional flow maps of horizon :math:`T`.

    If every field :math:`f_t` is :math:`L`-Lipschitz, Gronwall's inequality gives
    :math:`e^{-LT}(y - x) \le \varphi(y) - \varphi(x) \le e^{LT}(y - x)` for
    :math:`x < y` and every flow map :math:`\varphi` of horizon :math:`T` (in one
    dimension :math:`\varphi` is increasing). If :math:`|\varphi - F| \le \epsilon` at
    :math:`x` and :math:`y`, then
    :math:`F(y) - F(x) \le e^{LT}(y - x) + 2\epsilon` and
    :math:`F(y) - F(x) \ge e^{-LT}(y - x) - 2\epsilon`. Hence

    .. math::

        \sup |\varphi - F| \ \ge\ \tfrac12 \max_{i < j} \max\Big\{F_j - F_i - e^{LT}(x_j - x_i),\
        e^{-LT}(x_j - x_i) - (F_j - F_i),\ 0\Big\},

    computed here over the sample pairs in :math:`O(N)` operations (running minima).
    Since only sampled pairs are used, the returned number is a valid lower bound for
    the supremum over the interval :math:`[x_0, x_{N-1}]`.

    Parameters
    ----------
    x : array_like
        Strictly increasing sample points, shape ``[N]``, :math:`N \ge 2`.
    values : array_like
        Target values :math:`F_i = F(x_i)`, shape ``[N]``.
    lipschitz : float
        Lipschitz bound :math:`L \ge 0` of the fields.
    T : float
        Horizon :math:`T \ge 0`.

    Returns
    -------
    float
        The lower bound (0 if no pair forces an error).

    Used in
    -------
    :doc:`/chapters/03_flow_approximation` (:prf:ref:`prop-horizon-lower`).
    """

    x, F = _check_samples("x", x, values)
    L = check_finite_float("lipschitz", lipschitz)
    T = check_finite_float("T", T)
    if L < 0:
        raise ValueError(f"lipschitz must be non-negative, got {L}")
    if T < 0:
        raise ValueError(f"T must be non-negative, got {T}")
    best = 0.0
    for g in (F - np.exp(L * T) * x, np.exp(-L * T) * x - F):
        prev_min = np.minimum.accumulate(g)[:-1]
        best = max(best, float(np.max(g[1:] - prev_min)))
    return 0.5 * best
