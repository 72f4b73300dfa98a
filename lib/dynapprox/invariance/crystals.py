r"""The fractional-coordinate tables of NaCl and CaCO3 shown in the talk.

A crystal is listed as a table of atoms (species, fractional coordinates); the order
of the rows within one species carries no information, so a property of the crystal
is invariant under :math:`S_{d_1} \times \dots \times S_{d_r}` acting on the rows.
:data:`NACL` and :data:`CACO3` are the talk's tables, :func:`crystal_table` looks them
up by name and :func:`same_structure` tests whether two tables describe the same atoms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_in, check_positive_float

__all__ = [
    "CrystalTable",
    "NACL",
    "CACO3",
    "crystal_table",
    "same_structure",
]


# --------------------------------------------------------------------------------------
# Crystal tables of the talk
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrystalTable:
    r"""A crystal structure as a list of atoms with fractional coordinates.

    Attributes
    ----------
    name : str
        Chemical formula.
    species : tuple of str
        Species of each atom (row), atoms of one species listed consecutively.
    coords : numpy.ndarray
        Fractional coordinates :math:`(x, y, z) \in [0, 1)^3` of each atom,
        shape ``[n_atoms, 3]`` (read-only).

    Used in
    -------
    Returned by :func:`crystal_table` (in :doc:`/chapters/04_invariant_functions`).
    """

    name: str
    species: tuple[str, ...]
    coords: np.ndarray

    @property
    def block_sizes(self) -> tuple[int, ...]:
        """Numbers of atoms of each species, in the order of the table."""
        sizes, last = [], None
        for s in self.species:
            if s == last:
                sizes[-1] += 1
            else:
                sizes.append(1)
                last = s
        return tuple(sizes)

    @property
    def block_species(self) -> tuple[str, ...]:
        """The species of each block, in the order of the table."""
        out: list[str] = []
        for s in self.species:
            if not out or out[-1] != s:
                out.append(s)
        return tuple(out)

    def rows(self) -> list[tuple[str, float, float, float]]:
        """The table as a list of ``(species, x, y, z)`` rows."""
        rows = zip(self.species, self.coords, strict=True)
        return [
            (s, float(c[0]), float(c[1]), float(c[2])) for s, c in rows
        ]


def _make_table(
    name: str, rows: tuple[tuple[str, float, float, float], ...]
) -> CrystalTable:
    species = tuple(r[0] for r in rows)
    coords = np.array([r[1:] for r in rows], dtype=float)
    coords.setflags(write=False)
    table = CrystalTable(name, species, coords)
    if len(table.block_species) != len(set(species)):
        raise ValueError(
            f"atoms of one species must be listed consecutively in {name}"
        )
    return table


#: Rock salt NaCl, one formula unit as in the talk's table; Na at the origin, Cl at the cell centre.
NACL: CrystalTable = _make_table(
    "NaCl", (("Na", 0.0, 0.0, 0.0), ("Cl", 0.5, 0.5, 0.5))
)

#: Calcite CaCO3 in the rhombohedral cell, two formula units (the talk's table).
CACO3: CrystalTable = _make_table(
    "CaCO3",
    (
        ("Ca", 0.0, 0.0, 0.0),
        ("Ca", 0.5, 0.5, 0.5),
        ("C", 0.25, 0.25, 0.25),
        ("C", 0.75, 0.75, 0.75),
        ("O", 0.0073, 0.4927, 0.75),
        ("O", 0.25, 0.9927, 0.5073),
        ("O", 0.4927, 0.75, 0.0073),
        ("O", 0.5073, 0.25, 0.9927),
        ("O", 0.75, 0.0073, 0.4927),
        ("O", 0.9927, 0.5073, 0.25),
    ),
)


def crystal_table(name: str) -> CrystalTable:
    """The talk's table ``"NaCl"`` or ``"CaCO3"`` (:data:`NACL`, :data:`CACO3`).

    Used in
    -------
    :doc:`/chapters/04_invariant_functions`.
    """
    tables = {"NaCl": NACL, "CaCO3": CACO3}
    check_in("name", name, tuple(tables))
    return tables[name]


def _canonical(coords: np.ndarray, tol: float) -> np.ndarray:
    c = np.mod(coords, 1.0)
    c = np.where(np.abs(c - 1.0) < tol, 0.0, c)
    c = (
        np.round(c / tol) * tol
    )  # snap to the tolerance grid before sorting
    return c[np.lexsort(c.T[::-1])]


def same_structure(
    species: Sequence[str], coords_a: Any, coords_b: Any, tol: float = 1e-8
) -> bool:
    r"""Whether two coordinate tables list the same atoms up to reordering within species.

    Coordinates are fractional, so they are compared modulo 1 (an atom at
    :math:`x = 1` is the atom at :math:`x = 0` of the next cell). The answer is
    ``True`` iff for every species the multisets of positions agree to ``tol``: a
    permutation in :math:`S_{d_1} \times \dots \times S_{d_r}` maps one table to the
    other.

    Parameters
    ----------
    species : tuple of str
        Species of each row (shared by both tables).
    coords_a : array_like
        Shape ``[n_atoms, 3]``.
    coords_b : array_like
        Shape ``[n_atoms, 3]``.
    tol : float
        Tolerance on each coordinate.

    Returns
    -------
    same : bool

    Used in
    -------
    :doc:`/chapters/04_invariant_functions`.
    """
    species = tuple(species)
    a = np.asarray(coords_a, dtype=float)
    b = np.asarray(coords_b, dtype=float)
    for name, arr in (("coords_a", a), ("coords_b", b)):
        if (
            arr.ndim != 2
            or arr.shape[0] != len(species)
            or not np.all(np.isfinite(arr))
        ):
            raise ValueError(
                f"{name} must be a finite array of shape [{len(species)}, dim], got {arr.shape}"
            )
    if a.shape != b.shape:
        raise ValueError(
            f"coords_a and coords_b must have the same shape, got {a.shape} and {b.shape}"
        )
    tol = check_positive_float("tol", tol)
    lab = np.array(species)
    for s in sorted(set(species)):
        ca, cb = _canonical(a[lab == s], tol), _canonical(b[lab == s], tol)
        if not np.allclose(ca, cb, atol=2 * tol, rtol=0):
            return False
    return True
