"""Animations that play in the static HTML book, offline, and print as a still frame.

A dynamical statement is best seen moving: points carried by a flow until a line
separates them, a costate swept backwards through the layers, a loss that sits on a
plateau while a kernel slowly grows its memory. :func:`record_animation` draws such a
motion frame by frame with matplotlib and returns an :class:`Animation`, a display
object with

* an HTML player (``text/html``) that is **self-contained**: the frames are PNG images
  embedded as ``data:`` URIs, the controls (first, previous, play/pause, next, last, a
  frame slider) are plain buttons with inline SVG icons driven by a few lines of
  JavaScript; nothing is loaded from the network (matplotlib's own
  ``FuncAnimation.to_jshtml`` loads its icons from a CDN and names its elements with
  random identifiers, which is why the book has its own player);
* a still frame (``image/png``, full colour, drawn again at print resolution) chosen by
  the author, which the LaTeX/PDF build prints: MyST-NB ranks ``text/html`` above ``image/png`` for the HTML builders
  and does not offer ``text/html`` to the LaTeX builder at all, so no configuration is
  needed;
* a short ``text/plain`` description for consoles.

The output is deterministic: the same frames give the same HTML, byte for byte, and the
HTML differs between two runs at most inside the embedded images (the element id is a
hash of the alt text and the labels, not a random number).

Sizes: a frame is quantised to an adaptive palette (128 colours by default, no
dithering: the book's figures are line art on white) and stored as PNG, about three
times smaller than matplotlib's full-colour PNG. A 640 x 260 pixel two-panel frame takes
10 to 25 kB (more for scatter plots of many points), so the book's animations of 25 to 43
frames add 0.4 to 0.8 MB to their HTML pages (base64 adds a third to the bytes);
:attr:`Animation.html_bytes` reports the size, and the browser test holds every page with
animations to 1.5 MB.

Used in chapters 2, 3, 5 and 10 (flows separating data, the one-dimensional
obstruction, the sweeps of the method of successive approximations, training plateaus).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import check_callable, check_positive_int

if TYPE_CHECKING:
    from pathlib import Path

    from matplotlib.figure import Figure

__all__ = [
    "Animation",
    "record_animation",
    "from_funcanimation",
    "PALETTE_COLOURS",
]

#: Default number of palette colours of a quantised frame (``None`` keeps full colour).
PALETTE_COLOURS: int = 128

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Inline SVG icons (16 x 16, drawn in the current text colour: readable in light and dark mode).
_ICONS = {
    "first": '<path d="M2 2h2v12H2zM14 2v12L5 8z"/>',
    "previous": '<path d="M12 2v12L4 8z"/>',
    "play": '<path d="M4 2v12l9-6z"/>',
    "pause": '<path d="M4 2h3v12H4zM9 2h3v12H9z"/>',
    "next": '<path d="M4 2v12l8-6z"/>',
    "last": '<path d="M2 2v12l9-6zM12 2h2v12h-2z"/>',
}
_TITLES = {
    "first": "First frame",
    "previous": "Previous frame",
    "play": "Play",
    "next": "Next frame",
    "last": "Last frame",
}


def _svg(name: str) -> str:
    return (
        '<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false" '
        f'fill="currentColor">{_ICONS[name]}</svg>'
    )


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG image, read from its IHDR chunk."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE):
        raise ValueError(
            "frames must be PNG images (bytes starting with the PNG signature)"
        )
    return int.from_bytes(data[16:20], "big"), int.from_bytes(
        data[20:24], "big"
    )


def _script_json(value: Any) -> str:
    """JSON for embedding in a <script> element (no '</' that would close it)."""
    return json.dumps(value, ensure_ascii=True).replace("</", "<\\/")


@dataclass(frozen=True, eq=False)
class Animation:
    r"""A sequence of PNG frames with an offline HTML player and a still frame for print.

    Build one with :func:`record_animation` (or :func:`from_funcanimation`); the
    constructor checks the frames. In a notebook, an :class:`Animation` as the last
    expression of a cell displays as the player; the cell's ``mystnb: figure:`` metadata
    (caption, name) numbers and captions it like any figure, in the HTML (the player
    sits in the ``<figure>``) and in the PDF (the still frame).

    Parameters
    ----------
    frames : Sequence[bytes]
        The frames, PNG images of equal size, at least one.
    alt : str
        Alternative text of the animation for screen readers (what is seen, not the
        file's name), non-empty.
    interval_ms : int
        Time between frames when playing, in milliseconds (at least 20).
    still : int
        Index of the frame printed in the PDF (negative indices count from the end,
        ``-1`` is the last frame).
    labels : Sequence[str] or None
        Optional text shown beside the slider for each frame (e.g. ``"t = 0.50"``), one
        per frame.
    still_png : bytes or None
        A full-colour PNG of the still frame (the frames themselves may be
        palette-quantised); defaults to ``frames[still]``.

    Attributes
    ----------
    width, height : int
        Size of a frame in pixels.

    Used in
    -------
    The result of :func:`dynapprox.animate.record_animation`, shown in
    :doc:`/chapters/02_composition_dynamics`, :doc:`/chapters/03_flow_approximation`,
    :doc:`/chapters/05_optimal_control` and :doc:`/chapters/10_curse_of_memory`.
    """

    frames: tuple[bytes, ...]
    alt: str
    interval_ms: int = 200
    still: int = -1
    labels: tuple[str, ...] | None = None
    still_png: bytes | None = None
    width: int = field(init=False)
    height: int = field(init=False)

    def __post_init__(self) -> None:
        frames = self.frames
        if isinstance(frames, (bytes, bytearray)) or not isinstance(
            frames, Sequence
        ):
            raise TypeError(
                f"frames must be a sequence of PNG images (bytes), got {type(frames).__name__}"
            )
        frames = tuple(frames)
        if not frames:
            raise ValueError("frames must contain at least one PNG image")
        for i, fr in enumerate(frames):
            if not isinstance(fr, (bytes, bytearray)):
                raise TypeError(
                    f"frames[{i}] must be bytes (a PNG image), got {type(fr).__name__}"
                )
        sizes = {_png_size(bytes(fr)) for fr in frames}
        if len(sizes) != 1:
            raise ValueError(
                f"frames must all have the same size in pixels, got {sorted(sizes)}"
            )
        if not isinstance(self.alt, str) or not self.alt.strip():
            raise ValueError(
                "alt must be a non-empty text describing the animation (for screen readers)"
            )
        if isinstance(self.interval_ms, bool) or not isinstance(
            self.interval_ms, numbers.Integral
        ):
            raise TypeError(
                f"interval_ms must be an integer number of milliseconds, got {self.interval_ms!r}"
            )
        if self.interval_ms < 20:
            raise ValueError(
                f"interval_ms must be at least 20 (ms between frames), got {self.interval_ms}"
            )
        if isinstance(self.still, bool) or not isinstance(
            self.still, numbers.Integral
        ):
            raise TypeError(
                f"still must be an integer frame index, got {self.still!r}"
            )
        if not -len(frames) <= self.still < len(frames):
            raise ValueError(
                f"still must index one of the {len(frames)} frames, got {self.still}"
            )
        labels = self.labels
        if labels is not None:
            if isinstance(labels, str) or not isinstance(labels, Sequence):
                raise TypeError(
                    "labels must be a sequence of strings, one per frame, or None"
                )
            labels = tuple(labels)
            if len(labels) != len(frames) or not all(
                isinstance(s, str) for s in labels
            ):
                raise ValueError(
                    f"labels must be {len(frames)} strings (one per frame), got {len(labels)} items"
                )
        still_png = self.still_png
        if still_png is not None:
            if not isinstance(still_png, (bytes, bytearray)):
                raise TypeError(
                    f"still_png must be bytes (a PNG image), got {type(still_png).__name__}"
                )
            _png_size(bytes(still_png))
            still_png = bytes(still_png)
        object.__setattr__(
            self, "frames", tuple(bytes(fr) for fr in frames)
        )
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "still_png", still_png)
        object.__setattr__(self, "interval_ms", int(self.interval_ms))
        object.__setattr__(self, "still", int(self.still))
        w, h = sizes.pop()
        object.__setattr__(self, "width", w)
        object.__setattr__(self, "height", h)

    # ------------------------------------------------------------------ accessors
    def __len__(self) -> int:
        return len(self.frames)

    @property
    def still_index(self) -> int:
        """The index (0-based, non-negative) of the still frame."""
        return self.still % len(self.frames)

    def still_image(self) -> bytes:
        """The PNG printed in the PDF: ``still_png`` if given, else the still frame."""
        return (
            self.still_png
            if self.still_png is not None
            else self.frames[self.still_index]
        )

    @property
    def element_id(self) -> str:
        """The HTML id of the player, made from a hash of its alt text, labels and sizes.

        The frames' bytes are left out on purpose: they may differ in the last bits between
        two machines (fonts), and the id must not, so that two executions of a chapter
        print the same HTML apart from the embedded images. Two animations on one page
        need different alt texts.
        """
        digest = hashlib.sha256()
        digest.update(self.alt.encode("utf-8"))
        digest.update(
            repr(
                (
                    self.labels,
                    len(self.frames),
                    self.width,
                    self.height,
                    self.interval_ms,
                )
            ).encode("utf-8")
        )
        return "dynapprox-anim-" + digest.hexdigest()[:12]

    # ------------------------------------------------------------------ rendering
    def to_html(self) -> str:
        """The self-contained HTML player (a ``<div>`` with an ``<img>``, controls, a script).

        The image shows the first frame before any script runs (and when scripts are
        disabled); the buttons step through the frames, *play* advances one frame every
        ``interval_ms`` milliseconds and stops at the last frame. The player keeps the
        current frame index in the ``data-frame`` attribute of its ``<div>``.
        """
        n = len(self.frames)
        uris = [
            "data:image/png;base64," + base64.b64encode(fr).decode("ascii")
            for fr in self.frames
        ]
        aid = self.element_id
        alt = html.escape(self.alt.strip(), quote=True)
        label0 = html.escape(self.labels[0]) if self.labels else ""
        button = (
            '<button type="button" data-action="{a}" title="{t}" aria-label="{t}" '
            'style="color:inherit;background:transparent;border:1px solid currentColor;border-radius:4px;'
            'padding:2px 6px;line-height:0;cursor:pointer;">{svg}</button>'
        )
        buttons = "".join(
            button.format(a=a, t=_TITLES[a], svg=_svg(a))
            for a in ("first", "previous", "play", "next", "last")
        )
        script = f"""<script>
(function () {{
  var s = document.currentScript;
  var root = (s && s.parentNode && s.parentNode.classList && s.parentNode.classList.contains("dynapprox-animation"))
    ? s.parentNode : document.getElementById({_script_json(aid)});
  if (!root || root.getAttribute("data-ready")) {{ return; }}
  root.setAttribute("data-ready", "1");
  var frames = {_script_json(uris[1:])};
  frames.unshift(root.querySelector("img").getAttribute("src"));
  var labels = {_script_json(list(self.labels) if self.labels else None)};
  var img = root.querySelector("img"), slider = root.querySelector("input[type=range]");
  var counter = root.querySelector("output"), label = root.querySelector(".dynapprox-animation-label");
  var play = root.querySelector('button[data-action="play"]');
  var icons = {_script_json({"play": _svg("play"), "pause": _svg("pause")})};
  var timer = null, interval = {self.interval_ms};
  frames.forEach(function (src) {{ var im = new Image(); im.src = src; }});
  function current() {{ return parseInt(root.getAttribute("data-frame"), 10) || 0; }}
  function show(i) {{
    i = Math.max(0, Math.min(frames.length - 1, i));
    img.src = frames[i];
    slider.value = String(i);
    root.setAttribute("data-frame", String(i));
    counter.textContent = (i + 1) + " / " + frames.length;
    if (labels && label) {{ label.textContent = labels[i]; }}
  }}
  function setPlay(playing) {{
    play.innerHTML = playing ? icons.pause : icons.play;
    play.title = playing ? "Pause" : "Play";
    play.setAttribute("aria-label", play.title);
    play.setAttribute("aria-pressed", playing ? "true" : "false");
  }}
  function stop() {{ if (timer) {{ clearInterval(timer); timer = null; }} setPlay(false); }}
  function start() {{
    if (current() >= frames.length - 1) {{ show(0); }}
    setPlay(true);
    timer = setInterval(function () {{
      var i = current() + 1;
      if (i >= frames.length) {{ stop(); }} else {{ show(i); }}
    }}, interval);
  }}
  root.addEventListener("click", function (e) {{
    var b = e.target.closest ? e.target.closest("button[data-action]") : null;
    if (!b || !root.contains(b)) {{ return; }}
    var a = b.getAttribute("data-action");
    if (a === "play") {{ if (timer) {{ stop(); }} else {{ start(); }} return; }}
    stop();
    if (a === "first") {{ show(0); }}
    else if (a === "previous") {{ show(current() - 1); }}
    else if (a === "next") {{ show(current() + 1); }}
    else if (a === "last") {{ show(frames.length - 1); }}
  }});
  slider.addEventListener("input", function () {{ stop(); show(parseInt(slider.value, 10)); }});
}})();
</script>"""
        return (
            f'<div class="dynapprox-animation" id="{aid}" data-frame="0" data-frames="{n}" '
            f'style="display:inline-block;max-width:100%;">\n'
            f'<img class="dynapprox-animation-frame" src="{uris[0]}" alt="{alt}" width="{self.width}" '
            f'height="{self.height}" style="max-width:100%;height:auto;display:block;">\n'
            f'<div class="dynapprox-animation-controls" role="group" aria-label="Animation controls" '
            f'style="display:flex;flex-wrap:wrap;align-items:center;gap:0.35em;margin-top:0.3em;">'
            f"{buttons}"
            f'<input type="range" min="0" max="{n - 1}" step="1" value="0" aria-label="Frame" '
            f'style="flex:1 1 10em;min-width:6em;">'
            f'<output style="font-variant-numeric:tabular-nums;">1 / {n}</output>'
            '<span class="dynapprox-animation-label" '
            'style="font-variant-numeric:tabular-nums;margin-left:0.6em;">'
            f"{label0}</span>"
            f"</div>\n{script}\n</div>"
        )

    @property
    def html_bytes(self) -> int:
        """Size in bytes of :meth:`to_html` (what the animation adds to its HTML page)."""
        return len(self.to_html().encode("utf-8"))

    def __repr__(self) -> str:
        return (
            f"<Animation: {len(self.frames)} frames of {self.width}x{self.height} px, "
            f"still frame {self.still_index + 1}>"
        )

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> dict[str, str]:
        """The player for HTML front ends, the still frame for print, a line of text."""
        return {
            "text/html": self.to_html(),
            "image/png": base64.b64encode(self.still_image()).decode(
                "ascii"
            ),
            "text/plain": repr(self),
        }


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
    r"""Draw ``n_frames`` frames of a matplotlib figure and return an :class:`Animation`.

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
        Alternative text of the animation (see :class:`Animation`).
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
    """Convert a matplotlib ``FuncAnimation`` into an offline :class:`Animation`.

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
    :func:`dynapprox.animate.record_animation`.
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
