"""The GitHub Actions workflows, the make targets they call, and Binder's files.

The workflows cannot run here, so they are checked in three ways:

* ``make lint-workflows`` (actionlint, as the ``jactionlint`` build shipped on PyPI,
  with shellcheck for the ``run:`` scripts) passes on ``.github/workflows/*.yml``;
* every ``run:`` step of every workflow is a single ``make <target>`` and every such
  target is run by a test (:data:`TESTED_TARGETS` says which): the workflows only call
  tested commands;
* each of those targets is run here: ``system-deps`` (in its checking mode),
  ``check-repository``, ``linkcheck`` (on a small site with a broken internal link, a
  missing anchor and an external link answered 404 by a local server), ``publish``
  (onto the gh-pages branch of a temporary bare repository).

Binder (repo2docker) builds from the repository's own files: ``runtime.txt`` names the
Python of the book, ``requirements.txt`` pins every package exactly and installs the
package, every module a chapter imports comes from the standard library or a pinned
distribution (so no Debian package is needed, and there is no ``apt.txt``), and
``start`` (which repo2docker runs around every session) points Jupyter at
``jupyter-config/``, as ``make lab`` does: chapters open as notebooks, with the macros.
"""

from __future__ import annotations

import ast
import http.server
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading
from importlib import metadata

import jupytext
import pytest
import yaml

from chapters import code_chapters
from ci import skip_or_fail

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
#: Every make target a workflow may call, and the test that runs it.
TESTED_TARGETS = {
    "system-deps": "test_system_deps_are_installed (CHECK=1)",
    "test": "the whole suite (.ci/run runs `make test`)",
    "book": "tests/book/test_book_build.py (the strict build `make book` runs)",
    "check-repository": "test_check_repository",
    "linkcheck": "test_linkcheck_finds_broken_links",
    "publish": "test_publish_pushes_gh_pages",
    "lint-workflows": "test_workflows_pass_actionlint",
    "dist": "tests/book/test_wheel.py",
}


def _make(
    *args: str,
    cwd: pathlib.Path = ROOT,
    env: dict | None = None,
    check: bool = False,
):
    full_env = {k: v for k, v in os.environ.items() if k != "MAKEFLAGS"}
    full_env.update(env or {})
    proc = subprocess.run(
        ["make", "--no-print-directory", *args, f"BIN={BIN}"],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
    )
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_workflows_exist() -> None:
    names = {p.stem for p in WORKFLOWS}
    assert {"test", "publish", "linkcheck"} <= names, names


def test_workflows_pass_actionlint(tmp_path) -> None:
    if not (BIN / "jactionlint").exists():
        skip_or_fail(
            "jactionlint is not installed (pip install -r requirements.txt)"
        )
    proc = _make("lint-workflows")
    assert proc.returncode == 0, (
        "actionlint:\n" + proc.stdout + proc.stderr
    )
    # the linter is not a no-op: the same target fails on a copy with a broken workflow
    copy = tmp_path / ".github" / "workflows"
    shutil.copytree(ROOT / ".github" / "workflows", copy)
    (copy / "broken.yml").write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ matrix.nope }}\n"
    )
    proc = _make("lint-workflows", f"WORKFLOWS_DIR={copy}")
    assert (
        proc.returncode != 0 and "broken.yml" in proc.stdout + proc.stderr
    ), proc.stdout + proc.stderr


def _run_steps(path: pathlib.Path) -> list[str]:
    doc = yaml.safe_load(path.read_text())
    return [
        step["run"]
        for job in doc["jobs"].values()
        for step in job.get("steps", [])
        if "run" in step
    ]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_call_only_tested_make_targets(
    path: pathlib.Path,
) -> None:
    runs = _run_steps(path)
    assert runs, f"{path.name}: no run step"
    makefile = (ROOT / "Makefile").read_text()
    for run in runs:
        m = re.fullmatch(
            r"make ([\w-]+)(?: [A-Z_]+=\"[^\"]*\")*", run.strip()
        )
        assert m, (
            f"{path.name}: a run step that is not one make target: {run!r}"
        )
        target = m.group(1)
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), (
            f"{path.name}: no make target {target!r}"
        )
        assert target in TESTED_TARGETS, (
            f"{path.name}: make {target} is not run by any test"
        )


def test_test_workflow_keeps_the_cache_and_uploads_reports() -> None:
    doc = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "test.yml").read_text()
    )
    on = doc.get(
        "on", doc.get(True)
    )  # YAML 1.1 reads the key `on` as True
    assert "pull_request" in on
    steps = doc["jobs"]["test"]["steps"]
    caches = [
        s
        for s in steps
        if str(s.get("uses", "")).startswith("actions/cache@")
    ]
    assert any(
        "_build/.jupyter_cache" in s["with"]["path"] for s in caches
    )
    uploads = [
        s
        for s in steps
        if str(s.get("uses", "")).startswith("actions/upload-artifact@")
    ]
    assert (
        uploads
        and uploads[0]["if"] == "failure()"
        and "_build/html/reports/" in uploads[0]["with"]["path"]
    )
    publish = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "publish.yml").read_text()
    )
    on = publish.get("on", publish.get(True))
    assert on["push"]["branches"] == ["main"] and on["push"]["tags"]
    link = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "linkcheck.yml").read_text()
    )
    assert "schedule" in link.get("on", link.get(True))


def test_system_deps_are_installed() -> None:
    if shutil.which("dpkg-query") is None:
        skip_or_fail("not a Debian system: dpkg-query is missing")
    proc = _make("system-deps", "CHECK=1")
    if proc.returncode != 0:
        skip_or_fail(proc.stdout.strip() or proc.stderr.strip())
    # the check is real: a package that does not exist is reported
    proc = _make(
        "system-deps", "CHECK=1", "SYSTEM_DEPS=no-such-package-xyz"
    )
    assert proc.returncode != 0 and "no-such-package-xyz" in proc.stdout


def test_check_repository() -> None:
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"][
        "url"
    ]
    owner, repo = url.rstrip("/").split("/")[-2:]
    _make("check-repository", f"REPOSITORY={url}", check=True)
    _make(
        "check-repository",
        f"REPOSITORY=git@github.com:{owner.upper()}/{repo}.git",
        check=True,
    )
    proc = _make(
        "check-repository", "REPOSITORY=https://github.com/someone/else"
    )
    assert (
        proc.returncode != 0
        and "repository: url: https://github.com/someone/else"
        in proc.stderr
    )


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:  # noqa: N802 - the http.server API
        self.send_response(200 if self.path == "/ok" else 404)
        self.end_headers()

    do_GET = do_HEAD

    def log_message(self, *args) -> None:
        pass


def test_linkcheck_finds_broken_links(tmp_path) -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    site = tmp_path / "html"
    (site / "chapters").mkdir(parents=True)
    (site / "index.html").write_text(
        f'<a href="chapters/a.html#sec">ok</a><a href="{base}/ok">ok</a><p id="top"></p>'
    )
    (site / "chapters" / "a.html").write_text(
        '<h1 id="sec">A</h1><a href="../index.html#top">back</a>'
    )
    try:
        _make("linkcheck", f"LINKCHECK_DIR={site}", check=True)
        (site / "chapters" / "b.html").write_text(
            f'<a href="missing.html">x</a><a href="a.html#nowhere">y</a><a href="{base}/gone">z</a>'
            '<a href="https://mybinder.org/v2/gh/o/r/main">launch</a>'
        )
        proc = _make("linkcheck", f"LINKCHECK_DIR={site}")
    finally:
        httpd.shutdown()
        httpd.server_close()
    out = proc.stdout
    assert proc.returncode != 0
    assert (
        "missing.html: no such file" in out
        and "no element with id 'nowhere'" in out
    )
    assert f"{base}/gone: HTTP 404" in out and "mybinder" not in out
    assert out.count("BROKEN") == 3, out


def _git(*args: str, cwd: pathlib.Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def test_publish_pushes_gh_pages(tmp_path) -> None:
    if not (BIN / "ghp-import").exists():
        skip_or_fail(
            "ghp-import is not installed (pip install -r requirements.txt)"
        )
    remote = tmp_path / "remote.git"
    work = tmp_path / "work"
    _git("init", "--bare", "-q", str(remote), cwd=tmp_path)
    work.mkdir()
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    os.environ.update({})  # (nothing global is changed)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", "start"],
        cwd=work,
        check=True,
        env={**os.environ, **env},
    )
    _git("remote", "add", "origin", str(remote), cwd=work)
    html = work / "_build" / "html"
    (html / "_static").mkdir(parents=True)
    (html / "index.html").write_text("<h1>book</h1>")
    (html / "_static" / "x.css").write_text("p {}")
    proc = _make(
        "-f", str(ROOT / "Makefile"), "publish", cwd=work, env=env
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = _git(
        "ls-tree", "-r", "--name-only", "gh-pages", cwd=remote
    ).split()
    assert set(files) == {".nojekyll", "index.html", "_static/x.css"}, (
        files
    )


def test_binder_files_are_consistent() -> None:
    runtime = (ROOT / "runtime.txt").read_text().strip()
    assert (
        runtime
        == f"python-{sys.version_info.major}.{sys.version_info.minor}"
    ), (
        f"runtime.txt says {runtime}, the book's environment is Python {sys.version_info[:2]}"
    )
    pyproject = (ROOT / "pyproject.toml").read_text()
    minimum = re.search(
        r'requires-python = ">=(\d+\.\d+)"', pyproject
    ).group(1)
    assert runtime.removeprefix("python-") >= minimum
    for wf in WORKFLOWS:
        assert (
            f"python:{runtime.removeprefix('python-')}-" in wf.read_text()
        ), f"{wf.name}: another Python"
    lines = [
        ln.strip()
        for ln in (ROOT / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert "-e ." in lines, (
        "requirements.txt must install the package (-e .)"
    )
    pins = [ln for ln in lines if ln != "-e ."]
    assert all(
        re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.+!-]+", p) for p in pins
    ), [p for p in pins if "==" not in p]
    names = {re.split(r"==", p)[0].lower().replace("_", "-") for p in pins}
    for needed in (
        "jupytext",
        "jupyterlab",
        "jupyterlab-myst",
        "ipykernel",
    ):
        assert needed in names, (
            f"Binder needs {needed} in requirements.txt"
        )
    assert (
        not (ROOT / "apt.txt").exists()
        or (ROOT / "apt.txt").read_text().strip()
    )
    # `start` (run by Binder around every session) points Jupyter at jupyter-config/
    assert os.access(ROOT / "start", os.X_OK), "start must be executable"
    assert (
        ROOT / "jupyter-config/labconfig/default_setting_overrides.json"
    ).exists()
    assert (ROOT / "jupyter-config/jupyter_server_config.py").exists()


def test_binder_start_loads_the_book_configuration(tmp_path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("JUPYTER_CONFIG_PATH", "PYTHONPATH")
    }
    proc = subprocess.run(
        [
            "bash",
            str(ROOT / "start"),
            str(BIN / "jupyter"),
            "server",
            "--show-config",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert (
        "contents_manager_class = 'lab_contents.BookContentsManager'"
        in out
    ), out[-3000:]
    assert "jupyterlab_myst | extension was successfully loaded" in out
    import json

    overrides = json.loads(
        (
            ROOT
            / "jupyter-config/labconfig/default_setting_overrides.json"
        ).read_text()
    )
    viewers = overrides["@jupyterlab/docmanager-extension:plugin"][
        "defaultViewers"
    ]
    assert viewers["markdown"] == "Jupytext Notebook"


def _imports(code: str) -> set[str]:
    code = "\n".join(
        ln
        for ln in code.splitlines()
        if not ln.lstrip().startswith(("%", "!"))
    )
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and not node.level
        ):
            out.add(node.module.split(".")[0])
    return out


def test_chapter_imports_come_from_the_pinned_requirements() -> None:
    pins = {
        re.split(r"==", ln)[0].lower().replace("_", "-")
        for ln in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in ln
    }
    providers = metadata.packages_distributions()
    missing = {}
    for src in code_chapters():
        for module in sorted(
            set().union(
                *(
                    _imports(c.source)
                    for c in jupytext.read(src).cells
                    if c.cell_type == "code"
                )
            )
        ):
            if module in sys.stdlib_module_names or module == "dynapprox":
                continue
            dists = {
                d.lower().replace("_", "-")
                for d in providers.get(module, [])
            }
            if not dists & pins:
                missing.setdefault(module, []).append(src.name)
    assert not missing, (
        f"modules imported by chapters but not pinned in requirements.txt: {missing}"
    )
