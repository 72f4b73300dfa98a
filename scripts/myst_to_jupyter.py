"""MyST Markdown notebooks -> notebooks in plain Jupyter Markdown + LaTeX.

The chapters are MyST notebooks: their prose uses directives (```` ```{prf:theorem} ````,
``:::{exercise}``), roles (``{eq}``, ``{prf:ref}``, ``{cite}``, ``{glue:text}``, ``{func}``),
label lines ``(ch-rates)=`` and the book's LaTeX macros (``\\R``, ``\\norm{x}``). Only the
book (Sphinx) and JupyterLab with ``jupyterlab-myst`` understand them; in Colab, classic
Jupyter, VS Code or GitHub they show as raw markup. This module rewrites the Markdown
cells of a notebook so that every client shows what the book shows:

* theorem-like blocks (``prf:*``), exercises, solutions and admonitions become headed
  blocks between two rules, with the number the book gives them ("**Theorem 9.2**
  (title)"); a proof starts with "*Proof.*" and ends with "∎";
* ``{math}`` blocks become ``$$ ... $$`` with the book's number as ``\\tag{...}``;
  multi-line blocks are wrapped in ``aligned`` as Sphinx does; bare ``amsmath``
  environments get ``$$`` around them;
* ``{eq}``, ``{prf:ref}``, ``{ref}``, ``{numref}``, ``{doc}`` become the text the book shows
  ("(9.3)", "Theorem 9.1", a section title) linked to that place in the online book;
  ``{func}``/``{meth}``/``{mod}``/... become code text linked to the package reference;
* ``{cite}`` becomes author-year text ("[Li *et al.*, 2021]") and the notebook gets a
  "References" cell at the end with every cited entry;
* ``{glue:text}`` (and ``{glue}``, ``{glue:md}``, ``{glue:math}``) becomes the value the
  book computed when it executed the chapter (the chapters are deterministic: running
  the notebook prints the same numbers), or, when no executed copy is at hand, a
  sentence saying which code cell computes it;
* label lines and MyST comments disappear; the book's macros are expanded, so the
  mathematics needs no configuration in the client;
* the ``git+`` URL of the hosted-kernel install line (``%pip install "dynapprox @
  git+<url>"``) is replaced by the repository URL of ``_config.yml``.

The numbers and link targets come from the book's build (see ``book_reader.py``, which
collects them into ``_build/reader.json``); :func:`leftovers` lists whatever MyST-only
syntax is left in a text, for the tests.
"""

from __future__ import annotations

import copy
import json
import pathlib
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

#: A fence line: indentation, the fence, an optional directive name, the rest.
FENCE_RE = re.compile(
    r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})\s*(?:\{(?P<name>[^}\s]+)\})?(?P<arg>.*)$"
)
OPTION_RE = re.compile(r"^\s*:(?P<key>[A-Za-z][\w-]*):\s*(?P<value>.*)$")
LABEL_LINE_RE = re.compile(r"^\s*\((?P<label>[^()\s]+)\)=\s*$")
COMMENT_LINE_RE = re.compile(r"^\s*%")
ROLE_RE = re.compile(
    r"\{(?P<name>[A-Za-z][\w:.+-]*)\}`(?P<content>[^`]*)`"
)
DISPLAY_LABEL_RE = re.compile(
    r"[ \t]*\((?P<label>[^()\s]+)\)[ \t]*(?=\n|$)"
)
EXPLICIT_RE = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
AMS_ENVS = (
    "equation",
    "align",
    "gather",
    "multline",
    "flalign",
    "alignat",
    "eqnarray",
    "split",
)
BEGIN_ENV_RE = re.compile(
    r"^\s*\\begin\{(?P<env>(?:" + "|".join(AMS_ENVS) + r")\*?)\}"
)
INSTALL_LINE_RE = re.compile(r"(git\+)(?P<url>[^\s\"'#@]+)")

#: What :func:`leftovers` reports: MyST syntax with no meaning in plain Jupyter Markdown.
LEFTOVER_PATTERNS: dict[str, re.Pattern[str]] = {
    "role": re.compile(r"\{[A-Za-z][\w:.+-]*\}`"),
    "directive fence": re.compile(
        r"^\s*(`{3,}|~{3,}|:{3,})\s*\{[^}]+\}", re.M
    ),
    "colon fence": re.compile(r"^\s*:{3,}\s*$", re.M),
    "label line": re.compile(r"^\s*\([^()\s]+\)=\s*$", re.M),
    "directive option": re.compile(
        r"^\s*:(label|class|nonumber|tags|name|hidden):", re.M
    ),
    "MyST comment": re.compile(r"^%", re.M),
    "substitution": re.compile(r"\{\{\s*[A-Za-z_][\w.]*\s*\}\}"),
    "equation label": re.compile(r"\$\$[ \t]*\([^()\s]+\)"),
    "unresolved glue": re.compile(r"glue value `[^`]+`"),
}

PRF_NAMES = {
    "proof": "Proof",
    "axiom": "Axiom",
    "theorem": "Theorem",
    "lemma": "Lemma",
    "algorithm": "Algorithm",
    "definition": "Definition",
    "remark": "Remark",
    "conjecture": "Conjecture",
    "corollary": "Corollary",
    "criterion": "Criterion",
    "example": "Example",
    "property": "Property",
    "observation": "Observation",
    "proposition": "Proposition",
    "assumption": "Assumption",
    "notation": "Notation",
}
ADMONITIONS = {
    "note",
    "tip",
    "hint",
    "important",
    "warning",
    "caution",
    "attention",
    "danger",
    "error",
    "seealso",
}
PY_ROLES = {
    "func",
    "meth",
    "class",
    "mod",
    "obj",
    "data",
    "attr",
    "exc",
    "const",
}
RULE = "---"


# ------------------------------------------------------------------- the context
@dataclass
class Context:
    """What the conversion of one notebook needs from the book.

    Parameters
    ----------
    docname : str
        The page of the notebook in the book (``chapters/09_rates_memory``).
    site_url : str
        The online book (``https://<owner>.github.io/<repo>/``); links point there.
    repo_url : str
        The repository URL of ``_config.yml``; the install line is pointed at it.
    xrefs : dict
        ``{"eq"|"prf"|"std"|"doc"|"py": {label: {"text": str, "url": str}}}`` with site-relative
        URLs, from the build (``book_reader.reader_data``).
    blocks : list of dict
        The numbered blocks of this page in document order, from the build:
        ``{"kind": "prf"|"exercise"|"solution", "id": str, "number": str}``.
    glue : dict
        ``{key: text}``: the glued values of this page's execution.
    bibliography : dict
        ``{key: {"label": "Li *et al.*, 2021", "entry": "..."}}``.
    macros : dict
        The book's MathJax macros (``mathjax3_config.tex.macros``).
    """

    docname: str = ""
    site_url: str = ""
    repo_url: str = ""
    xrefs: dict[str, dict[str, dict[str, str]]] = field(
        default_factory=dict
    )
    blocks: list[dict[str, str]] = field(default_factory=list)
    glue: dict[str, str] = field(default_factory=dict)
    bibliography: dict[str, dict[str, str]] = field(default_factory=dict)
    macros: dict[str, Any] = field(default_factory=dict)
    #: Filled by the conversion: what could not be resolved (empty on a complete build).
    problems: list[str] = field(default_factory=list)
    #: Filled by the conversion: the bibliography keys cited, in order of first citation.
    cited: list[str] = field(default_factory=list)
    #: Code cells (index, source) of the notebook, for glue fallbacks.
    code_cells: list[str] = field(default_factory=list)
    _block_index: int = 0

    def url(self, rel: str) -> str:
        """Absolute URL of a site-relative ``rel`` (unchanged when no site URL is known)."""
        return urljoin(self.site_url, rel) if self.site_url else ""


# --------------------------------------------------------------------- the macros
def _macro_table(
    macros: dict[str, Any] | None,
) -> dict[str, tuple[str, int]]:
    table = {}
    for name, spec in (macros or {}).items():
        body, nargs = (
            (spec[0], int(spec[1]))
            if isinstance(spec, (list, tuple))
            else (str(spec), 0)
        )
        if not nargs and re.search(r"[\^_]", body):
            body = (
                "{" + body + "}"
            )  # F^{*} as a group: \Fs^{(i)} stays a single superscript
        table[name] = (body, nargs)
    return table


def _read_argument(tex: str, pos: int) -> tuple[str, int] | None:
    """One TeX argument at ``pos`` (a braced group or a single token); ``None`` at the end."""
    while pos < len(tex) and tex[pos] in " \t\n":
        pos += 1
    if pos >= len(tex):
        return None
    if tex[pos] == "{":
        depth = 0
        for j in range(pos, len(tex)):
            if tex[j] == "\\":
                continue
            if tex[j] == "{" and (j == 0 or tex[j - 1] != "\\"):
                depth += 1
            elif tex[j] == "}" and tex[j - 1] != "\\":
                depth -= 1
                if depth == 0:
                    return tex[pos + 1 : j], j + 1
        return None
    if tex[pos] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", tex[pos:])
        assert m is not None
        return m.group(0), pos + m.end()
    return tex[pos], pos + 1


def expand_macros(tex: str, macros: dict[str, Any] | None) -> str:
    """Expand the book's MathJax macros in a TeX string.

    ``macros`` is ``mathjax3_config.tex.macros`` of ``_config.yml``: ``name: body`` or
    ``name: [body, nargs]`` with ``#1``... for the arguments. A macro is recognised as a
    whole control word (``\\R`` but not ``\\Rightarrow``); nested macros are expanded too.
    """
    table = _macro_table(macros)
    if not table:
        return tex
    pattern = re.compile(
        r"\\("
        + "|".join(sorted(map(re.escape, table), key=len, reverse=True))
        + r")(?![A-Za-z])"
    )
    for _ in range(20):
        out: list[str] = []
        pos = 0
        changed = False
        for m in pattern.finditer(tex):
            if m.start() < pos:
                continue
            if m.start() > 0 and tex[m.start() - 1] == "\\":
                continue  # an escaped backslash: "\\R" is a line break followed by R
            body, nargs = table[m.group(1)]
            end = m.end()
            args = []
            for _k in range(nargs):
                got = _read_argument(tex, end)
                if got is None:
                    break
                args.append(got[0])
                end = got[1]
            if len(args) < nargs:
                continue
            for k, a in enumerate(args, start=1):
                body = body.replace(f"#{k}", a)
            out.append(tex[pos : m.start()])
            # keep a following letter from gluing onto a control word of the body
            if (
                end < len(tex)
                and tex[end].isalpha()
                and re.search(r"\\[A-Za-z]+$", body)
            ):
                body += " "
            out.append(body)
            pos = end
            changed = True
        out.append(tex[pos:])
        tex = "".join(out)
        if not changed:
            break
    return tex


# ------------------------------------------------------------------ the inline level
def _split_explicit(content: str) -> tuple[str | None, str]:
    m = EXPLICIT_RE.match(content)
    if m and m.group("text"):
        return m.group("text"), m.group("target").strip()
    return None, content.strip()


def _link(text: str, url: str) -> str:
    return f"[{text}]({url})" if url else text


def _glue_fallback(ctx: Context, key: str) -> str:
    """A sentence naming the code cell that computes glue value ``key`` (no build at hand)."""
    for i, src in enumerate(ctx.code_cells, start=1):
        for m in re.finditer(
            r"glue\(\s*(?P<f>f?)[\"'](?P<name>[^\"']+)[\"']", src
        ):
            name = m.group("name")
            prefix = name.split("{", 1)[0] if m.group("f") else None
            if name == key or (prefix and key.startswith(prefix)):
                return f"(glue value `{key}`: computed by code cell {i})"
    return f"(glue value `{key}`: computed by this notebook's code cells)"


def _format_glue(text: str, fmt: str) -> str:
    """A glued ``text/plain`` value as the ``{glue:text}`` role shows it (myst-nb's formatter)."""
    from myst_nb.core.variables import format_plain_text

    try:
        return format_plain_text(text, fmt)
    except (TypeError, ValueError):
        return text.strip("'")


def _role(name: str, content: str, ctx: Context) -> str:
    """The plain-Markdown rendering of one role."""
    name = name.removeprefix("py:").removeprefix("std:")
    if name == "glue" or name.startswith("glue:"):
        kind = name.partition(":")[2] or "any"
        key = content.strip().split("::", 1)[
            -1
        ]  # path::key glues from another page
        key, _, fmt = key.partition(":")
        if key not in ctx.glue:
            if ctx.glue:
                ctx.problems.append(
                    f"glue key {key!r} has no value in the build"
                )
            return _glue_fallback(ctx, key)
        value = _format_glue(ctx.glue[key], fmt)
        if kind == "math":
            return f"${expand_macros(value, ctx.macros)}$"
        return value
    if name == "cite" or name.startswith("cite:"):
        keys = [k.strip() for k in content.split(",") if k.strip()]
        parts = []
        for key in keys:
            if key not in ctx.cited:
                ctx.cited.append(key)
            entry = ctx.bibliography.get(key)
            if entry is None:
                ctx.problems.append(
                    f"citation key {key!r} is not in the bibliography"
                )
                parts.append((key, key, ""))
            else:
                parts.append(
                    (
                        entry.get("author", key),
                        entry.get("year", ""),
                        entry["label"],
                    )
                )
        if name in ("cite:t", "cite:ts"):
            return ", ".join(f"{a} [{y}]" for a, y, _ in parts)
        if name == "cite:author":
            return ", ".join(a for a, _, _ in parts)
        if name == "cite:year":
            return ", ".join(y for _, y, _ in parts)
        return "[" + ", ".join(lab or a for a, _, lab in parts) + "]"
    if name == "eq":
        target = content.strip()
        hit = ctx.xrefs.get("eq", {}).get(target)
        if hit is None:
            if ctx.xrefs:
                ctx.problems.append(
                    f"equation {target!r} not found in the build"
                )
            return f"({target})"
        return _link(hit["text"], ctx.url(hit["url"]))
    if name in ("prf:ref", "ref", "numref", "doc", "any", "term"):
        text, target = _split_explicit(content)
        table = {"prf:ref": "prf", "doc": "doc", "numref": "numref"}.get(
            name, "std"
        )
        if name == "doc" and not target.startswith(
            "/"
        ):  # relative to the page, as Sphinx reads it
            target = posixpath.normpath(
                posixpath.join(posixpath.dirname(ctx.docname), target)
            )
        target = target.lstrip("/")
        hit = ctx.xrefs.get(table, {}).get(target)
        if hit is None and name in ("ref", "any"):
            hit = ctx.xrefs.get("prf", {}).get(target) or ctx.xrefs.get(
                "eq", {}
            ).get(target)
        if hit is None:
            if ctx.xrefs and name != "term":
                ctx.problems.append(
                    f"{name} target {target!r} not found in the build"
                )
            return text or target
        if name == "numref" and text and "{number}" in text:
            number = re.sub(r"^\D*", "", hit["text"])
            text = text.replace("{number}", number)
        return _link(text or hit["text"], ctx.url(hit["url"]))
    if name in PY_ROLES:
        text, target = _split_explicit(content)
        shown = text
        if shown is None:
            short = target.startswith("~")
            target = target.lstrip("~.")
            shown = target.rsplit(".", 1)[-1] if short else target
            if name in ("func", "meth"):
                shown += "()"
        hit = ctx.xrefs.get("py", {}).get(target.lstrip("~."))
        if hit is None and ctx.xrefs:
            ctx.problems.append(
                f"python object {target!r} not found in the package reference"
            )
        return _link(f"`{shown}`", ctx.url(hit["url"]) if hit else "")
    if name == "math":
        return f"${expand_macros(content, ctx.macros)}$"
    if name in ("sub", "sup"):
        return f"<{name}>{content}</{name}>"
    if name == "download":
        text, target = _split_explicit(content)
        return _link(text or target, target)
    if name == "abbr":
        return re.sub(r"\s*\(.*\)$", "", content)
    # any other role: its text
    text, target = _split_explicit(content)
    return text or target


def _find_closing_dollar(text: str, start: int, double: bool) -> int:
    """Index of the closing ``$`` (or ``$$``) of a maths span opened before ``start``; -1 if none."""
    i = start
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "$":
            if double:
                if text.startswith("$$", i):
                    return i
            else:
                return i
        i += 1
    return -1


def convert_inline(text: str, ctx: Context) -> str:
    """Roles, maths (macros expanded) and display labels of a piece of Markdown (no fences)."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "{":
            m = ROLE_RE.match(text, i)
            if m:
                out.append(_role(m.group("name"), m.group("content"), ctx))
                i = m.end()
                continue
        if c == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            end = text.find("`" * run, i + run)
            while end != -1 and end + run < n and text[end + run] == "`":
                end = text.find("`" * run, end + run + 1)
            if end == -1:
                out.append(text[i : i + run])
                i += run
                continue
            out.append(text[i : end + run])
            i = end + run
            continue
        if c == "\\" and i + 1 < n:
            out.append(text[i : i + 2])
            i += 2
            continue
        if c == "$":
            double = text.startswith("$$", i)
            start = i + (2 if double else 1)
            end = _find_closing_dollar(text, start, double)
            if end == -1:
                out.append(text[i:start])
                i = start
                continue
            tex = expand_macros(text[start:end], ctx.macros)
            i = end + (2 if double else 1)
            if double:
                m = DISPLAY_LABEL_RE.match(text, i)
                if m:
                    tex = _tagged(tex, m.group("label"), ctx)
                    i = m.end()
                out.append(f"$${tex}$$")
            else:
                out.append(f"${tex}$")
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _tagged(tex: str, label: str | None, ctx: Context) -> str:
    if not label:
        return tex
    hit = ctx.xrefs.get("eq", {}).get(label)
    if hit is None:
        if ctx.xrefs:
            ctx.problems.append(
                f"equation {label!r} has no number in the build"
            )
        return tex
    number = hit["text"].strip().removeprefix("(").removesuffix(")")
    return f"{tex.rstrip()} \\tag{{{number}}}"


def _display_math(body: str, label: str | None, ctx: Context) -> str:
    """A ``{math}`` block as ``$$...$$``, wrapped as Sphinx wraps it for MathJax."""
    parts = [
        p.strip() for p in re.split(r"\n\s*\n", body.strip()) if p.strip()
    ]
    parts = [expand_macros(p, ctx.macros) for p in parts]
    if len(parts) > 1:
        tex = (
            "\\begin{aligned}\n"
            + " \\\\\n".join(parts)
            + "\n\\end{aligned}"
        )
    elif (
        parts
        and "\\\\" in parts[0]
        and not parts[0].lstrip().startswith("\\begin")
    ):
        tex = "\\begin{aligned}\n" + parts[0] + "\n\\end{aligned}"
    else:
        tex = parts[0] if parts else ""
    tex = _tagged(tex, label, ctx)
    return f"$$\n{tex}\n$$"


# ------------------------------------------------------------------- the block level
def _parse_options(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Leading ``:key: value`` lines (or a ``---`` YAML block) of a directive body."""
    opts: dict[str, str] = {}
    i = 0
    if lines and lines[0].strip() == "---":
        import yaml

        for j in range(1, len(lines)):
            if lines[j].strip() == "---":
                data = yaml.safe_load("\n".join(lines[1:j])) or {}
                opts = {str(k): str(v) for k, v in data.items()}
                return opts, lines[j + 1 :]
    while i < len(lines):
        m = OPTION_RE.match(lines[i])
        if not m:
            break
        opts[m.group("key")] = m.group("value").strip()
        i += 1
    return opts, lines[i:]


def _close_index(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the fence opened at ``start`` (``len(lines)`` if unclosed)."""
    char, length = fence[0], len(fence)
    for j in range(start + 1, len(lines)):
        s = lines[j].strip()
        if s and set(s) == {char} and len(s) >= length:
            return j
    return len(lines)


def _next_block(
    ctx: Context, kind: str, label: str | None, typ: str = ""
) -> str | None:
    """The book's header ("Theorem 9.2") of a numbered block of the page.

    A labelled block is looked up by its label; an unlabelled one is the next block of the
    same kind and type in document order (so a block that a student notebook leaves out,
    such as a solution, does not shift the numbers of the labelled ones).
    """
    blocks = ctx.blocks
    if not blocks:
        return None
    if label:
        for k, b in enumerate(blocks):
            if b["kind"] == kind and b.get("id") == label:
                ctx._block_index = max(ctx._block_index, k + 1)
                return b.get("number") or None
        ctx.problems.append(
            f"no {kind} block labelled {label!r} in the build"
        )
        return None
    for k in range(ctx._block_index, len(blocks)):
        b = blocks[k]
        if b["kind"] == kind and (not typ or b.get("type", typ) == typ):
            ctx._block_index = k + 1
            return b.get("number") or None
    ctx.problems.append(
        f"no {typ or kind} block left in the build for an unlabelled block"
    )
    return None


def _boxed(header: str, body: list[str]) -> list[str]:
    return ["", RULE, "", header, "", *body, "", RULE, ""]


def _directive(
    name: str, arg: str, body_lines: list[str], ctx: Context
) -> list[str]:
    opts, content = _parse_options(body_lines)
    label = opts.get("label") or None
    title = convert_inline(arg.strip(), ctx) if arg.strip() else ""
    if name == "math":
        return ["", _display_math("\n".join(content), label, ctx), ""]
    if name in ("code", "code-block", "sourcecode"):
        return ["```" + arg.strip(), *content, "```"]
    inner = convert_lines(content, ctx)
    if name.startswith("prf:"):
        kind = name.split(":", 1)[1]
        if kind == "proof":
            _next_block(ctx, "prf", None, "proof")
            lead = "*Proof.*" + (f" {title}" if title else "")
            return ["", lead, "", *inner, "", "∎", ""]
        header = (
            None
            if "nonumber" in opts
            else _next_block(ctx, "prf", label, kind)
        )
        header = header or PRF_NAMES.get(kind, kind.title())
        return _boxed(
            f"**{header}**" + (f" ({title})" if title else ""), inner
        )
    if name in ("exercise", "exercise-start"):
        header = _next_block(ctx, "exercise", label) or "Exercise"
        start = _boxed(
            f"**{header}**" + (f" ({title})" if title else ""), inner
        )
        return (
            start[:-2] if name == "exercise-start" else start
        )  # the rule comes at exercise-end
    if name in ("exercise-end",):
        return ["", RULE, ""]
    if name in ("solution", "solution-start"):
        header = (
            _next_block(ctx, "solution", arg.strip() or None) or "Solution"
        )
        lines = ["", RULE, "", f"**{header}**", "", *inner]
        return (
            lines if name == "solution-start" else lines + ["", RULE, ""]
        )
    if name == "solution-end":
        return ["", RULE, ""]
    if name == "admonition" or name in ADMONITIONS:
        head = (
            title
            if name == "admonition"
            else name.title() + (f": {title}" if title else "")
        )
        return _boxed(f"**{head}**", inner)
    if name in ("figure", "image"):
        alt = opts.get("alt", "")
        return ["", f"![{alt}]({arg.strip()})", "", *inner]
    if name in (
        "bibliography",
        "tableofcontents",
        "toctree",
        "glue:figure",
        "raw",
    ):
        if name == "glue:figure":
            ctx.problems.append(
                f"glue:figure {arg.strip()!r} is not converted"
            )
        return []
    if name in (
        "margin",
        "sidebar",
        "epigraph",
        "topic",
        "div",
        "container",
        "card",
        "dropdown",
        "tab-item",
    ):
        return ["", *([f"**{title}**", ""] if title else []), *inner, ""]
    ctx.problems.append(f"directive {name!r} rendered as a plain block")
    return _boxed(f"**{title or name}**", inner)


def convert_lines(lines: list[str], ctx: Context) -> list[str]:
    """Convert a list of MyST Markdown lines (one cell, or a directive body)."""
    out: list[str] = []
    text: list[str] = []

    def flush() -> None:
        if text:
            out.extend(_convert_paragraphs(text, ctx))
            text.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        m = FENCE_RE.match(line)
        if m and not (
            m.group("fence")[0] == ":"
            and not m.group("name")
            and not m.group("arg").strip()
        ):
            flush()
            fence, name, arg = (
                m.group("fence"),
                m.group("name"),
                m.group("arg"),
            )
            j = _close_index(lines, i, fence)
            if j == len(lines) and name:
                ctx.problems.append(f"unclosed directive {line.strip()!r}")
            body = lines[i + 1 : j]
            if name is None and fence[0] != ":":
                out.extend(
                    lines[i : j + 1]
                )  # an ordinary code block: verbatim
            elif name is None:
                out.extend(convert_lines(body, ctx))
            else:
                out.extend(_directive(name, arg, body, ctx))
            i = j + 1
            continue
        if LABEL_LINE_RE.match(line) or (
            COMMENT_LINE_RE.match(line) and not _inside_math(text)
        ):
            i += 1
            continue
        text.append(line)
        i += 1
    flush()
    return out


def _inside_math(text: list[str]) -> bool:
    joined = "\n".join(text)
    return joined.count("$$") % 2 == 1


def _convert_paragraphs(lines: list[str], ctx: Context) -> list[str]:
    """Inline conversion, and ``$$`` around bare amsmath environments (``amsmath`` extension)."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = BEGIN_ENV_RE.match(lines[i])
        prev_blank = i == 0 or not lines[i - 1].strip()
        if m and prev_blank and not _inside_math(lines[:i]):
            env = m.group("env")
            end_re = re.compile(r"\\end\{" + re.escape(env) + r"\}\s*$")
            j = i
            while j < len(lines) and not end_re.search(lines[j]):
                j += 1
            tex = expand_macros("\n".join(lines[i : j + 1]), ctx.macros)
            out.extend(["$$", tex, "$$"])
            i = j + 1
            continue
        # gather a run of ordinary lines
        j = i
        run = []
        while j < len(lines):
            if (
                j > i
                and BEGIN_ENV_RE.match(lines[j])
                and not lines[j - 1].strip()
                and not _inside_math(lines[:j])
            ):
                break
            run.append(lines[j])
            j += 1
        out.extend(convert_inline("\n".join(run), ctx).split("\n"))
        i = j
    return out


def _tidy(lines: list[str]) -> str:
    """Join lines, collapse runs of blank lines and of rules, trim the ends."""
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r"(\n---\n)(\n---\n)+", r"\1", text)
    return text.strip("\n")


def convert_markdown(source: str, ctx: Context) -> str:
    """Convert the source of one Markdown cell."""
    return _tidy(convert_lines(source.split("\n"), ctx))


# ------------------------------------------------------------------ the notebook level
def rewrite_install_url(code: str, repo_url: str) -> str:
    """Point the ``git+<url>`` of a ``%pip install`` line at ``repo_url`` (other lines unchanged)."""
    if not repo_url:
        return code
    lines = code.split("\n")
    for k, line in enumerate(lines):
        if line.lstrip().startswith(
            ("%pip install", "!pip install", "pip install")
        ):
            lines[k] = INSTALL_LINE_RE.sub(
                lambda m: m.group(1) + repo_url.rstrip("/"), line
            )
    return "\n".join(lines)


def references_cell(ctx: Context) -> str | None:
    """Markdown of the "References" cell: every entry cited by the notebook, by label."""
    if not ctx.cited:
        return None
    keys = [k for k in ctx.cited if k in ctx.bibliography]
    keys.sort(key=lambda k: (ctx.bibliography[k]["label"].lower(), k))
    lines = ["## References", ""]
    for key in keys:
        entry = ctx.bibliography[key]
        lines.append(f"- **[{entry['label']}]** {entry['entry']}")
    if ctx.site_url:
        lines += [
            "",
            f"The book's full bibliography: {ctx.url('chapters/bibliography.html')}",
        ]
    return "\n".join(lines)


def convert_notebook(nb: Any, ctx: Context, *, notice: bool = True) -> Any:
    """A copy of ``nb`` with plain Markdown cells, the install URL of ``ctx``, and references.

    ``ctx.problems`` lists what could not be resolved; ``ctx.cited`` the citations.
    """
    import nbformat

    nb = copy.deepcopy(nb)
    ctx.code_cells = [c.source for c in nb.cells if c.cell_type == "code"]
    ctx._block_index = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = convert_markdown(cell.source, ctx)
        elif cell.cell_type == "code":
            cell.source = rewrite_install_url(cell.source, ctx.repo_url)
    refs = references_cell(ctx)
    if refs:
        nb.cells.append(nbformat.v4.new_markdown_cell(refs))
    if notice and ctx.site_url:
        page = ctx.url(ctx.docname + ".html")
        note = (
            f"*This notebook is a chapter of [the online book]({page}), converted to plain "
            "Jupyter Markdown: numbers of theorems and equations link to the book, and the numbers "
            "quoted in the text are those the book computed (run the cells to reproduce them).*"
        )
        idx = next(
            (
                k
                for k, c in enumerate(nb.cells)
                if c.cell_type == "markdown"
            ),
            0,
        )
        nb.cells.insert(
            idx + 1
            if idx < len(nb.cells)
            and nb.cells[idx].source.lstrip().startswith("#")
            else idx,
            nbformat.v4.new_markdown_cell(note),
        )
    if nb.nbformat_minor < 5:  # cell ids exist from nbformat 4.5 on
        for cell in nb.cells:
            cell.pop("id", None)
    return nb


def leftovers(text: str) -> list[str]:
    """The MyST-only syntax found in a Markdown text (outside code blocks and code spans)."""
    found = []
    stripped = _strip_code(text)
    for what, pattern in LEFTOVER_PATTERNS.items():
        for m in pattern.finditer(
            text if what == "unresolved glue" else stripped
        ):
            found.append(f"{what}: {m.group(0).strip()[:60]!r}")
    return found


def _strip_code(text: str) -> str:
    """``text`` without fenced code blocks and inline code spans (they may show syntax).

    A role's backticks (``{eq}`x```) are not a code span: the role is kept.
    """
    lines = text.split("\n")
    keep = []
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if m and not m.group("name") and m.group("fence")[0] in "`~":
            i = _close_index(lines, i, m.group("fence")) + 1
            continue
        keep.append(lines[i])
        i += 1
    joined = "\n".join(keep)
    out, i = [], 0
    while i < len(joined):
        role = ROLE_RE.match(joined, i) if joined[i] == "{" else None
        if role:
            out.append(role.group(0))
            i = role.end()
        elif joined[i] == "`":
            run = len(joined[i:]) - len(joined[i:].lstrip("`"))
            end = joined.find("`" * run, i + run)
            i = (end + run) if end != -1 else i + run
        else:
            out.append(joined[i])
            i += 1
    return "".join(out)


# ------------------------------------------------------------------- the bibliography
def _person_last(person: Any) -> str:
    from pybtex.richtext import Text

    return (
        str(Text(*person.rich_last_names).render_as("text"))
        if person.rich_last_names
        else str(person)
    )


def _author_text(persons: Any) -> str:
    names = [_person_last(p) for p in persons]
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} *et al.*"


def _latex_to_text(s: str) -> str:
    """Drop the braces and a few accents' TeX from a rendered entry; keep ``$...$`` maths."""
    import latexcodec  # noqa: F401  (registers the codec)

    out = []
    for k, part in enumerate(re.split(r"(\$[^$]*\$)", s)):
        if k % 2:
            out.append(part)
        else:
            try:
                part = part.encode("utf-8").decode("ulatex")
            except Exception:  # noqa: BLE001 - keep the text as it is
                pass
            out.append(part.replace("{", "").replace("}", ""))
    return "".join(out)


def load_bibliography(
    bibfiles: list[pathlib.Path], style: str = "plain"
) -> dict[str, dict[str, str]]:
    """``{key: {"label", "author", "year", "entry"}}`` for every entry of ``bibfiles``.

    ``label`` is the author-year text of the book's citations ("Li *et al.*, 2021",
    sphinxcontrib-bibtex's ``author_year`` style); ``entry`` is the entry formatted by
    pybtex's ``style`` (the book's ``bibtex_default_style``) as plain text.
    """
    from pybtex.database import BibliographyData, parse_file
    from pybtex.plugin import find_plugin

    data = BibliographyData()
    for path in bibfiles:
        for key, entry in parse_file(str(path)).entries.items():
            if key not in data.entries:
                data.add_entry(key, entry)
    formatter = find_plugin("pybtex.style.formatting", style)()
    backend = find_plugin("pybtex.backends", "text")()
    out: dict[str, dict[str, str]] = {}
    for formatted in formatter.format_entries(data.entries.values()):
        entry = data.entries[formatted.key]
        persons = (
            entry.persons.get("author")
            or entry.persons.get("editor")
            or []
        )
        author = _latex_to_text(_author_text(persons)) or entry.fields.get(
            "title", formatted.key
        )
        year = entry.fields.get("year", "n.d.")
        out[formatted.key] = {
            "label": f"{author}, {year}",
            "author": author,
            "year": year,
            "entry": _latex_to_text(formatted.text.render(backend)),
        }
    return out


# ------------------------------------------------------------------------- helpers
def load_reader_data(path: pathlib.Path) -> dict[str, Any]:
    """The build's cross-reference data (``_build/reader.json``); empty when missing."""
    try:
        return json.loads(pathlib.Path(path).read_text())
    except (OSError, ValueError):
        return {}


def load_glue(path: pathlib.Path) -> dict[str, str]:
    """``{key: text/plain}`` of a myst-nb ``<page>.glue.json`` (empty when missing)."""
    try:
        data = json.loads(pathlib.Path(path).read_text())
    except (OSError, ValueError):
        return {}
    out = {}
    for key, output in data.items():
        text = (output.get("data") or {}).get("text/plain")
        if isinstance(text, list):
            text = "".join(text)
        if text is not None:
            out[key] = text
    return out
