"""Unit tests of dynapprox.plotting: the book's figure style."""

from __future__ import annotations


def test_book_style_sets_colour_blind_cycle():
    import matplotlib as mpl

    from dynapprox.plotting import OKABE_ITO, use_book_style

    use_book_style()
    colours = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
    assert colours == list(OKABE_ITO)
