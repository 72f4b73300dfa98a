r"""Realisation of a memory kernel by a linear RNN: Hankel singular values and ERA.

Approximating a target :math:`H_t(\mathbf x) = \int_0^\infty \rho(s)^\top x_{t-s}\,\dd s` by a
linear RNN of width :math:`m` in the uniform norm is the same as approximating
:math:`\rho` in :math:`L^1(0,\infty)` by :math:`\hat\rho(s) = (c^\top e^{Ws} U)^\top` with
:math:`W \in \Wset_m` (chapter "Riesz representation and density of linear RNNs").
This module computes such approximations from samples :math:`\rho(t_k)`,
:math:`t_k = k\,\Delta t`. Two systems must be kept apart: the *continuous-time* RNN of
the theorems, and the *sampled* system with impulse response :math:`\rho(t_k)\Delta t`,
which is what a Hankel matrix of samples and ERA see.

* :func:`hankel_singular_values`: singular values of the Hankel matrix
  :math:`\Delta t\,[\rho(t_{i+j})]` of the sampled system; by the theorem of
  Adamjan-Arov-Krein and Glover, every sampled approximant of order :math:`m` has
  :math:`\sigma_{m+1} \le \|g - \hat g\|_{\mathcal H_\infty} \le \|g - \hat g\|_{\ell^1}`
  (brackets of both errors: :func:`sampled_error`);
* :func:`exp_sum_hankel_singular_values`: the Hankel singular values of the
  *continuous-time* kernel :math:`\sum_j w_j e^{-s_j t}`, :math:`w_j > 0`, in closed form
  (and, through a quadrature of a Laplace representation, of completely monotone kernels);
* :func:`era_fit`: the Eigensystem Realization Algorithm (Ho-Kalman), an order-:math:`m`
  realisation of the samples obtained by truncating the SVD of the Hankel matrix,
  converted to a continuous-time :class:`~dynapprox.linear_rnn.LinearRNN` (negative real
  discrete poles refused or paired, see :func:`era_fit`);
* :func:`l1_distance`: the Riemann sum of :math:`\|\rho - \hat\rho\|_{L^1}` on the sampled
  window only (for the error on :math:`[0, \infty)` use
  :func:`dynapprox.halfline.l1_error_halfline`).

Refinements of an ERA realisation and gradient training are in :mod:`dynapprox.fitting`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._validation import (
    check_finite_float,
    check_in,
    check_kernel_samples,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real_array,
)
from .linear_rnn import LinearRNN

__all__ = [
    "hankel_matrix",
    "hankel_singular_values",
    "era_fit",
    "era_fits",
    "l1_distance",
    "exp_sum_hankel_singular_values",
    "SampledError",
    "sampled_error",
]


def _sizes(n: int, size: Any) -> int:
    n_max = (n - 1) // 2
    if size is None:
        return n_max
    size = check_positive_int("size", size)
    if size > n_max:
        raise ValueError(
            f"size must be at most (n_t - 1) // 2 = {n_max} for {n} kernel samples, got {size}"
        )
    return size


def hankel_matrix(
    rho_vals: ArrayLike, size: int | None = None, shift: int = 0
) -> np.ndarray:
    r"""The block Hankel matrix :math:`[\rho(t_{i+j+\mathrm{shift}})^\top]_{i,j<\mathrm{size}}`.

    Parameters
    ----------
    rho_vals : array_like
        Kernel samples :math:`\rho(t_k)`, shape ``(n_t, d)`` (or ``(n_t,)``).
    size : int, optional
        Number of block rows and columns; default and maximum ``(n_t - 1) // 2``.
    shift : int
        0 or 1 (the shifted matrix used by the ERA).

    Returns
    -------
    numpy.ndarray
        Shape ``(size, size * d)``; entry ``[i, j*d + c]`` is :math:`\rho_c(t_{i+j+\mathrm{shift}})`.

    Used in
    -------
    Used by :func:`hankel_singular_values` and :func:`era_fit` (in
    :doc:`/chapters/08_riesz_density`, :doc:`/chapters/09_rates_memory`).
    """
    rho = check_kernel_samples("rho_vals", rho_vals, min_rows=3)
    size = _sizes(rho.shape[0], size)
    shift = check_nonnegative_int("shift", shift)
    if shift > 1:
        raise ValueError(f"shift must be 0 or 1, got {shift}")
    idx = np.arange(size)[:, None] + np.arange(size)[None, :] + shift
    return rho[idx].reshape(size, size * rho.shape[1])


def hankel_singular_values(
    rho_vals: ArrayLike, dt: float, size: int | None = None
) -> np.ndarray:
    r"""Singular values of the discretised Hankel operator of the kernel, in decreasing order.

    The Hankel operator :math:`(\Gamma u)(t) = \int_0^\infty \rho(t+s)^\top u(s)\,\dd s` maps
    past inputs to future outputs; with the rectangle rule on :math:`t_k = k\,\Delta t` it
    becomes :math:`\Delta t\,[\rho(t_{i+j})^\top]_{i,j}` (:func:`hankel_matrix`). Its
    singular values approximate the Hankel singular values :math:`\sigma_k` of the kernel
    (for :math:`\rho(t) = e^{-a t}`: :math:`\sigma_1 = 1/(2a)`, the rest zero).

    Parameters
    ----------
    rho_vals : array_like
        Kernel samples :math:`\rho(t_k)`, shape ``(n_t, d)`` (or ``(n_t,)``).
    dt : float
        Time step :math:`\Delta t > 0`.
    size : int, optional
        Number of block rows and columns of the Hankel matrix (default: all samples).

    Returns
    -------
    numpy.ndarray
        :math:`\sigma_1 \ge \sigma_2 \ge \dots \ge 0`, shape ``(size,)`` for ``d = 1``.

    Used in
    -------
    :doc:`/chapters/08_riesz_density`, :doc:`/chapters/09_rates_memory`, :doc:`/chapters/11_architectures`
    """
    dt = check_positive_float("dt", dt)
    H = dt * hankel_matrix(rho_vals, size)
    return np.linalg.svd(H, compute_uv=False)


NEGATIVE_POLES = ("refuse", "pair")


def _discrete_to_rnn(
    A: np.ndarray,
    B: np.ndarray,
    C: np.ndarray,
    dt: float,
    negative_poles: str = "refuse",
    n_check: int = 0,
) -> LinearRNN:
    r"""Continuous-time LinearRNN whose kernel at :math:`t_k = k\,\Delta t` is :math:`C A^k B` (real modal form).

    A discrete pole :math:`\lambda` of :math:`A` becomes the continuous rate
    :math:`\mu = \log\lambda / \Delta t` (principal logarithm), so that
    :math:`e^{\mu t_k} = \lambda^k`:

    * :math:`\lambda \in (0, 1)`: one real state, :math:`\mu = \log\lambda/\Delta t`;
    * a conjugate pair :math:`\lambda, \bar\lambda`: one real :math:`2\times 2` block;
    * :math:`\lambda \in (-1, 0)`: :math:`\lambda^k = |\lambda|^k\cos(\pi k)` is the sample of
      :math:`e^{at}\cos(\pi t/\Delta t)`, :math:`a = \log|\lambda|/\Delta t`, an oscillation at
      the Nyquist frequency that needs a :math:`2\times 2` block (two real states for one
      discrete state). Refused (``ValueError`` naming the pole) unless
      ``negative_poles = "pair"``, in which case the RNN is wider than :math:`A`;
    * :math:`\lambda = 0` (a contribution at :math:`k = 0` only) has no continuous-time
      counterpart and is refused.

    If ``n_check > 0`` the samples :math:`\hat\rho(t_k)`, ``k < n_check``, are compared with
    :math:`C A^k B` computed by repeated multiplication, and a mismatch (ill-conditioned
    eigenvectors of :math:`A`) raises ``ValueError``: the conversion never fails silently.
    """
    lam, V = np.linalg.eig(A)
    radius = np.max(np.abs(lam))
    if radius >= 1.0:
        raise ValueError(
            f"the realisation has a discrete mode with |lambda| = {radius:.6g} >= 1, which is not stable "
            f"(no Hurwitz W): lower m or use a longer kernel horizon"
        )
    for l in lam:
        if abs(l) == 0.0:
            raise ValueError(
                "the realisation has a discrete pole lambda = 0 (a contribution at t_0 only), which no "
                "continuous-time exponential reproduces: lower m"
            )
        if l.imag == 0 and l.real < 0 and negative_poles == "refuse":
            raise ValueError(
                f"the realisation has a negative real discrete pole lambda = {l.real:.6g}: its samples "
                f"lambda^k = |lambda|^k cos(pi k) are those of the oscillation e^(a t) cos(pi t / dt), "
                f"a = log|lambda| / dt, which needs two real states (a conjugate pair at the Nyquist frequency); "
                f"pass negative_poles='pair' to accept an RNN wider than m, or change m or dt"
            )
    Cm = C @ V
    Bm = np.linalg.solve(V, B.astype(complex))
    res = (
        Cm[:, None] * Bm
    )  # residues r_j in C^d: C A^k B = sum_j r_j lambda_j^k
    blocks, us, cs = [], [], []
    for j, l in enumerate(lam):
        if l.imag < 0:
            continue
        if l.imag == 0 and l.real > 0:
            blocks.append(np.array([[np.log(l.real) / dt]]))
            us.append(res[j].real[None, :])
            cs.append(np.array([1.0]))
        elif l.imag == 0:
            # r (-|l|)^k = Re(r e^{(a + i pi/dt) t_k}): block [[a, b], [-b, a]], b = pi/dt,
            # whose output e^{at}(u1 cos bt + u2 sin bt) equals r e^{at} cos(bt) for u = (r, 0)
            a, b = np.log(-l.real) / dt, np.pi / dt
            blocks.append(np.array([[a, b], [-b, a]]))
            us.append(np.vstack([res[j].real, np.zeros_like(res[j].real)]))
            cs.append(np.array([1.0, 0.0]))
        else:
            mu = np.log(l) / dt
            a, b = mu.real, mu.imag
            blocks.append(np.array([[a, b], [-b, a]]))
            us.append(np.vstack([2 * res[j].real, -2 * res[j].imag]))
            cs.append(np.array([1.0, 0.0]))
    from scipy.linalg import block_diag

    rnn = LinearRNN(block_diag(*blocks), np.vstack(us), np.concatenate(cs))
    if n_check > 0:
        ref = np.empty((n_check, B.shape[1]))
        row = np.asarray(C, dtype=float).copy()
        for k in range(n_check):
            ref[k] = row @ B
            row = row @ A
        got = rnn.kernel(dt * np.arange(n_check))
        scale = max(float(np.max(np.abs(ref))), np.finfo(float).tiny)
        err = float(np.max(np.abs(got - ref)))
        if not err <= 1e-8 * scale:
            raise ValueError(
                f"the continuous-time realisation does not reproduce the discrete impulse response C A^k B "
                f"(max deviation {err:.3g} relative to {scale:.3g}; eigenvector condition number "
                f"{np.linalg.cond(V):.3g}): lower m"
            )
    return rnn


def era_fits(
    rho_vals: ArrayLike,
    dt: float,
    ms: ArrayLike,
    size: int | None = None,
    negative_poles: str = "refuse",
) -> list[LinearRNN]:
    r"""ERA realisations of several orders from one SVD (see :func:`era_fit`).

    Parameters
    ----------
    rho_vals : array_like
        Kernel samples :math:`\rho(t_k)`, shape ``(n_t, d)`` (or ``(n_t,)``).
    dt : float
        Time step :math:`\Delta t > 0`.
    ms : list of int
        Orders, each at most the rank of the Hankel matrix.
    size : int, optional
        Number of block rows and columns of the Hankel matrix.
    negative_poles : str
        ``"refuse"`` (default) or ``"pair"``; see :func:`era_fit`.

    Returns
    -------
    list of LinearRNN
        One realisation per order.

    Used in
    -------
    :doc:`/chapters/08_riesz_density`, :doc:`/chapters/09_rates_memory`,
    :doc:`/chapters/10_curse_of_memory`, :doc:`/chapters/11_architectures`
    """
    dt = check_positive_float("dt", dt)
    rho = check_kernel_samples("rho_vals", rho_vals, min_rows=3)
    d = rho.shape[1]
    ms = [check_positive_int("m", m) for m in np.atleast_1d(ms).tolist()]
    negative_poles = check_in(
        "negative_poles", negative_poles, NEGATIVE_POLES
    )
    H0 = hankel_matrix(rho, size)
    H1 = hankel_matrix(rho, size, shift=1)
    Us, s, Vt = np.linalg.svd(H0, full_matrices=False)
    out = []
    for m in ms:
        if m > s.size or s[m - 1] <= s[0] * 1e-14:
            rank = int(np.sum(s > s[0] * 1e-14))
            raise ValueError(
                f"m must be at most the numerical rank {rank} of the Hankel matrix, got {m}"
            )
        sq = np.sqrt(s[:m])
        O = Us[:, :m] * sq
        R = sq[:, None] * Vt[:m]
        A = (Us[:, :m].T @ H1 @ Vt[:m].T) / np.outer(sq, sq)
        out.append(
            _discrete_to_rnn(
                A, R[:, :d], O[0], dt, negative_poles, n_check=rho.shape[0]
            )
        )
    return out


def era_fit(
    rho_vals: ArrayLike,
    dt: float,
    m: int,
    size: int | None = None,
    negative_poles: str = "refuse",
) -> LinearRNN:
    r"""Order-:math:`m` linear RNN from kernel samples by the Eigensystem Realization Algorithm.

    With the block Hankel matrices :math:`H_0 = [\rho(t_{i+j})^\top]` and
    :math:`H_1 = [\rho(t_{i+j+1})^\top]` (:func:`hankel_matrix`) and the truncated SVD
    :math:`H_0 \approx U_m \Sigma_m V_m^\top`, the Ho-Kalman realisation is

    .. math::

        A = \Sigma_m^{-1/2} U_m^\top H_1 V_m \Sigma_m^{-1/2}, \quad
        B = (\Sigma_m^{1/2} V_m^\top)_{[:, :d]}, \quad
        C = (U_m \Sigma_m^{1/2})_{[0, :]},

    so that :math:`C A^k B \approx \rho(t_k)^\top`, exactly if :math:`\rho` is the kernel
    of an RNN of width :math:`\le m` (and the Hankel matrix has full rank :math:`m`).
    The continuous-time RNN has :math:`W = \log(A)/\Delta t` (in real modal form),
    :math:`U = B`, :math:`c = C^\top`, so :math:`\hat\rho(t_k) = (C A^k B)^\top` on the grid
    (checked on every sample; a mismatch raises ``ValueError``). Between the samples
    :math:`\hat\rho` is the continuous-time kernel of that RNN, which ERA does not control:
    its :math:`L^1` error on :math:`[0, \infty)` is not the error of the sampled sequence.

    A negative real eigenvalue :math:`\lambda` of :math:`A` has no real logarithm:
    :math:`\lambda^k = |\lambda|^k \cos(\pi k)` are the samples of
    :math:`e^{at}\cos(\pi t/\Delta t)` with :math:`a = \log|\lambda|/\Delta t`, a conjugate
    pair at the Nyquist frequency, i.e. *two* real states. With ``negative_poles =
    "refuse"`` (default) such a pole raises ``ValueError`` naming it; with ``"pair"`` it is
    realised by a :math:`2\times 2` block and the returned RNN has width :math:`m` plus
    the number of negative poles.

    Parameters
    ----------
    rho_vals : array_like
        Kernel samples :math:`\rho(t_k)`, shape ``(n_t, d)`` (or ``(n_t,)``).
    dt : float
        Time step :math:`\Delta t > 0`.
    m : int
        Order of the discrete realisation (the width of the RNN unless negative poles
        are paired), at most the numerical rank of :math:`H_0`.
    size : int, optional
        Number of block rows and columns of the Hankel matrices (default: all samples).
    negative_poles : str
        ``"refuse"`` or ``"pair"`` (see above).

    Returns
    -------
    LinearRNN
        The realisation. ``ValueError`` if a mode is unstable (:math:`|\lambda(A)| \ge 1`),
        if :math:`A` has the eigenvalue 0 or a refused negative eigenvalue, or if the
        conversion does not reproduce :math:`C A^k B`.

    Used in
    -------
    :doc:`/chapters/08_riesz_density`
    """
    return era_fits(rho_vals, dt, [m], size, negative_poles)[0]


def l1_distance(
    rho_vals: ArrayLike, rhohat_vals: ArrayLike, dt: float
) -> float:
    r"""Riemann sum :math:`\sum_k |\rho(t_k) - \hat\rho(t_k)|_1\,\Delta t` of :math:`\|\rho - \hat\rho\|_{L^1}`.

    :math:`|v|_1 = \sum_i |v_i|` is the dual of the max-norm on inputs :math:`x_t \in \R^d`,
    so that this is the operator-norm distance of the two functionals.

    Parameters
    ----------
    rho_vals : array_like
        Samples of :math:`\rho`, shape ``(n_t, d)`` (or ``(n_t,)``).
    rhohat_vals : array_like
        Samples of :math:`\hat\rho`, same shape.
    dt : float
        Time step :math:`\Delta t > 0`.

    Returns
    -------
    float
        The distance.

    Used in
    -------
    :doc:`/chapters/08_riesz_density`, :doc:`/chapters/10_curse_of_memory`, :doc:`/chapters/11_architectures`
    """
    a = check_real_array("rho_vals", rho_vals, ndim=(1, 2))
    b = check_real_array("rhohat_vals", rhohat_vals, ndim=(1, 2))
    if a.shape != b.shape:
        raise ValueError(
            f"rho_vals and rhohat_vals must have the same shape, got {a.shape} and {b.shape}"
        )
    dt = check_positive_float("dt", dt)
    return float(np.sum(np.abs(a - b)) * dt)


def exp_sum_hankel_singular_values(
    rates: ArrayLike, weights: ArrayLike
) -> np.ndarray:
    r"""Hankel singular values of a positive sum of decaying exponentials, in closed form.

    For :math:`\rho(t) = \sum_{j=1}^n w_j e^{-s_j t}` with :math:`w_j > 0`, :math:`s_j > 0`,
    the Hankel operator :math:`(\Gamma u)(t) = \int_0^\infty \rho(t+s) u(s)\,\dd s` on
    :math:`L^2(0, \infty)` is :math:`\Gamma = \sum_j w_j\, \varphi_j \langle \varphi_j, \cdot\rangle`
    with :math:`\varphi_j(t) = e^{-s_j t}`: self-adjoint and positive semi-definite, so its
    singular values are its eigenvalues, and these are the eigenvalues of the
    :math:`n \times n` Cauchy-type matrix

    .. math::

        G_{ij} = \frac{\sqrt{w_i w_j}}{s_i + s_j}
        = \sqrt{w_i w_j}\,\langle \varphi_i, \varphi_j \rangle_{L^2(0,\infty)} .

    (It is also the common Gramian :math:`P = Q` of the state-space-symmetric realisation
    :math:`W = -\operatorname{diag}(s)`, :math:`U = c = \sqrt w`.) Computed by a symmetric
    eigen-solver, the values carry an absolute error of order :math:`10^{-16}\,\sigma_1`.

    A completely monotone kernel :math:`\rho(t) = \int e^{-st}\,\mu(\dd s)` is handled through
    a positive quadrature :math:`\rho_n` of its Laplace representation: since the Hankel
    operator's norm is at most the :math:`L^1` norm of its kernel,
    :math:`\abs{\sigma_k(\rho) - \sigma_k(\rho_n)} \le \norm{\rho - \rho_n}_{L^1(0,\infty)}`.

    Parameters
    ----------
    rates : array_like
        Decay rates :math:`s_j > 0`, shape ``(n,)`` (units: 1/time).
    weights : array_like
        Weights :math:`w_j > 0`, shape ``(n,)``.

    Returns
    -------
    numpy.ndarray
        :math:`\sigma_1 \ge \dots \ge \sigma_n \ge 0`, shape ``(n,)`` (negative rounding
        noise clipped to 0).

    Used in
    -------
    :doc:`/chapters/09_rates_memory`
    """
    s = check_real_array("rates", rates, ndim=1)
    w = check_real_array("weights", weights, ndim=1)
    if s.shape != w.shape:
        raise ValueError(
            f"rates and weights must have the same shape, got {s.shape} and {w.shape}"
        )
    if np.any(s <= 0):
        raise ValueError("rates must be positive (decaying exponentials)")
    if np.any(w <= 0):
        raise ValueError(
            "weights must be positive (the closed form needs a positive sum; see the docstring)"
        )
    sw = np.sqrt(w)
    G = np.outer(sw, sw) / (s[:, None] + s[None, :])
    return np.clip(np.linalg.eigvalsh(G)[::-1], 0.0, None)


@dataclass(frozen=True)
class SampledError:
    r"""Brackets of the errors of a sampled approximant, over all samples :math:`k \ge 0`.

    For the sequences :math:`g_k = \rho(t_k)\Delta t` and :math:`\hat g_k = \hat\rho(t_k)\Delta t`
    (the impulse responses of the sampled systems), :math:`e = g - \hat g`:

    Attributes
    ----------
    l1 : tuple of float
        ``(lower, upper)`` with :math:`\text{lower} \le \sum_{k \ge 0} \abs{e_k} \le \text{upper}`.
    hinf : tuple of float
        ``(lower, upper)`` with :math:`\text{lower} \le \sup_\theta \abs{\sum_{k\ge 0} e_k
        e^{-ik\theta}} \le \text{upper}`.
    tail : float
        The closed-form bound on :math:`\sum_{k \ge n_t} \abs{e_k}` used in both brackets.
    slack : float
        :math:`U_{n_t} - \max_{\text{grid}}\abs{E_{n_t}}`, the certified bound on what the
        frequency grid can miss (see :func:`sampled_error`).

    Used in
    -------
    Returned by :func:`sampled_error` (in :doc:`/chapters/09_rates_memory`).
    """

    l1: tuple[float, float]
    hinf: tuple[float, float]
    tail: float
    slack: float


def sampled_error(
    rho_vals: ArrayLike,
    model: LinearRNN,
    dt: float,
    rho_tail: float,
    pad: int = 16,
) -> SampledError:
    r"""The :math:`\ell^1` and :math:`\mathcal H_\infty` errors of the sampled approximant, bracketed.

    The sampled (discrete-time) systems have impulse responses :math:`g_k = \rho(t_k)\Delta t`
    and :math:`\hat g_k = \hat\rho(t_k)\Delta t`, :math:`k \ge 0`; with :math:`e = g - \hat g`
    and :math:`E(\theta) = \sum_{k \ge 0} e_k e^{-ik\theta}`,

    .. math::

        \norm{e}_{\ell^1} = \sum_{k\ge 0} \abs{e_k}, \qquad
        \norm{e}_{\mathcal H_\infty} = \sup_{\theta} \abs{E(\theta)} \le \norm{e}_{\ell^1} .

    Only :math:`k < n_t` is sampled; the rest is bounded by
    :math:`R = R_\rho + R_{\hat\rho}`, with ``rho_tail`` :math:`= R_\rho \ge \sum_{k\ge n_t}\abs{g_k}`
    given by the caller and, for the modes :math:`\hat\rho(t) = \sum_j r_j e^{\mu_j t}` of the
    model, :math:`R_{\hat\rho} = \Delta t \sum_j \abs{r_j} e^{\operatorname{Re}\mu_j t_{n_t}} / (1 -
    e^{\operatorname{Re}\mu_j \Delta t})`.
    The :math:`\mathcal H_\infty` norm of the sampled window :math:`E_{n_t}(\theta) = \sum_{k<n_t} e_k e^{-ik\theta}`
    is evaluated by a zero-padded FFT on :math:`M = \mathrm{pad}\cdot n_t` equispaced
    frequencies, which gives a *lower* estimate of its sup. To bound the sup from above, let
    :math:`S_p = \sum_{k<n_t} k^p \abs{e_k}`, so that :math:`\abs{E_{n_t}^{(p)}} \le S_p`, and
    :math:`h = \pi/M`: every :math:`\theta` lies within :math:`h` of a grid frequency. To first order
    :math:`\sup\abs{E_{n_t}} \le \max_{\text{grid}}\abs{E_{n_t}} + h S_1`. To second order,
    :math:`f = \abs{E_{n_t}}^2` has :math:`f' = 0` at its maximiser and
    :math:`\abs{f''} \le 2(S_0 S_2 + S_1^2)`, so Taylor's theorem at the nearest grid point gives
    :math:`\sup f \le \max_{\text{grid}} f + h^2 (S_0 S_2 + S_1^2)`. With the smaller of the two
    bounds, :math:`U_{n_t}`, and the tail,

    .. math::

        \max_{\text{grid}} \abs{E_{n_t}} - R \;\le\; \norm{e}_{\mathcal H_\infty}
        \;\le\; U_{n_t} + R .

    Parameters
    ----------
    rho_vals : array_like
        Target samples :math:`\rho(t_k)`, :math:`t_k = k\,\Delta t`, shape ``(n_t,)`` or ``(n_t, 1)``.
    model : LinearRNN
        The approximant (``d = 1``), with well-conditioned eigenvectors of :math:`W`.
    dt : float
        Time step :math:`\Delta t > 0`.
    rho_tail : float
        A bound :math:`R_\rho \ge \sum_{k \ge n_t} \abs{\rho(t_k)}\Delta t`, non-negative.
    pad : int
        Zero-padding factor of the FFT, :math:`M = \mathrm{pad}\cdot n_t`.

    Returns
    -------
    SampledError
        The brackets.

    Used in
    -------
    :doc:`/chapters/09_rates_memory`
    """
    rho = check_kernel_samples("rho_vals", rho_vals, min_rows=3)
    if rho.shape[1] != 1:
        raise ValueError(
            f"rho_vals must be a scalar kernel (shape (n_t,) or (n_t, 1)), got shape {rho.shape}"
        )
    if not isinstance(model, LinearRNN):
        raise TypeError(
            f"model must be a LinearRNN, got {type(model).__name__}"
        )
    if model.d != 1:
        raise ValueError(
            f"model must have input dimension d = 1, got {model.d}"
        )
    dt = check_positive_float("dt", dt)
    rho_tail = check_finite_float("rho_tail", rho_tail)
    if rho_tail < 0:
        raise ValueError(f"rho_tail must be non-negative, got {rho_tail}")
    pad = check_positive_int("pad", pad)
    n = rho.shape[0]
    lam, V = np.linalg.eig(model.W)
    if np.linalg.cond(V) >= 1e8:
        raise ValueError(
            "model.W must have well-conditioned eigenvectors (condition number < 1e8) for the tail bound"
        )
    r = np.abs(
        (model.c @ V) * np.linalg.solve(V, model.U[:, 0].astype(complex))
    )
    decay = np.exp(lam.real * dt)
    model_tail = float(dt * np.sum(r * decay**n / (1.0 - decay)))
    tail = rho_tail + model_tail
    e = (rho[:, 0] - model.kernel(dt * np.arange(n))[:, 0]) * dt
    window = float(np.sum(np.abs(e)))
    M = pad * n
    grid_max = float(np.max(np.abs(np.fft.fft(e, n=M))))
    h = np.pi / M
    k = np.arange(n)
    s0, s1, s2 = (float(np.sum(k**p * np.abs(e))) for p in (0, 1, 2))
    upper = min(
        grid_max + h * s1,
        float(np.sqrt(grid_max**2 + h**2 * (s0 * s2 + s1**2))),
    )
    slack = upper - grid_max
    return SampledError(
        l1=(window, window + tail),
        hinf=(max(grid_max - tail, 0.0), grid_max + slack + tail),
        tail=tail,
        slack=slack,
    )
