"""Recording an animation: matplotlib figures drawn frame by frame, frames encoded as PNG.

:func:`record_animation` calls an update function for each frame, draws the figure
with the Agg renderer (blitting only the changing artists when told which they are)
and returns an :class:`~dynapprox.animate.player.Animation`;
:func:`from_funcanimation` converts an existing matplotlib ``FuncAnimation``.

Sizes: a frame is quantised to an adaptive palette (:data:`PALETTE_COLOURS` colours by
default, no dithering: the book's figures are line art on white) and stored as PNG,
about three times smaller than matplotlib's full-colour PNG. A 640 x 260 pixel
two-panel frame takes 10 to 25 kB (more for scatter plots of many points), so the
book's animations of 25 to 43 frames add 0.4 to 0.8 MB to their HTML pages (base64
adds a third to the bytes); :attr:`dynapprox.animate.player.Animation.html_bytes`
reports the size, and the browser test holds every page with animations to 1.5 MB.
"""

from __future__ import annotations

import io
import numbers
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_callable, check_positive_int
from .player import Animation

if TYPE_CHECKING:
    from pathlib import Path

    from matplotlib.figure import Figure

__all__ = [
    "record_animation",
    "from_funcanimation",
    "PALETTE_COLOURS",
]

#: Default number of palette colours of a quantised frame (``None`` keeps full colour).
PALETTE_COLOURS: int = 128


def _png(image: Any) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


_PACK = np.array([65536, 256, 1], dtype=np.uint32)


def _encode_frames(
    rgbas: Sequence[np.ndarray], colours: int | None
) -> list[bytes]:
    """PNG bytes of RGBA canvas buffers (alpha dropped), quantised to one shared palette.

    The palette has ``colours`` entries: the most frequent colours of all frames exactly
    (the white canvas, the ink of the axes, the plain colours of lines and markers: a
    quarter of the entries) and a median cut of the other colours that occur, each
    counted once (the blends of antialiased edges). Every pixel is mapped to its nearest
    palette entry in RGB, exactly (Pillow's own mapping rounds colours and turns the
    white canvas grey). One palette for all frames: the same colour has the same index
    in every frame, so nothing flickers.
    """
    from PIL import Image

    rgbs = [np.ascontiguousarray(np.asarray(r)[..., :3]) for r in rgbas]
    if colours is None:
        return [_png(Image.fromarray(r, mode="RGB")) for r in rgbs]
    per_frame = [
        np.unique(
            r.reshape(-1, 3).astype(np.uint32) @ _PACK,
            return_inverse=True,
            return_counts=True,
        )
        for r in rgbs
    ]
    every, where = np.unique(
        np.concatenate([u for u, _, _ in per_frame]), return_inverse=True
    )
    counts = np.bincount(
        where,
        weights=np.concatenate([c for _, _, c in per_frame]).astype(float),
    )

    def unpack(p: np.ndarray) -> np.ndarray:
        p = p.astype(np.int64)
        return np.stack([p >> 16 & 255, p >> 8 & 255, p & 255], axis=1)

    if len(every) <= colours:
        palette = unpack(every)
    else:
        n_exact = max(1, colours // 4)
        order = np.argsort(-counts, kind="stable")
        exact, rest = (
            every[order[:n_exact]],
            np.sort(every[order[n_exact:]]),
        )
        strip = Image.fromarray(
            unpack(rest).astype(np.uint8)[None, :, :], mode="RGB"
        )
        cut = strip.quantize(
            colors=colours - n_exact,
            method=Image.Quantize.MEDIANCUT,
            dither=Image.Dither.NONE,
        )
        used = np.unique(np.asarray(cut))
        table = np.array(cut.getpalette(), dtype=np.int64).reshape(-1, 3)[
            used
        ]
        palette = np.concatenate([unpack(exact), table])
    nearest = np.argmin(
        ((unpack(every)[:, None, :] - palette[None, :, :]) ** 2).sum(
            axis=2
        ),
        axis=1,
    )
    flat_palette = [int(v) for v in palette.ravel()] + [0] * (
        3 * (256 - len(palette))
    )
    out = []
    offset = 0
    for r, (u, inverse, _) in zip(rgbs, per_frame, strict=True):
        index = nearest[where[offset : offset + len(u)]]
        offset += len(u)
        image = Image.fromarray(
            index[inverse].reshape(r.shape[:2]).astype(np.uint8), mode="P"
        )
        image.putpalette(flat_palette)
        out.append(_png(image))
    return out


def record_animation(
    fig: Any,
    update: Callable[[int], Any],
    n_frames: int,
    *,
    alt: str,
    interval_ms: int = 200,
    still: int = -1,
    labels: Sequence[str] | None = None,
    dpi: float | None = None,
    colours: int | None = PALETTE_COLOURS,
    animated: Sequence[Any] | None = None,
    still_dpi: float | None = 150.0,
    close: bool = True,
) -> Animation:
    r"""Draw a matplotlib figure frame by frame into an :class:`~dynapprox.animate.player.Animation`.

    For :math:`i = 0, \dots, n_{\text{frames}} - 1` the function calls ``update(i)``,
    which changes the figure's artists in place (as the ``func`` of matplotlib's
    ``FuncAnimation``), draws the figure with the Agg renderer and stores the canvas as a
    PNG. The layout (e.g. the book style's constrained layout) is computed once, on the
    first frame, and then frozen, so that the axes do not jump between frames; set the
    axis limits before recording.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to animate, with its artists created.
    update : callable
        ``update(i)`` draws frame ``i`` into ``fig`` (its return value is ignored).
    n_frames : int
        Number of frames, at least 1.
    alt : str
        Alternative text of the animation (see :class:`~dynapprox.animate.player.Animation`).
    interval_ms : int
        Milliseconds between frames when playing.
    still : int
        Index of the frame printed in the PDF (``-1``: the last one).
    labels : Sequence[str] or None
        Optional per-frame text shown beside the slider.
    dpi : float or None
        Resolution of the frames (``None``: the figure's own ``dpi``); a frame has
        ``figsize * dpi`` pixels.
    colours : int or None
        Palette size of the quantised frames, 2 to 256, or ``None`` for full-colour
        frames (about three times larger). The still frame is always full colour.
    animated : Sequence[matplotlib.artist.Artist] or None
        The artists that ``update`` changes (lines, scatter collections, texts). When
        given, everything else is drawn once, and each frame only restores that
        background and draws these artists on top (blitting), several times faster
        than a full draw. They are drawn above all other artists of the figure, in the
        order given; texts that change (a title with the time) belong in the list.
        ``None`` redraws the whole figure for every frame.
    still_dpi : float or None
        Resolution of the still frame printed in the PDF, drawn once more after the
        frames (a full draw at this resolution, a few tenths of a second); ``None`` takes
        the recorded frame itself, in full colour.
    close : bool
        Close the figure afterwards (so that a notebook does not also show it as a
        static image).

    Returns
    -------
    animation : Animation
        The frames with the HTML player and the still frame.

    Used in
    -------
    :doc:`/chapters/02_composition_dynamics`, :doc:`/chapters/03_flow_approximation`,
    :doc:`/chapters/05_optimal_control`, :doc:`/chapters/10_curse_of_memory`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(
            f"fig must be a matplotlib.figure.Figure, got {type(fig).__name__}"
        )
    check_callable("update", update)
    n_frames = check_positive_int("n_frames", n_frames)
    if colours is not None:
        if isinstance(colours, bool) or not isinstance(
            colours, numbers.Integral
        ):
            raise TypeError(
                f"colours must be an integer number of palette colours or None, got {colours!r}"
            )
        if not 2 <= colours <= 256:
            raise ValueError(
                f"colours must lie in [2, 256] (a PNG palette), got {colours}"
            )
    if not -n_frames <= still < n_frames:
        raise ValueError(
            f"still must index one of the {n_frames} frames, got {still}"
        )
    if labels is not None and (
        isinstance(labels, str) or len(labels) != n_frames
    ):
        raise ValueError(
            f"labels must be a sequence of {n_frames} strings (one per frame)"
        )
    for name, value in (("dpi", dpi), ("still_dpi", still_dpi)):
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not np.isfinite(value)
            or value <= 0
        ):
            raise ValueError(
                f"{name} must be a positive number or None, got {value!r}"
            )
    if dpi is not None:
        fig.set_dpi(float(dpi))
    if animated is not None:
        from matplotlib.artist import Artist

        animated = list(animated)
        for a in animated:
            if (
                not isinstance(a, Artist)
                or a.get_figure(root=True) is not fig
            ):
                raise ValueError(
                    "animated must be a sequence of artists of fig (lines, collections, texts)"
                )
    canvas = (
        fig.canvas
        if isinstance(fig.canvas, FigureCanvasAgg)
        else FigureCanvasAgg(fig)
    )
    still_index = still % n_frames
    rgbas: list[np.ndarray] = []
    background: Any = None
    was_animated = [a.get_animated() for a in animated] if animated else []
    try:
        for a in animated or []:
            a.set_animated(
                True
            )  # left out of full draws: the background has no trace of them
        for i in range(n_frames):
            update(i)
            if i == 0 or not animated:
                canvas.draw()
            if i == 0:
                if fig.get_layout_engine() is not None:
                    fig.set_layout_engine(
                        "none"
                    )  # freeze the positions computed on the first frame
                if animated:
                    background = canvas.copy_from_bbox(fig.bbox)
            if animated:
                canvas.restore_region(background)
                for a in animated:
                    fig.draw_artist(a)
            rgbas.append(
                np.array(canvas.buffer_rgba())
            )  # a copy: the canvas buffer is reused
        for a, was in zip(animated or [], was_animated, strict=True):
            a.set_animated(was)
        still_png = None
        if still_dpi is not None:
            update(still_index)
            buf = io.BytesIO()
            fig.savefig(
                buf,
                format="png",
                dpi=float(still_dpi),
                metadata={"Software": None},
            )
            still_png = buf.getvalue()
    finally:
        for a, was in zip(animated or [], was_animated, strict=True):
            a.set_animated(was)
        if close:
            import matplotlib.pyplot as plt

            plt.close(fig)
    frames = _encode_frames(rgbas, colours)
    return Animation(
        frames=tuple(frames),
        alt=alt,
        interval_ms=interval_ms,
        still=still,
        labels=None if labels is None else tuple(labels),
        still_png=still_png
        if still_png is not None
        else _encode_frames([rgbas[still_index]], None)[0],
    )


def from_funcanimation(
    anim: Any,
    *,
    alt: str,
    still: int = -1,
    labels: Sequence[str] | None = None,
    dpi: float | None = None,
    colours: int | None = PALETTE_COLOURS,
) -> Animation:
    """Convert a matplotlib ``FuncAnimation`` into an :class:`~dynapprox.animate.player.Animation`.

    The frames are drawn by the animation's own ``save`` loop (its ``init_func``, then
    its ``func`` for each frame) into an in-memory writer; the play interval is the
    animation's ``interval``. Prefer :func:`record_animation` in new code.

    Parameters
    ----------
    anim : matplotlib.animation.FuncAnimation
        An animation with a finite number of frames.
    alt, still, labels, dpi, colours
        As in :func:`record_animation`.

    Returns
    -------
    animation : Animation

    Used in
    -------
    No chapter: the bridge for existing ``FuncAnimation`` code; chapters call
    :func:`dynapprox.animate.record.record_animation`.
    """
    from matplotlib import animation as mpl_animation

    if not isinstance(anim, mpl_animation.FuncAnimation):
        raise TypeError(
            f"anim must be a matplotlib.animation.FuncAnimation, got {type(anim).__name__}"
        )

    class _Collect(mpl_animation.AbstractMovieWriter):
        def __init__(self) -> None:
            super().__init__(fps=5)
            self.rgba: list[np.ndarray] = []

        def setup(
            self,
            fig: Figure,
            outfile: str | Path,
            dpi: float | None = None,
        ) -> None:  # matplotlib's writer interface
            super().setup(fig, outfile, dpi=dpi)

        def grab_frame(self, **savefig_kwargs: Any) -> None:
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            canvas = (
                self.fig.canvas
                if isinstance(self.fig.canvas, FigureCanvasAgg)
                else FigureCanvasAgg(self.fig)
            )
            canvas.draw()
            self.rgba.append(np.array(canvas.buffer_rgba()))

        def finish(self) -> None:
            pass

    writer = _Collect()
    # the figure of the animation: matplotlib keeps it in a private attribute
    fig = anim._fig  # type: ignore[attr-defined]
    if dpi is not None:
        fig.set_dpi(float(dpi))
    anim.save("unused.png", writer=writer, dpi=fig.dpi)
    if not writer.rgba:
        raise ValueError("the animation produced no frame")
    n = len(writer.rgba)
    if not -n <= still < n:
        raise ValueError(
            f"still must index one of the {n} frames, got {still}"
        )
    if colours is not None and not (
        isinstance(colours, numbers.Integral) and 2 <= colours <= 256
    ):
        raise ValueError(
            f"colours must be an integer in [2, 256] or None, got {colours!r}"
        )
    frames = tuple(_encode_frames(writer.rgba, colours))
    interval = max(20, int(round(float(getattr(anim, "_interval", 200)))))
    return Animation(
        frames=frames,
        alt=alt,
        interval_ms=interval,
        still=still,
        labels=None if labels is None else tuple(labels),
        still_png=_encode_frames([writer.rgba[still % n]], None)[0],
    )
