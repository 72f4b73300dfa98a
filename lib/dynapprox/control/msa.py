r"""Training by the maximum principle: the (extended) method of successive approximations.

The method of successive approximations (MSA, ``rho = 0``) of Li, Chen, Tai and E
alternates a forward pass, the costate recursion of :mod:`dynapprox.control.pmp` and a
layer-wise maximisation of the Hamiltonian; its extended version (E-MSA, ``rho > 0``)
maximises the augmented Hamiltonian
:math:`\tilde H_n = H_n - \frac{\rho}{2}|x_{n+1} - f_n(x_n,\theta)|^2
- \frac{\rho}{2}|p_n - \nabla_x H_n(x_n, p_{n+1}, \theta)|^2`, whose penalties restore descent.

The MSA iteration itself is written out here by hand, because the algorithm is the subject
of chapter 5; only its inner maximisation uses a library optimiser (:class:`torch.optim.LBFGS`).
The gradient baselines (:func:`train_backprop`) are plain :mod:`torch.optim` loops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from .._validation import (
    check_callable,
    check_in,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
)
from ._checks import LossFn, check_params, check_step_args, check_x0
from .pmp import (
    augmented_hamiltonian,
    costates,
    forward,
    hamiltonian_grad_x,
    layer_maps,
    objective,
    terminal_costate,
    weight_decay,
)

__all__ = [
    "MSAStepInfo",
    "msa_step",
    "TrainingHistory",
    "train_msa",
    "train_backprop",
]


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

    Used in
    -------
    Returned by :func:`msa_step` (in :doc:`/chapters/05_optimal_control`,
    :prf:ref:`prop-error-estimate`).
    """

    loss_before: float
    hamiltonian_gain: float
    state_error: float
    costate_error: float
    weight_norm: float = float("nan")


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
       (:func:`~dynapprox.control.pmp.augmented_hamiltonian`) by ``max_iter`` iterations of L-BFGS with a strong
       Wolfe line search, warm-started at :math:`\theta^k_n`.

    The layer problems of step 3 are independent (the states and costates are frozen), so
    they are solved together by maximising :math:`\sum_n \tilde H_n`, a separable function.

    Steps 1-3 are written out by hand on purpose: the algorithm is what chapter 5 studies
    (a library optimiser would hide it). Only the inner maximisation of step 3 is delegated,
    to :class:`torch.optim.LBFGS`.

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

    Used in
    -------
    :doc:`/chapters/05_optimal_control` (:prf:ref:`prop-error-estimate`).
    """
    n_layers, d = check_params(W, b)
    x0 = check_x0(x0, d, W.dtype)
    check_callable("loss_fn", loss_fn)
    h, reg, rho = check_step_args(h, reg, rho)
    max_iter = check_positive_int("max_iter", max_iter)
    with torch.no_grad():
        states = forward(x0, W, b, h)
    pN = terminal_costate(states[-1], y, loss_fn)
    with torch.no_grad():
        p = costates(states, W, b, h, pN)
        loss_before = float(
            loss_fn(states[-1], y) + weight_decay(W, b, reg).sum()
        )
        H_old = float(
            augmented_hamiltonian(W, b, states, p, h, reg, 0.0).sum()
        )
    Wv = W.detach().clone().requires_grad_(True)
    bv = b.detach().clone().requires_grad_(True)
    opt = torch.optim.LBFGS(
        [Wv, bv], lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe"
    )

    def closure() -> torch.Tensor:
        opt.zero_grad()
        val = -augmented_hamiltonian(Wv, bv, states, p, h, reg, rho).sum()
        val.backward()
        return val

    with torch.enable_grad():
        opt.step(closure)
    W_new, b_new = Wv.detach(), bv.detach()
    with torch.no_grad():
        H_new = float(
            augmented_hamiltonian(
                W_new, b_new, states, p, h, reg, 0.0
            ).sum()
        )
        f = layer_maps(states[:-1], W_new, b_new, h)
        gx = hamiltonian_grad_x(states[:-1], p[1:], W_new, b_new, h)
        info = MSAStepInfo(
            loss_before=loss_before,
            hamiltonian_gain=H_new - H_old,
            state_error=float((states[1:] - f).pow(2).sum()),
            costate_error=float((p[:-1] - gx).pow(2).sum()),
            weight_norm=float(
                torch.linalg.matrix_norm(W_new, ord=2).max()
            ),
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

    Used in
    -------
    Returned by :func:`train_msa` and :func:`train_backprop` (in :doc:`/chapters/05_optimal_control`
    and :doc:`/chapters/06_discrete_robust`).
    """

    W: torch.Tensor
    b: torch.Tensor
    loss: np.ndarray
    test_loss: np.ndarray
    infos: list = field(default_factory=list)


def _test_loss(
    test: tuple[torch.Tensor, torch.Tensor] | None,
    W: torch.Tensor,
    b: torch.Tensor,
    h: float,
    loss_fn: LossFn,
) -> float:
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

    The outer loop is the algorithm of chapter 5, written out by hand (see :func:`msa_step`).

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

    Used in
    -------
    :doc:`/chapters/05_optimal_control` (:prf:ref:`prop-error-estimate`).
    """
    n_iter = check_nonnegative_int("n_iter", n_iter)
    losses, tests, infos = [], [], []
    for _ in range(n_iter):
        tests.append(_test_loss(test, W, b, h, loss_fn))
        W, b, info = msa_step(
            x0, y, W, b, h, loss_fn, reg=reg, rho=rho, max_iter=max_iter
        )
        losses.append(info.loss_before)
        infos.append(info)
    with torch.no_grad():
        losses.append(float(objective(x0, y, W, b, h, reg, loss_fn)))
    tests.append(_test_loss(test, W, b, h, loss_fn))
    return TrainingHistory(
        W=W,
        b=b,
        loss=np.array(losses),
        test_loss=np.array(tests),
        infos=infos,
    )


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

    Used in
    -------
    :doc:`/chapters/05_optimal_control` (the gradient baselines),
    :doc:`/chapters/06_discrete_robust` (the network the closed loop controls).
    """
    check_params(W, b)
    n_iter = check_nonnegative_int("n_iter", n_iter)
    method = check_in("method", method, ("adam", "sgd"))
    lr = check_positive_float("lr", lr)
    h, reg, _ = check_step_args(h, reg, 0.0)
    Wv = W.detach().clone().requires_grad_(True)
    bv = b.detach().clone().requires_grad_(True)
    params = [Wv, bv, *extra_params]
    opt = (
        torch.optim.Adam(params, lr=lr)
        if method == "adam"
        else torch.optim.SGD(params, lr=lr)
    )
    losses, tests = [], []
    for _ in range(n_iter + 1):
        tests.append(
            _test_loss(test, Wv.detach(), bv.detach(), h, loss_fn)
        )
        opt.zero_grad()
        J = objective(x0, y, Wv, bv, h, reg, loss_fn)
        losses.append(float(J.detach()))
        if len(losses) <= n_iter:
            J.backward()
            opt.step()
    return TrainingHistory(
        W=Wv.detach(),
        b=bv.detach(),
        loss=np.array(losses),
        test_loss=np.array(tests),
    )
