"""A patient whose protocol this installation does not ship, opened in the real main window:
the vote and decision panel and the criteria panel say so and what they do instead (ratings by
consensus, labelled as a fallback; every criterion unknown), and the decision the board records
is counted by consensus under the protocol id alone (docs/clinical/conventions.md
#when-a-protocol-cannot-be-loaded)."""

from __future__ import annotations

import os

from tests.ui_shell_fixtures import *  # noqa: F401,F403
from tests.ui_shell_fixtures import make_window

UNKNOWN = "NCT09999999"
NOT_SHIPPED = f"Protocol {UNKNOWN} is not shipped with this installation"
VOTERS = ["Anne Martin", "Bo Chen", "Chidi Okafor", "Dag Lindqvist", "Pieter de Vries", "Élise Moreau"]


def _first_agenda_patient_imported_under_an_unknown_protocol(db) -> str:  # noqa: ANN001
    """As an import from a centre running a trial this installation does not ship leaves it."""
    from mdt.services import Actor, MdtService
    from mdt.store.models import PatientModel

    svc = MdtService(db, Actor("test"))
    patient_id = svc.get_meeting(svc.list_meetings()[0].id).agenda[0].patient_id
    with db.write() as s:
        s.query(PatientModel).filter_by(mrn=patient_id).one().protocol_id = UNKNOWN
    return patient_id


def test_the_window_says_the_protocol_cannot_be_loaded_and_what_it_does_instead(
        qtbot, qsettings_tmp, seeded_db, chair, tmp_path) -> None:  # noqa: ANN001
    patient_id = _first_agenda_patient_imported_under_an_unknown_protocol(seeded_db)
    w = make_window(qtbot, seeded_db, chair)
    w.set_meeting_mode(True)
    w.act_agenda_next.trigger()
    assert w.current_case is not None and w.current_case.patient.id == patient_id
    assert f"protocol {UNKNOWN} (not shipped with this installation)" in w.header.details.text()
    editor = w.review_editor

    # The criteria panel: nothing evaluated, every criterion unknown, and why.
    criteria = editor.criteria
    assert criteria.isVisible()
    assert UNKNOWN in criteria.protocol.text() and "not available" in criteria.protocol.text()
    assert "not evaluated" in criteria.resectability.text()
    assert NOT_SHIPPED in criteria.eligibility.text()
    assert "every criterion is unknown" in criteria.eligibility.text()
    assert criteria.eligibility.isVisible()
    assert editor.evaluation() is None

    # The vote and decision panel: the fallbacks above what they govern, the rule labelled.
    editor.tabs.setCurrentIndex(3)
    panel = editor.vote_panel
    assert panel.protocol_note.isVisible()
    note = panel.protocol_note.text()
    assert NOT_SHIPPED in note and "ratings are counted by consensus" in note
    assert "the board's standing quorum applies" in note and "RECIST 1.1 defaults apply" in note
    assert "consensus" in panel.rule.text().lower()
    assert "(fallback: the patient's protocol cannot be loaded)" in panel.rule.text()
    if os.environ.get("MDT_TEST_SCREENSHOTS"):
        w.grab().save(str(tmp_path / "protocol-unavailable.png"))

    # The board rates and decides: consensus counts it; the decision names the id alone.
    for member in VOTERS:
        panel.member.setCurrentIndex(panel.member.findData(member))
        panel.rating.setCurrentIndex(panel.rating.findData("convertible"))
        panel.record.click()
    assert panel.revealed() and "CONVERTIBLE (consensus)" in panel.result.text()
    panel.rationale.setText("All six agree")
    panel.decide_button.click()
    w.flush_pending_refresh()
    decision = w.current_record().review.panel.decision
    assert decision is not None
    assert (decision.rule, decision.protocol, decision.protocol_version) == ("consensus", UNKNOWN, None)
    assert f"Decided under {UNKNOWN} (version not recorded)" in panel.recorded.text()
    assert panel.protocol_note.isVisible()                      # still said after the decision
    w.close()
