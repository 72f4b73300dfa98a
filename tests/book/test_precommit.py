"""The pre-commit configuration: local hooks only, running the checks of ``make lint``.

``.pre-commit-config.yaml`` must parse, use only ``repo: local`` hooks with
``language: system`` (the tools of the book's ``.venv``; pre-commit then downloads
nothing), and run ruff's linter, ruff's format check, ruff on the chapters' code cells and
mypy. pre-commit's own validator reads it too (offline).
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".pre-commit-config.yaml"


def _hooks() -> list[dict]:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert isinstance(config, dict) and config.get("repos"), "no repos"
    return [
        hook for repo in config["repos"] for hook in repo.get("hooks", [])
    ]


def test_only_local_hooks() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for repo in config["repos"]:
        assert repo["repo"] == "local", (
            f"{repo['repo']}: a remote hook repository is downloaded by pre-commit"
        )
        assert "rev" not in repo
        for hook in repo["hooks"]:
            assert hook["language"] == "system", (
                f"{hook['id']}: language {hook['language']} installs an "
                "environment (network); use system"
            )


def test_hooks_run_the_checks_of_make_lint() -> None:
    entries = {hook["id"]: hook["entry"] for hook in _hooks()}
    joined = "\n".join(entries.values())
    assert "ruff check" in joined
    assert "ruff format --check" in joined
    assert "scripts/lint_chapters.py" in joined
    assert "mypy" in joined
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for step in (
        "ruff check",
        "ruff format --check",
        "lint_chapters.py",
        "mypy",
    ):
        assert step in makefile, f"make lint does not run {step}"


def test_hook_programs_come_from_the_venv() -> None:
    for hook in _hooks():
        program = hook["entry"].split()[0]
        assert program.startswith(".venv/bin/"), (
            f"{hook['id']}: {program} is not the pinned tool of .venv"
        )
        name = pathlib.Path(program).name
        here = pathlib.Path(sys.executable).with_name(name)
        assert here.exists() or shutil.which(name), (
            f"{hook['id']}: {name} is not installed (pip install -r requirements.txt)"
        )


def test_pre_commit_validates_the_config() -> None:
    exe = pathlib.Path(sys.executable).with_name("pre-commit")
    if not exe.exists():
        pytest.skip(
            "pre-commit is not installed (pip install -r requirements.txt)"
        )
    proc = subprocess.run(
        [str(exe), "validate-config", str(CONFIG)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
