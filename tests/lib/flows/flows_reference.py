"""Shared references of the flows tests: the talk's nonlinear field and its solve_ivp flow."""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp


def talk_numpy(t: float, x: np.ndarray) -> list[float]:
    """The talk's field f(t, x) = (-x_2 sin t, -(1 - x_1^2) x_2 / 2 + x_1 cos t)."""
    return [
        -x[1] * math.sin(t),
        -0.5 * (1 - x[0] ** 2) * x[1] + x[0] * math.cos(t),
    ]


def solve_ivp_reference(x0: np.ndarray, T: float) -> np.ndarray:
    """The flow map of :func:`talk_numpy` at time T for each row of x0 (DOP853, rtol 1e-12)."""
    return np.array(
        [
            solve_ivp(
                talk_numpy,
                (0.0, T),
                p,
                method="DOP853",
                rtol=1e-12,
                atol=1e-13,
            ).y[:, -1]
            for p in x0
        ]
    )
