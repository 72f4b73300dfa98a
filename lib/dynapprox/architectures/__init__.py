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

from . import (
    attention,
    convolution,
    encoder_decoder,
    recurrent,
    seq2seq,
    training,
)
from .attention import *  # noqa: F403 (the names in attention.__all__)
from .convolution import *  # noqa: F403 (the names in convolution.__all__)
from .encoder_decoder import *  # noqa: F403 (the names in encoder_decoder.__all__)
from .recurrent import *  # noqa: F403 (the names in recurrent.__all__)
from .seq2seq import *  # noqa: F403 (the names in seq2seq.__all__)
from .training import *  # noqa: F403 (the names in training.__all__)

__all__ = [
    *convolution.__all__,
    *encoder_decoder.__all__,
    *seq2seq.__all__,
    *attention.__all__,
    *recurrent.__all__,
    *training.__all__,
]
