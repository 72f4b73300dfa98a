r"""A one-layer, one-head transformer in the family of eq. (5) of Jiang and Li (NeurIPS 2024)."""

from __future__ import annotations

import numpy as np
import torch

from .._validation import check_nonnegative_int, check_positive_int

__all__ = ["TinyTransformer"]


def _init_linear(layer: torch.nn.Linear, g: torch.Generator) -> None:
    """PyTorch's default initialisation of ``nn.Linear``, drawn from the generator ``g``."""
    bound = 1.0 / np.sqrt(layer.in_features)
    with torch.no_grad():
        layer.weight.copy_(
            (
                2
                * torch.rand(
                    layer.weight.shape, generator=g, dtype=torch.float64
                )
                - 1
            )
            * bound
        )
        layer.bias.copy_(
            (
                2
                * torch.rand(
                    layer.bias.shape, generator=g, dtype=torch.float64
                )
                - 1
            )
            * bound
        )


def _mlp(
    n_in: int, width: int, depth: int, n_out: int, g: torch.Generator
) -> torch.nn.Sequential:
    layers, d = [], n_in
    for _ in range(depth):
        layers += [
            torch.nn.Linear(d, width, dtype=torch.float64),
            torch.nn.Tanh(),
        ]
        d = width
    layers.append(torch.nn.Linear(d, n_out, dtype=torch.float64))
    for layer in layers:
        if isinstance(layer, torch.nn.Linear):
            _init_linear(layer, g)
    return torch.nn.Sequential(*layers)


class TinyTransformer:
    r"""One attention layer with one head, in the family of eq. (5) of Jiang and Li.

    The input value :math:`x(s)` gets the position encoding :math:`z(s) = a\, x(s) + e(s)`
    (:math:`a, e(s) \in \mathbb R^{d_e}`, learned or fixed), a feed-forward network
    :math:`\hat f: \mathbb R^{d_e} \to \mathbb R^{n}` gives the token features
    :math:`\hat h(s) = \hat f(z(s))`, and the output at time :math:`t` is

    .. math:: \hat y(t) = \hat F\Big(\sum_{s} \operatorname{softmax}_s\big[q(t)^\top W_K \hat h(s)\big]\,
       W_V \hat h(s)\Big),

    with :math:`W_K \in \mathbb R^{m_h \times n}`, :math:`W_V \in \mathbb R^{m_v \times n}` and a
    feed-forward :math:`\hat F: \mathbb R^{m_v} \to \mathbb R`. The softmax runs over all
    positions (no causal mask), as in the paper. The query is

    * ``query="token"``: :math:`q(t) = W_Q \hat h(t)`, eq. (5) itself;
    * ``query="position"``: :math:`q(t) \in \mathbb R^{m_h}` a learned vector per output
      position, the sub-family of eq. (5) in which the query coordinates of
      :math:`\hat f` read the position only (the paper's own construction uses disjoint
      coordinates of :math:`\hat f` for queries and keys).

    With ``query="position"`` a fixed re-ordering of the inputs, outputs unchanged, is
    absorbed exactly by re-ordering the rows of :math:`e` (see the chapter). Feed-forward
    networks have ``ff_depth`` hidden layers of width ``ff_width`` with tanh; linear layers
    have PyTorch's default initialisation, drawn from a seeded generator; :math:`a` is
    standard normal, :math:`e` standard normal (``e_init="normal"``) or the unit vectors
    :math:`e(s) = \mathbf e_s` (``e_init="onehot"``, which needs :math:`d_e \ge L`; the
    classical fixed encoding, here only the starting point), and :math:`q` has i.i.d.
    centred normal entries of standard deviation ``q_init_std`` (``q_init_std=0``: every
    output starts with uniform attention weights :math:`1/L`, whatever the order of the
    inputs).

    Parameters
    ----------
    L : int
        Sequence length.
    n, m_h, m_v : int
        Token-feature, query/key and value dimensions.
    ff_width, ff_depth : int
        Width and number of hidden layers of :math:`\hat f` and :math:`\hat F`.
    seed : int
        Seed of the initial weights.
    d_e : int
        Dimension of the position encoding.
    query : str
        ``"position"`` or ``"token"``.
    dtype : str
        ``"float64"`` or ``"float32"``.
    e_init : str
        ``"normal"`` or ``"onehot"``: initial position encodings.
    q_init_std : float
        Standard deviation of the initial queries (``query="position"`` only); 0 allowed.

    Used in
    -------
    :doc:`/chapters/11_architectures` (:prf:ref:`thm-transformer-representation`,
    :prf:ref:`prop-attention-perm`, :prf:ref:`prop-attention-sign`).
    """

    def __init__(
        self,
        L: int,
        n: int,
        m_h: int,
        m_v: int,
        ff_width: int,
        ff_depth: int,
        seed: int,
        d_e: int = 8,
        query: str = "position",
        dtype: str = "float64",
        e_init: str = "normal",
        q_init_std: float = 1.0,
    ) -> None:
        L = check_positive_int("L", L)
        n, m_h, m_v = (
            check_positive_int(k, v)
            for k, v in (("n", n), ("m_h", m_h), ("m_v", m_v))
        )
        ff_width = check_positive_int("ff_width", ff_width)
        ff_depth = check_nonnegative_int("ff_depth", ff_depth)
        d_e = check_positive_int("d_e", d_e)
        if query not in ("position", "token"):
            raise ValueError(
                f"query must be 'position' or 'token', got {query!r}"
            )
        if dtype not in ("float64", "float32"):
            raise ValueError(
                f"dtype must be 'float64' or 'float32', got {dtype!r}"
            )
        if e_init not in ("normal", "onehot"):
            raise ValueError(
                f"e_init must be 'normal' or 'onehot', got {e_init!r}"
            )
        if e_init == "onehot" and d_e < L:
            raise ValueError(
                f"e_init='onehot' needs d_e >= L = {L}, got d_e = {d_e}"
            )
        if (
            isinstance(q_init_std, bool)
            or not isinstance(q_init_std, (int, float))
            or not np.isfinite(q_init_std)
            or q_init_std < 0
        ):
            raise ValueError(
                f"q_init_std must be a finite number >= 0, got {q_init_std!r}"
            )
        g = torch.Generator().manual_seed(
            check_nonnegative_int("seed", seed)
        )
        f64 = torch.float64

        class _Transformer(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.a = torch.nn.Parameter(
                    torch.randn(d_e, generator=g, dtype=f64)
                )
                e0 = torch.randn(L, d_e, generator=g, dtype=f64)
                if e_init == "onehot":
                    e0 = torch.eye(L, d_e, dtype=f64)
                self.e = torch.nn.Parameter(e0)
                self.f = _mlp(d_e, ff_width, ff_depth, n, g)
                if query == "position":
                    self.q = torch.nn.Parameter(
                        float(q_init_std)
                        * torch.randn(L, m_h, generator=g, dtype=f64)
                    )
                else:
                    self.WQ = torch.nn.Parameter(
                        torch.randn(m_h, n, generator=g, dtype=f64)
                        / np.sqrt(n)
                    )
                self.WK = torch.nn.Parameter(
                    torch.randn(m_h, n, generator=g, dtype=f64)
                    / np.sqrt(n)
                )
                self.WV = torch.nn.Parameter(
                    torch.randn(m_v, n, generator=g, dtype=f64)
                    / np.sqrt(n)
                )
                self.F = _mlp(m_v, ff_width, ff_depth, 1, g)

            def attention(
                self, X: torch.Tensor
            ) -> tuple[torch.Tensor, torch.Tensor]:
                h = self.f(X[:, :, :1] * self.a + self.e)
                q = self.q if query == "position" else h @ self.WQ.T
                scores = q @ (h @ self.WK.T).transpose(-1, -2)
                return torch.softmax(scores, dim=-1), h

            def forward(self, X: torch.Tensor) -> torch.Tensor:
                att, h = self.attention(X)
                return self.F(att @ (h @ self.WV.T))[..., 0]

        self.module = _Transformer()
        if dtype == "float32":
            self.module = self.module.float()
        self.L, self.query = L, query

    @property
    def n_params(self) -> int:
        """Number of trainable weights."""
        return int(
            sum(
                p.numel()
                for p in self.module.parameters()
                if p.requires_grad
            )
        )
