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
    """0-based frame number inside a multi-frame file (0 for ordinary single-frame files)."""
    pixel_spacing: tuple[float, float] | None = None
    """This frame's own (row, column) spacing when it differs from the series' (rare), else None."""
    in_multi_frame: bool = False
    """The file holds several frames: the SOP Instance UID alone does not name this slice."""


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

    def index_of(self, sop_instance_uid: str, frame_number: int | None = None) -> int | None:
        """The slice showing this instance (and, in a multi-frame file, this 1-based frame number)."""
        for i, s in enumerate(self.slices):
            if s.sop_instance_uid == sop_instance_uid and (frame_number is None or s.frame + 1 == frame_number):
                return i
        return None

    def spacing_at(self, index: int) -> tuple[float, float] | None:
        """(row, column) pixel spacing of slice ``index`` in mm, or None when unknown."""
        if 0 <= index < len(self.slices) and self.slices[index].pixel_spacing is not None:
            return self.slices[index].pixel_spacing
        return self.pixel_spacing

    @property
    def multi_frame(self) -> bool:
        """Some slice is a frame of a multi-frame file."""
        return any(s.in_multi_frame for s in self.slices)


def series_from_group(group: SeriesGroup) -> SeriesInfo:
    """A SeriesInfo straight from a scan (no database), e.g. for tests and the CLI."""
    first = group.first
    spacing = group.pixel_spacing
    slices = tuple(SliceRef(f.path, f.sop_instance_uid, f.position, f.frame,
                            None if f.info.pixel_spacing == spacing else f.info.pixel_spacing,
                            f.header.frames > 1)
                   for f in group.frames)
    return SeriesInfo(
        key=group.key, series_uid=group.series_uid, study_uid=first.study_uid, patient_id=first.patient_id,
        patient_name=first.patient_name, modality=first.modality, description=first.series_description,
        series_number=first.series_number, study_date=first.study_date,
        study_description=first.study_description, rows=first.rows, columns=first.columns,
        pixel_spacing=spacing, slice_spacing_mm=group.slice_spacing_mm, tilt_deg=group.tilt_deg,
        flags=group.flags, slices=slices, part_label=group.part_label, is_seg=first.is_seg,
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
