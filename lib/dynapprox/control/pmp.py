r"""The discrete-time maximum principle of a tanh residual network: states, costates, Hamiltonians.

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

Time is the layer index; ``h`` is the time step, so the network's horizon is ``T = N h``.
"""

from __future__ import annotations

import torch

from .._validation import (
    check_callable,
    check_finite_float,
    check_positive_float,
)
from ._checks import (
    LossFn,
    check_params,
    check_states,
    check_tensor,
    check_x0,
)

__all__ = [
    "layer_maps",
    "forward",
    "terminal_costate",
    "costates",
    "hamiltonian",
    "hamiltonian_grad_x",
    "augmented_hamiltonian",
    "weight_decay",
    "objective",
]


def layer_maps(
    x: torch.Tensor, W: torch.Tensor, b: torch.Tensor, h: float
) -> torch.Tensor:
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

    Used in
    -------
    :doc:`/chapters/06_discrete_robust` (:prf:ref:`prop-greedy-optimal`); through
    :func:`hamiltonian`, :doc:`/chapters/05_optimal_control`.
    """
    z = torch.einsum("nij,nbj->nbi", W, x) + b[:, None, :]
    return x + h * torch.tanh(z)


def forward(
    x0: torch.Tensor, W: torch.Tensor, b: torch.Tensor, h: float
) -> torch.Tensor:
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

    Used in
    -------
    :doc:`/chapters/05_optimal_control` (:prf:ref:`thm-mf-pmp`, :prf:ref:`prop-costate-backprop`),
    :doc:`/chapters/06_discrete_robust` (:prf:ref:`prop-greedy-optimal`).
    """
    n_layers, d = check_params(W, b)
    x0 = check_x0(x0, d, W.dtype)
    h = check_positive_float("h", h)
    xs = [x0]
    for n in range(
        n_layers
    ):  # the loop over layers is the dynamics itself
        xs.append(xs[-1] + h * torch.tanh(xs[-1] @ W[n].T + b[n]))
    return torch.stack(xs)


def terminal_costate(
    xN: torch.Tensor, y: torch.Tensor, loss_fn: LossFn
) -> torch.Tensor:
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

    Used in
    -------
    :doc:`/chapters/05_optimal_control` (:prf:ref:`prop-costate-backprop`).
    """
    xN = check_tensor("xN", xN, 2)
    check_callable("loss_fn", loss_fn)
    with torch.enable_grad():
        z = xN.detach().clone().requires_grad_(True)
        loss = loss_fn(z, y)
        if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
            raise ValueError("loss_fn must return a scalar torch.Tensor")
        (g,) = torch.autograd.grad(loss, z)
    return -g


def hamiltonian_grad_x(
    x: torch.Tensor,
    p_next: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
) -> torch.Tensor:
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

    Used in
    -------
    Used by :func:`augmented_hamiltonian` and :func:`dynapprox.control.msa.msa_step` (in
    :doc:`/chapters/05_optimal_control`, :prf:ref:`prop-error-estimate`).
    """
    z = torch.einsum("nij,nbj->nbi", W, x) + b[:, None, :]
    s = 1.0 - torch.tanh(z) ** 2
    return p_next + h * torch.einsum("nji,nbj->nbi", W, p_next * s)


def costates(
    states: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    pN: torch.Tensor,
) -> torch.Tensor:
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

    Used in
    -------
    :doc:`/chapters/05_optimal_control` (:prf:ref:`thm-mf-pmp`, :prf:ref:`prop-costate-backprop`).
    """
    n_layers, d = check_params(W, b)
    states = check_states("states", states, n_layers, d)
    h = check_positive_float("h", h)
    pN = check_tensor("pN", pN, 2)
    if pN.shape != states.shape[1:]:
        raise ValueError(
            f"pN must have shape (B, d) = {tuple(states.shape[1:])}, got {tuple(pN.shape)}"
        )
    ps = [pN]
    for n in reversed(range(n_layers)):
        s = 1.0 - torch.tanh(states[n] @ W[n].T + b[n]) ** 2
        ps.append(ps[-1] + h * (ps[-1] * s) @ W[n])
    return torch.stack(ps[::-1])


def weight_decay(
    W: torch.Tensor, b: torch.Tensor, reg: float
) -> torch.Tensor:
    r"""Running cost of every layer, :math:`R(\theta_n) = \frac{\lambda}{2}(\|W_n\|_F^2 + |b_n|^2)`.

    Parameters
    ----------
    W : torch.Tensor
        Weights, shape ``(N, d, d)``.
    b : torch.Tensor
        Biases, shape ``(N, d)``.
    reg : float
        Weight decay :math:`\lambda \ge 0` (not checked here: the callers check it).

    Returns
    -------
    torch.Tensor
        :math:`(R(\theta_n))_{n<N}`, shape ``(N,)``.

    Used in
    -------
    Used by :func:`hamiltonian`, :func:`objective` and :func:`dynapprox.control.msa.msa_step` (in
    :doc:`/chapters/05_optimal_control`).
    """
    return 0.5 * reg * (W.pow(2).sum(dim=(1, 2)) + b.pow(2).sum(dim=1))


def hamiltonian(
    states: torch.Tensor,
    p: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    reg: float = 0.0,
) -> torch.Tensor:
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

    Used in
    -------
    :doc:`/chapters/05_optimal_control` (:prf:ref:`prop-costate-backprop`,
    :prf:ref:`prop-error-estimate`).
    """
    n_layers, d = check_params(W, b)
    check_states("states", states, n_layers, d)
    check_states("p", p, n_layers, d)
    h = check_positive_float("h", h)
    reg = check_finite_float("reg", reg)
    if reg < 0:
        raise ValueError(f"reg must be >= 0, got {reg}")
    f = layer_maps(states[:-1], W, b, h)
    return (p[1:] * f).sum(dim=(1, 2)) - weight_decay(W, b, reg)


def augmented_hamiltonian(
    W: torch.Tensor,
    b: torch.Tensor,
    states: torch.Tensor,
    p: torch.Tensor,
    h: float,
    reg: float,
    rho: float,
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

    Used in
    -------
    Used by :func:`dynapprox.control.msa.msa_step` (in :doc:`/chapters/05_optimal_control`,
    :prf:ref:`prop-error-estimate`).
    """
    x, xn, pn, pnext = states[:-1], states[1:], p[:-1], p[1:]
    f = layer_maps(x, W, b, h)
    H = (pnext * f).sum(dim=(1, 2)) - weight_decay(W, b, reg)
    if rho == 0.0:
        return H
    gx = hamiltonian_grad_x(x, pnext, W, b, h)
    return (
        H
        - 0.5 * rho * (xn - f).pow(2).sum(dim=(1, 2))
        - 0.5 * rho * (pn - gx).pow(2).sum(dim=(1, 2))
    )


def objective(
    x0: torch.Tensor,
    y: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    reg: float,
    loss_fn: LossFn,
) -> torch.Tensor:
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

    Used in
    -------
    :doc:`/chapters/05_optimal_control` (:prf:ref:`prop-error-estimate`),
    :doc:`/chapters/06_discrete_robust`.
    """
    check_callable("loss_fn", loss_fn)
    states = forward(x0, W, b, h)
    return loss_fn(states[-1], y) + weight_decay(W, b, reg).sum()
