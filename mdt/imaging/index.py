"""Import DICOM into the index: a folder, a DICOMDIR or a zip.

Headers only are read (``stop_before_pixels``); files whose size and
modification time are unchanged since the last scan are not read again.
Where files come from (folder, DICOMDIR, zip, and the limits that keep a
hostile source from exhausting the disk) is :mod:`mdt.imaging.sources`.
Each DICOM series is written in one transaction, so a cancelled or failed
import never leaves half a series; bad files are skipped and listed with their
reason.  Patients are matched by PatientID; an unknown patient is created only
after the caller confirms (the window asks; the CLI needs ``--create-patients``).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol, TypeVar

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from mdt.case import Patient
from mdt.errors import NotFound
from mdt.imaging.geometry import SeriesGroup, StackFrame, group_series
from mdt.imaging.headers import FrameInfo, InstanceHeader, Phase, Skipped, read_header
from mdt.imaging.index_models import DicomFileModel, DicomSeriesModel, DicomSliceModel
from mdt.imaging.series import SeriesInfo, SliceRef, series_from_group
from mdt.imaging.sources import Source, list_source, prune_extracted
from mdt.store.db import Database

Progress = Callable[[int, int, str], None]
"""progress(done, total, what is happening)"""
Cancelled = Callable[[], bool]

_CHUNK = 500  # rows per IN (...) query; stays under every driver's parameter limit
T = TypeVar("T")


class PatientDirectory(Protocol):
    """How the importer sees the application's patients (an adapter over MdtService)."""

    def exists(self, patient_id: str) -> bool: ...

    def create(self, patient: Patient) -> None: ...


class ServicePatients:
    """PatientDirectory over ``mdt.services.MdtService`` (audit trail included)."""

    def __init__(self, service: object) -> None:
        self.service = service

    def exists(self, patient_id: str) -> bool:
        try:
            self.service.get_case(patient_id)  # type: ignore[attr-defined]
        except NotFound:
            return False
        return True

    def create(self, patient: Patient) -> None:
        self.service.create_patient(patient)  # type: ignore[attr-defined]


ConfirmPatient = Callable[[Patient, Sequence[str]], bool]
"""confirm(patient from the DICOM header, titles of its series) -> create it?"""


@dataclass(frozen=True, slots=True)
class SeriesSummary:
    key: str
    patient_id: str
    title: str
    images: int
    flags: tuple[str, ...]


@dataclass
class ImportReport:
    source: str
    files_seen: int = 0
    files_read: int = 0
    unchanged: int = 0
    removed: int = 0
    series: list[SeriesSummary] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    patients_matched: list[str] = field(default_factory=list)
    patients_created: list[str] = field(default_factory=list)
    patients_not_linked: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Files a DICOMDIR references that are not on the medium."""
    undecodable: list[Skipped] = field(default_factory=list)
    """Files indexed whose pixels this build cannot decode (reason: the transfer syntax)."""
    cancelled: bool = False

    @property
    def complete(self) -> bool:
        """Every referenced file was found (a DICOMDIR's missing files make an import incomplete)."""
        return not self.missing

    def summary_lines(self) -> list[str]:
        """The report in words, for the command line and the window."""
        lines = [f"{self.files_seen} file(s) in {self.source}: {self.files_read} read, "
                 f"{self.unchanged} unchanged since the last scan"
                 + (f", {self.removed} gone from disk" if self.removed else "")]
        if self.cancelled:
            lines.append("import cancelled: the series listed below were written completely; no others")
        for s in self.series:
            lines.append(f"series {s.title} (patient {s.patient_id or '?'})")
            lines.extend(f"  warning: {flag}" for flag in s.flags)
        if not self.series and not self.cancelled:
            lines.append("no new or changed series")
        if self.patients_created:
            lines.append("patients created: " + ", ".join(self.patients_created))
        if self.patients_not_linked:
            lines.append("not in the patient list (series indexed, not linked): "
                         + ", ".join(self.patients_not_linked))
        if self.skipped:
            lines.append(f"{len(self.skipped)} file(s) skipped:")
            lines.extend(f"  {s.path}: {s.reason}" for s in self.skipped)
        if self.undecodable:
            lines.append(f"{len(self.undecodable)} file(s) indexed that this build cannot show:")
            lines.extend(f"  {s.path}: {s.reason}" for s in self.undecodable)
        if self.missing:
            lines.append(f"{len(self.missing)} file(s) listed in the DICOMDIR are missing from the medium:")
            lines.extend(f"  {m}" for m in self.missing)
        return lines

    def to_dict(self) -> dict:
        return {
            "source": self.source, "files_seen": self.files_seen, "files_read": self.files_read,
            "unchanged": self.unchanged, "removed": self.removed, "cancelled": self.cancelled,
            "series": [{"key": s.key, "patient_id": s.patient_id, "title": s.title, "images": s.images,
                        "flags": list(s.flags)} for s in self.series],
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "undecodable": [{"path": s.path, "reason": s.reason} for s in self.undecodable],
            "missing": list(self.missing),
            "patients_matched": self.patients_matched, "patients_created": self.patients_created,
            "patients_not_linked": self.patients_not_linked,
        }


# --------------------------------------------------------------------------- rows <-> headers


def _orientation_text(o: Sequence[float] | None) -> str | None:
    return None if o is None else "\\".join(f"{v:.6g}" for v in o)


def _orientation_of(text: str | None) -> tuple[float, ...] | None:
    return None if not text else tuple(float(v) for v in text.split("\\"))


def phase_text(phase: Phase) -> str:
    return "|".join(f"{k}={v}" for k, v in phase)[:255]


def phase_of(text: str | None) -> Phase:
    if not text:
        return ()
    out = []
    for item in text.split("|"):
        k, _, v = item.partition("=")
        if k:
            out.append((k, v))
    return tuple(out)


def _header_from_rows(f: DicomFileModel, s: DicomSeriesModel, slices: Sequence[DicomSliceModel]
                      ) -> InstanceHeader:
    pos = None if f.position_x is None else (f.position_x, f.position_y, f.position_z)
    spacing = None if f.pixel_spacing_row is None else (f.pixel_spacing_row, f.pixel_spacing_col)
    frames = tuple(FrameInfo(
        None if sl.position_x is None else (sl.position_x, sl.position_y, sl.position_z),  # type: ignore[arg-type]
        _orientation_of(sl.orientation),  # type: ignore[arg-type]
        None if sl.pixel_spacing_row is None else (sl.pixel_spacing_row, sl.pixel_spacing_col),  # type: ignore[arg-type]
        phase_of(sl.phase)) for sl in sorted(slices, key=lambda x: x.frame))
    return InstanceHeader(
        path=f.path, size=f.size, mtime_ns=f.mtime_ns, sop_instance_uid=f.sop_instance_uid or "",
        sop_class_uid=f.sop_class_uid or "", series_uid=s.series_uid, study_uid=s.study_uid,
        patient_id=s.patient_id, patient_name=s.patient_name, patient_sex=s.patient_sex,
        patient_birth_date=s.patient_birth_date, study_date=s.study_date,
        study_description=s.study_description, series_number=s.series_number,
        series_description=s.description, modality=s.modality, instance_number=f.instance_number,
        position=pos, orientation=_orientation_of(f.orientation), pixel_spacing=spacing,  # type: ignore[arg-type]
        slice_thickness=f.slice_thickness, acquisition=f.acquisition or "", rows=f.rows or 0,
        columns=f.columns or 0, frames=max(f.frames or 1, len(frames)), transfer_syntax=f.transfer_syntax or "",
        frame_info=frames if len(frames) > 1 or (f.frames or 1) > 1 else (),
        phase=frames[0].phase if frames else (),
    )


def _file_row(h: InstanceHeader, series_id: int, index: int) -> dict:
    return {
        "path": h.path, "size": h.size, "mtime_ns": h.mtime_ns, "status": "image", "reason": h.undecodable or None,
        "series_id": series_id, "slice_index": index, "sop_instance_uid": h.sop_instance_uid,
        "sop_class_uid": h.sop_class_uid, "series_uid": h.series_uid, "study_uid": h.study_uid,
        "patient_id": h.patient_id[:64], "instance_number": h.instance_number,
        "position_x": h.position[0] if h.position else None,
        "position_y": h.position[1] if h.position else None,
        "position_z": h.position[2] if h.position else None,
        "orientation": _orientation_text(h.orientation),
        "pixel_spacing_row": h.pixel_spacing[0] if h.pixel_spacing else None,
        "pixel_spacing_col": h.pixel_spacing[1] if h.pixel_spacing else None,
        "slice_thickness": h.slice_thickness, "acquisition": h.acquisition[:64], "rows": h.rows,
        "columns": h.columns, "frames": h.frames, "transfer_syntax": h.transfer_syntax[:64],
    }


def _slice_row(f: StackFrame, series_id: int, index: int, file_id: int) -> dict:
    info = f.info
    return {
        "series_id": series_id, "slice_index": index, "file_id": file_id, "frame": f.frame,
        "position_x": info.position[0] if info.position else None,
        "position_y": info.position[1] if info.position else None,
        "position_z": info.position[2] if info.position else None,
        "orientation": _orientation_text(info.orientation),
        "pixel_spacing_row": info.pixel_spacing[0] if info.pixel_spacing else None,
        "pixel_spacing_col": info.pixel_spacing[1] if info.pixel_spacing else None,
        "phase": phase_text(info.phase),
    }


def _series_row(g: SeriesGroup, now: datetime) -> dict:
    f = g.first
    spacing = g.pixel_spacing
    return {
        "series_uid": g.series_uid, "part": g.part, "part_label": g.part_label[:120], "study_uid": f.study_uid,
        "study_date": f.study_date, "study_description": f.study_description[:200],
        "patient_id": f.patient_id[:64], "patient_name": f.patient_name[:200], "patient_sex": f.patient_sex[:16],
        "patient_birth_date": f.patient_birth_date, "modality": f.modality[:16],
        "series_number": f.series_number, "description": f.series_description[:200], "is_seg": f.is_seg,
        "instance_count": len(g.frames), "rows": f.rows, "columns": f.columns,
        "pixel_spacing_row": spacing[0] if spacing else None,
        "pixel_spacing_col": spacing[1] if spacing else None,
        "slice_spacing_mm": g.slice_spacing_mm, "tilt_deg": g.tilt_deg, "flags": "\n".join(g.flags),
        "indexed_at": now,
    }


def _chunks(items: Sequence[T]) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


# --------------------------------------------------------------------------- import


def import_dicom(db: Database, source: str | os.PathLike[str], *, progress: Progress | None = None,
                 cancelled: Cancelled | None = None, patients: PatientDirectory | None = None,
                 confirm: ConfirmPatient | None = None, store: Path | None = None) -> ImportReport:
    """Index ``source`` into ``db``.  See the module docstring.

    ``confirm`` is asked once per unknown PatientID; without it (or when it says
    no) the series are indexed but not linked, and listed in ``patients_not_linked``.
    A zip's unpacked files that were not indexed are deleted again.
    """
    say = progress or (lambda done, total, what: None)
    say(0, 0, "listing files")
    src = list_source(source, store)
    try:
        return _import(db, source, src, say, cancelled or (lambda: False), patients, confirm)
    finally:
        if src.extracted is not None:
            _prune_unindexed(db, src.extracted)


def _prune_unindexed(db: Database, folder: Path) -> None:
    prefix = str(folder.resolve()).rstrip(os.sep) + os.sep
    with db.read() as session:
        keep = set(session.scalars(select(DicomFileModel.path).where(
            DicomFileModel.path.startswith(prefix, autoescape=True), DicomFileModel.status == "image")))
    prune_extracted(folder, keep)
    if not keep:
        with db.write() as session:  # skipped files that no longer exist are not remembered
            session.execute(delete(DicomFileModel).where(DicomFileModel.path.startswith(prefix, autoescape=True)))


def _import(db: Database, source: str | os.PathLike[str], src: Source, say: Progress, stop: Cancelled,
            patients: PatientDirectory | None, confirm: ConfirmPatient | None) -> ImportReport:
    report = ImportReport(source=str(source))
    report.missing = list(src.missing)
    files = sorted(dict.fromkeys(os.path.abspath(f) for f in src.files))
    report.files_seen = len(files)
    folder = src.folder

    # 1. What does the index already know about these files?
    known: dict[str, tuple[int, int, str | None]] = {}
    removed_rows: list[tuple[str, str | None]] = []
    with db.read() as session:
        for chunk in _chunks(files):
            for path, size, mtime, suid in session.execute(
                    select(DicomFileModel.path, DicomFileModel.size, DicomFileModel.mtime_ns,
                           DicomFileModel.series_uid).where(DicomFileModel.path.in_(chunk))):
                known[path] = (size, mtime, suid)
        if folder is not None:
            prefix = str(folder).rstrip(os.sep) + os.sep
            present = set(files)
            for path, suid in session.execute(
                    select(DicomFileModel.path, DicomFileModel.series_uid).where(
                        DicomFileModel.path.startswith(prefix, autoescape=True))):
                if path not in present:
                    removed_rows.append((path, suid))

    # 2. Read the headers of new or changed files only.
    fresh: list[InstanceHeader] = []
    affected: set[str] = set()
    unchanged_series: set[str] = set()
    for i, path in enumerate(files):
        if stop():
            report.cancelled = True
            return report
        try:
            st = os.stat(path)
            stamp: tuple[int, int] | None = (st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = None
        old = known.get(path)
        if old is not None and stamp is not None and (old[0], old[1]) == stamp:
            report.unchanged += 1
            if old[2]:
                unchanged_series.add(old[2])
            continue
        if old is not None and old[2]:
            affected.add(old[2])  # the file changed: its old series must be rebuilt
        result = read_header(path)
        report.files_read += 1
        if isinstance(result, Skipped):
            report.skipped.append(result)
        else:
            fresh.append(result)
            affected.add(result.series_uid)
            if result.undecodable:
                report.undecodable.append(Skipped(result.path, result.undecodable, result.size, result.mtime_ns))
        if i % 16 == 0 or i == len(files) - 1:
            say(i + 1, len(files), "reading headers")
    for _path, suid in removed_rows:
        if suid:
            affected.add(suid)
    report.removed = len(removed_rows)
    changed_paths = {h.path for h in fresh} | {s.path for s in report.skipped} | {p for p, _ in removed_rows}

    # 3. Rebuild every affected series from fresh headers plus its unchanged files.
    by_series: dict[str, list[InstanceHeader]] = defaultdict(list)
    for h in fresh:
        by_series[h.series_uid].append(h)
    if affected:
        with db.read() as session:
            for chunk in _chunks(sorted(affected)):
                for f, s, slices in _stored_files(session, chunk):
                    if f.path not in changed_paths:
                        by_series[s.series_uid].append(_header_from_rows(f, s, slices))

    groups_by_series: dict[str, list[SeriesGroup]] = defaultdict(list)
    for g in group_series(h for hs in by_series.values() for h in hs):
        groups_by_series[g.series_uid].append(g)

    # 4. Patients: match by PatientID, create after confirmation.
    if patients is not None:
        seen: list[_PatientSeen] = [
            _PatientSeen(g.first.patient_id, g.first.patient_name, g.first.patient_sex,
                         g.first.patient_birth_date, g.first.series_description or g.first.modality)
            for groups in groups_by_series.values() for g in groups]
        # Series already indexed count too: a re-run with confirmation links them.
        old_series = sorted(unchanged_series - affected)
        if old_series:
            with db.read() as session:
                for chunk in _chunks(old_series):
                    for row in session.scalars(select(DicomSeriesModel).where(
                            DicomSeriesModel.series_uid.in_(chunk))):
                        seen.append(_PatientSeen(row.patient_id, row.patient_name, row.patient_sex,
                                                 row.patient_birth_date, row.description or row.modality))
        _resolve_patients(seen, patients, confirm, report)

    # 5. Write: one transaction per DICOM series (all its parts together).
    now = datetime.now(UTC)
    total = len(affected)
    for n, series_uid in enumerate(sorted(affected)):
        if stop():
            report.cancelled = True
            break
        groups = groups_by_series.get(series_uid, [])
        with db.write() as session:
            _write_series(session, series_uid, groups, now)
        for g in groups:
            info = series_from_group(g)
            report.series.append(SeriesSummary(g.key, g.first.patient_id, info.title, len(g.frames), g.flags))
        say(n + 1, total, "writing series")

    # 6. Skipped and removed files: remembered so an unchanged bad file is not re-read.
    if not report.cancelled and (report.skipped or removed_rows):
        with db.write() as session:
            gone = [s.path for s in report.skipped] + [p for p, _ in removed_rows]
            for chunk in _chunks(gone):
                session.execute(delete(DicomFileModel).where(DicomFileModel.path.in_(chunk)))
            if report.skipped:
                session.execute(insert(DicomFileModel), [
                    {"path": s.path, "size": s.size, "mtime_ns": s.mtime_ns, "status": "skipped",
                     "reason": s.reason} for s in report.skipped])
    say(1, 1, "done")
    return report


def _stored_files(session: Session, series_uids: Sequence[str]
                  ) -> list[tuple[DicomFileModel, DicomSeriesModel, list[DicomSliceModel]]]:
    """Every indexed file of these series with its series row and its slices (frames)."""
    rows = session.execute(
        select(DicomFileModel, DicomSeriesModel)
        .join(DicomSeriesModel, DicomFileModel.series_id == DicomSeriesModel.id)
        .where(DicomSeriesModel.series_uid.in_(series_uids))).all()
    slices: dict[int, list[DicomSliceModel]] = defaultdict(list)
    ids = [f.id for f, _s in rows]
    for chunk in _chunks(ids):
        for sl in session.scalars(select(DicomSliceModel).where(DicomSliceModel.file_id.in_(chunk))):
            slices[sl.file_id].append(sl)
    return [(f, s, slices[f.id]) for f, s in rows]


def _write_series(session: Session, series_uid: str, groups: list[SeriesGroup], now: datetime) -> None:
    """Replace one DICOM series (every part, file and slice) in the open transaction."""
    old_ids = select(DicomSeriesModel.id).where(DicomSeriesModel.series_uid == series_uid)
    session.execute(delete(DicomSliceModel).where(DicomSliceModel.series_id.in_(old_ids)))
    session.execute(delete(DicomFileModel).where(DicomFileModel.series_id.in_(old_ids)))
    session.execute(delete(DicomSeriesModel).where(DicomSeriesModel.series_uid == series_uid))
    paths = list(dict.fromkeys(f.path for g in groups for f in g.frames))
    for chunk in _chunks(paths):
        session.execute(delete(DicomFileModel).where(DicomFileModel.path.in_(chunk)))
    series_ids = [session.execute(insert(DicomSeriesModel).values(**_series_row(g, now))
                                  .returning(DicomSeriesModel.id)).scalar_one() for g in groups]
    # Each file once, under the part holding its first frame.
    file_rows: dict[str, dict] = {}
    for g, sid in zip(groups, series_ids, strict=True):
        for i, f in enumerate(g.frames):
            if f.path not in file_rows:
                file_rows[f.path] = _file_row(f.header, sid, i)
    file_ids: dict[str, int] = {}
    rows = list(file_rows.values())
    for row_chunk in _chunks(rows):
        result = session.execute(insert(DicomFileModel).returning(
            DicomFileModel.id, DicomFileModel.path, sort_by_parameter_order=True), list(row_chunk))
        for fid, path in result:
            file_ids[path] = fid
    slice_rows = [_slice_row(f, sid, i, file_ids[f.path])
                  for g, sid in zip(groups, series_ids, strict=True) for i, f in enumerate(g.frames)]
    for slice_chunk in _chunks(slice_rows):
        session.execute(insert(DicomSliceModel), list(slice_chunk))


@dataclass(frozen=True, slots=True)
class _PatientSeen:
    patient_id: str
    name: str
    sex: str
    birth_date: date | None
    series_title: str


def _resolve_patients(seen: list[_PatientSeen], patients: PatientDirectory, confirm: ConfirmPatient | None,
                      report: ImportReport) -> None:
    titles: dict[str, list[str]] = defaultdict(list)
    firsts: dict[str, _PatientSeen] = {}
    for item in seen:
        firsts.setdefault(item.patient_id, item)
        titles[item.patient_id].append(item.series_title)
    for pid in sorted(titles):
        if not pid:
            report.patients_not_linked.append("(no PatientID)")
            continue
        if patients.exists(pid):
            report.patients_matched.append(pid)
            continue
        h = firsts[pid]
        candidate = Patient(id=pid, name=h.name or None, sex=h.sex if h.sex in ("F", "M", "O") else None,
                            birth_date=h.birth_date)
        if confirm is not None and confirm(candidate, titles[pid]):
            patients.create(candidate)
            report.patients_created.append(pid)
        else:
            report.patients_not_linked.append(pid)


# --------------------------------------------------------------------------- queries


def _info(s: DicomSeriesModel, slices: Sequence[tuple[DicomSliceModel, str, str, int]]) -> SeriesInfo:
    spacing = None if s.pixel_spacing_row is None else (s.pixel_spacing_row, s.pixel_spacing_col)
    refs: list[SliceRef] = []
    for sl, path, sop, frames in slices:
        pos = None if sl.position_x is None else (sl.position_x, sl.position_y, sl.position_z)
        own = None if sl.pixel_spacing_row is None else (sl.pixel_spacing_row, sl.pixel_spacing_col)
        refs.append(SliceRef(path, sop, pos, sl.frame, None if own == spacing else own,  # type: ignore[arg-type]
                             frames > 1))
    return SeriesInfo(
        key=s.series_uid if s.part == 0 else f"{s.series_uid}#{s.part}", series_uid=s.series_uid,
        study_uid=s.study_uid, patient_id=s.patient_id, patient_name=s.patient_name, modality=s.modality,
        description=s.description, series_number=s.series_number, study_date=s.study_date,
        study_description=s.study_description, rows=s.rows, columns=s.columns,
        pixel_spacing=spacing,  # type: ignore[arg-type]
        slice_spacing_mm=s.slice_spacing_mm, tilt_deg=s.tilt_deg,
        flags=tuple(x for x in s.flags.split("\n") if x), slices=tuple(refs), part_label=s.part_label,
        is_seg=s.is_seg,
    )


def _slices_of(session: Session, series_ids: Sequence[int]
               ) -> dict[int, list[tuple[DicomSliceModel, str, str, int]]]:
    out: dict[int, list[tuple[DicomSliceModel, str, str, int]]] = defaultdict(list)
    for chunk in _chunks(list(series_ids)):
        for sl, path, sop, frames in session.execute(
                select(DicomSliceModel, DicomFileModel.path, DicomFileModel.sop_instance_uid,
                       DicomFileModel.frames)
                .join(DicomFileModel, DicomSliceModel.file_id == DicomFileModel.id)
                .where(DicomSliceModel.series_id.in_(chunk)).order_by(DicomSliceModel.slice_index)):
            out[sl.series_id].append((sl, path, sop or "", frames or 1))
    return out


def list_series(db: Database, patient_id: str | None = None, *, include_seg: bool = True) -> list[SeriesInfo]:
    """Indexed series (newest study first), optionally of one patient, with their sorted slices."""
    with db.read() as session:
        q = select(DicomSeriesModel)
        if patient_id is not None:
            q = q.where(DicomSeriesModel.patient_id == patient_id)
        if not include_seg:
            q = q.where(DicomSeriesModel.is_seg.is_(False))
        series = list(session.scalars(q))
        slices = _slices_of(session, [s.id for s in series])
        out = [_info(s, slices[s.id]) for s in series]
    out.sort(key=lambda s: (s.study_date.toordinal() if s.study_date else 0, s.study_uid,
                            -(s.series_number or 0)), reverse=True)
    return out


def get_series(db: Database, key: str) -> SeriesInfo:
    """One series by ``series_uid`` or ``series_uid#part``.  NotFound otherwise."""
    uid, _, part = key.partition("#")
    if part and not part.isdigit():
        raise NotFound(f"series {key} is not in the DICOM index")
    with db.read() as session:
        s = session.scalars(select(DicomSeriesModel).where(
            DicomSeriesModel.series_uid == uid, DicomSeriesModel.part == int(part or 0))).first()
        if s is None:
            raise NotFound(f"series {key} is not in the DICOM index")
        return _info(s, _slices_of(session, [s.id])[s.id])


def find_instance(db: Database, sop_instance_uid: str, frame_number: int | None = None) -> tuple[SeriesInfo, int]:
    """The series holding an instance (and frame) and its slice index: how the board jumps back to a caliper."""
    with db.read() as session:
        q = (select(DicomSeriesModel.series_uid, DicomSeriesModel.part)
             .join(DicomSliceModel, DicomSliceModel.series_id == DicomSeriesModel.id)
             .join(DicomFileModel, DicomSliceModel.file_id == DicomFileModel.id)
             .where(DicomFileModel.sop_instance_uid == sop_instance_uid))
        if frame_number is not None:
            q = q.where(DicomSliceModel.frame == frame_number - 1)
        row = session.execute(q).first()
    if row is None:
        raise NotFound(f"image {sop_instance_uid} is not in the DICOM index")
    info = get_series(db, row[0] if row[1] == 0 else f"{row[0]}#{row[1]}")
    index = info.index_of(sop_instance_uid, frame_number)
    assert index is not None
    return info, index


def skipped_files(db: Database) -> list[Skipped]:
    with db.read() as session:
        return [Skipped(p, r or "", sz, mt) for p, r, sz, mt in session.execute(
            select(DicomFileModel.path, DicomFileModel.reason, DicomFileModel.size, DicomFileModel.mtime_ns)
            .where(DicomFileModel.status == "skipped").order_by(DicomFileModel.path))]
