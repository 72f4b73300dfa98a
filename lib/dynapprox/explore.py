"""Live controls in the notebooks, a fixed default in the book.

A chapter's experiment often has a natural knob: the memory exponent :math:`\\omega`, the
width :math:`m`, the perturbation radius :math:`\\delta`, the horizon :math:`T`.
:func:`explore` shows the figure of an experiment for the knob's default value and,
*when the chapter runs in a live Jupyter front end that renders widgets*, adds
``ipywidgets`` sliders that recompute the figure when moved.

Where the book is built or tested (``jupyter-book``, ``nbval``, the determinism test:
kernels driven by ``nbclient``) there is no widget front end: the cell then shows the
default figure and prints the same text at every run, and no widget or widget state
enters the outputs. The decision is :func:`controls_mode`:

* ``DYNAPPROX_CONTROLS=static`` or ``=live`` in the environment decides explicitly
  (set ``static`` when a book build is started from inside a Jupyter kernel, whose
  environment would otherwise look like a live front end);
* otherwise the controls are live only if ``ipywidgets`` imports, the code runs in an
  IPython kernel, and the kernel was started by a front end that renders widgets:
  a Jupyter server (JupyterLab, Notebook 7, JupyterHub, Binder: the server sets
  ``JPY_SESSION_NAME`` in the kernel's environment), VS Code (which defines
  ``__vsc_ipynb_file__`` in the kernel) or Google Colab. A kernel started by
  ``nbclient`` has none of these marks.

The values a slider offers are a short fixed list chosen by the chapter, each of which
recomputes in well under a second, so that the figure follows the slider.

Used in chapters 3, 8 and 10 (horizon, memory exponent and width, perturbation radius).
"""

from __future__ import annotations

import math
import numbers
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ._validation import check_callable

__all__ = ["Control", "control", "controls_mode", "Explorer", "explore"]

MODES = ("static", "live")
#: Columns of a line of :meth:`Explorer.note`: what a printed line may take on the
#: book's pages (``scripts/lint_chapters.py``, ``PAGE_WIDTH``).
NOTE_WIDTH = 77


@dataclass(frozen=True)
class Control:
    """One knob of an experiment: a keyword argument and the values a slider offers.

    Attributes
    ----------
    name : str
        The keyword argument of the drawing function that the control sets.
    values : tuple
        The values offered, in slider order (numbers or strings), at least two.
    default : Any
        The value shown in the book, one of ``values``.
    label : str
        The slider's description (plain text, e.g. ``"omega"`` or ``"width m"``).
    fmt : str
        Format specification of the numbers shown (``"g"``, ``".0e"``, ...).

    Used in
    -------
    Made by :func:`dynapprox.explore.control` (in :doc:`/chapters/03_flow_approximation`,
    :doc:`/chapters/08_riesz_density`, :doc:`/chapters/10_curse_of_memory`).
    """

    name: str
    values: tuple
    default: Any
    label: str
    fmt: str = "g"

    def format(self, value: Any) -> str:
        """The text shown for ``value`` on the slider (``fmt`` for numbers, ``str`` otherwise)."""
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return format(value, self.fmt)
        return str(value)


def control(
    name: str,
    values: Sequence[Any],
    default: Any = None,
    label: str | None = None,
    fmt: str = "g",
) -> Control:
    """Make a :class:`Control` after checking its arguments.

    Parameters
    ----------
    name : str
        A Python identifier, the keyword argument the drawing function receives.
    values : Sequence
        At least two distinct values (numbers or strings).
    default : Any, optional
        One of ``values``; defaults to the first.
    label : str, optional
        The slider's text; defaults to ``name``.
    fmt : str
        Format specification of numeric values on the slider and in the printed note
        (e.g. ``".0e"`` shows ``0.001`` as ``1e-03``).

    Returns
    -------
    control : Control

    Used in
    -------
    :doc:`/chapters/03_flow_approximation`, :doc:`/chapters/08_riesz_density`,
    :doc:`/chapters/10_curse_of_memory`.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(
            f"name must be a Python identifier (a keyword argument), got {name!r}"
        )
    if isinstance(values, (str, bytes)) or not isinstance(
        values, Sequence
    ):
        raise TypeError(
            f"values must be a sequence of numbers or strings, got {type(values).__name__}"
        )
    vals = tuple(values)
    if len(vals) < 2:
        raise ValueError(
            f"values must offer at least two choices, got {len(vals)}"
        )
    if len(set(vals)) != len(vals):
        raise ValueError(f"values must be distinct, got {vals}")
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, (numbers.Real, str)):
            raise TypeError(
                f"values must be numbers or strings, got {v!r} of type {type(v).__name__}"
            )
    if default is None:
        default = vals[0]
    if default not in vals:
        raise ValueError(
            f"default must be one of values {vals}, got {default!r}"
        )
    if label is None:
        label = name
    if not isinstance(label, str) or not label.strip():
        raise ValueError("label must be a non-empty string")
    try:
        format(1.0, fmt)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"fmt must be a format specification for numbers such as 'g' or '.0e', got {fmt!r}"
        ) from exc
    labels = [
        format(v, fmt) if isinstance(v, numbers.Real) else str(v)
        for v in vals
    ]
    if len(set(labels)) != len(labels):
        raise ValueError(
            f"fmt {fmt!r} shows distinct values alike: {labels}"
        )
    return Control(
        name=name, values=vals, default=default, label=label, fmt=fmt
    )


#: Width of a slider's track and readout (em), after its description.
SLIDER_EM = 22.0


def _label_width_em(labels: Iterable[str]) -> float:
    """A description width (em) that holds the longest label on one line.

    About 0.62 em a character in the widgets' sans-serif font (measured in
    JupyterLab: "memory exponent omega", 21 characters, took 13.7 em), half
    an em rounded up, at least 4 em.
    """
    longest = max((len(s) for s in labels), default=0)
    return max(4.0, math.ceil(2 * 0.65 * longest) / 2)


def _widget_frontend() -> bool:
    """Whether the running IPython kernel was started by a front end that renders widgets."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False  # a plain Python process or a terminal IPython: no widgets
    if os.environ.get("JPY_SESSION_NAME"):
        return True  # a Jupyter server started the kernel (JupyterLab, Notebook 7, Hub, Binder)
    if "__vsc_ipynb_file__" in getattr(shell, "user_ns", {}):
        return True  # VS Code
    return "google.colab" in sys.modules


def controls_mode() -> str:
    """``"live"`` if sliders can be shown and moved here, else ``"static"``.

    ``$DYNAPPROX_CONTROLS`` (``static`` or ``live``) decides when it is set; otherwise
    live needs ``ipywidgets`` and a widget front end (see the module's description).

    Returns
    -------
    mode : str
        ``"static"`` or ``"live"``.

    Used in
    -------
    Used by :func:`dynapprox.explore.explore` (in :doc:`/chapters/03_flow_approximation`,
    :doc:`/chapters/08_riesz_density`, :doc:`/chapters/10_curse_of_memory`).
    """
    env = os.environ.get("DYNAPPROX_CONTROLS", "").strip().lower()
    if env and env != "auto":
        if env not in MODES:
            raise ValueError(
                f"DYNAPPROX_CONTROLS must be one of {MODES} or 'auto', got {env!r}"
            )
        return env
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return "static"
    return "live" if _widget_frontend() else "static"


class Explorer:
    """An experiment's drawing function with its controls.

    Parameters
    ----------
    draw : callable
        ``draw(**params)`` computes the experiment for the given values of the
        controls, draws it on a new matplotlib figure, returns that figure and may print
        a few lines of text (the same lines for the same values).
    controls : Sequence[Control]
        The knobs, with distinct names.

    Used in
    -------
    Made by :func:`dynapprox.explore.explore` (in :doc:`/chapters/03_flow_approximation`,
    :doc:`/chapters/08_riesz_density`, :doc:`/chapters/10_curse_of_memory`).
    """

    def __init__(
        self, draw: Callable[..., Any], controls: Sequence[Control]
    ):
        self.draw = check_callable("draw", draw)
        controls = tuple(controls)
        if not controls:
            raise ValueError("controls must contain at least one Control")
        for c in controls:
            if not isinstance(c, Control):
                raise TypeError(
                    f"controls must be Control objects (dynapprox.explore.control), got {type(c).__name__}"
                )
        names = [c.name for c in controls]
        if len(set(names)) != len(names):
            raise ValueError(
                f"controls must have distinct names, got {names}"
            )
        self.controls = controls
        self._layout: list[tuple[float, float, float, float]] | None = None

    @property
    def defaults(self) -> dict[str, Any]:
        """The default value of every control, by name."""
        return {c.name: c.default for c in self.controls}

    def figure(self, **params: Any) -> Any:
        """Call ``draw`` with the defaults updated by ``params``; return its figure.

        Raises
        ------
        ValueError
            If a name is not a control or a value is not one the control offers.
        TypeError
            If ``draw`` does not return a matplotlib figure.
        """
        from matplotlib.figure import Figure

        values = self.defaults
        by_name = {c.name: c for c in self.controls}
        for k, v in params.items():
            if k not in by_name:
                raise ValueError(
                    f"{k!r} is not a control of this explorer (controls: {sorted(by_name)})"
                )
            if v not in by_name[k].values:
                raise ValueError(
                    f"{k} must be one of {by_name[k].values}, got {v!r}"
                )
            values[k] = v
        fig = self.draw(**values)
        if not isinstance(fig, Figure):
            raise TypeError(
                f"draw must return a matplotlib.figure.Figure, got {type(fig).__name__}"
            )
        return fig

    def render(
        self, reuse_layout: bool = False, **params: Any
    ) -> tuple[str, bytes]:
        """The text ``draw`` prints and its figure as PNG bytes, for the given values.

        The PNG is drawn at the figure's own ``dpi`` without the tight bounding box of the
        notebook's inline display (one rendering pass instead of two; the book's figures
        use constrained layout, so nothing is cut). The figure is closed.

        Parameters
        ----------
        reuse_layout : bool
            Place the axes where the first rendered figure had them instead of solving
            the constrained layout again (the layout solve is about two thirds of the
            cost of a two-panel figure with log axes). Used by the live view, whose
            figures differ only in their data and labels; ignored when the number of
            axes differs.
        **params
            Values of the controls (defaults for the others).

        Returns
        -------
        text : str
            What ``draw`` printed.
        png : bytes
            The figure.
        """
        import contextlib
        import io

        import matplotlib.pyplot as plt

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            fig = self.figure(**params)
        try:
            if (
                reuse_layout
                and self._layout is not None
                and len(fig.axes) == len(self._layout)
            ):
                fig.set_layout_engine("none")
                for ax, box in zip(fig.axes, self._layout, strict=True):
                    ax.set_position(box)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=fig.dpi)
            if self._layout is None:
                self._layout = [
                    ax.get_position().bounds for ax in fig.axes
                ]
        finally:
            plt.close(fig)
        return out.getvalue(), buf.getvalue()

    def note(self) -> str:
        """The text printed under the static figure: the values shown and those offered.

        One control a line, each line at most ``NOTE_WIDTH`` columns (the width of
        a printed line on the page), then the invitation to move the sliders.
        """
        import textwrap

        lines: list[str] = []
        for k, c in enumerate(self.controls):
            values = ", ".join(c.format(v) for v in c.values)
            end = "." if k == len(self.controls) - 1 else ";"
            lines += textwrap.wrap(
                f"{c.label} = {c.format(c.default)} (live: {values}){end}",
                width=NOTE_WIDTH,
                initial_indent="Shown: " if k == 0 else " " * 7,
                subsequent_indent=" " * 9,
                break_on_hyphens=False,
            )
        return "\n".join(
            [*lines, "Run the notebook in Jupyter to move the sliders."]
        )

    def show_static(self) -> None:
        """Display the default figure and print :meth:`note` (the book's and the tests' view)."""
        import matplotlib.pyplot as plt
        from IPython.display import display

        fig = self.figure()
        display(fig)
        plt.close(fig)
        print(self.note())

    def widget(self) -> Any:
        """The live view: one ``SelectionSlider`` per control above an ``Output`` area.

        Moving a slider (on release) clears the area and shows the text and the figure of
        :meth:`render` for the new values; results are kept, so that returning to values
        seen before is immediate. The initial figure, for the defaults, is drawn at once.

        Returns
        -------
        box : ipywidgets.VBox
        """
        import ipywidgets as widgets
        from IPython.display import Image, display

        # one description width for all sliders, so that their tracks start
        # and end alike (with "initial" each track was as much shorter as its
        # label was longer: seen in JupyterLab)
        label_em = _label_width_em(c.label for c in self.controls)
        sliders = {
            c.name: widgets.SelectionSlider(
                options=[(c.format(v), v) for v in c.values],
                value=c.default,
                description=c.label,
                continuous_update=False,
                style={"description_width": f"{label_em:g}em"},
                layout=widgets.Layout(width=f"{label_em + SLIDER_EM:g}em"),
            )
            for c in self.controls
        }
        out = widgets.Output()
        seen: dict[tuple, tuple[str, bytes]] = {}

        def redraw(_change: Any = None) -> None:
            params = {k: s.value for k, s in sliders.items()}
            key = tuple(params.items())
            if key not in seen:
                seen[key] = self.render(reuse_layout=True, **params)
            text, png = seen[key]
            with out:
                out.clear_output(wait=True)
                print(text, end="")
                display(Image(data=png, format="png"))

        for s in sliders.values():
            s.observe(redraw, names="value")
        redraw()
        box = widgets.VBox([*sliders.values(), out])
        box.sliders = sliders  # for tests and for readers who want to script the sliders
        box.output = out
        return box

    def show(self, mode: str | None = None) -> None:
        """Show the experiment: :meth:`widget` when live, :meth:`show_static` otherwise.

        Parameters
        ----------
        mode : str, optional
            ``"static"`` or ``"live"``; defaults to :func:`controls_mode`.
        """
        if mode is None:
            mode = controls_mode()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if mode == "live":
            from IPython.display import display

            display(self.widget())
        else:
            self.show_static()


def explore(
    draw: Callable[..., Any], *controls: Control, mode: str | None = None
) -> None:
    """Show ``draw``'s figure for the defaults, with live sliders where a front end allows.

    Parameters
    ----------
    draw : callable
        ``draw(**params) -> matplotlib.figure.Figure`` (see :class:`Explorer`).
    *controls : Control
        The knobs, made with :func:`control`.
    mode : str, optional
        ``"static"`` or ``"live"``; defaults to :func:`controls_mode`.

    Examples
    --------
    >>> explore(draw_error, control("omega", [0.5, 1.0, 2.0], default=1.0))  # doctest: +SKIP

    Used in
    -------
    :doc:`/chapters/03_flow_approximation`, :doc:`/chapters/08_riesz_density`,
    :doc:`/chapters/10_curse_of_memory`.
    """
    Explorer(draw, controls).show(mode)
