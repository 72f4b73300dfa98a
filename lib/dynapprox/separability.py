r"""Linear separability of labelled points in the plane.

A binary labelling :math:`y_i \in \{0, 1\}` of points :math:`x_i \in \mathbb R^2` is
*linearly separable* if some half-plane contains exactly the points labelled 1. The
*best linear accuracy*

.. math::

    \mathrm{acc}^*(x, y) = \max_{w \in \mathbb R^2,\ c \in \mathbb R}
    \frac1N \#\{ i : \mathbf 1\{w^\top x_i + c > 0\} = y_i \}

measures how far a labelling is from separable (it equals 1 exactly when the labels are
separable). In the plane it is computed *exactly* by :func:`best_linear_accuracy_2d`:
an optimal half-plane can be moved, without changing the side of any point, until its
boundary passes through two data points; both of those can then be put on either side by
an arbitrarily small move, so

.. math::

    N\,\mathrm{acc}^* = 2 + \max_{i < j}\ \max_{s = \pm 1}
    \#\{k \ne i, j : \mathbf 1\{s\, \det(x_j - x_i, x_k - x_i) > 0\} = y_k\}

for points in general position (no three on a line), an :math:`O(N^3)` enumeration.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._validation import check_positive_int, check_real_array

__all__ = ["best_linear_accuracy_2d", "halfplane_accuracy"]


def _check_points_labels(
    x: ArrayLike, y: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    x = check_real_array("x", x, ndim=2, min_size=2)
    if x.shape[1] != 2:
        raise ValueError(
            f"x must have shape [N, 2] (points in the plane), got {x.shape}"
        )
    y = check_real_array("y", y, ndim=1)
    if y.shape[0] != x.shape[0]:
        raise ValueError(
            f"y must have one label per point ({x.shape[0]}), got {y.shape[0]}"
        )
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must contain only labels 0 and 1")
    if x.shape[0] < 2:
        raise ValueError("x must contain at least 2 points")
    return x, y.astype(bool)


def halfplane_accuracy(
    x: ArrayLike, y: ArrayLike, w: ArrayLike, c: float
) -> float:
    r"""Accuracy of the linear classifier :math:`\mathbf 1\{w^\top x + c > 0\}`.

    Parameters
    ----------
    x : array_like
        Points, shape ``[N, 2]``.
    y : array_like
        Labels in :math:`\{0, 1\}`, shape ``[N]``.
    w : array_like
        Normal vector, shape ``[2]``.
    c : float
        Offset.

    Returns
    -------
    acc : float
        Fraction of points classified correctly.

    Used in
    -------
    :doc:`/chapters/02_composition_dynamics` (:prf:ref:`prop-best-linear`).
    """
    x, y = _check_points_labels(x, y)
    w = check_real_array("w", w, ndim=1)
    if w.shape != (2,):
        raise ValueError(f"w must have shape [2], got {w.shape}")
    return float(np.mean((x @ w + float(c) > 0) == y))


def best_linear_accuracy_2d(
    x: ArrayLike, y: ArrayLike, chunk: int = 4096
) -> float:
    r"""Exact best accuracy :math:`\mathrm{acc}^*` of a linear classifier on points in the plane.

    Enumerates all lines through two data points (see the module docstring), vectorised
    over chunks of pairs. Assumes general position (no three points collinear), which
    holds with probability one for points drawn from a density; with collinear triples
    the result is still a valid *upper* bound.

    Parameters
    ----------
    x : array_like
        Points, shape ``[N, 2]``, ``N >= 2``.
    y : array_like
        Labels in :math:`\{0, 1\}`, shape ``[N]``.
    chunk : int
        Number of pairs processed at once (memory ``~ 8 * chunk * N`` bytes).

    Returns
    -------
    acc : float
        :math:`\mathrm{acc}^* \in [\tfrac12, 1]`; ``1.0`` iff the labels are linearly separable.

    Used in
    -------
    :doc:`/chapters/02_composition_dynamics` (:prf:ref:`prop-best-linear`).
    """
    x, y = _check_points_labels(x, y)
    chunk = check_positive_int("chunk", chunk)
    n = x.shape[0]
    i_idx, j_idx = np.triu_indices(n, k=1)
    yf = y.astype(float)
    best = 0
    for start in range(0, i_idx.size, chunk):
        i, j = i_idx[start : start + chunk], j_idx[start : start + chunk]
        d = x[j] - x[i]  # [P, 2]
        # det(x_j - x_i, x_k - x_i) = d_0 x_{k,2} - d_1 x_{k,1} - (d_0 x_{i,2} - d_1 x_{i,1})
        offset = d[:, 0] * x[i, 1] - d[:, 1] * x[i, 0]
        cross = (
            np.outer(d[:, 0], x[:, 1])
            - np.outer(d[:, 1], x[:, 0])
            - offset[:, None]
        )  # [P, N]
        rows = np.arange(i.size)
        cross[rows, i] = (
            0.0  # the two points on the line are counted apart
        )
        cross[rows, j] = 0.0
        pos = (cross > 0).astype(float)
        neg = (cross < 0).astype(float)
        # side s = +1 predicts 1 on the positive side, s = -1 on the negative side
        correct_plus = pos @ yf + neg @ (1.0 - yf)
        correct_minus = neg @ yf + pos @ (1.0 - yf)
        best = max(
            best,
            int(
                round(
                    float(np.max(np.maximum(correct_plus, correct_minus)))
                )
            ),
        )
    return min(best + 2, n) / n
