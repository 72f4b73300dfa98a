r"""Sequence architectures other than the RNN, in the linear functional setting.

The model families of chapter 11, each reduced to the object that carries its
approximation theory, one submodule each:

* :mod:`dynapprox.architectures.convolution`: dilated causal CNNs (WaveNet) and the
  tensor-train structure of their kernels;
* :mod:`dynapprox.architectures.encoder_decoder`: recurrent encoder-decoders and the POD
  spectrum of a two-time kernel;
* :mod:`dynapprox.architectures.seq2seq`: the targets of Table 2 of Jiang and Li (temporal
  ordering and mixing) and the error floor of every causal model;
* :mod:`dynapprox.architectures.attention`: a one-layer, one-head transformer;
* :mod:`dynapprox.architectures.recurrent`: the linear RNN with an output at every step,
  and the closed-form lag tail of a modal model;
* :mod:`dynapprox.architectures.training`: their training by Adam.

Conventions follow :mod:`dynapprox.signals`: time grid :math:`t_k = k\,\Delta t`, kernels
sampled on it, numpy ``float64``; randomness enters through ``seed``. Every public name of
the submodules is re-exported here (``from dynapprox import architectures as arch;
arch.pod(...)``); the reference documents each name once, in its submodule.
"""

from __future__ import annotations

from .attention import TinyTransformer
from .convolution import (
    DilatedCNN,
    detensorise,
    fit_dilated_cnn,
    min_tt_ranks,
    tensorise,
    tt_svd,
    unfolding_singular_values,
)
from .encoder_decoder import (
    RecurrentEncoderDecoder,
    fit_encoder_decoder,
    modal_kernel,
    pod,
    pod_tail,
)
from .recurrent import LinearRNNSeq, lag_tail_bound
from .seq2seq import (
    causal_floor,
    exp_kernel_matrix,
    mixing_matrix,
    random_filter,
    seen_weights,
    seq2seq_dataset,
    swap_permutation,
)
from .training import train_regressor

__all__ = [
    "tensorise",
    "detensorise",
    "unfolding_singular_values",
    "min_tt_ranks",
    "tt_svd",
    "DilatedCNN",
    "fit_dilated_cnn",
    "RecurrentEncoderDecoder",
    "pod",
    "pod_tail",
    "modal_kernel",
    "fit_encoder_decoder",
    "exp_kernel_matrix",
    "swap_permutation",
    "random_filter",
    "mixing_matrix",
    "seq2seq_dataset",
    "seen_weights",
    "causal_floor",
    "TinyTransformer",
    "LinearRNNSeq",
    "lag_tail_bound",
    "train_regressor",
]
