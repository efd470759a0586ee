"""The patient course report and the pure collector, without a database."""

from __future__ import annotations

import re
from dataclasses import replace
from io import BytesIO

import pytest
from pypdf import PdfReader

from mdt.case import Decision, Treatment
from mdt.demo import demo_cases, demo_meeting
from mdt.evaluation import RecistSummary
from mdt.minutes import course_inputs, minutes_items, render_course_report, render_minutes
from mdt.minutes.course import CoursePoint, target_sum_chart
from mdt.minutes.sections import aggregation_text
from mdt.minutes.text import num, person_name, segments_text, stamp
from tests.minutes_fixtures import PRINTED, make_aggregate, make_case, make_evaluation


def text_of(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in PdfReader(BytesIO(pdf)).pages]


def render_course(case, evaluations, **kw) -> bytes:
    out = BytesIO()
    render_course_report(case, evaluations, out, printed_at=PRINTED, **kw)
    return out.getvalue()


def test_course_report_lists_reviews_chart_decisions_and_outcome() -> None:
    case = make_case(1, reviews=3)
    case = replace(case, treatment=replace(case.treatment, outcome="resected", outcome_date=PRINTED.date()))
    recists = [RecistSummary(93.0, 93.0, 93.0, 0.0, 0.0, "NE"), RecistSummary(78.0, 93.0, 78.0, -16.1, -16.1, "SD"),
               None]
    pages = text_of(render_course(case, [None, None, make_evaluation(2)], recists=recists,
                                  aggregates=[None, None, make_aggregate()], signed=[True, True, False],
                                  institution="Hôpital Saint-Éloi"))
    text = " ".join(pages)
    order = ["Patient course report", "DUPONT-BIERRE, Marc", "MRN01001", "NCT05103020", "B (FOLFIRI)",
             "Target-sum chart", "baseline", "partial response (−30 %)", "93", "78", "66.5",
             "Reviews (3)", "2026-08-20", "NE", "2026-10-01", "-16.1 %", "SD", "2026-11-18", "-28.5 %",
             "(draft)", "Decisions", "Convertible", "Continue induction chemotherapy",
             "Dissent: Dr Müller would consider portal vein embolisation now.", "3 of 3 surgeons agree",
             "Outcome", "Resected (2026-11-20)", "Treatment cycles", "2026-10-06",
             "Liver at the latest review (2026-11-18)"]
    pos = 0
    for needle in order:
        found = text.find(needle, pos)
        assert found >= 0, needle
        pos = found + len(needle)
    for i, page in enumerate(pages, start=1):
        assert f"Page {i} of {len(pages)}" in page
        assert "Printed 2026-11-20 17:05 UTC" in page


def test_course_report_without_outcome_or_measurements_says_so() -> None:
    case = replace(make_case(0, reviews=1), treatment=Treatment(regimen="FOLFOX"))
    text = " ".join(text_of(render_course(case, [None])))
    assert "No outcome recorded yet (conversion, resection or other)." in text
    assert "not measured" in text


def test_chart_handles_one_point_and_gaps() -> None:
    from datetime import date

    single = target_sum_chart([CoursePoint(date(2026, 1, 1), 50.0, "NE")])
    assert single.width > 0
    gaps = target_sum_chart([CoursePoint(date(2026, 1, 1), None, None), CoursePoint(date(2026, 3, 1), 40.0, "PR")])
    assert gaps.height > 0
    assert target_sum_chart([]).width > 0


def test_demo_meeting_through_the_real_engine() -> None:
    cases = demo_cases()
    meeting = demo_meeting(cases=cases)
    items = minutes_items(meeting, {c.patient.id: c for c in cases})
    assert [i.case.patient.id for i in items] == [a.patient_id for a in meeting.agenda]
    for item in items:
        assert item.review is not None and item.review.date == meeting.date
        assert item.evaluation is not None, item.notes
        assert item.aggregation is not None
    out = BytesIO()
    render_minutes(meeting, items, out, printed_at=PRINTED)
    text = " ".join(text_of(out.getvalue()))
    squeezed = text.replace(" ", "")  # long labels may wrap inside their cell
    for item in items:
        assert item.evaluation.protocol_title in text
        for finding in item.evaluation.criteria:
            # The label a clinician reads (its start: a row may split across a page break),
            # never the rule id or a field path.
            assert "".join(finding.label.split()[:3]) in squeezed
            assert f"[{finding.id}]" not in squeezed
        assert "reviews[" not in squeezed and "lesions[" not in squeezed


def test_collector_reports_a_missing_patient_and_a_missing_review() -> None:
    cases = demo_cases()
    meeting = demo_meeting(cases=cases)
    by_id = {c.patient.id: c for c in cases}
    first = meeting.agenda[0].patient_id
    del by_id[first]
    items = minutes_items(meeting, by_id)
    assert items[0].review is None and "The patient record was not found." in items[0].notes
    moved = replace(meeting, agenda=(replace(meeting.agenda[1], review_date=PRINTED.date()),))
    lone = minutes_items(moved, by_id)[0]
    assert lone.review is None and "No review dated 2026-11-20" in lone.notes[0]


def test_course_inputs_align_with_reviews() -> None:
    case = demo_cases()[0]
    evaluations, aggregates, recists = course_inputs(case)
    assert len(evaluations) == len(aggregates) == len(recists) == len(case.reviews)
    assert recists[0] is not None


def test_chair_rule_passes_the_chair_rating() -> None:
    from mdt.case import Vote
    from mdt.minutes.items import _aggregate

    review = make_case(0).reviews[-1]
    votes = (Vote("a", "surgeon", "resectable"), Vote("b", "surgeon", "convertible"))
    review = replace(review, panel=replace(review.panel, votes=votes,
                                           decision=Decision(resectability="convertible", rule="chair")))
    agg, problem = _aggregate(review, {"kind": "majority"})
    assert problem is None and agg is not None and agg.result == "convertible" and agg.rule == "chair"


@pytest.mark.parametrize(("value", "expected"), [
    ("BOILÈVE^Hélène", "BOILÈVE, Hélène"), ("Dupont-Bierre", "Dupont-Bierre"), (None, "not recorded"),
    ("NGUYỄN^Thi^Lan", "NGUYỄN, Thi Lan"),
])
def test_person_name(value, expected) -> None:
    assert person_name(value) == expected


def test_small_formatters() -> None:
    assert num(None) == "not recorded" and num(42.0, 1, "mm") == "42 mm" and num(12.345, 1) == "12.3"
    assert segments_text(("VIII", "IV", "II")) == "IV, II, VIII" and segments_text(()) == "none"
    assert stamp(PRINTED) == "2026-11-20 17:05 UTC"
    assert "CAIRO5" in aggregation_text({"kind": "cairo5", "voter_role": "surgeon"})
    assert aggregation_text(None).startswith("Consensus")


def test_window_entry_points_accept_plain_cases(tmp_path) -> None:
    """The window hands the renderer a meeting with its cases, or one case."""
    from mdt.minutes import render_patient_report

    cases = demo_cases()
    meeting = demo_meeting(cases=cases)
    on_agenda = [c for c in cases if c.patient.id in {a.patient_id for a in meeting.agenda}]
    target = tmp_path / "m.pdf"
    render_minutes(meeting, on_agenda, target)
    text = " ".join(text_of(target.read_bytes()))
    assert "Draft printed" in text and "Protocol criteria:" in text
    for case in on_agenda:
        assert f"ID {case.patient.id}" in text
    report = render_patient_report(cases[0], tmp_path / "r.pdf")
    assert f"Reviews ({len(cases[0].reviews)})" in " ".join(text_of(report.read_bytes()))


def test_course_report_of_a_patient_without_reviews() -> None:
    from mdt.case import Case, Patient

    text = " ".join(text_of(render_course(Case(Patient("MRN-EMPTY", "NEW^Patient")), [])))
    assert "Reviews (0)" in text and "No review recorded." in text
    assert "No outcome recorded yet" in text
