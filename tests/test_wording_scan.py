"""Nothing a person reads names an internal id or a field path, or says "MET — R0 not possible".

Issue 11 asks for criteria in clinical language everywhere a person reads them: the terminal
report of ``main.py evaluate``, the window (review editor, compare tab, presentation mode) and
the PDF minutes and course report.  This module is data-driven:

* ``FORBIDDEN``: what must never be read there, each with why;
* ``CASES``: the issue's examples and generated cases under every shipped protocol;
* one test per surface, each collecting every string that surface shows for the cases and
  scanning it against ``FORBIDDEN``.

The machine output (``--json``) keeps its ids and paths: it is not scanned.  To extend the scan
(e.g. with the glossary's own entries), add a row to ``FORBIDDEN`` or a surface test that feeds
``scan``.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

import pytest

from mdt import glossary
from mdt.case import Case
from mdt.caseformat import parse_case
from mdt.protocols import evaluate, load_protocols, render_report
from tests.engine_fixtures import random_case
from tests.issue11_examples import EXAMPLES
from tests.ui_shell_fixtures import *  # noqa: F401,F403

FORBIDDEN: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an internal id: a rule id, rule kind, setting or status code in snake_case",
     re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9]\b")),
    ("a rule id in brackets ('[r0_resection_impossible]')", re.compile(r"\[[a-z][a-z0-9_]*\]")),
    ("a JSON path with an index ('lesions[4].segments')", re.compile(r"\b[a-z_]+\[\d+\]")),
    ("a dotted field path ('labs.plt', 'remnant.flr_ml')",
     re.compile(r"\b(?:reviews|lesions|vessels|labs|uln|clinical|remnant|pve|patient|treatment"
                r"|protocol|panel|imaging)\.[a-z_]+")),
    ("a bare status word where the legend's words belong ('MET — R0 not possible')",
     re.compile(r"\bMET\b|(?i:\b(?:not )?met\s*[—–:]\s)")),
    ("a double negative", re.compile(r"(?i)\bnot (?:un|not\b|no\b|never\b)")),
)
"""(why it is forbidden, the pattern) of every shape a person must never read."""


def scan(texts: Iterable[tuple[str, str]]) -> list[str]:
    """Every forbidden match in ``texts`` ((where, text) pairs), as readable lines."""
    found = []
    for where, text in texts:
        plain = html.unescape(re.sub(r"<[^>]+>", " ", text or ""))
        for why, pattern in FORBIDDEN:
            for m in pattern.finditer(plain):
                start = max(0, m.start() - 40)
                found.append(f"{where}: {why}: …{plain[start:m.end() + 40]}…")
    return found


def _example_cases() -> list[Case]:
    return [parse_case(ex.case) for ex in EXAMPLES]


PROTOCOLS = sorted(load_protocols())
CASES: list[tuple[str, Case, str | None]] = (
    [(ex.name, parse_case(ex.case), None) for ex in EXAMPLES]
    + [(f"generated {seed} under {pid}", random_case(random.Random(seed)), pid)
       for seed in range(12) for pid in PROTOCOLS]
)
"""(name, case, protocol id or None for the case's own) of every case scanned."""


def _as_protocol(case: Case, pid: str | None) -> Case:
    from dataclasses import replace

    return case if pid is None else replace(case, protocol=replace(case.protocol, id=pid))


# --------------------------------------------------------------------------- terminal


def test_the_terminal_report_reads_in_clinical_language(capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path) -> None:
    import json

    import main
    from mdt.caseformat import case_to_dict

    texts = []
    for name, case, pid in CASES:
        ev = evaluate(case, None, pid)
        texts.append((f"report of {name}", render_report(ev, case.patient.id, details=True)))
        for i in range(len(case.reviews) - 1):
            texts.append((f"report of {name}, review {i}",
                          render_report(evaluate(case, i, pid), case.patient.id)))
    # And the command itself, on the issue's examples, with and without the details.
    path = tmp_path / "examples.json"
    path.write_text(json.dumps([case_to_dict(c) for c in _example_cases()], ensure_ascii=False),
                    encoding="utf-8")
    for args in ([], ["--details"]):
        assert main.main(["evaluate", str(path), *args]) == 0
        texts.append((f"main.py evaluate {' '.join(args)}", capsys.readouterr().out))
    assert not scan(texts), "\n".join(scan(texts))


def test_the_scan_catches_what_it_is_for() -> None:
    # The shapes issue 11 found, each caught (the scan is not vacuous).
    for bad in ("MET — R0 not possible", "[r0_resection_impossible]", "see lesions[4].segments",
                "u1_plan_feasible", "labs.plt missing", "status not_met", "not unresectable"):
        assert scan([("sample", bad)]), bad
    for good in ("✔ OK  U1 Complete resection leaving two viable segments — possible: right "
                 "hepatectomy, remnant I–IVb", "Platelets ≥ 100 ×10⁹/L — 210 ×10⁹/L",
                 "the remnant. The touched vessel(s) LHV leave", "E2 — no: disease is not bilobar"):
        assert not scan([("sample", good)]), scan([("sample", good)])


# --------------------------------------------------------------------------- window


def widget_texts(root, where: str) -> list[tuple[str, str]]:  # noqa: ANN001
    """Every string a widget tree shows: labels, buttons, group titles, tooltips, and every
    cell, header and tooltip of its item views."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QGroupBox, QLabel, QWidget

    out: list[tuple[str, str]] = []
    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        name = f"{where} {type(w).__name__} {w.objectName() or w.accessibleName()}".strip()
        if isinstance(w, (QLabel, QAbstractButton)):
            out.append((name, w.text()))
        if isinstance(w, QGroupBox):
            out.append((name, w.title()))
        if w.toolTip():
            out.append((f"{name} tooltip", w.toolTip()))
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            model = w.model()
            for col in range(model.columnCount()):
                out.append((f"{name} header", str(model.headerData(
                    col, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")))
            for row in range(model.rowCount()):
                for col in range(model.columnCount()):
                    index = model.index(row, col)
                    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                        value = model.data(index, role)
                        if isinstance(value, str):
                            out.append((f"{name} row {row}", value))
    return out


def test_the_window_reads_in_clinical_language(main_window, qtbot) -> None:  # noqa: ANN001
    window = main_window
    cases = _example_cases()
    window.service.import_cases(cases)
    window.reload_patients()
    texts: list[tuple[str, str]] = []
    for case in cases:
        assert window.open_patient(case.patient.id, select=True)
        for i in range(len(case.reviews)):
            window.select_review(i)
            window.show_tab(1)
            editor = window.review_editor
            qtbot.waitUntil(lambda e=editor: e.evaluation() is not None, timeout=5000)
            editor.criteria.details.setChecked(True)  # the rule text on demand, too
            texts += widget_texts(editor, f"{case.patient.id} review {i}")
            editor.criteria.details.setChecked(False)
        if len(case.reviews) > 1:
            window.show_tab(3)
            texts += widget_texts(window.compare, f"{case.patient.id} compare")
        window.toggle_presentation()
        texts += widget_texts(window._presentation, f"{case.patient.id} presentation")
        window.toggle_presentation()
    assert any("CONVERTIBLE" in t for _, t in texts)  # the scan saw the verdicts
    assert not scan(texts), "\n".join(scan(texts))


def test_the_criteria_and_remnant_panels_read_in_clinical_language(qtbot) -> None:  # noqa: ANN001
    from ui.review.criteria_panel import CriteriaPanel
    from ui.review.remnant_panel import RemnantPanel

    criteria = CriteriaPanel()
    remnant = RemnantPanel(lambda _fn: False)
    qtbot.addWidget(criteria)
    qtbot.addWidget(remnant)
    texts: list[tuple[str, str]] = []
    for name, case, pid in CASES:
        for i in range(len(case.reviews)):
            ev = evaluate(case, i, pid)
            for details in (False, True):
                criteria.set_evaluation(ev, plan_recorded=case.reviews[i].remnant is not None)
                criteria.details.setChecked(details)
                texts += widget_texts(criteria, f"{name} review {i} criteria")
            remnant.set_state(case.reviews[i], ev)
            texts += widget_texts(remnant, f"{name} review {i} remnant")
    assert any("INDETERMINATE" in t for _, t in texts)  # the scan saw the verdicts
    assert any("Remnant volume" in t or "Stale" in t for _, t in texts)
    assert not scan(texts), "\n".join(scan(texts))


# --------------------------------------------------------------------------- PDF


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(data)).pages)


def test_the_minutes_and_the_course_report_read_in_clinical_language() -> None:
    from dataclasses import replace
    from datetime import date

    from mdt.meeting import AgendaItem
    from mdt.minutes import render_minutes
    from mdt.minutes.collect import minutes_items
    from mdt.minutes.course import render_course_report
    from tests.minutes_fixtures import PRINTED, make_meeting

    chosen = [(name, _as_protocol(case, pid)) for name, case, pid in CASES[:len(EXAMPLES)]]
    chosen += [(name, _as_protocol(case, pid)) for name, case, pid in CASES[len(EXAMPLES)::5]]
    cases = {}
    agenda = []
    for k, (_name, case) in enumerate(chosen):
        pid = f"SCAN{k:03d}"
        case = replace(case, patient=replace(case.patient, id=pid))
        cases[pid] = case
        agenda.append(AgendaItem(pid, case.reviews[-1].date, "reassessment", position=k))
    meeting = replace(make_meeting(0), date=date(2026, 12, 1), agenda=tuple(agenda))
    out = BytesIO()
    render_minutes(meeting, minutes_items(meeting, cases), out, printed_at=PRINTED)
    texts = [("minutes", _pdf_text(out.getvalue()))]
    for pid, case in list(cases.items())[:6]:
        report = BytesIO()
        render_course_report(case, [evaluate(case, i) for i in range(len(case.reviews))], report,
                             printed_at=PRINTED)
        texts.append((f"course report {pid}", _pdf_text(report.getvalue())))
    assert glossary.PROTOCOL_VERDICT in texts[0][1]   # the one term (mdt.glossary), once "Protocol assessment"
    assert not scan(texts), "\n".join(scan(texts))
