"""Group instances into series and order slices in space.

Slices are ordered by their position along the slice normal
(``n = row × column direction``; ``d = n · ImagePositionPatient``), never by
InstanceNumber or SliceLocation, which are optional and vendor-specific.
A DICOM series is split when it mixes orientations (localisers) or, when the
same positions repeat, acquisitions (multi-phase).  Gaps, uneven spacing,
duplicate positions and gantry tilt are reported as flags for the viewer.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from mdt.imaging.headers import InstanceHeader

# Tolerances: positions are written with ~1e-3 mm precision by scanners; a
# 5 % deviation from the usual step is a real gap or overlap, not rounding.
POSITION_TOL_MM = 0.01
SPACING_REL_TOL = 0.05
ORIENTATION_DECIMALS = 3


@dataclass(frozen=True, slots=True)
class SeriesGroup:
    """One displayable stack: a DICOM series, or one orientation/acquisition part of it."""
    series_uid: str
    part: int
    """0 unless the DICOM series had to be split; then 1, 2, ... in a stable order."""
    part_label: str
    instances: tuple[InstanceHeader, ...]
    """Sorted along the slice normal (head to foot order as positions increase)."""
    slice_spacing_mm: float | None
    """The usual distance between adjacent slice positions (the median step), or None."""
    tilt_deg: float | None
    flags: tuple[str, ...]

    @property
    def first(self) -> InstanceHeader:
        return self.instances[0]

    @property
    def key(self) -> str:
        return self.series_uid if self.part == 0 else f"{self.series_uid}#{self.part}"


def slice_normal(orientation: Sequence[float]) -> np.ndarray:
    row = np.asarray(orientation[:3], dtype=float)
    col = np.asarray(orientation[3:6], dtype=float)
    n = np.cross(row, col)
    norm = np.linalg.norm(n)
    return n / norm if norm else n


def _orientation_key(h: InstanceHeader) -> tuple[float, ...] | None:
    if h.orientation is None:
        return None
    return tuple(round(v, ORIENTATION_DECIMALS) + 0.0 for v in h.orientation)


def _orientation_label(key: tuple[float, ...] | None) -> str:
    if key is None:
        return "no orientation"
    n = np.abs(slice_normal(key))
    return ("sagittal", "coronal", "axial")[int(np.argmax(n))]


def order_and_check(instances: Iterable[InstanceHeader]) -> tuple[
        tuple[InstanceHeader, ...], float | None, float | None, tuple[str, ...]]:
    """Sort one stack along its normal; return (sorted, usual step mm, tilt degrees, flags)."""
    items = list(instances)
    flags: list[str] = []
    if len(items) == 1:
        h = items[0]
        if h.frames > 1:
            flags.append(f"multi-frame image: {h.frames} frames shown in stored order")
        return (h,), None, None, tuple(flags)
    have_geometry = all(h.position is not None and h.orientation is not None for h in items)
    if not have_geometry:
        # Without positions no honest spatial order exists: keep a stable
        # order by SOP Instance UID and say so.
        items.sort(key=lambda h: (h.sop_instance_uid, h.path))
        flags.append("slice positions missing: order unknown, spacing unknown")
        return tuple(items), None, None, tuple(flags)
    normal = slice_normal(items[0].orientation)  # type: ignore[arg-type]
    pos = np.array([h.position for h in items], dtype=float)
    d = pos @ normal
    order = np.lexsort((np.array([h.sop_instance_uid for h in items]), d))
    items = [items[i] for i in order]
    pos, d = pos[order], d[order]
    steps = np.diff(d)
    duplicates = int(np.sum(steps < POSITION_TOL_MM))
    if duplicates:
        flags.append(f"{duplicates} duplicate slice position(s)")
    real = steps[steps >= POSITION_TOL_MM]
    spacing = float(np.median(real)) if real.size else None
    tilt = None
    if spacing:
        gaps = []
        uneven = 0
        for i, step in enumerate(steps):
            if step < POSITION_TOL_MM:
                continue
            ratio = step / spacing
            k = round(ratio)
            if k >= 2 and abs(ratio - k) <= SPACING_REL_TOL * k:
                gaps.append(f"{k - 1} missing between slices {i + 1} and {i + 2}")
            elif abs(ratio - 1) > SPACING_REL_TOL:
                uneven += 1
        if gaps:
            flags.append("missing slice(s): " + "; ".join(gaps))
        if uneven:
            flags.append(f"uneven slice spacing ({uneven} step(s) differ from {spacing:.3g} mm)")
        # Gantry tilt: the stack advances off the slice normal.
        offsets = np.diff(pos, axis=0)
        offsets = offsets[steps >= POSITION_TOL_MM]
        if offsets.size:
            direction = offsets.mean(axis=0)
            direction /= np.linalg.norm(direction)
            angle = math.degrees(math.acos(min(1.0, abs(float(direction @ normal)))))
            if angle > 0.5:
                tilt = round(angle, 2)
                flags.append(f"gantry tilt {tilt:g}°: slices are sheared; distances along the stack are approximate")
    return tuple(items), spacing, tilt, tuple(flags)


def group_series(headers: Iterable[InstanceHeader]) -> list[SeriesGroup]:
    """Group headers by series, split mixed orientations / repeated acquisitions, sort each stack."""
    by_series: dict[str, list[InstanceHeader]] = defaultdict(list)
    seen_sop: set[str] = set()
    for h in headers:
        if h.sop_instance_uid in seen_sop:
            continue  # the same instance twice (copied file): index it once
        seen_sop.add(h.sop_instance_uid)
        by_series[h.series_uid].append(h)
    groups: list[SeriesGroup] = []
    for series_uid in sorted(by_series):
        members = by_series[series_uid]
        stacks: dict[tuple, list[InstanceHeader]] = defaultdict(list)
        if members[0].is_seg:
            for i, h in enumerate(sorted(members, key=lambda h: h.sop_instance_uid)):
                stacks[("seg", i)].append(h)
        else:
            for h in members:
                stacks[(_orientation_key(h),)].append(h)
            # Repeated positions inside one orientation: split by acquisition/phase.
            for okey in list(stacks):
                stack = stacks[okey]
                positions = [h.position for h in stack if h.position is not None]
                rounded = {tuple(round(v, 2) for v in p) for p in positions}
                acquisitions = {h.acquisition for h in stack}
                if len(rounded) < len(positions) and len(acquisitions) > 1:
                    del stacks[okey]
                    for h in stack:
                        stacks[okey + (h.acquisition,)].append(h)
        keys = sorted(stacks, key=lambda k: (-len(stacks[k]), str(k)))
        split = len(keys) > 1
        for part, key in enumerate(keys, start=1 if split else 0):
            ordered, spacing, tilt, flags = order_and_check(stacks[key])
            if key and key[0] == "seg":
                label = "segmentation"
            else:
                label = _orientation_label(key[0]) if split else ""
                if len(key) > 1:
                    label += f", acquisition {key[1] or '?'}"
            groups.append(SeriesGroup(series_uid, part if split else 0, label.strip(", "), ordered,
                                      spacing, tilt, flags))
    return groups
