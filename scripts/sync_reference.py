"""Keep the package reference in step with the package.

Writes the `sections:` of `reference/index` in `_toc.yml` and the module list of
`reference/index.md` from the pages `reference/<module>.md` that exist, in the
order of MODULE_ORDER (unknown modules last, alphabetically). Run it after adding
a module's reference page; `tests/book/test_book_structure.py` fails if they disagree.
"""

from __future__ import annotations

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: (module, one-line description) in reading order of the book
# fmt: off
MODULE_ORDER = [
    ("trigonometric", "trigonometric polynomials, best approximations, Jackson-Favard bounds"),
    ("rates", "fitted log-log convergence rates with confidence intervals"),
    ("flows", "controlled dynamics, fixed-step integrators (Euler = ResNet, RK4), continuous-time ResNets"),
    ("separability", "linear separability of labelled point sets"),
    ("invariance", "permutation groups, invariant targets, equivariant flows"),
    ("control", "Hamiltonian, costate, MSA and E-MSA, discrete weights, closed-loop control"),
    ("signals", "input signals on time grids"),
    ("kernels", "memory kernels of linear functionals"),
    ("functionals", "linear functionals by convolution, probing"),
    ("linear_rnn", "the linear RNN: continuous or discrete time, dense or modal form, kernels, outputs"),
    ("parameterisations", "parameterisations of decay rates: direct, exp, softplus, best"),
    ("evaluation", "fast evaluation of linear RNN outputs on a grid"),
    ("halfline", "kernel errors on the whole half-line, tail bounds"),
    ("modal", "modal form: real basis, best L1 coefficients"),
    ("realization", "Hankel singular values, ERA realisation"),
    ("fitting", "pole refinement in L1 and gradient training of linear RNNs"),
    ("memory", "memory measures: step responses, rate constants, memory functions"),
    ("perturbation", "perturbation errors and certified lower bounds of approximants"),
    ("training", "training on the kernel loss: plateaus, diagonal SSMs"),
    ("tanh_rnn", "a small tanh RNN trained by back-propagation through time"),
    ("architectures", "dilated CNNs, encoder-decoders and attention as functional approximators"),
    ("book", "the setup line of every chapter: threads, seeds, figure style"),
    ("reproducibility", "seeding and determinism"),
    ("plotting", "the book's colour-blind-safe figure style"),
]
# fmt: on


def pages() -> list[tuple[str, str]]:
    present = {
        p.stem
        for p in (ROOT / "reference").glob("*.md")
        if p.stem != "index"
    }
    known = [(m, d) for m, d in MODULE_ORDER if m in present]
    extra = [
        (m, "") for m in sorted(present - {m for m, _ in MODULE_ORDER})
    ]
    return known + extra


def main() -> int:
    entries = pages()
    toc = (ROOT / "_toc.yml").read_text()
    block = "".join(
        f"          - file: reference/{m}\n" for m, _ in entries
    )
    new_toc, n = re.subn(
        r"(      - file: reference/index\n        sections:\n)(?:          - file: reference/\S+\n)*",
        lambda mo: mo.group(1) + block,
        toc,
    )
    if n != 1:
        print(
            "could not find the reference/index entry with sections in _toc.yml",
            file=sys.stderr,
        )
        return 1
    (ROOT / "_toc.yml").write_text(new_toc)
    index = (ROOT / "reference" / "index.md").read_text()
    head = index.split("\n- {doc}")[0].rstrip() + "\n\n"
    lines = "".join(
        f"- {{doc}}`{m}`" + (f": {d};" if d else ";") + "\n"
        for m, d in entries
    )
    (ROOT / "reference" / "index.md").write_text(head + lines)
    print(f"{len(entries)} reference pages listed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
