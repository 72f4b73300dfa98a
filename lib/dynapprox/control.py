r"""Training as (mean-field) optimal control: Pontryagin's maximum principle in discrete time.

A residual network is a controlled difference equation. With states
:math:`x_n \in \mathbb R^d`, controls (weights) :math:`\theta_n = (W_n, b_n)` and a step
:math:`h > 0` (the layer "time step"),

.. math::

    x_{n+1} = f_n(x_n, \theta_n) := x_n + h \tanh(W_n x_n + b_n), \qquad n = 0, \dots, N - 1,

and training minimises, for a batch :math:`(x_0^i, y^i)_{i \le B}` (the empirical measure
standing for the data distribution :math:`\mu^*`),

.. math::

    J(\theta) = \Phi(x_N, y) + \sum_{n<N} R(\theta_n), \qquad
    \Phi(x_N, y) = \frac1B \sum_{i} \phi(x_N^i, y^i), \qquad
    R(\theta_n) = \frac{\lambda}{2}\big(\|W_n\|_F^2 + |b_n|^2\big).

The Hamiltonian of layer ``n`` is summed over the batch (the costate already carries the
factor :math:`1/B` of the mean),

.. math::

    H_n(x, p, \theta) = \sum_i p^i \cdot f_n(x^i, \theta) - R(\theta),

the costate solves the backward (adjoint) recursion :math:`p_N = -\nabla_{x_N}\Phi`,
:math:`p_n = \nabla_x H_n(x_n, p_{n+1}, \theta_n)`, and it is exactly minus
back-propagation's gradient: :math:`p_n = -\partial J / \partial x_n`,
:math:`\nabla_{\theta_n} H_n = -\partial J / \partial \theta_n`.

The module provides

* the forward pass, the costates, the Hamiltonian and its state gradient (closed forms for
  the tanh residual layer);
* :func:`msa_step` and :func:`train_msa`: the method of successive approximations (MSA,
  ``rho = 0``) and its extended version (E-MSA) of Li, Chen, Tai and E, which maximises the
  augmented Hamiltonian
  :math:`\tilde H_n = H_n - \frac{\rho}{2}|x_{n+1} - f_n(x_n,\theta)|^2
  - \frac{\rho}{2}|p_n - \nabla_x H_n(x_n, p_{n+1}, \theta)|^2`;
* :func:`train_backprop`: the gradient baselines (SGD, Adam);
* discrete weights (Li and Hao): :func:`ema_update`, :func:`binary_msa_update`,
  :func:`ternary_msa_update`, and a small discrete-weight perceptron
  (:func:`discrete_forward`, :func:`train_discrete_msa`);
* closed-loop control for robustness (Chen, Li and Zhang): :func:`pca_subspace`,
  :func:`embedding_subspaces`; the test-time control problem over all controlled layers
  jointly (:func:`closed_loop_objective`, its costate gradient :func:`closed_loop_gradient`,
  the gradient solver of the conference version's code :func:`closed_loop_pmp` and the
  method of successive approximations of the journal version :func:`closed_loop_msa`); the
  greedy layer-wise projection :func:`closed_loop_forward` (a closed-form special case);
  the linear-network error of the greedy closed loop and the bound of the journal's
  Theorem 4 (:func:`linear_closed_loop_sq_errors`, :func:`linear_closed_loop_bound`); and the
  attack :func:`fgsm`.

Time is the layer index; ``h`` is the time step, so the network's horizon is ``T = N h``.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from ._validation import (
    check_callable,
    check_finite_float,
    check_in,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real_array,
)

__all__ = [
    "layer_maps",
    "forward",
    "terminal_costate",
    "costates",
    "hamiltonian",
    "hamiltonian_grad_x",
    "augmented_hamiltonian",
    "objective",
    "MSAStepInfo",
    "msa_step",
    "TrainingHistory",
    "train_msa",
    "train_backprop",
    "ema_update",
    "binary_msa_update",
    "ternary_msa_update",
    "discrete_forward",
    "DiscreteTrainingResult",
    "train_discrete_msa",
    "PCASubspace",
    "pca_subspace",
    "embedding_subspaces",
    "closed_loop_forward",
    "ClosedLoopResult",
    "closed_loop_objective",
    "closed_loop_gradient",
    "closed_loop_pmp",
    "closed_loop_msa",
    "linear_closed_loop_sq_errors",
    "linear_closed_loop_bound",
    "fgsm",
]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


# --------------------------------------------------------------------------- checks
def _check_tensor(name: str, value, ndim: int | None = None) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(value.shape)}")
    if not torch.all(torch.isfinite(value)):
        raise ValueError(f"{name} must contain only finite values")
    return value


def _check_params(W, b) -> tuple[int, int]:
    W = _check_tensor("W", W, 3)
    b = _check_tensor("b", b, 2)
    n_layers, d, d2 = W.shape
    if d != d2:
        raise ValueError(f"W must have shape (N, d, d), got {tuple(W.shape)}")
    if tuple(b.shape) != (n_layers, d):
        raise ValueError(f"b must have shape (N, d) = {(n_layers, d)}, got {tuple(b.shape)}")
    if b.dtype != W.dtype:
        raise TypeError(f"W and b must have the same dtype, got {W.dtype} and {b.dtype}")
    return n_layers, d


def _check_states(name: str, states, n_layers: int, d: int) -> torch.Tensor:
    states = _check_tensor(name, states, 3)
    if states.shape[0] != n_layers + 1 or states.shape[2] != d:
        raise ValueError(f"{name} must have shape (N + 1, B, d) = ({n_layers + 1}, B, {d}), got {tuple(states.shape)}")
    return states


def _check_x0(x0, d: int, dtype) -> torch.Tensor:
    x0 = _check_tensor("x0", x0, 2)
    if x0.shape[1] != d:
        raise ValueError(f"x0 must have shape (B, d) with d = {d}, got {tuple(x0.shape)}")
    if x0.dtype != dtype:
        raise TypeError(f"x0 must have the dtype of the weights ({dtype}), got {x0.dtype}")
    return x0


# --------------------------------------------------------------------------- dynamics
def layer_maps(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor, h: float) -> torch.Tensor:
    r"""All layer maps at once: :math:`f_n(x_n) = x_n + h\tanh(W_n x_n + b_n)`.

    Parameters
    ----------
    x : torch.Tensor
        States :math:`x_0, \dots, x_{N-1}`, shape ``(N, B, d)``.
    W : torch.Tensor
        Weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Biases, shape ``(N, d)``.
    h : float
        Time step (positive).

    Returns
    -------
    torch.Tensor
        :math:`(f_n(x_n))_{n<N}`, shape ``(N, B, d)``.
    """
    z = torch.einsum("nij,nbj->nbi", W, x) + b[:, None, :]
    return x + h * torch.tanh(z)


def forward(x0: torch.Tensor, W: torch.Tensor, b: torch.Tensor, h: float) -> torch.Tensor:
    r"""Forward pass (state equation) :math:`x_{n+1} = x_n + h\tanh(W_n x_n + b_n)`.

    Parameters
    ----------
    x0 : torch.Tensor
        Inputs, shape ``(B, d)``.
    W : torch.Tensor
        Weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Biases, shape ``(N, d)``.
    h : float
        Time step (positive); the horizon is ``T = N h``.

    Returns
    -------
    torch.Tensor
        All states :math:`x_0, \dots, x_N`, shape ``(N + 1, B, d)``.
    """
    n_layers, d = _check_params(W, b)
    x0 = _check_x0(x0, d, W.dtype)
    h = check_positive_float("h", h)
    xs = [x0]
    for n in range(n_layers):  # the loop over layers is the dynamics itself
        xs.append(xs[-1] + h * torch.tanh(xs[-1] @ W[n].T + b[n]))
    return torch.stack(xs)


def terminal_costate(xN: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> torch.Tensor:
    r"""Terminal costate :math:`p_N = -\nabla_{x_N} \Phi(x_N, y)` (by autograd of ``loss_fn``).

    Parameters
    ----------
    xN : torch.Tensor
        Final states, shape ``(B, d)``.
    y : torch.Tensor
        Targets (any shape ``loss_fn`` accepts).
    loss_fn : callable
        ``loss_fn(xN, y)`` returns the scalar batch loss :math:`\Phi` (a mean over the batch).

    Returns
    -------
    torch.Tensor
        :math:`p_N`, shape ``(B, d)``.
    """
    xN = _check_tensor("xN", xN, 2)
    check_callable("loss_fn", loss_fn)
    with torch.enable_grad():
        z = xN.detach().clone().requires_grad_(True)
        loss = loss_fn(z, y)
        if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
            raise ValueError("loss_fn must return a scalar torch.Tensor")
        (g,) = torch.autograd.grad(loss, z)
    return -g


def hamiltonian_grad_x(x: torch.Tensor, p_next: torch.Tensor, W: torch.Tensor, b: torch.Tensor, h: float) -> torch.Tensor:
    r"""State gradient of the Hamiltonian, in closed form for the tanh residual layer.

    .. math::

        \nabla_x H_n(x, p, \theta_n) = p + h\, W_n^\top\big(p \odot (1 - \tanh^2(W_n x + b_n))\big).

    Parameters
    ----------
    x : torch.Tensor
        States :math:`x_0, \dots, x_{N-1}`, shape ``(N, B, d)``.
    p_next : torch.Tensor
        Costates :math:`p_1, \dots, p_N`, shape ``(N, B, d)``.
    W : torch.Tensor
        Weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Biases, shape ``(N, d)``.
    h : float
        Time step.

    Returns
    -------
    torch.Tensor
        :math:`(\nabla_x H_n(x_n, p_{n+1}, \theta_n))_{n<N}`, shape ``(N, B, d)``.
    """
    z = torch.einsum("nij,nbj->nbi", W, x) + b[:, None, :]
    s = 1.0 - torch.tanh(z) ** 2
    return p_next + h * torch.einsum("nji,nbj->nbi", W, p_next * s)


def costates(states: torch.Tensor, W: torch.Tensor, b: torch.Tensor, h: float, pN: torch.Tensor) -> torch.Tensor:
    r"""Backward (costate, adjoint) recursion :math:`p_n = \nabla_x H_n(x_n, p_{n+1}, \theta_n)`.

    Parameters
    ----------
    states : torch.Tensor
        States from :func:`forward`, shape ``(N + 1, B, d)``.
    W : torch.Tensor
        Weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Biases, shape ``(N, d)``.
    h : float
        Time step.
    pN : torch.Tensor
        Terminal costate :math:`p_N = -\nabla\Phi(x_N)`, shape ``(B, d)``.

    Returns
    -------
    torch.Tensor
        Costates :math:`p_0, \dots, p_N`, shape ``(N + 1, B, d)``. They equal minus the
        back-propagated gradients :math:`-\partial J/\partial x_n`.
    """
    n_layers, d = _check_params(W, b)
    states = _check_states("states", states, n_layers, d)
    h = check_positive_float("h", h)
    pN = _check_tensor("pN", pN, 2)
    if pN.shape != states.shape[1:]:
        raise ValueError(f"pN must have shape (B, d) = {tuple(states.shape[1:])}, got {tuple(pN.shape)}")
    ps = [pN]
    for n in reversed(range(n_layers)):
        s = 1.0 - torch.tanh(states[n] @ W[n].T + b[n]) ** 2
        ps.append(ps[-1] + h * (ps[-1] * s) @ W[n])
    return torch.stack(ps[::-1])


def _reg(W: torch.Tensor, b: torch.Tensor, reg: float) -> torch.Tensor:
    return 0.5 * reg * (W.pow(2).sum(dim=(1, 2)) + b.pow(2).sum(dim=1))


def hamiltonian(states: torch.Tensor, p: torch.Tensor, W: torch.Tensor, b: torch.Tensor, h: float, reg: float = 0.0) -> torch.Tensor:
    r"""Layer Hamiltonians :math:`H_n = \sum_i p_{n+1}^i\cdot f_n(x_n^i, \theta_n) - R(\theta_n)`.

    Parameters
    ----------
    states : torch.Tensor
        States, shape ``(N + 1, B, d)`` (only :math:`x_0..x_{N-1}` are used).
    p : torch.Tensor
        Costates, shape ``(N + 1, B, d)`` (only :math:`p_1..p_N` are used).
    W : torch.Tensor
        Weights at which :math:`H_n` is evaluated, shape ``(N, d, d)``.
    b : torch.Tensor
        Biases, shape ``(N, d)``.
    h : float
        Time step.
    reg : float
        Weight decay :math:`\lambda \ge 0` in :math:`R(\theta) = \frac\lambda2 |\theta|^2`.

    Returns
    -------
    torch.Tensor
        :math:`(H_n)_{n<N}`, shape ``(N,)``.
    """
    n_layers, d = _check_params(W, b)
    _check_states("states", states, n_layers, d)
    _check_states("p", p, n_layers, d)
    h = check_positive_float("h", h)
    reg = check_finite_float("reg", reg)
    if reg < 0:
        raise ValueError(f"reg must be >= 0, got {reg}")
    f = layer_maps(states[:-1], W, b, h)
    return (p[1:] * f).sum(dim=(1, 2)) - _reg(W, b, reg)


def augmented_hamiltonian(
    W: torch.Tensor, b: torch.Tensor, states: torch.Tensor, p: torch.Tensor, h: float, reg: float, rho: float
) -> torch.Tensor:
    r"""E-MSA's augmented Hamiltonians, one per layer.

    .. math::

        \tilde H_n(\theta) = H_n(x_n, p_{n+1}, \theta)
        - \frac{\rho}{2}\sum_i |x^i_{n+1} - f_n(x^i_n, \theta)|^2
        - \frac{\rho}{2}\sum_i |p^i_{n} - \nabla_x H_n(x^i_n, p^i_{n+1}, \theta)|^2,

    with ``states`` and ``p`` frozen at the current iterate (so both penalties vanish at
    the current weights). ``rho = 0`` gives the plain Hamiltonian of MSA.

    Parameters
    ----------
    W : torch.Tensor
        Trial weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Trial biases, shape ``(N, d)``.
    states : torch.Tensor
        Frozen states, shape ``(N + 1, B, d)``.
    p : torch.Tensor
        Frozen costates, shape ``(N + 1, B, d)``.
    h : float
        Time step.
    reg : float
        Weight decay :math:`\lambda \ge 0`.
    rho : float
        Penalty :math:`\rho \ge 0` on the feasibility errors of the state and costate equations.

    Returns
    -------
    torch.Tensor
        :math:`(\tilde H_n)_{n<N}`, shape ``(N,)``.
    """
    x, xn, pn, pnext = states[:-1], states[1:], p[:-1], p[1:]
    f = layer_maps(x, W, b, h)
    H = (pnext * f).sum(dim=(1, 2)) - _reg(W, b, reg)
    if rho == 0.0:
        return H
    gx = hamiltonian_grad_x(x, pnext, W, b, h)
    return H - 0.5 * rho * (xn - f).pow(2).sum(dim=(1, 2)) - 0.5 * rho * (pn - gx).pow(2).sum(dim=(1, 2))


def objective(x0: torch.Tensor, y: torch.Tensor, W: torch.Tensor, b: torch.Tensor, h: float, reg: float, loss_fn: LossFn) -> torch.Tensor:
    r"""Total cost :math:`J(\theta) = \Phi(x_N, y) + \sum_n \frac{\lambda}{2}|\theta_n|^2` (differentiable).

    Parameters
    ----------
    x0 : torch.Tensor
        Inputs, shape ``(B, d)``.
    y : torch.Tensor
        Targets.
    W : torch.Tensor
        Weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Biases, shape ``(N, d)``.
    h : float
        Time step.
    reg : float
        Weight decay :math:`\lambda \ge 0`.
    loss_fn : callable
        ``loss_fn(xN, y)``: scalar mean terminal loss :math:`\Phi`.

    Returns
    -------
    torch.Tensor
        The scalar :math:`J`.
    """
    check_callable("loss_fn", loss_fn)
    states = forward(x0, W, b, h)
    return loss_fn(states[-1], y) + _reg(W, b, reg).sum()


# --------------------------------------------------------------------------- (E-)MSA
@dataclass(frozen=True)
class MSAStepInfo:
    """Diagnostics of one (E-)MSA iteration.

    Attributes
    ----------
    loss_before : float
        :math:`J` at the weights the step started from.
    hamiltonian_gain : float
        :math:`\\sum_n [H_n(\\theta^{k+1}) - H_n(\\theta^k)]` at the frozen states and costates.
    state_error : float
        :math:`\\sum_n\\sum_i |x_{n+1}^i - f_n(x_n^i, \\theta^{k+1})|^2` (feasibility error of the state equation).
    costate_error : float
        :math:`\\sum_n\\sum_i |p_n^i - \\nabla_x H_n(x^i_n, p^i_{n+1}, \\theta^{k+1})|^2` (of the costate equation).
    weight_norm : float
        :math:`\\max_n \\|W^{k+1}_n\\|_2` (largest spectral norm of the new weights): the radius
        :math:`R` of a parameter ball containing the iterate, on which the derivative bounds
        of the error estimate hold.
    """

    loss_before: float
    hamiltonian_gain: float
    state_error: float
    costate_error: float
    weight_norm: float = float("nan")


def _check_common(h, reg, rho):
    h = check_positive_float("h", h)
    reg = check_finite_float("reg", reg)
    if reg < 0:
        raise ValueError(f"reg must be >= 0, got {reg}")
    rho = check_finite_float("rho", rho)
    if rho < 0:
        raise ValueError(f"rho must be >= 0 (rho = 0 is plain MSA), got {rho}")
    return h, reg, rho


def msa_step(
    x0: torch.Tensor,
    y: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    loss_fn: LossFn,
    reg: float = 1e-3,
    rho: float = 1.0,
    max_iter: int = 10,
) -> tuple[torch.Tensor, torch.Tensor, MSAStepInfo]:
    r"""One iteration of the (extended) method of successive approximations.

    1. forward: :math:`x_{n+1} = f_n(x_n, \theta_n^k)`;
    2. backward: :math:`p_N = -\nabla\Phi(x_N)`, :math:`p_n = \nabla_x H_n(x_n, p_{n+1}, \theta^k_n)`;
    3. for every layer, approximately maximise :math:`\tilde H_n(\theta)`
       (:func:`augmented_hamiltonian`) by ``max_iter`` iterations of L-BFGS with a strong
       Wolfe line search, warm-started at :math:`\theta^k_n`.

    The layer problems of step 3 are independent (the states and costates are frozen), so
    they are solved together by maximising :math:`\sum_n \tilde H_n`, a separable function.

    Parameters
    ----------
    x0 : torch.Tensor
        Inputs, shape ``(B, d)``.
    y : torch.Tensor
        Targets.
    W : torch.Tensor
        Current weights :math:`W^k`, shape ``(N, d, d)``.
    b : torch.Tensor
        Current biases :math:`b^k`, shape ``(N, d)``.
    h : float
        Time step.
    loss_fn : callable
        ``loss_fn(xN, y)``: scalar mean terminal loss :math:`\Phi`.
    reg : float
        Weight decay :math:`\lambda \ge 0`.
    rho : float
        E-MSA penalty :math:`\rho \ge 0`; ``rho = 0`` is the plain MSA.
    max_iter : int
        L-BFGS iterations for the Hamiltonian maximisation.

    Returns
    -------
    W_new : torch.Tensor
        :math:`W^{k+1}`, shape ``(N, d, d)``.
    b_new : torch.Tensor
        :math:`b^{k+1}`, shape ``(N, d)``.
    info : MSAStepInfo
        Loss before the step, Hamiltonian gain and the feasibility errors after it.
    """
    n_layers, d = _check_params(W, b)
    x0 = _check_x0(x0, d, W.dtype)
    check_callable("loss_fn", loss_fn)
    h, reg, rho = _check_common(h, reg, rho)
    max_iter = check_positive_int("max_iter", max_iter)
    with torch.no_grad():
        states = forward(x0, W, b, h)
    pN = terminal_costate(states[-1], y, loss_fn)
    with torch.no_grad():
        p = costates(states, W, b, h, pN)
        loss_before = float(loss_fn(states[-1], y) + _reg(W, b, reg).sum())
        H_old = float(augmented_hamiltonian(W, b, states, p, h, reg, 0.0).sum())
    Wv = W.detach().clone().requires_grad_(True)
    bv = b.detach().clone().requires_grad_(True)
    opt = torch.optim.LBFGS([Wv, bv], lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        val = -augmented_hamiltonian(Wv, bv, states, p, h, reg, rho).sum()
        val.backward()
        return val

    with torch.enable_grad():
        opt.step(closure)
    W_new, b_new = Wv.detach(), bv.detach()
    with torch.no_grad():
        H_new = float(augmented_hamiltonian(W_new, b_new, states, p, h, reg, 0.0).sum())
        f = layer_maps(states[:-1], W_new, b_new, h)
        gx = hamiltonian_grad_x(states[:-1], p[1:], W_new, b_new, h)
        info = MSAStepInfo(
            loss_before=loss_before,
            hamiltonian_gain=H_new - H_old,
            state_error=float((states[1:] - f).pow(2).sum()),
            costate_error=float((p[:-1] - gx).pow(2).sum()),
            weight_norm=float(torch.linalg.matrix_norm(W_new, ord=2).max()),
        )
    return W_new, b_new, info


@dataclass
class TrainingHistory:
    """Weights after training and the loss at every iteration.

    Attributes
    ----------
    W : torch.Tensor
        Final weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Final biases, shape ``(N, d)``.
    loss : numpy.ndarray
        :math:`J` at iterations ``0, ..., n_iter`` (the last entry after the last step).
    test_loss : numpy.ndarray
        Terminal loss :math:`\\Phi` on the test set at the same iterations (empty without one).
    infos : list of MSAStepInfo
        Per-iteration diagnostics (MSA only).
    """

    W: torch.Tensor
    b: torch.Tensor
    loss: np.ndarray
    test_loss: np.ndarray
    infos: list = field(default_factory=list)


def _test_loss(test, W, b, h, loss_fn) -> float:
    if test is None:
        return float("nan")
    with torch.no_grad():
        return float(loss_fn(forward(test[0], W, b, h)[-1], test[1]))


def train_msa(
    x0: torch.Tensor,
    y: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    loss_fn: LossFn,
    n_iter: int,
    reg: float = 1e-3,
    rho: float = 1.0,
    max_iter: int = 10,
    test: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> TrainingHistory:
    r"""Run ``n_iter`` full-batch (E-)MSA iterations (:func:`msa_step`) from ``(W, b)``.

    Parameters
    ----------
    x0 : torch.Tensor
        Training inputs, shape ``(B, d)``.
    y : torch.Tensor
        Training targets.
    W : torch.Tensor
        Initial weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Initial biases, shape ``(N, d)``.
    h : float
        Time step.
    loss_fn : callable
        ``loss_fn(xN, y)``: scalar mean terminal loss.
    n_iter : int
        Number of MSA iterations (>= 0).
    reg : float
        Weight decay :math:`\lambda \ge 0`.
    rho : float
        E-MSA penalty (``0`` for plain MSA).
    max_iter : int
        L-BFGS iterations per Hamiltonian maximisation.
    test : tuple of torch.Tensor, optional
        ``(x0_test, y_test)`` to record the test loss.

    Returns
    -------
    TrainingHistory
        Final weights, training objective and test loss per iteration, step diagnostics.
    """
    n_iter = check_nonnegative_int("n_iter", n_iter)
    losses, tests, infos = [], [], []
    for _ in range(n_iter):
        tests.append(_test_loss(test, W, b, h, loss_fn))
        W, b, info = msa_step(x0, y, W, b, h, loss_fn, reg=reg, rho=rho, max_iter=max_iter)
        losses.append(info.loss_before)
        infos.append(info)
    with torch.no_grad():
        losses.append(float(objective(x0, y, W, b, h, reg, loss_fn)))
    tests.append(_test_loss(test, W, b, h, loss_fn))
    return TrainingHistory(W=W, b=b, loss=np.array(losses), test_loss=np.array(tests), infos=infos)


def train_backprop(
    x0: torch.Tensor,
    y: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    loss_fn: LossFn,
    n_iter: int,
    reg: float = 1e-3,
    method: str = "adam",
    lr: float = 5e-3,
    extra_params: Sequence[torch.Tensor] = (),
    test: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> TrainingHistory:
    r"""Full-batch gradient training of the residual network (back-propagation baseline).

    Parameters
    ----------
    x0 : torch.Tensor
        Training inputs, shape ``(B, d)``.
    y : torch.Tensor
        Training targets.
    W : torch.Tensor
        Initial weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Initial biases, shape ``(N, d)``.
    h : float
        Time step.
    loss_fn : callable
        ``loss_fn(xN, y)``: scalar mean terminal loss; it may use ``extra_params``.
    n_iter : int
        Number of gradient steps.
    reg : float
        Weight decay :math:`\lambda \ge 0` on ``W, b``.
    method : str
        Optimiser, ``"adam"`` or ``"sgd"``.
    lr : float
        Learning rate.
    extra_params : list of torch.Tensor
        Further leaf tensors (e.g. a read-out layer used by ``loss_fn``), trained in place.
    test : tuple of torch.Tensor, optional
        ``(x0_test, y_test)`` to record the test loss.

    Returns
    -------
    TrainingHistory
        Final weights and the objective per iteration.
    """
    _check_params(W, b)
    n_iter = check_nonnegative_int("n_iter", n_iter)
    method = check_in("method", method, ("adam", "sgd"))
    lr = check_positive_float("lr", lr)
    h, reg, _ = _check_common(h, reg, 0.0)
    Wv = W.detach().clone().requires_grad_(True)
    bv = b.detach().clone().requires_grad_(True)
    params = [Wv, bv, *extra_params]
    opt = torch.optim.Adam(params, lr=lr) if method == "adam" else torch.optim.SGD(params, lr=lr)
    losses, tests = [], []
    for _ in range(n_iter + 1):
        tests.append(_test_loss(test, Wv.detach(), bv.detach(), h, loss_fn))
        opt.zero_grad()
        J = objective(x0, y, Wv, bv, h, reg, loss_fn)
        losses.append(float(J.detach()))
        if len(losses) <= n_iter:
            J.backward()
            opt.step()
    return TrainingHistory(W=Wv.detach(), b=bv.detach(), loss=np.array(losses), test_loss=np.array(tests))


# --------------------------------------------------------------------------- discrete weights
def ema_update(M: torch.Tensor, G: torch.Tensor, decay: float = 0.5) -> torch.Tensor:
    r"""Moving average of the weight gradient :math:`G` of the linearised Hamiltonian:
    :math:`M \leftarrow a M + (1 - a) G`.

    Parameters
    ----------
    M : torch.Tensor
        Current average.
    G : torch.Tensor
        New gradient :math:`G` of the Hamiltonian's linearised part (same shape).
    decay : float
        :math:`a \in [0, 1)`.

    Returns
    -------
    torch.Tensor
        The updated average.
    """
    M = _check_tensor("M", M)
    G = _check_tensor("G", G)
    if M.shape != G.shape:
        raise ValueError(f"M and G must have the same shape, got {tuple(M.shape)} and {tuple(G.shape)}")
    decay = check_finite_float("decay", decay)
    if not 0.0 <= decay < 1.0:
        raise ValueError(f"decay must lie in [0, 1), got {decay}")
    return decay * M + (1.0 - decay) * G


def _check_discrete(W: torch.Tensor, allowed: tuple[float, ...]) -> torch.Tensor:
    W = _check_tensor("W", W)
    ok = torch.zeros_like(W, dtype=torch.bool)
    for a in allowed:
        ok |= W == a
    if not bool(ok.all()):
        raise ValueError(f"W must have entries in {allowed}")
    return W


def _wrong_sign_threshold(M: torch.Tensor, W: torch.Tensor, rho: float) -> float:
    wrong = torch.sign(M) != W
    if not bool(wrong.any()):
        return 0.0
    return rho * float(M.abs()[wrong].max())


def binary_msa_update(W: torch.Tensor, M: torch.Tensor, rho: float = 0.1) -> torch.Tensor:
    r"""Hamiltonian maximisation over binary weights :math:`\{-1, +1\}` with a flip penalty.

    With the threshold :math:`\bar\rho = \rho \max\{|M_{ij}| : \operatorname{sign} M_{ij} \ne W_{ij}\}`
    (:math:`\bar\rho = 0` if no entry disagrees), each entry solves
    :math:`\max_{w \in \{\pm 1\}} M_{ij} w - \frac{\bar\rho}{2}(w - W_{ij})^2`, i.e.
    :math:`W_{ij} \leftarrow \operatorname{sign} M_{ij}` where :math:`|M_{ij}| > \bar\rho`,
    otherwise unchanged (Li and Hao's rule; ``rho = 0`` is the plain MSA ``sign(M)``).

    Parameters
    ----------
    W : torch.Tensor
        Current weights, entries in ``{-1, 1}``.
    M : torch.Tensor
        Moving average :math:`M` of the gradients :math:`G` (see :func:`ema_update`), same shape.
    rho : float
        Relative flip threshold in ``[0, 1]``.

    Returns
    -------
    torch.Tensor
        New binary weights.
    """
    W = _check_discrete(W, (-1.0, 1.0))
    M = _check_tensor("M", M)
    if M.shape != W.shape:
        raise ValueError(f"M must have the shape of W {tuple(W.shape)}, got {tuple(M.shape)}")
    rho = check_finite_float("rho", rho)
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"rho must lie in [0, 1], got {rho}")
    thr = _wrong_sign_threshold(M, W, rho)
    target = torch.where(M == 0, W, torch.sign(M))
    return torch.where(M.abs() > thr, target, W)


def ternary_msa_update(W: torch.Tensor, M: torch.Tensor, rho: float = 0.1, lam: float = 0.0) -> torch.Tensor:
    r"""Hamiltonian maximisation over ternary weights :math:`\{-1, 0, +1\}` with an
    :math:`\ell^1` penalty and a move penalty (Li and Hao's sparse ternary rule).

    Each entry solves
    :math:`\max_{w \in \{-1,0,1\}} M_{ij} w - \lambda |w| - \bar\rho (w - W_{ij})^2` with the
    threshold :math:`\bar\rho = \rho \max\{|M_{ij}| : \operatorname{sign} M_{ij} \ne W_{ij}\}`
    (:math:`\operatorname{sign} 0 = 0`, so every zero weight with :math:`M_{ij} \ne 0` counts as
    wrong-signed; :math:`\bar\rho = 0` if no entry disagrees), whose solution is

    .. math::

        w = +1 \text{ if } M_{ij} > \bar\rho (1 - 2W_{ij}) + \lambda, \quad
        w = -1 \text{ if } M_{ij} < -\bar\rho(1 + 2W_{ij}) - \lambda, \quad w = 0 \text{ otherwise.}

    Parameters
    ----------
    W : torch.Tensor
        Current weights, entries in ``{-1, 0, 1}``.
    M : torch.Tensor
        Moving average :math:`M` of the gradients :math:`G` (see :func:`ema_update`), same shape.
    rho : float
        Relative move penalty in ``[0, 1]``.
    lam : float
        Sparsity penalty :math:`\lambda \ge 0` (same units as ``M``).

    Returns
    -------
    torch.Tensor
        New ternary weights.
    """
    W = _check_discrete(W, (-1.0, 0.0, 1.0))
    M = _check_tensor("M", M)
    if M.shape != W.shape:
        raise ValueError(f"M must have the shape of W {tuple(W.shape)}, got {tuple(M.shape)}")
    rho = check_finite_float("rho", rho)
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"rho must lie in [0, 1], got {rho}")
    lam = check_finite_float("lam", lam)
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    rho_bar = _wrong_sign_threshold(M, W, rho)
    new = torch.zeros_like(W)
    new = torch.where(M > rho_bar * (1.0 - 2.0 * W) + lam, torch.ones_like(W), new)
    new = torch.where(M < -rho_bar * (1.0 + 2.0 * W) - lam, -torch.ones_like(W), new)
    return new


def discrete_forward(x: torch.Tensor, weights: Sequence[torch.Tensor], scales: Sequence[float]) -> list[torch.Tensor]:
    r"""Forward pass of a perceptron with discrete weights and fixed layer scales.

    :math:`x_{n+1} = \tanh(c_n W_n x_n)` for the hidden layers and
    :math:`x_N = c_{N-1} W_{N-1} x_{N-1}` (the logits) for the last one.

    Parameters
    ----------
    x : torch.Tensor
        Inputs, shape ``(B, d_0)``.
    weights : list of torch.Tensor
        :math:`W_n` of shapes ``(d_{n+1}, d_n)``.
    scales : list of float
        Positive scales :math:`c_n` (e.g. :math:`1/\sqrt{d_n}`), one per layer.

    Returns
    -------
    list of torch.Tensor
        States :math:`x_0, \dots, x_N`.
    """
    x = _check_tensor("x", x, 2)
    if len(weights) == 0 or len(weights) != len(scales):
        raise ValueError(f"weights and scales must be non-empty and of equal length, got {len(weights)} and {len(scales)}")
    xs = [x]
    for n, (Wn, c) in enumerate(zip(weights, scales)):
        c = check_positive_float(f"scales[{n}]", c)
        if Wn.ndim != 2 or Wn.shape[1] != xs[-1].shape[1]:
            raise ValueError(f"weights[{n}] must have shape (d_out, {xs[-1].shape[1]}), got {tuple(Wn.shape)}")
        z = c * xs[-1] @ Wn.T
        xs.append(z if n == len(weights) - 1 else torch.tanh(z))
    return xs


@dataclass
class DiscreteTrainingResult:
    """Result of :func:`train_discrete_msa`.

    Attributes
    ----------
    weights : list of torch.Tensor
        Final discrete weights.
    loss : numpy.ndarray
        Training cross-entropy after every epoch (entry 0: at initialisation).
    accuracy : numpy.ndarray
        Training accuracy after every epoch.
    sparsity : numpy.ndarray
        Fraction of zero weights after every epoch.
    """

    weights: list
    loss: np.ndarray
    accuracy: np.ndarray
    sparsity: np.ndarray


def train_discrete_msa(
    x: torch.Tensor,
    y: torch.Tensor,
    weights: Sequence[torch.Tensor],
    scales: Sequence[float],
    n_epochs: int,
    batch_size: int,
    kind: str = "ternary",
    rho: float = 0.1,
    lam: float = 0.0,
    decay: float = 0.5,
    seed: int = 0,
) -> DiscreteTrainingResult:
    r"""Train a discrete-weight perceptron by the MSA of Li and Hao.

    Per mini-batch: forward pass, costates :math:`p_{n+1} = -\partial \Phi/\partial x_{n+1}`
    (back-propagation), :math:`G_n = \sum_i \partial_W [p^i_{n+1} \cdot f_n(x^i_n, W_n)]`, the
    gradient of the Hamiltonian's first term only (the :math:`\ell^1` term is kept exactly in
    the maximisation; :math:`G_n = -\partial\Phi/\partial W_n`), moving average
    :func:`ema_update`, then the layer-wise Hamiltonian maximisation
    :func:`ternary_msa_update` or :func:`binary_msa_update`. :math:`\Phi` is the mean
    cross-entropy of the logits :math:`x_N`.

    Parameters
    ----------
    x : torch.Tensor
        Inputs, shape ``(B, d_0)``.
    y : torch.Tensor
        Integer class labels, shape ``(B,)``.
    weights : list of torch.Tensor
        Initial discrete weights (entries in ``{-1, 0, 1}`` or ``{-1, 1}``).
    scales : list of float
        Layer scales :math:`c_n`.
    n_epochs : int
        Passes over the data.
    batch_size : int
        Mini-batch size.
    kind : str
        Weight set, ``"ternary"`` (:math:`\{-1, 0, 1\}`) or ``"binary"`` (:math:`\{-1, 1\}`).
    rho : float
        Relative move penalty of the update rule.
    lam : float
        :math:`\ell^1` penalty (ternary only).
    decay : float
        Moving-average factor :math:`a`.
    seed : int
        Seed of the mini-batch shuffling.

    Returns
    -------
    DiscreteTrainingResult
        Final weights and per-epoch loss, accuracy and sparsity.
    """
    x = _check_tensor("x", x, 2)
    if not isinstance(y, torch.Tensor) or y.dtype not in (torch.int64, torch.int32) or y.shape != (x.shape[0],):
        raise TypeError("y must be an integer torch.Tensor of shape (B,) with the class labels")
    n_epochs = check_nonnegative_int("n_epochs", n_epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    kind = check_in("kind", kind, ("ternary", "binary"))
    allowed = (-1.0, 0.0, 1.0) if kind == "ternary" else (-1.0, 1.0)
    weights = [_check_discrete(w, allowed).detach().clone() for w in weights]
    gen = torch.Generator().manual_seed(check_nonnegative_int("seed", seed))
    Ms = [torch.zeros_like(w) for w in weights]

    def evaluate():
        with torch.no_grad():
            logits = discrete_forward(x, weights, scales)[-1]
            loss = float(torch.nn.functional.cross_entropy(logits, y))
            acc = float((logits.argmax(1) == y).double().mean())
        nz = sum(int((w == 0).sum()) for w in weights) / sum(w.numel() for w in weights)
        return loss, acc, nz

    hist = [evaluate()]
    for _ in range(n_epochs):
        perm = torch.randperm(x.shape[0], generator=gen)
        for start in range(0, x.shape[0], batch_size):
            idx = perm[start:start + batch_size]
            ws = [w.clone().requires_grad_(True) for w in weights]
            with torch.enable_grad():
                logits = discrete_forward(x[idx], ws, scales)[-1]
                loss = torch.nn.functional.cross_entropy(logits, y[idx])
                grads = torch.autograd.grad(loss, ws)
            for n, g in enumerate(grads):
                Ms[n] = ema_update(Ms[n], -g, decay)  # dH/dW = -dPhi/dW (costate identity)
                if kind == "ternary":
                    weights[n] = ternary_msa_update(weights[n], Ms[n], rho=rho, lam=lam)
                else:
                    weights[n] = binary_msa_update(weights[n], Ms[n], rho=rho)
        hist.append(evaluate())
    arr = np.array(hist)
    return DiscreteTrainingResult(weights=weights, loss=arr[:, 0], accuracy=arr[:, 1], sparsity=arr[:, 2])


# --------------------------------------------------------------------------- closed-loop control
@dataclass(frozen=True)
class PCASubspace:
    """An affine embedding subspace :math:`\\{m + V c\\}` of hidden states.

    Attributes
    ----------
    mean : torch.Tensor
        Centre :math:`m`, shape ``(d,)``.
    basis : torch.Tensor
        Orthonormal columns :math:`V`, shape ``(d, k)``.
    explained : float
        Fraction of the variance captured by the ``k`` directions.
    """

    mean: torch.Tensor
    basis: torch.Tensor
    explained: float

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        """Component of ``x - m`` orthogonal to the subspace, :math:`(I - VV^\\top)(x - m)`."""
        z = x - self.mean
        return z - (z @ self.basis) @ self.basis.T


def pca_subspace(states: torch.Tensor, k: int | None = None, energy: float | None = None) -> PCASubspace:
    r"""Principal subspace of a cloud of states (by an SVD of the centred data).

    Parameters
    ----------
    states : torch.Tensor
        States, shape ``(B, d)``.
    k : int, optional
        Dimension of the subspace.
    energy : float, optional
        Alternatively, the smallest ``k`` whose directions explain at least this fraction
        of the variance, in ``(0, 1]``. Exactly one of ``k`` and ``energy`` is given.

    Returns
    -------
    PCASubspace
        Mean, orthonormal basis and explained variance fraction.
    """
    states = _check_tensor("states", states, 2)
    if (k is None) == (energy is None):
        raise ValueError("give exactly one of k and energy")
    mean = states.mean(0)
    _, s, vh = torch.linalg.svd(states - mean, full_matrices=False)
    var = s**2
    frac = torch.cumsum(var, 0) / var.sum()
    if k is not None:
        k = check_positive_int("k", k)
        if k > vh.shape[0]:
            raise ValueError(f"k must be <= min(B, d) = {vh.shape[0]}, got {k}")
    else:
        energy = check_finite_float("energy", energy)
        if not 0 < energy <= 1:
            raise ValueError(f"energy must lie in (0, 1], got {energy}")
        k = int(torch.searchsorted(frac, torch.tensor(energy, dtype=frac.dtype) - 1e-12)) + 1
        k = min(k, vh.shape[0])
    return PCASubspace(mean=mean, basis=vh[:k].T.contiguous(), explained=float(frac[k - 1]))


def embedding_subspaces(states: torch.Tensor, k: int | None = None, energy: float | None = None) -> list[PCASubspace]:
    r"""PCA embedding subspace of every layer's states (of correctly classified data).

    Parameters
    ----------
    states : torch.Tensor
        States :math:`x_0, \dots, x_N` of the selected training points, shape ``(N + 1, B, d)``.
    k : int, optional
        Common subspace dimension.
    energy : float, optional
        Or the explained-variance fraction per layer (see :func:`pca_subspace`).

    Returns
    -------
    list of PCASubspace
        One subspace per layer ``0..N``.
    """
    states = _check_tensor("states", states, 3)
    return [pca_subspace(s, k=k, energy=energy) for s in states]


def closed_loop_forward(
    x0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    subspaces: Sequence[PCASubspace],
    gain: float = 1.0,
    layers: Sequence[int] | None = None,
) -> torch.Tensor:
    r"""Forward pass with test-time feedback controls that pull states to their embedding subspaces.

    At every controlled layer ``n`` the state is replaced by :math:`x_n + u_n` with

    .. math::

        u_n = -g\,(I - V_nV_n^\top)(x_n - m_n)
        = \operatorname*{arg\,min}_u \big|(I - V_nV_n^\top)(x_n + u - m_n)\big|^2 + c|u|^2,
        \qquad g = \frac{1}{1 + c},

    the closed-form minimiser of the distance to the subspace plus a control cost
    (``gain = 1`` is the orthogonal projection). The controls are computed layer by layer
    from the current state: a greedy feedback (closed-loop) law. It is the exact minimiser
    of the joint problem of :func:`closed_loop_objective` when one layer is controlled, and,
    with ``gain = 1`` (``c = 0``), for any set of controlled layers, since it makes every
    running loss zero; otherwise it ignores how ``u_n`` moves the later states (see
    :func:`closed_loop_pmp` for the joint problem).

    Parameters
    ----------
    x0 : torch.Tensor
        Inputs, shape ``(B, d)``.
    W : torch.Tensor
        Weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Biases, shape ``(N, d)``.
    h : float
        Time step.
    subspaces : list of PCASubspace
        ``N + 1`` subspaces (layers ``0..N``), e.g. from :func:`embedding_subspaces`.
    gain : float
        Feedback gain :math:`g \in [0, 1]`.
    layers : list of int, optional
        Controlled layers (default: all ``0..N``).

    Returns
    -------
    torch.Tensor
        Controlled states, shape ``(N + 1, B, d)``.
    """
    n_layers, x0, h, _, _, mask = _check_closed_loop(x0, W, b, h, subspaces, None, 0.0, layers)
    gain = check_finite_float("gain", gain)
    if not 0.0 <= gain <= 1.0:
        raise ValueError(f"gain must lie in [0, 1], got {gain}")
    xs = []
    x = x0
    for n in range(n_layers + 1):
        if mask[n]:
            x = x - gain * subspaces[n].residual(x)
        xs.append(x)
        if n < n_layers:
            x = x + h * torch.tanh(x @ W[n].T + b[n])
    return torch.stack(xs)


def _controlled_layers(layers, n_layers: int) -> list[int]:
    if layers is None:
        return list(range(n_layers + 1))
    out = []
    for n in layers:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or not 0 <= n <= n_layers:
            raise ValueError(f"layers must be integers in [0, {n_layers}], got {n!r}")
        out.append(int(n))
    if not out:
        raise ValueError("layers must contain at least one layer")
    return sorted(set(out))


def _check_closed_loop(x0, W, b, h, subspaces, controls, c, layers):
    n_layers, d = _check_params(W, b)
    x0 = _check_x0(x0, d, W.dtype)
    h = check_positive_float("h", h)
    if len(subspaces) != n_layers + 1:
        raise ValueError(f"subspaces must have N + 1 = {n_layers + 1} entries, got {len(subspaces)}")
    c = check_finite_float("c", c)
    if c < 0:
        raise ValueError(f"c must be >= 0, got {c}")
    if controls is not None:
        controls = _check_tensor("controls", controls, 3)
        if tuple(controls.shape) != (n_layers + 1, *x0.shape):
            raise ValueError(f"controls must have shape (N + 1, B, d) = {(n_layers + 1, *x0.shape)}, got {tuple(controls.shape)}")
    mask = torch.zeros(n_layers + 1, dtype=W.dtype)
    mask[_controlled_layers(layers, n_layers)] = 1.0
    return n_layers, x0, h, controls, c, mask


def _closed_loop_pass(x0, W, b, h, subspaces, u, mask):
    """Controlled states z_n = x_n + u_n and masked residuals (I - P_n)(z_n - m_n)."""
    zs, rs = [], []
    x = x0
    n_layers = W.shape[0]
    for n in range(n_layers + 1):  # the loop over layers is the dynamics itself
        z = x + u[n]
        zs.append(z)
        rs.append(subspaces[n].residual(z) * mask[n])
        if n < n_layers:
            x = z + h * torch.tanh(z @ W[n].T + b[n])
    return torch.stack(zs), torch.stack(rs)


def _closed_loop_costate_grad(zs, rs, u, W, b, h, c):
    """Gradient of the per-sample objective with respect to u by the costate recursion."""
    n_layers = W.shape[0]
    p = -2.0 * rs[n_layers]
    grads = [None] * (n_layers + 1)
    grads[n_layers] = -p + 2.0 * c * u[n_layers]
    for n in reversed(range(n_layers)):
        s = 1.0 - torch.tanh(zs[n] @ W[n].T + b[n]) ** 2
        p = p + h * (p * s) @ W[n] - 2.0 * rs[n]
        grads[n] = -p + 2.0 * c * u[n]
    return torch.stack(grads)


def closed_loop_objective(
    x0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    subspaces: Sequence[PCASubspace],
    controls: torch.Tensor,
    c: float = 0.0,
    layers: Sequence[int] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Objective of the test-time (closed-loop) control problem, one value per input.

    With controls :math:`u_n` added to the states at the controlled layers
    :math:`n \in \mathcal L` (``u_n = 0`` elsewhere), controlled states
    :math:`z_n = x_n + u_n`, dynamics :math:`x_{n+1} = z_n + h\tanh(W_n z_n + b_n)` and
    :math:`P_n = V_nV_n^\top` the projection onto the PCA subspace of layer ``n``,

    .. math::

        J(u) = \sum_{n \in \mathcal L} \Big( \big|(I - P_n)(z_n - m_n)\big|^2 + c\,|u_n|^2 \Big),

    the squared distance of every controlled state to its embedding subspace plus a control
    cost (no label enters: the problem is solved at test time).

    Parameters
    ----------
    x0 : torch.Tensor
        Inputs, shape ``(B, d)``.
    W : torch.Tensor
        Weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Biases, shape ``(N, d)``.
    h : float
        Time step.
    subspaces : list of PCASubspace
        ``N + 1`` subspaces (layers ``0..N``).
    controls : torch.Tensor
        Controls :math:`u_0, \dots, u_N`, shape ``(N + 1, B, d)``; entries at uncontrolled
        layers are ignored (treated as zero).
    c : float
        Control cost :math:`c \ge 0`.
    layers : list of int, optional
        Controlled layers :math:`\mathcal L` (default: all ``0..N``).

    Returns
    -------
    J : torch.Tensor
        :math:`J(u)` for every input, shape ``(B,)``.
    states : torch.Tensor
        Controlled states :math:`z_0, \dots, z_N`, shape ``(N + 1, B, d)``.
    """
    _, x0, h, controls, c, mask = _check_closed_loop(x0, W, b, h, subspaces, controls, c, layers)
    u = controls * mask[:, None, None]
    zs, rs = _closed_loop_pass(x0, W, b, h, subspaces, u, mask)
    return rs.pow(2).sum(dim=(0, 2)) + c * u.pow(2).sum(dim=(0, 2)), zs


def closed_loop_gradient(
    x0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    subspaces: Sequence[PCASubspace],
    controls: torch.Tensor,
    c: float = 0.0,
    layers: Sequence[int] | None = None,
) -> torch.Tensor:
    r"""Gradient of :func:`closed_loop_objective` by the maximum principle (costate recursion).

    With the layer Hamiltonian
    :math:`H_n(x, p, u) = p\cdot f_n(x + u) - \mathbb 1_{n\in\mathcal L}\big(|(I-P_n)(x + u - m_n)|^2 + c|u|^2\big)`,
    the costate solves :math:`p_N = -2\,\mathbb 1_{N\in\mathcal L}(I - P_N)(z_N - m_N)` and
    :math:`p_n = \nabla_x H_n(x_n, p_{n+1}, u_n)`, and
    :math:`\partial J/\partial u_n = -\nabla_u H_n(x_n, p_{n+1}, u_n) = -p_n + 2c\,u_n`.

    Parameters
    ----------
    x0, W, b, h, subspaces, controls, c, layers
        As in :func:`closed_loop_objective`.

    Returns
    -------
    torch.Tensor
        :math:`\partial J^i/\partial u^i_n` for every input ``i``, shape ``(N + 1, B, d)``
        (zero at uncontrolled layers).
    """
    _, x0, h, controls, c, mask = _check_closed_loop(x0, W, b, h, subspaces, controls, c, layers)
    u = controls * mask[:, None, None]
    zs, rs = _closed_loop_pass(x0, W, b, h, subspaces, u, mask)
    return _closed_loop_costate_grad(zs, rs, u, W, b, h, c) * mask[:, None, None]


@dataclass(frozen=True)
class ClosedLoopResult:
    """Output of :func:`closed_loop_pmp`.

    Attributes
    ----------
    states : torch.Tensor
        Controlled states :math:`z_n = x_n + u_n` of the returned controls, shape ``(N + 1, B, d)``.
    controls : torch.Tensor
        Returned controls, shape ``(N + 1, B, d)`` (zero at uncontrolled layers).
    objective : numpy.ndarray
        Batch mean of :math:`J` at the iterates (iterate 0: the initial controls, zero for
        :func:`closed_loop_pmp`, the greedy projection for :func:`closed_loop_msa`).
    best_objective : torch.Tensor
        :math:`J` of the returned controls for every input, shape ``(B,)``.
    """

    states: torch.Tensor
    controls: torch.Tensor
    objective: np.ndarray
    best_objective: torch.Tensor


def closed_loop_pmp(
    x0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    subspaces: Sequence[PCASubspace],
    c: float = 0.0,
    n_iter: int = 30,
    lr: float = 0.03,
    layers: Sequence[int] | None = None,
) -> ClosedLoopResult:
    r"""Solve the test-time control problem of Chen, Li and Zhang by maximum-principle iterations.

    Starting from :math:`u = 0`, every iteration runs the controlled forward pass, the
    costate recursion of :func:`closed_loop_gradient`, and one Adam step along
    :math:`\nabla_u H_n = -\partial J/\partial u_n` for all controlled layers at once
    (a gradient-type Hamiltonian-ascent step of the method of successive approximations).
    As in the authors' released code, Adam with a fixed learning rate and a fixed number of
    iterations is used and the iterate with the smallest objective is returned; here the
    selection is per input (inputs do not interact: each has its own control problem).

    Parameters
    ----------
    x0 : torch.Tensor
        (Perturbed) inputs, shape ``(B, d)``.
    W : torch.Tensor
        Weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Biases, shape ``(N, d)``.
    h : float
        Time step.
    subspaces : list of PCASubspace
        ``N + 1`` embedding subspaces (layers ``0..N``).
    c : float
        Control cost :math:`c \ge 0` of :func:`closed_loop_objective`.
    n_iter : int
        Number of iterations (>= 0).
    lr : float
        Adam learning rate (> 0), in the units of the states.
    layers : list of int, optional
        Controlled layers (default: all ``0..N``).

    Returns
    -------
    ClosedLoopResult
        Controlled states and controls of the best iterate, the objective history and the
        final per-input objective.
    """
    n_layers, x0, h, _, c, mask = _check_closed_loop(x0, W, b, h, subspaces, None, c, layers)
    n_iter = check_nonnegative_int("n_iter", n_iter)
    lr = check_positive_float("lr", lr)
    u = torch.zeros(n_layers + 1, *x0.shape, dtype=x0.dtype, requires_grad=True)
    opt = torch.optim.Adam([u], lr=lr)
    best = torch.full((x0.shape[0],), float("inf"), dtype=x0.dtype)
    best_u = torch.zeros_like(u)
    best_z = torch.zeros_like(u)
    history = []
    for k in range(n_iter + 1):
        with torch.no_grad():
            um = u * mask[:, None, None]
            zs, rs = _closed_loop_pass(x0, W, b, h, subspaces, um, mask)
            J = rs.pow(2).sum(dim=(0, 2)) + c * um.pow(2).sum(dim=(0, 2))
            history.append(float(J.mean()))
            better = J < best
            best = torch.where(better, J, best)
            best_u = torch.where(better[None, :, None], um, best_u)
            best_z = torch.where(better[None, :, None], zs, best_z)
            if k == n_iter:
                break
            grad = _closed_loop_costate_grad(zs, rs, um, W, b, h, c) * mask[:, None, None]
        u.grad = grad
        opt.step()
    return ClosedLoopResult(states=best_z, controls=best_u, objective=np.array(history), best_objective=best)


def closed_loop_msa(
    x0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    subspaces: Sequence[PCASubspace],
    c: float = 0.0,
    n_outer: int = 3,
    n_inner: int = 10,
    lr: float = 0.25,
    layers: Sequence[int] | None = None,
) -> ClosedLoopResult:
    r"""Solve the test-time control problem by the method of successive approximations of
    the journal version of Chen, Li and Zhang (their Algorithm 1).

    1. *Initialise* with the greedy projection controls (:func:`closed_loop_forward` with
       gain 1, i.e. the layer-wise minimisers for :math:`c = 0`).
    2. *Outer iteration* (``n_outer`` times): a forward pass
       :math:`x_{n+1} = f_n(x_n + u_n)` with the current controls, then a backward sweep
       :math:`n = N, N-1, \dots, 0`. At layer :math:`n`, with :math:`x_n` and the costate
       :math:`p_{n+1}` frozen (:math:`p_{N+1} = 0`), ``n_inner`` gradient-ascent steps
       :math:`u_n \leftarrow u_n + \eta\,\nabla_u H_n(x_n, p_{n+1}, u_n)` on the layer Hamiltonian

       .. math::

           H_n(x, p, u) = p\cdot f_n(x + u)
           - \mathbb 1_{n\in\mathcal L}\big(|(I - P_n)(x + u - m_n)|^2 + c|u|^2\big),

       then the costate with the updated control,
       :math:`p_n = \nabla_x H_n(x_n, p_{n+1}, u_n)
       = \partial f_n(z_n)^\top p_{n+1} - 2\,\mathbb 1_{n\in\mathcal L}(I - P_n)(z_n - m_n)`,
       :math:`z_n = x_n + u_n`.

    The controls after the last outer iteration are returned (the algorithm keeps no best
    iterate). The running loss is that of :func:`closed_loop_objective` (twice the paper's
    :math:`\frac12|\cdot|^2 + \frac c2|u|^2`, which has the same minimisers). With
    :math:`c = 0` and linear subspaces the initial controls make every running loss zero, so
    every costate and every Hamiltonian gradient vanishes and they are returned unchanged.
    The inputs do not interact: the steps are taken for every input at once.

    Parameters
    ----------
    x0 : torch.Tensor
        (Perturbed) inputs, shape ``(B, d)``.
    W : torch.Tensor
        Weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Biases, shape ``(N, d)``.
    h : float
        Time step.
    subspaces : list of PCASubspace
        ``N + 1`` embedding subspaces (layers ``0..N``).
    c : float
        Control cost :math:`c \ge 0`.
    n_outer : int
        Number of outer iterations (forward pass and backward sweep), ``>= 0``.
    n_inner : int
        Gradient-ascent steps per layer and sweep, ``>= 1``.
    lr : float
        Step size :math:`\eta > 0` of the ascent steps (units of the states; the
        quadratic part of :math:`H_n` has curvature :math:`2(1 + c)` across the subspace,
        so :math:`\eta < 1/(1 + c)` keeps the steps stable there).
    layers : list of int, optional
        Controlled layers (default: all ``0..N``).

    Returns
    -------
    ClosedLoopResult
        Controlled states and controls after the last outer iteration, the batch-mean
        objective after the initialisation and after every outer iteration, and the final
        per-input objective.
    """
    n_layers, x0, h, _, c, mask = _check_closed_loop(x0, W, b, h, subspaces, None, c, layers)
    n_outer = check_nonnegative_int("n_outer", n_outer)
    n_inner = check_positive_int("n_inner", n_inner)
    lr = check_positive_float("lr", lr)
    ctrl = [bool(m) for m in mask]
    with torch.no_grad():
        # greedy initialisation, layer by layer: u_n = -(I - P_n)(x_n - m_n)
        u = torch.zeros(n_layers + 1, *x0.shape, dtype=x0.dtype)
        x = x0
        for n in range(n_layers + 1):
            if ctrl[n]:
                u[n] = -subspaces[n].residual(x)
            if n < n_layers:
                z = x + u[n]
                x = z + h * torch.tanh(z @ W[n].T + b[n])

        def evaluate(u):
            zs, rs = _closed_loop_pass(x0, W, b, h, subspaces, u, mask)
            return zs, rs.pow(2).sum(dim=(0, 2)) + c * u.pow(2).sum(dim=(0, 2))

        zs, J = evaluate(u)
        history = [float(J.mean())]
        for _ in range(n_outer):
            xs = zs - u  # uncontrolled states x_n of the current forward pass
            p = torch.zeros_like(x0)  # p_{N+1} = 0: no terminal loss
            for n in reversed(range(n_layers + 1)):
                if n < n_layers:
                    def jac_t(z, p=p, n=n):  # d f_n(z)^T p, row-wise
                        s = 1.0 - torch.tanh(z @ W[n].T + b[n]) ** 2
                        return p + h * (p * s) @ W[n]
                else:
                    def jac_t(z):  # no layer after the last state
                        return torch.zeros_like(z)
                if ctrl[n]:
                    for _ in range(n_inner):
                        z = xs[n] + u[n]
                        grad_u = jac_t(z) - 2.0 * subspaces[n].residual(z) - 2.0 * c * u[n]
                        u[n] = u[n] + lr * grad_u
                z = xs[n] + u[n]
                p = jac_t(z) - (2.0 * subspaces[n].residual(z) if ctrl[n] else 0.0)
            zs, J = evaluate(u)
            history.append(float(J.mean()))
    return ClosedLoopResult(states=zs, controls=u, objective=np.array(history), best_objective=J)


def _linear_closed_loop_setup(thetas, basis0, z, c):
    thetas = check_real_array("thetas", thetas, ndim=3)
    T, d, d2 = thetas.shape
    if d != d2:
        raise ValueError(f"thetas must have shape (T, d, d), got {thetas.shape}")
    basis0 = check_real_array("basis0", basis0, ndim=2)
    if basis0.shape[0] != d or basis0.shape[1] > d:
        raise ValueError(f"basis0 must have shape (d, k) with k <= d = {d}, got {basis0.shape}")
    if not np.allclose(basis0.T @ basis0, np.eye(basis0.shape[1]), atol=1e-10):
        raise ValueError("basis0 must have orthonormal columns")
    z = check_real_array("z", z, ndim=1)
    if z.shape != (d,):
        raise ValueError(f"z must have shape (d,) = ({d},), got {z.shape}")
    c = check_finite_float("c", c)
    if c < 0:
        raise ValueError(f"c must be >= 0, got {c}")
    for t in range(T):
        sv = np.linalg.svd(thetas[t], compute_uv=False)
        if sv[-1] <= 1e-12 * sv[0]:
            raise ValueError(f"thetas[{t}] must be invertible (its subspace image must keep its dimension)")
    # products Theta_s = theta_{s-1} ... theta_0, s = 0..T
    prods = [np.eye(d)]
    for t in range(T):
        prods.append(thetas[t] @ prods[-1])
    return thetas, basis0, z, c, prods


def linear_closed_loop_sq_errors(thetas, basis0, z, c: float = 0.0) -> np.ndarray:
    r"""Squared errors of the greedy closed loop on a linear network with transported subspaces.

    The setting of the linear error analysis of Chen, Li and Zhang (Theorem 4 of the
    journal version): layers :math:`x_{t+1} = \theta_t x_t` with invertible
    :math:`\theta_t \in \mathbb R^{d\times d}`, embedding subspaces transported by the network,
    :math:`Z_0 = \operatorname{range} V_0` and :math:`Z_{t+1} = \theta_t Z_t`, a clean trajectory with
    :math:`x_t \in Z_t`, and a perturbed input :math:`q_0 = x_0 + z` controlled at every layer
    by the greedy law :math:`u_t = -\frac{1}{1+c}(I - P_t)\,q_t` (:math:`P_t` the orthogonal
    projection onto :math:`Z_t`), :math:`q_{t+1} = \theta_t(q_t + u_t)`. The error
    :math:`e_t = q_t - x_t` obeys :math:`e_{t+1} = \theta_t(\alpha I + (1 - \alpha)P_t)\,e_t`,
    :math:`\alpha = c/(1 + c)`, whatever the clean trajectory.

    Parameters
    ----------
    thetas : array_like
        :math:`\theta_0, \dots, \theta_{T-1}`, shape ``(T, d, d)``, invertible.
    basis0 : array_like
        Orthonormal basis :math:`V_0` of :math:`Z_0`, shape ``(d, k)``.
    z : array_like
        Input perturbation, shape ``(d,)``.
    c : float
        Control cost :math:`c \ge 0`.

    Returns
    -------
    numpy.ndarray
        :math:`|q_t - x_t|_2^2` for :math:`t = 0, \dots, T`, shape ``(T + 1,)``.
    """
    thetas, basis0, z, c, prods = _linear_closed_loop_setup(thetas, basis0, z, c)
    alpha = c / (1.0 + c)
    e = z.copy()
    out = [float(e @ e)]
    for t in range(thetas.shape[0]):
        Q, _ = np.linalg.qr(prods[t] @ basis0)  # orthonormal basis of Z_t
        e = thetas[t] @ (alpha * e + (1.0 - alpha) * (Q @ (Q.T @ e)))
        out.append(float(e @ e))
    return np.array(out)


def linear_closed_loop_bound(thetas, basis0, z, c: float = 0.0) -> np.ndarray:
    r"""Right-hand side of the linear error estimate of Chen, Li and Zhang (journal Theorem 4).

    With :math:`\Theta_s = \theta_{s-1}\cdots\theta_0` (:math:`\Theta_0 = I`), :math:`\alpha = c/(1+c)`,
    :math:`z = z^\parallel + z^\perp` split along :math:`Z_0` and its orthogonal complement,
    :math:`\kappa` the 2-norm condition number and
    :math:`\gamma_t = \max_{s \le t}\,(1 + \kappa(\Theta_s)^2)\,\|I - \Theta_s^\top\Theta_s\|_2`,

    .. math::

        B_t = \|\Theta_t\|_2^2\Big(\alpha^{2t}|z^\perp|^2 + |z^\parallel|^2
        + \gamma_t|z|^2\big(\gamma_t\alpha^2(1 - \alpha^{t-1})^2 + 2(\alpha - \alpha^t)\big)\Big),
        \qquad t \ge 1,

    which bounds :math:`|q_t - x_t|^2` of :func:`linear_closed_loop_sq_errors`, with equality
    :math:`\alpha^{2t}|z^\perp|^2 + |z^\parallel|^2` when every :math:`\theta_t` is orthogonal.

    Parameters
    ----------
    thetas, basis0, z, c
        As in :func:`linear_closed_loop_sq_errors`.

    Returns
    -------
    numpy.ndarray
        :math:`B_t` for :math:`t = 1, \dots, T`, shape ``(T,)``.
    """
    thetas, basis0, z, c, prods = _linear_closed_loop_setup(thetas, basis0, z, c)
    alpha = c / (1.0 + c)
    z_par = basis0 @ (basis0.T @ z)
    z_perp = z - z_par
    d = z.shape[0]
    gam = 0.0
    out = []
    for t in range(1, thetas.shape[0] + 1):
        for s in (t - 1, t):  # gamma_t = max over s <= t (s = 0 contributes 0)
            sv = np.linalg.svd(prods[s], compute_uv=False)
            gam = max(gam, (1.0 + (sv[0] / sv[-1]) ** 2) * np.linalg.norm(np.eye(d) - prods[s].T @ prods[s], 2))
        lead = alpha ** (2 * t) * float(z_perp @ z_perp) + float(z_par @ z_par)
        extra = gam * float(z @ z) * (gam * alpha**2 * (1.0 - alpha ** (t - 1)) ** 2 + 2.0 * (alpha - alpha**t))
        out.append(np.linalg.norm(prods[t], 2) ** 2 * (lead + extra))
    return np.array(out)


def fgsm(x: torch.Tensor, y: torch.Tensor, logits_fn: Callable[[torch.Tensor], torch.Tensor], eps: float) -> torch.Tensor:
    r"""Fast gradient sign attack :math:`x + \epsilon\,\operatorname{sign}\nabla_x \mathrm{CE}(\mathrm{logits}(x), y)`.

    Parameters
    ----------
    x : torch.Tensor
        Inputs, shape ``(B, d)``.
    y : torch.Tensor
        Integer labels, shape ``(B,)``.
    logits_fn : callable
        Maps inputs ``(B, d)`` to logits ``(B, K)`` (the attacked, uncontrolled model).
    eps : float
        Sup-norm size of the perturbation (>= 0).

    Returns
    -------
    torch.Tensor
        Perturbed inputs, shape ``(B, d)``.
    """
    x = _check_tensor("x", x, 2)
    check_callable("logits_fn", logits_fn)
    eps = check_finite_float("eps", eps)
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    with torch.enable_grad():
        z = x.detach().clone().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(logits_fn(z), y)
        (g,) = torch.autograd.grad(loss, z)
    return (x + eps * torch.sign(g)).detach()
