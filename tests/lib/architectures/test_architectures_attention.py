"""Tests of dynapprox.architectures.attention against a NumPy forward pass."""

from __future__ import annotations

import numpy as np
import pytest

from dynapprox import architectures as arch


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
        np.testing.assert_allclose(
            m(torch.tensor(X)).numpy(), ref, atol=1e-12
        )
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
        L,
        n=5,
        m_h=3,
        m_v=2,
        ff_width=4,
        ff_depth=1,
        seed=0,
        d_e=L,
        q_init_std=0.5,
    )
    np.testing.assert_allclose(
        half.module.q.detach().numpy(),
        0.5 * ref.module.q.detach().numpy(),
        rtol=1e-15,
    )
    with pytest.raises(ValueError, match="d_e >= L"):
        arch.TinyTransformer(
            L, 2, 2, 2, 2, 1, seed=0, d_e=L - 1, e_init="onehot"
        )
    with pytest.raises(ValueError, match="e_init"):
        arch.TinyTransformer(L, 2, 2, 2, 2, 1, seed=0, e_init="sinusoid")
    with pytest.raises(ValueError, match="q_init_std"):
        arch.TinyTransformer(L, 2, 2, 2, 2, 1, seed=0, q_init_std=-1.0)
