"""The display object of an animation: frames, an offline HTML player, a still frame.

An :class:`Animation` holds PNG frames of equal size and shows them

* in HTML (``text/html``) as a **self-contained** player: the frames are embedded as
  ``data:`` URIs, the controls (first, previous, play/pause, next, last, a frame
  slider) are plain buttons with inline SVG icons driven by a few lines of JavaScript;
  nothing is loaded from the network (matplotlib's own ``FuncAnimation.to_jshtml``
  loads its icons from a CDN and names its elements with random identifiers, which is
  why the book has its own player);
* in print (``image/png``) as a still frame chosen by the author, in full colour: MyST-NB
  ranks ``text/html`` above ``image/png`` for the HTML builders and does not offer
  ``text/html`` to the LaTeX builder at all, so no configuration is needed;
* in a console (``text/plain``) as a short description.

The HTML is deterministic: the same frames give the same bytes, and two executions
differ at most inside the embedded images (the element id is a hash of the alt text
and the labels, not a random number). The frames are drawn by
:mod:`dynapprox.animate.record`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Animation"]

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

    Build one with :func:`~dynapprox.animate.record.record_animation` (or
    :func:`~dynapprox.animate.record.from_funcanimation`); the constructor checks the
    frames. In a notebook, an :class:`Animation` as the last expression of a cell
    displays as the player; the cell's ``mystnb: figure:`` metadata
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
    The result of :func:`dynapprox.animate.record.record_animation`, shown in
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
