r"""Fixed-step integrators of :math:`\dot x = f(t, x)`: forward Euler (a ResNet) and RK4.

A residual network :math:`x_{k+1} = x_k + h\, f(x_k, \theta_k)` is the forward Euler
scheme of the controlled dynamics :math:`\dot x_t = f(x_t, \theta_t)`. This module holds

* :func:`odeint` - fixed-step integration of :math:`\dot x = f(t, x)` (forward Euler,
  i.e. a ResNet, or classical fourth-order Runge-Kutta), batched and differentiable
  with PyTorch autograd;
* :func:`piecewise_flow` - the flow map of a field that switches at the :math:`K` equal
  pieces :math:`[kT/K, (k+1)T/K)` of :math:`[0, T]` (piecewise constant controls),
  integrated piece by piece so that no step straddles a switch.

Time is dimensionless throughout: ``T`` is the horizon of the flow and ``h`` the step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from .._validation import (
    check_callable,
    check_finite_float,
    check_float_tensor,
    check_in,
    check_positive_float,
    check_positive_int,
)

__all__ = ["METHODS", "Field", "odeint", "piecewise_flow"]

#: Fixed-step integrators of :func:`odeint` and their orders of convergence.
METHODS: dict[str, int] = {"euler": 1, "rk4": 4}

#: A time-dependent vector field ``f(t, x)`` on batches of states.
Field = Callable[[float, torch.Tensor], torch.Tensor]


def odeint(
    f: Callable[[float, torch.Tensor], torch.Tensor],
    x0: torch.Tensor,
    t0: float = 0.0,
    t1: float = 1.0,
    n_steps: int = 100,
    method: str = "rk4",
    return_trajectory: bool = False,
) -> torch.Tensor:
    r"""Integrate :math:`\dot x = f(t, x)` from :math:`t_0` to :math:`t_1` with a fixed step.

    With :math:`h = (t_1 - t_0)/N` and :math:`t_k = t_0 + k h`, ``method="euler"`` is

    .. math::

        x_{k+1} = x_k + h\, f(t_k, x_k),

    exactly a residual network with :math:`N` layers (global error :math:`O(h)`), and
    ``method="rk4"`` the classical Runge-Kutta scheme

    .. math::

        x_{k+1} = x_k + \tfrac h6 (k_1 + 2k_2 + 2k_3 + k_4),\quad
        k_1 = f(t_k, x_k),\ k_2 = f(t_k + \tfrac h2, x_k + \tfrac h2 k_1),\
        k_3 = f(t_k + \tfrac h2, x_k + \tfrac h2 k_2),\ k_4 = f(t_k + h, x_k + h k_3),

    with global error :math:`O(h^4)` for smooth :math:`f`. Every operation is a torch
    operation, so the result is differentiable in ``x0`` and in any parameter ``f``
    uses.

    Parameters
    ----------
    f : callable
        Vector field ``f(t, x)`` taking a float time ``t`` and a tensor ``x`` of the
        shape of ``x0`` (typically ``[batch, n]``) and returning a tensor of that shape.
    x0 : torch.Tensor
        Initial states, floating point, typically of shape ``[batch, n]``.
    t0 : float
        Initial time.
    t1 : float
        Final time, different from ``t0`` (``t1 < t0`` integrates backwards).
    n_steps : int
        Number :math:`N \ge 1` of steps.
    method : str
        ``"euler"`` or ``"rk4"``.
    return_trajectory : bool
        If true, return all states :math:`x_0, \dots, x_N`.

    Returns
    -------
    x : torch.Tensor
        :math:`x_N \approx x(t_1)`, shape of ``x0``; or, if ``return_trajectory``, the
        trajectory of shape ``[n_steps + 1, *x0.shape]``.

    Used in
    -------
    :doc:`/chapters/02_composition_dynamics` (:prf:ref:`prop-resnet-euler`,
    :prf:ref:`thm-euler-convergence`), :doc:`/chapters/03_flow_approximation` (:prf:ref:`thm-lls`,
    :prf:ref:`prop-1d-monotone`), and through :func:`piecewise_flow` in
    :doc:`/chapters/04_invariant_functions`.
    """
    check_callable("f", f)
    x0 = check_float_tensor("x0", x0)
    t0 = check_finite_float("t0", t0)
    t1 = check_finite_float("t1", t1)
    if t1 == t0:
        raise ValueError(f"t1 must differ from t0, got t0 = t1 = {t0}")
    n_steps = check_positive_int("n_steps", n_steps)
    check_in("method", method, tuple(METHODS))
    h = (t1 - t0) / n_steps

    def field(t: float, x: torch.Tensor) -> torch.Tensor:
        out = f(t, x)
        if not isinstance(out, torch.Tensor) or out.shape != x.shape:
            shape = (
                tuple(out.shape)
                if isinstance(out, torch.Tensor)
                else type(out).__name__
            )
            raise ValueError(
                f"f(t, x) must return a tensor of the shape of x {tuple(x.shape)}, got {shape}"
            )
        return out

    x = x0
    traj = [x0] if return_trajectory else None
    for k in range(n_steps):
        t = t0 + k * h
        if method == "euler":
            x = x + h * field(t, x)
        else:
            k1 = field(t, x)
            k2 = field(t + 0.5 * h, x + (0.5 * h) * k1)
            k3 = field(t + 0.5 * h, x + (0.5 * h) * k2)
            k4 = field(t + h, x + h * k3)
            x = x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        if traj is not None:
            traj.append(x)
    return torch.stack(traj) if traj is not None else x


def piecewise_flow(
    fields: Sequence[Field],
    x0: torch.Tensor,
    T: float,
    method: str = "rk4",
    steps_per_piece: int = 4,
    return_trajectory: bool = False,
) -> torch.Tensor:
    r"""Flow map :math:`\varphi_T` of :math:`\dot x = f_k(t, x)` on the :math:`k`-th of :math:`K` equal pieces.

    The horizon :math:`[0, T]` is cut into :math:`K` = ``len(fields)`` pieces
    :math:`[kT/K, (k+1)T/K)`; piece :math:`k` is integrated by :func:`odeint` with the
    field ``fields[k]`` and ``steps_per_piece`` steps, so the step is
    :math:`h = T/(K s)` and no step straddles a switch of the field. With
    ``method="euler"`` this is a residual network with :math:`K s` layers.

    Parameters
    ----------
    fields : list of callable
        The fields ``f_k(t, x)``, one per piece, :math:`K \ge 1`.
    x0 : torch.Tensor
        Initial states.
    T : float
        Horizon :math:`T > 0`.
    method : str
        ``"euler"`` or ``"rk4"``.
    steps_per_piece : int
        Integration steps per piece, :math:`s \ge 1`.
    return_trajectory : bool
        If true, return the states at all :math:`K s + 1` grid times.

    Returns
    -------
    x : torch.Tensor
        :math:`\varphi_T(x_0)`, shape of ``x0``; or the trajectory, shape
        ``[K * steps_per_piece + 1, *x0.shape]``.

    Used in
    -------
    Used by :func:`dynapprox.flows.controlled.controlled_flow` and
    :class:`dynapprox.invariance.equivariant.EquivariantFlow` (in
    :doc:`/chapters/02_composition_dynamics`, :doc:`/chapters/03_flow_approximation`,
    :doc:`/chapters/04_invariant_functions`).
    """
    fields = list(fields)
    if not fields:
        raise ValueError(
            "fields must contain at least one field (one per piece)"
        )
    T = check_positive_float("T", T)
    check_in("method", method, tuple(METHODS))
    steps_per_piece = check_positive_int(
        "steps_per_piece", steps_per_piece
    )
    K = len(fields)
    dt = T / K
    x = x0
    pieces = [x0[None]] if return_trajectory else None
    for k, f in enumerate(fields):
        out = odeint(
            f,
            x,
            k * dt,
            (k + 1) * dt,
            steps_per_piece,
            method,
            return_trajectory,
        )
        if pieces is not None:
            pieces.append(out[1:])
            x = out[-1]
        else:
            x = out
    return torch.cat(pieces) if pieces is not None else x
