"""Tests of dynapprox.architectures.convolution against brute-force products and explicit unfoldings."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg

from dynapprox import architectures as arch
from dynapprox.functionals import apply_kernel


def random_cnn(rng, l=2, ranks=(1, 3, 2, 1)):
    return arch.DilatedCNN(
        [
            rng.normal(size=(ranks[k], l, ranks[k + 1]))
            for k in range(len(ranks) - 1)
        ]
    )


def test_kernel_is_the_product_of_cores_brute_force():
    rng = np.random.default_rng(0)
    for l, ranks in ((2, (1, 3, 2, 1)), (3, (1, 2, 2, 1))):
        net = random_cnn(rng, l, ranks)
        k = net.kernel()
        assert k.shape == (l**3,)
        for j in range(l**3):
            digits = [(j // l**i) % l for i in range(3)]
            prod = np.eye(1)
            for G, i in zip(net.cores, digits, strict=False):
                prod = prod @ G[:, i, :]
            assert k[j] == pytest.approx(prod[0, 0], abs=1e-12)


def test_layers_compute_the_convolution_with_the_kernel():
    rng = np.random.default_rng(1)
    net = random_cnn(rng, 2, (1, 2, 3, 2, 1))
    x = rng.normal(size=(3, 40, 1))
    dt = 0.3
    y = net.apply(x, dt)
    rho = net.kernel()[:, None]
    for b in range(3):
        ref = apply_kernel(rho, x[b], dt, method="direct")
        np.testing.assert_allclose(
            y[b], ref[: x.shape[1]].reshape(y[b].shape), atol=1e-12
        )
    # brute-force double loop on a 1-D input
    x1 = rng.normal(size=25)
    k = net.kernel()
    ref = (
        np.array(
            [
                sum(k[j] * x1[n - j] for j in range(k.size) if n - j >= 0)
                for n in range(25)
            ]
        )
        * dt
    )
    np.testing.assert_allclose(net.apply(x1, dt), ref, atol=1e-12)


def test_tensorise_roundtrip_and_digit_order():
    rho = np.arange(16.0)
    T = arch.tensorise(rho, 2, 4)
    assert T[1, 0, 0, 0] == 1 and T[0, 1, 0, 0] == 2 and T[0, 0, 0, 1] == 8
    np.testing.assert_array_equal(arch.detensorise(T), rho)
    # shorter kernels are padded with zeros
    np.testing.assert_array_equal(
        arch.detensorise(arch.tensorise(rho[:5], 2, 4))[5:], 0
    )


def test_tt_svd_exact_at_full_rank_and_error_bound():
    rng = np.random.default_rng(2)
    T = rng.normal(size=(2,) * 7)
    cores, disc = arch.tt_svd(T, max_rank=64)
    np.testing.assert_allclose(
        arch.DilatedCNN(cores).kernel(), arch.detensorise(T), atol=1e-12
    )
    assert np.all(disc < 1e-12)
    for r in (1, 2, 3):
        cores, disc = arch.tt_svd(T, max_rank=r)
        err = np.linalg.norm(
            arch.DilatedCNN(cores).kernel() - arch.detensorise(T)
        )
        assert err <= np.sqrt(np.sum(disc**2)) * (1 + 1e-10)
        # lower bound by the unfoldings (Eckart-Young)
        lower = max(
            np.sqrt(np.sum(s[r:] ** 2))
            for s in arch.unfolding_singular_values(
                arch.detensorise(T), 2, 7
            )
        )
        assert err >= lower * (1 - 1e-10)
    cores, _ = arch.tt_svd(T, eps=0.5)
    assert (
        np.linalg.norm(
            arch.DilatedCNN(cores).kernel() - arch.detensorise(T)
        )
        <= 0.5
    )


def test_unfolding_singular_values_against_explicit_matrix():
    rng = np.random.default_rng(3)
    rho = rng.normal(size=27)
    svs = arch.unfolding_singular_values(rho, 3, 3)
    # unfolding 1: rows i_1 (lag mod 3), columns (i_2, i_3)
    A1 = np.array(
        [
            [
                rho[i1 + 3 * i2 + 9 * i3]
                for i2 in range(3)
                for i3 in range(3)
            ]
            for i1 in range(3)
        ]
    )
    np.testing.assert_allclose(
        svs[0], linalg.svd(A1, compute_uv=False), atol=1e-12
    )
    A2 = np.array(
        [
            [rho[i1 + 3 * i2 + 9 * i3] for i3 in range(3)]
            for i1 in range(3)
            for i2 in range(3)
        ]
    )
    np.testing.assert_allclose(
        svs[1], linalg.svd(A2, compute_uv=False), atol=1e-12
    )


def test_exponential_kernel_has_tt_rank_one():
    j = np.arange(256)
    rho = np.exp(-j / 30)
    net = arch.fit_dilated_cnn(rho, 2, 8, max_rank=1)
    np.testing.assert_allclose(net.kernel(), rho, atol=1e-12)
    assert (
        net.n_params == 16
        and list(arch.min_tt_ranks(rho, 2, 8, 1e-9)) == [1] * 9
    )


def test_parameter_count_and_receptive_field():
    net = random_cnn(np.random.default_rng(4), 2, (1, 3, 2, 1))
    assert (
        net.n_params == 2 * (3 + 6 + 2)
        and net.receptive_field == 8
        and list(net.ranks) == [1, 3, 2, 1]
    )


def test_cnn_bad_input():
    with pytest.raises(ValueError, match="cores"):
        arch.DilatedCNN([np.ones((2, 2, 1))])
    with pytest.raises(ValueError, match="input channels"):
        arch.DilatedCNN([np.ones((1, 2, 3)), np.ones((2, 2, 1))])
    with pytest.raises(ValueError, match="l"):
        arch.tensorise(np.ones(4), 1, 3)
    with pytest.raises(ValueError, match="receptive field"):
        arch.tensorise(np.ones(9), 2, 3)
    with pytest.raises(ValueError, match="max_rank or eps"):
        arch.tt_svd(np.ones((2, 2)))
    with pytest.raises(TypeError, match="K"):
        arch.fit_dilated_cnn(np.ones(8), 2, 3.0)
    with pytest.raises(ValueError, match="one channel"):
        random_cnn(np.random.default_rng(0)).apply(np.ones((5, 2)))
