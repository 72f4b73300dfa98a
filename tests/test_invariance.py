"""Unit tests of dynapprox.invariance against brute-force references."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy import stats

from dynapprox import flows
from dynapprox import invariance as inv


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: one intra-op thread is faster and avoids spinning on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---------------------------------------------------------------- permutations


def test_permute_matches_definition_and_torch():
    x = np.arange(10.0).reshape(2, 5) ** 2
    s = np.array([3, 0, 4, 1, 2])
    y = inv.permute(x, s)
    for i in range(5):
        assert np.all(y[:, i] == x[:, s[i]])  # s(x)_i = x_{s(i)}
    yt = inv.permute(torch.as_tensor(x), s)
    assert isinstance(yt, torch.Tensor) and np.array_equal(yt.numpy(), y)
    rows = inv.permute(x.T, s, axis=0)
    assert np.array_equal(rows, y.T)


def test_compose_and_inverse_are_the_group_law_of_the_action():
    rng = np.random.default_rng(1)
    x = rng.normal(size=7)
    s, t = inv.random_permutations(7, 2, 3)
    assert np.array_equal(inv.permute(x, inv.compose(s, t)), inv.permute(inv.permute(x, t), s))
    assert np.array_equal(inv.permute(inv.permute(x, s), inv.inverse(s)), x)
    batch = inv.random_permutations(7, 5, 4)
    assert np.array_equal(inv.compose(batch, inv.inverse(batch)), np.tile(np.arange(7), (5, 1)))


def test_random_permutations_are_uniform_on_s3():
    perms = inv.random_permutations(3, 6000, 0)
    codes = perms @ np.array([9, 3, 1])
    counts = np.array([np.sum(codes == c) for c in np.unique(codes)])
    assert counts.size == 6  # every element of S_3 occurs
    assert stats.chisquare(counts).pvalue > 1e-3
    assert np.array_equal(inv.random_permutations(5, 4, 7), inv.random_permutations(5, 4, 7))


def test_cyclic_shifts_are_rolls_and_form_a_group():
    x = np.arange(6.0)
    C = inv.cyclic_shifts(6)
    for k in range(6):
        assert np.array_equal(inv.permute(x, C[k]), np.roll(x, -k))
    closure = {tuple(inv.compose(a, b)) for a in C for b in C}
    assert closure == {tuple(r) for r in C}
    R = inv.random_cyclic_shifts(6, 50, 0)
    assert all(tuple(r) in closure for r in R)


def test_block_permutations_preserve_blocks_and_cover_the_product_group():
    sizes = (2, 3)
    P = inv.random_block_permutations(sizes, 2000, 0)
    assert np.all(np.sort(P[:, :2], axis=1) == [0, 1])
    assert np.all(np.sort(P[:, 2:], axis=1) == [2, 3, 4])
    assert len({tuple(p) for p in P}) == math.factorial(2) * math.factorial(3)


def test_inversion_count_against_brute_force():
    for p in itertools.permutations(range(5)):
        brute = sum(p[i] > p[j] for i in range(5) for j in range(i + 1, 5))
        assert inv.inversion_count(np.array(p)) == brute
    assert inv.inversion_count(np.array([[0, 1, 2], [2, 1, 0]])).tolist() == [0, 3]


@pytest.mark.parametrize(
    "perm, err, words",
    [
        ([0, 1, 1], ValueError, "exactly once"),
        ([0.0, 1.0], TypeError, "integer"),
        ([[[0]]], ValueError, "shape"),
    ],
)
def test_check_permutation_rejects_bad_input(perm, err, words):
    with pytest.raises(err, match=words):
        inv.check_permutation("perm", perm)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="permute 3 indices"):
        inv.permute(np.zeros(3), [1, 0])
    with pytest.raises(ValueError, match="axis"):
        inv.permute(np.zeros(3), [0, 1, 2], axis=2)
    with pytest.raises(ValueError, match="d must be a positive"):
        inv.random_permutations(0, 3, 0)
    with pytest.raises(ValueError, match="seed"):
        inv.random_permutations(3, 3, None)
    with pytest.raises(ValueError, match=r"sizes\[1\]"):
        inv.random_block_permutations((2, 0), 3, 0)
    with pytest.raises(TypeError, match="f must be callable"):
        inv.invariance_error(None, np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match="batch"):
        inv.invariance_error(np.sum, np.zeros(3), [0, 1, 2])
    with pytest.raises(ValueError, match="axis 0"):
        inv.invariance_error(np.sum, np.zeros((2, 3)), [0, 1], axis=0)


# ---------------------------------------------------------------- invariance errors


def test_invariance_error_of_symmetric_and_non_symmetric_functions():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5))
    P = inv.random_permutations(5, 30, 1)
    assert inv.invariance_error(lambda z: np.sort(z, axis=1)[:, 1], x, P) == 0.0
    assert inv.invariance_error(lambda z: np.prod(z, axis=1), x, P) < 1e-12
    w = np.arange(5.0)
    brute = max(abs(z[p] @ w - z @ w) for z in x for p in P)
    assert inv.invariance_error(lambda z: z @ w, x, P) == pytest.approx(brute, rel=1e-12)
    # the cyclic group leaves a circular autocorrelation invariant but not S_5
    autocorr = lambda z: np.sum(z * np.roll(z, 1, axis=1), axis=1)  # noqa: E731
    assert inv.invariance_error(autocorr, x, inv.cyclic_shifts(5)) < 1e-12
    assert inv.invariance_error(autocorr, x, P) > 1e-2


def test_equivariance_error_and_group_average():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 4))
    P = inv.random_permutations(4, 10, 0)
    assert inv.equivariance_error(lambda z: z**3 + z.sum(axis=1, keepdims=True), x, P) < 1e-12
    assert inv.equivariance_error(lambda z: np.cumsum(z, axis=1), x, P) > 1e-2
    G = np.array(list(itertools.permutations(range(4))))
    f = lambda z: z @ np.array([1.0, 2.0, 0.0, -1.0])  # noqa: E731
    fbar = inv.group_average(f, x, G)
    assert np.allclose(fbar, x.sum(axis=1) * 2.0 / 4)  # average weight (1+2+0-1)/4 on each x_i
    assert inv.invariance_error(lambda z: inv.group_average(f, z, G), x, P) < 1e-12


def test_block_action_on_rows_of_a_table():
    t = inv.CACO3
    P = inv.random_block_permutations(t.block_sizes, 25, 0)
    X = t.coords[None]
    per_species = lambda Z: np.stack(  # noqa: E731
        [np.sin(2 * np.pi * Z[:, 4:]).sum(axis=(1, 2)), Z[:, :2, 0].prod(axis=1)], axis=1
    )
    assert inv.invariance_error(per_species, X, P, axis=-2) < 1e-12
    assert inv.invariance_error(lambda Z: Z[:, :, 0] @ np.arange(10.0), X, P, axis=-2) > 1e-2


# ---------------------------------------------------------------- the equivariant flow


def _random_controls(k, r, seed):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(r, k, k, generator=g, dtype=torch.float64)
    B = torch.randn(r, r, k, k, generator=g, dtype=torch.float64) / 3
    c = torch.randn(r, k, generator=g, dtype=torch.float64)
    return A, B, c


def test_equivariant_field_matches_a_loop_over_coordinates():
    blocks = (2, 3)
    A, B, c = _random_controls(3, 2, 0)
    h = torch.randn(4, 5, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    out = inv.equivariant_field(h, A, B, c, blocks)
    beta = [0, 0, 1, 1, 1]
    S = [h[:, :2].sum(1), h[:, 2:].sum(1)]
    for i in range(5):
        b = beta[i]
        ref = torch.tanh(h[:, i] @ A[b].T + S[0] @ B[b, 0].T + S[1] @ B[b, 1].T + c[b])
        assert torch.allclose(out[:, i], ref, atol=1e-13)
    # one block, k = 1: the talk's field sigma(a x_i + b sum_j x_j + c)
    a, bb, cc = 0.7, -0.3, 0.2
    x = torch.randn(3, 6, 1, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    one = inv.equivariant_field(x, torch.tensor([[[a]]]), torch.tensor([[[[bb]]]]), torch.tensor([[cc]]))
    assert torch.allclose(one, torch.tanh(a * x + bb * x.sum(1, keepdim=True) + cc), atol=1e-15)


def test_flow_is_equivariant_and_model_invariant_in_float64():
    m = inv.EquivariantFlow(6, width=3, n_pieces=3, readout_width=5, seed=0)
    x = torch.as_tensor(np.random.default_rng(0).uniform(-1, 1, (50, 6)))
    P = inv.random_permutations(6, 20, 0)
    assert inv.equivariance_error(m.flow, x, P, out_axis=1) < 1e-12
    assert inv.invariance_error(m, x, P) < 1e-12
    base = inv.matched_baseline(inv.count_parameters(m), 6, n_pieces=3, seed=0)
    assert inv.invariance_error(base, x, P) > 1e-3


def test_block_flow_is_invariant_only_under_the_product_group():
    m = inv.EquivariantFlow(10, width=3, n_pieces=2, blocks=(2, 2, 6), in_features=3, seed=1)
    X = torch.as_tensor(np.random.default_rng(3).uniform(0, 1, (8, 10, 3)))
    assert inv.invariance_error(m, X, inv.random_block_permutations((2, 2, 6), 20, 0), axis=-2) < 1e-12
    assert inv.invariance_error(m, X, inv.random_permutations(10, 20, 0), axis=-2) > 1e-3


def test_flow_agrees_with_scipy_solve_ivp():
    from scipy.integrate import solve_ivp

    m = inv.EquivariantFlow(4, width=2, n_pieces=2, T=1.0, steps_per_piece=40, seed=5)
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

        y = solve_ivp(rhs, (q * 0.5, (q + 1) * 0.5), y, rtol=1e-11, atol=1e-12).y[:, -1]
    assert np.allclose(hT.reshape(-1), y, atol=1e-9)


def test_model_trains_and_matched_baseline_has_close_parameter_count():
    m = inv.EquivariantFlow(5, width=4, n_pieces=2, readout_width=8, seed=0)
    n = inv.count_parameters(m)
    # lift 2k, pieces K(2k^2 + k), readout km + 2m + 1
    assert n == 2 * 4 + 2 * (2 * 16 + 4) + (4 * 8 + 2 * 8 + 1)
    base = inv.matched_baseline(n, 5, n_pieces=2)
    nb = inv.count_parameters(base)
    w = base.net.width
    assert nb == 2 * (2 * 5 * w + w) + 5 + 1
    assert abs(nb - n) <= 2 * (2 * 5 + 1) / 2
    x = torch.as_tensor(np.random.default_rng(0).uniform(-1, 1, (64, 5)))
    y = torch.sin(x).sum(1)
    m.method, m.steps_per_piece = "euler", 1  # a cheap discretisation suffices here
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
        inv.equivariant_field(torch.zeros(2, 3, 2), torch.zeros(1, 3, 3), torch.zeros(1, 1, 2, 2), torch.zeros(1, 2))
    with pytest.raises(ValueError, match="dim must be at least"):
        inv.matched_baseline(100, 5, dim=3)


# ---------------------------------------------------------------- crystals


def test_crystal_tables_match_the_talk():
    assert inv.crystal_table("NaCl").rows() == [("Na", 0.0, 0.0, 0.0), ("Cl", 0.5, 0.5, 0.5)]
    t = inv.crystal_table("CaCO3")
    assert t.block_sizes == (2, 2, 6) and t.block_species == ("Ca", "C", "O")
    assert t.coords.shape == (10, 3) and not t.coords.flags.writeable
    with pytest.raises(ValueError, match="name"):
        inv.crystal_table("NaCl2")


def test_same_structure_brute_force_and_modulo_one():
    t = inv.CACO3
    P = inv.random_block_permutations(t.block_sizes, 10, 0)
    for p in P:
        assert inv.same_structure(t.species, t.coords, t.coords[p])
    # a permutation mixing species changes the structure
    assert not inv.same_structure(t.species, t.coords, t.coords[[2, 1, 0, 3, 4, 5, 6, 7, 8, 9]])
    # shifting a whole cell: the same atoms modulo 1
    assert inv.same_structure(t.species, t.coords, t.coords + np.array([1.0, -1.0, 2.0]))
    # brute force over all column permutations: the cyclic ones map the cell to itself
    sym = [p for p in itertools.permutations(range(3)) if inv.same_structure(t.species, t.coords, t.coords[:, list(p)])]
    assert sorted(sym) == [(0, 1, 2), (1, 2, 0), (2, 0, 1)]
    with pytest.raises(ValueError, match="coords_b"):
        inv.same_structure(t.species, t.coords, t.coords[:5])
