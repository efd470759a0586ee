"""Read the header of one file for the index, without its pixels.

A file either yields an :class:`InstanceHeader` or a :class:`Skipped` with the
reason in words a radiographer understands (not DICOM, truncated, no pixel
data, a header value that is not a number, ...).  Nothing here raises on a bad
file, and nothing blocks: only regular files are opened (a FIFO or a device
is refused before a byte is read), large values are not loaded, and the
declared image size is checked against the bytes the file really holds.

Enhanced (multi-frame) CT and MR keep their geometry in functional groups:
the shared group holds what every frame has in common, the per-frame group
what changes (position, often orientation, rescale, window, the time point).
Each frame becomes a :class:`FrameInfo`; a classic single-frame file has one.
"""

from __future__ import annotations

import math
import os
import stat
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, TypeVar

import pydicom
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.errors import InvalidDicomError
from pydicom.tag import BaseTag

from mdt.imaging import limits

SEG_SOP_CLASSES = frozenset({
    "1.2.840.10008.5.1.4.1.1.66.4",  # Segmentation Storage
    "1.2.840.10008.5.1.4.1.1.66.7",  # Label Map Segmentation Storage
})
DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
DEFLATED = "1.2.840.10008.1.2.1.99"
NATIVE_SYNTAXES = frozenset({"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", DEFLATED, ""})
_PIXEL_TAGS = {0x7FE00010, 0x7FE00008, 0x7FE00009}
_UNDEFINED = 0xFFFFFFFF

Phase = tuple[tuple[str, str], ...]
"""What tells repeated acquisitions of one position apart, as ordered (key, value) pairs.

Keys, in the order they are tried when a stack must be split:
``temporal`` (Temporal Position Index / Identifier), ``trigger`` (trigger
delay, ms), ``acquisition`` (Acquisition Number), ``time`` (acquisition time,
seconds since midnight) and ``echo`` (echo time, ms)."""
PHASE_KEYS = ("temporal", "trigger", "acquisition", "time", "echo")


class BadHeader(ValueError):
    """A header value that cannot be right (message names the attribute and the value)."""


@dataclass(frozen=True, slots=True)
class FrameInfo:
    """Geometry and time point of one frame (one slice of the image)."""
    position: tuple[float, float, float] | None
    orientation: tuple[float, float, float, float, float, float] | None
    pixel_spacing: tuple[float, float] | None
    phase: Phase = ()


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
    frame_info: tuple[FrameInfo, ...] = ()
    """One entry per frame; empty means one frame described by the fields above."""
    phase: Phase = ()
    undecodable: str = ""
    """Why this build cannot decode the pixels (no decoder for the syntax), or ""."""

    @property
    def is_seg(self) -> bool:
        return self.sop_class_uid in SEG_SOP_CLASSES

    def frame_list(self) -> tuple[FrameInfo, ...]:
        """Every frame's geometry (a single-frame file: its own header)."""
        if self.frame_info:
            return self.frame_info
        return (FrameInfo(self.position, self.orientation, self.pixel_spacing, self.phase),)


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

    def _elem(self, tag: BaseTag) -> DataElement | RawDataElement | None:
        return self.ds._dict.get(tag)  # noqa: SLF001 - raw access is the point (see class doc)

    def text(self, tag: BaseTag) -> str:
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

    def numbers(self, tag: BaseTag, name: str, count: int | None = None) -> list[float] | None:
        """Finite numbers, or None when absent; BadHeader when present but not numbers."""
        return numbers_from(self.text(tag), name, count)

    def number(self, tag: BaseTag, name: str) -> float | None:
        values = self.numbers(tag, name)
        return values[0] if values else None

    def integer(self, tag: BaseTag, name: str) -> int | None:
        return integer_from(self.text(tag), name)

    def ushort(self, tag: BaseTag) -> int | None:
        elem = self._elem(tag)
        if elem is None:
            return None
        value = elem.value
        if isinstance(value, bytes):
            if len(value) < 2:
                return None
            # Raw bytes carry their encoding; a converted element uses the file's.
            little = elem.is_little_endian if isinstance(elem, RawDataElement) else \
                self.ds.original_encoding[1] is not False
            return int(struct.unpack("<H" if little else ">H", value[:2])[0])
        if value is None:  # a deferred or empty element
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return None


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def numbers_from(text: str, name: str, count: int | None = None) -> list[float] | None:
    text = text.strip()
    if not text:
        return None
    parts = text.split("\\")
    try:
        values = [float(v) for v in parts]
    except ValueError:
        raise BadHeader(f"{name} “{_shown(text)}” is not a number") from None
    if not all(math.isfinite(v) for v in values):
        raise BadHeader(f"{name} “{_shown(text)}” is not a finite number")
    if count is not None and len(values) != count:
        raise BadHeader(f"{name} “{_shown(text)}” must hold {count} numbers")
    return values


def integer_from(text: str, name: str) -> int | None:
    values = numbers_from(text, name)
    if not values:
        return None
    v = values[0]
    if v != int(v) or abs(v) > limits.MAX_HEADER_INTEGER:
        raise BadHeader(f"{name} “{_shown(text)}” is not a whole number in range")
    return int(v)


def _orientation(values: list[float] | None, name: str) -> tuple[float, float, float, float, float, float] | None:
    if values is None:
        return None
    if len(values) != 6:
        raise BadHeader(f"{name} must hold 6 numbers (got {len(values)})")
    row, col = values[:3], values[3:]
    nr, nc = math.hypot(*row), math.hypot(*col)
    dot = sum(a * b for a, b in zip(row, col, strict=True))
    if not (0.9 < nr < 1.1 and 0.9 < nc < 1.1) or abs(dot) > 0.1:
        raise BadHeader(f"{name} {values} are not two perpendicular unit directions")
    return (values[0], values[1], values[2], values[3], values[4], values[5])


def _spacing(values: list[float] | None, name: str) -> tuple[float, float] | None:
    if values is None:
        return None
    if len(values) != 2 or not all(0 < v < limits.MAX_PIXEL_SPACING_MM for v in values):
        raise BadHeader(f"{name} {values} is not two positive distances in mm")
    return (values[0], values[1])


def _position(values: list[float] | None, name: str) -> tuple[float, float, float] | None:
    if values is None:
        return None
    if len(values) != 3 or not all(abs(v) < limits.MAX_POSITION_MM for v in values):
        raise BadHeader(f"{name} {values} is not a position in mm (three numbers)")
    return (values[0], values[1], values[2])


def _tags(table: dict[str, int]) -> dict[str, BaseTag]:
    """Tags as BaseTag, the key type of a dataset's raw element dictionary."""
    return {name: BaseTag(tag) for name, tag in table.items()}


# Tags, not keywords: faster dictionary look-ups.
_T = _tags({
    "PatientID": 0x00100020, "PatientName": 0x00100010, "PatientBirthDate": 0x00100030,
    "PatientSex": 0x00100040, "StudyInstanceUID": 0x0020000D, "StudyDate": 0x00080020,
    "StudyDescription": 0x00081030, "SeriesInstanceUID": 0x0020000E, "SeriesNumber": 0x00200011,
    "SeriesDescription": 0x0008103E, "Modality": 0x00080060, "SOPInstanceUID": 0x00080018,
    "SOPClassUID": 0x00080016, "InstanceNumber": 0x00200013, "ImagePositionPatient": 0x00200032,
    "ImageOrientationPatient": 0x00200037, "PixelSpacing": 0x00280030, "SliceThickness": 0x00180050,
    "AcquisitionNumber": 0x00200012, "TemporalPositionIdentifier": 0x00200100, "Rows": 0x00280010,
    "Columns": 0x00280011, "NumberOfFrames": 0x00280008, "TriggerTime": 0x00181060,
    "AcquisitionTime": 0x00080032, "EchoTime": 0x00180081, "BitsAllocated": 0x00280100,
    "SamplesPerPixel": 0x00280002, "SharedFunctionalGroupsSequence": 0x52009229,
    "PerFrameFunctionalGroupsSequence": 0x52009230, "BitsStored": 0x00280101,
})


def parse_da(value: object) -> date | None:
    text = str(value or "").strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def tm_seconds(value: object) -> float | None:
    """DICOM TM (HHMMSS.FFFFFF) or the time part of a DT as seconds since midnight; None if unreadable."""
    text = str(value or "").strip()
    if len(text) >= 14 and text[:8].isdigit():  # DT: YYYYMMDDHHMMSS...
        text = text[8:]
    text = text.split("+")[0].split("-")[0].replace(":", "")
    try:
        hh = int(text[0:2]) if len(text) >= 2 else None
        mm = int(text[2:4]) if len(text) >= 4 else 0
        ss = float(text[4:]) if len(text) > 4 else 0.0
    except ValueError:
        return None
    if hh is None or not (0 <= hh < 24 and 0 <= mm < 60 and 0 <= ss < 61):
        return None
    return hh * 3600 + mm * 60 + ss


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _phase(pairs: list[tuple[str, str | float | None]]) -> Phase:
    out: list[tuple[str, str]] = []
    for key, value in pairs:
        if value is None or value == "":
            continue
        out.append((key, value if isinstance(value, str) else _fmt(value)))
    return tuple(out)


def _pixel_data_check(fp: BinaryIO, explicit_le: bool, file_size: int) -> tuple[str | None, int, int]:
    """Check the pixel data element the header read stopped at.

    Returns (problem or None, native length in bytes or -1 when encapsulated,
    number of compressed fragments).  ``stop_before_pixels`` leaves the file
    positioned on the Pixel Data tag, so a length check here finds files cut
    short in transit without decoding them.
    """
    start = fp.tell()
    head = fp.read(12)
    if len(head) < 8:
        return "no pixel data", 0, 0
    group, elem = struct.unpack("<HH", head[:4])
    if (group << 16 | elem) not in _PIXEL_TAGS:
        return "no pixel data", 0, 0
    if explicit_le:
        if len(head) < 12:
            return "truncated (pixel data header cut short)", 0, 0
        if head[4:6] not in (b"OB", b"OW", b"OF", b"OD", b"UN"):
            # Explicit VR announced, implicit body: the 4 bytes after the tag are the length.
            explicit_le = False
    if explicit_le:
        length = struct.unpack("<I", head[8:12])[0]
        value_start = start + 12
    else:
        length = struct.unpack("<I", head[4:8])[0]
        value_start = start + 8
    if length == _UNDEFINED:
        # Encapsulated (compressed) frames: walk the item headers (cheap, no
        # decoding) up to the sequence delimiter; running past the end = cut short.
        pos = value_start
        fragments = -1  # the first item is the basic offset table
        while True:
            fp.seek(pos)
            item = fp.read(8)
            if len(item) < 8:
                return "truncated (compressed pixel data cut short)", -1, fragments
            tag = item[:4]
            item_len = struct.unpack("<I", item[4:8])[0]
            if tag == b"\xfe\xff\xdd\xe0":
                return None, -1, max(fragments, 0)
            if tag != b"\xfe\xff\x00\xe0" or item_len == _UNDEFINED:
                return "corrupt compressed pixel data", -1, fragments
            fragments += 1
            pos += 8 + item_len
            if pos > file_size:
                return "truncated (compressed pixel data cut short)", -1, fragments
    if value_start + length > file_size:
        return f"truncated ({file_size - value_start} of {length} bytes of pixel data)", length, 0
    return None, length, 0


def _open_regular(path: str) -> tuple[BinaryIO, os.stat_result]:
    """Open ``path`` for reading only if it is a regular file (never blocks on a FIFO or a device)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise IsADirectoryError(f"not a regular file ({_file_kind(st.st_mode)})")
        return os.fdopen(fd, "rb"), st
    except BaseException:
        os.close(fd)
        raise


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def _seq_item(ds: pydicom.Dataset | None, tag: BaseTag) -> pydicom.Dataset | None:
    if ds is None or ds._dict.get(tag) is None:  # noqa: SLF001
        return None
    value = ds[tag].value
    return value[0] if value else None


_SEQ = _tags({
    "PlanePositionSequence": 0x00209113, "PlaneOrientationSequence": 0x00209116,
    "PixelMeasuresSequence": 0x00289110, "FrameContentSequence": 0x00209111,
    "CardiacSynchronizationSequence": 0x00189118, "MREchoSequence": 0x00189114,
})
_LEAF = _tags({
    "ImagePositionPatient": 0x00200032, "ImageOrientationPatient": 0x00200037, "PixelSpacing": 0x00280030,
    "SliceThickness": 0x00180050, "TemporalPositionIndex": 0x00209128,
    "NominalCardiacTriggerDelayTime": 0x00209153, "FrameAcquisitionNumber": 0x00209156,
    "FrameAcquisitionDateTime": 0x00189074, "EffectiveEchoTime": 0x00189082,
})
_BINARY_VRS = {"UL", "US", "SL", "SS", "FD", "FL"}


def _first_item(group: pydicom.Dataset | None, seq_tag: BaseTag) -> pydicom.Dataset | None:
    """The first item of sequence ``seq_tag`` in a functional group item, or None (raw look-up: fast)."""
    if group is None or group._dict.get(seq_tag) is None:  # noqa: SLF001 - see _Raw
        return None
    items = group[seq_tag].value
    return items[0] if items else None


def _leaf_text(item: pydicom.Dataset, tag: BaseTag) -> str:
    elem = item._dict.get(tag)  # noqa: SLF001
    if elem is None:
        return ""
    if elem.VR in _BINARY_VRS:
        return _text_of(item[tag].value)
    return _Raw(item).text(tag)


def _group_text(groups: list[pydicom.Dataset | None], seq: str, attr: str) -> str:
    """``attr`` (as text) from the first of ``groups`` (per-frame, then shared) that has ``seq`` with it."""
    seq_tag, tag = _SEQ[seq], _LEAF[attr]
    for g in groups:
        item = _first_item(g, seq_tag)
        if item is not None:
            text = _leaf_text(item, tag)
            if text:
                return text
    return ""


def _text_of(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return "\\".join(str(v) for v in value)
    return str(value)


def _functional_frames(ds: pydicom.Dataset, frames: int) -> tuple[tuple[FrameInfo, ...], float | None]:
    """Per-frame geometry of an enhanced multi-frame image; ((), None) for a classic one."""
    shared = _seq_item(ds, _T["SharedFunctionalGroupsSequence"])
    per_elem = ds._dict.get(_T["PerFrameFunctionalGroupsSequence"])  # noqa: SLF001
    if shared is None and per_elem is None:
        return (), None
    per = list(ds[_T["PerFrameFunctionalGroupsSequence"]].value) if per_elem is not None else []
    if per and len(per) != frames:
        raise BadHeader(f"PerFrameFunctionalGroupsSequence has {len(per)} items for NumberOfFrames {frames}")
    out: list[FrameInfo] = []
    thickness: float | None = None
    # Shared values repeat on every frame: each distinct text is parsed once.
    positions: dict[str, tuple[float, float, float] | None] = {}
    orientations: dict[str, tuple[float, float, float, float, float, float] | None] = {}
    spacings: dict[str, tuple[float, float] | None] = {}
    for i in range(frames):
        groups = [per[i] if per else None, shared]
        where = f"frame {i + 1}: "

        def value(seq: str, attr: str, groups: list[pydicom.Dataset | None] = groups) -> str:
            return _group_text(groups, seq, attr)

        pos = _parse_once(positions, _position, value("PlanePositionSequence", "ImagePositionPatient"),
                          where + "ImagePositionPatient")
        orient = _parse_once(orientations, _orientation,
                             value("PlaneOrientationSequence", "ImageOrientationPatient"),
                             where + "ImageOrientationPatient")
        spacing = _parse_once(spacings, _spacing, value("PixelMeasuresSequence", "PixelSpacing"),
                              where + "PixelSpacing")
        if thickness is None:
            t = numbers_from(value("PixelMeasuresSequence", "SliceThickness"), where + "SliceThickness")
            thickness = t[0] if t else None
        phase = _phase([
            ("temporal", _num_text(value("FrameContentSequence", "TemporalPositionIndex"),
                                   where + "TemporalPositionIndex")),
            ("trigger", _num_text(value("CardiacSynchronizationSequence", "NominalCardiacTriggerDelayTime"),
                                  where + "NominalCardiacTriggerDelayTime")),
            ("acquisition", _num_text(value("FrameContentSequence", "FrameAcquisitionNumber"),
                                      where + "FrameAcquisitionNumber")),
            ("time", tm_seconds(value("FrameContentSequence", "FrameAcquisitionDateTime"))),
            ("echo", _num_text(value("MREchoSequence", "EffectiveEchoTime"), where + "EffectiveEchoTime"))])
        out.append(FrameInfo(pos, orient, spacing, phase))
    return tuple(out), thickness


_Parsed = TypeVar("_Parsed")


def _parse_once(cache: dict[str, _Parsed], parse: Callable[[list[float] | None, str], _Parsed],
                text: str, name: str) -> _Parsed:
    """``parse`` of the numbers in ``text`` (``name`` for the message), cached by text."""
    if text not in cache:
        cache[text] = parse(numbers_from(text, name), name)
    return cache[text]


def _num_text(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    values = numbers_from(_text_of(value), name)
    return _fmt(values[0]) if values else None


def _frame_bytes(ds: pydicom.Dataset, raw: _Raw, rows: int, cols: int) -> int | None:
    bits = raw.ushort(_T["BitsAllocated"])
    samples = raw.ushort(_T["SamplesPerPixel"]) or 1
    if not bits:
        return None
    return (rows * cols * samples * bits + 7) // 8


def read_header(path: str | os.PathLike[str]) -> InstanceHeader | Skipped:
    """Index one file.  Never raises for a bad file: returns :class:`Skipped`."""
    p = str(path)
    try:
        fp, st = _open_regular(p)
    except IsADirectoryError as exc:
        return Skipped(p, str(exc))
    except OSError as exc:
        return Skipped(p, f"cannot read file ({exc.strerror or exc})")
    size, mtime = st.st_size, st.st_mtime_ns
    if size == 0:
        fp.close()
        return Skipped(p, "empty file", size, mtime)
    try:
        with fp:
            try:
                ds = pydicom.dcmread(fp, stop_before_pixels=True, defer_size=limits.DEFER_SIZE)
            except InvalidDicomError:
                # Preamble-less files exist (old modalities); accept them only if
                # the forced parse finds the identifying UIDs below.
                fp.seek(0)
                ds = pydicom.dcmread(fp, stop_before_pixels=True, force=True, defer_size=limits.DEFER_SIZE)
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
            native_len, fragments = -2, 0
            if tsyntax == DEFLATED:
                # The body is a zlib stream: pydicom inflated it while reading; the
                # pixel data is checked at display time.
                problem = None if raw.ushort(_T["Rows"]) else "no pixel data"
            elif not little_endian:
                # Retired big-endian syntax: trust the parse, check presence only.
                problem = None if raw.ushort(_T["Rows"]) else "no pixel data"
            else:
                problem, native_len, fragments = _pixel_data_check(fp, not implicit_vr, size)
            if problem:
                return Skipped(p, problem, size, mtime)
            header = _build(p, size, mtime, ds, raw, tsyntax, sop_uid, sop_class, series_uid, study_uid,
                            native_len, fragments)
    except BadHeader as exc:
        return Skipped(p, f"bad header: {exc}", size, mtime)
    except (InvalidDicomError, EOFError) as exc:
        return Skipped(p, f"not a DICOM file ({exc})" if "DICM" not in str(exc) else "not a DICOM file",
                       size, mtime)
    except Exception as exc:  # any parse failure of one file must not stop an import
        return Skipped(p, f"unreadable DICOM header ({type(exc).__name__}: {_shown(str(exc))})", size, mtime)
    return header


def _build(p: str, size: int, mtime: int, ds: pydicom.Dataset, raw: _Raw, tsyntax: str, sop_uid: str,
           sop_class: str, series_uid: str, study_uid: str, native_len: int,
           fragments: int) -> InstanceHeader | Skipped:
    rows, cols = raw.ushort(_T["Rows"]), raw.ushort(_T["Columns"])
    if not rows or not cols:
        return Skipped(p, "no image size (Rows/Columns)", size, mtime)
    frames = raw.integer(_T["NumberOfFrames"], "NumberOfFrames")
    if frames is None:
        frames = 1
    if not 1 <= frames <= limits.MAX_FRAMES:
        raise BadHeader(f"NumberOfFrames {frames} is outside 1..{limits.MAX_FRAMES}")
    frame_bytes = _frame_bytes(ds, raw, rows, cols)
    if native_len >= 0:
        # Uncompressed: the pixel data must hold every frame the header announces.
        if frame_bytes is None:
            raise BadHeader("BitsAllocated missing: the image size cannot be checked")
        if frame_bytes * frames > native_len:
            raise BadHeader(f"Rows {rows} × Columns {cols} × NumberOfFrames {frames} need "
                            f"{frame_bytes * frames} bytes of pixel data; the file holds {native_len}")
    elif native_len == -1 and frames > max(fragments, 1):
        # Compressed: every frame is at least one fragment.
        raise BadHeader(f"NumberOfFrames {frames} but the compressed pixel data holds {fragments} fragment(s)")
    series_number = raw.integer(_T["SeriesNumber"], "SeriesNumber")
    instance_number = raw.integer(_T["InstanceNumber"], "InstanceNumber")
    position = _position(raw.numbers(_T["ImagePositionPatient"], "ImagePositionPatient"), "ImagePositionPatient")
    orientation = _orientation(raw.numbers(_T["ImageOrientationPatient"], "ImageOrientationPatient"),
                               "ImageOrientationPatient")
    spacing = _spacing(raw.numbers(_T["PixelSpacing"], "PixelSpacing"), "PixelSpacing")
    thickness = raw.number(_T["SliceThickness"], "SliceThickness")
    acquisition = raw.text(_T["AcquisitionNumber"])
    temporal = raw.text(_T["TemporalPositionIdentifier"])
    phase = _phase([("temporal", _num_text(temporal, "TemporalPositionIdentifier")),
                    ("trigger", _num_text(raw.text(_T["TriggerTime"]), "TriggerTime")),
                    ("acquisition", _num_text(acquisition, "AcquisitionNumber")),
                    ("time", tm_seconds(raw.text(_T["AcquisitionTime"]))),
                    ("echo", _num_text(raw.text(_T["EchoTime"]), "EchoTime"))])
    frame_info: tuple[FrameInfo, ...] = ()
    if sop_class not in SEG_SOP_CLASSES:
        frame_info, fg_thickness = _functional_frames(ds, frames)
        if frame_info:
            first = frame_info[0]
            position = position or first.position
            orientation = orientation or first.orientation
            spacing = spacing or first.pixel_spacing
            thickness = thickness if thickness is not None else fg_thickness
            # Frames without their own geometry inherit the file's (classic tags).
            frame_info = tuple(FrameInfo(f.position, f.orientation or orientation, f.pixel_spacing or spacing,
                                         f.phase or phase) for f in frame_info)
        elif frames > 1:
            # Classic multi-frame (cine, NM): one position for all frames is no
            # spatial order; the frames keep their stored order.
            frame_info = tuple(FrameInfo(None, orientation, spacing, (("frame", str(k)),))
                               for k in range(frames))
    from mdt.imaging.decoders import undecodable_reason

    return InstanceHeader(
        path=p, size=size, mtime_ns=mtime,
        sop_instance_uid=sop_uid, sop_class_uid=sop_class, series_uid=series_uid, study_uid=study_uid,
        patient_id=raw.text(_T["PatientID"]),
        patient_name=raw.text(_T["PatientName"]),
        patient_sex=raw.text(_T["PatientSex"]),
        patient_birth_date=parse_da(raw.text(_T["PatientBirthDate"])),
        study_date=parse_da(raw.text(_T["StudyDate"])),
        study_description=raw.text(_T["StudyDescription"]),
        series_number=series_number,
        series_description=raw.text(_T["SeriesDescription"]),
        modality=raw.text(_T["Modality"]),
        instance_number=instance_number,
        position=position,
        orientation=orientation,
        pixel_spacing=spacing,
        slice_thickness=thickness,
        acquisition=acquisition,
        rows=rows, columns=cols,
        frames=frames,
        transfer_syntax=tsyntax,
        frame_info=frame_info,
        phase=phase,
        undecodable=undecodable_reason(tsyntax, raw.ushort(_T["BitsStored"]) or 0),
    )


def iter_files(folder: str | os.PathLike[str]) -> Iterator[str]:
    """Every regular file under ``folder`` (os.scandir, depth first, sorted for stable order).

    Symbolic links to folders are not followed (no loops); a link to a file is
    listed and checked like any file when it is read.
    """
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
            try:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(Path(entry.path))
                elif not entry.is_dir():
                    # Pipes, devices and broken links are listed too: reading
                    # refuses them with their reason instead of hiding them.
                    yield entry.path
            except OSError:
                continue
        stack.extend(reversed(subdirs))
