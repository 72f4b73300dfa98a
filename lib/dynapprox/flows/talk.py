r"""The two-dimensional example of the talk: a forced van der Pol-type field and its data.

:func:`talk_vector_field` is the field

.. math::

    \dot x_1 = -x_2 \sin t, \qquad \dot x_2 = -\tfrac12 (1 - x_1^2)\, x_2 + x_1 \cos t,

and :func:`talk_example_dataset` labels points by the side of the line
:math:`\{z_1 = 0\}` their images under its time-:math:`T` flow lie on, so that the
data are separated by a linear classifier after the flow, by construction.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .._validation import (
    check_finite_float,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
)
from .integrators import odeint

__all__ = ["talk_vector_field", "talk_example_dataset"]


def talk_vector_field(t: float, x: torch.Tensor) -> torch.Tensor:
    r"""The talk's example, a forced van der Pol-type field in the plane.

    .. math::

        \dot x_1 = -x_2 \sin t, \qquad
        \dot x_2 = -\tfrac12 (1 - x_1^2)\, x_2 + x_1 \cos t .

    Parameters
    ----------
    t : float
        Time.
    x : torch.Tensor
        States, shape ``[batch, 2]``.

    Returns
    -------
    dx : torch.Tensor
        :math:`\dot x`, shape ``[batch, 2]``.

    Used in
    -------
    :doc:`/chapters/02_composition_dynamics`.
    """
    if x.ndim != 2 or x.shape[-1] != 2:
        raise ValueError(
            f"x must have shape [batch, 2], got {tuple(x.shape)}"
        )
    x1, x2 = x[:, 0], x[:, 1]
    d1 = -x2 * math.sin(t)
    d2 = -0.5 * (1.0 - x1**2) * x2 + x1 * math.cos(t)
    return torch.stack([d1, d2], dim=-1)


def talk_example_dataset(
    n_points: int,
    T: float = 1.5,
    box: float = 2.0,
    margin: tuple[float, float] = (0.05, 0.5),
    bound: float = 3.0,
    steps_per_unit_time: int = 100,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""Points labelled by the talk's flow: the pull-back of the half-plane :math:`\{z_1 > 0\}`.

    Inputs :math:`x` are drawn uniformly from :math:`[-\text{box}, \text{box}]^2` and
    moved by the flow :math:`\varphi_T` of :func:`talk_vector_field` (RK4,
    ``steps_per_unit_time`` steps per unit of time). A point is kept if its trajectory
    stays in :math:`\|x_t\|_\infty < \text{bound}` on :math:`[0, T]` (outside the strip
    :math:`|x_1| < 1` the field is anti-damped and some trajectories blow up) and if
    :math:`\text{margin}_0 < |x_{T,1}| < \text{margin}_1`. Its label is
    :math:`y = \mathbf 1\{x_{T,1} > 0\}`, so the data are separated by the linear
    classifier :math:`g(z) = \mathbf 1\{z_1 > 0\}` after the flow, with margin
    :math:`\text{margin}_0`, by construction.

    Parameters
    ----------
    n_points : int
        Number of points returned.
    T : float
        Horizon of the flow.
    box : float
        Half-width of the square the inputs are drawn from.
    margin : tuple of float
        ``(low, high)`` with ``0 <= low < high``: the kept range of :math:`|x_{T,1}|`.
    bound : float
        Trajectories leaving :math:`\|x\|_\infty < \text{bound}` are rejected.
    steps_per_unit_time : int
        RK4 steps per unit of time.
    seed : int
        Seed of the NumPy generator that draws the inputs.

    Returns
    -------
    x0 : torch.Tensor
        Inputs, shape ``[n_points, 2]``, float64.
    xT : torch.Tensor
        Their images :math:`\varphi_T(x_0)`, shape ``[n_points, 2]``.
    y : torch.Tensor
        Labels :math:`\mathbf 1\{x_{T,1} > 0\}`, shape ``[n_points]``, float64.

    Used in
    -------
    :doc:`/chapters/02_composition_dynamics`.
    """

    n_points = check_positive_int("n_points", n_points)
    T = check_positive_float("T", T)
    box = check_positive_float("box", box)
    bound = check_positive_float("bound", bound)
    steps_per_unit_time = check_positive_int(
        "steps_per_unit_time", steps_per_unit_time
    )
    if not (isinstance(margin, (tuple, list)) and len(margin) == 2):
        raise TypeError(
            f"margin must be a pair (low, high), got {margin!r}"
        )
    low, high = (
        check_finite_float("margin[0]", margin[0]),
        check_finite_float("margin[1]", margin[1]),
    )
    if not 0 <= low < high:
        raise ValueError(
            f"margin must satisfy 0 <= low < high, got {margin}"
        )
    rng = np.random.default_rng(check_nonnegative_int("seed", seed))
    n_steps = max(1, int(round(steps_per_unit_time * T)))
    xs, zs = [], []
    kept = 0
    for _ in range(1000):
        cand = torch.tensor(
            rng.uniform(-box, box, size=(max(4 * n_points, 256), 2)),
            dtype=torch.float64,
        )
        with torch.no_grad():
            traj = odeint(
                talk_vector_field,
                cand,
                0.0,
                T,
                n_steps,
                "rk4",
                return_trajectory=True,
            )
        inside = torch.all(
            torch.isfinite(traj) & (traj.abs() < bound), dim=2
        ).all(dim=0)
        z1 = traj[-1, :, 0].abs()
        ok = inside & (z1 > low) & (z1 < high)
        xs.append(cand[ok])
        zs.append(traj[-1][ok])
        kept += int(ok.sum())
        if kept >= n_points:
            break
    else:  # pragma: no cover - only for absurd parameters
        raise ValueError(
            "could not draw enough points: widen margin or box, or lower T"
        )
    x0 = torch.cat(xs)[:n_points]
    xT = torch.cat(zs)[:n_points]
    return x0, xT, (xT[:, 0] > 0).to(torch.float64)
