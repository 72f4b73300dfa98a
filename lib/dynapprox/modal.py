r"""The modal form of a linear RNN: its real basis and the best :math:`L^1` coefficients.

A continuous-time linear RNN in modal form (:meth:`dynapprox.linear_rnn.LinearRNN.modal`)
has the kernel :math:`\hat\rho(t) = \sum_j w_j \operatorname{Re}(g_j e^{\lambda_j t})`,
linear in the real and imaginary parts of its coefficients :math:`g_j`.
:func:`modal_real_basis` gives the columns of that linear map, :func:`modal_coefficients`
reads the coefficients back, and :func:`refine_l1` computes the coefficients that are
best in :math:`L^1` for fixed eigenvalues (a linear programme).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._validation import check_positive_float, check_real_array
from .linear_rnn import LinearRNN

__all__ = ["modal_real_basis", "modal_coefficients", "refine_l1"]


def modal_real_basis(
    decay: np.ndarray, freq: np.ndarray, osc: np.ndarray, t: np.ndarray
) -> np.ndarray:
    r"""Real basis of modal kernels :math:`\sum_j w_j \operatorname{Re}(g_j e^{(-r_j + i\omega_j) t})`.

    Columns: :math:`w_j e^{-r_j t}\cos(\omega_j t)` for every mode (coefficient
    :math:`\operatorname{Re} g_j`), then :math:`-w_j e^{-r_j t}\sin(\omega_j t)` for the
    oscillating modes ``osc`` (coefficient :math:`\operatorname{Im} g_j`); :math:`w_j = 2`
    for an oscillating mode (a conjugate pair), 1 for a real one. ``osc`` is given
    separately so that a pair whose frequency passes through 0 during an optimisation
    keeps its two columns. Coefficients in this order are read back by
    :func:`modal_coefficients`.

    Parameters
    ----------
    decay, freq : numpy.ndarray
        Decay rates and frequencies of the modes, shape ``(n,)``.
    osc : numpy.ndarray
        Boolean mask of the oscillating modes, shape ``(n,)``.
    t : numpy.ndarray
        Times, shape ``(n_t,)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_t, n + osc.sum())``.

    Used in
    -------
    Used by :func:`refine_l1` and :func:`dynapprox.fitting.refine_poles_l1`
    (in :doc:`/chapters/09_rates_memory`, :doc:`/chapters/10_curse_of_memory`).
    """
    E = np.exp(np.outer(t, -decay + 1j * freq))
    w = np.where(osc, 2.0, 1.0)
    return np.hstack([w * E.real, -(w * E.imag)[:, osc]])


def modal_coefficients(x: np.ndarray, osc: np.ndarray) -> np.ndarray:
    """Complex coefficients :math:`g_j` from real ones ordered as the columns of :func:`modal_real_basis`.

    Parameters
    ----------
    x : numpy.ndarray
        Real coefficients, shape ``(n + osc.sum(),)``.
    osc : numpy.ndarray
        Boolean mask of the oscillating modes, shape ``(n,)``.

    Returns
    -------
    numpy.ndarray
        Complex, shape ``(n,)``.

    Used in
    -------
    Used by :func:`refine_l1` and :func:`dynapprox.fitting.refine_poles_l1`
    (in :doc:`/chapters/09_rates_memory`).
    """
    n = osc.size
    g = x[:n].astype(complex)
    g[osc] += 1j * x[n:]
    return g


def refine_l1(
    model: LinearRNN, rho_vals: ArrayLike, dt: float
) -> LinearRNN:
    r"""Best :math:`L^1` coefficients for fixed eigenvalues: a refinement of a realisation.

    Keeps the eigenvalues :math:`\lambda_j` of ``model`` and solves the convex problem

    .. math::

        \min_{g} \sum_k \Big|\rho(t_k) - \sum_j w_j \operatorname{Re}\big(g_j e^{\lambda_j t_k}\big)\Big|_1 \Delta t

    over the coefficients (real and imaginary parts of :math:`g_j`; real for real modes)
    as a linear programme (``scipy.optimize.linprog``, HiGHS). The coefficients of
    ``model`` are feasible, so the refined error is never larger.

    Parameters
    ----------
    model : LinearRNN
        Model whose eigenvalues are kept (e.g. the modal form, :meth:`~dynapprox.linear_rnn.LinearRNN.to_modal`,
        of an ERA realisation).
    rho_vals : array_like
        Target kernel samples, shape ``(n_t,)`` or ``(n_t, d)``.
    dt : float
        Time step.

    Returns
    -------
    LinearRNN
        Modal form, same eigenvalues, :math:`L^1`-optimal coefficients.

    Used in
    -------
    :doc:`/chapters/09_rates_memory`; used by :func:`dynapprox.fitting.l1_fit`.
    """
    from scipy.optimize import linprog

    if not isinstance(model, LinearRNN):
        raise TypeError(
            f"model must be a LinearRNN, got {type(model).__name__}"
        )
    model = model.to_modal("direct")
    rho = check_real_array("rho_vals", rho_vals, ndim=(1, 2))
    rho = rho[:, None] if rho.ndim == 1 else rho
    dt = check_positive_float("dt", dt)
    if model.d != rho.shape[1]:
        raise ValueError(
            f"model input dimension {model.d} differs from the kernel's {rho.shape[1]}"
        )
    n_t = rho.shape[0]
    t = dt * np.arange(n_t)
    osc = model.freq > 0
    B = modal_real_basis(model.decay, model.freq, osc, t)
    nb = B.shape[1]
    # Solve for a correction of the model's own coefficients x0 (a feasible point), with the
    # residual scaled to O(1) and the basis orthonormalised (B = QR): the LP solver's absolute
    # tolerances then act on the scale of the residual, not of the kernel.
    Q, R = np.linalg.qr(B)
    coef = model.coef.copy()
    for i in range(rho.shape[1]):
        x0 = np.concatenate(
            [model.coef[:, i].real, model.coef[osc, i].imag]
        )
        r0 = rho[:, i] - B @ x0
        scale = float(np.max(np.abs(r0)))
        if scale == 0.0:
            continue
        r0 = r0 / scale
        # variables (z, s): minimise sum s subject to -s <= r0 - Q z <= s
        c_obj = np.concatenate([np.zeros(nb), np.ones(n_t)])
        eye = np.eye(n_t)
        A = np.block([[Q, -eye], [-Q, -eye]])
        b = np.concatenate([r0, -r0])
        bounds = [(None, None)] * nb + [(0, None)] * n_t
        res = linprog(c_obj, A_ub=A, b_ub=b, bounds=bounds, method="highs")
        if (
            not res.success
        ):  # pragma: no cover - the problem is always feasible and bounded
            raise RuntimeError(f"linprog failed: {res.message}")
        z = res.x[:nb]
        if np.sum(np.abs(r0 - Q @ z)) < np.sum(np.abs(r0)):
            coef[:, i] = modal_coefficients(
                x0 + scale * np.linalg.solve(R, z), osc
            )
    return LinearRNN.modal(model.decay.copy(), model.freq.copy(), coef)
