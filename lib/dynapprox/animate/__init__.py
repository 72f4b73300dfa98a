"""Animations that play in the static HTML book, offline, and print as a still frame.

A dynamical statement is best seen moving: points carried by a flow until a line
separates them, a costate swept backwards through the layers, a loss that sits on a
plateau while a kernel slowly grows its memory. The subpackage draws such a motion
frame by frame with matplotlib and shows it in the book:

* :mod:`dynapprox.animate.record`: :func:`~dynapprox.animate.record.record_animation`
  draws a figure frame by frame (and
  :func:`~dynapprox.animate.record.from_funcanimation` converts a matplotlib
  ``FuncAnimation``), quantising the frames to a shared palette of PNG images;
* :mod:`dynapprox.animate.player`: the display object
  :class:`~dynapprox.animate.player.Animation`, a self-contained HTML player (frames
  embedded as ``data:`` URIs, plain buttons, nothing loaded from the network) for the
  HTML book, a full-colour still frame for the PDF and a line of text for consoles.

The output is deterministic: the same frames give the same HTML, byte for byte, and
two executions differ at most inside the embedded images.

Every public name of the submodules is re-exported here, so
``from dynapprox.animate import record_animation`` works; the reference documents each
name once, in its submodule. Used in chapters 2, 3, 5 and 10 (flows separating data,
the one-dimensional obstruction, the sweeps of the method of successive
approximations, training plateaus).
"""

from __future__ import annotations

from . import player, record
from .player import *  # noqa: F403 (the names in player.__all__)
from .record import *  # noqa: F403 (the names in record.__all__)

__all__ = [*player.__all__, *record.__all__]
