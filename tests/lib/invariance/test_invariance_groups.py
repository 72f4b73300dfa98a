"""Unit tests of dynapprox.invariance.groups against brute-force references."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy import stats

from dynapprox import invariance as inv

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
    assert np.array_equal(
        inv.permute(x, inv.compose(s, t)),
        inv.permute(inv.permute(x, t), s),
    )
    assert np.array_equal(
        inv.permute(inv.permute(x, s), inv.inverse(s)), x
    )
    batch = inv.random_permutations(7, 5, 4)
    assert np.array_equal(
        inv.compose(batch, inv.inverse(batch)),
        np.tile(np.arange(7), (5, 1)),
    )


def test_random_permutations_are_uniform_on_s3():
    perms = inv.random_permutations(3, 6000, 0)
    codes = perms @ np.array([9, 3, 1])
    counts = np.array([np.sum(codes == c) for c in np.unique(codes)])
    assert counts.size == 6  # every element of S_3 occurs
    assert stats.chisquare(counts).pvalue > 1e-3
    assert np.array_equal(
        inv.random_permutations(5, 4, 7), inv.random_permutations(5, 4, 7)
    )


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
    assert len({tuple(p) for p in P}) == math.factorial(
        2
    ) * math.factorial(3)


def test_inversion_count_against_brute_force():
    for p in itertools.permutations(range(5)):
        brute = sum(p[i] > p[j] for i in range(5) for j in range(i + 1, 5))
        assert inv.inversion_count(np.array(p)) == brute
    assert inv.inversion_count(
        np.array([[0, 1, 2], [2, 1, 0]])
    ).tolist() == [0, 3]


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
    assert (
        inv.invariance_error(lambda z: np.sort(z, axis=1)[:, 1], x, P)
        == 0.0
    )
    assert inv.invariance_error(lambda z: np.prod(z, axis=1), x, P) < 1e-12
    w = np.arange(5.0)
    brute = max(abs(z[p] @ w - z @ w) for z in x for p in P)
    assert inv.invariance_error(lambda z: z @ w, x, P) == pytest.approx(
        brute, rel=1e-12
    )
    # the cyclic group leaves a circular autocorrelation invariant but not S_5
    autocorr = lambda z: np.sum(z * np.roll(z, 1, axis=1), axis=1)  # noqa: E731
    assert inv.invariance_error(autocorr, x, inv.cyclic_shifts(5)) < 1e-12
    assert inv.invariance_error(autocorr, x, P) > 1e-2


def test_equivariance_error_and_group_average():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 4))
    P = inv.random_permutations(4, 10, 0)
    assert (
        inv.equivariance_error(
            lambda z: z**3 + z.sum(axis=1, keepdims=True), x, P
        )
        < 1e-12
    )
    assert (
        inv.equivariance_error(lambda z: np.cumsum(z, axis=1), x, P) > 1e-2
    )
    G = np.array(list(itertools.permutations(range(4))))
    f = lambda z: z @ np.array([1.0, 2.0, 0.0, -1.0])  # noqa: E731
    fbar = inv.group_average(f, x, G)
    assert np.allclose(
        fbar, x.sum(axis=1) * 2.0 / 4
    )  # average weight (1+2+0-1)/4 on each x_i
    assert (
        inv.invariance_error(lambda z: inv.group_average(f, z, G), x, P)
        < 1e-12
    )


def test_block_action_on_rows_of_a_table():
    t = inv.CACO3
    P = inv.random_block_permutations(t.block_sizes, 25, 0)
    X = t.coords[None]

    def per_species(Z):
        return np.stack(
            [
                np.sin(2 * np.pi * Z[:, 4:]).sum(axis=(1, 2)),
                Z[:, :2, 0].prod(axis=1),
            ],
            axis=1,
        )

    assert inv.invariance_error(per_species, X, P, axis=-2) < 1e-12
    assert (
        inv.invariance_error(
            lambda Z: Z[:, :, 0] @ np.arange(10.0), X, P, axis=-2
        )
        > 1e-2
    )


# ---------------------------------------------------------------- the equivariant flow


def test_check_block_sizes():
    assert inv.check_block_sizes(3) == (3,)
    assert inv.check_block_sizes([2, 2, 6]) == (2, 2, 6)
    with pytest.raises(ValueError, match="at least one"):
        inv.check_block_sizes([])
    with pytest.raises(TypeError, match="sizes must be a sequence"):
        inv.check_block_sizes(None)
