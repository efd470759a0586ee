"""The window as a tumour board sees it, at 1366×768 (a laptop on a projector) and 1920×1080:
``scripts/screenshots.py`` drives the real window under Xvfb through every screen (patient list,
each review tab, Treatment, Compare, History, Images, Follow-up, Outcomes, meeting mode,
presentation) and reports, per screen, what is cut and every string shown.

Asserted here: no table header, cell, combo text, tab title, button or one-line label is cut at
either size; the verdict and the criteria (and the agenda in meeting mode) are inside the visible
area; no string shows a JSON path, an internal rule id, a double negative or a retired term.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mdt import glossary

ROOT = Path(__file__).resolve().parent.parent
SCREENS = ("patient-list-timeline", "review-lesions", "review-remnant", "review-clinical", "review-vote",
           "treatment", "compare", "history", "images", "followup", "outcomes", "meeting-review",
           "review-full-width", "presentation")

pytestmark = [pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed"),
              pytest.mark.xdist_group("screens")]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("screens")
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "screenshots.py"), "--out", str(out),
                          "--keep-going"], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("size", ["1366x768", "1920x1080"])
def test_every_screen_is_shown_and_nothing_is_cut(report, size: str) -> None:
    screens = report["sizes"][size]["screens"]
    assert [s["name"] for s in screens] == list(SCREENS)
    problems = {s["name"]: s["problems"] for s in screens if s["problems"]}
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


# A field path ("lesions[0].diameter_mm", "panel.decision.plan"), a rule id ("r0_resection_impossible"),
# a double negative ("not unresectable", "not no …").
JSON_PATH = re.compile(r"\w\[\d+\]|\b(?:panel|labs|clinical|remnant|imaging|lesions|vessels)\.[a-z_]+\b")
RULE_ID = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
DOUBLE_NEGATIVE = re.compile(r"\bnot (?:not|no|never|none|un(?!known)\w+)\b", re.IGNORECASE)


def _strings(report: dict) -> list[tuple[str, str]]:
    return [(f"{size} {s['name']}", text) for size, data in report["sizes"].items()
            for s in data["screens"] for text in s["strings"]
            if "/" not in text and "\\" not in text]  # file paths (the database's) are the user's own


def test_no_screen_shows_a_json_path_a_rule_id_or_a_double_negative(report) -> None:
    bad = [(where, text) for where, text in _strings(report)
           if JSON_PATH.search(text) or RULE_ID.search(text) or DOUBLE_NEGATIVE.search(text)]
    assert bad == [], bad[:20]


def test_every_screen_speaks_the_glossary(report) -> None:
    strings = _strings(report)
    retired = [(where, text, old) for where, text in strings for old in glossary.RETIRED_TERMS
               if re.search(rf"(?<!\w){re.escape(old)}", text)]
    assert retired == [], retired[:20]
    shown = " ".join(text for _where, text in strings)
    assert glossary.PROTOCOL_VERDICT in shown and glossary.TRIAL_ELIGIBILITY in shown
    assert not re.search(r"\b1 (?:reviews|ratings|patients|lesions|events)\b", shown)
