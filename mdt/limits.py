"""The one table of a case's field limits (their names and units are ``mdt.field_names``).

Every numeric field of ``mdt-case/1`` has its range here, once: the case-format
parser (``mdt.caseformat``), the review editor's field tables
(``mdt/review_edits.py``) and the generated table in ``docs/case-format.md`` all read
it, and ``tests/test_limits_table.py`` ties them together.  The same goes for
dates (one sane clinical range), text lengths (the database columns' sizes, so a
value refused by PostgreSQL is refused by the format first, on SQLite too) and
counts (lesions per review, reviews per patient, file size).

Ranges are physiological plausibility bounds, not clinical thresholds: they
refuse entry errors (a height of 1,750 cm, creatinine 0) and absurd values that
would break arithmetic or storage (``cycle: 2147483648``), never a rare but real
patient.  Where the shared specification gives a range (height, weight, diameter,
ECOG, CTCAE grades, percentages) it is used as written; where it is silent the
bound is a generous multiple of the highest value reported in the literature,
and its ``note`` says so.

Paths are templates of the case format: ``reviews[].remnant.flr_ml`` stands for
every ``reviews[i].remnant.flr_ml`` (and ``[k].reviews[i]...`` in an array file).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TypeVar

from mdt import field_names

Number = int | float
_T = TypeVar("_T")

INT32_MAX = 2**31 - 1
"""PostgreSQL ``integer``: no integer of the format may exceed it (SQLite would store more)."""


@dataclass(frozen=True, slots=True)
class Limit:
    """The range of one numeric field.  ``minimum``/``maximum`` inclusive, ``above`` exclusive."""
    path: str
    minimum: Number | None = None
    maximum: Number | None = None
    above: Number | None = None
    integer: bool = False
    note: str = ""

    @property
    def label(self) -> str:
        """The field's one name (``mdt.field_names``)."""
        found = field_names.name_for(self.path)
        return found.label if found is not None else self.path

    @property
    def unit(self) -> str:
        return field_names.unit(self.path)

    @property
    def lower(self) -> Number | None:
        return self.above if self.above is not None else self.minimum

    def words(self) -> str:
        """The range as the documentation prints it: ``> 0 and ≤ 300 mm``, ``0–5``."""
        unit = f" {self.unit}" if self.unit else ""
        kind = "integer " if self.integer else ""
        if self.above is not None:
            low = f"> {_num(self.above)}"
            return f"{kind}{low} and ≤ {_num(self.maximum)}{unit}" if self.maximum is not None \
                else f"{kind}{low}{unit}"
        if self.minimum is not None and self.maximum is not None:
            return f"{kind}{_num(self.minimum)}–{_num(self.maximum)}{unit}"
        if self.minimum is not None:
            return f"{kind}≥ {_num(self.minimum)}{unit}"
        return f"{kind}≤ {_num(self.maximum)}{unit}" if self.maximum is not None else kind.strip()

    def check(self, value: Number) -> str | None:
        """Why ``value`` is out of range (the parser's wording), or None when it is in range."""
        if self.integer and (isinstance(value, bool) or not isinstance(value, int)):
            return "must be an integer"
        if self.above is not None and not value > self.above:
            return f"must be > {self.above}"
        if self.minimum is not None and self.maximum is not None:
            if not self.minimum <= value <= self.maximum:
                return f"must be between {self.minimum} and {self.maximum}"
            return None
        if self.minimum is not None and value < self.minimum:
            return f"must be >= {self.minimum}"
        if self.maximum is not None and value > self.maximum:
            return f"must be <= {self.maximum}"
        return None


def _num(value: Number | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}".replace(",", " ") if abs(value) >= 10_000 else str(value)


# Bounds where the sources are silent (recorded in the report and docs/case-format.md).
_VOLUME_ML = 15_000   # largest livers reported ~13 L (polycystic disease); tumour livers 6-8 L
_CYCLES = 500         # ten years of weekly treatment
_SPEC = "shared mdt-case/1 specification"
_PLAUSIBLE = "plausibility bound; the sources give none"


def _limits(*items: Limit) -> dict[str, Limit]:
    return {item.path: item for item in items}


LIMITS: dict[str, Limit] = _limits(
    # -- a review
    Limit("reviews[].cycle", integer=True, minimum=0, maximum=_CYCLES,
          note="chemotherapy cycles completed before this review; " + _PLAUSIBLE),
    Limit("reviews[].height_cm", 50, 250, note=_SPEC),
    Limit("reviews[].weight_kg", 20, 300, note=_SPEC),
    Limit("reviews[].tumour_burden_pct", 0, 100, note=_SPEC),
    Limit("reviews[].ecog", minimum=0, maximum=5, integer=True,
          note=_SPEC),
    # -- lesions and where they were measured
    Limit("reviews[].lesions[].diameter_mm", maximum=300, above=0,
          note=_SPEC),
    Limit("reviews[].lesions[].measurement.slice_index",
          minimum=0, maximum=100_000, integer=True, note="images in one series; " + _PLAUSIBLE),
    Limit("reviews[].lesions[].measurement.frame_number",
          minimum=1, maximum=100_000, integer=True,
          note="frame of an enhanced multi-frame image (1-based); " + _PLAUSIBLE),
    Limit("reviews[].lesions[].measurement.start_xy[]", minimum=0, maximum=65_535, note="DICOM Rows/Columns are at most 65 535"),
    Limit("reviews[].lesions[].measurement.end_xy[]", minimum=0, maximum=65_535, note="DICOM Rows/Columns are at most 65 535"),
    # -- the remnant plan
    Limit("reviews[].remnant.flr_ml", maximum=_VOLUME_ML, above=0,
          note="largest livers reported about 13 L; " + _PLAUSIBLE),
    Limit("reviews[].remnant.tlv_ml", maximum=_VOLUME_ML, above=0,
          note="largest livers reported about 13 L; " + _PLAUSIBLE),
    Limit("reviews[].remnant.pve.flr_before_ml", maximum=_VOLUME_ML, above=0, note=_PLAUSIBLE),
    Limit("reviews[].remnant.pve.flr_after_ml", maximum=_VOLUME_ML, above=0, note=_PLAUSIBLE),
    Limit("reviews[].remnant.pve.days_between", minimum=1, maximum=365, integer=True,
          note="the kinetic growth rate divides by it; regrowth is measured within weeks"),
    # -- clinical
    Limit("reviews[].clinical.prior_systemic_lines", minimum=0,
          maximum=20, integer=True, note=_PLAUSIBLE),
    Limit("reviews[].clinical.neuropathy_grade", minimum=0,
          maximum=4, integer=True, note="CTCAE grades 0-4 (" + _SPEC + ")"),
    Limit("reviews[].clinical.life_expectancy_months", 0, 600,
          note=_PLAUSIBLE),
    Limit("reviews[].clinical.cea", 0, 1_000_000, note=_PLAUSIBLE),
    Limit("reviews[].clinical.ca19_9", 0, 10_000_000, note=_PLAUSIBLE),
    Limit("reviews[].clinical.lvef_pct", 0, 100, note="a percentage"),
    Limit("reviews[].clinical.fev1_fvc_pct", 0, 100, note="a percentage"),
    Limit("reviews[].clinical.disease_free_interval_months", 0, 600, note=_PLAUSIBLE),
    # -- labs
    Limit("reviews[].labs.anc", 0, 200, note=_PLAUSIBLE),
    Limit("reviews[].labs.wbc", 0, 500, note=_PLAUSIBLE),
    Limit("reviews[].labs.hb", 0, 25, note=_PLAUSIBLE),
    Limit("reviews[].labs.plt", 0, 5000, note=_PLAUSIBLE),
    Limit("reviews[].labs.ast", 0, 100_000, note=_PLAUSIBLE),
    Limit("reviews[].labs.alt", 0, 100_000, note=_PLAUSIBLE),
    Limit("reviews[].labs.alp", 0, 100_000, note=_PLAUSIBLE),
    Limit("reviews[].labs.bilirubin", 0, 3000, note=_PLAUSIBLE),
    Limit("reviews[].labs.creatinine", maximum=5000, above=0,
          note="Cockcroft-Gault divides by it: 0 is an entry error; " + _PLAUSIBLE),
    Limit("reviews[].labs.albumin", 0, 100, note=_PLAUSIBLE),
    Limit("reviews[].labs.inr", 0, 20, note=_PLAUSIBLE),
    Limit("reviews[].labs.proteinuria_g_24h", 0, 100,
          note=_PLAUSIBLE),
    Limit("reviews[].labs.uln.ast", maximum=100_000, above=0,
          note="labs are judged as multiples of it: 0 divides by zero"),
    Limit("reviews[].labs.uln.alt", maximum=100_000, above=0,
          note="labs are judged as multiples of it: 0 divides by zero"),
    Limit("reviews[].labs.uln.alp", maximum=100_000, above=0,
          note="labs are judged as multiples of it: 0 divides by zero"),
    Limit("reviews[].labs.uln.bilirubin", maximum=3000, above=0,
          note="labs are judged as multiples of it: 0 divides by zero"),
    Limit("reviews[].labs.uln.creatinine", maximum=5000, above=0,
          note="labs are judged as multiples of it: 0 divides by zero"),
    # -- the panel
    Limit("reviews[].panel.votes[].round", minimum=1, maximum=2, integer=True,
          note="CAIRO5: a second round of two more surgeons when the first has no consensus; "
               "the vote count reads rounds 1 and 2 only"),
    # -- the treatment course
    Limit("treatment.cycles[].number", minimum=1, maximum=_CYCLES, integer=True,
          note=_PLAUSIBLE),
    Limit("treatment.cycles[].dose_reduction_pct", 0, 100,
          note="a percentage"),
    Limit("treatment.cycles[].toxicity_grade", minimum=0, maximum=5,
          integer=True, note="CTCAE grades, 5 = death"),
)

# -------------------------------------------------------------------------- dates

DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2099, 12, 31)
"""Every date of a case (birth, reviews, imaging, cycles, next review) lies in this range:
a review dated 9999-12-20 is an entry error, and date arithmetic on it overflows."""

# -------------------------------------------------------------------------- text

COLUMN_TEXT: frozenset[str] = frozenset(("patient.id", "patient.name", "protocol.id",
                                         "protocol.arm", "treatment.regimen"))
"""Text kept in typed database columns, where PostgreSQL refuses a NUL character: refused by
the format too, so SQLite and PostgreSQL accept the same files.  Text inside a review is
stored as JSON, where any character survives."""

TEXT_MAX = 10_000
"""Free text (rationale, notes, comments) at most this many characters."""

TEXT_LIMITS: dict[str, int] = {
    # the database's column sizes (mdt/store/models.py): refused here first, on both back ends
    "patient.id": 64,
    "patient.name": 200,
    "protocol.id": 64,
    "protocol.arm": 32,
    "treatment.regimen": 200,
    # identifiers shown in tables and written into the minutes
    "reviews[].reason": 200,
    "reviews[].imaging.modality": 16,
    "reviews[].imaging.study_uid": 64,          # DICOM UI value representation
    "reviews[].lesions[].id": 32,
    "reviews[].lesions[].measurement.series_uid": 64,
    "reviews[].lesions[].measurement.sop_instance_uid": 64,
    "reviews[].vessels[].lesion": 32,
    "reviews[].remnant.local_treatment[].lesion": 32,
    "reviews[].panel.votes[].member": 200,
    "reviews[].panel.votes[].role": 64,
    "reviews[].panel.decision.responsible": 200,
    "reviews[].panel.decision.protocol": 64,
    "reviews[].panel.decision.protocol_version": 32,
}

# -------------------------------------------------------------------------- counts


@dataclass(frozen=True, slots=True)
class Count:
    path: str
    label: str
    maximum: int
    note: str = ""


COUNTS: dict[str, Count] = {c.path: c for c in (
    Count("reviews", "reviews of one patient", 500, "a review every month for 40 years"),
    Count("reviews[].lesions", "lesions in one review", 100,
          "beyond this a liver is recorded as innumerable metastases"),
    Count("reviews[].vessels", "vessel relations in one review", 500),
    Count("reviews[].remnant.local_treatment", "locally treated lesions in one plan", 100),
    Count("reviews[].panel.votes", "votes in one review", 50),
    Count("treatment.cycles", "treatment cycles", _CYCLES),
)}

FILE_MAX_BYTES = 100 * 1024 * 1024
"""A case file larger than this is refused before it is read (memory); a department's
export of 5,000 patients is about 40 MB."""

# -------------------------------------------------------------------------- lookups

template = field_names.template
"""``[2].reviews[1].labs.inr`` → ``reviews[].labs.inr`` (the key of the tables above)."""


def _lookup(table: dict[str, _T], path: str) -> _T | None:
    # A path inside one review (``labs.inr``, as the editor and storage name it) is looked
    # up as ``reviews[].labs.inr``.
    return field_names.lookup(table, path)


@lru_cache(maxsize=8192)
def limit_for(path: str) -> Limit | None:
    return _lookup(LIMITS, path)


@lru_cache(maxsize=8192)
def label_for(path: str) -> str | None:
    """The words a clinician reads for a field path, or None when it has none."""
    found = field_names.name_for(path)
    if found is None:
        return None
    return f"{found.label} in {found.unit}" if found.unit else found.label


@lru_cache(maxsize=1024)
def count_for(path: str) -> Count | None:
    return _lookup(COUNTS, path)


@lru_cache(maxsize=8192)
def text_max(path: str) -> int:
    return _lookup(TEXT_LIMITS, path) or TEXT_MAX


def review_limits(prefix: str = "reviews[].") -> dict[str, Limit]:
    """The limits of one review's fields, keyed by their path inside the review."""
    return {path[len(prefix):]: limit for path, limit in LIMITS.items()
            if path.startswith(prefix)}


def markdown_table() -> str:
    """The limits section of ``docs/case-format.md`` (generated; a test keeps it equal)."""
    lines = ["| field | in words | range | why |", "| --- | --- | --- | --- |"]
    for path, limit in LIMITS.items():
        lines.append(f"| `{path}` | {limit.label} | {limit.words()} | {limit.note} |")
    lines += ["", "| list | at most |", "| --- | --- |"]
    for path, count in COUNTS.items():
        lines.append(f"| `{path}` | {count.maximum} {count.label} |")
    lines += ["", "| text field | at most (characters) |", "| --- | --- |"]
    for path, n in TEXT_LIMITS.items():
        lines.append(f"| `{path}` | {n} |")
    lines.append(f"| any other text | {TEXT_MAX} |")
    lines += ["", "Every other field's name (the window, the minutes and the command line read the same "
                  "table, `mdt.field_names`; a short form is used where a line is narrow):", "",
              "| field | in words | short form |", "| --- | --- | --- |"]
    for path, name in field_names.NAMES.items():
        if path not in LIMITS:
            lines.append(f"| `{path}` | {name.label}{f' ({name.unit})' if name.unit else ''} | "
                         f"{name.short or '–'} |")
    lines += ["", f"Every date lies between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}. "
                  f"A case file is at most {FILE_MAX_BYTES // (1024 * 1024)} MB."]
    return "\n".join(lines) + "\n"
