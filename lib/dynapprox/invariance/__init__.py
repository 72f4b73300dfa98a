r"""Permutation symmetry: groups, invariance checks, equivariant flows, crystal tables.

The subpackage has one module per object:

* :mod:`dynapprox.invariance.groups` - permutation groups (:math:`S_d`,
  :math:`\mathbb Z_d`, products of symmetric groups on blocks), their action on inputs,
  invariance and equivariance errors, the group average;
* :mod:`dynapprox.invariance.equivariant` - equivariant controlled flows with an
  invariant readout, and a parameter-matched non-invariant baseline;
* :mod:`dynapprox.invariance.crystals` - the talk's crystal tables (NaCl, CaCO3).

Every public name is re-exported here (``inv.random_permutations``, ...).
"""

from __future__ import annotations

from .crystals import (
    CACO3,
    NACL,
    CrystalTable,
    crystal_table,
    same_structure,
)
from .equivariant import (
    EquivariantFlow,
    count_parameters,
    equivariant_field,
    matched_baseline,
)
from .groups import (
    check_block_sizes,
    check_permutation,
    compose,
    cyclic_shifts,
    equivariance_error,
    group_average,
    invariance_error,
    inverse,
    inversion_count,
    permute,
    random_block_permutations,
    random_cyclic_shifts,
    random_permutations,
)

__all__ = [
    "check_permutation",
    "check_block_sizes",
    "permute",
    "compose",
    "inverse",
    "random_permutations",
    "cyclic_shifts",
    "random_cyclic_shifts",
    "random_block_permutations",
    "inversion_count",
    "invariance_error",
    "equivariance_error",
    "group_average",
    "equivariant_field",
    "EquivariantFlow",
    "matched_baseline",
    "count_parameters",
    "CrystalTable",
    "NACL",
    "CACO3",
    "crystal_table",
    "same_structure",
]
