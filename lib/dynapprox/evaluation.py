r"""Fast evaluation of a linear RNN on a sampled input: FFT, IIR filters, or a recurrence.

A stable linear RNN :math:`\dot h = W h + U x`, :math:`\hat y = c^\top h`, driven by a
zero-order-hold input (:math:`x_t = x_{t_k}` on :math:`[t_k, t_{k+1})`) is exactly the
discrete system :math:`h_{k+1} = A h_k + B x_k`, :math:`\hat y_k = c^\top h_k` with
:math:`A = e^{W\Delta t}` (see :meth:`dynapprox.linear_rnn.LinearRNN.zoh_matrices`). Its
output is the causal convolution :math:`\hat y_k = \sum_{j \ge 1} g_j^\top x_{k-j}` with the
impulse response :math:`g_j = (c^\top A^{j-1} B)^\top`. With :math:`W = V \Lambda V^{-1}`
and :math:`z_i = e^{\lambda_i \Delta t}`,

.. math::

    g_j = \sum_i r_i\, z_i^{\,j-1}, \qquad r_i = (c^\top V)_i\,(V^{-1} B)_{i,:},

a sum of geometric sequences. Three ways to compute :math:`\hat y` of length :math:`L`
for a width :math:`m`:

* ``"fft"``: evaluate :math:`g_1, \dots, g_{L-1}` (cost :math:`O(L m)`) and convolve by
  zero-padded real FFT (:math:`O(L \log L)`), :func:`dynapprox.functionals.apply_kernel`;
* ``"lfilter"``: one IIR filter per mode with ``scipy.signal.lfilter`` (first order for a
  real eigenvalue, a real second-order section for a conjugate pair), summed: :math:`O(L m)`
  in compiled code, plus one call per mode;
* ``"scan"``: the recurrence over the diagonal (modal) form in PyTorch, batched over the
  modes and inputs: :math:`L` steps of :math:`O(m)` work, what a reader would write in a
  deep-learning framework;
* ``"naive"``: the dense recurrence :math:`h \leftarrow A h + B x_k`, a Python loop
  (:meth:`dynapprox.linear_rnn.LinearRNN.output` with ``method="recurrence"``).

All four agree to rounding. :func:`rnn_output` with ``method="auto"`` takes the fastest by
the cost model of :func:`choose_method`, whose constants were measured on the book's 2-core
machine by ``make bench`` (``scripts/bench_memory.py``), which also reports how close the
choice is to the fastest method on a grid of lengths and widths.

Used by chapters 7-10 through :meth:`dynapprox.linear_rnn.LinearRNN.output`, and by the benchmark.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import linalg, signal

from ._validation import (
    check_in,
    check_positive_float,
    check_positive_int,
    check_real_array,
)

__all__ = [
    "METHODS",
    "COST",
    "predicted_seconds",
    "cost_terms",
    "choose_method",
    "WISDOM",
    "WISDOM_L",
    "zoh_modes",
    "zoh_impulse_response",
    "rnn_output",
]

#: The evaluation methods of :func:`rnn_output` (``"auto"`` chooses among the first two).
METHODS = ("fft", "lfilter", "scan", "naive")


def zoh_modes(
    W: ArrayLike, U: ArrayLike, c: ArrayLike, dt: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""Discrete poles :math:`z_i = e^{\lambda_i \Delta t}` and residues :math:`r_i` of the ZOH system.

    Only eigenvalues with :math:`\operatorname{Im}\lambda_i \ge 0` are returned; a mode
    with :math:`\operatorname{Im}\lambda_i > 0` stands for its conjugate pair, so that
    :math:`g_j = \operatorname{Re}\sum_i w_i r_i z_i^{j-1}` with :math:`w_i = 2` for a pair
    and 1 otherwise; the weights are folded into the returned residues.

    Parameters
    ----------
    W : array_like
        Shape ``(m, m)``, diagonalisable with well-conditioned eigenvectors.
    U : array_like
        Shape ``(m, d)``.
    c : array_like
        Shape ``(m,)``.
    dt : float
        Time step :math:`\Delta t > 0`.

    Returns
    -------
    tuple of numpy.ndarray
        ``z`` (complex, shape ``(n,)``) and ``r`` (complex, shape ``(n, d)``).

    Used in
    -------
    Used by :func:`rnn_output` (in :doc:`/chapters/07_sequence_modelling` through
    :meth:`dynapprox.linear_rnn.LinearRNN.output`).
    """
    W = check_real_array("W", W, ndim=2)
    U = check_real_array("U", U, ndim=(1, 2))
    U = U[:, None] if U.ndim == 1 else U
    c = check_real_array("c", c, ndim=1)
    dt = check_positive_float("dt", dt)
    m = W.shape[0]
    if W.shape != (m, m) or U.shape[0] != m or c.shape != (m,):
        raise ValueError(
            f"W, U, c must have shapes (m, m), (m, d), (m,); got {W.shape}, {U.shape}, {c.shape}"
        )
    z, r, cond = _modes_and_condition(W, U, c, dt)
    if cond >= COND_MAX:
        raise ValueError(
            "W must be diagonalisable with well-conditioned eigenvectors "
            f"(estimated 1-norm condition number of V below {COND_MAX:g}, got {cond:.3g}) "
            "for modal evaluation"
        )
    return z, r


#: Largest (estimated, 1-norm) condition number of the eigenvector matrix for which the
#: modal methods are used; above it :func:`rnn_output` with ``"auto"`` takes the dense loop.
COND_MAX = 1e8


def _modes_and_condition(
    W: np.ndarray, U: np.ndarray, c: np.ndarray, dt: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Poles and residues of :func:`zoh_modes` (checked arrays) and the condition estimate.

    One eigen-decomposition and one LU factorisation of the eigenvectors ``V``: the LU
    gives both the solve for the residues and LAPACK's O(m^2) estimate of the 1-norm
    condition number (``gecon``), instead of an SVD of ``V``.
    """
    lam, V = np.linalg.eig(W)
    lu, piv = linalg.lu_factor(V.astype(complex), check_finite=False)
    gecon = linalg.get_lapack_funcs("gecon", (lu,))
    rcond, _ = gecon(lu, np.abs(V).sum(axis=0).max(), norm="1")
    cond = np.inf if rcond == 0 else 1.0 / rcond
    # B = int_0^dt e^{Ws} ds U: in the eigenbasis (e^{lam dt} - 1)/lam, with the limit dt at lam = 0
    small = np.abs(lam * dt) < 1e-8
    phi = np.where(
        small, dt, (np.exp(lam * dt) - 1.0) / np.where(small, 1.0, lam)
    )
    left = c @ V
    right = (
        linalg.lu_solve((lu, piv), U.astype(complex), check_finite=False)
        * phi[:, None]
    )
    keep = lam.imag >= 0
    # conjugate eigenvalues come with conjugate residues; count each pair once, twice its real part
    weight = np.where(lam[keep].imag > 0, 2.0, 1.0)
    r = (left[keep] * weight)[:, None] * right[keep]
    return np.exp(lam[keep] * dt), r, float(cond)


def zoh_impulse_response(
    W: ArrayLike, U: ArrayLike, c: ArrayLike, dt: float, n_t: int
) -> np.ndarray:
    r"""The impulse response :math:`g_0 = 0`, :math:`g_j = (c^\top A^{j-1} B)^\top` of the ZOH system.

    Vectorised: the powers :math:`z^j` by repeated doubling (:math:`\log_2 n_t` products),
    then one BLAS product with the residues.

    Parameters
    ----------
    W, U, c : array_like
        The RNN (see :func:`zoh_modes`).
    dt : float
        Time step.
    n_t : int
        Number of samples.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_t, d)``; equals :meth:`dynapprox.linear_rnn.LinearRNN.discrete_kernel`.

    Used in
    -------
    Used by :func:`rnn_output` (in :doc:`/chapters/07_sequence_modelling` through
    :meth:`dynapprox.linear_rnn.LinearRNN.output`).
    """
    n_t = check_positive_int("n_t", n_t)
    return _impulse_from_modes(*zoh_modes(W, U, c, dt), n_t)


def _impulse_from_modes(
    z: np.ndarray, r: np.ndarray, n_t: int
) -> np.ndarray:
    """:math:`g_0 = 0`, :math:`g_j = \\operatorname{Re}\\sum_i r_i z_i^{j-1}` (powers by doubling)."""
    E = np.empty((max(n_t - 1, 1), z.size), dtype=complex)
    E[0] = 1.0
    zk, k = z.copy(), 1
    while k < E.shape[0]:
        E[k : 2 * k] = E[: min(k, E.shape[0] - k)] * zk
        zk, k = zk * zk, 2 * k
    g = np.zeros((n_t, r.shape[1]))
    if n_t > 1:
        g[1:] = (E[: n_t - 1] @ r).real
    return g


#: The cost model of :func:`predicted_seconds`: for each method, seconds per unit of each
#: term of :func:`cost_terms`. Fitted by ``make bench`` (``scripts/bench_memory.py
#: --calibrate``: non-negative least squares on the relative error of the measured times)
#: on the book's 2-core machine, one BLAS thread.
COST: dict[str, dict[str, float]] = {
    "lfilter": {
        "fixed": 5.4e-05,
        "eig": 1.9e-09,
        "section": 2.3e-05,
        "sample": 6.3e-09,
    },
    "fft": {
        "fixed": 2.2e-04,
        "eig": 2.0e-09,
        "powers": 5.6e-09,
        "fft": 1.6e-09,
    },
    "naive": {
        "fixed": 2.9e-05,
        "expm": 4.5e-10,
        "step": 3.7e-06,
        "matvec": 9.9e-11,
    },
}


def cost_terms(
    method: str, L: int, m: int, d: int = 1
) -> dict[str, float]:
    r"""The terms of the cost model of one method (multiplied by :data:`COST` and summed).

    With :math:`n = \lceil m/2 \rceil` modes (a conjugate pair counted once):

    * ``"lfilter"``: 1, :math:`m^3` (eigen-decomposition), :math:`n d` (one filter call per
      mode and channel), :math:`n d L` (samples filtered);
    * ``"fft"``: 1, :math:`m^3`, :math:`n d L` (powers of the poles), :math:`d L \log_2(2L)`
      (the zero-padded FFT convolution);
    * ``"naive"``: 1, :math:`(m+d)^3` (``expm``), :math:`L` (Python steps),
      :math:`L m (m+d)` (the products of the loop).

    Parameters
    ----------
    method : str
        ``"lfilter"``, ``"fft"`` or ``"naive"``.
    L, m, d : int
        Input length, width, input channels.

    Returns
    -------
    dict
        The terms, keyed as in ``COST[method]``.

    Used in
    -------
    Used by :func:`predicted_seconds` and by ``scripts/bench_memory.py --calibrate``.
    """
    method = check_in("method", method, tuple(COST))
    L = check_positive_int("L", L)
    m = check_positive_int("m", m)
    d = check_positive_int("d", d)
    n = (m + 1) // 2
    if method == "lfilter":
        return {
            "fixed": 1.0,
            "eig": m**3,
            "section": n * d,
            "sample": n * d * L,
        }
    if method == "fft":
        return {
            "fixed": 1.0,
            "eig": m**3,
            "powers": n * d * L,
            "fft": d * L * np.log2(2 * L),
        }
    return {
        "fixed": 1.0,
        "expm": (m + d) ** 3,
        "step": L,
        "matvec": L * m * (m + d),
    }


def predicted_seconds(L: int, m: int, d: int = 1) -> dict[str, float]:
    r"""Predicted run times of ``"fft"``, ``"lfilter"`` and ``"naive"`` (the cost model of :func:`choose_method`).

    For each method the sum over :func:`cost_terms` of the term times its constant in
    :data:`COST`.

    Parameters
    ----------
    L : int
        Input length.
    m : int
        Width.
    d : int
        Input channels.

    Returns
    -------
    dict
        Seconds per method.

    Used in
    -------
    Used by :func:`choose_method` (in :doc:`/chapters/07_sequence_modelling` through
    :meth:`dynapprox.linear_rnn.LinearRNN.output`).
    """
    out = {}
    for method, const in COST.items():
        terms = cost_terms(method, L, m, d)
        out[method] = float(sum(const[k] * v for k, v in terms.items()))
    return out


#: The input lengths of :data:`WISDOM`: the fastest of ``"fft"``, ``"lfilter"`` and
#: ``"naive"`` measured by ``make bench``
#: (``scripts/bench_memory.py --calibrate``) on the book's 2-core machine, one BLAS
#: thread, one input channel: ``WISDOM[m][i]`` at width ``m`` and length
#: ``WISDOM_L[i]`` (a measured table, like FFTW's "wisdom": a linear cost model misses
#: the cache effects that decide the close cases).
WISDOM_L = (256, 1024, 4096, 16384, 65536)
#: The measured fastest method, by width ``m`` (keys) and input length (``WISDOM_L``).
WISDOM: dict[int, tuple[str, ...]] = {
    8: ("lfilter", "lfilter", "lfilter", "lfilter", "lfilter"),
    32: ("fft", "fft", "fft", "fft", "lfilter"),
    64: ("naive", "fft", "fft", "fft", "lfilter"),
    128: ("naive", "naive", "fft", "fft", "lfilter"),
    256: ("naive", "naive", "fft", "fft", "lfilter"),
}


def choose_method(L: int, m: int, d: int = 1) -> str:
    r"""The method :func:`rnn_output` uses by default: the fastest for this length and width.

    For one input channel, the method measured fastest at the nearest point (in
    :math:`\log L` and :math:`\log m`) of the grid of :data:`WISDOM`; for several
    channels, the arg-min of the cost model :func:`predicted_seconds`. The per-mode
    filters and the FFT path both need the eigen-decomposition of :math:`W`
    (:math:`O(m^3)`), so for a wide dense :math:`W` and a short input the plain
    recurrence (one ``expm``) is the fastest; for long inputs the per-mode filters win.
    ``make bench`` measures every method on the grid and reports how far this choice
    is from the fastest.

    Parameters
    ----------
    L : int
        Input length.
    m : int
        Width (number of real hidden units).
    d : int
        Input channels.

    Returns
    -------
    str
        ``"lfilter"``, ``"fft"`` or ``"naive"``.

    Used in
    -------
    Used by :func:`rnn_output` (in :doc:`/chapters/07_sequence_modelling` through
    :meth:`dynapprox.linear_rnn.LinearRNN.output`).
    """
    L = check_positive_int("L", L)
    m = check_positive_int("m", m)
    d = check_positive_int("d", d)
    if d == 1:
        widths = np.array(sorted(WISDOM))
        j = int(np.argmin(np.abs(np.log(widths) - np.log(m))))
        i = int(np.argmin(np.abs(np.log(np.array(WISDOM_L)) - np.log(L))))
        return WISDOM[int(widths[j])][i]
    times = predicted_seconds(L, m, d)
    return min(times, key=times.__getitem__)


def _check_input(x: ArrayLike, d: int) -> tuple[np.ndarray, bool]:
    xs = check_real_array("x", x, ndim=(2, 3))
    single = xs.ndim == 2
    xs = xs[None] if single else xs
    if xs.shape[2] != d:
        raise ValueError(
            f"x must have d = {d} channels on its last axis, got shape {np.shape(x)}"
        )
    return xs, single


def _lfilter(z: np.ndarray, r: np.ndarray, xs: np.ndarray) -> np.ndarray:
    # y_k = sum_j g_j x_{k-j}, g_j = Re sum_i r_i z_i^(j-1) for j >= 1
    batch, n_t, d = xs.shape
    y = np.zeros((batch, n_t))
    for i in range(z.size):
        zi = z[i]
        for ch in range(d):
            ri = r[i, ch]
            if ri == 0:
                continue
            if zi.imag == 0:
                # g_j = Re(r) z^(j-1): H(q) = Re(r) q^-1 / (1 - z q^-1)
                b, a = [0.0, ri.real], [1.0, -zi.real]
            else:
                # Re(r z^(j-1)) for a pair: H(q) = (Re r q^-1 - Re(r conj z) q^-2) / (1 - 2 Re z q^-1 + |z|^2 q^-2)
                b = [0.0, ri.real, -(ri * np.conj(zi)).real]
                a = [1.0, -2.0 * zi.real, abs(zi) ** 2]
            y += signal.lfilter(b, a, xs[:, :, ch], axis=1)
    return y


def _scan(z: np.ndarray, r: np.ndarray, xs: np.ndarray) -> np.ndarray:
    import torch

    zt = torch.as_tensor(z)
    rt = torch.as_tensor(r)  # (n, d)
    xt = torch.as_tensor(xs, dtype=torch.float64).to(
        torch.complex128
    )  # (batch, L, d)
    drive = xt @ rt.T  # (batch, L, n): r_i . x_k
    h = torch.zeros(xs.shape[0], z.size, dtype=torch.complex128)
    out = torch.empty(xs.shape[0], xs.shape[1], dtype=torch.float64)
    for k in range(xs.shape[1]):
        out[:, k] = h.real.sum(dim=1)
        h = zt * h + drive[:, k]
    return out.numpy()


def rnn_output(
    model: Any, x: ArrayLike, dt: float, method: str = "auto"
) -> np.ndarray:
    r"""The ZOH outputs :math:`\hat y_k = \sum_{j=1}^{k} g_j^\top x_{k-j}` of a linear RNN.

    Equal (to rounding) to :meth:`dynapprox.linear_rnn.LinearRNN.output` with
    ``method="recurrence"``, for every ``method``.

    Parameters
    ----------
    model : object
        A linear RNN with attributes ``W`` (``(m, m)``), ``U`` (``(m, d)``), ``c`` (``(m,)``).
    x : array_like
        Input, shape ``(L, d)`` or ``(batch, L, d)``.
    dt : float
        Time step :math:`\Delta t > 0`.
    method : str
        ``"auto"`` (:func:`choose_method`; ``"naive"`` when :math:`W` is nearly defective,
        so that its eigenvectors are ill conditioned), or one of :data:`METHODS`.

    Returns
    -------
    numpy.ndarray
        Shape ``(L,)`` or ``(batch, L)``.

    Used in
    -------
    Used by :meth:`dynapprox.linear_rnn.LinearRNN.output` (in
    :doc:`/chapters/07_sequence_modelling`, :doc:`/chapters/08_riesz_density`).
    """
    for attr in ("W", "U", "c"):
        if not hasattr(model, attr):
            raise TypeError(
                f"model must be a linear RNN with attributes W, U, c; {type(model).__name__} has no {attr!r}"
            )
    if getattr(model, "dt", None) is not None:
        raise ValueError(
            "model is a discrete-time RNN (its dt is set): rnn_output evaluates the "
            "zero-order hold of a continuous-time one; use model.output(x)"
        )
    method = check_in("method", method, ("auto",) + METHODS)
    W = np.asarray(model.W, dtype=float)
    U = np.asarray(model.U, dtype=float)
    U = U[:, None] if U.ndim == 1 else U
    c = np.asarray(model.c, dtype=float)
    xs, single = _check_input(x, U.shape[1])
    dt = check_positive_float("dt", dt)
    L, m = xs.shape[1], W.shape[0]
    modes = None
    if method == "auto":
        method = choose_method(L, m, U.shape[1])
        if method != "naive":
            # the one eigen-decomposition the modal methods need, and its conditioning
            z, r, cond = _modes_and_condition(W, U, c, dt)
            modes = (z, r)
            if cond >= COND_MAX:
                method = (
                    "naive"  # W (nearly) defective: no reliable modal form
                )
    if method == "naive":
        M = np.zeros((m + U.shape[1],) * 2)
        M[:m, :m], M[:m, m:] = W, U
        E = linalg.expm(M * dt)
        A, B = E[:m, :m], E[:m, m:]
        h = np.zeros((xs.shape[0], m))
        y = np.empty(xs.shape[:2])
        for k in range(L):
            y[:, k] = h @ c
            h = h @ A.T + xs[:, k] @ B.T
        return y[0] if single else y
    z, r = modes if modes is not None else zoh_modes(W, U, c, dt)
    if method == "fft":
        from .functionals import apply_kernel

        y = apply_kernel(
            _impulse_from_modes(z, r, L), xs, 1.0, method="fft"
        )
    else:
        y = _lfilter(z, r, xs) if method == "lfilter" else _scan(z, r, xs)
    return y[0] if single else y
