"""Group frames into displayable stacks and order them in space.

The unit is the *frame*: a classic file holds one, an enhanced multi-frame
file many, and one DICOM series may be spread over several multi-frame files;
every frame carries its own position (per-frame functional groups).  Frames
are ordered by their position along the slice normal
(``n = row × column direction``; ``d = n · ImagePositionPatient``), never by
InstanceNumber, SliceLocation or the order frames are stored in.

A DICOM series is split into stacks when it mixes orientations (localisers),
image sizes (scanner exam summaries), or when the same positions repeat: a
dynamic or multi-phase series (arterial, portal, delayed) is split by the
first of temporal position, trigger delay, acquisition number, acquisition
time or echo time that separates the repeats into complete stacks.  Gaps,
uneven spacing, positions that still repeat and gantry tilt are reported as
flags for the viewer.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from mdt.imaging.headers import PHASE_KEYS, FrameInfo, InstanceHeader

# Tolerances: positions are written with ~1e-3 mm precision by scanners; a
# 5 % deviation from the usual step is a real gap or overlap, not rounding.
POSITION_TOL_MM = 0.01
SPACING_REL_TOL = 0.05
ORIENTATION_DECIMALS = 3
POSITION_KEY_DECIMALS = 2


@dataclass(frozen=True, slots=True)
class StackFrame:
    """One frame of one file, as placed in a stack."""
    header: InstanceHeader
    frame: int
    """0-based frame number inside the file (0 for single-frame files)."""
    info: FrameInfo

    @property
    def position(self) -> tuple[float, float, float] | None:
        return self.info.position

    @property
    def orientation(self) -> tuple[float, ...] | None:
        return self.info.orientation

    @property
    def sop_instance_uid(self) -> str:
        return self.header.sop_instance_uid

    @property
    def path(self) -> str:
        return self.header.path


def frames_of(headers: Iterable[InstanceHeader]) -> list[StackFrame]:
    return [StackFrame(h, k, f) for h in headers for k, f in enumerate(h.frame_list())]


@dataclass(frozen=True, slots=True)
class SeriesGroup:
    """One displayable stack: a DICOM series, or one orientation/size/phase part of it."""
    series_uid: str
    part: int
    """0 unless the DICOM series had to be split; then 1, 2, ... in a stable order."""
    part_label: str
    frames: tuple[StackFrame, ...]
    """Sorted along the slice normal (positions increasing along it)."""
    slice_spacing_mm: float | None
    """The usual distance between adjacent slice positions (the median step), or None."""
    tilt_deg: float | None
    flags: tuple[str, ...]

    @property
    def first(self) -> InstanceHeader:
        return self.frames[0].header

    @property
    def instances(self) -> tuple[InstanceHeader, ...]:
        """The files of this stack, each once, in the order of their first frame."""
        seen: dict[tuple[str, str], InstanceHeader] = {}
        for f in self.frames:
            seen.setdefault((f.path, f.sop_instance_uid), f.header)
        return tuple(seen.values())

    @property
    def pixel_spacing(self) -> tuple[float, float] | None:
        return self.frames[0].info.pixel_spacing

    @property
    def key(self) -> str:
        return self.series_uid if self.part == 0 else f"{self.series_uid}#{self.part}"


def slice_normal(orientation: Sequence[float]) -> np.ndarray:
    row = np.asarray(orientation[:3], dtype=float)
    col = np.asarray(orientation[3:6], dtype=float)
    n = np.cross(row, col)
    norm = np.linalg.norm(n)
    return n / norm if norm else n


def _orientation_key(o: Sequence[float] | None) -> tuple[float, ...] | None:
    if o is None:
        return None
    return tuple(round(v, ORIENTATION_DECIMALS) + 0.0 for v in o)


def _orientation_label(key: tuple[float, ...] | None) -> str:
    if key is None:
        return "no orientation"
    n = np.abs(slice_normal(key))
    return ("sagittal", "coronal", "axial")[int(np.argmax(n))]


def _position_key(f: StackFrame) -> tuple[float, ...] | None:
    p = f.position
    return None if p is None else tuple(round(v, POSITION_KEY_DECIMALS) + 0.0 for v in p)


def order_and_check(items_in: Iterable[StackFrame | InstanceHeader]) -> tuple[
        tuple[StackFrame, ...], float | None, float | None, tuple[str, ...]]:
    """Sort one stack along its normal; return (sorted, usual step mm, tilt degrees, flags)."""
    items = [StackFrame(x, 0, x.frame_list()[0]) if isinstance(x, InstanceHeader) else x for x in items_in]
    flags: list[str] = []
    if len(items) == 1:
        return tuple(items), None, None, ()
    have_geometry = all(f.position is not None and f.orientation is not None for f in items)
    if not have_geometry:
        # Without positions no honest spatial order exists: keep the stored
        # order (file by SOP Instance UID, then frame number) and say so.
        items.sort(key=lambda f: (f.sop_instance_uid, f.path, f.frame))
        if len({f.path for f in items}) == 1:
            flags.append(f"multi-frame image: {len(items)} frames shown in stored order (no frame positions)")
        else:
            flags.append("slice positions missing: order unknown, spacing unknown")
        return tuple(items), None, None, tuple(flags)
    normal = slice_normal(items[0].orientation)  # type: ignore[arg-type]
    pos = np.array([f.position for f in items], dtype=float)
    d = pos @ normal
    tie = np.array([f"{f.sop_instance_uid}:{f.frame:08d}" for f in items])
    order = np.lexsort((tie, d))
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
    spacings = {f.info.pixel_spacing for f in items}
    if len(spacings) > 1:
        flags.append("pixel spacing differs between images: calipers use the spacing of each image")
    return tuple(items), spacing, tilt, tuple(flags)


# --------------------------------------------------------------------------- phases


def _as_number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return math.inf


def _phase_label(key: str, value: str) -> str:
    if key == "temporal":
        return f"phase {value}"
    if key == "trigger":
        return f"trigger {value} ms"
    if key == "acquisition":
        return f"acquisition {value}"
    if key == "time":
        s = _as_number(value)
        if math.isfinite(s):
            return f"acquired {int(s // 3600):02d}:{int(s % 3600 // 60):02d}:{s % 60:04.1f}"
        return f"acquired {value}"
    if key == "echo":
        return f"echo {value} ms"
    return f"{key} {value}"


def split_repeats(items: list[StackFrame]) -> list[tuple[str, list[StackFrame]]]:
    """Split a stack whose positions repeat into complete stacks, one per phase.

    Tries each phase key in order (``PHASE_KEYS``); a key is used when grouping
    by it gives exactly as many stacks as the positions repeat and no position
    repeats inside a stack.  Time keys (acquisition time, trigger delay) may
    differ slice by slice inside one phase (2-D acquisitions), so they are
    also tried by rank: the k-th acquisition of each position in time order.
    Returns [("", items)] when nothing separates them (flagged as duplicates).
    """
    keys = [_position_key(f) for f in items]
    if any(k is None for k in keys):
        return [("", items)]
    counts = Counter(keys)
    repeats = max(counts.values())
    if repeats < 2:
        return [("", items)]
    phases = [dict(f.info.phase) for f in items]
    for key in PHASE_KEYS:
        values = [p.get(key) for p in phases]
        if any(v is None for v in values):
            continue
        groups: dict[str, list[int]] = defaultdict(list)
        for i, v in enumerate(values):
            groups[v].append(i)  # type: ignore[index]
        if len(groups) == repeats and all(len({keys[i] for i in idx}) == len(idx) for idx in groups.values()):
            ordered = sorted(groups, key=lambda v: (_as_number(v), v))
            return [(_phase_label(key, v), [items[i] for i in groups[v]]) for v in ordered]
    for key in ("time", "trigger"):
        values = [p.get(key) for p in phases]
        if any(v is None for v in values):
            continue
        by_position: dict[tuple, list[int]] = defaultdict(list)
        for i, k in enumerate(keys):
            by_position[k].append(i)  # type: ignore[index]
        rank: dict[int, int] = {}
        ties = False
        for idx in by_position.values():
            idx.sort(key=lambda i: _as_number(values[i]))  # type: ignore[arg-type]
            if len({values[i] for i in idx}) != len(idx):
                ties = True
                break
            for r, i in enumerate(idx):
                rank[i] = r
        if ties:
            continue
        out = []
        for r in range(repeats):
            members = [items[i] for i in range(len(items)) if rank[i] == r]
            first = min(_as_number(values[i]) for i in range(len(items)) if rank[i] == r)  # type: ignore[arg-type]
            label = f"phase {r + 1}, " + _phase_label(key, f"{first:g}")
            out.append((label, members))
        return out
    return [("", items)]


def group_series(headers: Iterable[InstanceHeader]) -> list[SeriesGroup]:
    """Group frames by series; split orientations, image sizes and repeated phases; sort each stack."""
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
        stacks: dict[tuple, list[StackFrame]] = {}
        labels: dict[tuple, list[str]] = {}
        if members[0].is_seg:
            for i, h in enumerate(sorted(members, key=lambda h: h.sop_instance_uid)):
                stacks[("seg", i)] = [StackFrame(h, 0, h.frame_list()[0])]
                labels[("seg", i)] = ["segmentation"]
        else:
            coarse: dict[tuple, list[StackFrame]] = defaultdict(list)
            for f in frames_of(members):
                coarse[(_orientation_key(f.orientation), f.header.rows, f.header.columns)].append(f)
            orientations = {k[0] for k in coarse}
            sizes = {k[1:] for k in coarse}
            for key, stack in coarse.items():
                base = []
                if len(orientations) > 1:
                    base.append(_orientation_label(key[0]))
                if len(sizes) > 1:
                    base.append(f"{key[2]}×{key[1]}")
                parts = split_repeats(stack)
                for label, frames in parts:
                    k = key + (label,)
                    stacks[k] = frames
                    labels[k] = base + ([label] if label else [])
        keys = sorted(stacks, key=lambda k: (-len(stacks[k]), str(k)))
        if not members[0].is_seg:
            # Phases in their own order (phase 1, 2, ...) after the larger stacks.
            keys = sorted(stacks, key=lambda k: (-_stack_rank(stacks, k), str(k[:-1]), _phase_order(k, stacks)))
        split = len(keys) > 1
        for part, key in enumerate(keys, start=1 if split else 0):
            ordered, spacing, tilt, flags = order_and_check(stacks[key])
            label = ", ".join(labels[key]) if split else ""
            undecodable = sorted({f.header.undecodable for f in ordered if f.header.undecodable})
            flags = flags + tuple(f"cannot be shown in this build: {u}" for u in undecodable)
            groups.append(SeriesGroup(series_uid, part if split else 0, label, ordered, spacing, tilt, flags))
    return groups


def _stack_rank(stacks: dict[tuple, list[StackFrame]], key: tuple) -> int:
    """Stacks of one orientation and size sort together, the biggest such family first."""
    return sum(len(v) for k, v in stacks.items() if k[:-1] == key[:-1])


def _phase_order(key: tuple, stacks: dict[tuple, list[StackFrame]]) -> tuple:
    family = [k for k in stacks if k[:-1] == key[:-1]]
    # Keep the order split_repeats produced (dict insertion order).
    return (family.index(key),)
