"""Volumes from a DICOM SEG: voxel count × pixel area × spacing between slices.

The slice step is the distance between adjacent frame positions along the
slice normal (or the SEG's SpacingBetweenSlices when they agree), never the
nominal SliceThickness: with overlapping or gapped reconstructions the two
differ and the thickness would mis-state the volume.  Segments are recognised
as liver, tumour, remnant (FLR) or a Couinaud segment from their label or their
SNOMED property type, including label maps that simply number segments 1–8.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from mdt import anatomy
from mdt.case import RemnantPlan, Review
from mdt.errors import ValidationError

if TYPE_CHECKING:
    from pydicom import Dataset

SEG_CLASSES = ("1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.66.7")
STEP_TOL = 0.02  # relative: frame steps must be whole multiples of the slice spacing

# SNOMED CT codes (DICOM CID 7151/7153 and CID 7159) seen in liver SEGs.
SNOMED_LIVER = {"10200004"}
SNOMED_TUMOUR = {"108369006", "4147007", "86049000", "14799000", "94381002"}
_ROMAN = {"i": "I", "ii": "II", "iii": "III", "iv": "IV", "v": "V", "vi": "VI", "vii": "VII", "viii": "VIII"}
_ARABIC = {"1": "I", "2": "II", "3": "III", "4": "IV", "5": "V", "6": "VI", "7": "VII", "8": "VIII"}
_SEGMENT_WORDS = r"(?:liver\s+)?(?:couinaud\s+)?(?:segment|seg|s)?"
_SEGMENT_RE = re.compile(rf"^{_SEGMENT_WORDS}\s*(viii|vii|vi|iv|v|iii|ii|i|[1-8])\s*([ab])?$")


@dataclass(frozen=True, slots=True)
class SegmentVolume:
    number: int
    label: str
    voxels: int
    volume_ml: float
    kind: str
    """``liver``, ``tumour``, ``remnant``, ``couinaud`` or ``other``."""
    couinaud: str | None = None
    """``I``..``VIII``, ``IVa``/``IVb`` or ``IV`` for a Couinaud segment."""


@dataclass(frozen=True, slots=True)
class VolumetryResult:
    path: str
    segments: tuple[SegmentVolume, ...]
    pixel_spacing_mm: tuple[float, float]
    slice_spacing_mm: float
    spacing_source: str
    notes: tuple[str, ...] = field(default=())

    def of_kind(self, kind: str) -> list[SegmentVolume]:
        return [s for s in self.segments if s.kind == kind]

    def total_ml(self, kind: str) -> float | None:
        found = self.of_kind(kind)
        return sum(s.volume_ml for s in found) if found else None

    def couinaud_ml(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for s in self.of_kind("couinaud"):
            assert s.couinaud is not None
            out[s.couinaud] = out.get(s.couinaud, 0.0) + s.volume_ml
        return out

    def to_dict(self) -> dict:
        """The ``volumetry --json`` document."""
        return {
            "segments": [{"number": s.number, "label": s.label, "voxels": s.voxels,
                          "volume_ml": round(s.volume_ml, 2)} for s in self.segments],
            "recognised": [{"number": s.number, "kind": s.kind, "couinaud": s.couinaud}
                           for s in self.segments],
            "pixel_spacing_mm": list(self.pixel_spacing_mm),
            "slice_spacing_mm": self.slice_spacing_mm,
            "spacing_source": self.spacing_source,
            "liver_ml": _r(self.total_ml("liver")),
            "tumour_ml": _r(self.total_ml("tumour")),
            "remnant_ml": _r(self.total_ml("remnant")),
            "couinaud_ml": {k: round(v, 2) for k, v in self.couinaud_ml().items()},
            "notes": list(self.notes),
        }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


def classify(label: str, number: int, property_code: str | None = None,
             property_meaning: str = "") -> tuple[str, str | None]:
    """(kind, Couinaud code) for one segment from its label, else its property type."""
    text = re.sub(r"\(.*?\)", " ", label.strip().lower())  # "segment 1 (caudate)"
    text = re.sub(r"[_\-.:/]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    if re.fullmatch(r"(?:liver )?caudate(?: lobe)?", text):
        return "couinaud", "I"
    m = _SEGMENT_RE.match(text)
    if m and text:
        base = _ROMAN.get(m.group(1)) or _ARABIC[m.group(1)]
        sub = m.group(2)
        if sub and base != "IV":
            return "other", None  # "2a" is no Couinaud segment
        return "couinaud", (f"IV{sub}" if sub else base)
    if re.search(r"remnant|\bflr\b|future liver", text):
        return "remnant", None
    if re.search(r"tumou?r|lesion|metasta|neoplasm|mass|nodule|cancer", text):
        return "tumour", None
    if re.search(r"\bliver\b|\bhepar\b|\bhepatic parenchyma\b", text) and "vein" not in text:
        return "liver", None
    meaning = property_meaning.lower()
    if property_code in SNOMED_TUMOUR or re.search(r"tumou?r|neoplasm|mass|lesion", meaning):
        return "tumour", None
    if property_code in SNOMED_LIVER or meaning == "liver":
        return "liver", None
    return "other", None


def _frame_positions(seg: Dataset) -> tuple[list[tuple[float, float, float] | None], np.ndarray | None]:
    normal = None
    shared = seg.get("SharedFunctionalGroupsSequence")
    orient = None
    if shared and "PlaneOrientationSequence" in shared[0]:
        orient = shared[0].PlaneOrientationSequence[0].ImageOrientationPatient
    positions: list[tuple[float, float, float] | None] = []
    for item in seg.get("PerFrameFunctionalGroupsSequence", []) or []:
        pos = None
        if "PlanePositionSequence" in item:
            pos = tuple(float(v) for v in item.PlanePositionSequence[0].ImagePositionPatient)
        if orient is None and "PlaneOrientationSequence" in item:
            orient = item.PlaneOrientationSequence[0].ImageOrientationPatient
        positions.append(pos)  # type: ignore[arg-type]
    if orient is not None:
        row, col = np.asarray(orient[:3], float), np.asarray(orient[3:], float)
        normal = np.cross(row, col)
        normal /= np.linalg.norm(normal)
    return positions, normal


def _pixel_measures(seg: Dataset) -> tuple[tuple[float, float] | None, float | None]:
    for groups in (seg.get("SharedFunctionalGroupsSequence") or [], seg.get("PerFrameFunctionalGroupsSequence") or []):
        if groups and "PixelMeasuresSequence" in groups[0]:
            pm = groups[0].PixelMeasuresSequence[0]
            spacing = tuple(float(v) for v in pm.PixelSpacing) if "PixelSpacing" in pm else None
            between = float(pm.SpacingBetweenSlices) if pm.get("SpacingBetweenSlices") not in (None, "") else None
            return spacing, between  # type: ignore[return-value]
    return None, None


def _multiples(steps: np.ndarray, unit: float) -> bool:
    ratio = steps / unit
    return bool(np.all(np.abs(ratio - np.rint(ratio)) <= STEP_TOL * np.maximum(np.rint(ratio), 1))
                and np.all(np.rint(ratio) >= 1))


def slice_spacing(positions: list, normal: np.ndarray | None, declared: float | None) -> tuple[float, str]:
    """(spacing between slices in mm, where it came from).  ValidationError if unknown.

    The frame positions decide; a declared SpacingBetweenSlices that disagrees
    with them is named in the source (and so in every report of the volumes).
    """
    known = [p for p in positions if p is not None]
    if normal is not None and known:
        d = np.unique(np.round(np.asarray(known) @ normal, 3))
        steps = np.diff(d)
        if steps.size:
            if declared and declared > 0 and _multiples(steps, declared):
                return declared, "SpacingBetweenSlices (agrees with frame positions)"
            smallest = float(steps.min())
            if _multiples(steps, smallest):
                if declared and declared > 0:
                    return smallest, (f"frame positions; the declared SpacingBetweenSlices {declared:g} mm "
                                      f"disagrees with them and was not used")
                return smallest, "frame positions"
            raise ValidationError(
                "PerFrameFunctionalGroupsSequence.PlanePositionSequence: frame positions are irregularly "
                "spaced; a volume from a single slice spacing would be wrong")
    if declared and declared > 0:
        return declared, "SpacingBetweenSlices"
    raise ValidationError(
        "SharedFunctionalGroupsSequence.PixelMeasuresSequence.SpacingBetweenSlices: missing, and the "
        "frame positions do not give it (SliceThickness is not a substitute)")


def read_volumes(path: str | os.PathLike[str]) -> VolumetryResult:
    """Each segment's voxel count and volume in mL.  ValidationError naming the problem."""
    import highdicom as hd
    import pydicom

    p = str(path)
    try:
        head = pydicom.dcmread(p, stop_before_pixels=True, specific_tags=["SOPClassUID"])
    except Exception as exc:
        raise ValidationError(f"{p}: not a DICOM file ({type(exc).__name__})") from exc
    if str(head.get("SOPClassUID", "")) not in SEG_CLASSES:
        raise ValidationError(f"{p}: SOPClassUID: not a DICOM Segmentation (got {head.get('SOPClassUID')})")
    try:
        seg = hd.seg.segread(p)
    except Exception as exc:
        raise ValidationError(f"{p}: unreadable segmentation ({type(exc).__name__}: {exc})") from exc

    pixel_spacing, declared = _pixel_measures(seg)
    if not pixel_spacing:
        raise ValidationError(f"{p}: PixelMeasuresSequence.PixelSpacing: missing")
    positions, normal = _frame_positions(seg)
    spacing, source = slice_spacing(positions, normal, declared)
    notes: list[str] = []
    if "disagrees" in source:
        notes.append(f"SpacingBetweenSlices {declared:g} mm disagrees with the frame positions "
                     f"({spacing:g} mm apart); the volumes use the positions")
    thickness = None
    shared = seg.get("SharedFunctionalGroupsSequence")
    if shared and "PixelMeasuresSequence" in shared[0]:
        thickness = shared[0].PixelMeasuresSequence[0].get("SliceThickness")
    if thickness not in (None, "") and abs(float(thickness) - spacing) > 1e-3:
        notes.append(f"slice thickness {float(thickness):g} mm differs from the spacing between slices "
                     f"{spacing:g} mm; the spacing was used")

    frames = np.asarray(seg.pixel_array)
    if frames.ndim == 2:
        frames = frames[np.newaxis]
    seg_type = str(seg.get("SegmentationType", "BINARY"))
    counts: dict[int, int] = {}
    if seg_type == "LABELMAP":
        hist = np.bincount(frames.ravel().astype(np.int64))
        for n, c in enumerate(hist):
            if n and c:
                counts[n] = int(c)
    else:
        maximum = float(seg.get("MaximumFractionalValue", 1) or 1) if seg_type == "FRACTIONAL" else 1.0
        per_frame = seg.get("PerFrameFunctionalGroupsSequence") or []
        shared_groups = seg.get("SharedFunctionalGroupsSequence") or []
        shared_id = (shared_groups[0].SegmentIdentificationSequence[0].ReferencedSegmentNumber
                     if shared_groups and "SegmentIdentificationSequence" in shared_groups[0] else None)
        for i in range(frames.shape[0]):
            item = per_frame[i] if i < len(per_frame) else None
            if item is not None and "SegmentIdentificationSequence" in item:
                number = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
            elif shared_id is not None:
                number = int(shared_id)  # one segment only: identified once for all frames
            else:
                raise ValidationError(f"{p}: PerFrameFunctionalGroupsSequence[{i}]."
                                      "SegmentIdentificationSequence: missing")
            frame = frames[i]
            # Fractional: a voxel belongs to the segment when at least half of it does.
            hits = int(np.count_nonzero(frame >= maximum * 0.5)) if seg_type == "FRACTIONAL" else int(
                np.count_nonzero(frame))
            counts[number] = counts.get(number, 0) + hits
    voxel_ml = pixel_spacing[0] * pixel_spacing[1] * spacing / 1000.0
    segments: list[SegmentVolume] = []
    for item in seg.SegmentSequence:
        number = int(item.SegmentNumber)
        if number == 0:
            continue  # a label map's background: not a structure, no volume to report
        label = str(item.get("SegmentLabel", "") or "")
        code = meaning = ""
        if "SegmentedPropertyTypeCodeSequence" in item:
            code = str(item.SegmentedPropertyTypeCodeSequence[0].get("CodeValue", ""))
            meaning = str(item.SegmentedPropertyTypeCodeSequence[0].get("CodeMeaning", ""))
        kind, unit = classify(label, number, code, meaning)
        voxels = counts.get(number, 0)
        segments.append(SegmentVolume(number, label, voxels, voxels * voxel_ml, kind, unit))
    segments.sort(key=lambda s: s.number)
    return VolumetryResult(p, tuple(segments), (pixel_spacing[0], pixel_spacing[1]), spacing, source,
                           tuple(notes))


# --------------------------------------------------------------------------- review


def _units_volume(units: frozenset[str], by_unit: dict[str, float]) -> float | None:
    """Sum of the Couinaud volumes covering ``units`` exactly, or None when one is missing."""
    total = 0.0
    need = set(units)
    if {"IVa", "IVb"} <= need and "IV" in by_unit and "IVa" not in by_unit and "IVb" not in by_unit:
        total += by_unit["IV"]
        need -= {"IVa", "IVb"}
    for unit in list(need):
        if unit not in by_unit:
            return None
        total += by_unit[unit]
    return total


def fill_remnant(review: Review, result: VolumetryResult) -> tuple[Review, list[str]]:
    """The review with ``remnant.tlv_ml``/``flr_ml`` measured from the SEG, and what was done.

    TLV: the liver segment (as segmented: whether it includes tumour depends on
    the segmentation), else the sum of all Couinaud segments.  FLR: the remnant
    segment, else the Couinaud segments of the planned remnant.  A value that
    cannot be measured is left as it was and the reason is returned.
    """
    notes: list[str] = []
    plan = review.remnant or RemnantPlan()
    by_unit = result.couinaud_ml()
    tlv = result.total_ml("liver")
    if tlv is not None:
        notes.append(f"total liver volume {tlv:.0f} mL from the liver segment")
    elif by_unit:
        tlv = _units_volume(frozenset(anatomy.UNITS), by_unit)
        if tlv is not None:
            notes.append(f"total liver volume {tlv:.0f} mL as the sum of segments I–VIII")
    if tlv is None:
        notes.append("total liver volume not measured: no liver segment and not all Couinaud segments")
    flr = result.total_ml("remnant")
    if flr is not None:
        notes.append(f"future liver remnant {flr:.0f} mL from the remnant segment")
    else:
        planned: frozenset[str] | None = None
        if plan.segments:
            planned = anatomy.expand(plan.segments)
        elif plan.resection and plan.resection in anatomy.RESECTIONS:
            planned = anatomy.remnant_of(plan.resection)
        if planned is None:
            notes.append("future liver remnant not measured: no remnant segment and no planned remnant")
        else:
            flr = _units_volume(planned, by_unit)
            names = ", ".join(anatomy.sort_units(planned))
            if flr is None:
                notes.append(f"future liver remnant not measured: the SEG lacks some of segments {names}")
            else:
                notes.append(f"future liver remnant {flr:.0f} mL as the sum of segments {names}")
    new_plan = replace(plan, tlv_ml=round(tlv, 1) if tlv is not None else plan.tlv_ml,
                       flr_ml=round(flr, 1) if flr is not None else plan.flr_ml)
    if new_plan.flr_ml is not None and new_plan.tlv_ml is not None and new_plan.flr_ml > new_plan.tlv_ml:
        raise ValidationError(f"remnant.flr_ml: {new_plan.flr_ml} mL exceeds remnant.tlv_ml "
                              f"{new_plan.tlv_ml} mL; check the segmentation labels")
    return replace(review, remnant=new_plan), notes


def apply_to_review(service: object, patient_id: str, result: VolumetryResult, review_index: int | None = None,
                    reason: str | None = None) -> tuple[object, list[str]]:
    """Save the measured volumes into a stored review as a new version (with the reason and audit).

    ``service`` is an ``mdt.services.MdtService``; ``review_index`` None = latest.
    Returns (the saved ReviewRecord, notes).  NotFound for an unknown patient or review.
    """
    from mdt.errors import NotFound

    records = service.list_reviews(patient_id)  # type: ignore[attr-defined]
    if not records:
        raise NotFound(f"patient {patient_id} has no review to fill")
    index = len(records) - 1 if review_index is None else review_index
    if not 0 <= index < len(records):
        raise NotFound(f"patient {patient_id} has no review {index} (0..{len(records) - 1})")
    record = records[index]
    review, notes = fill_remnant(record.review, result)
    why = reason or f"volumetry from DICOM SEG {os.path.basename(result.path)}"
    saved = service.save_review(record.review_id, review, record.version, why)  # type: ignore[attr-defined]
    return saved, notes
