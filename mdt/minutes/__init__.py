"""PDF documents: the meeting minutes and the patient course report (reportlab).

Public API:

* :func:`render_minutes` (meeting, items, out, printed_at=..., pdfa=False): pure rendering;
* :func:`render_course_report` (case, evaluations, out, printed_at=..., ...): pure rendering;
* :class:`MinutesPatient`: what the minutes print for one agenda item;
* :func:`minutes_items` (meeting, cases): builds the items from domain objects (``items``);
* :func:`render_patient_report` (case, out): the course report from a case alone;
* :func:`write_outcome_sheets` (service, out, meeting_id= or patient_id=): one page per patient
  for the patient's record (decision, plan, next review, who decided, a signature line);
* :func:`write_minutes` (service, meeting_id, out) and :func:`write_course_report`
  (service, patient_id, out): load through the service (``collect``) and write the file (used by the
  window and the command line; both return the path to hand to the system viewer).
"""

from __future__ import annotations

from mdt.minutes.collect import (
    collect_minutes,
    protocol_notes,
    render_patient_report,
    write_course_report,
    write_minutes,
    write_outcome_sheets,
)
from mdt.minutes.course import render_course_report
from mdt.minutes.items import course_inputs, minutes_items
from mdt.minutes.minutes import issue_time, render_minutes
from mdt.minutes.pdfa import pdfa_markers, to_pdfa
from mdt.minutes.sections import MinutesPatient

__all__ = [
    "MinutesPatient", "collect_minutes", "course_inputs", "issue_time", "minutes_items", "pdfa_markers",
    "protocol_notes", "render_course_report", "render_minutes", "render_patient_report", "to_pdfa", "write_course_report", "write_minutes",
    "write_outcome_sheets",
]
