"""What the viewer opens: one sorted, displayable series with its geometry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mdt.imaging.geometry import SeriesGroup


@dataclass(frozen=True, slots=True)
class SliceRef:
    path: str
    sop_instance_uid: str
    position: tuple[float, float, float] | None = None
    frame: int = 0
    """Frame number inside a multi-frame file (0 for ordinary single-frame files)."""


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    key: str
    """``series_uid`` or ``series_uid#part`` when the DICOM series was split."""
    series_uid: str
    study_uid: str
    patient_id: str
    patient_name: str
    modality: str
    description: str
    series_number: int | None
    study_date: date | None
    study_description: str
    rows: int
    columns: int
    pixel_spacing: tuple[float, float] | None
    """(row spacing, column spacing) in mm: PixelSpacing order."""
    slice_spacing_mm: float | None
    tilt_deg: float | None
    flags: tuple[str, ...]
    slices: tuple[SliceRef, ...]
    part_label: str = ""
    is_seg: bool = False

    @property
    def title(self) -> str:
        bits = [self.modality, f"#{self.series_number}" if self.series_number is not None else "",
                self.description or "(no description)", self.part_label]
        when = self.study_date.isoformat() if self.study_date else "date unknown"
        return f"{' '.join(b for b in bits if b)}, {len(self.slices)} images, {when}"

    def index_of(self, sop_instance_uid: str) -> int | None:
        for i, s in enumerate(self.slices):
            if s.sop_instance_uid == sop_instance_uid:
                return i
        return None


def series_from_group(group: SeriesGroup) -> SeriesInfo:
    """A SeriesInfo straight from a scan (no database), e.g. for tests and the CLI."""
    first = group.first
    slices: list[SliceRef] = []
    for h in group.instances:
        if h.frames > 1 and len(group.instances) == 1:
            slices.extend(SliceRef(h.path, h.sop_instance_uid, None, f) for f in range(h.frames))
        else:
            slices.append(SliceRef(h.path, h.sop_instance_uid, h.position, 0))
    return SeriesInfo(
        key=group.key, series_uid=group.series_uid, study_uid=first.study_uid, patient_id=first.patient_id,
        patient_name=first.patient_name, modality=first.modality, description=first.series_description,
        series_number=first.series_number, study_date=first.study_date,
        study_description=first.study_description, rows=first.rows, columns=first.columns,
        pixel_spacing=first.pixel_spacing, slice_spacing_mm=group.slice_spacing_mm, tilt_deg=group.tilt_deg,
        flags=group.flags, slices=tuple(slices), part_label=group.part_label, is_seg=first.is_seg,
    )


def choose_prior(current: SeriesInfo, candidates: list[SeriesInfo]) -> SeriesInfo | None:
    """The series of the patient's previous study to show beside ``current``.

    Same patient and modality, an earlier study (the latest of those), and in
    it the series most like the current one: same description, then closest
    slice spacing, then most images.  None when there is no earlier study.
    """
    def earlier(s: SeriesInfo) -> bool:
        if s.study_uid == current.study_uid or s.is_seg or s.patient_id != current.patient_id:
            return False
        if s.modality != current.modality:
            return False
        if current.study_date and s.study_date:
            return s.study_date < current.study_date
        return False  # without dates, "prior" cannot be told: never guess

    pool = [s for s in candidates if earlier(s)]
    if not pool:
        return None
    latest = max(s.study_date for s in pool if s.study_date)
    pool = [s for s in pool if s.study_date == latest]

    def score(s: SeriesInfo) -> tuple:
        same_desc = (s.description or "").strip().lower() == (current.description or "").strip().lower()
        gap = abs((s.slice_spacing_mm or 0) - (current.slice_spacing_mm or 0))
        return (not same_desc, gap, -len(s.slices))

    return min(pool, key=score)


def _name_tokens(name: str) -> list[str]:
    import unicodedata

    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    for sep in ("^", ",", "-", "'", "."):
        plain = plain.replace(sep, " ")
    return [t for t in plain.split() if t]


def names_match(dicom_name: str | None, record_name: str | None) -> bool | None:
    """Do the images' PatientName and the patient record name agree?  None when either is missing.

    Compared without accents, case, separators or word order ("MÜLLER^JÜRGEN" =
    "Muller, Jurgen"); the family and given names of the record must all appear.
    """
    a, b = _name_tokens(dicom_name or ""), _name_tokens(record_name or "")
    if not a or not b:
        return None
    return set(b) <= set(a) or set(a) <= set(b)
