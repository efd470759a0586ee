"""Builders for RECIST tests: reviews from compact lesion specs, and the pharmaverse copy."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from mdt.case import Case, Lesion, Review

PHARMAVERSE = Path(__file__).resolve().parent / "data" / "recist-pharmaverse"
BASE_DATE = date(2026, 1, 5)


def lesion(spec: str) -> Lesion:
    """``"T1=30"`` target 30 mm; ``"T1=-"`` target too small to measure; ``"T1=0"`` target
    disappeared; ``"T1=R"`` resected; ``"N1"`` non-target present; ``"N1=0"`` non-target gone."""
    lesion_id, _, value = spec.partition("=")
    target = lesion_id.startswith("T")
    if value == "0":
        return Lesion(lesion_id, ("VI",), None, target, "disappeared")
    if value == "R":
        return Lesion(lesion_id, ("VI",), None, target, "resected")
    if value in ("", "-"):
        return Lesion(lesion_id, ("VI",), None, target, "present")
    return Lesion(lesion_id, ("VI",), float(value) if "." in value else int(value), target)


def reviews(*visits: str, weeks: int = 8) -> list[Review]:
    """One review per visit string of space-separated lesion specs, ``weeks`` apart."""
    return [
        Review(date=BASE_DATE + timedelta(weeks=weeks * i),
               lesions=tuple(lesion(s) for s in visit.split()))
        for i, visit in enumerate(visits)
    ]


def load_pharmaverse() -> dict[str, Case]:
    """The copied pharmaverse cases, keyed by file stem, parsed by the project's case reader."""
    from mdt.caseformat import load_cases

    cases: dict[str, Case] = {}
    for path in sorted((PHARMAVERSE / "cases").glob("*.json")):
        (case,) = load_cases(path)
        cases[path.stem] = case
    return cases


def pharmaverse_expected() -> dict[str, dict[str, dict[str, str]]]:
    return json.loads((PHARMAVERSE / "expected.json").read_text(encoding="utf-8"))
