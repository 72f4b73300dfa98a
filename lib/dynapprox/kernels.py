r"""Memory kernels :math:`\rho : [0, \infty) \to \R^d` of linear functionals.

A time-homogeneous, causal, continuous, linear and regular family of functionals
has a Riesz representation :math:`H_t(\mathbf x) = \int_0^\infty \rho(s)^\top x_{t-s}\,\dd s`
(chapter "Riesz representation and density of linear RNNs"). This module builds the
kernels :math:`\rho` used as targets in the book; a :class:`Kernel` evaluated on an
array ``t`` of shape ``(n,)`` returns an array of shape ``(n, d)``.

==========================  =====================================================
constructor                 :math:`\rho(t)`
==========================  =====================================================
:func:`exponential`         :math:`\sum_j w_j e^{-\beta_j t}` (exponential memory)
:func:`oscillating`         :math:`e^{-\beta t}\cos(\nu t)`
:func:`polynomial`          :math:`(1+t)^{-(1+\omega)}` (polynomial memory)
:func:`delayed_bump`        :math:`\exp(-((t - t_0)/w)^2)`
:func:`airy`                :math:`\mathrm{Ai}(s_0 (t - t_0))`
:func:`sum_kernels`         :math:`\rho_1 + \rho_2 + \dots`
==========================  =====================================================

:func:`laplace_quadrature_rnn` builds a linear RNN of width :math:`m` whose kernel is an
:math:`m`-point quadrature of the Laplace representation of :func:`polynomial`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

if TYPE_CHECKING:
    from .linear_rnn import LinearRNN

from ._validation import (
    check_callable,
    check_finite_float,
    check_in,
    check_positive_float,
    check_positive_int,
    check_real_array,
)

#: :math:`\max_x \abs{\mathrm{Ai}(x)}` (attained near :math:`x = -1.0188`), rounded up.
AIRY_MAX = 0.5357

__all__ = [
    "Kernel",
    "exponential",
    "oscillating",
    "polynomial",
    "laplace_quadrature_rnn",
    "delayed_bump",
    "airy",
    "sum_kernels",
]


class Kernel:
    r"""A memory kernel :math:`\rho : [0, \infty) \to \R^d`.

    Parameters
    ----------
    func : callable
        Maps a 1-D float array ``t`` (times, :math:`t \ge 0`) to an array of shape
        ``(len(t), d)`` (or ``(len(t),)`` when ``d == 1``).
    d : int
        Number of input channels.
    name : str
        A short label (used in legends).
    tail : callable, optional
        A closed form :math:`t \mapsto R(t) \ge \int_t^\infty \norm{\rho(s)}_1\,\dd s`
        (exact or an upper bound), used to measure errors on the whole half-line
        (:func:`dynapprox.halfline.l1_error_halfline`). The book's constructors set it.
    tail_lower : callable, optional
        A lower bound :math:`t \mapsto r(t) \le \int_t^\infty \norm{\rho(s)}_1\,\dd s`
        (default 0; equal to ``tail`` where the tail is known exactly).

    Used in
    -------
    Returned by :func:`exponential`, :func:`polynomial` and the other constructors of this module
    (in :doc:`/chapters/08_riesz_density`, :doc:`/chapters/10_curse_of_memory`,
    :doc:`/chapters/12_state_space_models`).
    """

    def __init__(
        self,
        func: Callable[[np.ndarray], np.ndarray],
        d: int = 1,
        name: str = "rho",
        tail: Callable[[float], float] | None = None,
        tail_lower: Callable[[float], float] | None = None,
    ) -> None:
        self._func = check_callable("func", func)
        self.d = check_positive_int("d", d)
        if not isinstance(name, str):
            raise TypeError(
                f"name must be a str, got {type(name).__name__}"
            )
        self.name = name
        self._tail = None if tail is None else check_callable("tail", tail)
        self._tail_lower = (
            None
            if tail_lower is None
            else check_callable("tail_lower", tail_lower)
        )

    @property
    def has_tail(self) -> bool:
        """Whether a closed-form tail bound is known (:meth:`tail_l1`)."""
        return self._tail is not None

    def tail_l1(self, t: float) -> float:
        r"""A bound :math:`R(t) \ge \int_t^\infty \norm{\rho(s)}_1\,\dd s` (closed form).

        Parameters
        ----------
        t : float
            A time :math:`t \ge 0`.

        Returns
        -------
        float
            The bound (exact for :func:`polynomial`, :func:`delayed_bump`, and for
            :func:`exponential` with non-negative weights).
        """
        if self._tail is None:
            raise ValueError(
                f"kernel {self.name!r} has no tail bound: pass tail= to Kernel"
            )
        t = check_finite_float("t", t)
        if t < 0:
            raise ValueError(f"t must be non-negative, got {t}")
        return float(self._tail(t))

    def tail_l1_lower(self, t: float) -> float:
        r"""A lower bound :math:`r(t) \le \int_t^\infty \norm{\rho(s)}_1\,\dd s` (0 when none is known).

        Parameters
        ----------
        t : float
            A time :math:`t \ge 0`.

        Returns
        -------
        float
            The bound.
        """
        t = check_finite_float("t", t)
        if t < 0:
            raise ValueError(f"t must be non-negative, got {t}")
        return (
            0.0 if self._tail_lower is None else float(self._tail_lower(t))
        )

    def __call__(self, t: ArrayLike) -> np.ndarray:
        r"""Sample the kernel.

        Parameters
        ----------
        t : array_like
            Times :math:`t \ge 0`, shape ``(n,)``.

        Returns
        -------
        numpy.ndarray
            :math:`\rho(t)`, shape ``(n, d)``.
        """
        t = check_real_array("t", t, ndim=1)
        if np.any(t < 0):
            raise ValueError(
                "t must be non-negative: a memory kernel lives on [0, inf)"
            )
        vals = np.asarray(self._func(t), dtype=float)
        if vals.ndim == 1:
            vals = vals[:, None]
        if vals.shape != (t.size, self.d):
            raise ValueError(
                f"kernel function returned shape {vals.shape}, expected {(t.size, self.d)}"
            )
        return vals

    def __add__(self, other: Kernel) -> Kernel:
        return sum_kernels(self, other)

    def __repr__(self) -> str:
        return f"Kernel({self.name!r}, d={self.d})"


def exponential(
    beta: ArrayLike, d: int = 1, weights: ArrayLike | None = None
) -> Kernel:
    r"""Exponential memory :math:`\rho(t) = \sum_{j} w_j\, e^{-\beta_j t}`, :math:`w_j \in \R^d`.

    Parameters
    ----------
    beta : float or array_like
        Decay rate(s) :math:`\beta_j > 0`, a scalar or shape ``(n,)``.
    d : int
        Number of input channels.
    weights : array_like, optional
        :math:`w_j`: shape ``(d,)`` for a scalar ``beta``, ``(n, d)`` (or ``(n,)`` when
        ``d == 1``) for ``n`` rates. Default: all ones.

    Returns
    -------
    Kernel
        The kernel, an exact linear RNN kernel of width ``n``.

    Used in
    -------
    :doc:`/chapters/08_riesz_density`, :doc:`/chapters/09_rates_memory`
    """
    d = check_positive_int("d", d)
    b = check_real_array("beta", beta, ndim=(0, 1))
    scalar = b.ndim == 0
    b = np.atleast_1d(b)
    if np.any(b <= 0):
        raise ValueError(f"beta must be positive (a decay rate), got {b}")
    if weights is None:
        w = np.ones((b.size, d))
    else:
        w = check_real_array("weights", weights, ndim=(1, 2))
        if scalar and w.shape == (d,):
            w = w[None, :]
        elif w.ndim == 1 and d == 1 and w.shape == (b.size,):
            w = w[:, None]
        if w.shape != (b.size, d):
            raise ValueError(
                f"weights must have shape {(b.size, d)} (one row per rate), got {np.shape(weights)}"
            )

    def f(t: np.ndarray) -> np.ndarray:
        return np.exp(-np.outer(t, b)) @ w

    name = rf"$e^{{-{b[0]:g}t}}$" if b.size == 1 else "exp. sum"
    size = np.abs(w).sum(axis=1)

    def tail(t: float) -> float:
        return float(np.sum(size * np.exp(-b * t) / b))

    # exact when every channel's weights have one sign (then |rho_i| = sum_j |w_ji| e^{-beta_j t})
    one_sign = bool(np.all((w >= 0).all(axis=0) | (w <= 0).all(axis=0)))
    return Kernel(
        f, d, name, tail=tail, tail_lower=tail if one_sign else None
    )


def oscillating(beta: float, freq: float) -> Kernel:
    r"""Damped oscillation :math:`\rho(t) = e^{-\beta t}\cos(\nu t)` (``d = 1``).

    Parameters
    ----------
    beta : float
        Decay rate :math:`\beta > 0`.
    freq : float
        Angular frequency :math:`\nu` (radians per unit time).

    Returns
    -------
    Kernel
        An exact linear RNN kernel of width 2.

    Used in
    -------
    :doc:`/chapters/08_riesz_density`
    """
    beta = check_positive_float("beta", beta)
    freq = check_finite_float("freq", freq)
    return Kernel(
        lambda t: np.exp(-beta * t) * np.cos(freq * t),
        1,
        rf"$e^{{-{beta:g}t}}\cos({freq:g}t)$",
        tail=lambda t: float(np.exp(-beta * t) / beta),
    )


def polynomial(omega: float) -> Kernel:
    r"""Polynomial memory :math:`\rho(t) = (1 + t)^{-(1 + \omega)}` (``d = 1``).

    :math:`\|\rho\|_{L^1} = 1/\omega`: the smaller :math:`\omega`, the longer the memory.

    Parameters
    ----------
    omega : float
        Decay exponent :math:`\omega > 0`.

    Returns
    -------
    Kernel
        The kernel.

    Used in
    -------
    :doc:`/chapters/08_riesz_density`, :doc:`/chapters/10_curse_of_memory`, :doc:`/chapters/12_state_space_models`
    """
    omega = check_positive_float("omega", omega)

    def tail(t: float) -> float:
        return float((1.0 + t) ** (-omega) / omega)

    return Kernel(
        lambda t: (1.0 + t) ** (-(1.0 + omega)),
        1,
        rf"$(1+t)^{{-{1 + omega:g}}}$",
        tail=tail,
        tail_lower=tail,
    )


def laplace_quadrature_rnn(
    omega: float, m: int, grid: str = "geometric"
) -> LinearRNN:
    r"""A width-``m`` linear RNN from a quadrature of the Laplace representation of the polynomial kernel.

    The polynomial kernel is completely monotone, a superposition of decaying exponentials:

    .. math::

        (1+t)^{-(1+\omega)} = \int_0^\infty e^{-st}\, \frac{s^{\omega} e^{-s}}{\Gamma(1+\omega)}\,\dd s
        = \int_{-\infty}^{\infty} e^{-e^{u} t}\, \frac{e^{(1+\omega)u - e^{u}}}{\Gamma(1+\omega)}\,\dd u
        \qquad (s = e^u).

    An ``m``-point quadrature :math:`\sum_j w_j e^{-s_j t}` of it is the kernel of the diagonal
    linear RNN :math:`W = -\operatorname{diag}(s_1, \dots, s_m)`, :math:`U = (1, \dots, 1)^\top`,
    :math:`c = (w_1, \dots, w_m)`. Two quadratures:

    * ``"geometric"`` (``m >= 2``): the trapezoidal rule in :math:`u` with step :math:`h`,
      i.e. geometric rates :math:`s_j = e^{u_{\max} - jh}`, :math:`j = 0, \dots, m-1`, and weights
      :math:`w_j = h\, e^{(1+\omega)u_j - s_j}/\Gamma(1+\omega)`. The step balances three error
      estimates of the :math:`L^1[0,\infty)` error: the rates cut off below :math:`s_{\min}`
      (about :math:`s_{\min}^{\omega}`), those cut off above :math:`s_{\max}` (about
      :math:`e^{-s_{\max}}`) and the discretisation (about :math:`e^{-\pi^2/(2h)}`): :math:`h` solves
      :math:`(m-1)h = \pi^2/(2\omega h) + \log(\pi^2/(2h))` and :math:`s_{\max} = \pi^2/(2h)`
      (both logarithms floored at 0). The error then falls like :math:`e^{-\pi\sqrt{\omega m/2}}`,
      while the slowest rate :math:`s_{\min} \approx e^{-\pi^2/(2\omega h)}` goes to 0.
    * ``"laguerre"``: generalized Gauss-Laguerre quadrature in :math:`s` with weight
      :math:`s^\omega e^{-s}` (``scipy.special.roots_genlaguerre``), nodes :math:`s_j` and weights
      :math:`\lambda_j`, :math:`w_j = \lambda_j/\Gamma(1+\omega)`. It is exact at :math:`t = 0` and, the
      :math:`2m`-th :math:`s`-derivative of :math:`e^{-st}` being :math:`t^{2m}e^{-st} \ge 0`, it lies
      below the kernel everywhere, so its error is
      :math:`\int_0^\infty (\rho - \hat\rho) = 1/\omega - \sum_j w_j/s_j` in closed form. Its slowest
      rate goes to 0 only like :math:`1/m`, and its error falls only algebraically in :math:`m`.

    Parameters
    ----------
    omega : float
        Decay exponent :math:`\omega > 0` of the target :math:`(1+t)^{-(1+\omega)}` (time unit 1).
    m : int
        Width (number of exponentials), :math:`m \ge 1` (``m >= 2`` for ``"geometric"``).
    grid : str
        ``"geometric"`` or ``"laguerre"``.

    Returns
    -------
    dynapprox.linear_rnn.LinearRNN
        Width ``m``, ``d = 1``, diagonal :math:`W`, rates in increasing order (so
        ``-model.W[0, 0]`` is the slowest rate and ``model.spectral_abscissa`` equals :math:`-s_{\min}`).
        Its ``.kernel(t)`` evaluates :math:`\sum_j w_j e^{-s_j t}`.

    Used in chapter 8 ("Riesz representation and density of linear RNNs": density with free rates)
    and available to chapters 10 and 12; see :func:`polynomial`.

    Used in
    -------
    :doc:`/chapters/08_riesz_density`, :doc:`/chapters/10_curse_of_memory`
    """
    from .linear_rnn import LinearRNN

    omega = check_positive_float("omega", omega)
    m = check_positive_int("m", m)
    grid = check_in("grid", grid, ("geometric", "laguerre"))
    gamma = special.gamma(1.0 + omega)
    if grid == "laguerre":
        s, lam = special.roots_genlaguerre(m, omega)
        w = lam / gamma
    else:
        if m < 2:
            raise ValueError(
                f"m must be at least 2 for grid='geometric' (a step needs two nodes), got {m}"
            )
        c = np.pi**2 / 2.0

        def balance(h: float) -> float:
            return (m - 1) * h - c / (omega * h) - np.log(max(c / h, 1.0))

        h = optimize.brentq(balance, 1e-6, 1e6, xtol=1e-14)
        u = np.log(max(c / h, 1.0)) - h * np.arange(m)[::-1]
        s = np.exp(u)
        w = h * np.exp((1.0 + omega) * u - s) / gamma
    order = np.argsort(s)
    s, w = (
        np.asarray(s, dtype=float)[order],
        np.asarray(w, dtype=float)[order],
    )
    return LinearRNN(-np.diag(s), np.ones((m, 1)), w)


def delayed_bump(t0: float, width: float = 1.0) -> Kernel:
    r"""A bump of memory at lag :math:`t_0`: :math:`\rho(t) = \exp(-((t - t_0)/w)^2)` (``d = 1``).

    Parameters
    ----------
    t0 : float
        Lag of the bump, :math:`t_0 \ge 0`.
    width : float
        Width :math:`w > 0`.

    Returns
    -------
    Kernel
        The kernel.

    Used in
    -------
    :doc:`/chapters/08_riesz_density`, :doc:`/chapters/11_architectures`
    """
    t0 = check_finite_float("t0", t0)
    if t0 < 0:
        raise ValueError(f"t0 must be non-negative, got {t0}")
    width = check_positive_float("width", width)

    def tail(t: float) -> float:
        return float(
            0.5 * np.sqrt(np.pi) * width * special.erfc((t - t0) / width)
        )

    return Kernel(
        lambda t: np.exp(-(((t - t0) / width) ** 2)),
        1,
        rf"bump at $t_0={t0:g}$",
        tail=tail,
        tail_lower=tail,
    )


def airy(s0: float, t0: float) -> Kernel:
    r"""The Airy kernel :math:`\rho(t) = \mathrm{Ai}(s_0 (t - t_0))` (``d = 1``).

    Oscillates for :math:`t < t_0` and decays like :math:`\exp(-\tfrac23 (s_0(t-t_0))^{3/2})`
    after :math:`t_0`: memory concentrated on a window ending near :math:`t_0`.

    Parameters
    ----------
    s0 : float
        Scale :math:`s_0 > 0`.
    t0 : float
        Shift :math:`t_0 \ge 0`.

    Returns
    -------
    Kernel
        The kernel.

    Used in
    -------
    No chapter calls it: a target with a delayed, oscillating memory for the reader's own
    experiments (like :func:`delayed_bump` in :doc:`/chapters/08_riesz_density`).
    """
    s0 = check_positive_float("s0", s0)
    t0 = check_finite_float("t0", t0)
    if t0 < 0:
        raise ValueError(f"t0 must be non-negative, got {t0}")

    def tail(t: float) -> float:
        # for x >= 0, Ai > 0 and int_x^inf Ai = 1/3 - int_0^x Ai; for x < 0, |Ai| <= AIRY_MAX
        x = s0 * (t - t0)
        if x >= 0:
            return float(max(1.0 / 3.0 - special.itairy(x)[0], 0.0) / s0)
        return float((AIRY_MAX * (-x) + 1.0 / 3.0) / s0)

    def tail_lower(t: float) -> float:
        return tail(t) if t >= t0 else 0.0

    return Kernel(
        lambda t: special.airy(s0 * (t - t0))[0],
        1,
        rf"Ai$({s0:g}(t-{t0:g}))$",
        tail=tail,
        tail_lower=tail_lower,
    )


def sum_kernels(*kernels: Kernel) -> Kernel:
    r"""The sum :math:`\rho = \rho_1 + \dots + \rho_n` of kernels with the same ``d``.

    Parameters
    ----------
    *kernels : Kernel
        At least one kernel; all with the same number of channels.

    Returns
    -------
    Kernel
        The sum.

    Used in
    -------
    :doc:`/chapters/08_riesz_density`
    """
    if not kernels:
        raise ValueError("kernels must contain at least one Kernel")
    for j, k in enumerate(kernels):
        if not isinstance(k, Kernel):
            raise TypeError(
                f"kernels[{j}] must be a Kernel, got {type(k).__name__}"
            )
    d = kernels[0].d
    if any(k.d != d for k in kernels):
        raise ValueError(
            f"kernels must all have the same d, got {[k.d for k in kernels]}"
        )
    tail = tail_lower = None
    if all(k.has_tail for k in kernels):

        def tail(t: float) -> float:  # triangle inequality: an upper bound
            return float(sum(k.tail_l1(t) for k in kernels))

        def tail_lower(
            t: float,
        ) -> (
            float
        ):  # reverse triangle inequality, one term against the others
            upper = [k.tail_l1(t) for k in kernels]
            total = sum(upper)
            return float(
                max(
                    0.0,
                    max(
                        k.tail_l1_lower(t) - (total - u)
                        for k, u in zip(kernels, upper, strict=True)
                    ),
                )
            )

    return Kernel(
        lambda t: np.sum([k(t) for k in kernels], axis=0),
        d,
        " + ".join(k.name for k in kernels),
        tail=tail,
        tail_lower=tail_lower,
    )
