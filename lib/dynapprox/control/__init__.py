r"""Training as (mean-field) optimal control, discrete weights and closed-loop control.

A residual network :math:`x_{n+1} = x_n + h\tanh(W_n x_n + b_n)` is a controlled difference
equation, and training it is an optimal control problem. The subpackage is organised by
mathematical object:

* :mod:`dynapprox.control.pmp`: states, costates, Hamiltonians and the objective of the
  discrete-time maximum principle;
* :mod:`dynapprox.control.msa`: the method of successive approximations (MSA) and its
  extended version (E-MSA) of Li, Chen, Tai and E, and the back-propagation baselines;
* :mod:`dynapprox.control.discrete`: binary and ternary weights trained by the MSA (Li and Hao);
* :mod:`dynapprox.control.embedding`: the PCA embedding subspaces of hidden states;
* :mod:`dynapprox.control.closed_loop`: test-time closed-loop control for robustness
  (Chen, Li and Zhang) and the attack it is tested against;
* :mod:`dynapprox.control.linear_closed_loop`: the linear error analysis of the greedy
  closed loop (their journal Theorem 4).

Every public name of the submodules is re-exported here, so ``from dynapprox import control
as ctl; ctl.msa_step(...)`` works; the reference documents each name once, in its submodule.
"""

from __future__ import annotations

from . import (
    closed_loop,
    discrete,
    embedding,
    linear_closed_loop,
    msa,
    pmp,
)
from .closed_loop import *  # noqa: F403 (the names in closed_loop.__all__)
from .discrete import *  # noqa: F403 (the names in discrete.__all__)
from .embedding import *  # noqa: F403 (the names in embedding.__all__)
from .linear_closed_loop import *  # noqa: F403 (the names in linear_closed_loop.__all__)
from .msa import *  # noqa: F403 (the names in msa.__all__)
from .pmp import *  # noqa: F403 (the names in pmp.__all__)

__all__ = [
    *pmp.__all__,
    *msa.__all__,
    *discrete.__all__,
    *embedding.__all__,
    *closed_loop.__all__,
    *linear_closed_loop.__all__,
]
