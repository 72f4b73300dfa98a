r"""Fitting a sampled kernel by a linear RNN: pole refinement in :math:`L^1` and gradient training.

* :func:`refine_poles_l1` and :func:`l1_fit`: the ERA realisation of
  :func:`dynapprox.realization.era_fit` refined in its poles *and* residues towards the
  best :math:`L^1` approximant (iteratively reweighted variable projection with a
  trust-region solver, then :math:`L^1`-optimal residues by the linear programme of
  :func:`dynapprox.modal.refine_l1`);
* :func:`train_linear_rnn`: gradient training (``torch.optim.Adam``) of the kernel loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._validation import (
    check_in,
    check_kernel_samples,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
)
from .linear_rnn import LinearRNN
from .realization import era_fit, l1_distance

__all__ = ["refine_poles_l1", "l1_fit", "train_linear_rnn"]


def _weighted_lstsq(
    B: np.ndarray, rho: np.ndarray, sw: np.ndarray
) -> np.ndarray:
    """argmin_x |sw * (rho - B x)|_2 by a QR factorisation (the basis is badly conditioned)."""
    Q, R = np.linalg.qr(B * sw[:, None])
    return np.linalg.solve(R, Q.T @ (rho * sw))


def _modal_from_columns(
    log_decay: np.ndarray, freq: np.ndarray, osc: np.ndarray, x: np.ndarray
) -> LinearRNN:
    """The modal RNN of poles (log_decay, freq) and real coefficients x (columns of modal.modal_real_basis)."""
    from .modal import modal_coefficients

    omega = np.zeros(osc.size)
    omega[osc] = freq
    coef = modal_coefficients(x, osc)
    # Re(g e^{(-r - i w) t}) = Re(conj(g) e^{(-r + i w) t}): one mode per conjugate pair, w > 0
    neg = omega < 0
    omega[neg], coef[neg] = -omega[neg], np.conj(coef[neg])
    omega[osc] = np.maximum(
        omega[osc], 1e-300
    )  # an oscillating mode stays a pair (two units)
    return LinearRNN.modal(np.exp(log_decay), omega, coef[:, None])


def refine_poles_l1(
    model: Any,
    rho_vals: ArrayLike,
    dt: float,
    sweeps: int = 12,
    max_nfev: int = 60,
) -> LinearRNN:
    r"""Refine the poles *and* residues of a modal RNN towards the best :math:`L^1` approximant.

    Minimises the Riemann sum :math:`\sum_k |\rho(t_k) - \hat\rho(t_k)|\,\Delta t` over the
    kernels :math:`\hat\rho(t) = \sum_j w_j \operatorname{Re}(g_j e^{\lambda_j t})` of
    :class:`~dynapprox.linear_rnn.LinearRNN` in modal form with the pole structure of ``model`` (the same
    numbers of real modes and conjugate pairs, so the width is kept). The poles are
    parameterised stably, :math:`\lambda_j = -e^{a_j} + i\omega_j`: every iterate is a
    stable RNN. The non-smooth :math:`L^1` problem is solved by iteratively reweighted
    least squares (IRLS): sweep :math:`s` minimises

    .. math::

        \sum_k \frac{(\rho(t_k) - \hat\rho(t_k))^2}{\max(|r_k|, \delta_s)}

    (:math:`r` the residual of the previous sweep, :math:`\delta_s` decreasing
    geometrically from the mean :math:`|r|` to a thousandth of it) over the poles
    :math:`(a, \omega)` with the residues eliminated by weighted least squares (variable
    projection), by a trust-region Gauss-Newton method (``scipy.optimize.least_squares``,
    ``"trf"``, box constraints :math:`e^{a} \in [10^{-2}/T, 5/\Delta t]`,
    :math:`|\omega| \le \pi/\Delta t`, :math:`T = n_t \Delta t`; a pair that crosses
    :math:`\omega = 0` is stored with :math:`-\omega` and :math:`\bar g`). Finally the
    residues of the best poles are made :math:`L^1`-optimal by the linear programme of
    :func:`~dynapprox.modal.refine_l1`. The result is the better of this and
    ``refine_l1(model)``, so it is never worse than ``model``. A local method: it improves
    a good start (ERA, :func:`l1_fit`), it does not find the global optimum.

    Parameters
    ----------
    model : LinearRNN
        The start, e.g. the modal form (:meth:`~dynapprox.linear_rnn.LinearRNN.to_modal`)
        of an ERA realisation; ``d = 1``.
    rho_vals : array_like
        Target kernel samples :math:`\rho(t_k)`, :math:`t_k = k\,\Delta t`, shape ``(n_t,)``
        or ``(n_t, 1)``.
    dt : float
        Time step :math:`\Delta t > 0` (time unit of the poles: :math:`1/\Delta t`).
    sweeps : int
        Number of IRLS sweeps.
    max_nfev : int
        Function evaluations of the trust-region solver per sweep.

    Returns
    -------
    LinearRNN
        The refined model (modal form), same width and number of conjugate pairs as ``model``.

    Used in
    -------
    Used by :func:`l1_fit` (in :doc:`/chapters/09_rates_memory`).
    """
    from scipy.optimize import least_squares

    from .modal import modal_real_basis, refine_l1

    if not isinstance(model, LinearRNN):
        raise TypeError(
            f"model must be a LinearRNN, got {type(model).__name__}"
        )
    model = model.to_modal("direct")
    rho = check_kernel_samples("rho_vals", rho_vals, min_rows=3)
    if rho.shape[1] != 1:
        raise ValueError(
            f"rho_vals must be a scalar kernel (shape (n_t,) or (n_t, 1)), got shape {rho.shape}"
        )
    if model.d != 1:
        raise ValueError(
            f"model must have input dimension d = 1, got {model.d}"
        )
    dt = check_positive_float("dt", dt)
    sweeps = check_positive_int("sweeps", sweeps)
    max_nfev = check_positive_int("max_nfev", max_nfev)
    rho = rho[:, 0]
    n_t = rho.size
    t = dt * np.arange(n_t)
    horizon = n_t * dt
    osc = model.freq > 0
    n, n_osc = osc.size, int(osc.sum())
    lo = np.concatenate(
        [np.full(n, np.log(1e-2 / horizon)), np.full(n_osc, -np.pi / dt)]
    )
    hi = np.concatenate(
        [np.full(n, np.log(5.0 / dt)), np.full(n_osc, np.pi / dt)]
    )
    theta = np.clip(
        np.concatenate([np.log(model.decay), model.freq[osc]]), lo, hi
    )

    def split(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return th[:n], th[n:]

    def basis(th: np.ndarray) -> np.ndarray:
        freq = np.zeros(n)
        freq[osc] = th[n:]
        return modal_real_basis(np.exp(th[:n]), freq, osc, t)

    start = refine_l1(model, rho, dt)
    best_model = start
    best_err = float(np.sum(np.abs(rho - start.kernel(t)[:, 0])) * dt)
    B = basis(theta)
    x = _weighted_lstsq(B, rho, np.ones(n_t))
    r = rho - B @ x
    cand_err, cand = (
        float(np.sum(np.abs(r)) * dt),
        (theta.copy(), x.copy()),
    )
    delta = float(np.mean(np.abs(r)))
    floor = 1e-3 * delta
    if delta > 0:
        for _ in range(sweeps):
            sw = 1.0 / np.sqrt(np.maximum(np.abs(r), delta))
            sw /= sw.max()
            scale = float(np.linalg.norm(sw * r))
            if not scale > 0:
                break

            def residual(
                th: np.ndarray, sw: Any = sw, scale: Any = scale
            ) -> np.ndarray:
                Bt = basis(th)
                return (
                    sw * (rho - Bt @ _weighted_lstsq(Bt, rho, sw)) / scale
                )

            with np.errstate(all="ignore"):
                sol = least_squares(
                    residual,
                    theta,
                    bounds=(lo, hi),
                    method="trf",
                    jac="3-point",
                    x_scale="jac",
                    max_nfev=max_nfev,
                    xtol=1e-14,
                    ftol=1e-14,
                    gtol=1e-14,
                )
            if not np.all(np.isfinite(sol.x)):
                break
            theta = sol.x
            B = basis(theta)
            x = _weighted_lstsq(B, rho, sw)
            r = rho - B @ x
            err = float(np.sum(np.abs(r)) * dt)
            if np.isfinite(err) and err < cand_err:
                cand_err, cand = err, (theta.copy(), x.copy())
            delta = max(0.3 * delta, floor)
    refined = refine_l1(
        _modal_from_columns(*split(cand[0]), osc, cand[1]), rho, dt
    )
    err = float(np.sum(np.abs(rho - refined.kernel(t)[:, 0])) * dt)
    if err < best_err:
        best_model, best_err = refined, err
    return best_model


def l1_fit(
    rho_vals: ArrayLike,
    dt: float,
    m: int,
    size: int | None = None,
    sweeps: int = 12,
    max_nfev: int = 60,
) -> LinearRNN:
    r"""Constructive width-:math:`m` approximant: ERA, then poles and residues refined in :math:`L^1`.

    :func:`~dynapprox.realization.era_fit` (Ho-Kalman, a discrete balanced truncation of the sampled kernel) gives
    the start; :func:`refine_poles_l1` moves its poles (stably parameterised) and residues
    to lower the :math:`L^1` error :math:`\sum_k |\rho(t_k) - \hat\rho(t_k)|\,\Delta t`, and
    the residues are made :math:`L^1`-optimal by a linear programme. The error is never
    larger than that of the ERA realisation, and, as for every width-:math:`m` RNN, at
    least the Hankel singular value :math:`\sigma_{m+1}` (:func:`~dynapprox.realization.hankel_singular_values`).

    Parameters
    ----------
    rho_vals : array_like
        Scalar kernel samples :math:`\rho(t_k)`, :math:`t_k = k\,\Delta t`, shape ``(n_t,)``
        or ``(n_t, 1)``.
    dt : float
        Time step :math:`\Delta t > 0`.
    m : int
        Width, at most the numerical rank of the Hankel matrix.
    size : int, optional
        Hankel matrix size of the ERA start (see :func:`~dynapprox.realization.era_fit`).
    sweeps : int
        IRLS sweeps of :func:`refine_poles_l1`.
    max_nfev : int
        Trust-region function evaluations per sweep.

    Returns
    -------
    LinearRNN
        The width-:math:`m` RNN (real block-diagonal :math:`W`).

    Used in
    -------
    :doc:`/chapters/09_rates_memory`
    """
    rho = check_kernel_samples("rho_vals", rho_vals, min_rows=3)
    if rho.shape[1] != 1:
        raise ValueError(
            f"rho_vals must be a scalar kernel (shape (n_t,) or (n_t, 1)), got shape {rho.shape}"
        )
    m = check_positive_int("m", m)
    era = era_fit(rho, dt, m, size)
    model = refine_poles_l1(
        era.to_modal(), rho, dt, sweeps=sweeps, max_nfev=max_nfev
    )
    fit = model.to_dense()
    t = dt * np.arange(rho.shape[0])
    if l1_distance(rho, fit.kernel(t), dt) > l1_distance(
        rho, era.kernel(t), dt
    ):  # pragma: no cover - by construction
        return era
    return fit


def train_linear_rnn(
    rho_vals: ArrayLike,
    dt: float,
    m: int,
    steps: int = 1000,
    lr: float = 1e-2,
    seed: int = 0,
    parameterisation: str = "diag",
    loss: str = "l2",
) -> tuple[LinearRNN, np.ndarray]:
    r"""Fit a width-:math:`m` linear RNN to kernel samples by gradient descent (Adam, PyTorch).

    The loss is :math:`\sum_k |\hat\rho(t_k) - \rho(t_k)|^2 \Delta t` (``"l2"``, the
    squared :math:`L^2` distance, i.e. the mean-squared output error for white-noise inputs)
    or :math:`\sum_k |\hat\rho(t_k) - \rho(t_k)|_1 \Delta t` (``"l1"``). Parameterisations:

    * ``"diag"``: :math:`W = -\mathrm{diag}(e^{a})`, real and stable by construction;
      :math:`e^{a}` initialised log-uniform in :math:`[0.1, 2]`;
    * ``"complex"``: :math:`m/2` conjugate pairs :math:`\lambda = -e^{a} \pm i b` as real
      :math:`2\times 2` blocks (``m`` even), stable by construction; :math:`b` initialised
      uniform in :math:`[0, 2]`;
    * ``"full"``: a free :math:`W`, initialised at :math:`-I + 0.1\,G/\sqrt m` (Gaussian
      :math:`G`); :math:`\hat\rho(t_k) = (c^\top A^k U)^\top` with :math:`A = e^{W\Delta t}`
      (``torch.matrix_exp`` and repeated squaring). Stability is not enforced: if the
      trained :math:`W` is not Hurwitz the returned model cannot be built (``ValueError``).

    :math:`U` and :math:`c` are initialised with i.i.d. :math:`\mathcal N(0, 1/m)` entries.
    The loop runs on one PyTorch thread (restored afterwards): the tensors are tiny.

    Parameters
    ----------
    rho_vals : array_like
        Kernel samples :math:`\rho(t_k)`, shape ``(n_t, d)`` (or ``(n_t,)``).
    dt : float
        Time step :math:`\Delta t > 0`.
    m : int
        Width.
    steps : int
        Number of Adam steps.
    lr : float
        Learning rate.
    seed : int
        Seed of the initialisation.
    parameterisation : str
        ``"diag"``, ``"complex"`` or ``"full"``.
    loss : str
        ``"l2"`` or ``"l1"``.

    Returns
    -------
    tuple
        ``(rnn, history)``: the trained :class:`~dynapprox.linear_rnn.LinearRNN` and the
        loss before each step, a float array of shape ``(steps,)``.

    Used in
    -------
    No chapter calls it: the benchmark ``scripts/bench_memory.py`` compares its fits with those of
    :func:`l1_fit` (:doc:`/chapters/09_rates_memory`).
    """
    import torch

    from .reproducibility import torch_generator

    rho = check_kernel_samples("rho_vals", rho_vals, min_rows=3)
    dt = check_positive_float("dt", dt)
    m = check_positive_int("m", m)
    steps = check_positive_int("steps", steps)
    lr = check_positive_float("lr", lr)
    seed = check_nonnegative_int("seed", seed)
    parameterisation = check_in(
        "parameterisation", parameterisation, ("diag", "complex", "full")
    )
    loss = check_in("loss", loss, ("l2", "l1"))
    if parameterisation == "complex" and m % 2:
        raise ValueError(
            f"m must be even for parameterisation='complex' (conjugate pairs), got {m}"
        )
    n_t, d = rho.shape
    g = torch_generator(seed)
    f64 = torch.float64
    target = torch.tensor(rho, dtype=f64)
    t = torch.arange(n_t, dtype=f64) * dt
    U = (
        torch.randn(m, d, generator=g, dtype=f64) / np.sqrt(m)
    ).requires_grad_()
    c = (
        torch.randn(m, generator=g, dtype=f64) / np.sqrt(m)
    ).requires_grad_()
    n_modes = m // 2 if parameterisation == "complex" else m
    rates = torch.exp(
        np.log(0.1)
        + (np.log(2.0) - np.log(0.1))
        * torch.rand(n_modes, generator=g, dtype=f64)
    )
    a = torch.log(rates).requires_grad_()
    params = [U, c]
    if parameterisation == "diag":
        params.append(a)
    elif parameterisation == "complex":
        b = (
            2.0 * torch.rand(n_modes, generator=g, dtype=f64)
        ).requires_grad_()
        params += [a, b]
    else:
        Wf = (
            -torch.eye(m, dtype=f64)
            + 0.1 * torch.randn(m, m, generator=g, dtype=f64) / np.sqrt(m)
        ).requires_grad_()
        params.append(Wf)

    def model_kernel() -> torch.Tensor:
        if parameterisation == "diag":
            return (torch.exp(-torch.outer(t, torch.exp(a))) * c) @ U
        if parameterisation == "complex":
            decay = torch.exp(-torch.outer(t, torch.exp(a)))
            cos, sin = (
                decay * torch.cos(torch.outer(t, b)),
                decay * torch.sin(torch.outer(t, b)),
            )
            c1, c2 = c[0::2], c[1::2]
            u1, u2 = U[0::2], U[1::2]
            # block [[-r, b], [-b, -r]]: c^T e^{Ws} U = e^{-rs}[(c1 u1 + c2 u2) cos + (c1 u2 - c2 u1) sin]
            return cos @ (c1[:, None] * u1 + c2[:, None] * u2) + sin @ (
                c1[:, None] * u2 - c2[:, None] * u1
            )
        A = torch.matrix_exp(Wf * dt)
        rows = c[None, :]
        Ak = A
        while rows.shape[0] < n_t:
            rows = torch.cat([rows, rows @ Ak])
            Ak = Ak @ Ak
        return rows[:n_t] @ U

    opt = torch.optim.Adam(params, lr=lr)
    history = np.empty(steps)
    threads = torch.get_num_threads()
    torch.set_num_threads(
        1
    )  # tiny tensors: one thread is fastest, and results do not depend on the caller
    try:
        for k in range(steps):
            opt.zero_grad()
            diff = model_kernel() - target
            value = (
                (diff**2).sum() * dt
                if loss == "l2"
                else diff.abs().sum() * dt
            )
            history[k] = float(value.detach())
            value.backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        Un, cn = U.detach().numpy().copy(), c.detach().numpy().copy()
        if parameterisation == "diag":
            W = -np.diag(np.exp(a.detach().numpy()))
        elif parameterisation == "complex":
            r, bb = np.exp(a.detach().numpy()), b.detach().numpy()
            W = np.zeros((m, m))
            for j in range(n_modes):
                W[2 * j : 2 * j + 2, 2 * j : 2 * j + 2] = [
                    [-r[j], bb[j]],
                    [-bb[j], -r[j]],
                ]
        else:
            W = Wf.detach().numpy().copy()
    return LinearRNN(W, Un, cn), history
