r"""Diagonal state-space models (SSMs) and stable reparameterisations of their eigenvalues.

A (real) diagonal SSM of width ``m`` is the linear RNN

.. math:: \dot h_t = \Lambda h_t + u\, x_t, \qquad \hat y_t = c^\top h_t, \qquad
   \Lambda = \operatorname{diag}(\lambda_1, \dots, \lambda_m),

with kernel :math:`\hat\rho(t) = \sum_i c_i u_i e^{\lambda_i t}`. It is the linear,
time-invariant core of the diagonal SSM layers (S4D, the LRU, with complex eigenvalues
and a discretisation :math:`\bar\lambda_i = e^{\lambda_i \Delta t}`). S4 itself uses a
structured (diagonal plus low-rank) state matrix, still time-invariant; Mamba's
recurrence is diagonal but *selective* (its step and input/output maps depend on the
input), hence time-varying and outside this model. What the module studies is the
*parameterisation* :math:`\lambda_i = f(w_i)` of the eigenvalues by trainable weights:

* ``"direct"``: :math:`f(w) = w` (stable only while :math:`w < 0`);
* ``"exp"``: :math:`f(w) = -e^{w}` (S4D-style);
* ``"softplus"``: :math:`f(w) = -\log(1 + e^{w})`;
* ``"best"``: :math:`f(w) = -1/(a w^2 + b)`, :math:`a, b > 0`, the choice of Wang and Li
  (StableSSM) that makes the gradient scale :math:`|f'(w)|/f(w)^2 = 2a|w|` proportional
  to the weight (its discrete form :math:`\bar\lambda = 1 - 1/(a w^2 + b)` lies in
  :math:`(-1, 1)` for every :math:`w` if and only if :math:`b > 1/2`).

The module computes kernels, gradient scales (:func:`gradient_scale`), trains diagonal
SSMs on the kernel loss with PyTorch-checked hand-written gradients
(:func:`train_diagonal_ssm`), measures errors on the whole half-line (:func:`l1_error`,
:func:`tail_error_lower_bound`) and estimates the perturbation error
:math:`\mathcal E(\delta)` of a model (:func:`perturbation_error`). Time is continuous;
training kernels are sampled on :math:`t_k = k\,\Delta t`. Used by chapter 12
(state-space models).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validation import (
    check_in,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real_array,
)
from .reproducibility import rng as _rng

__all__ = [
    "PARAMETERISATIONS",
    "eigenvalue_from_weight",
    "weight_from_eigenvalue",
    "gradient_scale",
    "DiagonalSSM",
    "kernel_loss_gradients",
    "train_diagonal_ssm",
    "perturbation_error",
]

#: Eigenvalue parameterisations :math:`\lambda = f(w)`.
PARAMETERISATIONS: tuple[str, ...] = ("direct", "exp", "softplus", "best")


def _check_ab(a, b) -> tuple[float, float]:
    return check_positive_float("a", a), check_positive_float("b", b)


def eigenvalue_from_weight(w, parameterisation: str, a: float = 1.0, b: float = 0.5) -> np.ndarray:
    r"""The eigenvalue :math:`\lambda = f(w)` of a weight under a parameterisation.

    Parameters
    ----------
    w : array_like
        Weights.
    parameterisation : str
        One of :data:`PARAMETERISATIONS`: ``"direct"`` :math:`w`, ``"exp"`` :math:`-e^w`,
        ``"softplus"`` :math:`-\log(1+e^w)`, ``"best"`` :math:`-1/(a w^2 + b)`.
    a : float
        Parameter of ``"best"``, positive.
    b : float
        Parameter of ``"best"``, positive (:math:`\lambda \ge -1/b`).

    Returns
    -------
    numpy.ndarray
        Same shape as ``w``.
    """
    w = check_real_array("w", w, ndim=None)
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    a, b = _check_ab(a, b)
    if parameterisation == "direct":
        return w.copy()
    if parameterisation == "exp":
        return -np.exp(w)
    if parameterisation == "softplus":
        return -np.logaddexp(0.0, w)
    return -1.0 / (a * w**2 + b)


def weight_from_eigenvalue(lam, parameterisation: str, a: float = 1.0, b: float = 0.5) -> np.ndarray:
    r"""Inverse of :func:`eigenvalue_from_weight` (for ``"best"``, the root :math:`w \ge 0`).

    Parameters
    ----------
    lam : array_like
        Eigenvalues; negative for the stable parameterisations, and
        :math:`\ge -1/b` for ``"best"``.
    parameterisation : str
        One of :data:`PARAMETERISATIONS`.
    a : float
        Parameter of ``"best"``.
    b : float
        Parameter of ``"best"``.

    Returns
    -------
    numpy.ndarray
        Weights ``w`` with ``f(w) = lam``.
    """
    lam = check_real_array("lam", lam, ndim=None)
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    a, b = _check_ab(a, b)
    if parameterisation == "direct":
        return lam.copy()
    if np.any(lam >= 0):
        raise ValueError(f"lam must be negative for the stable parameterisation {parameterisation!r}")
    r = -lam
    if parameterisation == "exp":
        return np.log(r)
    if parameterisation == "softplus":
        return r + np.log(-np.expm1(-r))
    if np.any(r > 1.0 / b):
        raise ValueError(f"lam must be >= -1/b = {-1.0 / b:g} for the 'best' parameterisation")
    return np.sqrt(np.maximum(1.0 / r - b, 0.0) / a)


def gradient_scale(w, parameterisation: str, a: float = 1.0, b: float = 0.5) -> np.ndarray:
    r"""The gradient scale :math:`|f'(w)| / f(w)^2` of a parameterisation.

    For the kernel loss, :math:`|\partial L / \partial w_i| \le C_i\, |f'(w_i)|/f(w_i)^2`
    (see :func:`kernel_loss_gradients`); the scale is :math:`1/w^2` (``"direct"``),
    :math:`e^{-w}` (``"exp"``), :math:`\sigma(w)/\log^2(1+e^w)` (``"softplus"``) and
    :math:`2a|w|` (``"best"``).

    Parameters
    ----------
    w : array_like
        Weights.
    parameterisation : str
        One of :data:`PARAMETERISATIONS`.
    a : float
        Parameter of ``"best"``.
    b : float
        Parameter of ``"best"``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``w`` (``inf`` where :math:`f(w) = 0`).
    """
    w = check_real_array("w", w, ndim=None)
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    a, b = _check_ab(a, b)
    lam = eigenvalue_from_weight(w, parameterisation, a, b)
    if parameterisation == "direct":
        d = np.ones_like(w)
    elif parameterisation == "exp":
        d = np.exp(w)
    elif parameterisation == "softplus":
        d = 1.0 / (1.0 + np.exp(-w))
    else:
        d = 2 * a * np.abs(w) / (a * w**2 + b) ** 2
    with np.errstate(divide="ignore"):
        return np.where(lam == 0, np.inf, np.abs(d) / np.where(lam == 0, 1.0, lam) ** 2)


@dataclass
class DiagonalSSM:
    r"""A real diagonal SSM :math:`\dot h = \operatorname{diag}(f(w)) h + u x`, :math:`\hat y = c^\top h`.

    Parameters
    ----------
    w : array_like
        Eigenvalue weights, shape ``(m,)``.
    u : array_like
        Input weights, shape ``(m,)``.
    c : array_like
        Output weights, shape ``(m,)``.
    parameterisation : str
        One of :data:`PARAMETERISATIONS`.
    a : float
        Parameter of ``"best"``.
    b : float
        Parameter of ``"best"``.
    """

    w: np.ndarray
    u: np.ndarray
    c: np.ndarray
    parameterisation: str = "exp"
    a: float = 1.0
    b: float = 0.5

    def __post_init__(self) -> None:
        self.w = check_real_array("w", self.w, ndim=1)
        self.u = check_real_array("u", self.u, ndim=1)
        self.c = check_real_array("c", self.c, ndim=1)
        if not (self.w.shape == self.u.shape == self.c.shape):
            raise ValueError(f"w, u and c must have the same shape (m,), got {self.w.shape}, {self.u.shape}, {self.c.shape}")
        check_in("parameterisation", self.parameterisation, PARAMETERISATIONS)
        self.a, self.b = _check_ab(self.a, self.b)

    @property
    def m(self) -> int:
        """Width."""
        return int(self.w.size)

    @property
    def eigenvalues(self) -> np.ndarray:
        r"""The eigenvalues :math:`\lambda_i = f(w_i)`, shape ``(m,)``."""
        return eigenvalue_from_weight(self.w, self.parameterisation, self.a, self.b)

    @property
    def is_stable(self) -> bool:
        """Whether every eigenvalue is negative."""
        return bool(np.all(self.eigenvalues < 0))

    def kernel(self, t) -> np.ndarray:
        r"""The kernel :math:`\hat\rho(t) = \sum_i c_i u_i e^{\lambda_i t}`, shape ``(len(t), 1)``."""
        t = check_real_array("t", t, ndim=1)
        return (np.exp(np.outer(t, self.eigenvalues)) @ (self.c * self.u))[:, None]

    def to_linear_rnn(self):
        """The same model as a :class:`dynapprox.linear_rnn.LinearRNN` (``ValueError`` if unstable)."""
        from .linear_rnn import LinearRNN

        return LinearRNN(np.diag(self.eigenvalues), self.u[:, None], self.c)


def _torch():
    import torch

    return torch


def _torch_eigs(w, parameterisation: str, a: float, b: float):
    torch = _torch()
    if parameterisation == "direct":
        return w
    if parameterisation == "exp":
        return -torch.exp(w)
    if parameterisation == "softplus":
        return -torch.nn.functional.softplus(w)
    return -1.0 / (a * w**2 + b)


def kernel_loss_gradients(model: DiagonalSSM, rho_vals, dt: float) -> tuple[float, dict]:
    r"""Kernel loss :math:`L = \sum_k (\hat\rho(t_k) - \rho(t_k))^2 \Delta t` and its gradients (autograd).

    For white-noise inputs :math:`L` is the Riemann sum of the expected squared output
    error. Since :math:`\partial L/\partial w_i = f'(w_i)\,\partial L/\partial\lambda_i` and
    :math:`|\partial L/\partial\lambda_i| = |\sum_k 2 e_k c_i u_i t_k e^{\lambda_i t_k}\Delta t|
    \le 2\|e\|_\infty |c_i u_i| / \lambda_i^2` (for :math:`\lambda_i < 0`, using
    :math:`\int_0^\infty t e^{\lambda t}\mathrm dt = \lambda^{-2}`), the gradients obey
    :math:`|\partial L/\partial w_i| \le 2\|e\|_\infty |c_i u_i|\, |f'(w_i)|/f(w_i)^2`
    up to the quadrature error.

    Parameters
    ----------
    model : DiagonalSSM
        The model.
    rho_vals : array_like
        Target kernel samples, shape ``(n_t,)`` or ``(n_t, 1)``.
    dt : float
        Time step.

    Returns
    -------
    loss : float
        The loss.
    grads : dict
        ``"w"``, ``"u"``, ``"c"``: gradients, arrays of shape ``(m,)``.
    """
    torch = _torch()
    if not isinstance(model, DiagonalSSM):
        raise TypeError(f"model must be a DiagonalSSM, got {type(model).__name__}")
    rho = check_real_array("rho_vals", rho_vals, ndim=(1, 2)).reshape(-1)
    dt = check_positive_float("dt", dt)
    t = torch.tensor(dt * np.arange(rho.size))
    w = torch.tensor(model.w, requires_grad=True)
    u = torch.tensor(model.u, requires_grad=True)
    c = torch.tensor(model.c, requires_grad=True)
    lam = _torch_eigs(w, model.parameterisation, model.a, model.b)
    khat = torch.exp(t[:, None] * lam[None, :]) @ (c * u)
    loss = torch.sum((khat - torch.tensor(rho)) ** 2) * dt
    loss.backward()
    return float(loss.item()), {"w": w.grad.numpy().copy(), "u": u.grad.numpy().copy(), "c": c.grad.numpy().copy()}


@dataclass(frozen=True)
class SSMTrainingResult:
    r"""Result of :func:`train_diagonal_ssm`.

    Attributes
    ----------
    model : DiagonalSSM
        The trained model.
    losses : numpy.ndarray
        Loss before each step and after the last, shape ``(steps + 1,)``.
    max_eigenvalue : numpy.ndarray
        :math:`\max_i \lambda_i` before each step and after the last, shape ``(steps + 1,)``.
    diverged : bool
        Whether the loss or a gradient became non-finite (the histories then end in ``nan``).
    """

    model: DiagonalSSM
    losses: np.ndarray = field(repr=False)
    max_eigenvalue: np.ndarray = field(repr=False)
    diverged: bool = False


__all__.append("SSMTrainingResult")


def _weight_derivative(w: np.ndarray, parameterisation: str, a: float, b: float) -> np.ndarray:
    if parameterisation == "direct":
        return np.ones_like(w)
    if parameterisation == "exp":
        return -np.exp(w)
    if parameterisation == "softplus":
        return -1.0 / (1.0 + np.exp(-w))
    return 2 * a * w / (a * w**2 + b) ** 2


def _loss_and_grads(w, u, c, rho, t, dt, parameterisation, a, b):
    lam = eigenvalue_from_weight(w, parameterisation, a, b)
    with np.errstate(over="ignore", invalid="ignore"):
        E = np.exp(np.outer(t, lam))  # (n_t, m)
        g = c * u
        e = E @ g - rho
        loss = float(np.sum(e**2) * dt)
        dg = 2 * dt * (e @ E)
        dlam = 2 * dt * ((e * t) @ E) * g
    return loss, lam, {"w": _weight_derivative(w, parameterisation, a, b) * dlam, "u": c * dg, "c": u * dg}


def train_diagonal_ssm(
    rho_vals,
    dt: float,
    init_eigenvalues,
    steps: int,
    lr: float,
    seed: int,
    parameterisation: str = "exp",
    optimizer: str = "adam",
    a: float = 1.0,
    b: float = 0.5,
    init_scale: float = 0.1,
) -> SSMTrainingResult:
    r"""Train a diagonal SSM on the kernel loss by Adam or plain gradient descent.

    The loss is that of :func:`kernel_loss_gradients` (whose autograd gradients the unit
    tests compare with the hand-written ones used here). Every parameterisation starts
    from the *same* eigenvalues ``init_eigenvalues`` (mapped to weights by
    :func:`weight_from_eigenvalue`) and the same seeded :math:`u, c`, so that runs differ
    only by the parameterisation. A run that produces a non-finite loss stops there
    (the remaining history is ``nan``) and is reported by ``diverged``; the returned model
    then holds the last parameters with a finite loss.

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
        One of :data:`PARAMETERISATIONS`.
    optimizer : str
        ``"adam"`` (betas 0.9, 0.999, eps 1e-8) or ``"gd"`` (plain gradient descent).
    a : float
        Parameter of ``"best"``.
    b : float
        Parameter of ``"best"``.
    init_scale : float
        Standard deviation of the initial :math:`u` and :math:`c`.

    Returns
    -------
    SSMTrainingResult
    """
    rho = check_real_array("rho_vals", rho_vals, ndim=(1, 2)).reshape(-1)
    dt = check_positive_float("dt", dt)
    lam0 = check_real_array("init_eigenvalues", init_eigenvalues, ndim=1)
    if np.any(lam0 >= 0):
        raise ValueError("init_eigenvalues must be negative (a stable initial model)")
    steps = check_nonnegative_int("steps", steps)
    lr = check_positive_float("lr", lr)
    check_in("parameterisation", parameterisation, PARAMETERISATIONS)
    check_in("optimizer", optimizer, ("adam", "gd"))
    a, b = _check_ab(a, b)
    init_scale = check_positive_float("init_scale", init_scale)
    gen = _rng(seed)
    params = {
        "w": weight_from_eigenvalue(lam0, parameterisation, a, b),
        "u": init_scale * gen.standard_normal(lam0.size),
        "c": init_scale * gen.standard_normal(lam0.size),
    }
    t = dt * np.arange(rho.size)
    m1 = {k: np.zeros_like(v) for k, v in params.items()}
    m2 = {k: np.zeros_like(v) for k, v in params.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    losses = np.full(steps + 1, np.nan)
    top = np.full(steps + 1, np.nan)
    diverged = False
    # a diverging run overflows on purpose: it is detected and reported, not warned about
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(steps + 1):
            loss, lam, grads = _loss_and_grads(params["w"], params["u"], params["c"], rho, t, dt, parameterisation, a, b)
            losses[k], top[k] = loss, float(np.max(lam))
            if not np.isfinite(loss) or not all(np.all(np.isfinite(g)) for g in grads.values()):
                losses[k] = np.nan
                diverged = True
                break
            last_ok = {key: v.copy() for key, v in params.items()}
            if k == steps:
                break
            for key in params:
                if optimizer == "gd":
                    params[key] = params[key] - lr * grads[key]
                else:
                    m1[key] = b1 * m1[key] + (1 - b1) * grads[key]
                    m2[key] = b2 * m2[key] + (1 - b2) * grads[key] ** 2
                    params[key] = params[key] - lr * (m1[key] / (1 - b1 ** (k + 1))) / (np.sqrt(m2[key] / (1 - b2 ** (k + 1))) + eps)
    if diverged:  # keep the last parameters with a finite loss (the model of the last recorded step)
        params = last_ok if k > 0 else params
    model = DiagonalSSM(params["w"], params["u"], params["c"], parameterisation, a, b)
    return SSMTrainingResult(model, losses, top, diverged)


@dataclass(frozen=True)
class PerturbationError:
    r"""Bracket of the estimated perturbation error :math:`\mathcal E(\delta)` at several radii.

    Attributes
    ----------
    deltas : numpy.ndarray
        The radii :math:`\delta`, shape ``(n,)``.
    lower, upper : numpy.ndarray
        For each radius, the maximum over the tried perturbations of the lower and of the
        upper end of the whole-half-line bracket of :func:`dynapprox.halfline.l1_error_halfline`
        (``inf`` when a tried perturbation makes a mode non-decaying), shape ``(n,)``.
    """

    deltas: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @property
    def value(self) -> np.ndarray:
        """Midpoints of the brackets (``inf`` where the error is infinite)."""
        return 0.5 * (self.lower + self.upper)


__all__ += ["PerturbationError", "l1_error", "tail_error_lower_bound"]


def l1_error(model: DiagonalSSM, rho, *, T: float = 50.0, rho_tail=None, panel: float = 0.5,
             nodes: int = 16):
    r"""Whole-half-line error :math:`\norm{\rho - \hat\rho}_{L^1[0,\infty)}` of a diagonal SSM (a bracket).

    A thin wrapper around :func:`dynapprox.halfline.l1_error_halfline` with settings suited
    to smooth targets: Gauss-Legendre panels of length ``panel`` on :math:`[0, T)`, geometric
    panels to :math:`t_{\max} = 10^9`, and the closed-form tail bounds of the target (a
    :class:`dynapprox.kernels.Kernel`, or ``rho_tail``) and of the model's modes.

    Parameters
    ----------
    model : DiagonalSSM
        A stable model.
    rho : Kernel or callable
        The target kernel.
    T : float
        End of the uniform window.
    rho_tail : callable, optional
        :math:`t \mapsto R(t) \ge \int_t^\infty |\rho|` when ``rho`` is a plain callable.
    panel : float
        Length of the window panels.
    nodes : int
        Gauss-Legendre nodes per panel.

    Returns
    -------
    dynapprox.halfline.HalfLineL1
        The bracket (``lower``, ``upper``, ``value``).
    """
    from .halfline import l1_error_halfline

    if not isinstance(model, DiagonalSSM):
        raise TypeError(f"model must be a DiagonalSSM, got {type(model).__name__}")
    if not model.is_stable:
        raise ValueError("model must be stable (every eigenvalue negative) to have a finite L1 error")
    return l1_error_halfline(rho, model, T, rho_tail=rho_tail, panel=panel, nodes=nodes)


def tail_error_lower_bound(model: DiagonalSSM, rho, times, rho_tail_lower=None) -> float:
    r"""A certified lower bound of :math:`\norm{\rho - \hat\rho}_{L^1[0,\infty)}` from the tails alone.

    For every :math:`T \ge 0`, by the reverse triangle inequality on :math:`[T, \infty)`,

    .. math:: \norm{\rho - \hat\rho}_{L^1[0,\infty)} \ge \int_T^\infty |\rho|
       - \sum_i \frac{|c_i u_i|\, e^{\lambda_i T}}{|\lambda_i|},

    since :math:`\int_T^\infty |\hat\rho| \le \sum_i |c_i u_i| e^{\lambda_i T}/|\lambda_i|`.
    The function returns the largest right-hand side over ``times`` (and 0). It shows why
    an accurate approximant of a slowly decaying target needs slow modes: with every
    :math:`|\lambda_i| \ge r`, the second term is at most :math:`G e^{-rT}/r`,
    :math:`G = \sum_i |c_i u_i|`.

    Parameters
    ----------
    model : DiagonalSSM
        A stable model.
    rho : Kernel
        The target; its :meth:`~dynapprox.kernels.Kernel.tail_l1_lower` is used unless
        ``rho_tail_lower`` is given.
    times : array_like
        Candidate times :math:`T \ge 0`, shape ``(n,)``.
    rho_tail_lower : callable, optional
        :math:`t \mapsto r(t) \le \int_t^\infty |\rho|`.

    Returns
    -------
    float
        The bound (non-negative).
    """
    if not isinstance(model, DiagonalSSM):
        raise TypeError(f"model must be a DiagonalSSM, got {type(model).__name__}")
    if not model.is_stable:
        raise ValueError("model must be stable (every eigenvalue negative)")
    times = check_real_array("times", times, ndim=1)
    if np.any(times < 0):
        raise ValueError("times must be non-negative")
    low = rho_tail_lower if rho_tail_lower is not None else getattr(rho, "tail_l1_lower", None)
    if not callable(low):
        raise TypeError("rho must be a Kernel with tail_l1_lower, or pass rho_tail_lower=callable")
    lam = model.eigenvalues
    g = np.abs(model.c * model.u)
    model_tail = np.exp(np.outer(times, lam)) @ (g / np.abs(lam))
    target_tail = np.array([float(low(float(T))) for T in times])
    return float(max(0.0, np.max(target_tail - model_tail)))


def perturbation_error(model: DiagonalSSM, rho, deltas, n_draws: int = 8, seed: int = 0, *,
                       T: float = 50.0, rho_tail=None, panel: float = 0.5,
                       nodes: int = 16) -> PerturbationError:
    r"""Estimated perturbation error :math:`\mathcal E(\delta) = \sup_{\|\tilde w - w\|_\infty \le \delta} \norm{\rho - \hat\rho_{\tilde w}}_{L^1[0,\infty)}`.

    Only the *recurrent* weights :math:`w` are perturbed (the ones a stable
    reparameterisation acts on), in the coordinates of the model's parameterisation, so
    the same :math:`\delta` means different eigenvalue perturbations under different
    parameterisations. The supremum is estimated from below by the maximum over the two
    constant directions :math:`\pm\delta\mathbf 1` and ``n_draws`` random vertices of the
    cube (seeded). Every error is measured on the whole half-line
    (:func:`l1_error`, a bracket); a perturbed model with an eigenvalue :math:`\ge 0` has
    infinite error and gives ``inf``.

    Parameters
    ----------
    model : DiagonalSSM
        The unperturbed model.
    rho : Kernel or callable
        Target kernel (a :class:`dynapprox.kernels.Kernel` carries its tail bound).
    deltas : array_like
        Perturbation radii, non-negative, shape ``(n,)``.
    n_draws : int
        Number of random vertices per radius.
    seed : int
        Seed of the random vertices.
    T, rho_tail, panel, nodes
        As in :func:`l1_error`.

    Returns
    -------
    PerturbationError
        Lower and upper ends of the estimate at each radius.
    """
    if not isinstance(model, DiagonalSSM):
        raise TypeError(f"model must be a DiagonalSSM, got {type(model).__name__}")
    deltas = check_real_array("deltas", deltas, ndim=1)
    if np.any(deltas < 0):
        raise ValueError("deltas must be non-negative")
    n_draws = check_nonnegative_int("n_draws", n_draws)
    gen = _rng(seed)
    m = model.m
    lower = np.zeros(deltas.size)
    upper = np.zeros(deltas.size)
    for j, delta in enumerate(deltas):
        dirs = [s * np.ones(m) for s in (-1.0, 1.0)] + [gen.choice([-1.0, 1.0], size=m) for _ in range(n_draws)]
        if delta == 0:
            dirs = [np.zeros(m)]
        lo = up = 0.0
        for dw in dirs:
            pert = DiagonalSSM(model.w + delta * dw, model.u, model.c, model.parameterisation, model.a, model.b)
            if not pert.is_stable:
                lo = up = np.inf
                break
            e = l1_error(pert, rho, T=T, rho_tail=rho_tail, panel=panel, nodes=nodes)
            lo, up = max(lo, e.lower), max(up, e.upper)
        lower[j], upper[j] = lo, up
    return PerturbationError(deltas.copy(), lower, upper)
