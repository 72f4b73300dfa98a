"""Unit tests of dynapprox.animate.record: drawing, encoding and the still frame."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from animate_figures import N, moving_dot, pixels, reference_frames
from matplotlib.animation import FuncAnimation
from matplotlib.layout_engine import ConstrainedLayoutEngine

from dynapprox.animate.record import from_funcanimation, record_animation


def test_full_colour_frames_equal_savefig_and_figure_is_closed():
    fig, update = moving_dot()
    anim = record_animation(
        fig, update, N, alt="a dot moving right", colours=None
    )
    assert not plt.fignum_exists(
        fig.number
    )  # closed: a notebook shows the player only
    assert len(anim) == N and (anim.width, anim.height) == (150, 100)
    ref = reference_frames()
    for i in range(N):
        np.testing.assert_array_equal(pixels(anim.frames[i]), ref[i])
    # the dot moves: consecutive frames differ
    assert all(
        np.abs(pixels(anim.frames[i]) - pixels(anim.frames[i + 1])).max()
        > 100
        for i in range(N - 1)
    )


def test_quantised_frames_are_close_and_smaller():
    fig, update = moving_dot()
    full = record_animation(fig, update, N, alt="dot", colours=None)
    fig, update = moving_dot()
    quant = record_animation(fig, update, N, alt="dot", still_dpi=None)
    for a, b in zip(full.frames, quant.frames, strict=True):
        diff = np.abs(pixels(a) - pixels(b))
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
    fig, update = moving_dot(layout="constrained")
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


def test_from_funcanimation_matches_record_animation():
    fig, update = moving_dot()
    anim = FuncAnimation(fig, update, frames=N, interval=120, repeat=False)
    converted = from_funcanimation(anim, alt="dot", colours=None)
    plt.close(fig)
    assert len(converted) == N and converted.interval_ms == 120
    fig, update = moving_dot()
    recorded = record_animation(fig, update, N, alt="dot", colours=None)
    for a, b in zip(converted.frames, recorded.frames, strict=True):
        np.testing.assert_array_equal(pixels(a), pixels(b))


def test_bad_input():
    fig, update = moving_dot()
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
    with pytest.raises(TypeError, match="anim"):
        from_funcanimation(object(), alt="x")


def test_blitting_gives_the_frames_of_full_draws():
    # the dot and the title are the animated artists; they overlap no other artist, so
    # drawing them on top of the saved background gives exactly the full draw's pixels
    fig, update = moving_dot()
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
    fig, update = moving_dot()
    fig.axes[0].set_xlim(-0.2, 1.2)
    full = record_animation(fig, update, N, alt="dot", colours=None)
    for a, b in zip(anim.frames, full.frames, strict=True):
        np.testing.assert_array_equal(pixels(a), pixels(b))
    fig, update = moving_dot()
    other, _ = moving_dot()
    with pytest.raises(ValueError, match="animated"):
        record_animation(
            fig, update, 2, alt="dot", animated=[other.axes[0].lines[0]]
        )
    plt.close("all")


def test_still_frame_is_redrawn_at_print_resolution():
    fig, update = moving_dot()
    anim = record_animation(
        fig,
        update,
        N,
        alt="dot",
        still=2,
        still_dpi=150,
        animated=[fig.axes[0].lines[0]],
    )
    still = pixels(anim.still_image())
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

    assert abs(dot_x(still) - dot_x(pixels(anim.frames[2]))) < 0.02
    assert abs(dot_x(still) - dot_x(pixels(anim.frames[4]))) > 0.1
