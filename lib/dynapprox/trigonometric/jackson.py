r"""The Jackson-Favard theorem: Favard's constants, the bound, and targets of given smoothness.

For :math:`2\pi`-periodic :math:`f` with :math:`f^{(\alpha-1)}` absolutely continuous and
:math:`f^{(\alpha)} \in L^\infty`, :math:`E_m(f) \le K_\alpha \|f^{(\alpha)}\|_\infty / m^\alpha`
(:func:`jackson_bound`, with Favard's constant :func:`favard_constant`);
:class:`AbsSinPower` is a family of targets with smoothness exactly :math:`\alpha`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_nonnegative_int, check_positive_int

__all__ = ["favard_constant", "jackson_bound", "AbsSinPower"]


def favard_constant(r: int) -> float:
    r"""Favard's constant :math:`K_r = \frac{4}{\pi}\sum_{j\ge 0} \big(\frac{(-1)^j}{2j+1}\big)^{r+1}`.

    :math:`K_0 = 1`, :math:`K_1 = \pi/2`, :math:`K_2 = \pi^2/8`, :math:`K_3 = \pi^3/24`;
    for :math:`r \ge 1`, :math:`1 < K_r \le \pi/2` and :math:`K_r \to 4/\pi`.
    Computed in closed form with :func:`scipy.special.zeta` (Hurwitz zeta): for
    :math:`s = r + 1` even the sum is :math:`(1 - 2^{-s})\zeta(s)`, for ``s`` odd it is
    the Dirichlet beta function :math:`4^{-s}(\zeta(s, 1/4) - \zeta(s, 3/4))`.

    Used in
    -------
    :doc:`/chapters/01_approximation` (:prf:ref:`thm-jackson`).
    """
    from scipy.special import zeta

    r = check_nonnegative_int("r", r)
    if r == 0:
        return 1.0
    s = r + 1
    if s % 2 == 0:
        total = (1.0 - 2.0**-s) * zeta(s)
    else:
        total = 4.0**-s * (zeta(s, 0.25) - zeta(s, 0.75))
    return float(4.0 / np.pi * total)


def jackson_bound(m: int, alpha: int, derivative_sup_norm: float) -> float:
    r"""The Jackson-Favard bound :math:`K_\alpha \|f^{(\alpha)}\|_\infty / m^\alpha` on :math:`E_m(f)`.

    Valid for :math:`2\pi`-periodic ``f`` whose derivative of order ``alpha - 1`` is
    absolutely continuous with :math:`f^{(\alpha)} \in L^\infty` (see chapter 1).

    Used in
    -------
    :doc:`/chapters/01_approximation` (:prf:ref:`thm-jackson`).
    """
    m = check_positive_int("m", m)
    alpha = check_positive_int("alpha", alpha)
    if derivative_sup_norm < 0 or not np.isfinite(derivative_sup_norm):
        raise ValueError(
            f"derivative_sup_norm must be a finite non-negative number, got {derivative_sup_norm}"
        )
    return favard_constant(alpha) * float(derivative_sup_norm) / m**alpha


@dataclass(frozen=True)
class AbsSinPower:
    r"""The target :math:`f(x) = |\sin(\omega x)|^k` with ``k`` odd and ``omega`` a positive integer.

    On :math:`(0, \pi/\omega)` it equals :math:`\sin^k(\omega x)`, and with ``k`` odd
    :math:`\sin^k y = 2^{1-k}\sum_{j=0}^{(k-1)/2} (-1)^{(k-1)/2-j}\binom{k}{j}\sin((k-2j)y)`.
    Its derivatives up to order ``k - 1`` are continuous and the ``k``-th is bounded
    with jumps at the zeros of :math:`\sin(\omega x)`, so it has smoothness
    ``alpha = k`` in the sense of the Jackson-Favard theorem (``f^{(k-1)}``
    absolutely continuous, ``f^{(k)}`` in :math:`L^\infty`) and no more.

    Used in
    -------
    :doc:`/chapters/01_approximation` (:prf:ref:`thm-jackson`).
    """

    k: int
    omega: int = 1

    def __post_init__(self) -> None:
        k = check_positive_int("k", self.k)
        check_positive_int("omega", self.omega)
        if k % 2 != 1:
            raise ValueError(
                f"k must be odd (|sin x|^k is smooth for even k), got {k}"
            )

    @property
    def alpha(self) -> int:
        """The smoothness order ``alpha = k`` (``f^{(alpha)}`` is bounded, ``f^{(alpha+1)}`` is not)."""
        return self.k

    def __call__(self, x: ArrayLike) -> np.ndarray:
        return (
            np.abs(np.sin(self.omega * np.asarray(x, dtype=float)))
            ** self.k
        )

    def derivative(self, order: int, x: ArrayLike) -> np.ndarray:
        r"""The derivative :math:`f^{(\text{order})}(x)` (one-sided at the kinks), from the sine expansion."""
        from math import comb

        order = check_nonnegative_int("order", order)
        x = np.asarray(x, dtype=float)
        y = np.mod(
            self.omega * x, np.pi
        )  # fold onto (0, pi), where f = sin^k
        k = self.k
        out = np.zeros_like(y)
        for j in range((k - 1) // 2 + 1):
            n = k - 2 * j
            coef = 2.0 ** (1 - k) * (-1) ** ((k - 1) // 2 - j) * comb(k, j)
            # d^order/dy^order sin(n y) = n^order sin(n y + order pi / 2)
            out += coef * n**order * np.sin(n * y + order * np.pi / 2)
        return out * self.omega**order

    def derivative_bound(self, order: int) -> float:
        r"""A proven bound of :math:`\sup |f^{(\text{order})}|` on the smooth pieces.

        From the sine expansion, :math:`|f^{(r)}| \le \omega^r\, 2^{1-k}
        \sum_{j \le (k-1)/2} \binom{k}{j} (k - 2j)^r` (equal to 1 for ``r = 0``). It is
        exact for ``r = 0`` and an overestimate of the sampled
        :meth:`derivative_sup_norm` otherwise.
        """
        from math import comb

        order = check_nonnegative_int("order", order)
        k = self.k
        total = sum(
            comb(k, j) * float(k - 2 * j) ** order
            for j in range((k - 1) // 2 + 1)
        )
        return float(self.omega**order * 2.0 ** (1 - k) * total)

    def breakpoints(self) -> np.ndarray:
        r"""The kinks :math:`x = j\pi/\omega`, ``j = 0, ..., 2 omega - 1``, in :math:`[0, 2\pi)`."""
        return np.pi * np.arange(2 * self.omega) / self.omega

    def derivative_sup_norm(
        self, order: int | None = None, n_grid: int = 200001
    ) -> float:
        r""":math:`\|f^{(\text{order})}\|_\infty` (default ``order = alpha``), sampled.

        The maximum over ``n_grid`` equally spaced points of :math:`[0, 2\pi]`.
        """
        order = self.alpha if order is None else order
        x = np.linspace(
            0.0, 2 * np.pi, check_positive_int("n_grid", n_grid)
        )
        return float(np.max(np.abs(self.derivative(order, x))))
