r"""Training as (mean-field) optimal control, discrete weights and closed-loop control.

A residual network :math:`x_{n+1} = x_n + h\tanh(W_n x_n + b_n)` is a controlled difference
equation, and training it is an optimal control problem. The subpackage is organised by
mathematical object:

* :mod:`dynapprox.control.pmp`: states, costates, Hamiltonians and the objective of the
  discrete-time maximum principle;
* :mod:`dynapprox.control.msa`: the method of successive approximations (MSA) and its
  extended version (E-MSA) of Li, Chen, Tai and E, and the back-propagation baselines;
* :mod:`dynapprox.control.discrete`: binary and ternary weights trained by the MSA (Li and Hao);
* :mod:`dynapprox.control.closed_loop`: test-time closed-loop control for robustness
  (Chen, Li and Zhang) and the attack it is tested against;
* :mod:`dynapprox.control.linear_closed_loop`: the linear error analysis of the greedy
  closed loop (their journal Theorem 4).

Every public name of the submodules is re-exported here, so ``from dynapprox import control
as ctl; ctl.msa_step(...)`` works; the reference documents each name once, in its submodule.
"""

from __future__ import annotations

from .closed_loop import (
    ClosedLoopResult,
    PCASubspace,
    closed_loop_forward,
    closed_loop_gradient,
    closed_loop_msa,
    closed_loop_objective,
    closed_loop_pmp,
    embedding_subspaces,
    fgsm,
    pca_subspace,
)
from .discrete import (
    DiscreteTrainingResult,
    binary_msa_update,
    discrete_forward,
    ema_update,
    ternary_msa_update,
    train_discrete_msa,
)
from .linear_closed_loop import linear_closed_loop_bound, linear_closed_loop_sq_errors
from .msa import MSAStepInfo, TrainingHistory, msa_step, train_backprop, train_msa
from .pmp import (
    augmented_hamiltonian,
    costates,
    forward,
    hamiltonian,
    hamiltonian_grad_x,
    layer_maps,
    objective,
    terminal_costate,
    weight_decay,
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
    "closed_loop_objective",
    "closed_loop_gradient",
    "ClosedLoopResult",
    "closed_loop_pmp",
    "closed_loop_msa",
    "fgsm",
    "linear_closed_loop_sq_errors",
    "linear_closed_loop_bound",
]
