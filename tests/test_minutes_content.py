"""The minutes PDF read back as text: every required field, in order, on paper.

Specification: the minutes issue and docs/clinical/reference.md#minutes-field-list (meeting header, attendance
and quorum, summary table, then per patient identity, protocol/arm, cycle,
reason, imaging, lesions, diagram, vessels, remnant, criteria, RECIST, ratings
with the aggregation rule, decision, next review and responsible person).
"""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from pypdf import PdfReader

from mdt.minutes import render_minutes
from tests.minutes_fixtures import MEMBERS, PRINTED, make_items, make_meeting


def render(meeting, items, **kw) -> bytes:
    out = BytesIO()
    render_minutes(meeting, items, out, printed_at=PRINTED, **kw)
    return out.getvalue()


def pages_text(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(BytesIO(pdf)).pages]


def assert_in_order(text: str, needles: list[str]) -> None:
    """Each needle occurs after the previous one."""
    pos = 0
    for needle in needles:
        found = text.find(needle, pos)
        assert found >= 0, f"{needle!r} not found after position {pos}: ...{text[pos:pos + 300]!r}"
        pos = found + len(needle)


@pytest.fixture(scope="module")
def draft() -> tuple[bytes, list[str]]:
    pdf = render(make_meeting(3), make_items(3))
    return pdf, pages_text(pdf)


def patient_fields(n: int, name: str, mrn: str, sex: str, dob: str, arm: str) -> list[str]:
    return [
        f"{n}. {name} · {mrn}",
        "Date of birth", dob, "Sex", sex,
        "Protocol", "NCT05103020", "Arm", arm, "Cycle", "4",
        "Reason for discussion", "Reassessment",
        "Imaging", "CT, 2026-11-12",
        "Clinical status", "ECOG",
        "Lesions (3)", "Lesion", "Segment(s)", "Diameter",
        "L1", "VII", "L2", "V, VIII", "25.5 mm", "L3", "IVb", "12 mm", "ablation",
        "Vessel relations", "RHV (right hepatic vein)", "Contact", "L1",
        "MHV (middle hepatic vein)", "Encasement (> 180°)", "L2",
        "No plan recorded", "Future remnant", "Resected (hatched)", "Tumour",
        "Future liver remnant", "Planned resection", "Right hepatectomy",
        "Remnant segments", "I, II, III, IVa, IVb",
        "Total liver volume (measured)", "1476 mL", "Future remnant volume (FLR)", "412 mL, measured for I–IVb",
        "Remnant share", "27.9 %", "Threshold", "30.0 % (liver after chemotherapy)",
        "Remnant adequate", "✘ insufficient: remnant share 27.9 % (needs ≥ 30 %)",
        "Method", "CT volumetry (measured total liver volume): remnant share FLR / TLV",
        "Protocol criteria: Yonsei HAI conversion trial (NCT05103020, version 1.2)",
        "Protocol verdict: ● CONVERTIBLE — unresectable now",
        "Trial eligibility: ✔ ELIGIBLE (judged at this review)",
        "Legend: ✔ OK", "Criterion and finding", "What was found",
        "U1 insufficient remnant", "✔ OK", "Remnant 27.9 % is not below the 25 % floor.",
        "U2 remnant vessel contact", "● unresectable now",
        "E3 extrahepatic disease",
        "Response (RECIST 1.1)", "Overall response", "SD",
        "Sum of target diameters", "66.5 mm", "Baseline sum", "93 mm",
        "Nadir sum", "66.5 mm", "Change from baseline", "-28.5 %", "Change from nadir", "+0.0 %",
        "Panel ratings", "Dr Élise Boilève", "Surgeon", "Convertible", "R0 feasible after downsizing ± 2 cycles",
        "Dr Jan de Vries", "Dr Ana Müller", "remnant ≥ 30 % needed",
        "Rule", "CAIRO5", "reached by consensus", "3 of 3 surgeons agree",
        "Panel decision", "Resectability", "Convertible (potentially resectable)",
        "Plan", "Continue induction chemotherapy", "Next review", "2027-01-15", "Responsible", "Dr Sofia Rossi",
        "Decided by", "the panel, by consensus of the ratings",
        "Rationale", "Partial response; remnant 27.9 % after right hepatectomy is below 30 %.",
        "Dissent", "Dr Müller would consider portal vein embolisation now.",
    ]


def test_every_field_in_order_for_a_multi_patient_meeting(draft: tuple[bytes, list[str]]) -> None:
    _, pages = draft
    text = " ".join(pages)
    meeting_fields = [
        "Minutes of the liver tumour board",
        "Institution", "Hôpital Saint-Éloi", "Board", "Liver metastases board (CRLM)",
        "Meeting ID", "LIV-2026-11-20", "Date and time", "2026-11-20 16:00",
        "Chair", "Dr Élise Boilève", "Minute-taker", "Claire Martin",
        "Attendees (7)",
    ]
    for m in MEMBERS:
        meeting_fields += [m.name]
    meeting_fields += ["Quorum: 4 specialties"]
    summary = ["Summary: 3 patients discussed", "Protocol verdict", "Panel decision",
               "Plan", "Next review",
               "BOILÈVE, Hélène", "ID MRN01000", "DUPONT-BIERRE, Marc", "ID MRN01001",
               "NGUYỄN, Thi Lan", "ID MRN01002"]
    patients = (patient_fields(1, "BOILÈVE, Hélène", "MRN01000", "Female", "1961-03-14", "A (HAI + mFOLFIRI)")
                + patient_fields(2, "DUPONT-BIERRE, Marc", "MRN01001", "Male", "1962-03-14", "B (FOLFIRI)")
                + patient_fields(3, "NGUYỄN, Thi Lan", "MRN01002", "Female", "1963-03-14", "A (HAI + mFOLFIRI)"))
    assert_in_order(text, meeting_fields + summary + patients + ["Sign-off", "NOT SIGNED"])


def test_unicode_names_and_symbols_survive(draft: tuple[bytes, list[str]]) -> None:
    text = " ".join(draft[1])
    for needle in ("Boilève", "DUPONT-BIERRE", "Hôpital Saint-Éloi", "NGUYỄN", "µmol/L", "≥", "±", "°",
                   "×10⁹/L"):
        assert needle in text, needle


def test_page_x_of_y_header_and_footer_on_every_page(draft: tuple[bytes, list[str]]) -> None:
    _, pages = draft
    for i, text in enumerate(pages, start=1):
        assert f"Page {i} of {len(pages)}" in text
        assert "Meeting LIV-2026-11-20" in text
        assert "Draft printed 2026-11-20 17:05 UTC" in text
        assert "DRAFT, not signed" in text
        assert "DRAFT" in text.replace("DRAFT, not signed", "")  # the watermark itself


def test_patient_pages_name_their_patient_in_the_header(draft: tuple[bytes, list[str]]) -> None:
    _, pages = draft
    patient_pages = [t for t in pages if "Patient 2 of 3: DUPONT-BIERRE, Marc (ID MRN01001)" in t]
    assert len(patient_pages) >= 1
    assert all("BOILÈVE" not in t.split("Patient 2 of 3")[1][:80] for t in patient_pages)


def test_signed_minutes_carry_signer_time_and_audit_head_and_no_watermark() -> None:
    pages = pages_text(render(make_meeting(2, signed=True), make_items(2)))
    text = " ".join(pages)
    for t in pages:
        assert "Issued 2026-11-20 16:42 UTC, signed by Dr Élise Boilève" in t
        assert "DRAFT" not in t
        assert "Draft printed" not in t
    assert_in_order(text, ["Sign-off", "Signed by", "Dr Élise Boilève", "Signed at", "2026-11-20 16:42 UTC",
                           "Audit chain head", "9f2c4d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49382716f5e4d3c2b1a0f9e8d7c6"])
    assert "Amendments after signing" not in text


def test_an_amendment_after_signing_is_its_own_section() -> None:
    signed = pages_text(render(make_meeting(2, signed=True), make_items(2)))
    amended = pages_text(render(make_meeting(2, amended=True), make_items(2)))
    text = " ".join(amended)
    assert_in_order(text, ["Sign-off", "Signed by", "Amendments after signing (1)", "2026-11-21 09:15 UTC",
                           "Dr Élise Boilève", "MRN01000", "Typing error in the next review date",
                           "Next review 2027-01-15 -> 2027-01-22"])
    assert "AMENDED (1)" in amended[0] and "amended 2026-11-21 09:15 UTC" in amended[0]
    # The signed patient pages are not silently rewritten: same body text as before the amendment.
    def body(t: str) -> str:  # the page without its header and footer (drawn last)
        return t.split("Hôpital Saint-Éloi · Liver")[0]
    assert [body(t) for t in signed[:-1]] == [body(t) for t in amended[:len(signed) - 1]]


def test_missing_data_prints_as_unknown_never_blank() -> None:
    from dataclasses import replace

    from mdt.case import Case, Patient
    from mdt.minutes import MinutesPatient

    item = make_items(1)[0]
    no_eval = replace(item, evaluation=None, recist=None, aggregate=None, notes=("Protocol evaluation failed: boom",))
    bare = MinutesPatient(case=Case(Patient("MRN-X")), review_index=None)
    text = " ".join(pages_text(render(make_meeting(2), [no_eval, bare])))
    assert "Protocol evaluation unavailable: every criterion is unknown." in text
    assert "Protocol evaluation failed: boom" in text
    assert "Remnant share unknown" in text
    assert "Response (RECIST 1.1) Response not assessed: unknown" in text
    assert_in_order(text, ["2. Hospital ID MRN-X (name not recorded) · MRN-X", "Date of birth", "not recorded",
                           "No review is recorded for this meeting"])


def test_a_table_that_spans_pages_repeats_its_header() -> None:
    from dataclasses import replace

    from mdt.case import Lesion

    item = make_items(1)[0]
    review = item.case.reviews[-1]
    many = tuple(Lesion(f"M{i:02d}", ("VI",), 10 + i % 7) for i in range(70))
    case = replace(item.case, reviews=(*item.case.reviews[:-1], replace(review, lesions=many)))
    pages = pages_text(render(make_meeting(1), [replace(item, case=case)]))
    with_rows = [t for t in pages if re.search(r"\bM\d\d VI \d", t)]
    assert len(with_rows) >= 2, "the lesion table should span pages"
    for t in with_rows:
        assert "Segment(s) Diameter Target Status Local treatment" in t
    assert "M69" in " ".join(pages)


def test_metadata() -> None:
    reader = PdfReader(BytesIO(render(make_meeting(2, signed=True), make_items(2))))
    meta = reader.metadata
    assert meta.title == "Minutes LIV-2026-11-20: Hôpital Saint-Éloi · Liver metastases board (CRLM)"
    assert meta.author == "Claire Martin"
    assert "meeting LIV-2026-11-20" in meta.subject and "signed" in meta.subject
    assert meta.creation_date.year == 2026 and meta.creation_date.hour == 16


def test_the_summary_of_a_30_patient_meeting_is_one_page() -> None:
    pages = pages_text(render(make_meeting(30), make_items(30)))
    summary_pages = [t for t in pages if "Summary: 30 patients discussed" in t]
    assert len(summary_pages) == 1
    summary = summary_pages[0]
    for n in range(30):
        assert f"ID MRN{1000 + n:05d}" in summary
    assert summary.index("ID MRN01000") < summary.index("ID MRN01029")


def test_cycle_falls_back_to_the_treatment_record() -> None:
    from dataclasses import replace

    item = make_items(1)[0]
    case = item.case
    case = replace(case, reviews=(*case.reviews[:-1], replace(case.reviews[-1], cycle=None)))
    text = " ".join(pages_text(render(make_meeting(1), [replace(item, case=case)])))
    assert "Cycle 4 (from the treatment record)" in text


def test_very_long_text_and_long_lists_never_break_the_layout() -> None:
    """A rationale longer than a page splits across pages instead of failing, and a long
    list of vessel contacts moves below the diagram; nothing is cut."""
    from dataclasses import replace

    from mdt.case import VESSEL_STRUCTURES, VesselContact

    item = make_items(1)[0]
    case = item.case
    review = case.reviews[-1]
    long = "Very long rationale sentence with many words. " * 300
    vessels = tuple(VesselContact(s, "contact", f"L{i % 3 + 1}") for i, s in enumerate(VESSEL_STRUCTURES * 2))
    review = replace(review, vessels=vessels,
                     panel=replace(review.panel, decision=replace(review.panel.decision, rationale=long)))
    item = replace(item, case=replace(case, reviews=(*case.reviews[:-1], review)))
    text = " ".join(pages_text(render(make_meeting(1), [item])))
    assert text.count("Very long rationale sentence") == 300
    assert text.count("(biliary confluence)") == 2
    assert_in_order(text, ["Tumour", "Vessel relations", "Future liver remnant", "Panel decision",
                           "Next review", "2027-01-15"])
