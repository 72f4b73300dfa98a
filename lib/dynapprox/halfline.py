r"""Errors of kernel approximants on the whole half-line :math:`[0, \infty)`.

The uniform error of a linear functional's approximant is the :math:`L^1` distance of
the kernels (chapter "Riesz representation and density of linear RNNs"),

.. math::

    \norm{\rho - \hat\rho}_{L^1[0,\infty)} = \int_0^\infty \norm{\rho(t) - \hat\rho(t)}_1 \,\dd t .

A number measured on a window :math:`[0, T)` alone is only a lower bound: a fit can be
excellent on the window and poor beyond it (a slow power-law tail is exactly where a
sum of exponentials fails). :func:`l1_error_halfline` therefore returns a *bracket*

.. math::

    \underbrace{I_{[0,T)} + I_{[T, t_{\max})} + \max(0, r_\rho - R_{\hat\rho})}_{\text{lower}}
    \;\le\; \norm{\rho - \hat\rho}_{L^1[0,\infty)} \;\le\;
    \underbrace{I_{[0,T)} + I_{[T, t_{\max})} + R_\rho(t_{\max}) + R_{\hat\rho}(t_{\max})}_{\text{upper}},

where the integrals :math:`I` are computed by Gauss-Legendre quadrature on panels
(uniform panels on the window, panels growing geometrically on
:math:`[T, t_{\max})`), and :math:`R_f(t) \ge \int_t^\infty \norm{f}_1` are closed-form
tail bounds (and :math:`r_\rho \le \int_t^\infty \norm{\rho}_1` a lower one, by the reverse
triangle inequality): :meth:`dynapprox.kernels.Kernel.tail_l1` and
:meth:`~dynapprox.kernels.Kernel.tail_l1_lower` for the book's targets, and for a
model whose kernel is a sum of exponential modes :math:`\hat\rho(t) = \sum_j g_j e^{\lambda_j t}`,

.. math::

    R_{\hat\rho}(t) = \sum_j \norm{g_j}_1 \frac{e^{\operatorname{Re}\lambda_j\, t}}{-\operatorname{Re}\lambda_j}.

Both ends are true bounds up to the quadrature error of the integrals :math:`I` (Gauss-Legendre
panels, split at every sign change of the difference so that no panel holds the kink of
:math:`\abs{\cdot}`). With the default
:math:`t_{\max} = 10^9` the two ends agree to many digits unless the target's tail is
very heavy or a model has a mode with a rate near zero; the width of the bracket is
reported (:attr:`HalfLineL1.rel_gap`) and a chapter that asserts an error asserts on the
end that makes the check conservative.

Used by chapters 8, 9, 10 and 12, wherever a kernel error is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable  # noqa: UP035 (typing.Callable resolves in the API reference)

import numpy as np

from ._validation import check_positive_float, check_positive_int

__all__ = [
    "HalfLineL1",
    "l1_error_halfline",
    "quadrature_rule",
    "model_tail_bound",
    "modal_terms",
]

_NODES_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _gauss(n: int) -> tuple[np.ndarray, np.ndarray]:
    if n not in _NODES_CACHE:
        _NODES_CACHE[n] = np.polynomial.legendre.leggauss(n)
    return _NODES_CACHE[n]


@dataclass(frozen=True)
class HalfLineL1:
    r"""A bracket of :math:`\norm{\rho - \hat\rho}_{L^1[0,\infty)}` (see the module docstring).

    Attributes
    ----------
    window : float
        :math:`\int_0^T \norm{\rho - \hat\rho}_1`.
    tail : float
        :math:`\int_T^{t_{\max}} \norm{\rho - \hat\rho}_1`.
    remainder_lower, remainder_upper : float
        Bounds of :math:`\int_{t_{\max}}^\infty \norm{\rho - \hat\rho}_1`:
        :math:`\max(0, r_\rho - R_{\hat\rho})` and :math:`R_\rho + R_{\hat\rho}` at :math:`t_{\max}`,
        with :math:`r_\rho` a lower bound of the target's tail (exact for the book's kernels).
    T : float
        End of the window.
    t_max : float
        End of the quadrature.

    Used in
    -------
    Returned by :func:`l1_error_halfline` (in :doc:`/chapters/07_sequence_modelling`,
    :doc:`/chapters/08_riesz_density`, :doc:`/chapters/09_rates_memory`,
    :doc:`/chapters/10_curse_of_memory`, :doc:`/chapters/12_state_space_models`).
    """

    window: float
    tail: float
    remainder_lower: float
    remainder_upper: float
    T: float
    t_max: float

    @property
    def lower(self) -> float:
        """Lower end of the bracket."""
        return self.window + self.tail + self.remainder_lower

    @property
    def upper(self) -> float:
        """Upper end of the bracket."""
        return self.window + self.tail + self.remainder_upper

    @property
    def value(self) -> float:
        """The midpoint of the bracket (the number a chapter prints)."""
        return 0.5 * (self.lower + self.upper)

    @property
    def rel_gap(self) -> float:
        """Relative width of the bracket, ``(upper - lower) / upper`` (0 when both are 0)."""
        return (
            0.0
            if self.upper == 0
            else (self.upper - self.lower) / self.upper
        )

    def __float__(self) -> float:
        return self.value


def _as_callable(
    name: str, obj: Any
) -> Callable[[np.ndarray], np.ndarray]:
    if hasattr(obj, "kernel") and callable(obj.kernel):
        return obj.kernel
    if callable(obj):
        return obj
    raise TypeError(
        f"{name} must be a Kernel, a model with a .kernel(t) method, or a callable t -> values; "
        f"got {type(obj).__name__}"
    )


def modal_terms(model: Any) -> tuple[np.ndarray, np.ndarray] | None:
    r"""The modes :math:`(\lambda_j, g_j)` with :math:`\hat\rho(t) = \sum_j g_j e^{\lambda_j t}`, or ``None``.

    Recognises a :class:`~dynapprox.linear_rnn.LinearRNN` in modal form (its
    :meth:`~dynapprox.linear_rnn.LinearRNN.modes`; a mode with :math:`\omega_j > 0` counts
    with its conjugate) and, by its attributes ``W``, ``U``, ``c``, a dense linear RNN
    (through the eigen-decomposition of :math:`W`, refused as ``None`` when the
    eigenvectors are ill conditioned).

    Parameters
    ----------
    model : object
        The model.

    Returns
    -------
    tuple of numpy.ndarray or None
        ``lam`` (complex, shape ``(n,)``) and ``g`` (complex, shape ``(n, d)``).

    Used in
    -------
    Used by :func:`model_tail_bound` and :func:`dynapprox.perturbation.modal_error_lower_bound` (in
    :doc:`/chapters/10_curse_of_memory`, :doc:`/chapters/12_state_space_models`).
    """
    if getattr(model, "form", None) == "modal" and callable(
        getattr(model, "modes", None)
    ):
        return (
            model.modes()
        )  # a modal LinearRNN: its modes, no eigen-decomposition
    if all(hasattr(model, a) for a in ("W", "U", "c")):
        W = np.asarray(model.W, dtype=float)
        U = np.asarray(model.U, dtype=float)
        U = U[:, None] if U.ndim == 1 else U
        lam, V = np.linalg.eig(W)
        if np.linalg.cond(V) >= 1e8:
            return None
        left = np.asarray(model.c, dtype=float) @ V
        right = np.linalg.solve(V, U.astype(complex))
        return lam, left[:, None] * right
    return None


def model_tail_bound(model: Any) -> Callable[[float], float] | None:
    r"""A closed-form bound :math:`t \mapsto R(t) \ge \int_t^\infty \norm{\hat\rho}_1`, or ``None``.

    For a :class:`dynapprox.kernels.Kernel` with a known tail this is its
    :meth:`~dynapprox.kernels.Kernel.tail_l1`; for a model with modes (:func:`modal_terms`)
    it is :math:`\sum_j \norm{g_j}_1 e^{\operatorname{Re}\lambda_j t} / (-\operatorname{Re}\lambda_j)`
    (infinite if a mode is not strictly stable).

    Parameters
    ----------
    model : object
        A kernel or a model.

    Returns
    -------
    callable or None
        The bound, or ``None`` when none is known.

    Used in
    -------
    Used by :func:`l1_error_halfline` and :func:`dynapprox.perturbation.perturbation_error` (in
    :doc:`/chapters/10_curse_of_memory`, :doc:`/chapters/12_state_space_models`).
    """
    tail = getattr(model, "tail_l1", None)
    if callable(tail) and getattr(model, "has_tail", True):
        return tail
    terms = modal_terms(model)
    if terms is None:
        return None
    lam, g = terms
    re = lam.real
    size = np.abs(g).sum(axis=1)

    def bound(t: float) -> float:
        if np.any((re >= 0) & (size > 0)):
            return float("inf")
        keep = size > 0
        return float(
            np.sum(size[keep] * np.exp(re[keep] * t) / (-re[keep]))
        )

    return bound


def _panel_edges_tail(
    T: float, t_max: float, h: float, growth: float
) -> np.ndarray:
    edges = [T]
    while edges[-1] < t_max:
        edges.append(min(t_max, edges[-1] + max(h, growth * edges[-1])))
    return np.asarray(edges)


def _window_edges(T: float, h: float) -> np.ndarray:
    return np.linspace(0.0, T, max(1, int(np.ceil(T / h))) + 1)


def _check_layout(
    T: Any, t_max: Any, panel: Any, nodes: Any, growth: Any
) -> tuple[float, float, float, int, float]:
    T = check_positive_float("T", T)
    t_max = check_positive_float("t_max", t_max)
    if not t_max > T:
        raise ValueError(
            f"t_max must exceed T, got t_max = {t_max} <= T = {T}"
        )
    return (
        T,
        t_max,
        check_positive_float("panel", panel),
        check_positive_int("nodes", nodes),
        check_positive_float("growth", growth),
    )


def quadrature_rule(
    T: float,
    t_max: float = 1e9,
    panel: float = 0.5,
    nodes: int = 16,
    growth: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes and weights of the composite Gauss-Legendre rule of :func:`l1_error_halfline` on :math:`[0, t_{\max}]`.

    Uniform panels of length ``panel`` on the window :math:`[0, T]`, then panels of length
    :math:`\max(h, g\,t)` (for a panel starting at :math:`t`) up to :math:`t_{\max}`, with
    ``nodes`` nodes per panel. For a smooth integrand :math:`f`,
    :math:`\sum_k w_k f(t_k) \approx \int_0^{t_{\max}} f`. Unlike :func:`l1_error_halfline`
    the rule is not split at the zeros of a signed difference, so for :math:`\abs{f}` it
    loses its high order there; in exchange it evaluates many kernels on one grid (used for
    perturbation errors and training losses). Add a closed-form bound of the integral beyond
    :math:`t_{\max}`.

    Parameters
    ----------
    T : float
        End of the window, :math:`T > 0`.
    t_max : float
        End of the rule, :math:`t_{\max} > T`.
    panel : float
        Panel length on the window (and smallest panel beyond it).
    nodes : int
        Gauss-Legendre nodes per panel.
    growth : float
        Relative growth :math:`g > 0` of the panels beyond the window.

    Returns
    -------
    tuple of numpy.ndarray
        ``t`` and ``w``, both of shape ``(n,)``, :math:`0 < t_k < t_{\max}`, :math:`w_k > 0`.

    Used in
    -------
    :doc:`/chapters/10_curse_of_memory`
    """
    T, t_max, panel, nodes, growth = _check_layout(
        T, t_max, panel, nodes, growth
    )
    edges = np.concatenate(
        [
            _window_edges(T, panel),
            _panel_edges_tail(T, t_max, panel, growth)[1:],
        ]
    )
    t, w = _gauss_points(edges, nodes)
    return t.ravel(), w.ravel()


def _gauss_points(
    edges: np.ndarray, nodes: int
) -> tuple[np.ndarray, np.ndarray]:
    x, w = _gauss(nodes)
    a, b = edges[:-1], edges[1:]
    half = 0.5 * (b - a)
    t = (0.5 * (a + b))[:, None] + half[:, None] * x[None, :]
    return t, w[None, :] * half[:, None]


def _integrate(
    diff: Callable[[np.ndarray], np.ndarray], edges: np.ndarray, nodes: int
) -> float:
    r"""Integrate :math:`\norm{\mathrm{diff}(t)}_1` over ``[edges[0], edges[-1]]``.

    Gauss-Legendre on each panel, except that a panel in which a component of the signed
    difference changes sign (between two consecutive nodes, also across panel edges) is
    split at the zero (vectorised bisection to rounding) so that no panel contains the kink of
    :math:`\abs{\cdot}`: the quadrature then keeps its high order.
    """
    t, w = _gauss_points(edges, nodes)
    v = diff(t.ravel())  # (n_panels * nodes, d), signed
    d = v.shape[1]
    absv = np.abs(v).sum(axis=1).reshape(t.shape)
    per_panel = np.sum(absv * w, axis=1)
    flat = t.ravel()
    # brackets [t_j, t_{j+1}] between consecutive nodes where a component changes sign,
    # refined all at once by vectorised bisection (one call of diff per step, and the sign
    # at the left end taken from the same vectorised values, so no bracket can be lost)
    comp, left = [], []
    for i in range(d):
        s = np.sign(v[:, i])
        idx = np.nonzero(s[:-1] * s[1:] < 0)[0]
        comp.append(np.full(idx.size, i))
        left.append(idx)
    comp_arr, left_arr = np.concatenate(comp), np.concatenate(left)
    roots: list[float] = []
    if left_arr.size:
        a, b = flat[left_arr].copy(), flat[left_arr + 1].copy()
        sign_a = np.sign(v[left_arr, comp_arr])
        rows = np.arange(left_arr.size)
        for _ in range(60):
            mid = 0.5 * (a + b)
            same = np.sign(diff(mid)[rows, comp_arr]) == sign_a
            a = np.where(same, mid, a)
            b = np.where(same, b, mid)
        roots = list(0.5 * (a + b))
    if not roots:
        return float(per_panel.sum())
    roots_arr = np.sort(np.asarray(roots))
    panel_of = np.clip(
        np.searchsorted(edges, roots_arr, side="right") - 1,
        0,
        len(edges) - 2,
    )
    affected = np.unique(panel_of)
    sub_edges = []
    for k in affected:
        inside = roots_arr[
            (roots_arr > edges[k]) & (roots_arr < edges[k + 1])
        ]
        pts = np.concatenate([[edges[k]], inside, [edges[k + 1]]])
        sub_edges.append(np.stack([pts[:-1], pts[1:]], axis=1))
    pairs = np.concatenate(sub_edges)
    pairs = pairs[pairs[:, 1] > pairs[:, 0]]
    x, wq = _gauss(nodes)
    half = 0.5 * (pairs[:, 1] - pairs[:, 0])
    ts = (0.5 * (pairs[:, 0] + pairs[:, 1]))[:, None] + half[:, None] * x[
        None, :
    ]
    vals = np.abs(diff(ts.ravel())).sum(axis=1).reshape(ts.shape)
    fixed = float(np.sum(vals * wq[None, :] * half[:, None]))
    return float(per_panel.sum() - per_panel[affected].sum() + fixed)


def l1_error_halfline(
    rho: Any,
    rhohat: Any,
    T: float,
    *,
    rho_tail: Callable[[float], float] | None = None,
    rho_tail_lower: Callable[[float], float] | None = None,
    rhohat_tail: Callable[[float], float] | None = None,
    t_max: float = 1e9,
    panel: float = 0.25,
    nodes: int = 20,
    growth: float = 0.05,
) -> HalfLineL1:
    r"""Bracket the whole-half-line error :math:`\norm{\rho - \hat\rho}_{L^1[0,\infty)}`.

    Parameters
    ----------
    rho, rhohat : Any
        The target and the approximant: a :class:`dynapprox.kernels.Kernel`, any model
        with a ``.kernel(t)`` method (linear RNN, modal RNN, diagonal SSM), or a callable
        mapping times of shape ``(n,)`` to values of shape ``(n,)`` or ``(n, d)``.
    T : float
        End of the window :math:`[0, T)` integrated on uniform panels, :math:`T > 0`.
        Choose it past the features of both kernels (delays, bumps).
    rho_tail, rhohat_tail : callable, optional
        Bounds :math:`t \mapsto R(t) \ge \int_t^\infty \norm{f}_1`; by default taken from
        the objects (:func:`model_tail_bound`). ``ValueError`` if none is known.
    rho_tail_lower : callable, optional
        A lower bound of the target's tail, :math:`t \mapsto r(t) \le \int_t^\infty \norm{\rho}_1`;
        by default :meth:`~dynapprox.kernels.Kernel.tail_l1_lower`, else 0.
    t_max : float
        End of the quadrature, :math:`t_{\max} > T`.
    panel : float
        Length of the uniform panels on the window (and the smallest tail panel).
    nodes : int
        Gauss-Legendre nodes per panel.
    growth : float
        Beyond :math:`T`, a panel starting at :math:`t` has length :math:`\max(h, g\,t)`.

    Returns
    -------
    HalfLineL1
        The window and tail integrals and the remainder bound; ``lower``, ``upper``,
        ``value`` and ``rel_gap`` summarise them.

    Examples
    --------
    >>> from dynapprox import kernels
    >>> e = l1_error_halfline(kernels.polynomial(1.0), lambda t: 0.0 * t, T=10.0,
    ...                       rhohat_tail=lambda t: 0.0)
    >>> round(e.value, 6)  # the L1 norm of (1+t)^{-2} is 1/omega = 1
    1.0

    Used in
    -------
    :doc:`/chapters/07_sequence_modelling`, :doc:`/chapters/08_riesz_density`,
    :doc:`/chapters/09_rates_memory`, :doc:`/chapters/10_curse_of_memory`,
    :doc:`/chapters/12_state_space_models`
    """
    T, t_max, panel, nodes, growth = _check_layout(
        T, t_max, panel, nodes, growth
    )
    f = _as_callable("rho", rho)
    g = _as_callable("rhohat", rhohat)
    tails = []
    for name, obj, given in (
        ("rho", rho, rho_tail),
        ("rhohat", rhohat, rhohat_tail),
    ):
        tail = given if given is not None else model_tail_bound(obj)
        if tail is None:
            raise ValueError(
                f"no tail bound known for {name} ({type(obj).__name__}): pass {name}_tail=callable t -> "
                f"a bound on the integral of |{name}| over [t, inf)"
            )
        tails.append(tail)

    def diff(t: np.ndarray) -> np.ndarray:
        a = np.asarray(f(t), dtype=float)
        b = np.asarray(g(t), dtype=float)
        a = a[:, None] if a.ndim == 1 else a
        b = b[:, None] if b.ndim == 1 else b
        if a.shape != b.shape:
            raise ValueError(
                f"rho and rhohat return different shapes: {a.shape} and {b.shape}"
            )
        return a - b

    window = _integrate(diff, _window_edges(T, panel), nodes)
    tail_int = _integrate(
        diff, _panel_edges_tail(T, t_max, panel, growth), nodes
    )
    r_rho, r_hat = float(tails[0](t_max)), float(tails[1](t_max))
    if not (r_rho >= 0 and r_hat >= 0):
        raise ValueError(
            f"the tail bounds must be non-negative at t_max, got {r_rho} and {r_hat}"
        )
    lower_rho = (
        rho_tail_lower
        if rho_tail_lower is not None
        else getattr(rho, "tail_l1_lower", None)
    )
    low = float(lower_rho(t_max)) if callable(lower_rho) else 0.0
    return HalfLineL1(
        window=window,
        tail=tail_int,
        remainder_lower=max(0.0, low - r_hat),
        remainder_upper=r_rho + r_hat,
        T=T,
        t_max=t_max,
    )
