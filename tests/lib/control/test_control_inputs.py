"""Bad inputs of every module of dynapprox.control get a clear error naming the argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from control_problems import (
    DT,
    make_problem,
    sum_loss,
)

from dynapprox import control as ctl


def test_bad_inputs():
    W, b, x0, y = make_problem()
    with pytest.raises(ValueError, match="W"):
        ctl.forward(x0, W[:, :2], b, 0.1)
    with pytest.raises(ValueError, match="b"):
        ctl.forward(x0, W, b[:2], 0.1)
    with pytest.raises(ValueError, match="x0"):
        ctl.forward(x0[:, :2], W, b, 0.1)
    with pytest.raises(ValueError, match="h"):
        ctl.forward(x0, W, b, -0.1)
    with pytest.raises(TypeError, match="W"):
        ctl.forward(x0, W.numpy(), b, 0.1)
    with pytest.raises(ValueError, match="rho"):
        ctl.msa_step(x0, y, W, b, 0.1, sum_loss, rho=-1.0)
    with pytest.raises(TypeError, match="max_iter"):
        ctl.msa_step(x0, y, W, b, 0.1, sum_loss, max_iter=2.5)
    with pytest.raises(TypeError, match="loss_fn"):
        ctl.msa_step(x0, y, W, b, 0.1, "mse")
    with pytest.raises(ValueError, match="method"):
        ctl.train_backprop(x0, y, W, b, 0.1, sum_loss, 3, method="lbfgs")
    with pytest.raises(ValueError, match="W must have entries"):
        ctl.ternary_msa_update(
            torch.full((2, 2), 0.5, dtype=DT), torch.zeros(2, 2, dtype=DT)
        )
    with pytest.raises(ValueError, match="lam"):
        ctl.ternary_msa_update(
            torch.zeros(2, 2, dtype=DT),
            torch.zeros(2, 2, dtype=DT),
            lam=-1.0,
        )
    with pytest.raises(ValueError, match="M must have the shape"):
        ctl.binary_msa_update(
            torch.ones(2, 2, dtype=DT), torch.zeros(3, dtype=DT)
        )
    with pytest.raises(ValueError, match="decay"):
        ctl.ema_update(
            torch.zeros(2, dtype=DT), torch.zeros(2, dtype=DT), 1.0
        )
    with pytest.raises(ValueError, match="exactly one"):
        ctl.pca_subspace(x0, k=1, energy=0.9)
    with pytest.raises(ValueError, match="subspaces"):
        ctl.closed_loop_forward(x0, W, b, 0.1, [], 1.0)
    subs = ctl.embedding_subspaces(ctl.forward(x0, W, b, 0.1), k=1)
    with pytest.raises(ValueError, match="gain"):
        ctl.closed_loop_forward(x0, W, b, 0.1, subs, 2.0)
    with pytest.raises(ValueError, match="layers"):
        ctl.closed_loop_forward(x0, W, b, 0.1, subs, 1.0, layers=[99])
    with pytest.raises(ValueError, match="eps"):
        ctl.fgsm(x0, torch.zeros(7, dtype=torch.long), lambda z: z, -1.0)
    with pytest.raises(ValueError, match="c must be"):
        ctl.closed_loop_pmp(x0, W, b, 0.1, subs, c=-1.0)
    with pytest.raises(ValueError, match="lr"):
        ctl.closed_loop_pmp(x0, W, b, 0.1, subs, lr=0.0)
    with pytest.raises(TypeError, match="n_iter"):
        ctl.closed_loop_pmp(x0, W, b, 0.1, subs, n_iter=1.5)
    with pytest.raises(ValueError, match="layers"):
        ctl.closed_loop_pmp(x0, W, b, 0.1, subs, layers=[-1])
    with pytest.raises(ValueError, match="controls"):
        ctl.closed_loop_objective(
            x0, W, b, 0.1, subs, torch.zeros(2, 7, 3, dtype=DT)
        )
    with pytest.raises(TypeError, match="y must be an integer"):
        ctl.train_discrete_msa(
            x0, y, [torch.ones(2, 3, dtype=DT)], [1.0], 1, 4
        )
    with pytest.raises(ValueError, match="finite"):
        ctl.forward(x0 * float("nan"), W, b, 0.1)
    with pytest.raises(TypeError, match="n_inner"):
        ctl.closed_loop_msa(x0, W, b, 0.1, subs, n_inner=2.5)
    with pytest.raises(ValueError, match="n_inner"):
        ctl.closed_loop_msa(x0, W, b, 0.1, subs, n_inner=0)
    with pytest.raises(ValueError, match="c must be"):
        ctl.closed_loop_msa(x0, W, b, 0.1, subs, c=-0.1)
    th = np.stack([np.eye(3)] * 2)
    V0 = np.eye(3)[:, :1]
    with pytest.raises(ValueError, match="thetas"):
        ctl.linear_closed_loop_sq_errors(
            np.ones((2, 3, 2)), V0, np.ones(3)
        )
    with pytest.raises(ValueError, match="invertible"):
        ctl.linear_closed_loop_sq_errors(
            np.stack([np.eye(3), np.zeros((3, 3))]), V0, np.ones(3)
        )
    with pytest.raises(ValueError, match="orthonormal"):
        ctl.linear_closed_loop_bound(th, 2 * V0, np.ones(3))
    with pytest.raises(ValueError, match="z must have shape"):
        ctl.linear_closed_loop_bound(th, V0, np.ones(4))
    with pytest.raises(ValueError, match="c must be"):
        ctl.linear_closed_loop_sq_errors(th, V0, np.ones(3), c=-1.0)
    with pytest.raises(TypeError, match="thetas"):
        ctl.linear_closed_loop_sq_errors("abc", V0, np.ones(3))
