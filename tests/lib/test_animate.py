"""Unit tests of dynapprox.animate: frames, the offline HTML player, the still frame."""

from __future__ import annotations

import base64
import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402
from matplotlib.layout_engine import ConstrainedLayoutEngine  # noqa: E402
from PIL import Image  # noqa: E402

from dynapprox.animate import (
    Animation,
    from_funcanimation,
    record_animation,
)  # noqa: E402

N = 6


def _moving_dot(layout: str | None = None):
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


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(
        Image.open(io.BytesIO(png)).convert("RGB"), dtype=float
    )


def _reference_frames() -> list[np.ndarray]:
    """Independent reference: the same figure drawn by savefig, frame by frame."""
    fig, update = _moving_dot()
    out = []
    for i in range(N):
        update(i)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=fig.dpi)
        out.append(_pixels(buf.getvalue()))
    plt.close(fig)
    return out


def test_full_colour_frames_equal_savefig_and_figure_is_closed():
    fig, update = _moving_dot()
    anim = record_animation(
        fig, update, N, alt="a dot moving right", colours=None
    )
    assert not plt.fignum_exists(
        fig.number
    )  # closed: a notebook shows the player only
    assert len(anim) == N and (anim.width, anim.height) == (150, 100)
    ref = _reference_frames()
    for i in range(N):
        np.testing.assert_array_equal(_pixels(anim.frames[i]), ref[i])
    # the dot moves: consecutive frames differ
    assert all(
        np.abs(_pixels(anim.frames[i]) - _pixels(anim.frames[i + 1])).max()
        > 100
        for i in range(N - 1)
    )


def test_quantised_frames_are_close_and_smaller():
    fig, update = _moving_dot()
    full = record_animation(fig, update, N, alt="dot", colours=None)
    fig, update = _moving_dot()
    quant = record_animation(fig, update, N, alt="dot", still_dpi=None)
    for a, b in zip(full.frames, quant.frames, strict=True):
        diff = np.abs(_pixels(a) - _pixels(b))
        # 128 palette colours for line art on white: only antialiased edge pixels move,
        # by a few grey levels on average (the largest error is bounded by the palette's
        # coarsest cell, far below the 255 of a wrong colour)
        assert diff.mean() < 1.0 and diff.max() < 64, (
            diff.mean(),
            diff.max(),
        )
    assert sum(map(len, quant.frames)) < sum(map(len, full.frames))
    # the still frame stays full colour
    assert quant.still_image() == full.frames[-1]


def test_layout_is_frozen_after_the_first_frame():
    fig, update = _moving_dot(layout="constrained")
    ax = fig.axes[0]
    anim = record_animation(
        fig, update, N, alt="dot", colours=None, close=False
    )
    pos0 = ax.get_position().bounds
    ax.set_title(
        "a title\non three\nlines"
    )  # constrained layout would shrink the axes for it
    fig.canvas.draw()
    assert ax.get_position().bounds == pos0
    assert not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
    assert len(anim) == N
    plt.close(fig)


def test_html_player_is_offline_deterministic_and_complete():
    fig, update = _moving_dot()
    a = record_animation(
        fig,
        update,
        N,
        alt='dot "moving" <right>',
        labels=[f"t = {i}" for i in range(N)],
        still=2,
    )
    fig, update = _moving_dot()
    b = record_animation(
        fig,
        update,
        N,
        alt='dot "moving" <right>',
        labels=[f"t = {i}" for i in range(N)],
        still=2,
    )
    html = a.to_html()
    assert (
        html == b.to_html()
    )  # no random ids: the same frames give the same bytes
    # the id does not depend on the images' bytes (fonts may change them), only on the text
    other = Animation(
        frames=tuple(f + b"\0" for f in a.frames),
        alt=a.alt,
        labels=a.labels,
        still=2,
    )
    assert other.element_id == a.element_id
    assert (
        Animation(
            frames=a.frames, alt="another text", labels=a.labels
        ).element_id
        != a.element_id
    )
    assert not re.search(
        r"https?://|//cdn|<link", html
    )  # nothing from the network
    assert html.count("data:image/png;base64,") == N
    assert f'id="{a.element_id}"' in html and f'data-frames="{N}"' in html
    assert 'alt="dot &quot;moving&quot; &lt;right&gt;"' in html
    for action in ("first", "previous", "play", "next", "last"):
        assert f'data-action="{action}"' in html
    assert 'type="range"' in html and f'max="{N - 1}"' in html
    assert "t = 0" in html and html.count("<script>") == 1
    # every frame embedded is one of the frames, in order
    uris = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert [base64.b64decode(u) for u in uris] == list(a.frames)
    assert a.html_bytes == len(html.encode())


def test_mimebundle_offers_player_still_and_text():
    fig, update = _moving_dot()
    anim = record_animation(
        fig, update, N, alt="dot", still=1, still_dpi=None
    )
    bundle = anim._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    assert base64.b64decode(bundle["image/png"]) == anim.still_image()
    # the still frame is frame 1 (full colour): the dot sits at x = 1/5
    png = _pixels(anim.still_image())
    col = np.flatnonzero(
        (np.abs(png - [213, 94, 0]).sum(axis=2) < 30).any(axis=0)
    )
    ref = _reference_frames()[1]
    ref_col = np.flatnonzero(
        (np.abs(ref - [213, 94, 0]).sum(axis=2) < 30).any(axis=0)
    )
    np.testing.assert_array_equal(col, ref_col)
    assert (
        bundle["text/plain"]
        == f"<Animation: {N} frames of 150x100 px, still frame 2>"
    )


def test_from_funcanimation_matches_record_animation():
    fig, update = _moving_dot()
    anim = FuncAnimation(fig, update, frames=N, interval=120, repeat=False)
    converted = from_funcanimation(anim, alt="dot", colours=None)
    plt.close(fig)
    assert len(converted) == N and converted.interval_ms == 120
    fig, update = _moving_dot()
    recorded = record_animation(fig, update, N, alt="dot", colours=None)
    for a, b in zip(converted.frames, recorded.frames, strict=True):
        np.testing.assert_array_equal(_pixels(a), _pixels(b))


def _png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), "white").save(buf, format="PNG")
    return buf.getvalue()


def test_bad_input():
    fig, update = _moving_dot()
    with pytest.raises(TypeError, match="fig"):
        record_animation("not a figure", update, 3, alt="x")
    with pytest.raises(TypeError, match="update"):
        record_animation(fig, 3, 3, alt="x")
    with pytest.raises(ValueError, match="n_frames"):
        record_animation(fig, update, 0, alt="x")
    with pytest.raises(ValueError, match="still"):
        record_animation(fig, update, 3, alt="x", still=3)
    with pytest.raises(ValueError, match="colours"):
        record_animation(fig, update, 3, alt="x", colours=300)
    with pytest.raises(ValueError, match="labels"):
        record_animation(fig, update, 3, alt="x", labels=["a"])
    with pytest.raises(ValueError, match="dpi"):
        record_animation(fig, update, 3, alt="x", dpi=-1)
    with pytest.raises(ValueError, match="alt"):
        record_animation(fig, update, 2, alt="  ")
    plt.close("all")
    with pytest.raises(ValueError, match="same size"):
        Animation(frames=(_png(4, 4), _png(5, 4)), alt="x")
    with pytest.raises(ValueError, match="PNG"):
        Animation(frames=(b"GIF89a....................",), alt="x")
    with pytest.raises(TypeError, match="frames"):
        Animation(frames=_png(4, 4), alt="x")
    with pytest.raises(ValueError, match="at least one"):
        Animation(frames=(), alt="x")
    with pytest.raises(ValueError, match="interval_ms"):
        Animation(frames=(_png(4, 4),), alt="x", interval_ms=5)
    with pytest.raises(TypeError, match="anim"):
        from_funcanimation(object(), alt="x")


def test_blitting_gives_the_frames_of_full_draws():
    # the dot and the title are the animated artists; they overlap no other artist, so
    # drawing them on top of the saved background gives exactly the full draw's pixels
    fig, update = _moving_dot()
    ax = fig.axes[0]
    ax.set_xlim(-0.2, 1.2)
    anim = record_animation(
        fig,
        update,
        N,
        alt="dot",
        colours=None,
        animated=[ax.lines[0], ax.title],
    )
    assert not ax.lines[0].get_animated()  # restored
    fig, update = _moving_dot()
    fig.axes[0].set_xlim(-0.2, 1.2)
    full = record_animation(fig, update, N, alt="dot", colours=None)
    for a, b in zip(anim.frames, full.frames, strict=True):
        np.testing.assert_array_equal(_pixels(a), _pixels(b))
    fig, update = _moving_dot()
    other, _ = _moving_dot()
    with pytest.raises(ValueError, match="animated"):
        record_animation(
            fig, update, 2, alt="dot", animated=[other.axes[0].lines[0]]
        )
    plt.close("all")


def test_still_frame_is_redrawn_at_print_resolution():
    fig, update = _moving_dot()
    anim = record_animation(
        fig,
        update,
        N,
        alt="dot",
        still=2,
        still_dpi=150,
        animated=[fig.axes[0].lines[0]],
    )
    still = _pixels(anim.still_image())
    assert still.shape == (300, 450, 3) and (anim.width, anim.height) == (
        150,
        100,
    )  # 3 x 2 inches

    # the dot of frame 2 (x = 2/5), at the same relative place as in the 50-dpi frame
    def dot_x(px):
        cols = np.flatnonzero(
            (np.abs(px - [213, 94, 0]).sum(axis=2) < 30).any(axis=0)
        )
        return cols.mean() / px.shape[1]

    assert abs(dot_x(still) - dot_x(_pixels(anim.frames[2]))) < 0.02
    assert abs(dot_x(still) - dot_x(_pixels(anim.frames[4]))) > 0.1
