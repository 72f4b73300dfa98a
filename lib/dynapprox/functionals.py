r"""Linear functionals given by a memory kernel, and how to recover the kernel.

A kernel :math:`\rho : [0,\infty) \to \R^d` defines the family of functionals

.. math::

    H_t(\mathbf x) = \int_0^\infty \rho(s)^\top x_{t-s}\,\dd s ,

with :math:`x_t = 0` for :math:`t < 0`. On the grid :math:`t_k = k\,\Delta t`
(see :mod:`dynapprox.signals`) it is computed by the causal left Riemann sum

.. math::

    y_k = \sum_{j=0}^{k} \rho(s_j)^\top x_{t_{k-j}}\,\Delta t ,\qquad s_j = j\,\Delta t ,

by :func:`apply_kernel` (FFT or direct). :func:`probe_kernel` inverts this map: the
step response :math:`y_i(t) = H_t(e_i \one_{t \ge 0}) = \int_0^t \rho_i(s)\,\dd s`
has derivative :math:`\rho_i`, so differencing step responses recovers
:math:`\rho` from a black-box functional.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy import fft as _fft

from ._validation import (
    check_callable,
    check_in,
    check_positive_float,
    check_positive_int,
    check_real_array,
)
from .signals import step

__all__ = ["apply_kernel", "probe_kernel"]


def _as_kernel_and_signal(
    rho_vals: ArrayLike, x: ArrayLike
) -> tuple[np.ndarray, np.ndarray, bool]:
    rho = check_real_array("rho_vals", rho_vals, ndim=(1, 2))
    if rho.ndim == 1:
        rho = rho[:, None]
    xs = check_real_array("x", x, ndim=(2, 3))
    single = xs.ndim == 2
    if single:
        xs = xs[None]
    if xs.shape[2] != rho.shape[1]:
        raise ValueError(
            f"x must have d = {rho.shape[1]} channels (last axis) to match rho_vals of shape {rho.shape}, "
            f"got x of shape {np.shape(x)}"
        )
    return rho, xs, single


def apply_kernel(
    rho_vals: ArrayLike, x: ArrayLike, dt: float, method: str = "fft"
) -> np.ndarray:
    r"""Outputs :math:`y_k = \sum_{j=0}^{k} \rho(s_j)^\top x_{t_{k-j}}\,\Delta t` of the kernel functional.

    A causal left Riemann sum of :math:`H_{t_k}(\mathbf x) = \int_0^\infty \rho(s)^\top x_{t_k-s}\,\dd s`
    with :math:`x = 0` before :math:`t = 0`; kernel samples beyond ``len(rho_vals)``
    are taken as zero.

    Parameters
    ----------
    rho_vals : array_like
        Kernel samples :math:`\rho(s_j)`, shape ``(n_rho, d)`` (or ``(n_rho,)`` for ``d = 1``).
    x : array_like
        Input, shape ``(n_t, d)`` or a batch ``(batch, n_t, d)``.
    dt : float
        Time step :math:`\Delta t > 0`.
    method : str
        ``"fft"`` (zero-padded real FFT, :math:`O(n \log n)`) or ``"direct"``
        (``numpy.convolve`` channel by channel); they agree to rounding.

    Returns
    -------
    numpy.ndarray
        :math:`y`, shape ``(n_t,)`` or ``(batch, n_t)``.

    Used in
    -------
    :doc:`/chapters/07_sequence_modelling`, :doc:`/chapters/08_riesz_density`, :doc:`/chapters/10_curse_of_memory`
    """
    rho, xs, single = _as_kernel_and_signal(rho_vals, x)
    dt = check_positive_float("dt", dt)
    method = check_in("method", method, ("fft", "direct"))
    batch, n_t, d = xs.shape
    n_r = min(rho.shape[0], n_t)
    rho = rho[:n_r]
    if method == "fft":
        n = _fft.next_fast_len(n_t + n_r - 1, real=True)
        X = _fft.rfft(xs, n=n, axis=1)
        R = _fft.rfft(rho, n=n, axis=0)
        y = _fft.irfft(np.einsum("bfd,fd->bf", X, R), n=n, axis=1)[:, :n_t]
    else:
        y = np.zeros((batch, n_t))
        for b in range(batch):
            for i in range(d):
                y[b] += np.convolve(xs[b, :, i], rho[:, i])[:n_t]
    y = y * dt
    return y[0] if single else y


def probe_kernel(
    functional: Callable[[np.ndarray], np.ndarray],
    n_t: int,
    d: int,
    dt: float,
) -> np.ndarray:
    r"""Recover the kernel of a black-box causal linear functional from its step responses.

    For each channel ``i`` the step :math:`e_i \one_{t \ge 0}` (:func:`dynapprox.signals.step`)
    is fed to ``functional``; the response :math:`y_i(t_k)` is differenced,

    .. math::

        \hat\rho_i(t_k) = \frac{y_i(t_k) - y_i(t_{k-1})}{\Delta t}, \qquad y_i(t_{-1}) = 0 .

    For the Riemann-sum functional of :func:`apply_kernel` this recovers the samples
    :math:`\rho(s_k)` exactly (to rounding). For a continuous-time system whose output
    is exact at the grid points, :math:`y_i(t_k) = \int_0^{t_k}\rho_i`, it returns the
    cell averages of :math:`\rho_i` over :math:`[t_{k-1}, t_k]` (and 0 at :math:`k = 0`),
    an :math:`O(\Delta t)` approximation of :math:`\rho_i(t_k)`.

    Parameters
    ----------
    functional : callable
        Maps an input of shape ``(n_t, d)`` to the outputs :math:`y_k`, shape ``(n_t,)``.
    n_t : int
        Number of time steps of the probes.
    d : int
        Number of input channels.
    dt : float
        Time step :math:`\Delta t > 0`.

    Returns
    -------
    numpy.ndarray
        :math:`\hat\rho(t_k)`, shape ``(n_t, d)``.

    Used in
    -------
    :doc:`/chapters/08_riesz_density`
    """
    functional = check_callable("functional", functional)
    n_t = check_positive_int("n_t", n_t)
    d = check_positive_int("d", d)
    dt = check_positive_float("dt", dt)
    rho = np.empty((n_t, d))
    for i in range(d):
        y = np.asarray(functional(step(n_t, d, i)), dtype=float)
        if y.shape != (n_t,):
            raise ValueError(
                f"functional must return outputs of shape ({n_t},) for an input of shape ({n_t}, {d}), got {y.shape}"
            )
        rho[:, i] = np.diff(y, prepend=0.0) / dt
    return rho
