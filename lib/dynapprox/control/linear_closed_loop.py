r"""The linear error analysis of the greedy closed loop (Chen, Li and Zhang, journal Theorem 4).

On a linear network :math:`x_{t+1} = \theta_t x_t` with embedding subspaces transported by
the network, the error of the greedy closed-loop control obeys a linear recursion
(:func:`linear_closed_loop_sq_errors`) and the paper's bound (:func:`linear_closed_loop_bound`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_finite_float, check_real_array

__all__ = ["linear_closed_loop_sq_errors", "linear_closed_loop_bound"]


def _linear_closed_loop_setup(
    thetas: ArrayLike, basis0: ArrayLike, z: ArrayLike, c: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, list[np.ndarray]]:
    thetas = check_real_array("thetas", thetas, ndim=3)
    T, d, d2 = thetas.shape
    if d != d2:
        raise ValueError(
            f"thetas must have shape (T, d, d), got {thetas.shape}"
        )
    basis0 = check_real_array("basis0", basis0, ndim=2)
    if basis0.shape[0] != d or basis0.shape[1] > d:
        raise ValueError(
            f"basis0 must have shape (d, k) with k <= d = {d}, got {basis0.shape}"
        )
    if not np.allclose(
        basis0.T @ basis0, np.eye(basis0.shape[1]), atol=1e-10
    ):
        raise ValueError("basis0 must have orthonormal columns")
    z = check_real_array("z", z, ndim=1)
    if z.shape != (d,):
        raise ValueError(f"z must have shape (d,) = ({d},), got {z.shape}")
    c = check_finite_float("c", c)
    if c < 0:
        raise ValueError(f"c must be >= 0, got {c}")
    for t in range(T):
        sv = np.linalg.svd(thetas[t], compute_uv=False)
        if sv[-1] <= 1e-12 * sv[0]:
            raise ValueError(
                f"thetas[{t}] must be invertible (its subspace image must keep its dimension)"
            )
    # products Theta_s = theta_{s-1} ... theta_0, s = 0..T
    prods = [np.eye(d)]
    for t in range(T):
        prods.append(thetas[t] @ prods[-1])
    return thetas, basis0, z, c, prods


def linear_closed_loop_sq_errors(
    thetas: ArrayLike, basis0: ArrayLike, z: ArrayLike, c: float = 0.0
) -> np.ndarray:
    r"""Squared errors of the greedy closed loop on a linear network with transported subspaces.

    The setting of the linear error analysis of Chen, Li and Zhang (Theorem 4 of the
    journal version): layers :math:`x_{t+1} = \theta_t x_t` with invertible
    :math:`\theta_t \in \mathbb R^{d\times d}`, embedding subspaces transported by the network,
    :math:`Z_0 = \operatorname{range} V_0` and :math:`Z_{t+1} = \theta_t Z_t`, a clean trajectory with
    :math:`x_t \in Z_t`, and a perturbed input :math:`q_0 = x_0 + z` controlled at every layer
    by the greedy law :math:`u_t = -\frac{1}{1+c}(I - P_t)\,q_t` (:math:`P_t` the orthogonal
    projection onto :math:`Z_t`), :math:`q_{t+1} = \theta_t(q_t + u_t)`. The error
    :math:`e_t = q_t - x_t` obeys :math:`e_{t+1} = \theta_t(\alpha I + (1 - \alpha)P_t)\,e_t`,
    :math:`\alpha = c/(1 + c)`, whatever the clean trajectory.

    Parameters
    ----------
    thetas : array_like
        :math:`\theta_0, \dots, \theta_{T-1}`, shape ``(T, d, d)``, invertible.
    basis0 : array_like
        Orthonormal basis :math:`V_0` of :math:`Z_0`, shape ``(d, k)``.
    z : array_like
        Input perturbation, shape ``(d,)``.
    c : float
        Control cost :math:`c \ge 0`.

    Returns
    -------
    numpy.ndarray
        :math:`|q_t - x_t|_2^2` for :math:`t = 0, \dots, T`, shape ``(T + 1,)``.

    Used in
    -------
    :doc:`/chapters/06_discrete_robust` (:prf:ref:`thm-closed-loop-linear`).
    """
    thetas, basis0, z, c, prods = _linear_closed_loop_setup(
        thetas, basis0, z, c
    )
    alpha = c / (1.0 + c)
    e = z.copy()
    out = [float(e @ e)]
    for t in range(thetas.shape[0]):
        Q, _ = np.linalg.qr(prods[t] @ basis0)  # orthonormal basis of Z_t
        e = thetas[t] @ (alpha * e + (1.0 - alpha) * (Q @ (Q.T @ e)))
        out.append(float(e @ e))
    return np.array(out)


def linear_closed_loop_bound(
    thetas: ArrayLike, basis0: ArrayLike, z: ArrayLike, c: float = 0.0
) -> np.ndarray:
    r"""Right-hand side of the linear error estimate of Chen, Li and Zhang (journal Theorem 4).

    With :math:`\Theta_s = \theta_{s-1}\cdots\theta_0` (:math:`\Theta_0 = I`), :math:`\alpha = c/(1+c)`,
    :math:`z = z^\parallel + z^\perp` split along :math:`Z_0` and its orthogonal complement,
    :math:`\kappa` the 2-norm condition number and
    :math:`\gamma_t = \max_{s \le t}\,(1 + \kappa(\Theta_s)^2)\,\|I - \Theta_s^\top\Theta_s\|_2`,

    .. math::

        B_t = \|\Theta_t\|_2^2\Big(\alpha^{2t}|z^\perp|^2 + |z^\parallel|^2
        + \gamma_t|z|^2\big(\gamma_t\alpha^2(1 - \alpha^{t-1})^2 + 2(\alpha - \alpha^t)\big)\Big),
        \qquad t \ge 1,

    which bounds :math:`|q_t - x_t|^2` of :func:`linear_closed_loop_sq_errors`, with equality
    :math:`\alpha^{2t}|z^\perp|^2 + |z^\parallel|^2` when every :math:`\theta_t` is orthogonal.

    Parameters
    ----------
    thetas, basis0, z, c
        As in :func:`linear_closed_loop_sq_errors`.

    Returns
    -------
    numpy.ndarray
        :math:`B_t` for :math:`t = 1, \dots, T`, shape ``(T,)``.

    Used in
    -------
    :doc:`/chapters/06_discrete_robust` (:prf:ref:`thm-closed-loop-linear`).
    """
    thetas, basis0, z, c, prods = _linear_closed_loop_setup(
        thetas, basis0, z, c
    )
    alpha = c / (1.0 + c)
    z_par = basis0 @ (basis0.T @ z)
    z_perp = z - z_par
    d = z.shape[0]
    gam = 0.0
    out = []
    for t in range(1, thetas.shape[0] + 1):
        for s in (
            t - 1,
            t,
        ):  # gamma_t = max over s <= t (s = 0 contributes 0)
            sv = np.linalg.svd(prods[s], compute_uv=False)
            gam = max(
                gam,
                (1.0 + (sv[0] / sv[-1]) ** 2)
                * np.linalg.norm(np.eye(d) - prods[s].T @ prods[s], 2),
            )
        lead = alpha ** (2 * t) * float(z_perp @ z_perp) + float(
            z_par @ z_par
        )
        extra = (
            gam
            * float(z @ z)
            * (
                gam * alpha**2 * (1.0 - alpha ** (t - 1)) ** 2
                + 2.0 * (alpha - alpha**t)
            )
        )
        out.append(np.linalg.norm(prods[t], 2) ** 2 * (lead + extra))
    return np.array(out)
