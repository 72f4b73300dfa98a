r"""Embedding subspaces of hidden states (Chen, Li and Zhang).

The hidden states of correctly classified training data lie near low-dimensional affine
subspaces, one per layer, found by principal component analysis (:func:`pca_subspace`,
:func:`embedding_subspaces`); the closed-loop controls of :mod:`dynapprox.control.closed_loop`
pull perturbed states back towards them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .._validation import check_finite_float, check_positive_int
from ._checks import check_tensor

__all__ = ["PCASubspace", "pca_subspace", "embedding_subspaces"]


@dataclass(frozen=True)
class PCASubspace:
    """An affine embedding subspace :math:`\\{m + V c\\}` of hidden states.

    Attributes
    ----------
    mean : torch.Tensor
        Centre :math:`m`, shape ``(d,)``.
    basis : torch.Tensor
        Orthonormal columns :math:`V`, shape ``(d, k)``.
    explained : float
        Fraction of the variance captured by the ``k`` directions.

    Used in
    -------
    Returned by :func:`pca_subspace` and :func:`embedding_subspaces` (in
    :doc:`/chapters/06_discrete_robust`).
    """

    mean: torch.Tensor
    basis: torch.Tensor
    explained: float

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        """Component of ``x - m`` orthogonal to the subspace, :math:`(I - VV^\\top)(x - m)`."""
        z = x - self.mean
        return z - (z @ self.basis) @ self.basis.T


def pca_subspace(
    states: torch.Tensor, k: int | None = None, energy: float | None = None
) -> PCASubspace:
    r"""Principal subspace of a cloud of states (by an SVD of the centred data).

    Parameters
    ----------
    states : torch.Tensor
        States, shape ``(B, d)``.
    k : int, optional
        Dimension of the subspace.
    energy : float, optional
        Alternatively, the smallest ``k`` whose directions explain at least this fraction
        of the variance, in ``(0, 1]``. Exactly one of ``k`` and ``energy`` is given.

    Returns
    -------
    PCASubspace
        Mean, orthonormal basis and explained variance fraction.

    Used in
    -------
    Used by :func:`embedding_subspaces` (in :doc:`/chapters/06_discrete_robust`,
    :prf:ref:`prop-feedback-noise`).
    """
    states = check_tensor("states", states, 2)
    if (k is None) == (energy is None):
        raise ValueError("give exactly one of k and energy")
    mean = states.mean(0)
    _, s, vh = torch.linalg.svd(states - mean, full_matrices=False)
    var = s**2
    frac = torch.cumsum(var, 0) / var.sum()
    if k is not None:
        k = check_positive_int("k", k)
        if k > vh.shape[0]:
            raise ValueError(
                f"k must be <= min(B, d) = {vh.shape[0]}, got {k}"
            )
    else:
        energy = check_finite_float("energy", energy)
        if not 0 < energy <= 1:
            raise ValueError(f"energy must lie in (0, 1], got {energy}")
        k = (
            int(
                torch.searchsorted(
                    frac, torch.tensor(energy, dtype=frac.dtype) - 1e-12
                )
            )
            + 1
        )
        k = min(k, vh.shape[0])
    return PCASubspace(
        mean=mean,
        basis=vh[:k].T.contiguous(),
        explained=float(frac[k - 1]),
    )


def embedding_subspaces(
    states: torch.Tensor, k: int | None = None, energy: float | None = None
) -> list[PCASubspace]:
    r"""PCA embedding subspace of every layer's states (of correctly classified data).

    Parameters
    ----------
    states : torch.Tensor
        States :math:`x_0, \dots, x_N` of the selected training points, shape ``(N + 1, B, d)``.
    k : int, optional
        Common subspace dimension.
    energy : float, optional
        Or the explained-variance fraction per layer (see :func:`pca_subspace`).

    Returns
    -------
    list of PCASubspace
        One subspace per layer ``0..N``.

    Used in
    -------
    :doc:`/chapters/06_discrete_robust` (:prf:ref:`prop-feedback-noise`).
    """
    states = check_tensor("states", states, 3)
    return [pca_subspace(s, k=k, energy=energy) for s in states]
