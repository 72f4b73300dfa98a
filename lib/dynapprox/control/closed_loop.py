r"""Closed-loop (test-time) control of a trained residual network for robustness.

Chen, Li and Zhang: the hidden states of correctly classified training data lie near
low-dimensional embedding subspaces (:mod:`dynapprox.control.embedding`); at
test time, controls added to the states pull a perturbed input back towards them. The
module gives the control problem over all controlled layers jointly
(:func:`closed_loop_objective`, its costate gradient :func:`closed_loop_gradient`), the
gradient solver of the conference version's code (:func:`closed_loop_pmp`, Adam from
:mod:`torch.optim`), the method of successive approximations of the journal version
(:func:`closed_loop_msa`, written out: it is the algorithm studied), the greedy layer-wise
projection (:func:`closed_loop_forward`, a closed-form special case), and the attack
:func:`fgsm` the controls are tested against.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .._validation import (
    check_callable,
    check_finite_float,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
)
from ._checks import check_params, check_tensor, check_x0
from .embedding import PCASubspace

__all__ = [
    "closed_loop_forward",
    "closed_loop_objective",
    "closed_loop_gradient",
    "ClosedLoopResult",
    "closed_loop_pmp",
    "closed_loop_msa",
    "fgsm",
]


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
        ``N + 1`` subspaces (layers ``0..N``), e.g. from :func:`~dynapprox.control.embedding.embedding_subspaces`.
    gain : float
        Feedback gain :math:`g \in [0, 1]`.
    layers : list of int, optional
        Controlled layers (default: all ``0..N``).

    Returns
    -------
    torch.Tensor
        Controlled states, shape ``(N + 1, B, d)``.

    Used in
    -------
    :doc:`/chapters/06_discrete_robust` (:prf:ref:`prop-greedy-optimal`,
    :prf:ref:`prop-feedback-noise`).
    """
    n_layers, x0, h, _, _, mask = _check_closed_loop(
        x0, W, b, h, subspaces, None, 0.0, layers
    )
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


def _controlled_layers(
    layers: Sequence[int] | None, n_layers: int
) -> list[int]:
    if layers is None:
        return list(range(n_layers + 1))
    out: list[int] = []
    for n in layers:
        if (
            isinstance(n, bool)
            or not isinstance(n, numbers.Integral)
            or not 0 <= int(n) <= n_layers
        ):
            raise ValueError(
                f"layers must be integers in [0, {n_layers}], got {n!r}"
            )
        out.append(int(n))
    if not out:
        raise ValueError("layers must contain at least one layer")
    return sorted(set(out))


def _check_closed_loop(
    x0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    subspaces: Sequence[PCASubspace],
    controls: torch.Tensor | None,
    c: float,
    layers: Sequence[int] | None,
) -> tuple[
    int, torch.Tensor, float, torch.Tensor | None, float, torch.Tensor
]:
    n_layers, d = check_params(W, b)
    x0 = check_x0(x0, d, W.dtype)
    h = check_positive_float("h", h)
    if len(subspaces) != n_layers + 1:
        raise ValueError(
            f"subspaces must have N + 1 = {n_layers + 1} entries, got {len(subspaces)}"
        )
    c = check_finite_float("c", c)
    if c < 0:
        raise ValueError(f"c must be >= 0, got {c}")
    if controls is not None:
        controls = check_tensor("controls", controls, 3)
        if tuple(controls.shape) != (n_layers + 1, *x0.shape):
            raise ValueError(
                f"controls must have shape (N + 1, B, d) = {(n_layers + 1, *x0.shape)}, got {tuple(controls.shape)}"
            )
    mask = torch.zeros(n_layers + 1, dtype=W.dtype)
    mask[_controlled_layers(layers, n_layers)] = 1.0
    return n_layers, x0, h, controls, c, mask


def _closed_loop_pass(
    x0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    subspaces: Sequence[PCASubspace],
    u: torch.Tensor,
    mask: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Controlled states z_n = x_n + u_n and masked residuals (I - P_n)(z_n - m_n)."""
    zs, rs = [], []
    x = x0
    n_layers = W.shape[0]
    for n in range(
        n_layers + 1
    ):  # the loop over layers is the dynamics itself
        z = x + u[n]
        zs.append(z)
        rs.append(subspaces[n].residual(z) * mask[n])
        if n < n_layers:
            x = z + h * torch.tanh(z @ W[n].T + b[n])
    return torch.stack(zs), torch.stack(rs)


def _layer_vjp(
    z: torch.Tensor,
    p: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    n: int,
) -> torch.Tensor:
    r"""Row-wise :math:`\partial f_n(z)^\top p`; zero at ``n = N`` (no layer after the last state)."""
    if n == W.shape[0]:
        return torch.zeros_like(z)
    s = 1.0 - torch.tanh(z @ W[n].T + b[n]) ** 2
    return p + h * (p * s) @ W[n]


def _closed_loop_costate_grad(
    zs: torch.Tensor,
    rs: torch.Tensor,
    u: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    c: float,
) -> torch.Tensor:
    """Gradient of the per-sample objective with respect to u by the costate recursion."""
    n_layers = W.shape[0]
    p = -2.0 * rs[n_layers]
    grads: list[torch.Tensor] = [torch.zeros(0)] * (n_layers + 1)
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

    Used in
    -------
    :doc:`/chapters/06_discrete_robust` (:prf:ref:`prop-greedy-optimal`).
    """
    _, x0, h, checked, c, mask = _check_closed_loop(
        x0, W, b, h, subspaces, controls, c, layers
    )
    assert (
        checked is not None
    )  # controls were given: the check returns them
    u = checked * mask[:, None, None]
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
        Controls :math:`u_0, \dots, u_N`, shape ``(N + 1, B, d)``, as in :func:`closed_loop_objective`.
    c : float
        Control cost :math:`c \ge 0`.
    layers : list of int, optional
        Controlled layers :math:`\mathcal L` (default: all ``0..N``).

    Returns
    -------
    torch.Tensor
        :math:`\partial J^i/\partial u^i_n` for every input ``i``, shape ``(N + 1, B, d)``
        (zero at uncontrolled layers).

    Used in
    -------
    No chapter calls it: it is the gradient that :func:`closed_loop_pmp` follows (in
    :doc:`/chapters/06_discrete_robust`), exposed for tests and exercises.
    """
    _, x0, h, checked, c, mask = _check_closed_loop(
        x0, W, b, h, subspaces, controls, c, layers
    )
    assert (
        checked is not None
    )  # controls were given: the check returns them
    u = checked * mask[:, None, None]
    zs, rs = _closed_loop_pass(x0, W, b, h, subspaces, u, mask)
    return (
        _closed_loop_costate_grad(zs, rs, u, W, b, h, c)
        * mask[:, None, None]
    )


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

    Used in
    -------
    Returned by :func:`closed_loop_pmp` and :func:`closed_loop_msa` (in
    :doc:`/chapters/06_discrete_robust`).
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

    Used in
    -------
    :doc:`/chapters/06_discrete_robust`.
    """
    n_layers, x0, h, _, c, mask = _check_closed_loop(
        x0, W, b, h, subspaces, None, c, layers
    )
    n_iter = check_nonnegative_int("n_iter", n_iter)
    lr = check_positive_float("lr", lr)
    u = torch.zeros(
        n_layers + 1, *x0.shape, dtype=x0.dtype, requires_grad=True
    )
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
            grad = (
                _closed_loop_costate_grad(zs, rs, um, W, b, h, c)
                * mask[:, None, None]
            )
        u.grad = grad
        opt.step()
    return ClosedLoopResult(
        states=best_z,
        controls=best_u,
        objective=np.array(history),
        best_objective=best,
    )


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

    The sweeps are written out by hand: they are the algorithm chapter 6 examines.
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

    Used in
    -------
    :doc:`/chapters/06_discrete_robust` (:prf:ref:`prop-greedy-optimal`).
    """
    n_layers, x0, h, _, c, mask = _check_closed_loop(
        x0, W, b, h, subspaces, None, c, layers
    )
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

        def evaluate(u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            zs, rs = _closed_loop_pass(x0, W, b, h, subspaces, u, mask)
            return zs, rs.pow(2).sum(dim=(0, 2)) + c * u.pow(2).sum(
                dim=(0, 2)
            )

        zs, J = evaluate(u)
        history = [float(J.mean())]
        for _ in range(n_outer):
            xs = (
                zs - u
            )  # uncontrolled states x_n of the current forward pass
            p = torch.zeros_like(x0)  # p_{N+1} = 0: no terminal loss
            for n in reversed(range(n_layers + 1)):
                if ctrl[n]:
                    for _ in range(n_inner):
                        z = xs[n] + u[n]
                        grad_u = (
                            _layer_vjp(z, p, W, b, h, n)
                            - 2.0 * subspaces[n].residual(z)
                            - 2.0 * c * u[n]
                        )
                        u[n] = u[n] + lr * grad_u
                z = xs[n] + u[n]
                p = _layer_vjp(z, p, W, b, h, n) - (
                    2.0 * subspaces[n].residual(z) if ctrl[n] else 0.0
                )
            zs, J = evaluate(u)
            history.append(float(J.mean()))
    return ClosedLoopResult(
        states=zs,
        controls=u,
        objective=np.array(history),
        best_objective=J,
    )


def fgsm(
    x: torch.Tensor,
    y: torch.Tensor,
    logits_fn: Callable[[torch.Tensor], torch.Tensor],
    eps: float,
) -> torch.Tensor:
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

    Used in
    -------
    :doc:`/chapters/06_discrete_robust`.
    """
    x = check_tensor("x", x, 2)
    check_callable("logits_fn", logits_fn)
    eps = check_finite_float("eps", eps)
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    with torch.enable_grad():
        z = x.detach().clone().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(logits_fn(z), y)
        (g,) = torch.autograd.grad(loss, z)
    return (x + eps * torch.sign(g)).detach()
