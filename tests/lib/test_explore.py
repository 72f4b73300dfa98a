"""Unit tests of dynapprox.explore: controls, the static/live decision, the two views."""

from __future__ import annotations

import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from dynapprox import explore as ex  # noqa: E402


def _drawer(calls: list):
    def draw(omega: float, m: int):
        calls.append((omega, m))
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, omega * m])
        print(f"omega = {omega:g}, m = {m}: error {omega / m:.3f}")
        return fig

    return draw


CONTROLS = (
    ex.control(
        "omega",
        [0.5, 1.0, 2.0],
        default=1.0,
        label="memory exponent omega",
    ),
    ex.control("m", [4, 8, 16], default=8, label="width m"),
)


def test_control_checks_its_arguments():
    c = ex.control("T", [1, 2, 4])
    assert c.default == 1 and c.label == "T" and c.format(0.25) == "0.25"
    with pytest.raises(ValueError, match="identifier"):
        ex.control("not a name", [1, 2])
    with pytest.raises(ValueError, match="two"):
        ex.control("T", [1])
    with pytest.raises(ValueError, match="distinct"):
        ex.control("T", [1, 1])
    with pytest.raises(ValueError, match="default"):
        ex.control("T", [1, 2], default=3)
    with pytest.raises(TypeError, match="values"):
        ex.control("T", "12")
    with pytest.raises(TypeError, match="numbers or strings"):
        ex.control("T", [1, None])
    d = ex.control("delta", [1e-4, 3.16e-4, 1e-3], fmt=".0e")
    assert [d.format(v) for v in d.values] == ["1e-04", "3e-04", "1e-03"]
    with pytest.raises(ValueError, match="alike"):
        ex.control("delta", [1e-4, 1.1e-4], fmt=".0e")
    with pytest.raises(ValueError, match="fmt"):
        ex.control("delta", [1e-4, 1e-3], fmt="%d")


def test_mode_from_the_environment(monkeypatch):
    monkeypatch.setenv("DYNAPPROX_CONTROLS", "static")
    assert ex.controls_mode() == "static"
    monkeypatch.setenv("DYNAPPROX_CONTROLS", "live")
    assert ex.controls_mode() == "live"
    monkeypatch.setenv("DYNAPPROX_CONTROLS", "sometimes")
    with pytest.raises(ValueError, match="DYNAPPROX_CONTROLS"):
        ex.controls_mode()


def test_auto_mode_needs_a_kernel_started_by_a_widget_front_end(
    monkeypatch,
):
    import IPython

    monkeypatch.delenv("DYNAPPROX_CONTROLS", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert (
        ex.controls_mode() == "static"
    )  # plain Python (pytest, a script)
    kernel_shell = types.SimpleNamespace(kernel=object(), user_ns={})
    monkeypatch.setattr(IPython, "get_ipython", lambda: kernel_shell)
    assert (
        ex.controls_mode() == "static"
    )  # a kernel driven by nbclient (book build, nbval)
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/reader/chapter.ipynb")
    assert (
        ex.controls_mode() == "live"
    )  # a kernel started by a Jupyter server
    monkeypatch.delenv("JPY_SESSION_NAME")
    kernel_shell.user_ns["__vsc_ipynb_file__"] = (
        "/home/reader/chapter.ipynb"
    )
    assert ex.controls_mode() == "live"  # VS Code
    terminal_shell = types.SimpleNamespace(
        user_ns={"__vsc_ipynb_file__": "x"}
    )
    monkeypatch.setattr(IPython, "get_ipython", lambda: terminal_shell)
    assert (
        ex.controls_mode() == "static"
    )  # a terminal IPython has no kernel
    monkeypatch.setenv("DYNAPPROX_CONTROLS", "static")
    monkeypatch.setattr(IPython, "get_ipython", lambda: kernel_shell)
    assert ex.controls_mode() == "static"  # the environment variable wins


def test_figure_uses_defaults_and_checks_values():
    calls: list = []
    e = ex.Explorer(_drawer(calls), CONTROLS)
    assert e.defaults == {"omega": 1.0, "m": 8}
    plt.close(e.figure())
    plt.close(e.figure(m=16))
    assert calls == [(1.0, 8), (1.0, 16)]
    with pytest.raises(ValueError, match="not a control"):
        e.figure(beta=1.0)
    with pytest.raises(ValueError, match="one of"):
        e.figure(m=5)
    with pytest.raises(TypeError, match="Figure"):
        ex.Explorer(lambda omega: None, CONTROLS[:1]).figure()
    with pytest.raises(ValueError, match="distinct names"):
        ex.Explorer(_drawer(calls), (CONTROLS[0], CONTROLS[0]))
    with pytest.raises(TypeError, match="Control"):
        ex.Explorer(_drawer(calls), ("omega",))
    with pytest.raises(TypeError, match="draw"):
        ex.Explorer("draw", CONTROLS)


def test_static_view_prints_the_same_text_and_leaves_no_figure(capsys):
    texts = []
    for _ in range(2):
        calls: list = []
        ex.explore(_drawer(calls), *CONTROLS, mode="static")
        texts.append(capsys.readouterr().out)
        assert calls == [(1.0, 8)]
        assert plt.get_fignums() == []
    assert texts[0] == texts[1]
    assert "omega = 1, m = 8: error 0.125" in texts[0]
    assert (
        "Shown: memory exponent omega = 1 (live: 0.5, 1, 2);\n"
        "       width m = 8 (live: 4, 8, 16).\n"
        "Run the notebook in Jupyter to move the sliders.\n"
    ) in texts[0]


def test_note_lines_fit_a_printed_line():
    many = ex.control(
        "omega",
        [0.5 * k for k in range(1, 40)],
        default=1.0,
        label="a rather long control label",
    )
    note = ex.Explorer(_drawer([]), (many,)).note()
    lines = note.splitlines()
    assert len(lines) > 2 and max(map(len, lines)) <= ex.NOTE_WIDTH
    assert lines[0].startswith("Shown: a rather long control label = 1")
    assert all(ln.startswith(" " * 9) for ln in lines[1:-1])
    assert lines[-1] == "Run the notebook in Jupyter to move the sliders."


def test_live_view_redraws_when_a_slider_moves():
    pytest.importorskip("ipywidgets")
    calls: list = []
    box = ex.Explorer(_drawer(calls), CONTROLS).widget()
    assert calls == [(1.0, 8)]  # the default figure is drawn at once
    sliders = box.sliders
    assert [o for o in sliders["m"].options] == [
        ("4", 4),
        ("8", 8),
        ("16", 16),
    ]
    assert (
        sliders["omega"].value == 1.0
        and sliders["omega"].continuous_update is False
    )
    sliders["omega"].value = 2.0
    sliders["m"].value = 16
    assert calls == [(1.0, 8), (2.0, 8), (2.0, 16)]
    sliders["m"].value = 8  # seen before: shown again without drawing
    assert calls == [(1.0, 8), (2.0, 8), (2.0, 16)]
    assert plt.get_fignums() == []
    with pytest.raises(ValueError, match="mode"):
        ex.Explorer(_drawer(calls), CONTROLS).show(mode="sometimes")


def test_render_returns_the_text_and_the_png_of_the_figure():
    import io

    from PIL import Image

    calls: list = []
    text, png = ex.Explorer(_drawer(calls), CONTROLS).render(m=4)
    assert text == "omega = 1, m = 4: error 0.250\n" and calls == [
        (1.0, 4)
    ]
    size = Image.open(io.BytesIO(png)).size
    w, h = plt.rcParams["figure.figsize"]
    assert size == (
        round(w * plt.rcParams["figure.dpi"]),
        round(h * plt.rcParams["figure.dpi"]),
    )
    assert plt.get_fignums() == []


def test_render_can_reuse_the_first_layout():
    figs = []

    def draw(title: str):
        fig, ax = plt.subplots(layout="constrained")
        ax.plot([0, 1], [0, 1])
        ax.set_title(title)
        figs.append(fig)
        return fig

    tall = "a title\non\nthree lines"
    e = ex.Explorer(draw, [ex.control("title", ["short", tall])])
    e.render()
    first = figs[-1].axes[0].get_position().bounds
    e.render(reuse_layout=True, title=tall)
    assert (
        figs[-1].axes[0].get_position().bounds == first
    )  # placed where the first figure had it
    e.render(title=tall)
    assert (
        figs[-1].axes[0].get_position().bounds[3] < first[3]
    )  # solved again: the tall title shrinks the axes


def test_sliders_share_one_description_width():
    # with a width per label, a longer label made a shorter track (seen in
    # JupyterLab, chapter 8); one width holds the longest label
    pytest.importorskip("ipywidgets")
    box = ex.Explorer(_drawer([]), CONTROLS).widget()
    widths = {
        (s.style.description_width, s.layout.width)
        for s in box.sliders.values()
    }
    assert len(widths) == 1
    ((label, total),) = widths
    longest = max(len(c.label) for c in CONTROLS)
    assert float(label.removesuffix("em")) >= 0.6 * longest
    assert (
        float(total.removesuffix("em"))
        == float(label.removesuffix("em")) + ex.SLIDER_EM
    )
    assert ex._label_width_em([]) == 4.0
