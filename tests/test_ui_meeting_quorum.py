"""Meeting mode's quorum follows the strictest rule among the agenda's patients' protocols."""

from __future__ import annotations

from mdt.meeting import Member
from mdt.panel import quorum_for_protocols
from tests.ui_shell_fixtures import *  # noqa: F401,F403
from ui.meeting.panel import quorum_line

NO_RADIOLOGIST = (Member("S", "hepatobiliary_surgeon"), Member("O", "medical_oncologist"),
                  Member("P", "pathologist"))


def test_quorum_names_the_protocols_of_the_agenda(main_window):
    w = main_window
    w.set_meeting_mode(True)
    panel = w.meeting
    meeting = panel.meeting
    assert meeting is not None and meeting.agenda
    protocols = {r.patient_id: r.protocol_id for r in w.service.list_patients(include_archived=True)}
    on_agenda = [protocols[item.patient_id] for item in meeting.agenda]
    assert "CAIRO5" in on_agenda  # the demo agenda mixes protocols
    expected = quorum_for_protocols(meeting.attendees, on_agenda)
    # One line to read across the room; the whole rule in its tooltip.
    assert panel.quorum.text() == quorum_line(True, expected.reason)
    assert panel.quorum.text().startswith("✔ Quorum: 4 specialties")
    assert panel.quorum.toolTip() == expected.reason
    assert "strictest rule of the agenda's protocols" in panel.quorum.toolTip()
    # Without a radiologist, the CAIRO5 patient on the agenda makes the meeting inquorate.
    ok, text = panel.quorum_of(NO_RADIOLOGIST)
    assert not ok and "no Radiologist" in text and "CAIRO5" in text
    # A meeting without an agenda (a new one) is held to the default protocol's rule, which
    # (Table 1 of NCT05103020) names surgeons, radiologists, interventional radiologists and
    # medical oncologists.
    ok, text = panel.quorum_of(NO_RADIOLOGIST, agenda=())
    assert not ok and text.endswith("(rule of NCT05103020)")
    assert "Interventional radiologist" in text
    team = NO_RADIOLOGIST + (Member("R", "diagnostic_radiologist"),
                             Member("I", "interventional_radiologist"))
    ok, text = panel.quorum_of(team, agenda=())
    assert ok and text.endswith("(rule of NCT05103020)")
