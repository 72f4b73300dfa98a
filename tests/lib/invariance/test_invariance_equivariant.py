"""Unit tests of dynapprox.invariance.equivariant: exact equivariance, scipy reference, parameter counts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dynapprox import flows
from dynapprox import invariance as inv

# ---------------------------------------------------------------- permutations


def _random_controls(k, r, seed):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(r, k, k, generator=g, dtype=torch.float64)
    B = torch.randn(r, r, k, k, generator=g, dtype=torch.float64) / 3
    c = torch.randn(r, k, generator=g, dtype=torch.float64)
    return A, B, c


def test_equivariant_field_matches_a_loop_over_coordinates():
    blocks = (2, 3)
    A, B, c = _random_controls(3, 2, 0)
    h = torch.randn(
        4,
        5,
        3,
        generator=torch.Generator().manual_seed(1),
        dtype=torch.float64,
    )
    out = inv.equivariant_field(h, A, B, c, blocks)
    beta = [0, 0, 1, 1, 1]
    S = [h[:, :2].sum(1), h[:, 2:].sum(1)]
    for i in range(5):
        b = beta[i]
        ref = torch.tanh(
            h[:, i] @ A[b].T + S[0] @ B[b, 0].T + S[1] @ B[b, 1].T + c[b]
        )
        assert torch.allclose(out[:, i], ref, atol=1e-13)
    # one block, k = 1: the talk's field sigma(a x_i + b sum_j x_j + c)
    a, bb, cc = 0.7, -0.3, 0.2
    x = torch.randn(
        3,
        6,
        1,
        generator=torch.Generator().manual_seed(2),
        dtype=torch.float64,
    )
    one = inv.equivariant_field(
        x,
        torch.tensor([[[a]]]),
        torch.tensor([[[[bb]]]]),
        torch.tensor([[cc]]),
    )
    assert torch.allclose(
        one,
        torch.tanh(a * x + bb * x.sum(1, keepdim=True) + cc),
        atol=1e-15,
    )


def test_flow_is_equivariant_and_model_invariant_in_float64():
    m = inv.EquivariantFlow(
        6, width=3, n_pieces=3, readout_width=5, seed=0
    )
    x = torch.as_tensor(np.random.default_rng(0).uniform(-1, 1, (50, 6)))
    P = inv.random_permutations(6, 20, 0)
    assert inv.equivariance_error(m.flow, x, P, out_axis=1) < 1e-12
    assert inv.invariance_error(m, x, P) < 1e-12
    base = inv.matched_baseline(
        inv.count_parameters(m), 6, n_pieces=3, seed=0
    )
    assert inv.invariance_error(base, x, P) > 1e-3


def test_block_flow_is_invariant_only_under_the_product_group():
    m = inv.EquivariantFlow(
        10, width=3, n_pieces=2, blocks=(2, 2, 6), in_features=3, seed=1
    )
    X = torch.as_tensor(np.random.default_rng(3).uniform(0, 1, (8, 10, 3)))
    assert (
        inv.invariance_error(
            m, X, inv.random_block_permutations((2, 2, 6), 20, 0), axis=-2
        )
        < 1e-12
    )
    assert (
        inv.invariance_error(
            m, X, inv.random_permutations(10, 20, 0), axis=-2
        )
        > 1e-3
    )


def test_flow_agrees_with_scipy_solve_ivp():
    from scipy.integrate import solve_ivp

    m = inv.EquivariantFlow(
        4, width=2, n_pieces=2, T=1.0, steps_per_piece=40, seed=5
    )
    x = torch.as_tensor(np.random.default_rng(4).uniform(-1, 1, (3, 4)))
    with torch.no_grad():
        h0 = m.lift(x)
        hT = m.flow(x).numpy()
    y = h0.numpy().reshape(-1)
    for q in range(2):
        A, B, c = m.A[q].detach(), m.B[q].detach(), m.c[q].detach()

        def rhs(t, z, A=A, B=B, c=c):
            hz = torch.as_tensor(z.reshape(3, 4, 2))
            return inv.equivariant_field(hz, A, B, c).numpy().reshape(-1)

        y = solve_ivp(
            rhs, (q * 0.5, (q + 1) * 0.5), y, rtol=1e-11, atol=1e-12
        ).y[:, -1]
    assert np.allclose(hT.reshape(-1), y, atol=1e-9)


def test_model_trains_and_matched_baseline_has_close_parameter_count():
    m = inv.EquivariantFlow(
        5, width=4, n_pieces=2, readout_width=8, seed=0
    )
    n = inv.count_parameters(m)
    # lift 2k, pieces K(2k^2 + k), readout km + 2m + 1
    assert n == 2 * 4 + 2 * (2 * 16 + 4) + (4 * 8 + 2 * 8 + 1)
    base = inv.matched_baseline(n, 5, n_pieces=2)
    nb = inv.count_parameters(base)
    w = base.width
    assert nb == 2 * (2 * 5 * w + w) + 5 + 1
    assert abs(nb - n) <= 2 * (2 * 5 + 1) / 2
    x = torch.as_tensor(np.random.default_rng(0).uniform(-1, 1, (64, 5)))
    y = torch.sin(x).sum(1)
    m.method, m.steps_per_piece = (
        "euler",
        1,
    )  # a cheap discretisation suffices here
    hist = flows.train_full_batch(m, x, y, n_iter=40, lr=3e-2)
    assert hist[-1] < 0.2 * hist[0]


def test_model_rejects_bad_input():
    with pytest.raises(ValueError, match="blocks must sum"):
        inv.EquivariantFlow(5, blocks=(2, 2))
    with pytest.raises(ValueError, match="width"):
        inv.EquivariantFlow(5, width=0)
    with pytest.raises(TypeError, match="dtype"):
        inv.EquivariantFlow(5, dtype=torch.int64)
    m = inv.EquivariantFlow(5, width=2)
    with pytest.raises(ValueError, match=r"x must have shape \[n, 5\]"):
        m(torch.zeros(3, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="A must be a tensor of shape"):
        inv.equivariant_field(
            torch.zeros(2, 3, 2),
            torch.zeros(1, 3, 3),
            torch.zeros(1, 1, 2, 2),
            torch.zeros(1, 2),
        )
    with pytest.raises(ValueError, match="dim must be at least"):
        inv.matched_baseline(100, 5, dim=3)
