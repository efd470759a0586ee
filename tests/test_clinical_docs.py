"""Every clinical citation resolves inside the repository (docs/clinical/README.md).

Code, tests, protocol files and docs cite ``docs/clinical/<file>.md#<heading>``; each must name
an existing file and one of its headings (anchors as GitHub builds them).  The links inside
``docs/clinical`` resolve the same way.  Nothing may point at the specification's working notes
outside the repository any more: a clone carries its own clinical reference.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLINICAL = ROOT / "docs" / "clinical"
CITING = ["mdt", "ui", "resources", "docs", "tests", "bench", "scripts", "main.py", "selftest.py",
          "README.md", "BENCHMARKS.md", "pyinstaller.spec", "pyproject.toml"]
TEXT_SUFFIXES = {".py", ".md", ".json", ".toml", ".txt", ".sh", ".spec", ".cfg", ".ini", ".yml", ".yaml"}
SKIP_DIRS = {".git", ".venv", "build", "dist", "__pycache__", ".mypy_cache", ".ruff_cache",
             ".pytest_cache", ".hypothesis", ".import_linter_cache", ".cache", "data"}

CITATION = re.compile(r"docs/clinical/([A-Za-z0-9_./-]+?\.md)(?:#([\w-]+))?")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]*)\)")
# Written in pieces so this file does not match itself.
OUTSIDE = re.compile("|".join([r"\bCONVENTIONS" + r"\.md", r"\bREFERENCE" + r"\.md",
                               r"\.\./" + "shared", "/work/" + "shared", "shared/" + "domain"]))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    found: list[str] = []
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (m := re.match(r"#{1,6}\s+(.+?)\s*#*\s*$", line)):
            base = slug(m.group(1))
            n = sum(1 for a in found if a == base or re.fullmatch(re.escape(base) + r"-\d+", a))
            found.append(base if n == 0 else f"{base}-{n}")
    return frozenset(found)


def _text_files(*names: str) -> list[Path]:
    out: list[Path] = []
    for name in names:
        path = ROOT / name
        if path.is_file():
            out.append(path)
            continue
        for p in sorted(path.rglob("*")):
            if p.is_file() and p.suffix in TEXT_SUFFIXES and not SKIP_DIRS & set(p.relative_to(ROOT).parts):
                out.append(p)
    return out


def _citations() -> list[tuple[str, str, str | None]]:
    """(where, file, anchor) of every docs/clinical citation in the repository's text."""
    found = []
    for path in _text_files(*CITING):
        if path == Path(__file__).resolve():
            continue  # its own broken examples are on purpose
        for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for m in CITATION.finditer(line):
                found.append((f"{path.relative_to(ROOT)}:{lineno}", m.group(1), m.group(2)))
    return found


def _problem(file: str, anchor: str | None) -> str | None:
    target = (CLINICAL / file).resolve()
    if not target.is_relative_to(CLINICAL.resolve()) or not target.is_file():
        return f"no file docs/clinical/{file}"
    if anchor is not None and anchor not in anchors(target):
        return f"no heading #{anchor} in docs/clinical/{file}"
    return None


@pytest.mark.parametrize(("heading", "anchor"), [
    ("Remnant threshold", "remnant-threshold"),
    ("Resection or ablation (U1)", "resection-or-ablation-u1"),
    ("RECIST 1.1", "recist-11"),
    ("Cockcroft–Gault", "cockcroftgault"),
    ("SULTAN (NCT03164655)", "sultan-nct03164655"),
    ("`dev` extra", "dev-extra"),
])
def test_anchors_are_built_as_github_builds_them(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_the_clinical_reference_is_in_the_repository() -> None:
    for name in ("README.md", "conventions.md", "reference.md", "sources.md"):
        assert (CLINICAL / name).is_file(), name
    assert len(anchors(CLINICAL / "conventions.md")) == len(
        [line for line in (CLINICAL / "conventions.md").read_text(encoding="utf-8").splitlines()
         if line.startswith("#")]), "two headings of conventions.md share an anchor"


def test_every_clinical_citation_names_an_existing_file_and_heading() -> None:
    citations = _citations()
    # The code, the protocol files and the tests all cite the reference (not only the docs).
    cited_from = {where.split("/")[0] for where, _f, _a in citations}
    assert {"mdt", "resources", "tests"} <= cited_from, cited_from
    broken = [f"{where}: {problem}" for where, file, anchor in citations
              if (problem := _problem(file, anchor)) is not None]
    assert broken == []


def test_links_inside_the_clinical_reference_resolve() -> None:
    broken = []
    for path in sorted(CLINICAL.glob("*.md")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in MARKDOWN_LINK.finditer(line):
                target = m.group(1)
                if target.startswith(("http://", "https://")):
                    continue
                file, _, anchor = target.partition("#")
                problem = _problem(file or path.name, anchor or None)
                if problem:
                    broken.append(f"{path.relative_to(ROOT)}:{lineno}: {target}: {problem}")
    assert broken == []


def test_a_broken_citation_is_reported() -> None:
    assert _problem("conventions.md", "remnant-threshold") is None
    assert _problem("conventions.md", "remnant-treshold") == \
        "no heading #remnant-treshold in docs/clinical/conventions.md"
    assert _problem("convention.md", None) == "no file docs/clinical/convention.md"
    assert _problem("../ARCHITECTURE.md", None) == "no file docs/clinical/../ARCHITECTURE.md"


def test_nothing_points_at_clinical_notes_outside_the_repository() -> None:
    offenders = []
    for path in _text_files(*{p.name for p in ROOT.iterdir()} - SKIP_DIRS):
        for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()[:100]}")
    assert offenders == []
