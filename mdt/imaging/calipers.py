"""Caliper maths: a line on one slice → its length in mm → a lesion's diameter.

Points are (x, y) = (column, row) in image pixels (fractions allowed).
PixelSpacing is (row spacing, column spacing): the distance between row
centres (vertical) first, then between column centres (horizontal).
"""

from __future__ import annotations

import math
from dataclasses import replace

from mdt.case import Lesion, Measurement, Review
from mdt.errors import NotFound, ValidationError
from mdt.imaging.series import SeriesInfo

Point = tuple[float, float]


def length_mm(start: Point, end: Point, pixel_spacing: tuple[float, float] | None) -> float | None:
    # For a slice of a series use ``series.spacing_at(index)``: frames may carry their own spacing.
    """Euclidean length in mm; None when the pixel spacing is unknown (no guess from pixels)."""
    if pixel_spacing is None:
        return None
    row_mm, col_mm = pixel_spacing
    if not (row_mm > 0 and col_mm > 0):
        return None
    dx = (end[0] - start[0]) * col_mm
    dy = (end[1] - start[1]) * row_mm
    return math.hypot(dx, dy)


def measurement(series: SeriesInfo, slice_index: int, start: Point, end: Point) -> Measurement:
    """Where the caliper was drawn, so the board can jump back to the same image."""
    if not 0 <= slice_index < len(series.slices):
        raise ValidationError(f"slice {slice_index} is outside the series (0..{len(series.slices) - 1})")
    ref = series.slices[slice_index]
    r = lambda v: round(float(v), 2)  # noqa: E731 - sub-pixel precision is enough to redraw
    # In a multi-frame file the SOP Instance UID names the file; the frame names the slice.
    frame = ref.frame + 1 if ref.in_multi_frame else None
    return Measurement(series_uid=series.series_uid, sop_instance_uid=ref.sop_instance_uid,
                       slice_index=slice_index, start_xy=(r(start[0]), r(start[1])),
                       end_xy=(r(end[0]), r(end[1])), frame_number=frame)


def diameter_value(length: float) -> float:
    """Diameters are recorded to 0.1 mm (RECIST sums are in mm; finer is noise)."""
    return round(length, 1)


def attach_to_lesion(review: Review, lesion_id: str, where: Measurement, length: float) -> Review:
    """A new review whose lesion ``lesion_id`` has this diameter and measurement.  NotFound if absent."""
    if length is None or not math.isfinite(length) or length <= 0:
        raise ValidationError(f"lesions[{lesion_id}].diameter_mm: a caliper of {length} mm is not a diameter")
    lesions: list[Lesion] = []
    found = False
    for les in review.lesions:
        if les.id == lesion_id:
            les = replace(les, diameter_mm=diameter_value(length), measurement=where)
            found = True
        lesions.append(les)
    if not found:
        known = ", ".join(les.id for les in review.lesions) or "none"
        raise NotFound(f"lesion {lesion_id!r} is not in this review (lesions: {known})")
    return replace(review, lesions=tuple(lesions))


def slice_for(series: SeriesInfo, where: Measurement) -> int | None:
    """The slice of ``series`` a stored measurement was taken on (by SOP Instance UID), or None."""
    if where.series_uid != series.series_uid:
        return None
    # By SOP Instance UID (and frame) only: if the image left the series, never guess by position.
    return series.index_of(where.sop_instance_uid, where.frame_number)
