"""Tests of dynapprox.architectures.encoder_decoder against expm, quadrature and the SVD."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg

from dynapprox import architectures as arch


def _stable(rng, m):
    A = rng.normal(size=(m, m)) / np.sqrt(m)
    return A - (np.max(np.linalg.eigvals(A).real) + 0.5) * np.eye(m)


def test_encoder_decoder_kernel_against_expm_and_rank():
    rng = np.random.default_rng(5)
    W, V = _stable(rng, 4), _stable(rng, 3)
    U, Q, P, c = (
        rng.normal(size=(4, 1)),
        rng.normal(size=(2, 4)),
        rng.normal(size=(3, 2)),
        rng.normal(size=3),
    )
    ed = arch.RecurrentEncoderDecoder(W, U, Q, P, V, c)
    t = np.linspace(0, 3, 7)
    s = np.linspace(0, 2, 5)
    K = ed.kernel(t, s)
    for i, ti in enumerate(t):
        for j, sj in enumerate(s):
            ref = (
                c
                @ linalg.expm(V * ti)
                @ P
                @ Q
                @ linalg.expm(W * sj)
                @ U[:, 0]
            )
            assert K[i, j] == pytest.approx(ref, abs=1e-10)
    assert (
        np.linalg.matrix_rank(
            ed.kernel(np.linspace(0, 5, 30), np.linspace(0, 5, 30)),
            tol=1e-10,
        )
        <= 2
    )
    # the truncated model keeps the first coding channel only
    K1 = ed.truncate(1).kernel(t, s)
    np.testing.assert_allclose(
        K1,
        np.outer(ed.decoder_modes(t)[:, 0], ed.encoder_modes(s)[:, 0]),
        atol=1e-12,
    )


def test_encoder_decoder_output_is_the_quadrature_of_the_kernel():
    rng = np.random.default_rng(6)
    ed = arch.RecurrentEncoderDecoder(
        _stable(rng, 3),
        rng.normal(size=3),
        rng.normal(size=(2, 3)),
        rng.normal(size=(2, 2)),
        _stable(rng, 2),
        rng.normal(size=2),
    )
    dt = 0.1
    x = rng.normal(size=(4, 50))
    tout = np.array([0.0, 0.5, 1.0])
    y = ed.output(x, dt, tout)
    ref = (
        np.einsum("ts,bs->bt", ed.kernel(tout, dt * np.arange(50)), x) * dt
    )
    np.testing.assert_allclose(y, ref, atol=1e-12)


def test_pod_against_svd_and_tail():
    rng = np.random.default_rng(7)
    dt = 0.2
    R = rng.normal(size=(30, 30))
    sigma, phi, psi = arch.pod(R, dt)
    np.testing.assert_allclose(
        sigma, linalg.svd(R, compute_uv=False) * dt, atol=1e-12
    )
    np.testing.assert_allclose(phi.T @ phi * dt, np.eye(30), atol=1e-10)
    np.testing.assert_allclose(
        arch.modal_kernel(sigma, phi, psi), R, atol=1e-10
    )
    assert arch.pod_tail(sigma, 0) == pytest.approx(
        np.sqrt(np.sum(R**2)) * dt
    )
    assert arch.pod_tail([3.0, 4.0], 1) == pytest.approx(
        3.0
    )  # sorted: the largest is kept
    assert arch.pod_tail([3.0, 4.0], 2) == 0.0


def test_fit_encoder_decoder_reaches_the_pod_tail():
    dt, n = 0.1, 200
    t = dt * np.arange(n)
    phi = np.linalg.qr(
        np.array(
            [np.exp(-t), np.exp(-2 * t), np.exp(-0.5 * t) * np.cos(t)]
        ).T
        * np.sqrt(dt)
    )[0] / np.sqrt(dt)
    psi = np.linalg.qr(
        np.array([np.exp(-0.7 * t), np.exp(-1.5 * t), np.exp(-3 * t)]).T
        * np.sqrt(dt)
    )[0] / np.sqrt(dt)
    sigma = np.array([1.0, 0.3, 0.05])
    R = arch.modal_kernel(sigma, phi, psi)
    ed = arch.fit_encoder_decoder(R, dt, N=3, m_enc=3, m_dec=4, size=30)
    for N in (1, 2, 3):
        err = np.sqrt(np.sum((R - ed.truncate(N).kernel(t, t)) ** 2)) * dt
        assert err == pytest.approx(arch.pod_tail(sigma, N), abs=1e-7)


def test_encoder_decoder_bad_input():
    rng = np.random.default_rng(8)
    with pytest.raises(ValueError, match="W must be Hurwitz"):
        arch.RecurrentEncoderDecoder(
            np.eye(2),
            np.ones(2),
            np.ones((1, 2)),
            np.ones((2, 1)),
            -np.eye(2),
            np.ones(2),
        )
    with pytest.raises(ValueError, match="P must have shape"):
        arch.RecurrentEncoderDecoder(
            -np.eye(2),
            np.ones(2),
            np.ones((1, 2)),
            np.ones((2, 2)),
            -np.eye(2),
            np.ones(2),
        )
    ed = arch.RecurrentEncoderDecoder(
        -np.eye(2),
        np.ones(2),
        np.ones((1, 2)),
        np.ones((2, 1)),
        -np.eye(2),
        np.ones(2),
    )
    with pytest.raises(ValueError, match="N must be at most"):
        ed.truncate(2)
    with pytest.raises(ValueError, match="sigma"):
        arch.pod_tail([-1.0], 0)
    with pytest.raises(ValueError, match="N must be at most"):
        arch.fit_encoder_decoder(
            rng.normal(size=(5, 5)), 0.1, N=6, m_enc=2, m_dec=2
        )
