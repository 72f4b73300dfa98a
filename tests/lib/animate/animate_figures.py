"""Figures and images shared by the tests of dynapprox.animate (imported by name).

pytest puts this folder on ``sys.path``: ``from animate_figures import moving_dot``.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

#: Number of frames of the test animations.
N = 6


def moving_dot(
    layout: str | None = None,
) -> tuple[Figure, Callable[[int], None]]:
    """A figure with a dot moving along a line and a title that changes; its update."""
    fig = plt.figure(figsize=(3.0, 2.0), dpi=50, layout=layout)
    ax = fig.add_subplot()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("x")
    (dot,) = ax.plot([0.0], [0.5], "o", color="#D55E00", ms=8)

    def update(i: int) -> None:
        dot.set_data([i / (N - 1)], [0.5])
        ax.set_title(f"frame {i}")

    return fig, update


def pixels(png: bytes) -> np.ndarray:
    """The RGB pixels of a PNG image, as floats (height x width x 3)."""
    return np.asarray(
        Image.open(io.BytesIO(png)).convert("RGB"), dtype=float
    )


def reference_frames() -> list[np.ndarray]:
    """Independent reference: the same figure drawn by savefig, frame by frame."""
    fig, update = moving_dot()
    out = []
    for i in range(N):
        update(i)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=fig.dpi)
        out.append(pixels(buf.getvalue()))
    plt.close(fig)
    return out


def png_image(w: int, h: int) -> bytes:
    """A white PNG image of ``w`` x ``h`` pixels."""
    buf = io.BytesIO()
    Image.new("RGB", (w, h), "white").save(buf, format="PNG")
    return buf.getvalue()
