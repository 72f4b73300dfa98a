"""Benchmark of the memory chapters: constructive vs trained width-m RNNs, and FFT vs recurrence.

Prints one table with two parts.

1. For three kernels with exponentially decaying memory, the ratio
   ``L1 error / sigma_{m+1}`` (sigma = Hankel singular values, a lower bound for every
   width-m RNN) for m = 2..12: for the ERA (Ho-Kalman) realisation, for the same
   realisation with L1-optimal coefficients (``memory.refine_l1``), for the package's
   constructive approximant ``realization.l1_fit`` (ERA start, poles and residues
   refined in L1), and for a linear RNN of the same width trained by Adam on the kernel
   loss for a fixed budget (goal for the constructive approximant: <= 10).
2. The time to evaluate a width-64 linear RNN on an input of length 8192 by the
   sequential zero-order-hold recurrence and by FFT convolution with the same
   discrete kernel (goal: FFT >= 20x faster, outputs equal to 1e-6 relative).

Usage: python scripts/bench_memory.py [--steps N]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import dynapprox  # noqa: E402
from dynapprox import memory as mem  # noqa: E402
from dynapprox import realization  # noqa: E402
from dynapprox.functionals import apply_kernel  # noqa: E402
from dynapprox.linear_rnn import LinearRNN  # noqa: E402

DT, T = 0.1, 50.0
MS = list(range(2, 13))
KERNELS = {
    "exp(-t)/(1+t)": dict(decay=1.0, scale=1.0, power=1.0),
    "exp(-t/2)cos(2t)/(1+0.3t)": dict(decay=0.5, freq=2.0, scale=0.3, power=1.0),
    "exp(-t/2)/sqrt(1+t)": dict(decay=0.5, scale=1.0, power=0.5),
}


def ratios(steps: int) -> None:
    t = DT * np.arange(int(round(T / DT)))
    print(f"Part 1: L1 error / sigma_(m+1) (dt = {DT}, horizon {T}); trained: Adam, {steps} steps, lr 1e-2, seed 0")
    header = "kernel                      method   " + " ".join(f"m={m:<5d}" for m in MS)
    print(header)
    print("-" * len(header))
    for name, kw in KERNELS.items():
        rho = mem.exp_power_kernel(t, **kw)
        sv = realization.hankel_singular_values(rho, DT)
        era_row, ref_row, fit_row, tr_row = [], [], [], []
        for m in MS:
            try:
                f = realization.era_fit(rho, DT, m)
                era_row.append(realization.l1_distance(rho, f.kernel(t)[:, 0], DT) / sv[m])
                refined = mem.refine_l1(mem.modal_form(f.W, f.U, f.c), rho, DT)
                ref_row.append(realization.l1_distance(rho, refined.kernel(t)[:, 0], DT) / sv[m])
                fit = realization.l1_fit(rho, DT, m)
                fit_row.append(realization.l1_distance(rho, fit.kernel(t)[:, 0], DT) / sv[m])
            except ValueError:
                era_row.append(np.nan)
                ref_row.append(np.nan)
                fit_row.append(np.nan)
            par = "complex" if m % 2 == 0 else "diag"
            try:
                rnn, _ = realization.train_linear_rnn(rho, DT, m, steps=steps, lr=1e-2, seed=0, parameterisation=par)
                tr_row.append(realization.l1_distance(rho, rnn.kernel(t)[:, 0], DT) / sv[m])
            except ValueError:
                tr_row.append(np.nan)
        print(f"{name:27s} ERA      " + " ".join(f"{r:<7.3g}" for r in era_row))
        print(f"{'':27s} ERA+LP   " + " ".join(f"{r:<7.3g}" for r in ref_row))
        print(f"{'':27s} l1_fit   " + " ".join(f"{r:<7.3g}" for r in fit_row))
        print(f"{'':27s} trained  " + " ".join(f"{r:<7.3g}" for r in tr_row))
        worst, worst_ref, worst_fit = np.nanmax(era_row), np.nanmax(ref_row), np.nanmax(fit_row)
        print(f"{'':27s} worst ratio: ERA {worst:.2f}, ERA+LP {worst_ref:.2f}, l1_fit {worst_fit:.2f} "
              f"(goal <= 10 for the constructive l1_fit: {'met' if worst_fit <= 10 else 'missed'})")
    print("(ERA+LP: ERA eigenvalues, L1-optimal coefficients by a linear programme, dynapprox.memory.refine_l1;")
    print(" l1_fit: ERA start, stable poles and residues refined by IRLS variable projection + LP,")
    print(" dynapprox.realization.l1_fit; trained: complex pairs for even m, real diagonal for odd m)")


def zoh_kernel(rnn: LinearRNN, n_t: int, dt: float) -> np.ndarray:
    """g_j = int_{t_{j-1}}^{t_j} rhohat(s) ds (g_0 = 0), vectorised by the eigen-decomposition of W.

    Conjugate eigenvalues give conjugate terms, so only Im(lambda) >= 0 is evaluated (twice the
    real part for the complex ones): half the exponentials.
    """
    lam, V = np.linalg.eig(rnn.W)
    left = rnn.c @ V
    right = np.linalg.solve(V, rnn.U.astype(complex))
    keep = lam.imag >= 0
    weight = np.where(lam[keep].imag > 0, 2.0, 1.0)
    lam_k = lam[keep]
    resid = (left[keep] * weight)[:, None] * right[keep]
    # E[j] = z^j with z = exp(lambda dt), by doubling: E[k:2k] = E[:k] z^k (log2(n_t) products)
    E = np.empty((n_t, lam_k.size), dtype=complex)
    E[0] = 1.0
    zk, k = np.exp(lam_k * dt), 1
    while k < n_t:
        E[k : 2 * k] = E[: min(k, n_t - k)] * zk
        zk, k = zk * zk, 2 * k
    # g_j = sum_k resid_k (z_k^j - z_k^(j-1)) / lambda_k: one product, then a difference
    P = (E @ (resid / lam_k[:, None])).real  # a BLAS product (einsum would not use BLAS here)
    g = np.zeros_like(P)
    g[1:] = P[1:] - P[:-1]
    return g


def timing(repeats: int = 7) -> None:
    rng = np.random.default_rng(0)
    n_t, m, dt = 8192, 64, 0.05
    n = m // 2
    decay = rng.uniform(0.05, 2.0, n)
    freq = rng.uniform(0.0, 3.0, n)
    coef = (rng.standard_normal(n) + 1j * rng.standard_normal(n))[:, None]
    W, U, c = mem.ModalRNN(decay, freq, coef).to_real()
    rnn = LinearRNN(W, U, c)
    x = rng.standard_normal((n_t, 1))

    def best(fn):
        times = []
        for _ in range(repeats):
            s = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - s)
        return min(times), out

    t_rec, y_rec = best(lambda: rnn.output(x, dt, method="recurrence"))
    t_fft, y_fft = best(lambda: apply_kernel(zoh_kernel(rnn, n_t, dt) / dt, x, dt, method="fft"))
    g = zoh_kernel(rnn, n_t, dt) / dt
    t_conv, _ = best(lambda: apply_kernel(g, x, dt, method="fft"))
    rel = np.max(np.abs(y_rec - y_fft)) / np.max(np.abs(y_rec))
    print()
    print(f"Part 2: width-{m} linear RNN, input length {n_t} (best of {repeats})")
    print(f"  sequential ZOH recurrence : {1e3 * t_rec:8.1f} ms")
    print(f"  FFT convolution (same discrete kernel, kernel evaluation included): {1e3 * t_fft:8.1f} ms")
    print(f"  FFT convolution alone (kernel computed once, as for a trained model): {1e3 * t_conv:8.1f} ms")
    print(f"  speed-up {t_rec / t_fft:.1f}x with the kernel evaluation, {t_rec / t_conv:.1f}x without "
          f"(goal >= 20x: {'met' if t_rec / t_fft >= 20 else 'missed'} / {'met' if t_rec / t_conv >= 20 else 'missed'})")
    print(f"  max relative difference of the outputs {rel:.1e} ({'meets' if rel <= 1e-6 else 'misses'} the goal <= 1e-6)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500, help="Adam steps of the trained RNNs")
    parser.add_argument("--timing-only", action="store_true", help="run part 2 only")
    args = parser.parse_args()
    dynapprox.seed_everything(0)
    if not args.timing_only:
        ratios(args.steps)
    timing()


if __name__ == "__main__":
    main()
