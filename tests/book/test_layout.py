"""The tests mirror the package: every module of ``lib/dynapprox`` has its test file.

``lib/dynapprox/<module>.py`` is tested in ``tests/lib/test_<module>.py`` and
``lib/dynapprox/<sub>/<module>.py`` in ``tests/lib/<sub>/test_<module>.py`` or
``tests/lib/<sub>/test_<sub>_<module>.py`` (private modules, ``_name.py``, and
``__init__.py`` excepted: their code is tested through the public modules). Test files
live in ``tests/lib`` (the package) or ``tests/book`` (the book), none directly in
``tests/``, and their basenames are unique (pytest imports them by basename: the
folders have no ``__init__.py``).
"""

from __future__ import annotations

import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lib" / "dynapprox"
TESTS = ROOT / "tests"


def public_modules() -> list[pathlib.Path]:
    """The public modules of the package, as paths relative to ``lib/dynapprox``."""
    return sorted(
        p.relative_to(PACKAGE)
        for p in PACKAGE.rglob("*.py")
        if not any(
            part.startswith("_") for part in p.relative_to(PACKAGE).parts
        )
    )


def test_every_module_has_its_test_file() -> None:
    missing = []
    for module in public_modules():
        folder = TESTS / "lib" / module.parent
        if not any((folder / name).exists() for name in _names(module)):
            dotted = ".".join(("dynapprox", *module.with_suffix("").parts))
            want = folder / f"test_{module.name}"
            missing.append(f"{dotted}: {want.relative_to(ROOT)}")
    assert not missing, "modules without their test file:\n" + "\n".join(
        missing
    )


def test_no_test_file_outside_lib_and_book() -> None:
    stray = sorted(p.name for p in TESTS.glob("test_*.py"))
    assert not stray, (
        f"test files directly in tests/ (move them to tests/lib or tests/book): {stray}"
    )


def _names(module: pathlib.Path) -> set[str]:
    """The accepted test file names of a module (relative to lib/dynapprox)."""
    names = {f"test_{module.name}"}
    if module.parent.parts:
        names.add(f"test_{'_'.join(module.parent.parts)}_{module.name}")
    return names


def test_test_basenames_are_unique() -> None:
    seen: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        if path.name != "conftest.py":
            seen.setdefault(path.name, []).append(
                str(path.relative_to(ROOT))
            )
    clashes = {k: v for k, v in seen.items() if len(v) > 1}
    assert not clashes, (
        f"files with the same basename in tests/ (pytest cannot import both): {clashes}"
    )
