"""Issue 16's live bug: the remnant panel computed its own threshold and could disagree with the
verdict.  Now the panel shows the engine's remnant summary (``mdt.protocols.volume``): for a
normal liver, after chemotherapy counted from the start date, after chemotherapy counted in
cycles, with the weeks unknown, and a cirrhotic liver, the real window's remnant panel, the
remnant criterion and the verdict give the same threshold, share and adequacy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from mdt.caseformat import parse_case
from tests.issue11_examples import case, lesion, plan, review
from tests.ui_shell_fixtures import *  # noqa: F401,F403

ON = date(2026, 5, 6)
RIGHT_HEP_REMNANT = ["I", "II", "III", "IVa", "IVb"]


@dataclass(frozen=True)
class Scenario:
    name: str
    protocol: str
    condition: str
    flr_ml: int
    cycle: int | None
    start_weeks_before: int | None
    """Weeks from the treatment start date to the review (None: no start date recorded)."""
    threshold: int | None
    """The threshold the conventions give (None: undecided between 20 and 30 %)."""
    status: str
    basis: str
    """Words of the threshold note that say where the weeks came from."""


TLV = 1600
SCENARIOS = (
    Scenario("normal liver, no chemotherapy", "CAIRO5", "normal", 384, 0, None, 20, "met",
             "no cycle completed"),
    Scenario("normal liver, 16 weeks since the start date", "CAIRO5", "normal", 384, 0, 16, 30,
             "not_met", "16 weeks since the treatment start"),
    Scenario("normal liver, 8 cycles of 2 weeks, no start date", "CAIRO5", "normal", 384, 8,
             None, 30, "not_met", "8 cycles × 2 weeks"),
    Scenario("normal liver, 6 cycles of 2 weeks: 12 weeks, not more", "CAIRO5", "normal", 384, 6,
             None, 20, "met", "6 cycles × 2 weeks"),
    Scenario("normal liver, cycles but no cycle length and no start date", "EORTC-40004",
             "normal", 384, 8, None, None, "unknown", "the weeks of chemotherapy are"),
    Scenario("recorded as chemotherapy-injured", "CAIRO5", "chemotherapy", 496, 0, None, 30,
             "met", "chemotherapy"),
    Scenario("cirrhosis", "CAIRO5", "cirrhosis", 560, 0, None, 40, "not_met", "cirrho"),
)


def _document(sc: Scenario) -> dict[str, Any]:
    pid = "RA-" + "".join(ch for ch in sc.name.upper() if ch.isalnum())[:20]
    r = review([lesion("L1", "VII", d=42, target=True)], [],
               plan("right_hepatectomy", flr_ml=sc.flr_ml, tlv_ml=TLV,
                    liver_condition=sc.condition, flr_segments=RIGHT_HEP_REMNANT),
               on=ON.isoformat(), cycle=sc.cycle)
    treatment = None
    if sc.start_weeks_before is not None:
        treatment = {"regimen": "FOLFOX", "start_date":
                     (ON - timedelta(weeks=sc.start_weeks_before)).isoformat()}
    doc = case(pid, r, treatment=treatment)
    doc["protocol"]["id"] = sc.protocol
    return doc


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_remnant_panel_and_verdict_agree(main_window, qtbot, sc: Scenario) -> None:  # noqa: ANN001
    c = parse_case(_document(sc))
    main_window.service.import_cases([c])
    main_window.reload_patients()
    assert main_window.open_patient(c.patient.id, select=True)
    main_window.select_review(0)
    main_window.show_tab(1)
    editor = main_window.review_editor
    qtbot.waitUntil(lambda: editor.evaluation() is not None, timeout=5000)
    ev = editor.evaluation()
    rem = ev.remnant
    assert rem is not None
    # The conventions' threshold and adequacy, from the engine's single function.
    assert rem.threshold_pct == sc.threshold, rem.summary
    assert rem.status == sc.status, rem.summary
    assert sc.basis in rem.threshold_note, rem.threshold_note
    share = f"{sc.flr_ml * 100 / TLV:g} %"
    assert share in rem.summary
    # The remnant criterion says the same as the summary.
    finding = next((f for f in ev.criteria if f.id == "remnant_volume"), None)
    if finding is not None:
        # CAIRO5 asks for a remnant ABOVE the threshold: met = adequate; undecided is unknown.
        assert finding.status == sc.status, finding.summary
    # The window's remnant panel shows that summary word for word, with its threshold note.
    panel = editor.remnant_panel
    assert panel.sflr.text().lower().endswith(rem.summary.lower())
    assert share in panel.sflr.text()
    if sc.threshold is not None:
        assert f"{sc.threshold} %" in panel.sflr.text()
    assert sc.basis in panel.threshold_note.text()
    # And the verdict follows: an insufficient remnant leaves CAIRO5 unresectable now.
    if sc.protocol == "CAIRO5":
        assert ev.resectability == ("convertible" if sc.status == "not_met" else "resectable")


@pytest.mark.parametrize(("condition", "cycle", "verdict"), [
    ("normal", 0, "resectable"),      # 24 % of 1600 mL ≥ 20 %: the plan works
    ("normal", None, "indeterminate"),  # weeks of chemotherapy unknown: 20 or 30 %
    (None, 0, "indeterminate"),         # liver condition not recorded: 20, 30 or 40 %
])
def test_an_undecided_volume_leaves_the_verdict_undecided_in_the_window(
        main_window, qtbot, condition: str | None, cycle: int | None, verdict: str) -> None:  # noqa: ANN001
    from mdt import glossary

    r = review([lesion("L1", "VII", d=42, target=True)], [],
               plan("right_hepatectomy", flr_ml=384, tlv_ml=TLV, liver_condition=condition,
                    flr_segments=RIGHT_HEP_REMNANT), on=ON.isoformat(), cycle=cycle)
    c = parse_case(case(f"RA-UNDECIDED-{condition}-{cycle}", r))
    main_window.service.import_cases([c])
    main_window.reload_patients()
    assert main_window.open_patient(c.patient.id, select=True)
    main_window.select_review(0)
    main_window.show_tab(1)
    editor = main_window.review_editor
    qtbot.waitUntil(lambda: editor.evaluation() is not None, timeout=5000)
    ev = editor.evaluation()
    assert ev.resectability == verdict, ev.resectability_reason
    # What the surgeon sees: the verdict in words, and the remnant panel saying the same.
    assert glossary.verdict_text(verdict) in editor.criteria.resectability.text()
    sflr = editor.remnant_panel.sflr.text().lower()
    if verdict == "indeterminate":
        assert "undecided" in sflr and "adequate" not in sflr
        row = next(row for row in range(editor.criteria.model.rowCount())
                   if editor.criteria.model.finding(row).id == "r0_resection_impossible")
        assert editor.criteria.model.index(row, 0).data() == glossary.effect_label("unknown")
    else:
        assert sflr.endswith("adequate: remnant share 24 % (≥ 20 %)")
