r"""Input signals on a uniform time grid.

Conventions of the sequence chapters (shared by :mod:`dynapprox.functionals`,
:mod:`dynapprox.linear_rnn` and :mod:`dynapprox.realization`):

* time is sampled on the grid :math:`t_k = k\,\Delta t`, ``k = 0, ..., n_t - 1``;
* a signal with ``d`` channels is an array of shape ``(n_t, d)``, a batch of
  signals an array of shape ``(batch, n_t, d)``; row ``k`` is :math:`x_{t_k}`;
* inputs vanish before :math:`t = 0` (the functionals of chapter
  "Sequence modelling as approximation of functionals" see :math:`x_t = 0` for :math:`t < 0`);
* arrays are ``numpy.float64``; random signals take a ``seed``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import (
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
)
from .reproducibility import rng as _rng

__all__ = [
    "time_grid",
    "step",
    "impulse",
    "smooth_random",
    "piecewise_constant",
    "white_noise",
]


def time_grid(T: float, dt: float) -> np.ndarray:
    r"""The grid :math:`t_k = k\,\Delta t`, ``k = 0, ..., n_t - 1``, covering :math:`[0, T)`.

    Parameters
    ----------
    T : float
        Horizon, positive (same unit of time as ``dt``).
    dt : float
        Time step, positive, at most ``T``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_t,)`` with :math:`n_t = \mathrm{round}(T / \Delta t)`.

    Used in
    -------
    :doc:`/chapters/07_sequence_modelling`, :doc:`/chapters/08_riesz_density`
    """
    T = check_positive_float("T", T)
    dt = check_positive_float("dt", dt)
    if dt > T:
        raise ValueError(f"dt must be at most T, got dt = {dt} > T = {T}")
    n_t = int(round(T / dt))
    return dt * np.arange(n_t, dtype=float)


def _check_channel(n_t: Any, d: Any, i: Any) -> tuple[int, int, int]:
    n_t = check_positive_int("n_t", n_t)
    d = check_positive_int("d", d)
    i = check_nonnegative_int("i", i)
    if i >= d:
        raise ValueError(
            f"i must be a channel index in 0..d-1 = 0..{d - 1}, got {i}"
        )
    return n_t, d, i


def step(n_t: int, d: int, i: int) -> np.ndarray:
    r"""The step input :math:`\mathbf e_{i,t} = e_i \one_{t \ge 0}` sampled on the grid.

    Parameters
    ----------
    n_t : int
        Number of time steps.
    d : int
        Number of input channels.
    i : int
        Channel of the step, ``0 <= i < d``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_t, d)``: ones in column ``i``, zeros elsewhere.

    Used in
    -------
    Used by :func:`dynapprox.functionals.probe_kernel` (in :doc:`/chapters/08_riesz_density`).
    """
    n_t, d, i = _check_channel(n_t, d, i)
    x = np.zeros((n_t, d))
    x[:, i] = 1.0
    return x


def impulse(n_t: int, d: int, i: int, dt: float) -> np.ndarray:
    r"""A discrete Dirac impulse :math:`e_i \delta_0`: height :math:`1/\Delta t` at :math:`t_0 = 0`.

    Its Riemann sum :math:`\sum_k x_{t_k} \Delta t` is :math:`e_i`, so a functional
    :math:`\sum_j \rho(s_j)^\top x_{t_k - s_j} \Delta t` maps it to :math:`\rho_i(t_k)`.

    Parameters
    ----------
    n_t : int
        Number of time steps.
    d : int
        Number of input channels.
    i : int
        Channel of the impulse, ``0 <= i < d``.
    dt : float
        Time step, positive.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_t, d)``.

    Used in
    -------
    No chapter calls it: the discrete impulse that :func:`dynapprox.functionals.apply_kernel` maps
    to the kernel samples (:doc:`/chapters/08_riesz_density` recovers kernels from step responses
    instead).
    """
    n_t, d, i = _check_channel(n_t, d, i)
    dt = check_positive_float("dt", dt)
    x = np.zeros((n_t, d))
    x[0, i] = 1.0 / dt
    return x


def smooth_random(
    n_t: int, d: int, dt: float, seed: Any, corr_time: float = 1.0
) -> np.ndarray:
    r"""A smooth random signal: white noise filtered by a Gaussian of width ``corr_time``.

    :math:`x = (g * \xi) / \mathrm{rms}` channel by channel, where :math:`\xi` is i.i.d.
    standard normal on the grid and :math:`g(t) \propto e^{-t^2 / (2\,\tau^2)}` with
    :math:`\tau` = ``corr_time``; each channel is scaled to unit root-mean-square.
    The filter is applied circularly on a grid padded by :math:`8\tau`, then cropped,
    so the signal is stationary on :math:`[0, n_t \Delta t)`.

    Parameters
    ----------
    n_t : int
        Number of time steps.
    d : int
        Number of channels.
    dt : float
        Time step, positive.
    seed : int or numpy.random.Generator
        Source of randomness.
    corr_time : float
        Correlation time :math:`\tau > 0` (same unit as ``dt``).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_t, d)``, each column with unit root-mean-square.

    Used in
    -------
    :doc:`/chapters/07_sequence_modelling`, :doc:`/chapters/08_riesz_density`
    """
    n_t = check_positive_int("n_t", n_t)
    d = check_positive_int("d", d)
    dt = check_positive_float("dt", dt)
    tau = check_positive_float("corr_time", corr_time)
    gen = _rng(seed)
    pad = int(np.ceil(8 * tau / dt))
    n = n_t + 2 * pad
    xi = gen.standard_normal((n, d))
    s = dt * (np.arange(n) - n // 2)
    g = np.exp(-0.5 * (s / tau) ** 2)
    g = np.fft.ifftshift(g)
    x = np.fft.irfft(
        np.fft.rfft(xi, axis=0) * np.fft.rfft(g)[:, None], n=n, axis=0
    )[pad : pad + n_t]
    rms = np.sqrt(np.mean(x**2, axis=0, keepdims=True))
    return x / rms


def piecewise_constant(
    n_t: int, d: int, dt: float, seed: Any, hold: float = 1.0
) -> np.ndarray:
    r"""A random piecewise-constant signal with values uniform in :math:`[-1, 1]`.

    The value of each channel is redrawn every ``hold`` units of time
    (every :math:`\max(1, \mathrm{round}(\mathrm{hold}/\Delta t))` steps).

    Parameters
    ----------
    n_t : int
        Number of time steps.
    d : int
        Number of channels.
    dt : float
        Time step, positive.
    seed : int or numpy.random.Generator
        Source of randomness.
    hold : float
        Holding time, positive.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_t, d)``, entries in :math:`[-1, 1]`.

    Used in
    -------
    :doc:`/chapters/07_sequence_modelling`, :doc:`/chapters/08_riesz_density`
    """
    n_t = check_positive_int("n_t", n_t)
    d = check_positive_int("d", d)
    dt = check_positive_float("dt", dt)
    hold = check_positive_float("hold", hold)
    gen = _rng(seed)
    k = max(1, int(round(hold / dt)))
    n_blocks = -(-n_t // k)
    vals = gen.uniform(-1.0, 1.0, size=(n_blocks, d))
    return np.repeat(vals, k, axis=0)[:n_t]


def white_noise(n_t: int, d: int, dt: float, seed: Any) -> np.ndarray:
    r"""Discretised white noise: i.i.d. :math:`\mathcal N(0, 1/\Delta t)` samples.

    The scaling makes :math:`\sum_{k < n} x_{t_k} \Delta t` a Brownian motion sampled at
    :math:`t_n` (variance :math:`t_n`), independently of the step.

    Parameters
    ----------
    n_t : int
        Number of time steps.
    d : int
        Number of channels.
    dt : float
        Time step, positive.
    seed : int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_t, d)``.

    Used in
    -------
    No chapter calls it: white-noise inputs, for which the expected squared output error is the
    kernel loss of :mod:`dynapprox.training` (:doc:`/chapters/10_curse_of_memory`).
    """
    n_t = check_positive_int("n_t", n_t)
    d = check_positive_int("d", d)
    dt = check_positive_float("dt", dt)
    gen = _rng(seed)
    return gen.standard_normal((n_t, d)) / np.sqrt(dt)
