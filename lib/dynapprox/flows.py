r"""Flows of ordinary differential equations and continuous-time residual networks.

A residual network :math:`x_{k+1} = x_k + h\, f(x_k, \theta_k)` is the forward Euler
scheme of the controlled dynamics

.. math::

    \dot x_t = f(x_t, \theta_t), \qquad t \in [0, T], \qquad x_0 = x,

and the model's output is :math:`g(\varphi_T(x))`, with :math:`\varphi_T` the flow map
(time-:math:`T` map) and :math:`g` a terminal map. This module provides

* :func:`odeint` - fixed-step integration of :math:`\dot x = f(t, x)` (forward Euler,
  i.e. a ResNet, or classical fourth-order Runge-Kutta), batched and differentiable
  with PyTorch autograd;
* :func:`control_field` and :func:`controlled_flow` - the control family
  :math:`f(x, \theta) = V \sigma(W x + b)` with *piecewise constant* controls
  :math:`\theta_t = \theta_k` on the :math:`K` equal sub-intervals
  :math:`[kT/K, (k+1)T/K)` of :math:`[0, T]`;
* :func:`controlled_flow_exact` - the same flow map computed by an adaptive solver
  (``scipy.integrate.solve_ivp``) with a tight tolerance: the exact flow of given
  weights, to compare with fixed-step schemes;
* :class:`ContinuousResNet` - a :class:`torch.nn.Module` holding the controls and a
  terminal map (identity, coordinate projection, affine map, binary linear
  classifier);
* :func:`train_full_batch` - a deterministic full-batch Adam loop;
* :func:`talk_vector_field` - the two-dimensional example of the talk;
* one-dimensional flows in closed form: :func:`relu_field_flow` (the exact flow of
  :math:`\dot x = v\,\mathrm{ReLU}(w x + b)`), :func:`relu_flow_composition`,
  :func:`pl_flow_controls` (controls whose flow map is a given increasing piecewise
  linear map) and :func:`flow_sup_error_lower_bound` (how close flows of Lipschitz
  fields with horizon :math:`T` can come to a target).

Time is dimensionless throughout: ``T`` is the horizon of the flow and ``h`` the step.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from ._validation import (
    check_callable,
    check_finite_float,
    check_in,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
)

__all__ = [
    "METHODS",
    "ACTIVATIONS",
    "TERMINALS",
    "odeint",
    "talk_vector_field",
    "talk_example_dataset",
    "control_field",
    "controlled_flow",
    "controlled_flow_exact",
    "ContinuousResNet",
    "train_full_batch",
    "relu_field_flow",
    "relu_flow_composition",
    "pl_flow_controls",
    "flow_sup_error_lower_bound",
]

#: Fixed-step integrators of :func:`odeint` and their orders of convergence.
METHODS: dict[str, int] = {"euler": 1, "rk4": 4}

#: Activations :math:`\sigma` of the control family, applied entrywise.
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "softplus": torch.nn.functional.softplus,
}

#: Terminal maps :math:`g` of :class:`ContinuousResNet`.
TERMINALS: tuple[str, ...] = ("identity", "projection", "affine", "classifier")


def _check_tensor(name: str, value, ndim: int | None = None) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not torch.is_floating_point(value):
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {tuple(value.shape)}")
    if value.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(value.shape)}")
    return value


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
    """
    check_callable("f", f)
    x0 = _check_tensor("x0", x0)
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
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(f"f(t, x) must return a tensor of the shape of x {tuple(x.shape)}, got {shape}")
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
    """
    if x.ndim != 2 or x.shape[-1] != 2:
        raise ValueError(f"x must have shape [batch, 2], got {tuple(x.shape)}")
    x1, x2 = x[:, 0], x[:, 1]
    d1 = -x2 * math.sin(t)
    d2 = -0.5 * (1.0 - x1**2) * x2 + x1 * math.cos(t)
    return torch.stack([d1, d2], dim=-1)


def _check_controls(W: torch.Tensor, b: torch.Tensor, V: torch.Tensor, pieces: bool) -> tuple[int, int, int]:
    nd = 3 if pieces else 2
    W = _check_tensor("W", W, nd)
    b = _check_tensor("b", b, nd - 1)
    V = _check_tensor("V", V, nd)
    m, n = W.shape[-2], W.shape[-1]
    if b.shape[-1] != m:
        raise ValueError(f"b must have width {m} (rows of W) in its last axis, got shape {tuple(b.shape)}")
    if V.shape[-2:] != (n, m):
        raise ValueError(f"V must have trailing shape ({n}, {m}) (the transpose of W's), got {tuple(V.shape)}")
    if pieces and not (W.shape[0] == b.shape[0] == V.shape[0]):
        raise ValueError(
            f"W, b, V must have the same number of pieces K in axis 0, got {W.shape[0]}, {b.shape[0]}, {V.shape[0]}"
        )
    return (W.shape[0] if pieces else 1), m, n


def control_field(
    x: torch.Tensor, W: torch.Tensor, b: torch.Tensor, V: torch.Tensor, activation: str = "tanh"
) -> torch.Tensor:
    r"""The control family :math:`f(x, \theta) = V \sigma(W x + b)`, :math:`\theta = (W, b, V)`.

    Parameters
    ----------
    x : torch.Tensor
        States, shape ``[batch, n]``.
    W : torch.Tensor
        Inner weights, shape ``[m, n]`` (``m`` is the width).
    b : torch.Tensor
        Biases, shape ``[m]``.
    V : torch.Tensor
        Outer weights, shape ``[n, m]``.
    activation : str
        A key of :data:`ACTIVATIONS`.

    Returns
    -------
    dx : torch.Tensor
        :math:`f(x, \theta)`, shape ``[batch, n]``.
    """
    x = _check_tensor("x", x, 2)
    _, _, n = _check_controls(W, b, V, pieces=False)
    check_in("activation", activation, tuple(ACTIVATIONS))
    if x.shape[1] != n:
        raise ValueError(f"x must have {n} columns (the columns of W), got shape {tuple(x.shape)}")
    return ACTIVATIONS[activation](x @ W.T + b) @ V.T


def controlled_flow(
    x0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    V: torch.Tensor,
    T: float = 1.0,
    activation: str = "tanh",
    method: str = "rk4",
    steps_per_piece: int = 4,
    return_trajectory: bool = False,
) -> torch.Tensor:
    r"""Flow map :math:`\varphi_T` of :math:`\dot x = V_k \sigma(W_k x + b_k)` on the :math:`k`-th piece.

    The horizon :math:`[0, T]` is cut into :math:`K` equal pieces
    :math:`[kT/K, (k+1)T/K)`; on piece :math:`k` the control is
    :math:`\theta_k = (W_k, b_k, V_k)`. Each piece is integrated by :func:`odeint` with
    ``steps_per_piece`` steps, so the step is :math:`h = T/(K s)`. With
    ``method="euler"`` this is exactly the residual network
    :math:`x_{j+1} = x_j + h V_k \sigma(W_k x_j + b_k)` with :math:`K s` layers.

    Parameters
    ----------
    x0 : torch.Tensor
        Initial states, shape ``[batch, n]``.
    W : torch.Tensor
        Shape ``[K, m, n]``.
    b : torch.Tensor
        Shape ``[K, m]``.
    V : torch.Tensor
        Shape ``[K, n, m]``.
    T : float
        Horizon :math:`T > 0`.
    activation : str
        A key of :data:`ACTIVATIONS`.
    method : str
        ``"euler"`` or ``"rk4"``.
    steps_per_piece : int
        Integration steps per piece, :math:`s \ge 1`.
    return_trajectory : bool
        If true, return the states at all :math:`K s + 1` grid times.

    Returns
    -------
    x : torch.Tensor
        :math:`\varphi_T(x_0)`, shape ``[batch, n]``; or the trajectory, shape
        ``[K * steps_per_piece + 1, batch, n]``.
    """
    x0 = _check_tensor("x0", x0, 2)
    K, _, n = _check_controls(W, b, V, pieces=True)
    if x0.shape[1] != n:
        raise ValueError(f"x0 must have {n} columns (the last axis of W), got shape {tuple(x0.shape)}")
    T = check_positive_float("T", T)
    check_in("activation", activation, tuple(ACTIVATIONS))
    check_in("method", method, tuple(METHODS))
    steps_per_piece = check_positive_int("steps_per_piece", steps_per_piece)
    sigma = ACTIVATIONS[activation]
    dt = T / K
    x = x0
    pieces = [x0[None]] if return_trajectory else None
    for k in range(K):
        Wk, bk, Vk = W[k], b[k], V[k]

        def f(t: float, y: torch.Tensor, Wk=Wk, bk=bk, Vk=Vk) -> torch.Tensor:
            return sigma(y @ Wk.T + bk) @ Vk.T

        out = odeint(f, x, k * dt, (k + 1) * dt, steps_per_piece, method, return_trajectory)
        if pieces is not None:
            pieces.append(out[1:])
            x = out[-1]
        else:
            x = out
    return torch.cat(pieces) if pieces is not None else x


def controlled_flow_exact(
    x0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    V: torch.Tensor,
    T: float = 1.0,
    activation: str = "tanh",
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> torch.Tensor:
    r"""Flow map :math:`\varphi_T` of :math:`\dot x = V_k \sigma(W_k x + b_k)` by an adaptive solver.

    The same flow as :func:`controlled_flow`, with controls constant on the :math:`K`
    pieces :math:`[kT/K, (k+1)T/K)`, but integrated by ``scipy.integrate.solve_ivp``
    (``DOP853``, an adaptive explicit Runge-Kutta method of order 8) piece by piece, so that
    no step straddles a switch of the control. All points of the batch are integrated as
    one system; the local error of every component is kept below
    ``atol + rtol * |x|``. The result is the *exact* flow of the given weights up to that
    tolerance, whatever the size of :math:`h L`: use it to ask how far a fixed-step scheme
    (a ResNet, or RK4 with few steps) is from the flow its weights define. It is not
    differentiable (NumPy inside); gradients go through :func:`controlled_flow`.

    Parameters
    ----------
    x0 : torch.Tensor
        Initial states, shape ``[batch, n]``.
    W : torch.Tensor
        Shape ``[K, m, n]``.
    b : torch.Tensor
        Shape ``[K, m]``.
    V : torch.Tensor
        Shape ``[K, n, m]``.
    T : float
        Horizon :math:`T > 0`.
    activation : str
        A key of :data:`ACTIVATIONS`.
    rtol : float
        Relative tolerance of the solver, positive.
    atol : float
        Absolute tolerance of the solver, positive.

    Returns
    -------
    x : torch.Tensor
        :math:`\varphi_T(x_0)`, shape ``[batch, n]``, float64.

    Used in chapter 2 ("From composition to dynamics") to evaluate trained models as
    flows.
    """
    import numpy as np
    from scipy.integrate import solve_ivp

    x0 = _check_tensor("x0", x0, 2)
    K, _, n = _check_controls(W, b, V, pieces=True)
    if x0.shape[1] != n:
        raise ValueError(f"x0 must have {n} columns (the last axis of W), got shape {tuple(x0.shape)}")
    T = check_positive_float("T", T)
    check_in("activation", activation, tuple(ACTIVATIONS))
    rtol = check_positive_float("rtol", rtol)
    atol = check_positive_float("atol", atol)
    from scipy.special import expit

    # NumPy twins of ACTIVATIONS (the solver calls the field thousands of times; torch's
    # per-call overhead would dominate)
    sigma = {
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0.0),
        "sigmoid": expit,
        "softplus": lambda z: np.logaddexp(0.0, z),
    }[activation]
    Wn, bn, Vn = (t.detach().to(torch.float64).cpu().numpy() for t in (W, b, V))
    batch = x0.shape[0]
    y = x0.detach().to(torch.float64).cpu().numpy().reshape(-1)
    dt = T / K
    for k in range(K):

        def rhs(t: float, flat: np.ndarray, k: int = k) -> np.ndarray:
            return (sigma(flat.reshape(batch, n) @ Wn[k].T + bn[k]) @ Vn[k].T).reshape(-1)

        sol = solve_ivp(rhs, (k * dt, (k + 1) * dt), y, method="DOP853", rtol=rtol, atol=atol)
        if not sol.success:  # pragma: no cover - globally Lipschitz fields do not blow up
            raise RuntimeError(f"solve_ivp failed on piece {k}: {sol.message}")
        y = sol.y[:, -1]
    return torch.from_numpy(y.reshape(batch, n).copy())


class ContinuousResNet(torch.nn.Module):
    r"""Continuous-time residual network :math:`x \mapsto g(\varphi_T(\iota(x)))`.

    The flow :math:`\varphi_T` is that of :func:`controlled_flow`, with learnable
    piecewise constant controls :math:`\theta_k = (W_k, b_k, V_k)`,
    :math:`k = 0, \dots, K-1`, in the family :math:`f(x, \theta) = V\sigma(Wx + b)`.
    The input :math:`x \in \mathbb R^{d}` is embedded by
    :math:`\iota(x) = (x, 0) \in \mathbb R^{n}` when ``input_dim`` :math:`d < n` (the
    "augmented" or lifted flow). The terminal map :math:`g` is

    * ``"identity"``: :math:`g(z) = z`;
    * ``"projection"``: :math:`g(z) = (z_1, \dots, z_{p})`, ``p = out_dim`` (no parameters);
    * ``"affine"``: :math:`g(z) = A z + c` with :math:`A \in \mathbb R^{p \times n}`;
    * ``"classifier"``: a binary linear classifier, logit :math:`g(z) = a^\top z + c`
      (shape ``[batch]``); :meth:`predict` returns :math:`\mathbf 1\{g(z) > 0\}`.

    Parameters
    ----------
    dim : int
        State dimension :math:`n` of the flow.
    n_pieces : int
        Number :math:`K` of constant pieces of the control.
    T : float
        Horizon :math:`T > 0`.
    width : int
        Width :math:`m` of each control (rows of :math:`W_k`).
    activation : str
        A key of :data:`ACTIVATIONS`.
    method : str
        ``"euler"`` (ResNet) or ``"rk4"``.
    steps_per_piece : int
        Integration steps per piece.
    terminal : str
        One of :data:`TERMINALS`.
    out_dim : int, optional
        Output dimension ``p`` of ``"projection"`` and ``"affine"`` (default ``dim``).
    input_dim : int, optional
        Input dimension :math:`d \le n` (default ``dim``).
    init_scale : float
        Standard deviation of the Gaussian initial controls is ``init_scale`` times
        :math:`1/\sqrt{\text{fan-in}}`.
    seed : int
        Seed of the initial controls (a private :class:`torch.Generator`).
    dtype : torch.dtype
        Floating-point type of the parameters.
    """

    def __init__(
        self,
        dim: int,
        n_pieces: int,
        T: float = 1.0,
        width: int = 8,
        activation: str = "tanh",
        method: str = "rk4",
        steps_per_piece: int = 4,
        terminal: str = "identity",
        out_dim: int | None = None,
        input_dim: int | None = None,
        init_scale: float = 1.0,
        seed: int = 0,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        self.dim = check_positive_int("dim", dim)
        self.n_pieces = check_positive_int("n_pieces", n_pieces)
        self.T = check_positive_float("T", T)
        self.width = check_positive_int("width", width)
        self.activation = check_in("activation", activation, tuple(ACTIVATIONS))
        self.method = check_in("method", method, tuple(METHODS))
        self.steps_per_piece = check_positive_int("steps_per_piece", steps_per_piece)
        self.terminal = check_in("terminal", terminal, TERMINALS)
        self.input_dim = self.dim if input_dim is None else check_positive_int("input_dim", input_dim)
        if self.input_dim > self.dim:
            raise ValueError(f"input_dim must be at most dim = {self.dim}, got {self.input_dim}")
        self.out_dim = self.dim if out_dim is None else check_positive_int("out_dim", out_dim)
        if terminal == "projection" and self.out_dim > self.dim:
            raise ValueError(f"out_dim of a projection must be at most dim = {self.dim}, got {self.out_dim}")
        if terminal == "classifier":
            self.out_dim = 1
        init_scale = check_finite_float("init_scale", init_scale)
        if init_scale < 0:
            raise ValueError(f"init_scale must be non-negative, got {init_scale}")
        seed = check_nonnegative_int("seed", seed)
        if dtype not in (torch.float32, torch.float64):
            raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        g = torch.Generator(device="cpu")
        g.manual_seed(seed)
        K, m, n = self.n_pieces, self.width, self.dim

        def randn(*shape: int, fan_in: int) -> torch.Tensor:
            return torch.randn(*shape, generator=g, dtype=dtype) * (init_scale / math.sqrt(fan_in))

        self.W = torch.nn.Parameter(randn(K, m, n, fan_in=n))
        self.b = torch.nn.Parameter(randn(K, m, fan_in=1))
        self.V = torch.nn.Parameter(randn(K, n, m, fan_in=m))
        if terminal in ("affine", "classifier"):
            self.A = torch.nn.Parameter(randn(self.out_dim, n, fan_in=n))
            self.c = torch.nn.Parameter(torch.zeros(self.out_dim, dtype=dtype))

    def lift(self, x: torch.Tensor) -> torch.Tensor:
        r"""The embedding :math:`\iota(x) = (x, 0) \in \mathbb R^n`, shape ``[batch, n]``."""
        x = _check_tensor("x", x, 2)
        if x.shape[1] != self.input_dim:
            raise ValueError(f"x must have {self.input_dim} columns (input_dim), got shape {tuple(x.shape)}")
        x = x.to(self.W.dtype)
        if self.input_dim == self.dim:
            return x
        return torch.cat([x, x.new_zeros(x.shape[0], self.dim - self.input_dim)], dim=1)

    def flow(
        self,
        x: torch.Tensor,
        method: str | None = None,
        steps_per_piece: int | None = None,
        return_trajectory: bool = False,
    ) -> torch.Tensor:
        r"""The flow map :math:`\varphi_T(\iota(x))` (or its trajectory).

        ``method`` and ``steps_per_piece`` override the model's own integrator, e.g. to
        compare Euler ResNets of increasing depth with an accurate RK4 reference.

        Parameters
        ----------
        x : torch.Tensor
            Inputs, shape ``[batch, input_dim]``.
        method : str, optional
            ``"euler"`` or ``"rk4"``.
        steps_per_piece : int, optional
            Steps per piece.
        return_trajectory : bool
            Return the states at every grid time, shape ``[K s + 1, batch, dim]``.

        Returns
        -------
        z : torch.Tensor
            :math:`\varphi_T(\iota(x))`, shape ``[batch, dim]``.
        """
        return controlled_flow(
            self.lift(x),
            self.W,
            self.b,
            self.V,
            self.T,
            self.activation,
            self.method if method is None else method,
            self.steps_per_piece if steps_per_piece is None else steps_per_piece,
            return_trajectory,
        )

    def readout(self, z: torch.Tensor) -> torch.Tensor:
        r"""The terminal map :math:`g(z)`; shape ``[batch, out_dim]`` (``[batch]`` for a classifier)."""
        if self.terminal == "identity":
            return z
        if self.terminal == "projection":
            return z[:, : self.out_dim]
        out = z @ self.A.T + self.c
        return out[:, 0] if self.terminal == "classifier" else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r"""The model :math:`g(\varphi_T(\iota(x)))`."""
        return self.readout(self.flow(x))

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        r"""Class labels :math:`\mathbf 1\{g(\varphi_T(x)) > 0\}` (``terminal="classifier"`` only)."""
        if self.terminal != "classifier":
            raise ValueError(f"predict needs terminal='classifier', this model has terminal={self.terminal!r}")
        return (self.forward(x) > 0).to(torch.int64)


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
        The model, e.g. a :class:`ContinuousResNet`.
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
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    x = _check_tensor("x", x)
    y = _check_tensor("y", y)
    check_in("loss", loss, ("mse", "bce"))
    n_iter = check_nonnegative_int("n_iter", n_iter)
    lr = check_positive_float("lr", lr)
    with torch.no_grad():
        out_shape = tuple(model(x[:1]).shape[1:])
    if tuple(y.shape) != (x.shape[0],) + out_shape:
        raise ValueError(f"y must have shape {(x.shape[0],) + out_shape} (that of model(x)), got {tuple(y.shape)}")
    if loss == "bce" and not bool(torch.all((y == 0) | (y == 1))):
        raise ValueError("y must contain only labels 0 and 1 for loss='bce'")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(n_iter):
        opt.zero_grad()
        out = model(x)
        if loss == "mse":
            value = torch.mean((out - y.to(out.dtype)) ** 2)
        else:
            value = torch.nn.functional.binary_cross_entropy_with_logits(out, y.to(out.dtype))
        value.backward()
        opt.step()
        history.append(float(value.detach()))
    return history


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
    """
    import numpy as np

    n_points = check_positive_int("n_points", n_points)
    T = check_positive_float("T", T)
    box = check_positive_float("box", box)
    bound = check_positive_float("bound", bound)
    steps_per_unit_time = check_positive_int("steps_per_unit_time", steps_per_unit_time)
    if not (isinstance(margin, (tuple, list)) and len(margin) == 2):
        raise TypeError(f"margin must be a pair (low, high), got {margin!r}")
    low, high = check_finite_float("margin[0]", margin[0]), check_finite_float("margin[1]", margin[1])
    if not 0 <= low < high:
        raise ValueError(f"margin must satisfy 0 <= low < high, got {margin}")
    rng = np.random.default_rng(check_nonnegative_int("seed", seed))
    n_steps = max(1, int(round(steps_per_unit_time * T)))
    xs, zs = [], []
    kept = 0
    for _ in range(1000):
        cand = torch.tensor(rng.uniform(-box, box, size=(max(4 * n_points, 256), 2)), dtype=torch.float64)
        with torch.no_grad():
            traj = odeint(talk_vector_field, cand, 0.0, T, n_steps, "rk4", return_trajectory=True)
        inside = torch.all(torch.isfinite(traj) & (traj.abs() < bound), dim=2).all(dim=0)
        z1 = traj[-1, :, 0].abs()
        ok = inside & (z1 > low) & (z1 < high)
        xs.append(cand[ok])
        zs.append(traj[-1][ok])
        kept += int(ok.sum())
        if kept >= n_points:
            break
    else:  # pragma: no cover - only for absurd parameters
        raise ValueError("could not draw enough points: widen margin or box, or lower T")
    x0 = torch.cat(xs)[:n_points]
    xT = torch.cat(zs)[:n_points]
    return x0, xT, (xT[:, 0] > 0).to(torch.float64)


# ---------------------------------------------------------------------------------------
# One-dimensional flows in closed form (rates in the horizon T)
# ---------------------------------------------------------------------------------------


def _check_controls_1d(controls):
    import numpy as np

    from ._validation import check_real_array

    c = check_real_array("controls", controls, ndim=(1, 2), min_size=0)
    if c.ndim == 1:
        c = c[None, :]
    if c.shape[-1] != 4:
        raise ValueError(f"controls must have 4 columns (v, w, b, tau), got shape {c.shape}")
    if np.any(c[:, 3] < 0):
        raise ValueError("controls[:, 3] (the durations tau) must be non-negative")
    return c


def relu_field_flow(x, v: float, w: float, b: float, tau: float):
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
    """
    import numpy as np

    from ._validation import check_real_array

    x = check_real_array("x", x, min_size=0)
    v, w, b = check_finite_float("v", v), check_finite_float("w", w), check_finite_float("b", b)
    tau = check_finite_float("tau", tau)
    if tau < 0:
        raise ValueError(f"tau must be non-negative, got {tau}")
    if w == 0.0:
        return x + tau * v * max(b, 0.0)
    u = w * x + b
    return np.where(u > 0, x + (u / w) * np.expm1(v * w * tau), x)


def relu_flow_composition(x, controls):
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
    """
    from ._validation import check_real_array

    out = check_real_array("x", x, min_size=0)
    for v, w, b, tau in _check_controls_1d(controls):
        out = relu_field_flow(out, v, w, b, tau)
    return out


def pl_flow_controls(knots, values, eta: float = 0.01):
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
    """
    import numpy as np

    from ._validation import check_real_array

    c = check_real_array("knots", knots, ndim=1, min_size=2)
    y = check_real_array("values", values, ndim=1, min_size=2)
    if y.shape != c.shape:
        raise ValueError(f"values must have the shape of knots {c.shape}, got {y.shape}")
    if np.any(np.diff(c) <= 0):
        raise ValueError("knots must be strictly increasing")
    if np.any(np.diff(y) <= 0):
        raise ValueError("values must be strictly increasing (flow maps in one dimension are increasing)")
    eta = check_positive_float("eta", eta)
    log_s = np.log(np.diff(y) / np.diff(c))
    lam = np.diff(np.concatenate([[0.0], log_s]))
    a = c[0]
    rows = [[np.sign(l), 1.0, -(a + y[j] - y[0]), abs(l)] for j, l in enumerate(lam) if l != 0.0]
    shift = y[0] - a
    if shift != 0.0:
        rows.append([np.sign(shift), 0.0, abs(shift) / eta, eta])
    controls = np.array(rows, dtype=float).reshape(-1, 4)
    return controls, float(np.sum(controls[:, 3]))


def flow_sup_error_lower_bound(x, values, lipschitz: float, T: float) -> float:
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
    """
    import numpy as np

    from ._validation import check_real_array

    x = check_real_array("x", x, ndim=1, min_size=2)
    F = check_real_array("values", values, ndim=1, min_size=2)
    if F.shape != x.shape:
        raise ValueError(f"values must have the shape of x {x.shape}, got {F.shape}")
    if np.any(np.diff(x) <= 0):
        raise ValueError("x must be strictly increasing")
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
