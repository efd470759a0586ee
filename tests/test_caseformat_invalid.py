"""Each kind of invalid ``mdt-case/1`` input is reported with its exact JSON path and reason.

Every row changes one field of a valid document (``full_case_dict``) and names
the single problem the parser must report: nothing more, nothing less.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from mdt.caseformat import parse_case, parse_cases, parse_review
from mdt.errors import FieldProblem, ValidationError
from tests.caseformat_fixtures import full_case_dict, minimal_case_dict, spec_example


class _Delete:
    """Marker: remove the field instead of setting it (stable repr for test ids)."""

    def __repr__(self) -> str:
        return "<deleted>"


DELETE = _Delete()
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def set_at(doc: Any, path: str, value: Any) -> Any:
    """Set (or delete, with DELETE) the value at a JSON path like ``reviews[0].lesions[1].id``."""
    steps: list[str | int] = [m.group(1) if m.group(1) is not None else int(m.group(2))
                              for m in _STEP.finditer(path)]
    node = doc
    for step in steps[:-1]:
        node = node[step]
    if value is DELETE:
        del node[steps[-1]]
    else:
        node[steps[-1]] = value
    return doc


def problems_of(doc: object) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        parse_case(doc)
    return [(p.path, p.reason) for p in info.value.problems]


R0 = "reviews[0]"
L0 = f"{R0}.lesions[0]"
SEG_WORDS = "I, II, III, IVa, IVb, IV, V, VI, VII, VIII"

# (field path to change, new value, expected path, expected reason; None: still valid)
CASES: list[tuple[str, Any, str | None, str | None]] = [
    # the document
    ("format", DELETE, "format", 'required ("mdt-case/1")'),
    ("format", "mdt-case/2", "format", 'must be "mdt-case/1" (got "mdt-case/2")'),
    ("colour", "blue", "colour", "unknown field"),
    ("reviews", {}, "reviews", "must be a list or null, not an object"),
    # patient
    ("patient", DELETE, "patient", "required"),
    ("patient", [], "patient", "must be an object, not a list"),
    ("patient.id", DELETE, "patient.id", "required"),
    ("patient.id", "", "patient.id", "must not be empty"),
    ("patient.id", "   ", "patient.id", "must not be empty"),
    ("patient.id", 123, "patient.id", "must be a string, not a number"),
    ("patient.id", None, "patient.id", "must be a string, not null"),
    ("patient.sex", "f", "patient.sex", 'must be one of F, M, O or null (got "f")'),
    ("patient.birth_date", "1958-13-01", "patient.birth_date",
     'is not a calendar date (got "1958-13-01")'),
    ("patient.birth_date", "09/03/1958", "patient.birth_date",
     'must be a date in the form YYYY-MM-DD (got "09/03/1958")'),
    ("patient.birth_date", "2026-01-16", f"{R0}.date",
     "must not be before the birth date (2026-01-16)"),
    ("patient.mrn", "x", "patient.mrn", "unknown field"),
    # protocol
    ("protocol.id", "", "protocol.id", "must not be empty"),
    ("protocol.version", "1", "protocol.version", "unknown field"),
    ("protocol.enrolment_date", "2026-13-01", "protocol.enrolment_date",
     'is not a calendar date (got "2026-13-01")'),
    ("protocol.enrolment_date", "1950-01-01", "protocol.enrolment_date",
     "must not be before the birth date"),
    # reviews
    (f"{R0}.date", DELETE, f"{R0}.date", "required"),
    (f"{R0}.date", "2026-02-30", f"{R0}.date", 'is not a calendar date (got "2026-02-30")'),
    ("reviews[1].date", "2026-01-14", "reviews[1].date",
     "reviews must be in date order: 2026-01-14 is before reviews[0] (2026-01-15)"),
    (f"{R0}.cycle", -1, f"{R0}.cycle", "must be between 0 and 500"),
    (f"{R0}.cycle", 1.5, f"{R0}.cycle", "must be an integer (got 1.5)"),
    (f"{R0}.cycle", True, f"{R0}.cycle", "must be an integer or null, not a boolean"),
    (f"{R0}.height_cm", 49.9, f"{R0}.height_cm", "must be between 50 and 250"),
    (f"{R0}.height_cm", 251, f"{R0}.height_cm", "must be between 50 and 250"),
    (f"{R0}.height_cm", "165", f"{R0}.height_cm", "must be a number or null, not a string"),
    (f"{R0}.weight_kg", 19, f"{R0}.weight_kg", "must be between 20 and 300"),
    (f"{R0}.weight_kg", 300.5, f"{R0}.weight_kg", "must be between 20 and 300"),
    (f"{R0}.weight_kg", True, f"{R0}.weight_kg", "must be a number or null, not a boolean"),
    (f"{R0}.weight_kg", float("nan"), f"{R0}.weight_kg", "must be a finite number"),
    (f"{R0}.imaging.modality", "", f"{R0}.imaging.modality", "must not be empty"),
    (f"{R0}.imaging.date", 20260112, f"{R0}.imaging.date",
     "must be a date (YYYY-MM-DD), not a number"),
    (f"{R0}.imaging.series", "x", f"{R0}.imaging.series", "unknown field"),
    (f"{R0}.lesions", "L1", f"{R0}.lesions", "must be a list or null, not a string"),
    # lesions
    (f"{L0}.id", DELETE, f"{L0}.id", "required"),
    (f"{R0}.lesions[3].id", "L1", f"{R0}.lesions[3].id",
     'duplicate lesion id "L1" (also lesions[0])'),
    (f"{L0}.segments", [], f"{L0}.segments", "must list at least one segment"),
    (f"{L0}.segments", DELETE, f"{L0}.segments", "required"),
    (f"{L0}.segments", "VII", f"{L0}.segments",
     "must be a list of segments, not a string"),
    (f"{L0}.segments[1]", "IX", f"{L0}.segments[1]",
     f'must be one of {SEG_WORDS} (got "IX")'),
    (f"{L0}.segments[1]", "vii", f"{L0}.segments[1]",
     f'must be one of {SEG_WORDS} (got "vii")'),
    (f"{L0}.segments[1]", "VII", f"{L0}.segments[1]", "segment VII is listed twice"),
    (f"{L0}.diameter_mm", 0, f"{L0}.diameter_mm", "must be > 0"),
    (f"{L0}.diameter_mm", -3, f"{L0}.diameter_mm", "must be > 0"),
    (f"{L0}.diameter_mm", 300.1, f"{L0}.diameter_mm", "must be <= 300"),
    (f"{L0}.diameter_mm", True, f"{L0}.diameter_mm",
     "must be a number or null, not a boolean"),
    (f"{L0}.diameter_mm", "42", f"{L0}.diameter_mm",
     "must be a number or null, not a string"),
    ("reviews[1].lesions[1].diameter_mm", 10, "reviews[1].lesions[1].diameter_mm",
     "must be null when status is disappeared"),
    (f"{L0}.target", "yes", f"{L0}.target", "must be true or false, not a string"),
    (f"{L0}.target", 1, f"{L0}.target", "must be true or false, not a number"),
    (f"{L0}.status", "gone", f"{L0}.status",
     'must be one of present, disappeared, ablated, resected or null (got "gone")'),
    (f"{L0}.volume_ml", 3, f"{L0}.volume_ml", "unknown field"),
    (f"{L0}.measurement.series_uid", DELETE, f"{L0}.measurement.series_uid", "required"),
    (f"{L0}.measurement.start_xy", [1], f"{L0}.measurement.start_xy",
     "must be a list of two numbers [x, y] or null"),
    (f"{L0}.measurement.end_xy", [1, False], f"{L0}.measurement.end_xy[1]",
     "must be a number, not a boolean"),
    (f"{L0}.measurement.slice_index", -1, f"{L0}.measurement.slice_index",
     "must be between 0 and 100000"),
    (f"{L0}.measurement.frame_number", 0, f"{L0}.measurement.frame_number",
     "must be between 1 and 100000"),
    # vessels
    (f"{R0}.vessels[0].structure", "PV", f"{R0}.vessels[0].structure",
     'must be one of MPV, RPV, LPV, RAPV, RPPV, RHV, MHV, LHV, IRHV, IVC, PHA, RHA, LHA, BC, '
     'RHD, LHD (got "PV")'),
    (f"{R0}.vessels[0].structure", DELETE, f"{R0}.vessels[0].structure", "required"),
    (f"{R0}.vessels[0].relation", "abutment", f"{R0}.vessels[0].relation",
     'must be one of contact, encasement, invasion, thrombus (got "abutment")'),
    (f"{R0}.vessels[0].lesion", "L9", f"{R0}.vessels[0].lesion", 'no lesion "L9" in this review'),
    (f"{R0}.vessels[0].angle", 90, f"{R0}.vessels[0].angle", "unknown field"),
    # remnant
    (f"{R0}.remnant.resection", "whipple", f"{R0}.remnant.resection",
     'must be one of right_hepatectomy, left_hepatectomy, extended_right_hepatectomy, '
     'extended_left_hepatectomy, right_anterior_sectionectomy, right_posterior_sectionectomy, '
     'left_lateral_sectionectomy, left_medial_sectionectomy, central_hepatectomy, '
     'caudate_lobectomy or null (got "whipple")'),
    (f"{R0}.remnant.segments", ["I", "II", "III"], f"{R0}.remnant.segments",
     "give either remnant.segments or remnant.resection, not both"),
    ("reviews[1].remnant.segments", [], "reviews[1].remnant.segments",
     "must list at least one segment"),
    (f"{R0}.remnant.local_treatment[0].lesion", "L7", f"{R0}.remnant.local_treatment[0].lesion",
     'no lesion "L7" in this review'),
    (f"{R0}.remnant.local_treatment[1].lesion", "L2", f"{R0}.remnant.local_treatment[1].lesion",
     'lesion "L2" is listed twice (also local_treatment[0])'),
    (f"{R0}.remnant.local_treatment[0].method", "resection",
     f"{R0}.remnant.local_treatment[0].method",
     'must be one of wedge, ablation (got "resection")'),
    (f"{R0}.remnant.local_treatment[0].method", DELETE,
     f"{R0}.remnant.local_treatment[0].method", "required"),
    (f"{R0}.remnant.flr_ml", 1500, f"{R0}.remnant.flr_ml", "must be <= tlv_ml (1480.5)"),
    (f"{R0}.remnant.flr_ml", 0, f"{R0}.remnant.flr_ml", "must be > 0"),
    (f"{R0}.remnant.tlv_ml", -1, f"{R0}.remnant.tlv_ml", "must be > 0"),
    (f"{R0}.remnant.liver_condition", "fatty", f"{R0}.remnant.liver_condition",
     'must be one of normal, chemotherapy, steatosis, fibrosis, cirrhosis, unknown or null '
     '(got "fatty")'),
    (f"{R0}.remnant.pve.days_between", 0, f"{R0}.remnant.pve.days_between",
     "must be between 1 and 365"),
    (f"{R0}.remnant.pve.flr_after_ml", 0, f"{R0}.remnant.pve.flr_after_ml", "must be > 0"),
    # review-level values
    (f"{R0}.tumour_burden_pct", 100.5, f"{R0}.tumour_burden_pct", "must be between 0 and 100"),
    (f"{R0}.tumour_burden_pct", -1, f"{R0}.tumour_burden_pct", "must be between 0 and 100"),
    (f"{R0}.extrahepatic_disease", "yes", f"{R0}.extrahepatic_disease",
     'must be one of none, indeterminate, confirmed or null (got "yes")'),
    (f"{R0}.ecog", 6, f"{R0}.ecog", "must be between 0 and 5"),
    (f"{R0}.ecog", 1.0, f"{R0}.ecog", "must be an integer (got 1.0)"),
    # clinical
    (f"{R0}.clinical.neuropathy_grade", 5, f"{R0}.clinical.neuropathy_grade",
     "must be between 0 and 4"),
    (f"{R0}.clinical.prior_systemic_lines", -1, f"{R0}.clinical.prior_systemic_lines",
     "must be between 0 and 20"),
    (f"{R0}.clinical.cea", -0.5, f"{R0}.clinical.cea", "must be between 0 and 1000000"),
    (f"{R0}.clinical.life_expectancy_months", -1, f"{R0}.clinical.life_expectancy_months",
     "must be between 0 and 600"),
    (f"{R0}.clinical.lvef_pct", 101, f"{R0}.clinical.lvef_pct", "must be between 0 and 100"),
    (f"{R0}.clinical.synchronous", 0, f"{R0}.clinical.synchronous",
     "must be true, false or null, not a number"),
    (f"{R0}.clinical.ascites", "severe", f"{R0}.clinical.ascites",
     'must be one of none, mild, moderate_severe or null (got "severe")'),
    (f"{R0}.clinical.kras", "G12D", f"{R0}.clinical.kras", "unknown field"),
    # labs
    (f"{R0}.labs.plt", -1, f"{R0}.labs.plt", "must be between 0 and 5000"),
    (f"{R0}.labs.plt", 0, None, None),  # a count of zero is a value, not an error
    (f"{R0}.labs.creatinine", 0, f"{R0}.labs.creatinine", "must be > 0"),
    (f"{R0}.labs.creatinine", 0, f"{R0}.labs.creatinine", "must be > 0"),
    (f"{R0}.labs.hb", True, f"{R0}.labs.hb", "must be a number or null, not a boolean"),
    (f"{R0}.labs.proteinuria", "++", f"{R0}.labs.proteinuria",
     'must be one of neg, trace, 1+, 2+, 3+, 4+ or null (got "++")'),
    (f"{R0}.labs.proteinuria_g_24h", -0.1, f"{R0}.labs.proteinuria_g_24h",
     "must be between 0 and 100"),
    (f"{R0}.labs.uln.bilirubin", 0, f"{R0}.labs.uln.bilirubin", "must be > 0"),
    (f"{R0}.labs.uln.ggt", 60, f"{R0}.labs.uln.ggt", "unknown field"),
    (f"{R0}.labs.crp", 5, f"{R0}.labs.crp", "unknown field"),
    # panel
    (f"{R0}.panel.votes[0].rating", "maybe", f"{R0}.panel.votes[0].rating",
     'must be one of resectable, convertible, permanently_unresectable (got "maybe")'),
    (f"{R0}.panel.votes[0].rating", DELETE, f"{R0}.panel.votes[0].rating", "required"),
    (f"{R0}.panel.votes[0].member", "", f"{R0}.panel.votes[0].member", "must not be empty"),
    (f"{R0}.panel.votes[1].member", "A. Martin", f"{R0}.panel.votes[1].member",
     '"A. Martin" already voted in round 1 (votes[0])'),
    (f"{R0}.panel.votes[0].round", 0, f"{R0}.panel.votes[0].round", "must be between 1 and 2"),
    (f"{R0}.panel.decision.plan", "surgery", f"{R0}.panel.decision.plan",
     'must be one of resection, resection_ablation, ablation, two_stage, pve_then_resection, '
     'continue_induction, intensify_hai, palliative, best_supportive_care, rediscuss or null '
     '(got "surgery")'),
    (f"{R0}.panel.decision.resectability", "borderline", f"{R0}.panel.decision.resectability",
     'must be one of resectable, convertible, permanently_unresectable or null '
     '(got "borderline")'),
    (f"{R0}.panel.decision.next_review", "2026-01-14", f"{R0}.panel.decision.next_review",
     "must not be before the review date (2026-01-15)"),
    (f"{R0}.panel.decision.rule", "vote", f"{R0}.panel.decision.rule",
     'must be one of consensus, majority, chair or null (got "vote")'),
    (f"{R0}.panel.decision.rationale", 5, f"{R0}.panel.decision.rationale",
     "must be a string or null, not a number"),
    (f"{R0}.panel.chair", "x", f"{R0}.panel.chair", "unknown field"),
    # the protocol a decision was made under (extension)
    (f"{R0}.panel.decision.protocol", 5, f"{R0}.panel.decision.protocol",
     "must be a string or null, not a number"),
    (f"{R0}.panel.decision.protocol_version", " ", f"{R0}.panel.decision.protocol_version",
     "must not be empty"),
    (f"{R0}.panel.decision.protocol", None, f"{R0}.panel.decision.protocol_version",
     "needs panel.decision.protocol (the protocol id)"),
    (f"{R0}.panel.decision.protocol_version", None, None, None),
    # treatment (extension)
    ("treatment.start_date", "1950-01-01", "treatment.start_date",
     "must not be before the birth date"),
    ("treatment.cycles[1].number", 1, "treatment.cycles[1].number",
     "cycles must be in increasing number order (after 1)"),
    ("treatment.cycles[0].date", "2026-01-18", "treatment.cycles[0].date",
     "must not be before treatment.start_date"),
    ("treatment.cycles[2].date", "2026-02-01", "treatment.cycles[2].date",
     "cycles must be in date order (after 2026-02-02)"),
    ("treatment.cycles[0].number", 0, "treatment.cycles[0].number", "must be between 1 and 500"),
    ("treatment.cycles[0].toxicity_grade", 6, "treatment.cycles[0].toxicity_grade",
     "must be between 0 and 5"),
    ("treatment.cycles[0].dose_reduction_pct", 120, "treatment.cycles[0].dose_reduction_pct",
     "must be between 0 and 100"),
    ("treatment.outcome", "cured", "treatment.outcome",
     'must be one of on_treatment, converted, resected, progressed, palliative, died, '
     'withdrawn, lost_to_follow_up, ablated or null (got "cured")'),
    ("treatment.outcome_date", "2025-12-01", "treatment.outcome_date",
     "must not be before treatment.start_date"),
]


@pytest.mark.parametrize(("field", "value", "path", "reason"), CASES,
                         ids=[f"{c[0]}={c[1]!r}"[:60] for c in CASES])
def test_each_invalid_field_is_named_with_its_reason(field: str, value: Any, path: str | None,
                                                     reason: str | None) -> None:
    doc = set_at(full_case_dict(), field, value)
    if path is None:
        parse_case(doc)  # valid
        return
    assert problems_of(doc) == [(path, reason)]


def test_every_problem_is_reported_at_once() -> None:
    doc = full_case_dict()
    set_at(doc, f"{L0}.diameter_mm", -1)
    set_at(doc, "reviews[1].ecog", 9)
    set_at(doc, "patient.sex", "X")
    found = problems_of(doc)
    assert (f"{L0}.diameter_mm", "must be > 0") in found
    assert ("reviews[1].ecog", "must be between 0 and 5") in found
    assert ("patient.sex", 'must be one of F, M, O or null (got "X")') in found
    assert len(found) == 3


def test_problem_reads_path_colon_reason() -> None:
    doc = set_at(spec_example(), "reviews[0].lesions[0].diameter_mm", 0)
    with pytest.raises(ValidationError) as info:
        parse_case(doc)
    assert str(info.value) == "reviews[0].lesions[0].diameter_mm: Lesion diameter in mm must be > 0"


def test_paths_in_an_array_file_start_with_the_case_index() -> None:
    bad = set_at(full_case_dict(), "reviews[1].lesions[0].diameter_mm", 0)
    with pytest.raises(ValidationError) as info:
        parse_cases([minimal_case_dict(), bad])
    assert info.value.problems == [
        FieldProblem("[1].reviews[1].lesions[0].diameter_mm", "must be > 0")]


def test_two_cases_for_one_patient_in_one_file_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        parse_cases([minimal_case_dict(), minimal_case_dict()])
    assert info.value.problems == [
        FieldProblem("[1].patient.id", 'duplicate patient id "MRN-1" (also [0])')]


@pytest.mark.parametrize("doc", [None, 3, "case", True, [1]])
def test_a_document_that_is_not_an_object(doc: object) -> None:
    with pytest.raises(ValidationError) as info:
        parse_cases(doc)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].reason.startswith("must be an object")


def test_a_duplicate_lesion_is_reported_once_and_references_to_it_are_not() -> None:
    doc = full_case_dict()
    set_at(doc, f"{R0}.lesions[1].id", "L1")
    set_at(doc, f"{R0}.remnant.local_treatment[0].lesion", "L1")
    assert problems_of(doc) == [(f"{R0}.lesions[1].id", 'duplicate lesion id "L1" (also lesions[0])')]


def test_a_reference_to_an_invalid_lesion_is_not_reported_twice() -> None:
    doc = full_case_dict()
    set_at(doc, f"{L0}.diameter_mm", -1)  # L1 invalid, but it exists
    assert problems_of(doc) == [(f"{L0}.diameter_mm", "must be > 0")]


def test_a_key_given_twice_is_an_error() -> None:
    from mdt.caseformat import loads_json

    text = '{"format": "mdt-case/1", "patient": {"id": "A", "id": "B"}}'
    with pytest.raises(ValidationError) as info:
        parse_case(loads_json(text))
    assert info.value.problems == [FieldProblem("patient.id", "field given more than once")]


def test_parse_review_uses_the_given_path_and_birth_date() -> None:
    review = full_case_dict()["reviews"][0]
    review["ecog"] = -1
    with pytest.raises(ValidationError) as info:
        parse_review(review, "reviews[3]", birth_date=None)
    assert info.value.problems == [FieldProblem("reviews[3].ecog", "must be between 0 and 5")]
    from datetime import date

    with pytest.raises(ValidationError) as info:
        parse_review(full_case_dict()["reviews"][0], "", birth_date=date(2027, 1, 1))
    assert info.value.problems == [
        FieldProblem("date", "must not be before the birth date (2027-01-01)")]
