r"""Perturbation errors of linear RNNs: the estimate of :math:`\mathcal E(\delta)` and two closed forms.

The perturbation error of a model with weights :math:`\theta` approximating a kernel
:math:`\rho` is

.. math::

    \mathcal E(\delta) = \sup_{\|\tilde\theta - \theta\|_\infty \le \delta}
    \norm{\rho - \hat\rho_{\tilde\theta}}_{L^1[0,\infty)} ,

the error of the perturbed model measured on the whole half-line. :func:`perturbation_error`
estimates it for a :class:`~dynapprox.linear_rnn.LinearRNN` whose weights are the dense
matrices or the weights of a parameterisation of :mod:`dynapprox.parameterisations`;
:func:`diagonal_sensitivity` is the exact supremum of the kernel change of a positive
diagonal model, and :func:`modal_error_lower_bound` the certified lower bound of the
error that a model's slow modes allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._validation import check_in, check_nonnegative_int, check_real_array
from .halfline import modal_terms, model_tail_bound, quadrature_rule
from .linear_rnn import LinearRNN
from .parameterisations import PARAMETERISATIONS, rate, weight
from .reproducibility import rng as _rng

__all__ = [
    "PerturbationResult",
    "perturbation_error",
    "diagonal_sensitivity",
    "modal_error_lower_bound",
]

Modes = tuple[np.ndarray, np.ndarray]


def _dense_modes(W: np.ndarray, U: np.ndarray, c: np.ndarray) -> Modes:
    """Eigenvalues and residues of ``c^T e^{Wt} U`` (no conditioning check: a perturbed W may be defective)."""
    lam, V = np.linalg.eig(W)
    left = c @ V
    right = np.linalg.solve(V, U.astype(complex))
    return lam, left[:, None] * right


@dataclass(frozen=True)
class PerturbationResult:
    r"""Estimated perturbation errors :math:`\mathcal E_m(\delta)` of one model.

    Attributes
    ----------
    deltas : numpy.ndarray
        Perturbation sizes :math:`\delta` (max-norm of the parameter perturbation).
    errors : numpy.ndarray
        :math:`\widehat{\mathcal E}(\delta)`: the largest whole-half-line :math:`L^1` kernel
        error found, ``inf`` if a perturbed model is unstable (its error is infinite). Each
        error is the lower end of its bracket (window plus quadrature tail to
        :math:`t_{\max}` plus a lower bound of the remainder beyond it, as in
        :class:`dynapprox.halfline.HalfLineL1`), so this is a lower estimate of the sup.
    errors_upper : numpy.ndarray
        The maximum over the upper ends of the brackets (with the closed-form upper bounds of
        the target's and the model's integrals beyond :math:`t_{\max}`).
    base_error : float
        The unperturbed error :math:`\mathcal E_m(0)` (lower end of its bracket).
    unstable_fraction : numpy.ndarray
        Fraction of the tried perturbations that made the model unstable.
    worst_direction : tuple of str
        For each :math:`\delta`, the name of the tried direction with the largest error
        (``""`` for :math:`\delta = 0`); see :func:`perturbation_error`.

    Used in
    -------
    Returned by :func:`perturbation_error` (in :doc:`/chapters/10_curse_of_memory`,
    :doc:`/chapters/12_state_space_models`).
    """

    deltas: np.ndarray
    errors: np.ndarray
    errors_upper: np.ndarray
    base_error: float
    unstable_fraction: np.ndarray
    worst_direction: tuple

    @property
    def value(self) -> np.ndarray:
        """Midpoints of the brackets ``(errors + errors_upper) / 2`` (``inf`` where the error is infinite)."""
        return 0.5 * (self.errors + self.errors_upper)


def _halfline_errors(
    modes: list[Modes],
    rho_grid: np.ndarray,
    t: np.ndarray,
    w: np.ndarray,
    t_max: float,
    rho_rem: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper ends of the whole-half-line L1 errors of several modal kernels on one grid.

    ``rho_rem`` is (lower, upper) bound of the target's tail integral beyond ``t_max``; the
    remainder of the difference is bracketed as in :class:`dynapprox.halfline.HalfLineL1`:
    between max(0, r_rho - R_model) and R_rho + R_model.
    """
    lower = np.full(len(modes), np.inf)
    upper = np.full(len(modes), np.inf)
    for i, (lam, g) in enumerate(modes):
        if np.max(lam.real) >= 0:
            continue
        khat = np.real(np.exp(np.outer(t, lam)) @ g)
        quad = float(w @ np.abs(rho_grid - khat).sum(axis=1))
        keep = np.abs(g).sum(axis=1) > 0
        rem = float(
            np.sum(
                np.abs(g[keep]).sum(axis=1)
                * np.exp(lam.real[keep] * t_max)
                / (-lam.real[keep])
            )
        )
        lower[i] = quad + max(0.0, rho_rem[0] - rem)
        upper[i] = quad + rho_rem[1] + rem
    return lower, upper


def perturbation_error(
    model: LinearRNN,
    rho: Any,
    deltas: ArrayLike,
    parameterisation: str | None = None,
    n_random: int = 20,
    seed: int | np.random.Generator = 0,
    perturb: str = "recurrent",
    *,
    T: float,
    rho_tail: Callable[[float], float] | None = None,
    t_max: float = 1e9,
    panel: float = 0.5,
    nodes: int = 16,
    growth: float = 0.1,
) -> PerturbationResult:
    r"""Estimate :math:`\mathcal E(\delta) = \sup_{\|\tilde\theta - \theta\|_\infty \le \delta}
    \|\rho - \hat\rho_{\tilde\theta}\|_{L^1[0,\infty)}`.

    The error of a linear RNN in the uniform norm of functionals is the :math:`L^1`
    distance of the kernels on the whole half-line. It is computed on the grid of
    :func:`dynapprox.halfline.quadrature_rule` (window :math:`[0, T]`, geometric panels to
    :math:`t_{\max}`), the same grid for every perturbed model, and bracketed with the
    closed-form bounds of the integrals beyond :math:`t_{\max}`: the target's (``rho_tail``,
    by default :meth:`dynapprox.kernels.Kernel.tail_l1`) and the model's,
    :math:`\sum_k \abs{g_k}_1 e^{\operatorname{Re}\lambda_k t_{\max}}/(-\operatorname{Re}\lambda_k)`.
    A perturbed model that is not stable has infinite error and is reported as ``inf``.

    The parameters :math:`\theta` and the perturbations depend on ``parameterisation``:

    * ``"dense"``: :math:`\theta = (W, U, c)` of the dense form, all :math:`m^2 + m d + m` entries;
    * a name of :data:`dynapprox.parameterisations.PARAMETERISATIONS` (``"direct"``,
      ``"exp"``, ``"softplus"``, ``"best"``): the modal form (:meth:`~dynapprox.linear_rnn.LinearRNN.to_modal`),
      :math:`\theta = (p, \omega, \operatorname{Re} g, \operatorname{Im} g)` with decay
      :math:`r = f(p)` of :func:`dynapprox.parameterisations.rate` (``"direct"`` perturbs
      the decay rates themselves, the others the weights of a stable reparameterisation;
      ``"best"`` with the model's :math:`a, b`);
    * ``None`` (default): the model's own form and parameterisation (``"dense"`` for a
      dense model).
      Real modes stay real (their :math:`\omega` and :math:`\operatorname{Im} g` are not perturbed).

    With ``perturb = "recurrent"`` only the recurrent weights move (:math:`W`, or
    :math:`(p, \omega)`), the read-in and read-out weights stay fixed.

    The sup is estimated (from below) by the maximum over ``n_random`` random vertices
    of the cube :math:`\|\tilde\theta - \theta\|_\infty = \delta` (seeded, named
    ``"random"``) and a few structured directions: for ``"dense"`` the first-order
    direction that moves the slowest eigenvalue of :math:`W` fastest to the right,
    :math:`\Delta W_{ij} = \delta\,\operatorname{sign}\operatorname{Re}(\bar w_i v_j / w^* v)`
    (:math:`v, w` right and left eigenvectors; ``"first-order"``), and
    :math:`\pm\delta\mathbf 1\mathbf 1^\top` (``"+ones"``, ``"-ones"``; operator norm
    :math:`m\delta`); for the modal forms :math:`p \mp \delta` for all modes (``"rates-"``,
    ``"rates+"``: all rates lowered, resp. raised), combined with
    :math:`\operatorname{Re} g \pm \delta\operatorname{sign}\operatorname{Re} g` when the
    read-out moves.

    Parameters
    ----------
    model : LinearRNN
        The unperturbed model (continuous time).
    rho : object
        The target kernel: a :class:`~dynapprox.kernels.Kernel`, a model with a ``.kernel(t)``
        method (pass the unperturbed model itself to measure the *sensitivity*
        :math:`\sup \|\hat\rho_{\tilde\theta} - \hat\rho_\theta\|_{L^1}`), or a callable mapping
        times of shape ``(n,)`` to values of shape ``(n,)`` or ``(n, d)``.
    deltas : array_like
        Perturbation sizes :math:`\delta \ge 0`, shape ``(n_delta,)``.
    parameterisation : str, optional
        ``"dense"``, one of :data:`dynapprox.parameterisations.PARAMETERISATIONS`, or ``None``.
    n_random : int
        Number of random perturbations per :math:`\delta`.
    seed : int or numpy.random.Generator
        Seed of the random directions.
    perturb : str
        ``"recurrent"`` (default: the recurrent weights only) or ``"all"`` (every parameter).
    T : float
        End of the window of the quadrature (past the features of the target).
    rho_tail : callable, optional
        A bound :math:`t \mapsto R(t) \ge \int_t^\infty \abs{\rho}_1`; default: ``rho.tail_l1``
        (and then ``rho.tail_l1_lower`` for the lower end of the remainder, else 0).
    t_max, panel, nodes, growth
        The grid of :func:`dynapprox.halfline.quadrature_rule`.

    Returns
    -------
    PerturbationResult

    Used in
    -------
    :doc:`/chapters/10_curse_of_memory` (:prf:ref:`prop-curse-sensitivity`),
    :doc:`/chapters/12_state_space_models` (:prf:ref:`prop-ssm-perturbation`).
    """
    rho_fn = rho.kernel if callable(getattr(rho, "kernel", None)) else rho
    if not callable(rho_fn):
        raise TypeError(
            f"rho must be a Kernel, a model with a .kernel(t) method or a callable t -> values, "
            f"got {type(rho).__name__}"
        )
    deltas = check_real_array("deltas", deltas, ndim=1)
    if np.any(deltas < 0):
        raise ValueError("deltas must be non-negative")
    if not isinstance(model, LinearRNN) or model.dt is not None:
        raise TypeError(
            f"model must be a continuous-time LinearRNN, got {model!r}"
        )
    if parameterisation is None:
        parameterisation = (
            "dense" if model.form == "dense" else model.parameterisation
        )
    check_in(
        "parameterisation",
        parameterisation,
        ("dense",) + PARAMETERISATIONS,
    )
    n_random = check_nonnegative_int("n_random", n_random)
    check_in("perturb", perturb, ("all", "recurrent"))
    tail = rho_tail if rho_tail is not None else model_tail_bound(rho)
    if tail is None:
        raise ValueError(
            "no tail bound known for rho: pass rho_tail=callable t -> a bound on the integral of |rho| over [t, inf)"
        )
    t, w = quadrature_rule(T, t_max, panel, nodes, growth)
    rho_grid = check_real_array("rho(t)", rho_fn(t), ndim=(1, 2))
    rho_grid = rho_grid[:, None] if rho_grid.ndim == 1 else rho_grid
    low = getattr(rho, "tail_l1_lower", None) if rho_tail is None else None
    rho_rem = (
        float(low(t_max)) if callable(low) else 0.0,
        float(tail(t_max)),
    )
    io = 0.0 if perturb == "recurrent" else 1.0
    gen = _rng(seed)

    def sweep(
        base_modes: Modes,
        make_dirs: Callable[[], tuple[list, list]],
        perturbed_modes: Callable[..., Modes],
    ) -> PerturbationResult:
        lo0, up0 = _halfline_errors(
            [base_modes], rho_grid, t, w, t_max, rho_rem
        )
        errors, uppers, fractions, worst_names = [], [], [], []
        for d in deltas:
            if d == 0:
                errors.append(lo0[0])
                uppers.append(up0[0])
                fractions.append(0.0)
                worst_names.append("")
                continue
            names, dirs = make_dirs()
            lo, up = _halfline_errors(
                [perturbed_modes(d, *dd) for dd in dirs],
                rho_grid,
                t,
                w,
                t_max,
                rho_rem,
            )
            k = int(np.argmax(lo))
            errors.append(lo[k])
            uppers.append(float(np.max(up)))
            fractions.append(float(np.mean(np.isinf(lo))))
            worst_names.append(names[k])
        return PerturbationResult(
            deltas,
            np.array(errors),
            np.array(uppers),
            float(lo0[0]),
            np.array(fractions),
            tuple(worst_names),
        )

    if parameterisation == "dense":
        W, U, c = model.W, model.U, model.c
        if U.shape[1] != rho_grid.shape[1]:
            raise ValueError(
                f"model input dimension {U.shape[1]} differs from the kernel's {rho_grid.shape[1]}"
            )
        lam, V = np.linalg.eig(W)
        if lam.real.max() >= 0:
            raise ValueError(
                f"W must be Hurwitz, its spectral abscissa is {lam.real.max():.3g}"
            )
        j = int(np.argmax(lam.real))
        lamL, VL = np.linalg.eig(W.T)
        wl = VL[:, int(np.argmin(np.abs(lamL - lam[j])))]
        v = V[:, j]
        sens = np.real(np.outer(np.conj(wl), v) / (np.conj(wl) @ v))
        zU, zc = np.zeros_like(U), np.zeros_like(c)

        def make_dirs() -> tuple[list, list]:
            names = ["first-order", "+ones", "-ones"] + [
                "random"
            ] * n_random
            dirs: list[tuple[np.ndarray, ...]] = [
                (np.sign(sens), zU, zc),
                (np.ones_like(W), zU, zc),
                (-np.ones_like(W), zU, zc),
            ]
            for _ in range(n_random):
                dirs.append(
                    tuple(
                        gen.choice([-1.0, 1.0], size=a.shape)
                        for a in (W, U, c)
                    )
                )
            return names, dirs

        def perturbed(
            d: float, dW: np.ndarray, dU: np.ndarray, dc: np.ndarray
        ) -> Modes:
            return _dense_modes(
                W + d * dW, U + io * d * dU, c + io * d * dc
            )

        return sweep(_dense_modes(W, U, c), make_dirs, perturbed)

    model = model.to_modal(parameterisation)
    if model.d != rho_grid.shape[1]:
        raise ValueError(
            f"model input dimension {model.d} differs from the kernel's {rho_grid.shape[1]}"
        )
    p0, pa, pb = model.weights, model.a, model.b
    osc = model.freq > 0
    sg = np.sign(model.coef.real)
    zero_g = np.zeros(model.coef.shape)

    def make_modal_dirs() -> tuple[list, list]:
        names, dirs = [], []
        for s_p, label in (
            (-1.0, "rates-"),
            (1.0, "rates+"),
        ):  # f is increasing: p - delta lowers every rate
            for s_g in (-1.0, 1.0) if io else (1.0,):
                names.append(
                    label
                    if not io
                    else f"{label}, coef{'+' if s_g > 0 else '-'}"
                )
                dirs.append(
                    (
                        s_p * np.ones_like(p0),
                        np.zeros_like(p0),
                        s_g * sg,
                        zero_g,
                    )
                )
        for _ in range(n_random):
            names.append("random")
            dirs.append(
                (
                    gen.choice([-1.0, 1.0], size=p0.shape),
                    gen.choice([-1.0, 1.0], size=p0.shape) * osc,
                    gen.choice([-1.0, 1.0], size=model.coef.shape),
                    gen.choice([-1.0, 1.0], size=model.coef.shape)
                    * osc[:, None],
                )
            )
        return names, dirs

    def perturbed_modal(
        d: float,
        dp: np.ndarray,
        dom: np.ndarray,
        dgr: np.ndarray,
        dgi: np.ndarray,
    ) -> Modes:
        r = rate(p0 + d * dp, parameterisation, pa, pb)
        if np.any(r <= 0):
            return np.array([0.0 + 0j]), np.zeros(
                (1, model.d), complex
            )  # unstable: abscissa 0
        om = np.where(osc, np.maximum(model.freq + d * dom, 1e-300), 0.0)
        return LinearRNN.modal(
            r, om, model.coef + io * d * (dgr + 1j * dgi)
        ).modes()

    return sweep(model.modes(), make_modal_dirs, perturbed_modal)


def diagonal_sensitivity(
    model: LinearRNN, deltas: ArrayLike, parameterisation: str = "dense"
) -> np.ndarray:
    r"""Exact sup of the kernel change of a positive diagonal linear RNN under recurrent perturbations.

    For :math:`W = -\operatorname{diag}(r_1, \dots, r_m)` with :math:`r_j > 0`, and input and
    output weights :math:`U, c \in \mathbb R^m` with positive entries (:math:`d = 1`), the kernel
    is :math:`\hat\rho(t) = \sum_j c_j U_j e^{-r_j t} > 0`. This function returns

    .. math::

        \Sigma(\delta) = \sup_{\|\tilde\theta - \theta\|_\infty \le \delta}
        \|\hat\rho_{\tilde\theta} - \hat\rho_\theta\|_{L^1[0,\infty)}

    over perturbations of the recurrent parameters only, in closed form (chapter
    10, proposition ``prop-curse-sensitivity``), with :math:`S = \sum_j 1/r_j`:

    * ``"dense"`` (all :math:`m^2` entries of :math:`W`):
      :math:`\delta\,(\sum_i c_i/r_i)(\sum_j U_j/r_j)/(1 - \delta S)` for :math:`\delta S < 1`,
      ``inf`` otherwise (the perturbation :math:`\delta\mathbf 1\mathbf 1^\top` is then unstable);
    * a parameterisation :math:`r_j = f(p_j)` of :func:`dynapprox.parameterisations.rate`
      (``"direct"``, ``"exp"``, ``"softplus"``, ``"best"`` with :math:`a = 1`, :math:`b = 1/2`):
      :math:`\sum_j c_j U_j\,\big(1/f(p_j - \delta) - 1/r_j\big)`, ``inf`` if a rate
      :math:`f(p_j - \delta) \le 0` (``"direct"`` with :math:`\delta \ge \min_j r_j`). For ``"exp"``
      this is :math:`(e^{\delta} - 1)\|\hat\rho\|_{L^1}`.

    Parameters
    ----------
    model : LinearRNN
        Dense, ``W`` diagonal with negative entries, ``U`` of shape ``(m, 1)`` (or ``(m,)``) and ``c`` of shape ``(m,)``
        with positive entries.
    deltas : array_like
        Perturbation sizes :math:`\delta \ge 0`.
    parameterisation : str
        ``"dense"`` or one of :data:`dynapprox.parameterisations.PARAMETERISATIONS`.

    Returns
    -------
    numpy.ndarray
        :math:`\Sigma(\delta)`, shape ``(n_delta,)``.

    Used in
    -------
    :doc:`/chapters/10_curse_of_memory` (:prf:ref:`prop-curse-sensitivity`).
    """
    if not isinstance(model, LinearRNN):
        raise TypeError(
            f"model must be a LinearRNN, got {type(model).__name__}"
        )
    W, U, c = model.W, model.U, model.c
    if U.shape[1] != 1:
        raise ValueError(
            f"U must have one column (d = 1), got shape {U.shape}"
        )
    if not np.allclose(W, np.diag(np.diag(W)), rtol=0.0, atol=0.0):
        raise ValueError("W must be diagonal")
    r = -np.diag(W)
    u = U[:, 0]
    if np.any(r <= 0):
        raise ValueError(
            "W must have negative diagonal entries (positive rates)"
        )
    if np.any(u <= 0) or np.any(c <= 0):
        raise ValueError("U and c must have positive entries")
    deltas = check_real_array("deltas", deltas, ndim=1)
    if np.any(deltas < 0):
        raise ValueError("deltas must be non-negative")
    check_in(
        "parameterisation",
        parameterisation,
        ("dense",) + PARAMETERISATIONS,
    )
    out = np.full(deltas.shape, np.inf)
    if parameterisation == "dense":
        S = float(np.sum(1.0 / r))
        a, b = float(np.sum(c / r)), float(np.sum(u / r))
        ok = deltas * S < 1.0
        out[ok] = deltas[ok] * a * b / (1.0 - deltas[ok] * S)
        return out
    g = c * u
    p = weight(r, parameterisation)
    for i, d in enumerate(deltas):
        low = rate(p - d, parameterisation)
        if np.all(low > 0):
            out[i] = float(np.sum(g * (1.0 / low - 1.0 / r)))
    return out


def modal_error_lower_bound(
    rho: Any,
    model: Any,
    Ts: ArrayLike,
    rho_tail_lower: Callable[[float], float] | None = None,
    per_mode: bool = False,
) -> float:
    r"""A lower bound of :math:`\|\rho - \hat\rho\|_{L^1[0,\infty)}` from the slowest mode of the model.

    If :math:`\hat\rho(t) = \sum_k g_k e^{\lambda_k t}` with :math:`\operatorname{Re}\lambda_k \le -a < 0`
    and :math:`G = \sum_k \abs{g_k}_1`, then :math:`\abs{\hat\rho(t)}_1 \le G e^{-at}`, so for every
    :math:`T \ge 0` (chapter 10, proposition ``prop-curse-gap``)

    .. math::

        \|\rho - \hat\rho\|_{L^1[0,\infty)} \;\ge\; \int_T^\infty \abs{\rho}_1\,\mathrm dt - \frac{G\,e^{-aT}}{a}.

    With ``per_mode=True`` the sharper bound that keeps every mode's own rate is used,
    :math:`\int_T^\infty \abs{\rho}_1 - \sum_k \abs{g_k}_1 e^{\operatorname{Re}\lambda_k T}/
    \abs{\operatorname{Re}\lambda_k}` (chapter 12, proposition ``prop-ssm-slow-modes``).

    Returns the maximum of the right-hand side over the given times, with the integral
    replaced by its closed-form lower bound (``rho.tail_l1_lower``): a valid lower bound
    of the whole-half-line error, whatever the times.

    Parameters
    ----------
    rho : Kernel
        The target (or any object with a ``tail_l1_lower`` method).
    model : object
        A model whose modes :func:`dynapprox.halfline.modal_terms` can read (linear RNN, modal RNN, SSM).
    Ts : array_like
        Times :math:`T \ge 0` at which the bound is evaluated.
    rho_tail_lower : callable, optional
        :math:`t \mapsto r(t) \le \int_t^\infty \abs{\rho}_1` (default ``rho.tail_l1_lower``).
    per_mode : bool
        Bound the model's tail mode by mode (sharper) instead of by its slowest mode.

    Returns
    -------
    float
        The bound (may be negative, i.e. void).

    Used in
    -------
    :doc:`/chapters/10_curse_of_memory` (:prf:ref:`prop-curse-gap`),
    :doc:`/chapters/12_state_space_models` (:prf:ref:`prop-ssm-slow-modes`).
    """
    Ts = check_real_array("Ts", Ts, ndim=1)
    if np.any(Ts < 0):
        raise ValueError("Ts must be non-negative")
    low = (
        rho_tail_lower
        if rho_tail_lower is not None
        else getattr(rho, "tail_l1_lower", None)
    )
    if not callable(low):
        raise ValueError(
            "pass rho_tail_lower=callable t -> a lower bound of the integral of |rho| over [t, inf)"
        )
    terms = modal_terms(model)
    if terms is None:
        raise ValueError(
            f"cannot read the modes of {type(model).__name__}"
        )
    lam, g = terms
    a = float(-np.max(lam.real))
    if a <= 0:
        raise ValueError("the model must be stable (all Re lambda < 0)")
    if per_mode:
        size = np.abs(g).sum(axis=1)
        model_tail = np.exp(np.outer(Ts, lam.real)) @ (
            size / np.abs(lam.real)
        )
        return float(
            max(
                float(low(float(T))) - mt
                for T, mt in zip(Ts, model_tail, strict=True)
            )
        )
    G = float(np.abs(g).sum())
    return float(max(low(float(T)) - G * np.exp(-a * T) / a for T in Ts))
