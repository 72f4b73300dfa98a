"""Theorem <-> code in one click, checked on the sources (text and AST, no import).

* Every public function and class of the package (a name in ``__all__`` of a public
  module of ``lib/dynapprox``) has a docstring that ends with a ``Used in`` section
  holding at least one cross-reference (``:doc:``, ``:prf:ref:``, ``:ref:``, ``:func:``,
  ``:class:``): the reference page links back into the book. Names that ``__all__``
  re-exports (``from .x import y``) are checked where they are defined. Constants carry
  no docstring and are not checked.
* Every ``prf:theorem``, ``prf:proposition``, ``prf:corollary`` and ``prf:lemma`` block of
  a chapter is followed, before the next heading or block, by a ``**Code:**`` line with
  at least one ``{func}``/``{class}``/``{meth}``/``{mod}`` link to the code.
* The first code cell of a chapter that the page shows starts with
  ``from dynapprox.book import setup`` and then ``rng = setup(...)``.
The strict build (``-n -W``) checks that every such link resolves.
"""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

from chapters import code_chapters
from lint_chapters import code_cells

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lib" / "dynapprox"

USED_IN = re.compile(
    r"^\s*Used in\s*\n\s*-{7,}\s*\n(?P<body>(?:.|\n)*)\Z", re.M
)
DOC_ROLE = re.compile(r":(doc|prf:ref|ref|func|class):`[^`]+`")
CODE_ROLE = re.compile(r"\{(func|class|meth|mod)\}`[^`]+`")
STATEMENTS = ("theorem", "proposition", "corollary", "lemma")
OPEN = re.compile(r"^(?P<fence>`{3,}|:{3,})\{prf:(?P<kind>[a-z]+)\}")
FENCE = re.compile(r"^(`{3,}|:{3,}|~{3,})")


# ------------------------------------------------------------------ package side
def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _path_of(module: str) -> pathlib.Path | None:
    base = PACKAGE.parent.joinpath(*module.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.exists():
            return cand
    return None


def _all_names(tree: ast.Module) -> list[str]:
    """The names of ``__all__``: its list, plus ``.append``/``.extend``/``+=``."""
    names: list[str] = []

    def strings(node: ast.AST) -> list[str]:
        if isinstance(node, ast.List | ast.Tuple):
            return [
                e.value
                for e in node.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
        return []

    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
            )
            if any(
                isinstance(t, ast.Name) and t.id == "__all__"
                for t in targets
            ):
                if node.value is not None:
                    names += strings(node.value)
        elif isinstance(node, ast.Expr) and isinstance(
            node.value, ast.Call
        ):
            func = node.value.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "__all__"
            ):
                for arg in node.value.args:
                    if isinstance(arg, ast.Constant) and isinstance(
                        arg.value, str
                    ):
                        names.append(arg.value)
                    names += strings(arg)
    return names


def _resolve_import(
    module: str, is_package: bool, node: ast.ImportFrom
) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _definition(
    module: str, name: str, seen: frozenset[tuple[str, str]] = frozenset()
) -> tuple[str, ast.AST] | None:
    """Where ``name`` of ``module`` is defined: (module, def/class node), or None."""
    path = _path_of(module)
    if path is None or (module, name) in seen:
        return None
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
            )
            and node.name == name
        ):
            return module, node
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    source = _resolve_import(
                        module, path.name == "__init__.py", node
                    )
                    if not source.startswith("dynapprox"):
                        return None
                    sub = f"{source}.{alias.name}"
                    if (
                        _path_of(sub) is not None
                    ):  # a submodule, not a function
                        return None
                    return _definition(
                        source, alias.name, seen | {(module, name)}
                    )
    return None


def public_objects() -> list[tuple[str, str]]:
    """(module, name) of every name in ``__all__`` of a public module of the package."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).parts
        if any(p.startswith("_") and p != "__init__.py" for p in rel):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        out += [(_module_name(path), n) for n in _all_names(tree)]
    return out


def test_every_public_module_has_all() -> None:
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).parts
        if any(p.startswith("_") and p != "__init__.py" for p in rel):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not any(
            isinstance(t, ast.Name) and t.id == "__all__"
            for node in tree.body
            if isinstance(node, ast.Assign)
            for t in node.targets
        ):
            missing.append(_module_name(path))
    assert not missing, f"modules without __all__: {missing}"


def test_public_names_say_where_they_are_used() -> None:
    problems = []
    checked = set()
    for module, name in public_objects():
        found = _definition(module, name)
        if found is None:
            continue  # a constant or a submodule: no docstring of its own
        where, node = found
        if (where, name) in checked:
            continue
        checked.add((where, name))
        assert isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        )
        doc = ast.get_docstring(node) or ""
        m = USED_IN.search(doc)
        if m is None:
            problems.append(f"{where}.{name}: no 'Used in' section")
        elif not DOC_ROLE.search(m["body"]):
            problems.append(
                f"{where}.{name}: its 'Used in' section names no chapter, "
                "theorem or function (:doc:, :prf:ref:, :ref:, :func:, :class:)"
            )
    assert checked, "no public function or class found"
    assert not problems, (
        f"{len(problems)} public names without a link into the book:\n"
        + "\n".join(problems)
    )


def test_the_used_in_pattern() -> None:
    doc = (
        "Compute.\n\nUsed in\n-------\n:doc:`/chapters/09_rates_memory`.\n"
    )
    m = USED_IN.search(doc)
    assert m is not None and DOC_ROLE.search(m["body"])
    assert USED_IN.search("Compute.\n\nReturns\n-------\nx\n") is None
    tree = ast.parse(
        "__all__ = ['a']\n__all__.append('b')\n__all__ += ['c']\n"
    )
    assert _all_names(tree) == ["a", "b", "c"]


# ------------------------------------------------------------------ chapter side
def statement_blocks(
    path: pathlib.Path,
) -> list[tuple[int, str, str | None]]:
    """(line, kind, the **Code:** line or None) of each theorem-like block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    i = 0
    while i < len(lines):
        m = OPEN.match(lines[i])
        if not (m and m["kind"] in STATEMENTS):
            i += 1
            continue
        fence, start = m["fence"], i
        i += 1
        while i < len(lines) and lines[i].strip() != fence:
            i += 1
        i += 1
        code = None
        j = i
        while j < len(lines):
            line = lines[j]
            if line.startswith("#") or FENCE.match(line):
                break
            if line.startswith("**Code:**"):
                code = line
                break
            j += 1
        out.append((start + 1, m["kind"], code))
    return out


@pytest.mark.parametrize("chapter", code_chapters(), ids=lambda p: p.stem)
def test_statements_link_their_code(chapter: pathlib.Path) -> None:
    problems = []
    for line, kind, code in statement_blocks(chapter):
        if code is None:
            problems.append(
                f"{chapter.name}:{line}: {kind} without a **Code:** line"
            )
        elif not CODE_ROLE.search(code):
            problems.append(
                f"{chapter.name}:{line}: the **Code:** line of this {kind} "
                "links no {func}/{class}/{meth}/{mod}"
            )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("chapter", code_chapters(), ids=lambda p: p.stem)
def test_first_visible_cell_is_the_setup(chapter: pathlib.Path) -> None:
    visible = [
        c for c in code_cells(chapter) if "remove-cell" not in c.tags
    ]
    assert visible, f"{chapter.name}: no visible code cell"
    first = visible[0]
    statements = [
        ln
        for ln in first.source.splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    assert statements[:1] == ["from dynapprox.book import setup"], (
        f"{chapter.name}:{first.lineno}: the first visible cell must start with "
        f"`from dynapprox.book import setup`, got {statements[:1]}"
    )
    assert len(statements) > 1 and statements[1].startswith(
        "rng = setup("
    ), (
        f"{chapter.name}:{first.lineno}: `rng = setup(...)` must follow the import"
    )


def test_statement_blocks_are_read(tmp_path: pathlib.Path) -> None:
    src = tmp_path / "c.md"
    src.write_text(
        ":::{prf:theorem} A\n:label: thm-a\nText.\n:::\n\n"
        "**Code:** {func}`dynapprox.rates.fit_loglog_rate` -- the fit.\n\n"
        "```{prf:lemma} B\nText.\n```\n\nProse.\n\n## Next\n\n"
        "**Code:** too late\n",
        encoding="utf-8",
    )
    blocks = statement_blocks(src)
    assert [(k, c is not None) for _, k, c in blocks] == [
        ("theorem", True),
        ("lemma", False),
    ]
