"""Reading and writing the ``mdt-case/1`` interchange format (``docs/case-format.md``).

Parsing is strict and exhaustive: every problem in a file is collected, each
named by its JSON path (``reviews[1].lesions[0].diameter_mm: must be > 0``),
and reported together in one :class:`~mdt.errors.ValidationError`, so a
coordinator fixes a file in one pass.  Nothing is guessed: an unknown field,
a boolean where a number belongs, or a vocabulary word with the wrong case is
an error, never silently dropped or coerced.

Writing is canonical: a stable key order (the specification's example order),
every field the specification shows written (``null`` when not recorded), and
the project's extension fields written only when they hold a value.  So
``parse_case(case_to_dict(c)) == c`` for every case, and
``case_to_dict(parse_case(d)) == d`` for every canonical document.

Numbers keep their JSON type (``42`` stays an ``int``, ``42.0`` a ``float``), so
export after import is byte-for-byte stable.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from mdt.anatomy import RESECTIONS
from mdt.case import (
    ASCITES,
    ENCEPHALOPATHY,
    EXTRAHEPATIC,
    FORMAT_ID,
    LESION_STATUSES,
    LIVER_CONDITIONS,
    LOCAL_METHODS,
    OUTCOMES,
    PLANS,
    PRIOR_SYSTEMIC_RESPONSES,
    PROTEINURIA,
    RATINGS,
    SEGMENTS,
    SEXES,
    VESSEL_RELATIONS,
    VESSEL_STRUCTURES,
    Case,
    Clinical,
    CycleGiven,
    Decision,
    FollowUp,
    Imaging,
    Labs,
    Lesion,
    LocalTreatment,
    Measurement,
    Number,
    Panel,
    Patient,
    PortalVeinEmbolisation,
    ProtocolRef,
    RemnantPlan,
    Review,
    Treatment,
    Uln,
    VesselContact,
    Vote,
    VoteChange,
)
from mdt.caseformat_followup import follow_up_to_dict, parse_follow_up
from mdt.errors import FieldProblem, ValidationError
from mdt.limits import (
    COLUMN_TEXT,
    DATE_MAX,
    DATE_MIN,
    FILE_MAX_BYTES,
    INT32_MAX,
    count_for,
    label_for,
    limit_for,
    text_max,
)
from mdt.limits import template as _template

__all__ = [
    "DECISION_RULES",
    "CaseImport",
    "case_to_dict",
    "cases_to_list",
    "dump_case",
    "dump_cases",
    "load_cases",
    "loads_json",
    "merge_object",
    "parse_imports",
    "parse_case",
    "parse_cases",
    "parse_review",
    "read_case_file",
    "read_cases",
    "read_imports",
    "review_problems",
    "review_to_dict",
]

T = TypeVar("T")

DECISION_RULES: tuple[str, ...] = ("consensus", "majority", "chair")
"""How a panel reached its decision (extension ``panel.decision.rule``)."""

# Every numeric range, text length, date range and count lives in mdt.limits (one table
# read by this parser, the review editor and docs/case-format.md).  A number field missing
# from that table still gets these caps, so no value can overflow a column or a float.
_UNLISTED_NUMBER_MAX = 1e15

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


# --------------------------------------------------------------------------- paths and types

def _printable(text: str) -> str:
    """``text`` safe to print on one line and to encode as UTF-8.

    A lone surrogate shows as ``\\ud800``; control characters, line and paragraph
    separators (U+0085, U+2028, ...) and invisible format characters (bidi overrides)
    show as escapes, so a quoted value can neither break a message into lines nor
    disguise itself.
    """
    if text.isascii() and text.isprintable():
        return text
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(ch if ch.isprintable() or ch == " " else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _has_surrogate(text: str) -> bool:
    return not text.isascii() and any("\ud800" <= ch <= "\udfff" for ch in text)


def _key(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def _json_type(value: object) -> str:
    """How a JSON value reads in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _fmt(value: object) -> str:
    """A short quotation of a bad value for a message."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**12:
        return f"a {len(str(abs(value)))}-digit number"
    text = json.dumps(value, ensure_ascii=False) if _jsonable(value) else repr(value)
    text = _printable(text)
    return text if len(text) <= 40 else text[:37] + "..."


def _jsonable(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


class _DupKeyDict(dict[str, Any]):
    """A JSON object that remembers keys given twice (``json`` keeps only the last)."""

    duplicates: tuple[str, ...] = ()


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = _DupKeyDict()
    dups: list[str] = []
    for k, v in pairs:
        if k in out and k not in dups:
            dups.append(k)
        out[k] = v
    if dups:
        out.duplicates = tuple(dups)
    return out


def _reject_constant(token: str) -> float:
    # NaN and Infinity are not JSON; Python's json accepts them unless told not to.
    raise ValueError(f"{token} is not a valid JSON number")


# --------------------------------------------------------------------------- the parser

_MISSING = object()
_PREDICATES = ("must ", "is ", "required", "contains ", "are too many")


class _Parser:
    """Walks one JSON document, building domain objects and collecting problems."""

    def __init__(self, *, stored: bool = False) -> None:
        self.problems: list[FieldProblem] = []
        # Reading what the database already holds: the limits of mdt.limits were tightened
        # after some of it was saved, and a stored record must always stay readable.
        self.stored = stored

    def fail(self, path: str, reason: str) -> None:
        # "must be > 0" reads as a sentence once the field is named in words ("Lesion
        # diameter in mm must be > 0"); a reason that is a sentence already stays as it is.
        named = reason.startswith(_PREDICATES)
        self.problems.append(FieldProblem(path, reason, label_for(path) if named else None))

    # -- objects --------------------------------------------------------------

    def obj(self, value: object, path: str, fields: Iterable[str], *,
            nullable: bool = False) -> dict[str, Any] | None:
        """``value`` as a JSON object with only ``fields``; None (and a problem) otherwise."""
        if value is None and nullable:
            return None
        if not isinstance(value, dict):
            self.fail(path, f"must be an object{' or null' if nullable else ''}, "
                            f"not {_json_type(value)}")
            return None
        allowed = set(fields)
        for name in value:
            if name not in allowed:  # a key from the file: printable even when it is not text
                self.fail(_key(path, _printable(str(name))), "unknown field")
        for name in getattr(value, "duplicates", ()):
            self.fail(_key(path, _printable(name)), "field given more than once")
        return value

    def items(self, value: object, path: str, *, nullable: bool = True) -> list[Any]:
        """A JSON list (absent or null is an empty list when ``nullable``)."""
        if value is _MISSING or (value is None and nullable):
            return []
        if not isinstance(value, list):
            self.fail(path, f"must be a list{' or null' if nullable else ''}, "
                            f"not {_json_type(value)}")
            return []
        count = None if self.stored else count_for(path)
        if count is not None and len(value) > count.maximum:
            self.fail(path, f"are too many ({len(value)}); at most {count.maximum} "
                            f"{count.label} are accepted")
            return []
        return value

    # -- scalars ----------------------------------------------------------------
    # Each reads ``d[name]`` at ``path.name``; absent counts as null.  On a bad
    # value they record a problem and return None so parsing carries on.

    def string(self, d: Mapping[str, Any], name: str, path: str, *,
               required: bool = False, non_empty: bool = False) -> str | None:
        p = _key(path, name)
        v = d.get(name, _MISSING)
        if v is _MISSING or v is None:
            if required:
                self.fail(p, "required" if v is _MISSING else "must be a string, not null")
            return None
        if not isinstance(v, str):
            self.fail(p, f"must be a string{'' if required else ' or null'}, not {_json_type(v)}")
            return None
        if non_empty and not v.strip():
            self.fail(p, "must not be empty")
            return None
        return v if self.text_ok(v, p) else None

    def text_ok(self, v: str, p: str) -> bool:
        """Characters every database stores, and a length every column holds."""
        if _has_surrogate(v):
            self.fail(p, "contains an invalid character (a lone UTF-16 surrogate, "
                         "not a letter): fix the text in the file")
            return False
        if "\x00" in v and _template(p) in COLUMN_TEXT:
            self.fail(p, "must not contain NUL characters")
            return False
        most = None if self.stored else text_max(p)
        if most is not None and len(v) > most:
            self.fail(p, f"must be at most {most} characters (got {len(v)})")
            return False
        return True

    def choice(self, d: Mapping[str, Any], name: str, path: str, vocabulary: Sequence[str], *,
               required: bool = False) -> str | None:
        p = _key(path, name)
        v = d.get(name, _MISSING)
        if v is _MISSING or v is None:
            if required:
                self.fail(p, "required" if v is _MISSING
                          else f"must be one of {', '.join(vocabulary)}, not null")
            return None
        if not isinstance(v, str) or v not in vocabulary:
            self.fail(p, f"must be one of {', '.join(vocabulary)}"
                         f"{'' if required else ' or null'} (got {_fmt(v)})")
            return None
        return v

    def boolean(self, d: Mapping[str, Any], name: str, path: str) -> bool | None:
        v = d.get(name)
        if v is None:
            return None
        if not isinstance(v, bool):
            self.fail(_key(path, name), f"must be true, false or null, not {_json_type(v)}")
            return None
        return v

    def number(self, d: Mapping[str, Any], name: str, path: str, **kw: Any) -> Number | None:
        return self.number_value(d.get(name, _MISSING), _key(path, name), **kw)

    def number_value(self, v: object, p: str, *,
                     minimum: Number | None = None, maximum: Number | None = None,
                     above: Number | None = None, integer: bool = False,
                     required: bool = False) -> Number | None:
        """A JSON number in range: ``minimum``/``maximum`` inclusive, ``above`` exclusive.

        A field listed in ``mdt.limits.LIMITS`` takes its range from there (the keywords
        are then ignored); any other number is still capped so it fits a column."""
        limit = limit_for(p)
        if limit is not None:
            minimum, maximum, above, integer = (limit.minimum, limit.maximum, limit.above,
                                                limit.integer)
        elif integer:
            maximum = INT32_MAX if maximum is None else min(maximum, INT32_MAX)
            minimum = -INT32_MAX if minimum is None else minimum
        elif maximum is None:
            maximum = _UNLISTED_NUMBER_MAX
        if self.stored:
            minimum = maximum = above = None
        kind = "an integer" if integer else "a number"
        if v is _MISSING or v is None:
            if required:
                self.fail(p, "required" if v is _MISSING else f"must be {kind}, not null")
            return None
        # bool is a subclass of int in Python, but true is not a number in JSON.
        if isinstance(v, bool) or not isinstance(v, int | float):
            self.fail(p, f"must be {kind}{'' if required else ' or null'}, not {_json_type(v)}")
            return None
        if isinstance(v, float) and not math.isfinite(v):
            self.fail(p, "must be a finite number")
            return None
        if integer and not isinstance(v, int):
            self.fail(p, f"must be an integer (got {_fmt(v)})")
            return None
        if isinstance(v, int) and abs(v) > 10**15 and maximum is not None:
            # Far outside any range (2**63 crashed storage): say so without 20 digits.
            low = above if above is not None else minimum
            self.fail(p, f"is far out of range (got {_fmt(v)}); must be "
                         + (f"between {low} and {maximum}" if low is not None and maximum is not None
                            else f"<= {maximum}" if maximum is not None else f">= {low}"))
            return None
        if above is not None and not v > above:
            self.fail(p, f"must be > {above}")
            return None
        if minimum is not None and maximum is not None:
            if not minimum <= v <= maximum:
                self.fail(p, f"must be between {minimum} and {maximum}")
                return None
        elif minimum is not None and v < minimum:
            self.fail(p, f"must be >= {minimum}")
            return None
        elif maximum is not None and v > maximum:
            self.fail(p, f"must be <= {maximum}")
            return None
        return v

    def integer(self, d: Mapping[str, Any], name: str, path: str, **kw: Any) -> int | None:
        v = self.number(d, name, path, integer=True, **kw)
        return v if isinstance(v, int) else None

    def day(self, d: Mapping[str, Any], name: str, path: str, *,
            required: bool = False) -> date | None:
        p = _key(path, name)
        v = d.get(name, _MISSING)
        if v is _MISSING or v is None:
            if required:
                self.fail(p, "required" if v is _MISSING
                          else "must be a date (YYYY-MM-DD), not null")
            return None
        if not isinstance(v, str):
            self.fail(p, f"must be a date (YYYY-MM-DD), not {_json_type(v)}")
            return None
        if not _DATE_RE.fullmatch(v):
            self.fail(p, f"must be a date in the form YYYY-MM-DD (got {_fmt(v)})")
            return None
        try:
            day = date.fromisoformat(v)
        except ValueError:
            self.fail(p, f"is not a calendar date (got {_fmt(v)})")
            return None
        if not self.stored and not DATE_MIN <= day <= DATE_MAX:
            self.fail(p, f"must be between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()} "
                         f"(got {v}): check the year")
            return None
        return day

    def segment_list(self, d: Mapping[str, Any], name: str, path: str, *,
                     required: bool) -> tuple[str, ...] | None:
        p = _key(path, name)
        v = d.get(name, _MISSING)
        if v is _MISSING or v is None:
            if required:
                self.fail(p, "required" if v is _MISSING else "must be a list of segments, not null")
            return None
        if not isinstance(v, list):
            self.fail(p, f"must be a list of segments{'' if required else ' or null'}, "
                         f"not {_json_type(v)}")
            return None
        if not v:
            self.fail(p, "must list at least one segment")
            return None
        out: list[str] = []
        ok = True
        for i, seg in enumerate(v):
            if not isinstance(seg, str) or seg not in SEGMENTS:
                self.fail(_index(p, i), f"must be one of {', '.join(SEGMENTS)} (got {_fmt(seg)})")
                ok = False
            elif seg in out:
                self.fail(_index(p, i), f"segment {seg} is listed twice")
                ok = False
            else:
                out.append(seg)
        return tuple(out) if ok else None

    def each(self, value: object, path: str, parse: Callable[[object, str], T | None], *,
             nullable: bool = True) -> list[tuple[int, T]]:
        """Parse every item of a list; returns (index, item) for the items that parsed."""
        out: list[tuple[int, T]] = []
        for i, item in enumerate(self.items(value, path, nullable=nullable)):
            parsed = parse(item, _index(path, i))
            if parsed is not None:
                out.append((i, parsed))
        return out

    # -- the case ---------------------------------------------------------------

    def case(self, value: object, path: str) -> Case | None:
        d = self.obj(value, path, ("format", "patient", "protocol", "treatment", "follow_up",
                                   "reviews"))
        if d is None:
            return None
        fmt = d.get("format", _MISSING)
        if fmt is _MISSING:
            self.fail(_key(path, "format"), f"required (\"{FORMAT_ID}\")")
        elif fmt != FORMAT_ID:
            self.fail(_key(path, "format"), f"must be \"{FORMAT_ID}\" (got {_fmt(fmt)})")
        patient = self.patient(d.get("patient", _MISSING), _key(path, "patient"))
        protocol = self.protocol(d.get("protocol"), _key(path, "protocol"))
        birth = patient.birth_date if patient else None
        if protocol is not None and protocol.enrolment_date and birth and protocol.enrolment_date < birth:
            self.fail(_key(_key(path, "protocol"), "enrolment_date"), "must not be before the birth date")
        treatment = self.treatment(d.get("treatment"), _key(path, "treatment"), birth)
        rpath = _key(path, "reviews")
        reviews = self.each(d.get("reviews", _MISSING), rpath,
                            lambda v, p: self.review(v, p, birth))
        # Reviews come oldest first; the same day twice is allowed (a patient
        # discussed again after new results the same day), going back is not.
        prev: tuple[int, date] | None = None
        for i, rev in reviews:
            if prev is not None and rev.date < prev[1]:
                self.fail(_key(_index(rpath, i), "date"),
                          f"reviews must be in date order: {rev.date.isoformat()} is before "
                          f"reviews[{prev[0]}] ({prev[1].isoformat()})")
            prev = (i, rev.date)
        follow_up = parse_follow_up(self, d.get("follow_up"), _key(path, "follow_up"), birth,
                                    reviews, treatment, path)
        if patient is None or self.problems:
            return None
        return Case(patient=patient, protocol=protocol or ProtocolRef(),
                    reviews=tuple(r for _, r in reviews), treatment=treatment,
                    follow_up=follow_up)

    def patient(self, value: object, path: str) -> Patient | None:
        if value is _MISSING:
            self.fail(path, "required")
            return None
        d = self.obj(value, path, ("id", "name", "sex", "birth_date"))
        if d is None:
            return None
        pid = self.string(d, "id", path, required=True, non_empty=True)
        name = self.string(d, "name", path)
        sex = self.choice(d, "sex", path, SEXES)
        birth = self.day(d, "birth_date", path)
        if pid is None:
            return None
        return Patient(id=pid, name=name, sex=sex, birth_date=birth)

    def protocol(self, value: object, path: str) -> ProtocolRef | None:
        d = self.obj(value, path, ("id", "arm", "enrolment_date"), nullable=True)
        if d is None:
            return None
        return ProtocolRef(id=self.string(d, "id", path, non_empty=True),
                           arm=self.string(d, "arm", path),
                           enrolment_date=self.day(d, "enrolment_date", path))

    def treatment(self, value: object, path: str, birth: date | None) -> Treatment | None:
        d = self.obj(value, path, ("regimen", "start_date", "cycles", "outcome", "outcome_date"),
                     nullable=True)
        if d is None:
            return None
        start = self.day(d, "start_date", path)
        if start and birth and start < birth:
            self.fail(_key(path, "start_date"), "must not be before the birth date")
        cpath = _key(path, "cycles")
        cycles = self.each(d.get("cycles"), cpath, self.cycle_given)
        prev: CycleGiven | None = None
        for i, c in cycles:
            p = _index(cpath, i)
            if start and c.date < start:
                self.fail(_key(p, "date"), "must not be before treatment.start_date")
            if prev is not None:
                if c.number <= prev.number:
                    self.fail(_key(p, "number"),
                              f"cycles must be in increasing number order (after {prev.number})")
                if c.date < prev.date:
                    self.fail(_key(p, "date"), f"cycles must be in date order "
                                               f"(after {prev.date.isoformat()})")
            prev = c
        outcome = self.choice(d, "outcome", path, OUTCOMES)
        outcome_date = self.day(d, "outcome_date", path)
        if outcome_date and start and outcome_date < start:
            self.fail(_key(path, "outcome_date"), "must not be before treatment.start_date")
        return Treatment(regimen=self.string(d, "regimen", path), start_date=start,
                         cycles=tuple(c for _, c in cycles), outcome=outcome,
                         outcome_date=outcome_date)

    def cycle_given(self, value: object, path: str) -> CycleGiven | None:
        d = self.obj(value, path, ("number", "date", "dose_reduction_pct", "toxicity_grade", "note"))
        if d is None:
            return None
        number = self.integer(d, "number", path, required=True)
        day = self.day(d, "date", path, required=True)
        reduction = self.number(d, "dose_reduction_pct", path)
        tox = self.integer(d, "toxicity_grade", path)
        note = self.string(d, "note", path)
        if number is None or day is None:
            return None
        return CycleGiven(number=number, date=day, dose_reduction_pct=reduction,
                          toxicity_grade=tox, note=note)

    # -- one review ---------------------------------------------------------------

    def review(self, value: object, path: str, birth: date | None) -> Review | None:
        d = self.obj(value, path, _REVIEW_KEYS)
        if d is None:
            return None
        day = self.day(d, "date", path, required=True)
        if day and birth and day < birth:
            self.fail(_key(path, "date"), f"must not be before the birth date "
                                          f"({birth.isoformat()})")
        cycle = self.integer(d, "cycle", path)
        reason = self.string(d, "reason", path)
        height = self.number(d, "height_cm", path)
        weight = self.number(d, "weight_kg", path)
        imaging = self.imaging(d.get("imaging"), _key(path, "imaging"))

        lpath = _key(path, "lesions")
        lesions = self.each(d.get("lesions", _MISSING), lpath, self.lesion)
        seen: dict[str, int] = {}
        for i, les in lesions:
            if les.id in seen:
                self.fail(_key(_index(lpath, i), "id"),
                          f"duplicate lesion id {_fmt(les.id)} (also lesions[{seen[les.id]}])")
            else:
                seen[les.id] = i
        # A reference to a lesion is checked against every id written in the
        # review, including lesions that failed validation for another reason,
        # so one mistake is not reported twice.
        # When a lesion's id is unreadable, a reference may mean that lesion:
        # references are then not checked, so one mistake is reported once.
        raw_lesions = d.get("lesions")
        known_ids: set[str] | None = (set(seen) | _raw_lesion_ids(raw_lesions)
                                      if _all_ids_readable(raw_lesions) else None)

        vpath = _key(path, "vessels")
        # Absent or null: vessel relations not assessed (None); [] assessed, no contact.
        raw_vessels = d.get("vessels")
        vessels = self.each(raw_vessels, vpath, lambda v, p: self.vessel(v, p, known_ids))
        remnant = self.remnant(d.get("remnant"), _key(path, "remnant"), known_ids)
        burden = self.number(d, "tumour_burden_pct", path)
        extra = self.choice(d, "extrahepatic_disease", path, EXTRAHEPATIC)
        ecog = self.integer(d, "ecog", path)
        clinical = self.clinical(d.get("clinical"), _key(path, "clinical"))
        labs = self.labs(d.get("labs"), _key(path, "labs"))
        panel = self.panel(d.get("panel"), _key(path, "panel"), day)
        if day is None:
            return None
        return Review(
            date=day, cycle=cycle, height_cm=height, weight_kg=weight, imaging=imaging,
            lesions=tuple(les for _, les in lesions),
            vessels=None if raw_vessels is None else tuple(v for _, v in vessels),
            remnant=remnant, tumour_burden_pct=burden, extrahepatic_disease=extra, ecog=ecog,
            clinical=clinical or Clinical(), labs=labs or Labs(), panel=panel or Panel(),
            reason=reason,
        )

    def imaging(self, value: object, path: str) -> Imaging | None:
        d = self.obj(value, path, ("modality", "date", "study_uid"), nullable=True)
        if d is None:
            return None
        return Imaging(modality=self.string(d, "modality", path, non_empty=True),
                       date=self.day(d, "date", path),
                       study_uid=self.string(d, "study_uid", path, non_empty=True))

    def lesion(self, value: object, path: str) -> Lesion | None:
        d = self.obj(value, path, ("id", "segments", "diameter_mm", "target", "status",
                                   "measurement"))
        if d is None:
            return None
        lid = self.string(d, "id", path, required=True, non_empty=True)
        segments = self.segment_list(d, "segments", path, required=True)
        diameter = self.number(d, "diameter_mm", path)
        target = d.get("target", False)
        if target is None:
            target = False
        elif not isinstance(target, bool):
            self.fail(_key(path, "target"), f"must be true or false, not {_json_type(target)}")
            target = False
        status = self.choice(d, "status", path, LESION_STATUSES) or "present"
        # A disappeared lesion measures nothing; a size beside it contradicts the
        # status, and RECIST would count it as 0 mm whatever the number says.
        if status == "disappeared" and diameter is not None:
            self.fail(_key(path, "diameter_mm"), "must be null when status is disappeared")
        measurement = self.measurement(d.get("measurement"), _key(path, "measurement"))
        if lid is None or segments is None:
            return None
        return Lesion(id=lid, segments=segments, diameter_mm=diameter, target=target,
                      status=status, measurement=measurement)

    def measurement(self, value: object, path: str) -> Measurement | None:
        d = self.obj(value, path, ("series_uid", "sop_instance_uid", "slice_index",
                                   "start_xy", "end_xy", "frame_number"), nullable=True)
        if d is None:
            return None
        series = self.string(d, "series_uid", path, required=True, non_empty=True)
        sop = self.string(d, "sop_instance_uid", path, required=True, non_empty=True)
        slice_index = self.integer(d, "slice_index", path)
        frame_number = self.integer(d, "frame_number", path, minimum=1)
        start = self.point(d, "start_xy", path)
        end = self.point(d, "end_xy", path)
        if series is None or sop is None:
            return None
        return Measurement(series_uid=series, sop_instance_uid=sop, slice_index=slice_index,
                           start_xy=start, end_xy=end, frame_number=frame_number)

    def point(self, d: Mapping[str, Any], name: str, path: str) -> tuple[Number, Number] | None:
        p = _key(path, name)
        v = d.get(name)
        if v is None:
            return None
        if not isinstance(v, list) or len(v) != 2:
            self.fail(p, "must be a list of two numbers [x, y] or null")
            return None
        x = self.number_value(v[0], _index(p, 0), required=True)
        y = self.number_value(v[1], _index(p, 1), required=True)
        if x is None or y is None:
            return None
        return (x, y)

    def vessel(self, value: object, path: str, lesion_ids: set[str] | None) -> VesselContact | None:
        d = self.obj(value, path, ("structure", "relation", "lesion"))
        if d is None:
            return None
        structure = self.choice(d, "structure", path, VESSEL_STRUCTURES, required=True)
        relation = self.choice(d, "relation", path, VESSEL_RELATIONS, required=True)
        lesion = self.string(d, "lesion", path, non_empty=True)
        if lesion is not None and lesion_ids is not None and lesion not in lesion_ids:
            self.fail(_key(path, "lesion"), f"no lesion {_fmt(lesion)} in this review")
            lesion = None
        if structure is None or relation is None:
            return None
        return VesselContact(structure=structure, relation=relation, lesion=lesion)

    def remnant(self, value: object, path: str, lesion_ids: set[str] | None) -> RemnantPlan | None:
        d = self.obj(value, path, ("resection", "segments", "local_treatment", "flr_ml",
                                   "tlv_ml", "liver_condition", "pve", "flr_segments"),
                     nullable=True)
        if d is None:
            return None
        resection = self.choice(d, "resection", path, tuple(RESECTIONS))
        segments = self.segment_list(d, "segments", path, required=False)
        if d.get("resection") is not None and d.get("segments") is not None:
            self.fail(_key(path, "segments"),
                      "give either remnant.segments or remnant.resection, not both")
        ltpath = _key(path, "local_treatment")
        local = self.each(d.get("local_treatment"), ltpath,
                          lambda v, p: self.local_treatment(v, p, lesion_ids))
        seen: dict[str, int] = {}
        for i, lt in local:
            if lt.lesion in seen:
                self.fail(_key(_index(ltpath, i), "lesion"),
                          f"lesion {_fmt(lt.lesion)} is listed twice "
                          f"(also local_treatment[{seen[lt.lesion]}])")
            else:
                seen[lt.lesion] = i
        flr = self.number(d, "flr_ml", path)
        tlv = self.number(d, "tlv_ml", path)
        if flr is not None and tlv is not None and flr > tlv:
            self.fail(_key(path, "flr_ml"), f"must be <= tlv_ml ({tlv})")
        condition = self.choice(d, "liver_condition", path, LIVER_CONDITIONS)
        pve = self.pve(d.get("pve"), _key(path, "pve"))
        flr_segments = self.segment_list(d, "flr_segments", path, required=False)
        if flr_segments is not None and flr is None and (
                pve is None or (pve.flr_before_ml is None and pve.flr_after_ml is None)):
            self.fail(_key(path, "flr_segments"),
                      "names the segments a remnant volume was measured for, but no remnant "
                      "volume (flr_ml or pve) is recorded")
        return RemnantPlan(resection=resection, segments=segments,
                           local_treatment=tuple(lt for _, lt in local), flr_ml=flr,
                           tlv_ml=tlv, liver_condition=condition, pve=pve,
                           flr_segments=flr_segments)

    def local_treatment(self, value: object, path: str,
                        lesion_ids: set[str] | None) -> LocalTreatment | None:
        d = self.obj(value, path, ("lesion", "method"))
        if d is None:
            return None
        lesion = self.string(d, "lesion", path, required=True, non_empty=True)
        if lesion is not None and lesion_ids is not None and lesion not in lesion_ids:
            self.fail(_key(path, "lesion"), f"no lesion {_fmt(lesion)} in this review")
            lesion = None
        method = self.choice(d, "method", path, LOCAL_METHODS, required=True)
        if lesion is None or method is None:
            return None
        return LocalTreatment(lesion=lesion, method=method)

    def pve(self, value: object, path: str) -> PortalVeinEmbolisation | None:
        d = self.obj(value, path, ("date", "flr_before_ml", "flr_after_ml", "days_between"),
                     nullable=True)
        if d is None:
            return None
        return PortalVeinEmbolisation(
            date=self.day(d, "date", path),
            flr_before_ml=self.number(d, "flr_before_ml", path),
            flr_after_ml=self.number(d, "flr_after_ml", path),
            # the kinetic growth rate divides by the interval: zero days is no interval
            days_between=self.integer(d, "days_between", path),
        )

    def clinical(self, value: object, path: str) -> Clinical | None:
        d = self.obj(value, path, _CLINICAL_KEYS, nullable=True)
        if d is None:
            return None
        return Clinical(
            prior_systemic_lines=self.integer(d, "prior_systemic_lines", path),
            neuropathy_grade=self.integer(d, "neuropathy_grade", path),
            life_expectancy_months=self.number(d, "life_expectancy_months", path),
            cea=self.number(d, "cea", path),
            ca19_9=self.number(d, "ca19_9", path),
            lvef_pct=self.number(d, "lvef_pct", path),
            fev1_fvc_pct=self.number(d, "fev1_fvc_pct", path),
            ascites=self.choice(d, "ascites", path, ASCITES),
            encephalopathy=self.choice(d, "encephalopathy", path, ENCEPHALOPATHY),
            node_positive_primary=self.boolean(d, "node_positive_primary", path),
            disease_free_interval_months=self.number(d, "disease_free_interval_months", path),
            synchronous=self.boolean(d, "synchronous", path),
            prior_adjuvant=self.boolean(d, "prior_adjuvant", path),
            prior_systemic_response=self.choice(d, "prior_systemic_response", path,
                                                PRIOR_SYSTEMIC_RESPONSES),
            prior_liver_treatment=self.boolean(d, "prior_liver_treatment", path),
        )

    def labs(self, value: object, path: str) -> Labs | None:
        d = self.obj(value, path, _LAB_KEYS + ("proteinuria", "proteinuria_g_24h", "uln"),
                     nullable=True)
        if d is None:
            return None
        # Ranges (creatinine > 0: Cockcroft-Gault divides by it) come from mdt.limits.
        values = {name: self.number(d, name, path) for name in _LAB_KEYS}
        return Labs(
            **values,
            proteinuria=self.choice(d, "proteinuria", path, PROTEINURIA),
            proteinuria_g_24h=self.number(d, "proteinuria_g_24h", path),
            uln=self.uln(d.get("uln"), _key(path, "uln")) or Uln(),
        )

    def uln(self, value: object, path: str) -> Uln | None:
        d = self.obj(value, path, _ULN_KEYS, nullable=True)
        if d is None:
            return None
        # Labs are judged as multiples of their limit: mdt.limits refuses a limit of 0.
        return Uln(**{name: self.number(d, name, path) for name in _ULN_KEYS})

    def panel(self, value: object, path: str, review_date: date | None) -> Panel | None:
        d = self.obj(value, path, ("votes", "decision"), nullable=True)
        if d is None:
            return None
        vpath = _key(path, "votes")
        votes = self.each(d.get("votes"), vpath, self.vote)
        seen: dict[tuple[str, int], int] = {}
        for i, vote in votes:
            key = (vote.member, vote.round)
            if key in seen:
                self.fail(_key(_index(vpath, i), "member"),
                          f"{_fmt(vote.member)} already voted in round {vote.round} "
                          f"(votes[{seen[key]}])")
            else:
                seen[key] = i
        decision = self.decision(d.get("decision"), _key(path, "decision"), review_date)
        return Panel(votes=tuple(v for _, v in votes), decision=decision)

    def vote(self, value: object, path: str) -> Vote | None:
        d = self.obj(value, path, ("member", "role", "rating", "round", "comment", "changes",
                                   "withdrawn"))
        if d is None:
            return None
        member = self.string(d, "member", path, required=True, non_empty=True)
        role = self.string(d, "role", path)
        rating = self.choice(d, "rating", path, RATINGS, required=True)
        rnd = self.integer(d, "round", path)
        comment = self.string(d, "comment", path)
        withdrawn = bool(self.boolean(d, "withdrawn", path))
        raw_changes = d.get("changes")
        changes = [c for _, c in self.each(raw_changes, _key(path, "changes"), self.vote_change)]
        if member is None or rating is None:
            return None
        if raw_changes is None or (isinstance(raw_changes, list) and len(changes) == len(raw_changes)):
            self.vote_history(changes, rating, withdrawn, path)
        return Vote(member=member, role=role, rating=rating,
                    round=1 if rnd is None else rnd, comment=comment,
                    changes=tuple(changes), withdrawn=withdrawn)

    def vote_change(self, value: object, path: str) -> VoteChange | None:
        d = self.obj(value, path, ("from", "to", "reason", "at", "by"))
        if d is None:
            return None
        before = self.choice(d, "from", path, RATINGS)
        after = self.choice(d, "to", path, RATINGS)
        reason = self.string(d, "reason", path, required=True, non_empty=True)
        at = self.moment(d, "at", path)
        by = self.string(d, "by", path)
        if reason is None:
            return None
        if before is None and after is None and d.get("from") is None and d.get("to") is None:
            self.fail(path, "a change needs a rating before it (from) or after it (to)")
            return None
        if before is not None and before == after:
            self.fail(_key(path, "to"), f"is the same rating as from ({before})")
            return None
        return VoteChange(from_rating=before, to_rating=after, reason=reason, at=at, by=by)

    def vote_history(self, changes: list[VoteChange], rating: str, withdrawn: bool, path: str) -> None:
        """The changes must tell one story ending in the vote as it stands."""
        for i in range(1, len(changes)):
            if changes[i].from_rating != changes[i - 1].to_rating:
                self.fail(_key(_index(_key(path, "changes"), i), "from"),
                          f"must be {_fmt(changes[i - 1].to_rating)}, the rating the previous "
                          f"change left")
        if not changes:
            if withdrawn:
                self.fail(_key(path, "withdrawn"), "a withdrawn rating needs the change that "
                                                    "withdrew it (changes[], with its reason)")
            return
        last = changes[-1]
        want = None if withdrawn else rating
        if last.to_rating != want:
            self.fail(_key(_index(_key(path, "changes"), len(changes) - 1), "to"),
                      "must be null: the rating is withdrawn" if withdrawn else
                      f"must be {_fmt(rating)}, the rating as it stands")
        if withdrawn and last.from_rating != rating:
            self.fail(_key(path, "rating"), f"must be {_fmt(last.from_rating)}, the rating that "
                                             f"was withdrawn")

    def moment(self, d: Mapping[str, Any], name: str, path: str) -> datetime | None:
        """A UTC time ``YYYY-MM-DDTHH:MM:SSZ`` (or null)."""
        p = _key(path, name)
        v = d.get(name)
        if v is None:
            return None
        if not isinstance(v, str) or not _MOMENT_RE.fullmatch(v):
            self.fail(p, f"must be a UTC time in the form YYYY-MM-DDTHH:MM:SSZ (got {_fmt(v)})")
            return None
        try:
            return datetime.fromisoformat(v[:-1]).replace(tzinfo=UTC)
        except ValueError:
            self.fail(p, f"is not a calendar time (got {_fmt(v)})")
            return None

    def decision(self, value: object, path: str, review_date: date | None) -> Decision | None:
        d = self.obj(value, path, ("resectability", "plan", "rationale", "next_review",
                                   "dissent", "responsible", "rule", "protocol", "protocol_version"),
                     nullable=True)
        if d is None:
            return None
        nxt = self.day(d, "next_review", path)
        if nxt and review_date and nxt < review_date:
            self.fail(_key(path, "next_review"),
                      f"must not be before the review date ({review_date.isoformat()})")
        protocol = self.string(d, "protocol", path, non_empty=True)
        version = self.string(d, "protocol_version", path, non_empty=True)
        if version is not None and d.get("protocol") is None:
            self.fail(_key(path, "protocol_version"), "needs panel.decision.protocol (the protocol id)")
        return Decision(
            resectability=self.choice(d, "resectability", path, RATINGS),
            plan=self.choice(d, "plan", path, PLANS),
            rationale=self.string(d, "rationale", path),
            next_review=nxt,
            dissent=self.string(d, "dissent", path),
            responsible=self.string(d, "responsible", path),
            rule=self.choice(d, "rule", path, DECISION_RULES),
            protocol=protocol,
            protocol_version=version,
        )


_REVIEW_KEYS: tuple[str, ...] = (
    "date", "cycle", "reason", "height_cm", "weight_kg", "imaging", "lesions", "vessels",
    "remnant", "tumour_burden_pct", "extrahepatic_disease", "ecog", "clinical", "labs", "panel",
)
_CLINICAL_SPEC: tuple[str, ...] = (
    "prior_systemic_lines", "neuropathy_grade", "life_expectancy_months", "cea", "ca19_9",
)
_CLINICAL_EXT: tuple[str, ...] = (
    "lvef_pct", "fev1_fvc_pct", "ascites", "encephalopathy", "node_positive_primary",
    "disease_free_interval_months", "synchronous", "prior_adjuvant", "prior_systemic_response",
    "prior_liver_treatment",
)
_CLINICAL_KEYS = _CLINICAL_SPEC + _CLINICAL_EXT
_LAB_KEYS: tuple[str, ...] = (
    "anc", "wbc", "hb", "plt", "ast", "alt", "alp", "bilirubin", "creatinine", "albumin", "inr",
)
_ULN_SPEC: tuple[str, ...] = ("ast", "alt", "alp", "bilirubin")
_ULN_KEYS: tuple[str, ...] = _ULN_SPEC + ("creatinine",)


def _raw_lesion_ids(value: object) -> set[str]:
    """Every string lesion id written in a review's lesion list, valid or not."""
    if not isinstance(value, list):
        return set()
    return {item["id"] for item in value
            if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"].strip()}


def _all_ids_readable(value: object) -> bool:
    """True when every lesion of a review list has a usable id (or there is no list)."""
    if value is None:
        return True
    return isinstance(value, list) and all(
        isinstance(item, dict) and isinstance(item.get("id"), str) and bool(item["id"].strip())
        for item in value)


# --------------------------------------------------------------------------- public: parsing

def _finish(parser: _Parser, result: T | None) -> T:
    if parser.problems or result is None:
        raise ValidationError(parser.problems or [FieldProblem("", "invalid case")])
    return result


def parse_case(obj: object, path: str = "", *, stored: bool = False) -> Case:
    """One case from parsed JSON; raises ValidationError listing every problem.

    ``stored``: the text comes from the database, where it was valid when saved; the
    limits of ``mdt.limits`` (which may have been tightened since) are not applied."""
    parser = _Parser(stored=stored)
    return _finish(parser, parser.case(obj, path))


def parse_cases(obj: object) -> list[Case]:
    """A single case object, or a JSON array of them (paths then start ``[i]``)."""
    if not isinstance(obj, list):
        return [parse_case(obj)]
    parser = _Parser()
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(obj):
        before = len(parser.problems)
        case = parser.case(item, f"[{i}]")
        if len(parser.problems) > before:
            continue
        if case is not None:
            if case.patient.id in seen:
                # Two cases for one patient in one file: which reviews win would be a guess.
                parser.fail(f"[{i}].patient.id", f"duplicate patient id {_fmt(case.patient.id)} "
                                                 f"(also [{seen[case.patient.id]}])")
            else:
                seen[case.patient.id] = i
            cases.append(case)
    if parser.problems:
        raise ValidationError(parser.problems)
    return cases


def parse_review(obj: object, path: str = "", birth_date: date | None = None, *,
                 stored: bool = False) -> Review:
    """One review from parsed JSON (storage keeps review versions in this form;
    ``stored`` as in :func:`parse_case`)."""
    parser = _Parser(stored=stored)
    return _finish(parser, parser.review(obj, path, birth_date))


def review_problems(review: Review, birth_date: date | None = None) -> list[FieldProblem]:
    """Every rule a review built in memory (e.g. by an editor) breaks; [] when valid."""
    try:
        parse_review(review_to_dict(review), "", birth_date)
    except ValidationError as exc:
        return exc.problems
    return []


def follow_up_problems(case: Case) -> list[FieldProblem]:
    """Every rule the case's follow-up record breaks, in clinical words ([] when valid):
    the whole case is checked through the format's parser, as an imported file would be."""
    try:
        parse_case(case_to_dict(case))
    except ValidationError as exc:
        return exc.problems
    return []


def parse_follow_up_alone(obj: object, path: str = "follow_up") -> FollowUp | None:
    """A stored ``follow_up`` object on its own (storage keeps it apart from the reviews it
    was checked against when saved); raises ValidationError naming each field."""
    parser = _Parser()
    fu = parse_follow_up(parser, obj, path, None, [], None, "", cross_check=False)
    if obj is None:
        return None
    return _finish(parser, fu)


def loads_json(text: str | bytes) -> object:
    """Parsed JSON; invalid JSON is a ValidationError naming line and column."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"not UTF-8 text (byte {exc.start})") from exc
    elif text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(text, object_pairs_hook=_pairs_hook, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except ValueError as exc:  # NaN / Infinity
        raise ValidationError(f"invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise ValidationError("invalid JSON: nested too deeply") from exc


def read_case_file(path: str | Path) -> bytes:
    """The bytes of a case file: a regular file of at most ``FILE_MAX_BYTES``.

    A FIFO, a device (``/dev/zero``) or a folder is refused before it is read, so a
    wrong path can neither block the import nor fill the memory."""
    import os
    import stat

    name = _printable(str(path))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ValidationError(f"cannot read {name}: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValidationError(f"{name} is not a regular file (a folder, a device or a pipe)")
        if info.st_size > FILE_MAX_BYTES:
            raise ValidationError(f"{name} is {info.st_size / 1048576:.0f} MB; a case file may be at "
                                  f"most {FILE_MAX_BYTES // 1048576} MB (split it into several files)")
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > FILE_MAX_BYTES:  # grew while being read
                raise ValidationError(f"{name} is larger than {FILE_MAX_BYTES // 1048576} MB")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise ValidationError(f"cannot read {name}: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)


def read_cases(path: str | Path) -> list[Case]:
    """Cases from a file (one case or an array of cases)."""
    return parse_cases(loads_json(read_case_file(path)))


@dataclass(frozen=True, slots=True)
class CaseImport:
    """One case read for import, with the JSON object it was read from.

    The store merges the object into what it holds (``merge_object``): a field the file
    leaves out keeps its stored value, an explicit ``null`` clears it."""
    case: Case
    document: Mapping[str, Any]
    path: str = ""
    """The case's path in its file: ``""`` for a single case, ``"[2]"`` in an array."""
    source: str | None = None
    """The file it came from, for messages."""

    def where(self, sub: str) -> str:
        """``sub`` (a path inside the case) as a message names it: file, then JSON path."""
        inner = _key(self.path, sub) if self.path and not sub.startswith("[") else self.path + sub
        return f"{self.source}: {inner}" if self.source else inner


def parse_imports(obj: object, source: str | None = None) -> list[CaseImport]:
    """Like :func:`parse_cases`, keeping each case's JSON object for a merging import."""
    cases = parse_cases(obj)
    docs = obj if isinstance(obj, list) else [obj]
    paths = [f"[{i}]" for i in range(len(docs))] if isinstance(obj, list) else [""]
    return [CaseImport(c, d, p, source) for c, d, p in zip(cases, docs, paths, strict=True)]


def read_imports(path: str | Path) -> list[CaseImport]:
    """Cases of a file for import (see :class:`CaseImport`)."""
    return parse_imports(loads_json(read_case_file(path)), _printable(str(path)))


def _has_value(value: object) -> bool:
    if isinstance(value, dict):
        return any(_has_value(v) for v in value.values())
    return value is not None and value != []


def merge_object(stored: Mapping[str, Any] | None, incoming: Mapping[str, Any], path: str,
                 cleared: list[str]) -> dict[str, Any]:
    """``incoming`` laid over ``stored`` (JSON merge): a key left out keeps the stored value,
    an object merges key by key, anything else (a list too) replaces.  Every field that held
    a value and is now null or empty is appended to ``cleared`` by its path."""
    out = dict(stored or {})
    for name, value in incoming.items():
        p = _key(path, name)
        old = out.get(name)
        if isinstance(value, dict) and isinstance(old, dict):
            out[name] = merge_object(old, value, p, cleared)
            continue
        if _has_value(old) and not _has_value(value):
            cleared.append(p)
        out[name] = value
    return out


def load_cases(path_or_text: str | Path | bytes) -> list[Case]:
    """Cases from a file path, or from JSON text (a string starting with ``{`` or ``[``)."""
    if isinstance(path_or_text, bytes):
        return parse_cases(loads_json(path_or_text))
    if isinstance(path_or_text, str) and path_or_text.lstrip("\ufeff \t\r\n")[:1] in ("{", "["):
        return parse_cases(loads_json(path_or_text))
    return read_cases(path_or_text)


# --------------------------------------------------------------------------- public: writing

def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def _put_if(out: dict[str, Any], name: str, value: Any, default: Any = None) -> None:
    """Write an extension field only when it holds something."""
    if value != default:
        out[name] = value


def case_to_dict(case: Case) -> dict[str, Any]:
    """The canonical ``mdt-case/1`` object of a case (stable key order)."""
    out: dict[str, Any] = {
        "format": FORMAT_ID,
        "patient": {
            "id": case.patient.id,
            "name": case.patient.name,
            "sex": case.patient.sex,
            "birth_date": _iso(case.patient.birth_date),
        },
        "protocol": {"id": case.protocol.id, "arm": case.protocol.arm},
    }
    if case.protocol.enrolment_date is not None:
        out["protocol"]["enrolment_date"] = _iso(case.protocol.enrolment_date)
    if case.treatment is not None:
        out["treatment"] = _treatment_to_dict(case.treatment)
    if case.follow_up is not None:
        out["follow_up"] = follow_up_to_dict(case.follow_up)
    out["reviews"] = [review_to_dict(r) for r in case.reviews]
    return out


def cases_to_list(cases: Iterable[Case]) -> list[dict[str, Any]]:
    return [case_to_dict(c) for c in cases]


def dump_case(case: Case) -> str:
    """UTF-8 JSON text of one case (names with accents stay readable)."""
    return json.dumps(case_to_dict(case), ensure_ascii=False, indent=2) + "\n"


def dump_cases(cases: Iterable[Case]) -> str:
    """UTF-8 JSON text of an array of cases (a meeting export)."""
    return json.dumps(cases_to_list(cases), ensure_ascii=False, indent=2) + "\n"


def _treatment_to_dict(t: Treatment) -> dict[str, Any]:
    return {
        "regimen": t.regimen,
        "start_date": _iso(t.start_date),
        "cycles": [
            {"number": c.number, "date": c.date.isoformat(),
             "dose_reduction_pct": c.dose_reduction_pct, "toxicity_grade": c.toxicity_grade,
             "note": c.note}
            for c in t.cycles
        ],
        "outcome": t.outcome,
        "outcome_date": _iso(t.outcome_date),
    }


def review_to_dict(review: Review) -> dict[str, Any]:
    """The canonical object of one review, as it appears in ``reviews[]``."""
    out: dict[str, Any] = {"date": review.date.isoformat(), "cycle": review.cycle}
    _put_if(out, "reason", review.reason)
    out["height_cm"] = review.height_cm
    out["weight_kg"] = review.weight_kg
    im = review.imaging
    out["imaging"] = None if im is None else {
        "modality": im.modality, "date": _iso(im.date), "study_uid": im.study_uid,
    }
    out["lesions"] = [_lesion_to_dict(les) for les in review.lesions]
    out["vessels"] = None if review.vessels is None else [
        {"structure": v.structure, "relation": v.relation, "lesion": v.lesion}
        for v in review.vessels
    ]
    out["remnant"] = None if review.remnant is None else _remnant_to_dict(review.remnant)
    out["tumour_burden_pct"] = review.tumour_burden_pct
    out["extrahepatic_disease"] = review.extrahepatic_disease
    out["ecog"] = review.ecog
    out["clinical"] = _clinical_to_dict(review.clinical)
    out["labs"] = _labs_to_dict(review.labs)
    out["panel"] = _panel_to_dict(review.panel)
    return out


def _lesion_to_dict(les: Lesion) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": les.id, "segments": list(les.segments), "diameter_mm": les.diameter_mm,
        "target": les.target, "status": les.status,
    }
    m = les.measurement
    if m is not None:
        out["measurement"] = {
            "series_uid": m.series_uid, "sop_instance_uid": m.sop_instance_uid,
            "slice_index": m.slice_index,
            "start_xy": None if m.start_xy is None else list(m.start_xy),
            "end_xy": None if m.end_xy is None else list(m.end_xy),
        }
        if m.frame_number is not None:
            out["measurement"]["frame_number"] = m.frame_number
    return out


def _remnant_to_dict(r: RemnantPlan) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resection": r.resection,
        "segments": None if r.segments is None else list(r.segments),
        "local_treatment": [{"lesion": lt.lesion, "method": lt.method}
                            for lt in r.local_treatment],
        "flr_ml": r.flr_ml, "tlv_ml": r.tlv_ml, "liver_condition": r.liver_condition,
    }
    if r.pve is not None:
        out["pve"] = {"date": _iso(r.pve.date), "flr_before_ml": r.pve.flr_before_ml,
                      "flr_after_ml": r.pve.flr_after_ml, "days_between": r.pve.days_between}
    if r.flr_segments is not None:
        out["flr_segments"] = list(r.flr_segments)
    return out


def _clinical_to_dict(c: Clinical) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(c, name) for name in _CLINICAL_SPEC}
    for name in _CLINICAL_EXT:
        _put_if(out, name, getattr(c, name))
    return out


def _labs_to_dict(labs: Labs) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(labs, name) for name in _LAB_KEYS}
    out["proteinuria"] = labs.proteinuria
    _put_if(out, "proteinuria_g_24h", labs.proteinuria_g_24h)
    uln: dict[str, Any] = {name: getattr(labs.uln, name) for name in _ULN_SPEC}
    _put_if(uln, "creatinine", labs.uln.creatinine)
    out["uln"] = uln
    return out


def _moment(at: datetime | None) -> str | None:
    if at is None:
        return None
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _vote_change_to_dict(c: VoteChange) -> dict[str, Any]:
    out: dict[str, Any] = {"from": c.from_rating, "to": c.to_rating, "reason": c.reason}
    _put_if(out, "at", _moment(c.at))
    _put_if(out, "by", c.by)
    return out


def _panel_to_dict(panel: Panel) -> dict[str, Any]:
    votes = []
    for v in panel.votes:
        vd: dict[str, Any] = {"member": v.member, "role": v.role, "rating": v.rating}
        _put_if(vd, "round", v.round, 1)
        _put_if(vd, "comment", v.comment)
        if v.changes:
            vd["changes"] = [_vote_change_to_dict(c) for c in v.changes]
        _put_if(vd, "withdrawn", v.withdrawn, False)
        votes.append(vd)
    dec = panel.decision
    decision: dict[str, Any] | None = None
    if dec is not None:
        decision = {"resectability": dec.resectability, "plan": dec.plan,
                    "rationale": dec.rationale, "next_review": _iso(dec.next_review)}
        _put_if(decision, "dissent", dec.dissent)
        _put_if(decision, "responsible", dec.responsible)
        _put_if(decision, "rule", dec.rule)
        _put_if(decision, "protocol", dec.protocol)
        _put_if(decision, "protocol_version", dec.protocol_version)
    return {"votes": votes, "decision": decision}


