"""Tests of dynapprox.control.linear_closed_loop against the pulled-back formula."""

from __future__ import annotations

import numpy as np

from dynapprox import control as ctl


def test_linear_closed_loop_identity_for_orthogonal_layers():
    from scipy.stats import ortho_group

    g = np.random.default_rng(4)
    d, T = 7, 5
    V0, _ = np.linalg.qr(g.standard_normal((d, 3)))
    z = g.standard_normal(d)
    zpar = V0 @ (V0.T @ z)
    th = ortho_group.rvs(d, size=T, random_state=5)
    for c in (0.0, 0.2, 3.0):
        a = c / (1 + c)
        t = np.arange(1, T + 1)
        ident = a ** (2 * t) * np.sum((z - zpar) ** 2) + np.sum(zpar**2)
        err = ctl.linear_closed_loop_sq_errors(th, V0, z, c)
        assert err.shape == (T + 1,) and abs(err[0] - z @ z) < 1e-13
        assert np.allclose(err[1:], ident, rtol=1e-12, atol=0)
        assert np.allclose(
            ctl.linear_closed_loop_bound(th, V0, z, c),
            ident,
            rtol=1e-12,
            atol=0,
        )


def test_linear_closed_loop_matches_pulled_back_formula_and_bound():
    # independent reference: e_t = Theta_t (a^t I + (1-a) sum_s a^s Theta_s^{-1} P_s Theta_s) z
    g = np.random.default_rng(6)
    d, T = 6, 5
    V0, _ = np.linalg.qr(g.standard_normal((d, 2)))
    z = g.standard_normal(d)
    for _trial, c in enumerate((0.0, 0.1, 0.7, 2.0)):
        th = np.eye(d) + 0.2 * g.standard_normal((T, d, d))
        Th = [np.eye(d)]
        for m in th:
            Th.append(m @ Th[-1])
        a = c / (1 + c)
        err = ctl.linear_closed_loop_sq_errors(th, V0, z, c)
        for t in range(1, T + 1):
            G = a**t * np.eye(d)
            for s in range(t):
                Q, _ = np.linalg.qr(Th[s] @ V0)
                G += (
                    (1 - a)
                    * a**s
                    * np.linalg.solve(Th[s], Q @ Q.T @ Th[s])
                )
            e = Th[t] @ G @ z
            assert abs(e @ e - err[t]) < 1e-11 * err[t]
        assert np.all(
            err[1:]
            <= ctl.linear_closed_loop_bound(th, V0, z, c) * (1 + 1e-12)
        )
        if (
            c == 0.0
        ):  # only the in-subspace part survives, carried by the layers
            zpar = V0 @ (V0.T @ z)
            assert np.allclose(
                err[1:],
                [np.sum((Th[t] @ zpar) ** 2) for t in range(1, T + 1)],
                rtol=1e-12,
            )
