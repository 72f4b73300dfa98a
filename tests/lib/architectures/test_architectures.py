"""Unit tests of dynapprox.architectures against independent references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg

from dynapprox import architectures as arch
from dynapprox.functionals import apply_kernel


def random_cnn(rng, l=2, ranks=(1, 3, 2, 1)):
    return arch.DilatedCNN(
        [rng.normal(size=(ranks[k], l, ranks[k + 1])) for k in range(len(ranks) - 1)]
    )


# ---------------------------------------------------------------- dilated CNN / tensor trains


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
        err = np.linalg.norm(arch.DilatedCNN(cores).kernel() - arch.detensorise(T))
        assert err <= np.sqrt(np.sum(disc**2)) * (1 + 1e-10)
        # lower bound by the unfoldings (Eckart-Young)
        lower = max(
            np.sqrt(np.sum(s[r:] ** 2))
            for s in arch.unfolding_singular_values(arch.detensorise(T), 2, 7)
        )
        assert err >= lower * (1 - 1e-10)
    cores, _ = arch.tt_svd(T, eps=0.5)
    assert np.linalg.norm(arch.DilatedCNN(cores).kernel() - arch.detensorise(T)) <= 0.5


def test_unfolding_singular_values_against_explicit_matrix():
    rng = np.random.default_rng(3)
    rho = rng.normal(size=27)
    svs = arch.unfolding_singular_values(rho, 3, 3)
    # unfolding 1: rows i_1 (lag mod 3), columns (i_2, i_3)
    A1 = np.array(
        [
            [rho[i1 + 3 * i2 + 9 * i3] for i2 in range(3) for i3 in range(3)]
            for i1 in range(3)
        ]
    )
    np.testing.assert_allclose(svs[0], linalg.svd(A1, compute_uv=False), atol=1e-12)
    A2 = np.array(
        [
            [rho[i1 + 3 * i2 + 9 * i3] for i3 in range(3)]
            for i1 in range(3)
            for i2 in range(3)
        ]
    )
    np.testing.assert_allclose(svs[1], linalg.svd(A2, compute_uv=False), atol=1e-12)


def test_exponential_kernel_has_tt_rank_one():
    j = np.arange(256)
    rho = np.exp(-j / 30)
    net = arch.fit_dilated_cnn(rho, 2, 8, max_rank=1)
    np.testing.assert_allclose(net.kernel(), rho, atol=1e-12)
    assert net.n_params == 16 and list(arch.min_tt_ranks(rho, 2, 8, 1e-9)) == [1] * 9


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


# ---------------------------------------------------------------- encoder-decoder


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
            ref = c @ linalg.expm(V * ti) @ P @ Q @ linalg.expm(W * sj) @ U[:, 0]
            assert K[i, j] == pytest.approx(ref, abs=1e-10)
    assert (
        np.linalg.matrix_rank(
            ed.kernel(np.linspace(0, 5, 30), np.linspace(0, 5, 30)), tol=1e-10
        )
        <= 2
    )
    # the truncated model keeps the first coding channel only
    K1 = ed.truncate(1).kernel(t, s)
    np.testing.assert_allclose(
        K1, np.outer(ed.decoder_modes(t)[:, 0], ed.encoder_modes(s)[:, 0]), atol=1e-12
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
    ref = np.einsum("ts,bs->bt", ed.kernel(tout, dt * np.arange(50)), x) * dt
    np.testing.assert_allclose(y, ref, atol=1e-12)


def test_pod_against_svd_and_tail():
    rng = np.random.default_rng(7)
    dt = 0.2
    R = rng.normal(size=(30, 30))
    sigma, phi, psi = arch.pod(R, dt)
    np.testing.assert_allclose(sigma, linalg.svd(R, compute_uv=False) * dt, atol=1e-12)
    np.testing.assert_allclose(phi.T @ phi * dt, np.eye(30), atol=1e-10)
    np.testing.assert_allclose(arch.modal_kernel(sigma, phi, psi), R, atol=1e-10)
    assert arch.pod_tail(sigma, 0) == pytest.approx(np.sqrt(np.sum(R**2)) * dt)
    assert arch.pod_tail([3.0, 4.0], 1) == pytest.approx(
        3.0
    )  # sorted: the largest is kept
    assert arch.pod_tail([3.0, 4.0], 2) == 0.0


def test_fit_encoder_decoder_reaches_the_pod_tail():
    dt, n = 0.1, 200
    t = dt * np.arange(n)
    phi = np.linalg.qr(
        np.array([np.exp(-t), np.exp(-2 * t), np.exp(-0.5 * t) * np.cos(t)]).T
        * np.sqrt(dt)
    )[0] / np.sqrt(dt)
    psi = np.linalg.qr(
        np.array([np.exp(-0.7 * t), np.exp(-1.5 * t), np.exp(-3 * t)]).T * np.sqrt(dt)
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
        -np.eye(2), np.ones(2), np.ones((1, 2)), np.ones((2, 1)), -np.eye(2), np.ones(2)
    )
    with pytest.raises(ValueError, match="N must be at most"):
        ed.truncate(2)
    with pytest.raises(ValueError, match="sigma"):
        arch.pod_tail([-1.0], 0)
    with pytest.raises(ValueError, match="N must be at most"):
        arch.fit_encoder_decoder(rng.normal(size=(5, 5)), 0.1, N=6, m_enc=2, m_dec=2)


# ---------------------------------------------------------------- attention versus recurrence (Table 2)


def test_exp_kernel_swap_and_mixing_matrices_against_brute_force():
    L = 9
    K = arch.exp_kernel_matrix(L, rate=0.7)
    x = np.random.default_rng(0).uniform(size=L)
    y = np.array(
        [sum(np.exp(-0.7 * s) * x[t - s] for s in range(t + 1)) for t in range(L)]
    )
    np.testing.assert_allclose(K @ x, y, atol=1e-14)
    perm = arch.swap_permutation(L, 3)
    np.testing.assert_array_equal(perm, [6, 7, 8, 3, 4, 5, 0, 1, 2])
    theta = np.array([0.5, -0.2, 0.3])
    for delay in (0, 2):
        M = arch.mixing_matrix(theta, L, delay=delay)
        ref = [
            sum(theta[j] * x[t + j - delay] for j in range(3) if 0 <= t + j - delay < L)
            for t in range(L)
        ]
        np.testing.assert_allclose(M @ x, ref, atol=1e-14)
    # the delayed (causal) mixing is lower triangular; the printed one reads the future
    assert np.allclose(np.triu(arch.mixing_matrix(theta, L, delay=2), 1), 0)
    assert not np.allclose(np.triu(arch.mixing_matrix(theta, L, delay=0), 1), 0)
    th = arch.random_filter(5, seed=3)
    assert th.shape == (5,) and abs(np.sum(np.abs(th)) - 1) < 1e-15
    np.testing.assert_array_equal(th, arch.random_filter(5, seed=3))
    with pytest.raises(ValueError, match="k must be at most"):
        arch.swap_permutation(5, 3)
    with pytest.raises(ValueError, match="delay"):
        arch.mixing_matrix(theta, 4, delay=4)


def test_seq2seq_dataset_seen_weights_and_causal_floor():
    L = 6
    K = arch.exp_kernel_matrix(L)
    perm = arch.swap_permutation(L, 2)
    X, y = arch.seq2seq_dataset(4000, K, seed=1, permutation=perm)
    X0, y0 = arch.seq2seq_dataset(4000, K, seed=1)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(X[:, :, 0], X0[:, perm, 0])
    assert X.min() >= 0 and X.max() <= 1
    W = arch.seen_weights(K, perm)
    np.testing.assert_allclose(X[:, :, 0] @ W.T, y, atol=1e-13)
    # the floor is the variance left by the best causal predictor: regress each y_t on the shown
    # inputs up to t (the best linear causal model; inputs are independent, so nonlinear ones do no better)
    floor = arch.causal_floor(W)
    resid = []
    for t in range(L):
        A = np.c_[np.ones(len(X)), X[:, : t + 1, 0]]
        coef, *_ = np.linalg.lstsq(A, y[:, t], rcond=None)
        resid.append(np.mean((y[:, t] - A @ coef) ** 2))
    assert np.mean(resid) == pytest.approx(floor, rel=0.08)
    assert arch.causal_floor(K) == 0.0
    with pytest.raises(ValueError, match="square"):
        arch.seq2seq_dataset(3, np.ones((2, 3)), seed=0)
    with pytest.raises(ValueError, match="permutation"):
        arch.seen_weights(K, [0, 0, 1, 2, 3, 4])


def test_linear_rnn_seq_matches_explicit_recurrence_and_trains():
    torch = pytest.importorskip("torch")
    rnn = arch.LinearRNNSeq(m=3, seed=0)
    X, y = arch.seq2seq_dataset(8, arch.exp_kernel_matrix(6), seed=2)
    A, B, c = (p.detach().numpy() for p in (rnn.module.A, rnn.module.B, rnn.module.c))
    ref = np.zeros((8, 6))
    for i, x in enumerate(X[:, :, 0]):
        h = np.zeros(3)
        for t, xt in enumerate(x):
            h = A @ h + B * xt
            ref[i, t] = c @ h
    with torch.no_grad():
        np.testing.assert_allclose(rnn.module(torch.tensor(X)).numpy(), ref, atol=1e-12)
    assert rnn.n_params == sum(p.numel() for p in rnn.module.parameters())
    X, y = arch.seq2seq_dataset(512, arch.exp_kernel_matrix(6), seed=3)
    res = arch.train_regressor(rnn, X, y, steps=200, lr=2e-2, batch=64, seed=0)
    assert res["test"] < 1e-3 * np.var(y)
    with pytest.raises(ValueError, match="same number of samples"):
        arch.train_regressor(rnn, X, y[:10], steps=1, lr=1e-2, batch=4, seed=0)
    with pytest.raises(TypeError, match="module"):
        arch.train_regressor(object(), X, y, steps=1, lr=1e-2, batch=4, seed=0)


def test_transformer_forward_against_numpy_and_exact_relabelling():
    torch = pytest.importorskip("torch")
    L = 6
    tr = arch.TinyTransformer(
        L, n=5, m_h=3, m_v=2, ff_width=4, ff_depth=1, seed=0, d_e=3
    )
    X, y = arch.seq2seq_dataset(7, arch.exp_kernel_matrix(L), seed=1)
    m = tr.module
    P = {k: v.detach().numpy() for k, v in m.named_parameters()}

    def mlp(layers, z):
        return layers[2](torch.tanh(layers[0](z)))

    with torch.no_grad():
        h = mlp(m.f, torch.tensor(X[:, :, :1] * P["a"] + P["e"])).numpy()
        scores = P["q"] @ np.swapaxes(h @ P["WK"].T, 1, 2)
        att = np.exp(scores - scores.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        u = att @ (h @ P["WV"].T)
        ref = mlp(m.F, torch.tensor(u)).numpy()[..., 0]
        np.testing.assert_allclose(m(torch.tensor(X)).numpy(), ref, atol=1e-12)
    # position queries: re-ordering the inputs is absorbed by re-ordering the rows of e
    perm = arch.swap_permutation(L, 2)
    tr2 = arch.TinyTransformer(
        L, n=5, m_h=3, m_v=2, ff_width=4, ff_depth=1, seed=0, d_e=3
    )
    with torch.no_grad():
        tr2.module.e.copy_(tr.module.e[torch.as_tensor(perm)])
        out = tr.module(torch.tensor(X))
        out2 = tr2.module(torch.tensor(X[:, perm]))
    assert torch.max(torch.abs(out - out2)).item() < 1e-13
    tok = arch.TinyTransformer(
        L,
        n=5,
        m_h=3,
        m_v=2,
        ff_width=4,
        ff_depth=2,
        seed=0,
        query="token",
        dtype="float32",
    )
    assert tok.module(torch.tensor(X, dtype=torch.float32)).shape == (7, L)
    assert tr.n_params == sum(p.numel() for p in tr.module.parameters())
    with pytest.raises(ValueError, match="query"):
        arch.TinyTransformer(L, 2, 2, 2, 2, 1, seed=0, query="key")


def test_transformer_initialisations_onehot_encoding_and_uniform_attention():
    torch = pytest.importorskip("torch")
    L = 6
    tr = arch.TinyTransformer(
        L,
        n=5,
        m_h=3,
        m_v=2,
        ff_width=4,
        ff_depth=1,
        seed=0,
        d_e=L,
        e_init="onehot",
        q_init_std=0.0,
    )
    np.testing.assert_array_equal(tr.module.e.detach().numpy(), np.eye(L))
    X, _ = arch.seq2seq_dataset(5, arch.exp_kernel_matrix(L), seed=1)
    with torch.no_grad():
        att, _ = tr.module.attention(torch.tensor(X))
    np.testing.assert_allclose(
        att.numpy(), np.full((5, L, L), 1.0 / L), rtol=0, atol=1e-15
    )
    # q_init_std scales the default draw: same generator, same numbers times the scale
    ref = arch.TinyTransformer(
        L, n=5, m_h=3, m_v=2, ff_width=4, ff_depth=1, seed=0, d_e=L
    )
    half = arch.TinyTransformer(
        L, n=5, m_h=3, m_v=2, ff_width=4, ff_depth=1, seed=0, d_e=L, q_init_std=0.5
    )
    np.testing.assert_allclose(
        half.module.q.detach().numpy(), 0.5 * ref.module.q.detach().numpy(), rtol=1e-15
    )
    with pytest.raises(ValueError, match="d_e >= L"):
        arch.TinyTransformer(L, 2, 2, 2, 2, 1, seed=0, d_e=L - 1, e_init="onehot")
    with pytest.raises(ValueError, match="e_init"):
        arch.TinyTransformer(L, 2, 2, 2, 2, 1, seed=0, e_init="sinusoid")
    with pytest.raises(ValueError, match="q_init_std"):
        arch.TinyTransformer(L, 2, 2, 2, 2, 1, seed=0, q_init_std=-1.0)


def test_train_regressor_cosine_schedule_matches_torch_scheduler():
    torch = pytest.importorskip("torch")
    X, y = arch.seq2seq_dataset(64, arch.exp_kernel_matrix(5), seed=1)
    steps, lr = 12, 5e-2
    ours = arch.LinearRNNSeq(m=3, seed=0)
    hist = arch.train_regressor(
        ours, X, y, steps=steps, lr=lr, batch=16, seed=2, schedule="cosine"
    )["train"]
    # reference: the same loop written with torch's CosineAnnealingLR
    ref = arch.LinearRNNSeq(m=3, seed=0)
    opt = torch.optim.Adam(ref.module.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    g = torch.Generator().manual_seed(2)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    ref_hist = []
    for _ in range(steps):
        idx = torch.randint(0, Xt.shape[0], (16,), generator=g)
        opt.zero_grad()
        loss = torch.mean((ref.module(Xt[idx]) - yt[idx]) ** 2)
        loss.backward()
        opt.step()
        sched.step()
        ref_hist.append(loss.item())
    np.testing.assert_allclose(hist, ref_hist, rtol=1e-12)
    const = arch.train_regressor(
        arch.LinearRNNSeq(m=3, seed=0), X, y, steps=steps, lr=lr, batch=16, seed=2
    )["train"]
    assert np.max(np.abs(const - hist)) > 0  # the schedule changes the trajectory
    with pytest.raises(ValueError, match="schedule"):
        arch.train_regressor(
            ours, X, y, steps=1, lr=lr, batch=4, seed=0, schedule="linear"
        )


def test_lag_tail_bound_against_brute_force():
    from dynapprox.linear_rnn import LinearRNN

    W = np.array(
        [[-0.05, 0.3], [-0.3, -0.05]]
    )  # a damped rotation: the kernel changes sign
    model = LinearRNN(W, np.array([[1.0], [0.5]]), np.array([1.0, -2.0]))
    j = np.arange(200, 20000)
    brute = np.sum(np.abs(model.kernel(j.astype(float))[:, 0]))
    bound = arch.lag_tail_bound(model, 200)
    assert brute <= bound <= 3 * brute
    # one real mode: the bound is the exact geometric sum
    one = LinearRNN(np.array([[-0.1]]), np.array([[2.0]]), np.array([1.5]))
    assert arch.lag_tail_bound(one, 10) == pytest.approx(
        3.0 * np.exp(-1.0) / (1 - np.exp(-0.1)), rel=1e-12
    )
    with pytest.raises(ValueError, match="n must be"):
        arch.lag_tail_bound(one, -1)
