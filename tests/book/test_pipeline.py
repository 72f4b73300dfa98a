"""The test pipeline's own bookkeeping (no chapter is executed here).

* ``scripts/cache_guard.py``: a change of ``lib/`` clears the execution cache and
  Sphinx's saved environment, nothing else does; the timeout is the build's.
* ``scripts/chapters.py``: the key of a comparison ignores what the notebook reader
  draws at random (cell ids) and changes with any output; the ledger counts the
  executions per chapter and fails above two.
"""

from __future__ import annotations

import nbformat
import pytest
import yaml

import cache_guard
import chapters


@pytest.fixture
def fake_build(tmp_path, monkeypatch):
    build = tmp_path / "_build"
    (build / ".jupyter_cache").mkdir(parents=True)
    (build / ".doctrees").mkdir()
    monkeypatch.setattr(cache_guard, "CACHE", build / ".jupyter_cache")
    monkeypatch.setattr(cache_guard, "DOCTREES", build / ".doctrees")
    monkeypatch.setattr(cache_guard, "STAMP", build / ".lib-hash")
    return build


def test_guard_clears_cache_and_doctrees_only_when_lib_changes(
    fake_build, monkeypatch
):
    hashes = iter(["aaa", "aaa", "bbb"])
    monkeypatch.setattr(cache_guard, "lib_hash", lambda: next(hashes))
    cache_guard.guard()  # no stamp: the cache's package is unknown, so it is cleared
    assert (fake_build / ".lib-hash").read_text().strip() == "aaa"
    assert (
        not (fake_build / ".jupyter_cache").exists()
        and not (fake_build / ".doctrees").exists()
    )
    (fake_build / ".jupyter_cache").mkdir()
    (fake_build / ".doctrees").mkdir()
    cache_guard.guard()  # same lib/: both kept
    assert (fake_build / ".jupyter_cache").exists() and (
        fake_build / ".doctrees"
    ).exists()
    cache_guard.guard()  # lib/ changed: both cleared, new stamp
    assert (
        not (fake_build / ".jupyter_cache").exists()
        and not (fake_build / ".doctrees").exists()
    )
    assert (fake_build / ".lib-hash").read_text().strip() == "bbb"


def test_lib_hash_covers_lib_and_requirements():
    text = cache_guard.lib_hash()
    assert len(text) == 64 and text == cache_guard.lib_hash()


def test_timeout_is_the_builds():
    config = yaml.safe_load((cache_guard.ROOT / "_config.yml").read_text())
    assert cache_guard.config_timeout() == config["execute"]["timeout"]
    assert (
        config["execute"]["execute_notebooks"] == "cache"
    )  # the build reads the cache we fill


def _notebook(outputs: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("text")]
    for i, text in enumerate(outputs):
        cell = nbformat.v4.new_code_cell(
            f"print({i})"
        )  # each new cell gets a random id
        cell.outputs = [
            nbformat.v4.new_output("stream", name="stdout", text=text)
        ]
        nb.cells.append(cell)
    return nb


def test_comparison_key_ignores_cell_ids_and_sees_every_output():
    a, b = _notebook(["0\n", "1\n"]), _notebook(["0\n", "1\n"])
    assert [c.id for c in a.cells] != [c.id for c in b.cells]
    assert chapters.comparison_key(a) == chapters.comparison_key(b)
    assert chapters.comparison_key(a) != chapters.comparison_key(
        _notebook(["0\n", "1.0\n"])
    )


def test_ledger_counts_and_fails_above_two(tmp_path, monkeypatch, capsys):
    ledger = tmp_path / "executions.log"
    monkeypatch.setattr(chapters, "LEDGER", ledger)
    first = str(chapters.code_chapters()[0].relative_to(chapters.ROOT))
    ledger.write_text(f"build {first}\nnbval {first}\n")
    assert chapters.ledger() == 0
    assert (
        f"{first}: executed 2 time(s) (build, nbval)"
        in capsys.readouterr().out
    )
    ledger.write_text(f"build {first}\nnbval {first}\nnbval {first}\n")
    assert chapters.ledger() == 1
    assert "more than 2" in capsys.readouterr().out


def test_lib_hash_ignores_build_products(tmp_path, monkeypatch):
    # `pip install -e .` and `make dist` rewrite lib/*.egg-info: that must not look like a change of lib/
    lib = tmp_path / "lib" / "pkg"
    lib.mkdir(parents=True)
    (lib / "mod.py").write_text("x = 1\n")
    (tmp_path / "requirements.txt").write_text("numpy==1\n")
    monkeypatch.setattr(cache_guard, "ROOT", tmp_path)
    before = cache_guard.lib_hash()
    egg = tmp_path / "lib" / "pkg.egg-info"
    egg.mkdir()
    (egg / "SOURCES.txt").write_text("anything\n")
    (lib / "__pycache__").mkdir()
    (lib / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    assert cache_guard.lib_hash() == before
    (lib / "mod.py").write_text("x = 2\n")
    assert cache_guard.lib_hash() != before


def test_warm_stamps_skip_only_unchanged_passing_checks(
    pytester, monkeypatch
):
    """The `stamped` fixture: a passing check is skipped the second time only if its
    inputs are byte-identical, never when BOOK_STAMPS is not 1, and a failure leaves
    no stamp."""
    import shutil

    conftest = (chapters.ROOT / "tests" / "conftest.py").read_text()
    # the stamps go to the test's own folder, not to the book's _build
    pytester.makeconftest(
        conftest.replace(
            'STAMP_DIR = ROOT / "_build" / ".checks-passed"',
            'STAMP_DIR = pathlib.Path.cwd() / "stamps"',
        )
    )
    data = pytester.path / "page.html"
    data.write_text("<p>one</p>")
    pytester.makepyfile(
        test_x=f"""
        import os, pathlib
        def test_page(stamped):
            stamped(pathlib.Path({str(data)!r}))
            assert os.environ.get("FAIL") != "1"
        """
    )
    monkeypatch.setenv("BOOK_STAMPS", "1")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(skipped=1)
    data.write_text("<p>two</p>")  # an input changed: the check runs again
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    monkeypatch.setenv("BOOK_STAMPS", "0")  # make test-full, CI=true
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    monkeypatch.setenv("BOOK_STAMPS", "1")
    shutil.rmtree(pytester.path / "stamps")
    monkeypatch.setenv("FAIL", "1")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(failed=1)
    monkeypatch.delenv("FAIL")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
