"""Read the header of one file for the index, without its pixels.

A file either yields an :class:`InstanceHeader` or a :class:`Skipped` with the
reason in words a radiographer understands (not DICOM, truncated, no pixel
data, ...).  Nothing here raises on a bad file: import never stops on one.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

import pydicom
from pydicom.errors import InvalidDicomError

SEG_SOP_CLASSES = frozenset({
    "1.2.840.10008.5.1.4.1.1.66.4",  # Segmentation Storage
    "1.2.840.10008.5.1.4.1.1.66.7",  # Label Map Segmentation Storage
})
DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
_PIXEL_TAGS = {0x7FE00010, 0x7FE00008, 0x7FE00009}
_UNDEFINED = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class InstanceHeader:
    path: str
    size: int
    mtime_ns: int
    sop_instance_uid: str
    sop_class_uid: str
    series_uid: str
    study_uid: str
    patient_id: str
    patient_name: str
    patient_sex: str
    patient_birth_date: date | None
    study_date: date | None
    study_description: str
    series_number: int | None
    series_description: str
    modality: str
    instance_number: int | None
    position: tuple[float, float, float] | None
    orientation: tuple[float, float, float, float, float, float] | None
    pixel_spacing: tuple[float, float] | None
    slice_thickness: float | None
    acquisition: str
    rows: int
    columns: int
    frames: int
    transfer_syntax: str

    @property
    def is_seg(self) -> bool:
        return self.sop_class_uid in SEG_SOP_CLASSES


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str
    size: int = 0
    mtime_ns: int = 0


class _Raw:
    """Values straight from the raw header bytes.

    pydicom converts an element on first access (VR lookup, charset handling,
    value objects), which costs more than reading the file.  The index needs a
    few strings and numbers: ASCII text is decoded directly; only text with
    other characters (names, descriptions in a national character set) goes
    through pydicom's charset-aware conversion.
    """

    __slots__ = ("ds",)

    def __init__(self, ds: pydicom.Dataset) -> None:
        self.ds = ds

    def _elem(self, tag: int) -> Any:
        # A BaseTag is an int: a plain int key finds it (typed as BaseTag only).
        return self.ds._dict.get(tag)  # type: ignore[call-overload]  # noqa: SLF001 - raw access is the point

    def text(self, tag: int) -> str:
        elem = self._elem(tag)
        if elem is None:
            return ""
        value = elem.value
        if isinstance(value, bytes):
            try:
                return value.decode("ascii").strip(" \x00")
            except UnicodeDecodeError:
                value = self.ds[tag].value  # charset-aware conversion
        if value is None:
            return ""
        if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
            return "\\".join(str(v) for v in value)
        return str(value).strip()

    def numbers(self, tag: int) -> list[float] | None:
        text = self.text(tag)
        if not text:
            return None
        try:
            return [float(v) for v in text.split("\\")]
        except ValueError:
            return None

    def number(self, tag: int) -> float | None:
        values = self.numbers(tag)
        return values[0] if values else None

    def integer(self, tag: int) -> int | None:
        v = self.number(tag)
        return None if v is None or v != int(v) else int(v)

    def ushort(self, tag: int) -> int | None:
        elem = self._elem(tag)
        if elem is None:
            return None
        value = elem.value
        if isinstance(value, bytes):
            if len(value) < 2:
                return None
            return struct.unpack("<H" if elem.is_little_endian else ">H", value[:2])[0]
        try:
            return int(value)
        except (TypeError, ValueError):
            return None


# Tags as ints (faster dictionary look-ups than keywords).
_T = {
    "PatientID": 0x00100020, "PatientName": 0x00100010, "PatientBirthDate": 0x00100030,
    "PatientSex": 0x00100040, "StudyInstanceUID": 0x0020000D, "StudyDate": 0x00080020,
    "StudyDescription": 0x00081030, "SeriesInstanceUID": 0x0020000E, "SeriesNumber": 0x00200011,
    "SeriesDescription": 0x0008103E, "Modality": 0x00080060, "SOPInstanceUID": 0x00080018,
    "SOPClassUID": 0x00080016, "InstanceNumber": 0x00200013, "ImagePositionPatient": 0x00200032,
    "ImageOrientationPatient": 0x00200037, "PixelSpacing": 0x00280030, "SliceThickness": 0x00180050,
    "AcquisitionNumber": 0x00200012, "TemporalPositionIdentifier": 0x00200100, "Rows": 0x00280010,
    "Columns": 0x00280011, "NumberOfFrames": 0x00280008,
}


def parse_da(value: object) -> date | None:
    text = str(value or "").strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _pixel_data_intact(fp: IO[bytes], explicit_le: bool, file_size: int) -> str | None:
    """Check the pixel data element the header read stopped at; return a problem or None.

    ``stop_before_pixels`` leaves the file positioned on the Pixel Data tag, so
    a length check here finds files cut short in transit without decoding them.
    """
    start = fp.tell()
    head = fp.read(12)
    if len(head) < 8:
        return "no pixel data"
    group, elem = struct.unpack("<HH", head[:4])
    if (group << 16 | elem) not in _PIXEL_TAGS:
        return "no pixel data"
    if explicit_le:
        if len(head) < 12:
            return "truncated (pixel data header cut short)"
        length = struct.unpack("<I", head[8:12])[0]
        value_start = start + 12
    else:
        length = struct.unpack("<I", head[4:8])[0]
        value_start = start + 8
    if length == _UNDEFINED:
        # Encapsulated (compressed) frames: walk the item headers (cheap, no
        # decoding) up to the sequence delimiter; running past the end = cut short.
        pos = value_start
        while True:
            fp.seek(pos)
            item = fp.read(8)
            if len(item) < 8:
                return "truncated (compressed pixel data cut short)"
            tag = item[:4]
            item_len = struct.unpack("<I", item[4:8])[0]
            if tag == b"\xfe\xff\xdd\xe0":
                return None
            if tag != b"\xfe\xff\x00\xe0" or item_len == _UNDEFINED:
                return "corrupt compressed pixel data"
            pos += 8 + item_len
            if pos > file_size:
                return "truncated (compressed pixel data cut short)"
    if value_start + length > file_size:
        return f"truncated ({file_size - value_start} of {length} bytes of pixel data)"
    return None


def read_header(path: str | os.PathLike[str]) -> InstanceHeader | Skipped:
    """Index one file.  Never raises for a bad file: returns :class:`Skipped`."""
    p = str(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        return Skipped(p, f"cannot read file ({exc.strerror or exc})")
    size, mtime = st.st_size, st.st_mtime_ns
    if size == 0:
        return Skipped(p, "empty file", size, mtime)
    try:
        with open(p, "rb") as fp:
            try:
                ds = pydicom.dcmread(fp, stop_before_pixels=True)
            except InvalidDicomError:
                # Preamble-less files exist (old modalities); accept them only if
                # the forced parse finds the identifying UIDs below.
                fp.seek(0)
                ds = pydicom.dcmread(fp, stop_before_pixels=True, force=True)
            meta = getattr(ds, "file_meta", None)
            tsyntax = str(getattr(meta, "TransferSyntaxUID", "") or "") if meta is not None else ""
            raw = _Raw(ds)
            sop_class = raw.text(_T["SOPClassUID"])
            if sop_class == DICOMDIR_SOP_CLASS or str(getattr(meta, "MediaStorageSOPClassUID", "")) == (
                DICOMDIR_SOP_CLASS
            ):
                return Skipped(p, "DICOMDIR (an index, not an image)", size, mtime)
            sop_uid = raw.text(_T["SOPInstanceUID"])
            series_uid = raw.text(_T["SeriesInstanceUID"])
            study_uid = raw.text(_T["StudyInstanceUID"])
            if not sop_uid and not series_uid:
                return Skipped(p, "not a DICOM file", size, mtime)
            if not (sop_uid and series_uid and study_uid):
                missing = [n for n, v in (("SOPInstanceUID", sop_uid), ("SeriesInstanceUID", series_uid),
                                          ("StudyInstanceUID", study_uid)) if not v]
                return Skipped(p, "missing " + ", ".join(missing), size, mtime)
            implicit_vr, little_endian = ds.original_encoding
            if not little_endian:
                # Retired big-endian syntax: trust the parse, check presence only.
                problem = None if raw.ushort(_T["Rows"]) else "no pixel data"
            else:
                problem = _pixel_data_intact(fp, not implicit_vr, size)
            if problem:
                return Skipped(p, problem, size, mtime)
    except (InvalidDicomError, EOFError) as exc:
        return Skipped(p, f"not a DICOM file ({exc})" if "DICM" not in str(exc) else "not a DICOM file",
                       size, mtime)
    except Exception as exc:  # any parse failure of one file must not stop an import
        return Skipped(p, f"unreadable DICOM header ({type(exc).__name__}: {exc})", size, mtime)

    rows, cols = raw.ushort(_T["Rows"]), raw.ushort(_T["Columns"])
    if not rows or not cols:
        return Skipped(p, "no image size (Rows/Columns)", size, mtime)
    acquisition = raw.text(_T["AcquisitionNumber"])
    temporal = raw.text(_T["TemporalPositionIdentifier"])
    if temporal:
        acquisition += f"/t{temporal}"
    position = raw.numbers(_T["ImagePositionPatient"])
    orientation = raw.numbers(_T["ImageOrientationPatient"])
    spacing = raw.numbers(_T["PixelSpacing"])
    return InstanceHeader(
        path=p, size=size, mtime_ns=mtime,
        sop_instance_uid=sop_uid, sop_class_uid=sop_class, series_uid=series_uid, study_uid=study_uid,
        patient_id=raw.text(_T["PatientID"]),
        patient_name=raw.text(_T["PatientName"]),
        patient_sex=raw.text(_T["PatientSex"]),
        patient_birth_date=parse_da(raw.text(_T["PatientBirthDate"])),
        study_date=parse_da(raw.text(_T["StudyDate"])),
        study_description=raw.text(_T["StudyDescription"]),
        series_number=raw.integer(_T["SeriesNumber"]),
        series_description=raw.text(_T["SeriesDescription"]),
        modality=raw.text(_T["Modality"]),
        instance_number=raw.integer(_T["InstanceNumber"]),
        position=tuple(position) if position and len(position) == 3 else None,  # type: ignore[arg-type]
        orientation=tuple(orientation) if orientation and len(orientation) == 6 else None,  # type: ignore[arg-type]
        pixel_spacing=tuple(spacing) if spacing and len(spacing) == 2 else None,  # type: ignore[arg-type]
        slice_thickness=raw.number(_T["SliceThickness"]),
        acquisition=acquisition,
        rows=rows, columns=cols,
        frames=raw.integer(_T["NumberOfFrames"]) or 1,
        transfer_syntax=tsyntax,
    )


def iter_files(folder: str | os.PathLike[str]) -> Iterator[str]:
    """Every regular file under ``folder`` (os.scandir, depth first, sorted for stable order)."""
    stack = [Path(folder)]
    while stack:
        current = stack.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                subdirs.append(Path(entry.path))
            elif entry.is_file():
                yield entry.path
        stack.extend(reversed(subdirs))
