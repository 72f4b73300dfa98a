r"""The control family :math:`V\sigma(Wx + b)`, its flows and the continuous-time ResNet.

The model of chapters 2 and 3 is :math:`g(\varphi_T(x))`, where :math:`\varphi_T` is the
flow map (time-:math:`T` map) of the controlled dynamics

.. math::

    \dot x_t = f(x_t, \theta_t), \qquad f(x, \theta) = V \sigma(W x + b), \qquad
    t \in [0, T], \qquad x_0 = x,

with *piecewise constant* controls :math:`\theta_t = \theta_k` on the :math:`K` equal
sub-intervals :math:`[kT/K, (k+1)T/K)` of :math:`[0, T]`, and :math:`g` a terminal map.
This module provides

* :func:`control_field` and :func:`controlled_flow` - the field and its flow map by a
  fixed-step scheme (:func:`dynapprox.flows.integrators.piecewise_flow`);
* :func:`controlled_flow_exact` - the same flow map computed by an adaptive solver
  (``scipy.integrate.solve_ivp``) with a tight tolerance: the exact flow of given
  weights, to compare with fixed-step schemes;
* :class:`ContinuousResNet` - a :class:`torch.nn.Module` holding the controls and a
  terminal map (identity, coordinate projection, affine map, scalar affine readout,
  binary linear classifier), with Gaussian initial weights from
  :func:`gaussian_initializer`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from scipy.special import expit

from .._validation import (
    check_finite_float,
    check_float_tensor,
    check_in,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
)
from .integrators import METHODS, piecewise_flow

__all__ = [
    "ACTIVATIONS",
    "NUMPY_ACTIVATIONS",
    "TERMINALS",
    "control_field",
    "controlled_flow",
    "controlled_flow_exact",
    "gaussian_initializer",
    "ContinuousResNet",
]

#: Activations :math:`\sigma` of the control family, applied entrywise.
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "softplus": torch.nn.functional.softplus,
}

#: NumPy twins of :data:`ACTIVATIONS` (an adaptive solver calls the field thousands of
#: times; torch's per-call overhead would dominate).
NUMPY_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": expit,
    "softplus": lambda z: np.logaddexp(0.0, z),
}

#: Terminal maps :math:`g` of :class:`ContinuousResNet`.
TERMINALS: tuple[str, ...] = (
    "identity",
    "projection",
    "affine",
    "scalar",
    "classifier",
)


def _check_controls(
    W: torch.Tensor, b: torch.Tensor, V: torch.Tensor, pieces: bool
) -> tuple[int, int, int]:
    nd = 3 if pieces else 2
    W = check_float_tensor("W", W, nd)
    b = check_float_tensor("b", b, nd - 1)
    V = check_float_tensor("V", V, nd)
    m, n = W.shape[-2], W.shape[-1]
    if b.shape[-1] != m:
        raise ValueError(
            f"b must have width {m} (rows of W) in its last axis, got shape {tuple(b.shape)}"
        )
    if V.shape[-2:] != (n, m):
        raise ValueError(
            f"V must have trailing shape ({n}, {m}) (the transpose of W's), got {tuple(V.shape)}"
        )
    if pieces and not (W.shape[0] == b.shape[0] == V.shape[0]):
        raise ValueError(
            f"W, b, V must have the same number of pieces K in axis 0, got {W.shape[0]}, {b.shape[0]}, {V.shape[0]}"
        )
    return (W.shape[0] if pieces else 1), m, n


def control_field(
    x: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    V: torch.Tensor,
    activation: str = "tanh",
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

    Used in
    -------
    No chapter calls it: it is the residual block :math:`V\sigma(Wx + b)` of
    :doc:`/chapters/02_composition_dynamics` (:prf:ref:`prop-resnet-euler`), which
    :func:`controlled_flow` evaluates inline.
    """
    x = check_float_tensor("x", x, 2)
    _, _, n = _check_controls(W, b, V, pieces=False)
    check_in("activation", activation, tuple(ACTIVATIONS))
    if x.shape[1] != n:
        raise ValueError(
            f"x must have {n} columns (the columns of W), got shape {tuple(x.shape)}"
        )
    return ACTIVATIONS[activation](x @ W.T + b) @ V.T


def _check_flow_input(
    x0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    V: torch.Tensor,
    T: float,
    activation: str,
) -> tuple[torch.Tensor, int, int, float]:
    """Validate the arguments shared by the two flow maps; return ``(x0, K, n, T)``."""
    x0 = check_float_tensor("x0", x0, 2)
    K, _, n = _check_controls(W, b, V, pieces=True)
    if x0.shape[1] != n:
        raise ValueError(
            f"x0 must have {n} columns (the last axis of W), got shape {tuple(x0.shape)}"
        )
    T = check_positive_float("T", T)
    check_in("activation", activation, tuple(ACTIVATIONS))
    return x0, K, n, T


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
    :math:`\theta_k = (W_k, b_k, V_k)`. Each piece is integrated by :func:`~dynapprox.flows.integrators.odeint` with
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

    Used in
    -------
    :doc:`/chapters/02_composition_dynamics` (:prf:ref:`prop-resnet-euler`); used by
    :class:`ContinuousResNet` (in :doc:`/chapters/02_composition_dynamics`,
    :doc:`/chapters/03_flow_approximation`, :doc:`/chapters/04_invariant_functions`).
    """
    x0, _, _, T = _check_flow_input(x0, W, b, V, T, activation)
    sigma = ACTIVATIONS[activation]

    def piece(
        Wk: torch.Tensor, bk: torch.Tensor, Vk: torch.Tensor
    ) -> Callable[[float, torch.Tensor], torch.Tensor]:
        def f(t: float, y: torch.Tensor) -> torch.Tensor:
            return sigma(y @ Wk.T + bk) @ Vk.T

        return f

    fields = [
        piece(Wk, bk, Vk) for Wk, bk, Vk in zip(W, b, V, strict=True)
    ]
    return piecewise_flow(
        fields, x0, T, method, steps_per_piece, return_trajectory
    )


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

    Used in
    -------
    :doc:`/chapters/02_composition_dynamics` (:prf:ref:`thm-euler-convergence`), to evaluate trained
    models as flows.
    """
    x0, K, n, T = _check_flow_input(x0, W, b, V, T, activation)
    rtol = check_positive_float("rtol", rtol)
    atol = check_positive_float("atol", atol)
    from scipy.integrate import solve_ivp

    sigma = NUMPY_ACTIVATIONS[activation]
    Wn, bn, Vn = (
        t.detach().to(torch.float64).cpu().numpy() for t in (W, b, V)
    )
    batch = x0.shape[0]
    y = x0.detach().to(torch.float64).cpu().numpy().reshape(-1)
    dt = T / K
    for k in range(K):

        def rhs(t: float, flat: np.ndarray, k: int = k) -> np.ndarray:
            return (
                sigma(flat.reshape(batch, n) @ Wn[k].T + bn[k]) @ Vn[k].T
            ).reshape(-1)

        sol = solve_ivp(
            rhs,
            (k * dt, (k + 1) * dt),
            y,
            method="DOP853",
            rtol=rtol,
            atol=atol,
        )
        if (
            not sol.success
        ):  # pragma: no cover - globally Lipschitz fields do not blow up
            raise RuntimeError(
                f"solve_ivp failed on piece {k}: {sol.message}"
            )
        y = sol.y[:, -1]
    return torch.from_numpy(y.reshape(batch, n).copy())


def gaussian_initializer(
    init_scale: float, seed: int, dtype: torch.dtype
) -> Callable[..., torch.nn.Parameter]:
    r"""A source of Gaussian initial weights :math:`\mathcal N(0, s^2/\text{fan-in})`, :math:`s` = ``init_scale``.

    Returns ``randn(*shape, fan_in=...)``, which draws a new :class:`torch.nn.Parameter`
    of that shape from a private :class:`torch.Generator` seeded with ``seed``: the
    weights depend only on the seed and on the order of the calls.

    Parameters
    ----------
    init_scale : float
        Scale :math:`s \ge 0`.
    seed : int
        Seed of the generator.
    dtype : torch.dtype
        ``torch.float32`` or ``torch.float64``.

    Returns
    -------
    randn : callable
        ``randn(*shape, fan_in)``.

    Used in
    -------
    Used by :class:`ContinuousResNet` and :class:`dynapprox.invariance.equivariant.EquivariantFlow`
    (in :doc:`/chapters/02_composition_dynamics`, :doc:`/chapters/04_invariant_functions`).
    """
    init_scale = check_finite_float("init_scale", init_scale)
    if init_scale < 0:
        raise ValueError(
            f"init_scale must be non-negative, got {init_scale}"
        )
    seed = check_nonnegative_int("seed", seed)
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(
            f"dtype must be torch.float32 or torch.float64, got {dtype}"
        )
    g = torch.Generator(device="cpu")
    g.manual_seed(seed)

    def randn(*shape: int, fan_in: int) -> torch.nn.Parameter:
        return torch.nn.Parameter(
            torch.randn(*shape, generator=g, dtype=dtype)
            * (init_scale / math.sqrt(fan_in))
        )

    return randn


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
    * ``"scalar"``: a scalar affine readout :math:`g(z) = a^\top z + c` of shape ``[batch]``
      (a regression model, e.g. the non-invariant baseline of chapter 4);
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

    Used in
    -------
    :doc:`/chapters/02_composition_dynamics` (:prf:ref:`thm-euler-convergence`),
    :doc:`/chapters/03_flow_approximation` (:prf:ref:`thm-lls`, :prf:ref:`prop-1d-monotone`,
    :prf:ref:`prop-1d-lower-bound`), :doc:`/chapters/04_invariant_functions`
    (:prf:ref:`thm-invariant-uap`), as the baseline of
    :func:`dynapprox.invariance.equivariant.matched_baseline`.
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
        self.activation = check_in(
            "activation", activation, tuple(ACTIVATIONS)
        )
        self.method = check_in("method", method, tuple(METHODS))
        self.steps_per_piece = check_positive_int(
            "steps_per_piece", steps_per_piece
        )
        self.terminal = check_in("terminal", terminal, TERMINALS)
        self.input_dim = (
            self.dim
            if input_dim is None
            else check_positive_int("input_dim", input_dim)
        )
        if self.input_dim > self.dim:
            raise ValueError(
                f"input_dim must be at most dim = {self.dim}, got {self.input_dim}"
            )
        self.out_dim = (
            self.dim
            if out_dim is None
            else check_positive_int("out_dim", out_dim)
        )
        if terminal == "projection" and self.out_dim > self.dim:
            raise ValueError(
                f"out_dim of a projection must be at most dim = {self.dim}, got {self.out_dim}"
            )
        if terminal in ("scalar", "classifier"):
            self.out_dim = 1
        randn = gaussian_initializer(init_scale, seed, dtype)
        K, m, n = self.n_pieces, self.width, self.dim
        self.W = randn(K, m, n, fan_in=n)
        self.b = randn(K, m, fan_in=1)
        self.V = randn(K, n, m, fan_in=m)
        if terminal in ("affine", "scalar", "classifier"):
            self.A = randn(self.out_dim, n, fan_in=n)
            self.c = torch.nn.Parameter(
                torch.zeros(self.out_dim, dtype=dtype)
            )

    def lift(self, x: torch.Tensor) -> torch.Tensor:
        r"""The embedding :math:`\iota(x) = (x, 0) \in \mathbb R^n`, shape ``[batch, n]``."""
        x = check_float_tensor("x", x, 2)
        if x.shape[1] != self.input_dim:
            raise ValueError(
                f"x must have {self.input_dim} columns (input_dim), got shape {tuple(x.shape)}"
            )
        x = x.to(self.W.dtype)
        if self.input_dim == self.dim:
            return x
        return torch.cat(
            [x, x.new_zeros(x.shape[0], self.dim - self.input_dim)], dim=1
        )

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
            self.steps_per_piece
            if steps_per_piece is None
            else steps_per_piece,
            return_trajectory,
        )

    def readout(self, z: torch.Tensor) -> torch.Tensor:
        r"""The terminal map :math:`g(z)`.

        Shape ``[batch, out_dim]``; ``[batch]`` for a scalar readout or a classifier.
        """
        if self.terminal == "identity":
            return z
        if self.terminal == "projection":
            return z[:, : self.out_dim]
        out = z @ self.A.T + self.c
        return (
            out[:, 0] if self.terminal in ("scalar", "classifier") else out
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r"""The model :math:`g(\varphi_T(\iota(x)))`."""
        return self.readout(self.flow(x))

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        r"""Class labels :math:`\mathbf 1\{g(\varphi_T(x)) > 0\}` (``terminal="classifier"`` only)."""
        if self.terminal != "classifier":
            raise ValueError(
                f"predict needs terminal='classifier', this model has terminal={self.terminal!r}"
            )
        return (self.forward(x) > 0).to(torch.int64)
