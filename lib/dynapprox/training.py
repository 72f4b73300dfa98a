r"""Training linear RNNs on the kernel loss: the plateau experiment and diagonal SSMs.

For white-noise inputs the expected squared output error of a linear RNN is
:math:`\int_0^\infty \abs{\rho - \hat\rho}^2\,\dd t` (Itô's isometry), so training on
input-output data reduces to fitting the kernel. :func:`train_modal_rnn` fits modal RNNs
(complex modes, hand-written gradients, batched) and :func:`train_diagonal_ssm` diagonal
SSMs (real modes, gradients checked against autograd); both update with ``torch.optim``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._validation import (
    check_in,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real_array,
)
from .linear_rnn import LinearRNN
from .parameterisations import (
    PARAMETERISATIONS,
    check_ab,
    rate,
    rate_derivative,
    torch_rate,
    weight,
)
from .reproducibility import rng as _rng

__all__ = [
    "kernel_l2_loss_and_grad",
    "TrainingResult",
    "train_modal_rnn",
    "kernel_loss_gradients",
    "SSMTrainingResult",
    "train_diagonal_ssm",
]


def _loss_grid(
    rho_last: int,
    dt: float | None,
    t: ArrayLike | None,
    weights: ArrayLike | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the loss: the uniform grid k dt (Riemann weights dt), or given nodes and weights."""
    if t is None and weights is None:
        if dt is None:
            raise ValueError(
                "pass dt (uniform grid) or both t and weights (quadrature nodes)"
            )
        dt = check_positive_float("dt", dt)
        return dt * np.arange(rho_last), np.full(rho_last, dt)
    if t is None or weights is None or dt is not None:
        raise ValueError(
            "pass either dt alone (uniform grid) or both t and weights, with dt=None"
        )
    t = check_real_array("t", t, ndim=1)
    weights = check_real_array("weights", weights, ndim=1)
    if t.shape != weights.shape or t.size != rho_last:
        raise ValueError(
            f"t and weights must have the shape ({rho_last},) of the target's last axis, "
            f"got {t.shape} and {weights.shape}"
        )
    if np.any(t < 0) or np.any(weights <= 0):
        raise ValueError("t must be non-negative and weights positive")
    return t, weights


def kernel_l2_loss_and_grad(
    params: dict,
    rho_vals: ArrayLike,
    dt: float | None,
    parameterisation: str = "softplus",
    *,
    t: ArrayLike | None = None,
    weights: ArrayLike | None = None,
) -> tuple[np.ndarray, dict]:
    r"""Kernel loss :math:`L = \sum_k w_k |\rho(t_k) - \hat\rho(t_k)|^2` of a modal RNN and its gradient.

    For white-noise inputs the expected squared output error of a linear RNN equals
    :math:`J = \int_0^\infty |\rho - \hat\rho|^2\,\mathrm dt` (Itô's isometry), the simplified
    training problem of Li, Han, E and Li (JMLR 2022, eq. (92)). :math:`L` is a quadrature of it:
    the Riemann sum on the uniform grid :math:`t_k = k\,\Delta t` (weights :math:`\Delta t`, a
    window), or, with ``t`` and ``weights`` from :func:`dynapprox.halfline.quadrature_rule`, a Gauss-Legendre
    rule on :math:`[0, t_{\max}]` (the whole half-line up to a closed-form remainder). The model is
    :math:`\hat\rho(t) = \sum_j 2\operatorname{Re}(g_j e^{\lambda_j t})`,
    :math:`\lambda_j = -f(p_j) + i\omega_j` (all modes oscillating pairs, so the width is
    :math:`m = 2n`); the gradient is written out by hand (the tests compare it with
    ``torch.autograd``), so one step costs a few vectorised NumPy operations.

    Parameters
    ----------
    params : dict
        ``"p"``, ``"omega"``, ``"g_re"``, ``"g_im"``: arrays of shape ``(..., n)``; a
        leading batch shape trains several independent models at once.
    rho_vals : array_like
        Targets at the nodes, shape ``(n_t,)`` or ``(..., n_t)`` matching the batch shape.
    dt : float or None
        Time step of the uniform grid; ``None`` when ``t`` and ``weights`` are given.
    parameterisation : str
        One of :data:`~dynapprox.parameterisations.PARAMETERISATIONS`.
    t, weights : array_like, optional
        Quadrature nodes and weights, shape ``(n_t,)`` each.

    Returns
    -------
    tuple
        ``(loss, grads)``: loss of shape ``batch``, and a dict of gradients shaped like ``params``.

    Used in
    -------
    :doc:`/chapters/10_curse_of_memory`
    """
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    rho = np.asarray(rho_vals, dtype=float)
    p, om = (
        np.asarray(params["p"], float),
        np.asarray(params["omega"], float),
    )
    g = np.asarray(params["g_re"], float) + 1j * np.asarray(
        params["g_im"], float
    )
    t, wq = _loss_grid(rho.shape[-1], dt, t, weights)
    r = rate(p, parameterisation)
    lam = -r + 1j * om
    E = np.exp(lam[..., None, :] * t[:, None])  # (..., n_t, n)
    Eg = 2.0 * E * g[..., None, :]
    khat = Eg.real.sum(axis=-1)
    res = khat - rho
    loss = (res**2) @ wq
    R = 2.0 * res * wq  # dL/dkhat
    # d khat / d g_re = 2 Re(E), d / d g_im = -2 Im(E)
    g_re = 2.0 * np.einsum("...k,...kn->...n", R, E.real)
    g_im = -2.0 * np.einsum("...k,...kn->...n", R, E.imag)
    tEg = Eg * t[:, None]
    d_relam = np.einsum(
        "...k,...kn->...n", R, tEg.real
    )  # d khat/d Re(lambda) = Re(t 2 g E)
    d_imlam = -np.einsum(
        "...k,...kn->...n", R, tEg.imag
    )  # d khat/d Im(lambda) = -Im(t 2 g E)
    grads = {
        "p": -rate_derivative(p, parameterisation) * d_relam,
        "omega": d_imlam,
        "g_re": g_re,
        "g_im": g_im,
    }
    return loss, grads


@dataclass(frozen=True)
class TrainingResult:
    r"""Result of :func:`train_modal_rnn`.

    Attributes
    ----------
    losses : numpy.ndarray
        Loss history, shape ``(steps + 1, *batch)`` (entry 0 at initialisation).
    params : dict
        Final parameters.
    models : list of LinearRNN
        The final models (one per batch entry), in row-major batch order.
    snapshots : list of (int, list of LinearRNN) or None
        With ``snapshot_every = k``: the step and the models after steps
        :math:`0, k, 2k, \dots` and after the last step (for animations of training).

    Used in
    -------
    Returned by :func:`train_modal_rnn` (in :doc:`/chapters/10_curse_of_memory`).
    """

    losses: np.ndarray
    params: dict = field(repr=False)
    models: list = field(repr=False)
    snapshots: list | None = field(default=None, repr=False)


def train_modal_rnn(
    rho_vals: ArrayLike,
    dt: float | None,
    n_modes: int,
    steps: int,
    lr: float = 5e-3,
    seed: int | np.random.Generator = 0,
    parameterisation: str = "softplus",
    init_decay: float = 1.0,
    init_freq: float = 1.0,
    init_scale: float = 0.1,
    optimizer: str = "adam",
    *,
    t: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    snapshot_every: int | None = None,
) -> TrainingResult:
    r"""Train modal linear RNNs on the kernel loss by Adam or plain gradient descent (``torch.optim``).

    The gradient is the hand-written one of :func:`kernel_l2_loss_and_grad` (vectorised over
    the batch); the update is ``torch.optim.Adam`` (default settings) or ``torch.optim.SGD``.

    Initialisation (seeded): every decay rate ``r_j`` equals ``init_decay`` (all modes start with
    the same short memory), frequencies are uniform on the interval from 0 to ``init_freq``,
    coefficients :math:`g_j` with independent :math:`N(0, \text{init\_scale}^2)` real and
    imaginary parts. Each target in a batch gets its own, identically initialised model.

    Parameters
    ----------
    rho_vals : array_like
        Target kernels at the nodes, shape ``(n_t,)`` or ``(batch, n_t)`` (scalar input, ``d = 1``).
    dt : float or None
        Time step of a uniform grid (Riemann sum), or ``None`` with ``t`` and ``weights``.
    n_modes : int
        Number of complex modes :math:`n` (width :math:`m = 2n`).
    steps : int
        Number of optimisation steps.
    lr : float
        Learning rate.
    seed : int or numpy.random.Generator
        Seed of the initialisation.
    parameterisation : str
        One of :data:`~dynapprox.parameterisations.PARAMETERISATIONS`.
    init_decay, init_freq, init_scale : float
        Initialisation, see above.
    optimizer : str
        ``"adam"`` (``torch.optim.Adam``, betas 0.9, 0.999, eps 1e-8) or ``"gd"`` (``torch.optim.SGD``).
    t, weights : array_like, optional
        Quadrature nodes and weights of the loss (see :func:`kernel_l2_loss_and_grad`), e.g.
        from :func:`dynapprox.halfline.quadrature_rule` for the loss on the whole half-line.
    snapshot_every : int, optional
        Keep the models every ``snapshot_every`` steps (and after the last one) in
        ``TrainingResult.snapshots``; the training itself is unchanged.

    Returns
    -------
    TrainingResult

    Used in
    -------
    :doc:`/chapters/10_curse_of_memory`
    """
    import torch

    rho = check_real_array("rho_vals", rho_vals, ndim=(1, 2))
    batch_shape = rho.shape[:-1]
    t, weights = _loss_grid(rho.shape[-1], dt, t, weights)
    n = check_positive_int("n_modes", n_modes)
    steps = check_nonnegative_int("steps", steps)
    lr = check_positive_float("lr", lr)
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    check_in("optimizer", optimizer, ("adam", "gd"))
    init_decay = check_positive_float("init_decay", init_decay)
    init_freq = check_positive_float("init_freq", init_freq)
    init_scale = check_positive_float("init_scale", init_scale)
    if snapshot_every is not None:
        snapshot_every = check_positive_int(
            "snapshot_every", snapshot_every
        )
    gen = _rng(seed)
    om0 = gen.uniform(0.0, init_freq, size=n)
    gr0 = init_scale * gen.standard_normal(n)
    gi0 = init_scale * gen.standard_normal(n)
    p0 = weight(np.full(n, init_decay), parameterisation)
    params = {
        k: np.broadcast_to(v, batch_shape + (n,)).copy()
        for k, v in (
            ("p", p0),
            ("omega", om0),
            ("g_re", gr0),
            ("g_im", gi0),
        )
    }
    tensors = {
        k: torch.from_numpy(v) for k, v in params.items()
    }  # share memory with params
    opt = (torch.optim.SGD if optimizer == "gd" else torch.optim.Adam)(
        list(tensors.values()), lr=lr
    )
    losses = []
    snapshots: list | None = [] if snapshot_every is not None else None
    for it in range(steps + 1):
        loss, grads = kernel_l2_loss_and_grad(
            params, rho, None, parameterisation, t=t, weights=weights
        )
        losses.append(loss)
        if (
            snapshots is not None
            and snapshot_every is not None
            and (it % snapshot_every == 0 or it == steps)
        ):
            snapshots.append(
                (it, _modal_models(params, n, parameterisation))
            )
        if it == steps:
            break
        for k, tensor in tensors.items():
            tensor.grad = torch.from_numpy(np.ascontiguousarray(grads[k]))
        opt.step()
        if parameterisation == "direct":
            np.maximum(
                params["p"], 1e-6, out=params["p"]
            )  # keep the direct model stable
    return TrainingResult(
        np.array(losses),
        params,
        _modal_models(params, n, parameterisation),
        snapshots,
    )


def _modal_models(
    params: dict, n: int, parameterisation: str
) -> list[LinearRNN]:
    """The modal LinearRNN of every batch entry of the trained parameters (row-major order)."""
    models = []
    flat = {k: v.reshape(-1, n) for k, v in params.items()}
    for b in range(flat["p"].shape[0]):
        om = np.abs(flat["omega"][b])
        g = (
            flat["g_re"][b]
            + 1j * np.where(flat["omega"][b] >= 0, 1, -1) * flat["g_im"][b]
        )
        # every trained mode is a conjugate pair (width 2 each); a mode with omega = 0 is
        # kept as a pair by a tiny positive frequency so that the width stays 2n
        models.append(
            LinearRNN.modal(
                rate(flat["p"][b], parameterisation),
                np.maximum(om, 1e-300),
                g[:, None],
            )
        )
    return models


def _ssm_kernel_loss(
    w: Any,
    coef: Any,
    rho: Any,
    t: Any,
    dt: float,
    parameterisation: str,
    a: float,
    b: float,
) -> Any:
    """The kernel loss sum_k (rhohat(t_k) - rho(t_k))^2 dt of a real diagonal model, in torch."""
    import torch

    lam = -torch_rate(w, parameterisation, a, b)
    khat = torch.exp(t[:, None] * lam[None, :]) @ coef
    return torch.sum((khat - rho) ** 2) * dt


def _ssm_loss_and_grads(
    params: dict,
    rho: np.ndarray,
    t: np.ndarray,
    dt: float,
    parameterisation: str,
    a: float,
    b: float,
) -> tuple[float, np.ndarray, dict]:
    """Kernel loss, eigenvalues and hand-written gradients of a real diagonal model (w, u, c)."""
    w, u, c = params["w"], params["u"], params["c"]
    lam = -rate(w, parameterisation, a, b)
    E = np.exp(np.outer(t, lam))  # (n_t, m)
    g = c * u
    e = E @ g - rho
    loss = float(np.sum(e**2) * dt)
    dg = 2 * dt * (e @ E)
    dlam = 2 * dt * ((e * t) @ E) * g
    dw = -rate_derivative(w, parameterisation, a, b) * dlam
    return loss, lam, {"w": dw, "u": c * dg, "c": u * dg}


def kernel_loss_gradients(
    model: LinearRNN, rho_vals: ArrayLike, dt: float
) -> tuple[float, dict]:
    r"""Kernel loss :math:`L = \sum_k (\hat\rho(t_k) - \rho(t_k))^2 \Delta t` of a diagonal model and its gradients.

    The model is a modal :class:`~dynapprox.linear_rnn.LinearRNN` with real modes
    (:math:`\omega = 0`, a diagonal SSM), :math:`\hat\rho(t) = \sum_i g_i e^{\lambda_i t}`,
    :math:`\lambda_i = -f(w_i)`; gradients by ``torch.autograd``. For white-noise inputs
    :math:`L` is the Riemann sum of the expected squared output error. Since
    :math:`\partial L/\partial w_i = -f'(w_i)\,\partial L/\partial\lambda_i` and
    :math:`|\partial L/\partial\lambda_i| = |\sum_k 2 e_k g_i t_k e^{\lambda_i t_k}\Delta t|
    \le 2\|e\|_\infty |g_i| / \lambda_i^2` (for :math:`\lambda_i < 0`, using
    :math:`\int_0^\infty t e^{\lambda t}\mathrm dt = \lambda^{-2}`), the gradients obey
    :math:`|\partial L/\partial w_i| \le 2\|e\|_\infty |g_i|\, |f'(w_i)|/f(w_i)^2`
    up to the quadrature error (:func:`dynapprox.parameterisations.gradient_scale`).

    Parameters
    ----------
    model : LinearRNN
        Modal form, real modes, ``d = 1``.
    rho_vals : array_like
        Target kernel samples, shape ``(n_t,)`` or ``(n_t, 1)``.
    dt : float
        Time step.

    Returns
    -------
    loss : float
        The loss.
    grads : dict
        ``"w"``, ``"coef"``: gradients, arrays of shape ``(m,)``.

    Used in
    -------
    :doc:`/chapters/12_state_space_models`.
    """
    import torch

    if (
        not isinstance(model, LinearRNN)
        or model.form != "modal"
        or np.any(model.freq > 0)
        or model.d != 1
    ):
        raise TypeError(
            f"model must be a modal LinearRNN with real modes and d = 1, got {model!r}"
        )
    rho = check_real_array("rho_vals", rho_vals, ndim=(1, 2)).reshape(-1)
    dt = check_positive_float("dt", dt)
    t = torch.tensor(dt * np.arange(rho.size))
    w = torch.tensor(model.weights, requires_grad=True)
    coef = torch.tensor(model.coef[:, 0].real.copy(), requires_grad=True)
    loss = _ssm_kernel_loss(
        w,
        coef,
        torch.tensor(rho),
        t,
        dt,
        model.parameterisation,
        model.a,
        model.b,
    )
    loss.backward()
    assert w.grad is not None and coef.grad is not None
    return float(loss.item()), {
        "w": w.grad.numpy().copy(),
        "coef": coef.grad.numpy().copy(),
    }


@dataclass(frozen=True)
class SSMTrainingResult:
    r"""Result of :func:`train_diagonal_ssm`.

    Attributes
    ----------
    model : LinearRNN
        The trained model (modal form, real modes, coefficients :math:`g_i = c_i u_i`).
    u, c : numpy.ndarray
        The trained input and output weights, shape ``(m,)``.
    losses : numpy.ndarray
        Loss before each step and after the last, shape ``(steps + 1,)``.
    max_eigenvalue : numpy.ndarray
        :math:`\max_i \lambda_i` before each step and after the last, shape ``(steps + 1,)``.
    diverged : bool
        Whether the loss or a gradient became non-finite (the histories then end in ``nan``).

    Used in
    -------
    :doc:`/chapters/12_state_space_models`.
    """

    model: LinearRNN
    u: np.ndarray = field(repr=False)
    c: np.ndarray = field(repr=False)
    losses: np.ndarray = field(repr=False)
    max_eigenvalue: np.ndarray = field(repr=False)
    diverged: bool = False


def train_diagonal_ssm(
    rho_vals: ArrayLike,
    dt: float,
    init_eigenvalues: ArrayLike,
    steps: int,
    lr: float,
    seed: int,
    parameterisation: str = "exp",
    optimizer: str = "adam",
    a: float = 1.0,
    b: float = 0.5,
    init_scale: float = 0.1,
) -> SSMTrainingResult:
    r"""Train a diagonal SSM :math:`\hat\rho(t) = \sum_i c_i u_i e^{-f(w_i) t}` on the kernel loss.

    The loss is that of :func:`kernel_loss_gradients`; its gradients with respect to
    :math:`(w, u, c)` are written out in NumPy (the unit tests compare them with the
    autograd ones of :func:`kernel_loss_gradients`), and the update is ``torch.optim.Adam``
    (default settings) or ``torch.optim.SGD`` (plain gradient descent).
    Every parameterisation starts from the *same* eigenvalues ``init_eigenvalues`` (mapped to
    weights by :func:`dynapprox.parameterisations.weight`) and the same seeded :math:`u, c`,
    so that runs differ only by the parameterisation. A run that produces a non-finite
    loss or gradient stops there (the remaining history is ``nan``) and is reported by
    ``diverged``; the returned model then holds the last parameters with a finite loss.

    Parameters
    ----------
    rho_vals : array_like
        Target kernel samples, shape ``(n_t,)`` or ``(n_t, 1)``.
    dt : float
        Time step.
    init_eigenvalues : array_like
        Initial eigenvalues, negative, shape ``(m,)``.
    steps : int
        Number of optimisation steps.
    lr : float
        Learning rate.
    seed : int
        Seed of the initial :math:`u, c` (normal, standard deviation ``init_scale``).
    parameterisation : str
        One of :data:`dynapprox.parameterisations.PARAMETERISATIONS`.
    optimizer : str
        ``"adam"`` or ``"gd"``.
    a : float
        Parameter of ``"best"``.
    b : float
        Parameter of ``"best"``.
    init_scale : float
        Standard deviation of the initial :math:`u` and :math:`c`.

    Returns
    -------
    SSMTrainingResult

    Used in
    -------
    :doc:`/chapters/12_state_space_models`.
    """
    import torch

    rho = check_real_array("rho_vals", rho_vals, ndim=(1, 2)).reshape(-1)
    dt = check_positive_float("dt", dt)
    lam0 = check_real_array("init_eigenvalues", init_eigenvalues, ndim=1)
    if np.any(lam0 >= 0):
        raise ValueError(
            "init_eigenvalues must be negative (a stable initial model)"
        )
    steps = check_nonnegative_int("steps", steps)
    lr = check_positive_float("lr", lr)
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    check_in("optimizer", optimizer, ("adam", "gd"))
    a, b = check_ab(a, b)
    init_scale = check_positive_float("init_scale", init_scale)
    gen = _rng(seed)
    params = {
        "w": weight(-lam0, parameterisation, a, b),
        "u": init_scale * gen.standard_normal(lam0.size),
        "c": init_scale * gen.standard_normal(lam0.size),
    }
    tensors = {
        k: torch.from_numpy(v) for k, v in params.items()
    }  # share memory with params
    opt = (torch.optim.SGD if optimizer == "gd" else torch.optim.Adam)(
        list(tensors.values()), lr=lr
    )
    t = dt * np.arange(rho.size)
    losses = np.full(steps + 1, np.nan)
    top = np.full(steps + 1, np.nan)
    diverged = False
    last_ok = [v.copy() for v in params.values()]
    # a diverging run overflows on purpose: it is detected and reported, not warned about
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(steps + 1):
            loss, lam, grads = _ssm_loss_and_grads(
                params, rho, t, dt, parameterisation, a, b
            )
            losses[k], top[k] = loss, float(np.max(lam))
            if not np.isfinite(loss) or not all(
                np.all(np.isfinite(g)) for g in grads.values()
            ):
                losses[k] = np.nan
                diverged = True
                break
            last_ok = [v.copy() for v in params.values()]
            if k == steps:
                break
            for key, tensor in tensors.items():
                tensor.grad = torch.from_numpy(grads[key])
            opt.step()
    wf, uf, cf = last_ok
    model = LinearRNN.modal(
        wf, None, cf * uf, parameterisation, a, b, allow_unstable=True
    )
    return SSMTrainingResult(model, uf, cf, losses, top, diverged)
