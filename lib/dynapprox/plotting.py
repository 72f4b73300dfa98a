"""The book's figure style.

One call, :func:`use_book_style`, at the top of a chapter. The colour cycle is the
Okabe-Ito palette, readable by colour-blind readers; line styles and markers also
cycle, so that curves stay distinguishable in greyscale print.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

__all__ = [
    "OKABE_ITO",
    "LINESTYLES",
    "MARKERS",
    "use_book_style",
    "loglog_axes",
]

#: Okabe-Ito colour-blind-safe palette (without its yellow).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
)
# (Okabe-Ito's yellow #F0E442 is left out: 1.3:1 contrast on white is unreadable as a line.)
#: The line styles (matplotlib's names, then dash patterns (offset, (on, off, ...))).
LINESTYLES: tuple[str | tuple[int, tuple[int, ...]], ...] = (
    "-",
    "--",
    "-.",
    ":",
    (0, (5, 1)),
    (0, (3, 1, 1, 1)),
    (0, (1, 1)),
)
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X")


def use_book_style(font_size: float = 10.0) -> None:
    """Set matplotlib's rc parameters for the book's figures.

    Uses the non-interactive Agg-compatible defaults, a small figure size suited to
    the HTML column, a grid, and a colour x line-style x marker cycle.

    Used in
    -------
    Used by :func:`dynapprox.book.setup` (the setup cell of every chapter, e.g.
    :doc:`/chapters/01_approximation`).
    """
    mpl.rcParams.update(
        {
            "figure.figsize": (6.0, 3.8),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "font.size": font_size,
            "axes.titlesize": font_size + 1,
            "axes.labelsize": font_size,
            "legend.fontsize": font_size - 1,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "lines.linewidth": 1.6,
            "lines.markersize": 5,
            "figure.constrained_layout.use": True,
            "axes.prop_cycle": cycler(color=list(OKABE_ITO))
            + cycler(linestyle=list(LINESTYLES))
            + cycler(marker=list(MARKERS)),
        }
    )


def loglog_axes(
    ax: Axes, xlabel: str, ylabel: str, title: str | None = None
) -> None:
    """Put ``ax`` on log-log scales and label it (rates are straight lines there).

    Used in
    -------
    :doc:`/chapters/01_approximation`, :doc:`/chapters/02_composition_dynamics`,
    :doc:`/chapters/07_sequence_modelling`, :doc:`/chapters/09_rates_memory`,
    :doc:`/chapters/10_curse_of_memory`, :doc:`/chapters/11_architectures`,
    :doc:`/chapters/12_state_space_models`.
    """
    from matplotlib import ticker

    ax.set_xscale("log")
    ax.set_yscale("log")
    # budgets are integers: label the x axis 5, 10, 20, 50 ... rather than 5x10^0
    ax.xaxis.set_major_formatter(
        ticker.FuncFormatter(lambda v, _: f"{v:g}")
    )
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)


def reference_slope(
    ax: Axes, x: ArrayLike, y0: float, slope: float, label: str
) -> None:
    """Draw the line y = y0 (x / x[0])^slope on ``ax`` (a rate guide on log-log axes).

    Used in
    -------
    :doc:`/chapters/02_composition_dynamics`.
    """
    xs = np.asarray(x, dtype=float)
    ax.plot(
        xs,
        y0 * (xs / xs[0]) ** slope,
        color="0.4",
        linestyle=":",
        marker="",
        label=label,
    )


__all__.append("reference_slope")
