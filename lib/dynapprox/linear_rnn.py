r"""The linear RNN: one type for continuous or discrete time, dense or modal form.

The continuous-time linear RNN of width :math:`m` with :math:`d` input channels is

.. math::

    \dot h_t = W h_t + U x_t, \qquad h_{-\infty} = 0, \qquad \hat y_t = c^\top h_t ,

with :math:`W \in \Wset_m` (Hurwitz: every eigenvalue has negative real part),
:math:`U \in \R^{m\times d}`, :math:`c \in \R^m`. Its output is the kernel functional

.. math::

    \hat H_t(\mathbf x) = \int_0^\infty c^\top e^{Ws} U x_{t-s}\,\dd s,
    \qquad \hat\rho(s) = (c^\top e^{Ws} U)^\top \in \R^d .

The discrete-time linear RNN is :math:`h_{k+1} = W h_k + U x_k`, :math:`h_0 = 0`,
:math:`\hat y_k = c^\top h_k`; its kernel is the impulse response
:math:`g_0 = 0`, :math:`g_j = (c^\top W^{j-1} U)^\top`.

:class:`LinearRNN` holds either form, in one of two representations:

* **dense**: the matrices :math:`(W, U, c)` (:class:`LinearRNN` itself);
* **modal**: modes :math:`\lambda_j = -r_j + i\omega_j` with coefficients
  :math:`g_j \in \mathbb C^d` (:meth:`LinearRNN.modal`), kernel
  :math:`\hat\rho(t) = \sum_j w_j \operatorname{Re}(g_j e^{\lambda_j t})` with
  :math:`w_j = 2` for an oscillating mode (a conjugate pair, two real hidden units) and
  1 for a real one. The decay rates are given through a parameterisation
  :math:`r_j = f(p_j)` of :mod:`dynapprox.parameterisations` (``"direct"``:
  :math:`r_j = p_j`), so a diagonal state-space model (S4D, StableSSM) is the modal form
  with :math:`\omega = 0`.

Conversions: :meth:`LinearRNN.to_modal`, :meth:`LinearRNN.to_dense`,
:meth:`LinearRNN.discretise`. Outputs on the grid :math:`t_k = k\,\Delta t` of
:mod:`dynapprox.signals` go through :func:`dynapprox.evaluation.rnn_output`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import linalg

from ._validation import (
    check_in,
    check_positive_float,
    check_positive_int,
    check_real_array,
)
from .functionals import apply_kernel
from .parameterisations import PARAMETERISATIONS, check_ab, rate

__all__ = ["spectral_abscissa", "check_weights", "LinearRNN"]


def spectral_abscissa(W: ArrayLike) -> float:
    r"""The spectral abscissa :math:`\kappa(W) = \max_j \operatorname{Re}\lambda_j(W)`.

    :math:`W` is Hurwitz (:math:`W \in \Wset_m`) iff :math:`\kappa(W) < 0`; then for every
    :math:`\epsilon > 0` there is :math:`C_\epsilon` with
    :math:`\|e^{Ws}\| \le C_\epsilon e^{(\kappa(W) + \epsilon) s}` for all :math:`s \ge 0`.

    Parameters
    ----------
    W : array_like
        Square matrix, shape ``(m, m)``.

    Returns
    -------
    float
        :math:`\kappa(W)`.

    Used in
    -------
    :doc:`/chapters/07_sequence_modelling`, :doc:`/chapters/10_curse_of_memory`.
    """
    W = check_real_array("W", W, ndim=2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square matrix, got shape {W.shape}")
    return float(np.max(np.linalg.eigvals(W).real))


def check_weights(
    W: Any, U: Any, c: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Return ``(W, U, c)`` as float arrays of shapes ``(m, m)``, ``(m, d)``, ``(m,)``, else raise.

    ``U`` of shape ``(m,)`` is read as one input channel.

    Parameters
    ----------
    W : array_like
        Recurrent weights, square.
    U : array_like
        Input weights.
    c : array_like
        Output weights.

    Returns
    -------
    tuple of numpy.ndarray
        The checked arrays.

    Used in
    -------
    Used by :class:`LinearRNN` and :func:`dynapprox.tanh_rnn.tanh_rnn_loss_and_grad`
    (in :doc:`/chapters/10_curse_of_memory`).
    """
    W = check_real_array("W", W, ndim=2)
    m = W.shape[0]
    if W.shape != (m, m):
        raise ValueError(
            f"W must be a square matrix (m, m), got shape {W.shape}"
        )
    U = check_real_array("U", U, ndim=(1, 2))
    if U.ndim == 1:
        U = U[:, None]
    if U.shape[0] != m:
        raise ValueError(
            f"U must have shape (m, d) = ({m}, d) to match W, got shape {U.shape}"
        )
    c = check_real_array("c", c, ndim=1)
    if c.shape != (m,):
        raise ValueError(
            f"c must have shape (m,) = ({m},) to match W, got shape {c.shape}"
        )
    return W, U, c


def _check_signal(x: Any, d: int) -> tuple[np.ndarray, bool]:
    xs = check_real_array("x", x, ndim=(2, 3))
    single = xs.ndim == 2
    if single:
        xs = xs[None]
    if xs.shape[2] != d:
        raise ValueError(
            f"x must have d = {d} channels (last axis), got shape {np.shape(x)}"
        )
    return xs, single


def _modes_to_real(
    decay: np.ndarray, freq: np.ndarray, coef: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Real block-diagonal (W, U, c) of modes: a pair -r +- i om is the block [[-r, om], [-om, -r]]."""
    m = int(np.sum(np.where(freq > 0, 2, 1)))
    W = np.zeros((m, m))
    U = np.zeros((m, coef.shape[1]))
    c = np.zeros(m)
    i = 0
    for r, om, g in zip(decay, freq, coef, strict=True):
        if om > 0:
            W[i : i + 2, i : i + 2] = [[-r, om], [-om, -r]]
            U[i] = 2 * g.real
            U[i + 1] = -2 * g.imag
            c[i] = 1.0
            i += 2
        else:
            W[i, i] = -r
            U[i] = g.real
            c[i] = 1.0
            i += 1
    return W, U, c


class LinearRNN:
    r"""A linear RNN :math:`\dot h = W h + U x` (or :math:`h_{k+1} = W h_k + U x_k`), :math:`\hat y = c^\top h`.

    The constructor builds the **dense** form; :meth:`modal` builds the **modal** form
    (see the module docstring). Both forms have the attributes ``W``, ``U``, ``c``
    (for a modal model, its real block-diagonal realisation), ``m``, ``d``, ``dt``, and
    the methods below.

    Parameters
    ----------
    W : array_like
        Recurrent weights, shape ``(m, m)``; Hurwitz in continuous time (else ``ValueError``).
    U : array_like
        Input weights, shape ``(m, d)`` (or ``(m,)`` for ``d = 1``).
    c : array_like
        Output weights, shape ``(m,)``.
    dt : float, optional
        ``None`` (default): continuous time. A step :math:`\Delta t > 0`: the discrete-time
        RNN :math:`h_{k+1} = W h_k + U x_k` on the grid :math:`t_k = k\,\Delta t` (no
        stability condition is imposed).

    Used in
    -------
    :doc:`/chapters/07_sequence_modelling` (:prf:ref:`prop-rnn-properties`),
    :doc:`/chapters/08_riesz_density`, :doc:`/chapters/09_rates_memory`,
    :doc:`/chapters/10_curse_of_memory`, :doc:`/chapters/12_state_space_models`.
    """

    form: str
    parameterisation: str
    a: float
    b: float
    weights: np.ndarray
    freq: np.ndarray
    coef: np.ndarray
    decay: np.ndarray

    def __init__(
        self,
        W: ArrayLike,
        U: ArrayLike,
        c: ArrayLike,
        *,
        dt: float | None = None,
    ) -> None:
        W, U, c = check_weights(W, U, c)
        self.dt = None if dt is None else check_positive_float("dt", dt)
        if self.dt is None:
            kappa = spectral_abscissa(W)
            if not kappa < 0:
                raise ValueError(
                    f"W must be Hurwitz (all eigenvalues with negative real part), but its spectral abscissa "
                    f"max Re lambda(W) = {kappa:.6g} >= 0: the RNN would not have fading memory"
                )
        self.W, self.U, self.c = W, U, c
        self.m, self.d = W.shape[0], U.shape[1]
        self.form = "dense"
        self.parameterisation, self.a, self.b = "direct", 1.0, 0.5

    @classmethod
    def modal(
        cls,
        weights: ArrayLike,
        freq: ArrayLike | None,
        coef: ArrayLike,
        parameterisation: str = "direct",
        a: float = 1.0,
        b: float = 0.5,
        *,
        allow_unstable: bool = False,
    ) -> LinearRNN:
        r"""The continuous-time modal form: modes :math:`\lambda_j = -f(p_j) + i\omega_j`, coefficients :math:`g_j`.

        Parameters
        ----------
        weights : array_like
            The weights :math:`p_j` of the decay rates :math:`r_j = f(p_j)`, shape ``(n,)``;
            with ``"direct"`` (default) the decay rates themselves.
        freq : array_like or None
            Frequencies :math:`\omega_j \ge 0`, shape ``(n,)``; ``None`` for real modes only (a
            diagonal SSM).
        coef : array_like
            Coefficients :math:`g_j`, complex, shape ``(n, d)`` or ``(n,)`` (``d = 1``); real for
            a real mode (:math:`\omega_j = 0`).
        parameterisation : str
            One of :data:`dynapprox.parameterisations.PARAMETERISATIONS`.
        a, b : float
            Parameters of ``"best"``.
        allow_unstable : bool
            Accept decay rates :math:`\le 0` (e.g. a perturbed model in the direct
            parameterisation; :attr:`is_stable` is then ``False``).

        Returns
        -------
        LinearRNN
            A model with ``form == "modal"``.
        """
        p = check_real_array("weights", weights, ndim=1)
        fr = (
            np.zeros(p.size)
            if freq is None
            else check_real_array("freq", freq, ndim=1, min_size=0)
        )
        co = np.asarray(coef, dtype=complex)
        if co.ndim == 1:
            co = co[:, None]
        if fr.shape != p.shape or co.ndim != 2 or co.shape[0] != p.size:
            raise ValueError(
                f"weights, freq must have shape (n,) and coef shape (n, d); got {p.shape}, {fr.shape}, {co.shape}"
            )
        if not np.all(np.isfinite(co)):
            raise ValueError("coef must be finite")
        if np.any(fr < 0):
            raise ValueError(
                "freq must be non-negative (one mode per conjugate pair)"
            )
        check_in("parameterisation", parameterisation, PARAMETERISATIONS)
        a, b = check_ab(a, b)
        decay = rate(p, parameterisation, a, b)
        if not allow_unstable and not np.all(decay > 0):
            raise ValueError(
                "weights must give positive decay rates (a stable model), got rates with minimum "
                f"{decay.min():.6g}; pass allow_unstable=True for a non-decaying model"
            )
        self = cls.__new__(cls)
        self.form = "modal"
        self.weights, self.freq, self.coef = p, fr, co
        self.parameterisation, self.a, self.b = parameterisation, a, b
        self.decay = decay
        self.W, self.U, self.c = _modes_to_real(decay, fr, co)
        self.m, self.d = self.W.shape[0], co.shape[1]
        self.dt = None
        return self

    def __repr__(self) -> str:
        time = (
            f"continuous, spectral abscissa={self.spectral_abscissa:.4g}"
            if self.dt is None
            else f"discrete, dt={self.dt:g}"
        )
        extra = (
            f", {self.parameterisation}" if self.form == "modal" else ""
        )
        return f"LinearRNN(m={self.m}, d={self.d}, {self.form}{extra}, {time})"

    # ------------------------------------------------------------------ spectrum
    @property
    def eigenvalues(self) -> np.ndarray:
        r"""The eigenvalues of :math:`W` (complex, shape ``(m,)``; the modes and their conjugates)."""
        if self.form == "modal":
            return self.modes()[0]
        return np.linalg.eigvals(self.W)

    @property
    def spectral_abscissa(self) -> float:
        r""":math:`\kappa(W) = \max_j \operatorname{Re}\lambda_j` (continuous time)."""
        if self.form == "modal":
            return float(-self.decay.min())
        return spectral_abscissa(self.W)

    @property
    def is_stable(self) -> bool:
        """Whether every mode decays.

        That is :math:`\\kappa(W) < 0` in continuous time, a spectral radius below 1 in discrete time.
        """
        if self.dt is not None:
            return bool(np.max(np.abs(np.linalg.eigvals(self.W))) < 1)
        return self.spectral_abscissa < 0

    def modes(self) -> tuple[np.ndarray, np.ndarray]:
        r"""Eigenvalues :math:`\lambda_k` and residues :math:`g_k`: :math:`\hat\rho(t) = \sum_k g_k e^{\lambda_k t}`.

        For the modal form read off the modes (a pair counted with its conjugate); for
        the dense form from the eigen-decomposition :math:`W = V\Lambda V^{-1}`,
        :math:`g_k = (c^\top V)_k (V^{-1} U)_{k,:}`.

        Returns
        -------
        tuple of numpy.ndarray
            ``lam`` (complex, shape ``(n,)``) and ``g`` (complex, shape ``(n, d)``).
        """
        if self.form == "modal":
            osc = self.freq > 0
            lam = np.concatenate(
                [
                    -self.decay + 1j * self.freq,
                    -self.decay[osc] - 1j * self.freq[osc],
                ]
            )
            g = np.concatenate(
                [
                    np.where(osc[:, None], self.coef, self.coef.real),
                    np.conj(self.coef[osc]),
                ]
            )
            return lam, g
        lam, V = np.linalg.eig(self.W)
        left = self.c @ V
        right = np.linalg.solve(V, self.U.astype(complex))
        return lam, left[:, None] * right

    # ------------------------------------------------------------------ kernels
    def kernel(self, t: ArrayLike) -> np.ndarray:
        r"""The kernel :math:`\hat\rho(s) = (c^\top e^{Ws} U)^\top` at the times ``t`` (continuous time).

        Modal form: the sum over modes. Dense form: the eigen-decomposition
        :math:`W = V \Lambda V^{-1}` when :math:`V` is well conditioned
        (:math:`\kappa(V) < 10^8`), and ``scipy.linalg.expm`` otherwise.

        Parameters
        ----------
        t : array_like
            Times :math:`s \ge 0`, shape ``(n,)``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, d)``.
        """
        if self.dt is not None:
            raise ValueError(
                "kernel(t) is the continuous-time kernel; use impulse_response(n_t) for a discrete RNN"
            )
        t = check_real_array("t", t, ndim=1)
        if np.any(t < 0):
            raise ValueError(
                "t must be non-negative: the kernel lives on [0, inf)"
            )
        if self.form == "modal":
            lam = -self.decay + 1j * self.freq
            w = np.where(self.freq > 0, 2.0, 1.0)
            return np.real((np.exp(np.outer(t, lam)) * w) @ self.coef)
        lam, V = np.linalg.eig(self.W)
        if np.linalg.cond(V) < 1e8:
            left = self.c @ V
            right = np.linalg.solve(V, self.U.astype(complex))
            return np.real((np.exp(np.outer(t, lam)) * left) @ right)
        E = linalg.expm(t[:, None, None] * self.W[None])
        return np.einsum("i,nij,jd->nd", self.c, E, self.U)

    def zoh_matrices(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        r"""Exact zero-order hold: :math:`A = e^{W\Delta t}`, :math:`B = \int_0^{\Delta t} e^{Ws}\,\dd s\, U`.

        If :math:`x` is constant on :math:`[t_k, t_{k+1})`, then exactly
        :math:`h_{t_{k+1}} = A h_{t_k} + B x_{t_k}`. Computed from the exponential of the
        block matrix :math:`\begin{pmatrix} W & U \\ 0 & 0\end{pmatrix}\Delta t`.

        Parameters
        ----------
        dt : float
            Time step :math:`\Delta t > 0`.

        Returns
        -------
        tuple of numpy.ndarray
            ``(A, B)`` of shapes ``(m, m)`` and ``(m, d)``.
        """
        if self.dt is not None:
            raise ValueError(
                "zoh_matrices discretises a continuous-time RNN; this one is discrete"
            )
        dt = check_positive_float("dt", dt)
        m, d = self.m, self.d
        M = np.zeros((m + d, m + d))
        M[:m, :m] = self.W
        M[:m, m:] = self.U
        E = linalg.expm(M * dt)
        return E[:m, :m], E[:m, m:]

    def discretise(self, dt: float) -> LinearRNN:
        r"""The discrete-time RNN :math:`h_{k+1} = A h_k + B x_k` of the zero-order hold (:meth:`zoh_matrices`).

        Its outputs equal those of :meth:`output` with ``dt`` (exact for inputs constant on
        each step), and its impulse response is :meth:`discrete_kernel`.

        Parameters
        ----------
        dt : float
            Time step :math:`\Delta t > 0`.

        Returns
        -------
        LinearRNN
            Dense, discrete time (``dt`` set).
        """
        A, B = self.zoh_matrices(dt)
        return LinearRNN(A, B, self.c, dt=dt)

    def impulse_response(self, n_t: int) -> np.ndarray:
        r"""Kernel of a discrete-time RNN: :math:`g_0 = 0`, :math:`g_j = (c^\top W^{j-1} U)^\top`.

        The output is :math:`\hat y_k = \sum_{j=1}^{k} g_j^\top x_{k-j}`.

        Parameters
        ----------
        n_t : int
            Number of samples.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_t, d)``.
        """
        if self.dt is None:
            raise ValueError(
                "impulse_response is the kernel of a discrete RNN; use discrete_kernel(n_t, dt)"
            )
        n_t = check_positive_int("n_t", n_t)
        g = np.zeros((n_t, self.d))
        v = self.c.copy()
        for j in range(1, n_t):
            g[j] = v @ self.U
            v = v @ self.W
        return g

    def discrete_kernel(self, n_t: int, dt: float) -> np.ndarray:
        r"""Impulse response of the zero-order-hold recurrence: :math:`g_0 = 0`, :math:`g_j = (c^\top A^{j-1} B)^\top`.

        The recurrence output is :math:`\hat y_k = \sum_{j=1}^{k} g_j^\top x_{t_{k-j}}`, and
        :math:`g_j = \int_{t_{j-1}}^{t_j} \hat\rho(s)\,\dd s`.

        Parameters
        ----------
        n_t : int
            Number of samples.
        dt : float
            Time step :math:`\Delta t > 0`.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_t, d)`` (no factor :math:`\Delta t`: :math:`g_j \approx \hat\rho(t_j)\Delta t`).
        """
        return self.discretise(dt).impulse_response(n_t)

    # ------------------------------------------------------------------ conversions
    def to_dense(self) -> LinearRNN:
        r"""The dense form :math:`(W, U, c)` (for a modal model its real block-diagonal realisation).

        A pair :math:`\lambda = -r \pm i\omega` becomes the block
        :math:`\begin{pmatrix} -r & \omega \\ -\omega & -r \end{pmatrix}` with
        :math:`c = (1, 0)` and rows :math:`(2\operatorname{Re} g, -2\operatorname{Im} g)` of :math:`U`.
        """
        if self.form == "dense":
            return self
        return LinearRNN(self.W, self.U, self.c)

    def to_modal(self, parameterisation: str | None = None) -> LinearRNN:
        r"""The modal form (continuous time; :math:`W` must be diagonalisable).

        With :math:`W = V \Lambda V^{-1}`, :math:`c^\top e^{Wt} U = \sum_j (c^\top V)_j
        e^{\lambda_j t} (V^{-1}U)_{j,:}`; conjugate pairs are merged into one mode with
        :math:`\omega > 0`. A modal model is re-expressed in another parameterisation
        (the same kernel).

        Parameters
        ----------
        parameterisation : str, optional
            The parameterisation of the decay rates (default: the model's own, ``"direct"``
            for a dense model).

        Returns
        -------
        LinearRNN
            ``form == "modal"``.
        """
        if self.dt is not None:
            raise ValueError("to_modal needs a continuous-time RNN")
        par = (
            self.parameterisation
            if parameterisation is None
            else parameterisation
        )
        check_in("parameterisation", par, PARAMETERISATIONS)
        from .parameterisations import weight

        if self.form == "modal":
            if par == self.parameterisation:
                return self
            return LinearRNN.modal(
                weight(self.decay, par, self.a, self.b),
                self.freq,
                self.coef,
                par,
                self.a,
                self.b,
            )
        lam, V = np.linalg.eig(self.W)
        if np.linalg.cond(V) > 1e10:
            raise ValueError(
                "W must be diagonalisable (its eigenvector matrix is numerically singular)"
            )
        g = (self.c @ V)[:, None] * np.linalg.solve(
            V, self.U.astype(complex)
        )
        tol = 1e-9 * max(1.0, np.abs(lam).max())
        decay, freq, coef = [], [], []
        for j in np.flatnonzero(lam.imag >= -tol):
            decay.append(-lam[j].real)
            real = abs(lam[j].imag) <= tol
            freq.append(0.0 if real else lam[j].imag)
            coef.append(g[j].real.astype(complex) if real else g[j])
        decay_arr = np.array(decay)
        return LinearRNN.modal(
            weight(decay_arr, par), np.array(freq), np.array(coef), par
        )

    # ------------------------------------------------------------------ outputs
    def output(
        self, x: ArrayLike, dt: float | None = None, method: str = "auto"
    ) -> np.ndarray:
        r"""The outputs :math:`\hat y_k \approx \hat H_{t_k}(\mathbf x)` for an input sampled on the grid.

        Discrete time: the recurrence :math:`h_{k+1} = W h_k + U x_k`, :math:`\hat y_k = c^\top h_k`
        (``dt`` and ``method`` are not used). Continuous time (``dt`` required):

        * ``"auto"`` (default), ``"recurrence"``, ``"fft"``, ``"lfilter"``, ``"scan"``: the exact
          solution for the zero-order-hold input (:math:`x_t = x_{t_k}` on :math:`[t_k, t_{k+1})`):
          :math:`h_{k+1} = A h_k + B x_k`, :math:`h_0 = 0`, :math:`\hat y_k = c^\top h_k`
          (see :meth:`zoh_matrices`). Strictly causal: :math:`\hat y_k` depends on
          :math:`x_{t_0}, \dots, x_{t_{k-1}}`. The methods compute the same numbers (to
          rounding) in different ways (:func:`dynapprox.evaluation.rnn_output`):
          ``"recurrence"`` is the dense loop, ``"auto"`` the fastest for the length and width
          (:func:`dynapprox.evaluation.choose_method`).
        * ``"convolution"``: the Riemann sum
          :math:`\sum_{j=0}^{k} \hat\rho(s_j)^\top x_{t_{k-j}}\Delta t` of
          :func:`dynapprox.functionals.apply_kernel` (FFT).

        Both converge to :math:`\hat H_{t_k}(\mathbf x)` as :math:`\Delta t \to 0`, and differ
        by :math:`O(\Delta t)` for a Lipschitz input.

        Parameters
        ----------
        x : array_like
            Input, shape ``(n_t, d)`` or ``(batch, n_t, d)``.
        dt : float, optional
            Time step :math:`\Delta t > 0` (continuous time).
        method : str
            ``"auto"``, ``"recurrence"``, ``"fft"``, ``"lfilter"``, ``"scan"`` or ``"convolution"``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_t,)`` or ``(batch, n_t)``.
        """
        xs, single = _check_signal(x, self.d)
        method = check_in(
            "method",
            method,
            (
                "auto",
                "recurrence",
                "fft",
                "lfilter",
                "scan",
                "convolution",
            ),
        )
        if self.dt is not None:
            h = np.zeros((xs.shape[0], self.m))
            y = np.empty(xs.shape[:2])
            for k in range(xs.shape[1]):
                y[:, k] = h @ self.c
                h = h @ self.W.T + xs[:, k] @ self.U.T
            return y[0] if single else y
        if dt is None:
            raise ValueError(
                "dt must be given for a continuous-time RNN (the step of the input grid)"
            )
        dt = check_positive_float("dt", dt)
        if method == "convolution":
            t = dt * np.arange(xs.shape[1])
            y = apply_kernel(self.kernel(t), xs, dt, method="fft")
        else:
            from .evaluation import rnn_output

            y = rnn_output(
                self,
                xs,
                dt,
                method="naive" if method == "recurrence" else method,
            )
        return y[0] if single else y
