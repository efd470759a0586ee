"""Importing case files in one transaction: new patients with their reviews; for known patients
a merge (absent fields keep their value, explicit nulls clear it) refused as a whole when it
would change what signed minutes hold.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mdt import caseformat
from mdt.case import FORMAT_ID, Case
from mdt.errors import FieldProblem, LockedFieldsError, ValidationError
from mdt.limits import label_for
from mdt.service_types import Actor, ImportSummary
from mdt.store import followup_store
from mdt.store.case_rows import current_reviews, read_follow_up, review_json
from mdt.store.common import Caller, find_patient_or_none, integrity_error
from mdt.store.models import PatientModel, ReviewModel, ReviewVersionModel, TreatmentCourseModel
from mdt.store.patients_impl import (
    DEMOGRAPHICS,
    change_patient,
    change_treatment,
    demographic_changes,
    insert_patient,
    patient_dict,
    refresh_summary,
    signed_meetings,
    summary_from,
)
from mdt.store.reviews_impl import insert_review, revise

# --------------------------------------------------------------------------- import


def import_case(s: Session, actor: Actor, item: Case | caseformat.CaseImport,
                 counts: dict[str, int], cleared: list[str], locked: list[FieldProblem]) -> None:
    """Store one case.  A :class:`~mdt.caseformat.CaseImport` (read from a file) is merged
    into what is stored: absent fields keep their value, explicit nulls clear it (listed in
    ``cleared``).  Changes that signed minutes forbid are appended to ``locked`` (the caller
    refuses the whole import); nothing else is checked twice."""
    ci = item if isinstance(item, caseformat.CaseImport) else None
    case = ci.case if ci is not None else item
    assert isinstance(case, Case)
    where = ci.where if ci is not None else (lambda sub: sub)
    p = find_patient_or_none(s, case.patient.id, lock=True)
    if p is None:
        p = insert_patient(s, actor, case.patient, case.protocol, case.treatment)
        counts["patients_created"] += 1
        for review in case.reviews:
            insert_review(s, actor, p, review, "import", validate=False)
            counts["reviews_added"] += 1
        summary_from(p, case.reviews)  # all reviews are new: no need to query them
        if case.follow_up is not None:
            followup_store.store(s, actor.name, p, case.follow_up, "import")
        return
    current = current_reviews(s, p.id)
    existing: dict[date, list[tuple[ReviewModel, ReviewVersionModel]]] = defaultdict(list)
    for r, v in current:
        existing[r.review_date].append((r, v))
    matched: list[tuple[ReviewModel, ReviewVersionModel] | None] = []
    seen: dict[date, int] = defaultdict(int)
    for review in case.reviews:
        nth = seen[review.date]
        seen[review.date] += 1
        same_day = existing.get(review.date, [])
        matched.append(same_day[nth] if nth < len(same_day) else None)
    if ci is not None:
        case = _merged_case(s, p, ci, matched, cleared)
    treatment_given = ci is None and case.treatment is not None or (
        ci is not None and "treatment" in ci.document)

    changes = demographic_changes(p, case.patient)
    if changes:
        meetings = signed_meetings(s, p)
        if meetings:
            for change in changes:
                locked.append(FieldProblem(where(change.path), (
                    f"{change.values()} refused: {p.mrn} was "
                    f"discussed at signed meeting {', '.join(meetings)}; change it through an "
                    f"amendment (edit the patient, with a reason)"),
                    label_for(change.path)))
            return
    changed = change_patient(s, actor, p, case.patient, case.protocol, "import")
    if treatment_given:
        changed = change_treatment(s, actor, p, case.treatment, "import") or changed
    counts["patients_updated"] += int(changed)
    for i, (review, match) in enumerate(zip(case.reviews, matched, strict=True)):
        if match is None:
            insert_review(s, actor, p, review, "import", validate=False)
            counts["reviews_added"] += 1
            continue
        r, v = match
        if review_json(review) == v.content:
            counts["reviews_unchanged"] += 1
            continue
        if r.locked_by_meeting is not None:
            locked.append(FieldProblem(where(f"reviews[{i}]"), (
                f"the review of {review.date.isoformat()} belongs to signed meeting "
                f"{r.locked_by_meeting} and the file changes it; change it through an amendment "
                f"in the review editor")))
            continue
        revise(s, actor, p, r, review, "import", False)
        counts["reviews_revised"] += 1
    follow_up_given = ci is None and case.follow_up is not None or (
        ci is not None and "follow_up" in ci.document)
    if follow_up_given:
        follow_up_changed = followup_store.store(s, actor.name, p, case.follow_up, "import")
        counts["patients_updated"] += int(follow_up_changed and not changed)
    refresh_summary(s, p)


def _merged_case(s: Session, p: PatientModel, ci: caseformat.CaseImport,
                 matched: Sequence[tuple[ReviewModel, ReviewVersionModel] | None],
                 cleared: list[str]) -> Case:
    """The file's case laid over the stored one (see ``caseformat.merge_object``), checked
    by the case-format parser as a whole; problems name the file's paths."""
    doc = ci.document
    found: list[str] = []
    stored = patient_dict(p)
    merged: dict[str, Any] = {"format": FORMAT_ID}
    merged["patient"] = caseformat.merge_object(
        {k: stored[k] for k in ("id", *DEMOGRAPHICS)}, doc["patient"], "patient", found)
    for name, old in (("protocol", stored["protocol"]), ("treatment", _stored_treatment(s, p))):
        if name not in doc:
            merged[name] = old
        elif isinstance(doc[name], dict):
            merged[name] = caseformat.merge_object(old, doc[name], name, found)
        else:  # null: clear it
            if caseformat._has_value(old):
                found.append(name)
            merged[name] = None
    if "follow_up" in doc:
        # Lists are replaced whole (local treatments, progressions); null clears the record.
        stored_follow_up = read_follow_up(s, p.id)
        if doc["follow_up"] is None and stored_follow_up is not None:
            found.append("follow_up")
        merged["follow_up"] = doc["follow_up"]
        treatment = merged.get("treatment")
        given = stated if isinstance(stated := doc.get("treatment"), dict) else {}
        if isinstance(treatment, dict):
            # The end follows from the events: a stored end derived from the old events is
            # derived again from the new ones, unless the file states one itself.
            merged["treatment"] = {k: v for k, v in treatment.items()
                                   if k in given or k not in ("outcome", "outcome_date")}
    reviews = doc.get("reviews") or []
    merged["reviews"] = [
        caseformat.merge_object(json.loads(match[1].content), raw, f"reviews[{i}]", found)
        if match is not None else raw
        for i, (raw, match) in enumerate(zip(reviews, matched, strict=True))]
    try:
        case = caseformat.parse_case(merged)
    except ValidationError as exc:
        raise ValidationError([FieldProblem(ci.where(pr.path), pr.reason, pr.label)
                               for pr in exc.problems]) from exc
    cleared.extend(f"{p.mrn}: {path}" + (f" ({label})" if (label := label_for(path)) else "")
                   for path in found)
    return case


def _stored_treatment(s: Session, p: PatientModel) -> dict[str, Any] | None:
    course = s.scalars(select(TreatmentCourseModel)
                       .where(TreatmentCourseModel.patient_id == p.id)).first()
    return json.loads(course.content) if course is not None else None


def import_cases(svc: Caller, cases: Sequence[Case | caseformat.CaseImport]) -> ImportSummary:
    counts = dict.fromkeys(("patients_created", "patients_updated", "reviews_added",
                            "reviews_revised", "reviews_unchanged"), 0)
    cleared: list[str] = []
    locked: list[FieldProblem] = []
    ids = [c.case.patient.id if isinstance(c, caseformat.CaseImport) else c.patient.id
           for c in cases]
    try:
        with svc.db.write() as s:
            # One lock order for every writer (patients by hospital id), so two imports of
            # the same patients in opposite orders queue instead of deadlocking.
            for i in sorted(range(len(cases)), key=ids.__getitem__):
                import_case(s, svc.actor, cases[i], counts, cleared, locked)
            if locked:
                raise LockedFieldsError(locked)
    except IntegrityError as exc:
        raise integrity_error(exc) from exc
    return ImportSummary(**counts, patient_ids=tuple(ids), cleared=tuple(cleared))
