"""Unit tests of dynapprox.invariance.crystals against the talk's tables and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dynapprox import invariance as inv

# ---------------------------------------------------------------- permutations

# ---------------------------------------------------------------- crystals


def test_crystal_tables_match_the_talk():
    assert inv.crystal_table("NaCl").rows() == [
        ("Na", 0.0, 0.0, 0.0),
        ("Cl", 0.5, 0.5, 0.5),
    ]
    t = inv.crystal_table("CaCO3")
    assert t.block_sizes == (2, 2, 6) and t.block_species == (
        "Ca",
        "C",
        "O",
    )
    assert t.coords.shape == (10, 3) and not t.coords.flags.writeable
    with pytest.raises(ValueError, match="name"):
        inv.crystal_table("NaCl2")


def test_same_structure_brute_force_and_modulo_one():
    t = inv.CACO3
    P = inv.random_block_permutations(t.block_sizes, 10, 0)
    for p in P:
        assert inv.same_structure(t.species, t.coords, t.coords[p])
    # a permutation mixing species changes the structure
    assert not inv.same_structure(
        t.species, t.coords, t.coords[[2, 1, 0, 3, 4, 5, 6, 7, 8, 9]]
    )
    # shifting a whole cell: the same atoms modulo 1
    assert inv.same_structure(
        t.species, t.coords, t.coords + np.array([1.0, -1.0, 2.0])
    )
    # brute force over all column permutations: the cyclic ones map the cell to itself
    sym = [
        p
        for p in itertools.permutations(range(3))
        if inv.same_structure(t.species, t.coords, t.coords[:, list(p)])
    ]
    assert sorted(sym) == [(0, 1, 2), (1, 2, 0), (2, 0, 1)]
    with pytest.raises(ValueError, match="coords_b"):
        inv.same_structure(t.species, t.coords, t.coords[:5])
