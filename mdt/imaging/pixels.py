"""Series pixels on demand: read a slice when it is shown, the rest in the background.

The volume keeps the *stored* values (no copy into float), with each slice's
rescale slope/intercept beside it; display goes through a cached lookup table
(:mod:`mdt.imaging.windowing`), and HU are computed only where asked for.
Reading is thread-safe per slice, so a worker thread can fill the volume while
the window shows the slices already read.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Sequence
from io import BufferedReader
from typing import SupportsFloat

import numpy as np
import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from mdt.imaging.decoders import register as register_decoders
from mdt.imaging.series import SeriesInfo
from mdt.imaging.windowing import GRAY_TO_RGB32, apply_lut, auto_window, build_lut, window_values

_NATIVE_LE = {ExplicitVRLittleEndian, ImplicitVRLittleEndian}
_EXPLICIT_VRS = {b"OB", b"OW", b"OF", b"OD", b"UN"}


class SliceReadError(Exception):
    """One image could not be decoded (reason in the message)."""


def _to_gray(arr: np.ndarray) -> np.ndarray:
    # Colour images (ultrasound captures, screenshots) are shown as luminance.
    return (arr[..., 0] * 0.299 + arr[..., 1] * 0.587 + arr[..., 2] * 0.114).astype(np.float32)


def _transfer_syntax(ds: pydicom.Dataset) -> str:
    """The file's transfer syntax; for a file without file meta, the encoding its body was read in."""
    meta = getattr(ds, "file_meta", None)
    ts = str(meta.get("TransferSyntaxUID", "") or "") if meta is not None else ""
    if ts:
        return ts
    implicit, little = ds.original_encoding
    syntax = ImplicitVRLittleEndian if implicit else (ExplicitVRLittleEndian if little else ExplicitVRBigEndian)
    if meta is None:
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax  # pydicom's decoders need it; the file is not changed
    return str(syntax)


def _native_dtype(ds: pydicom.Dataset) -> np.dtype | None:
    """The numpy type of plain uncompressed single-sample pixels, or None when pydicom must decode."""
    ts = _transfer_syntax(ds)
    bits = int(ds.get("BitsAllocated", 0) or 0)
    if (ts in _NATIVE_LE and int(ds.get("SamplesPerPixel", 1)) == 1
            and bits in (8, 16) and int(ds.get("BitsStored", bits)) == bits
            and "ModalityLUTSequence" not in ds):
        signed = int(ds.get("PixelRepresentation", 0)) == 1
        return np.dtype(("<i" if signed else "<u") + str(bits // 8))
    return None


def _read_into(fp: BufferedReader, pixel_pos: int, frame: int, out: np.ndarray) -> bool:
    """Read one native frame straight into ``out`` (no intermediate bytes); False if it does not fit."""
    fp.seek(pixel_pos)
    head = fp.read(12)
    if len(head) < 8 or head[:4] != b"\xe0\x7f\x10\x00":
        return False
    if head[4:6] in _EXPLICIT_VRS and len(head) == 12:
        length, value_start = int.from_bytes(head[8:12], "little"), pixel_pos + 12
    else:  # implicit VR (also an "explicit" file whose body is implicit)
        length, value_start = int.from_bytes(head[4:8], "little"), pixel_pos + 8
    if length == 0xFFFFFFFF or length < out.nbytes * (frame + 1):
        return False
    fp.seek(value_start + out.nbytes * frame)
    view = out.reshape(-1).view(np.uint8).data  # a writable memoryview of out's bytes
    return fp.readinto(view) == out.nbytes


def _first(seq_value: Sequence[pydicom.Dataset] | None) -> pydicom.Dataset | None:
    return seq_value[0] if seq_value else None


def _functional(ds: pydicom.Dataset, frame: int, seq: str) -> pydicom.Dataset | None:
    """Item of functional group ``seq`` for ``frame``: per-frame first, then shared; None."""
    per = ds.get("PerFrameFunctionalGroupsSequence")
    if per is not None and frame < len(per) and seq in per[frame]:
        return _first(per[frame][seq].value)
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared and seq in shared[0]:
        return _first(shared[0][seq].value)
    return None


def _number(value: object, default: float | None) -> float | None:
    if isinstance(value, pydicom.multival.MultiValue):
        value = value[0] if value else None
    if not isinstance(value, (str, bytes, SupportsFloat)):  # absent (None) or not a number
        return default
    try:
        v = float(value)
    except (TypeError, ValueError):
        return default
    return v if np.isfinite(v) else default


def frame_display(ds: pydicom.Dataset, frame: int) -> tuple[float, float, tuple[float, float] | None]:
    """(rescale slope, intercept, header window (centre, width) or None) of one frame.

    Enhanced images keep these per frame (Pixel Value Transformation and Frame
    VOI LUT functional groups); classic images in the top-level header.
    """
    pvt = _functional(ds, frame, "PixelValueTransformationSequence")
    voi = _functional(ds, frame, "FrameVOILUTSequence")
    src = pvt if pvt is not None else ds
    slope = _number(src.get("RescaleSlope", 1), 1.0) or 1.0
    intercept = _number(src.get("RescaleIntercept", 0), 0.0) or 0.0
    wsrc = voi if voi is not None else ds
    center, width = _number(wsrc.get("WindowCenter"), None), _number(wsrc.get("WindowWidth"), None)
    window = (center, width) if center is not None and width is not None and width > 0 else None
    return slope, intercept, window


class _FileEntry:
    """A file's header (and, once decoded, its whole dataset), kept while its frames are read."""

    __slots__ = ("ds", "full", "pixel_pos")

    def __init__(self, ds: pydicom.Dataset, pixel_pos: int) -> None:
        self.ds = ds
        self.pixel_pos = pixel_pos
        self.full: pydicom.Dataset | None = None


def _open(path: str) -> BufferedReader:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_pixels(path: str, frame: int = 0, out: np.ndarray | None = None,
                cache: dict[str, _FileEntry] | None = None,
                ) -> tuple[np.ndarray, float, float, pydicom.Dataset]:
    """(stored values, slope, intercept, header) of one frame.  SliceReadError on failure.

    With ``out`` (a C-contiguous slot of the series volume), plain uncompressed
    pixels are read from the file directly into it.  ``cache`` keeps the header
    (and the decoded dataset) of multi-frame files between their frames.
    """
    register_decoders()
    try:
        entry = cache.get(path) if cache is not None else None
        with _open(path) as fp:
            if entry is None:
                ds: pydicom.Dataset = pydicom.dcmread(fp, stop_before_pixels=True, force=True)
                entry = _FileEntry(ds, fp.tell())
                if cache is not None and int(ds.get("NumberOfFrames", 1) or 1) > 1:
                    cache[path] = entry
            ds = entry.ds
            frames = int(ds.get("NumberOfFrames", 1) or 1)
            if not 0 <= frame < frames:
                raise SliceReadError(f"{path}: frame {frame + 1} of {frames} does not exist")
            slope, intercept, _window = frame_display(ds, frame)
            dtype = _native_dtype(ds)
            rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
            if dtype is not None and rows and cols:
                fits = (out is not None and out.dtype == dtype and out.shape == (rows, cols)
                        and out.flags["C_CONTIGUOUS"])
                target = out if fits and out is not None else np.empty((rows, cols), dtype=dtype)
                if _read_into(fp, entry.pixel_pos, frame, target):
                    return target, slope, intercept, ds
            full = entry.full
            if full is None:
                fp.seek(0)
                full = pydicom.dcmread(fp, force=True)
                _transfer_syntax(full)
                if cache is not None and frames > 1:
                    entry.full = full
        arr = pydicom.pixels.pixel_array(full, index=frame)
        if "ModalityLUTSequence" in full:
            arr = pydicom.pixels.apply_rescale(arr, full).astype(np.float32)
            slope, intercept = 1.0, 0.0
        if arr.ndim == 3 and arr.shape[-1] in (3, 4):
            arr = _to_gray(arr)
    except SliceReadError:
        raise
    except Exception as exc:  # decoder missing, corrupt stream, vanished file...
        raise SliceReadError(f"{path}: {type(exc).__name__}: {exc}") from exc
    return arr, slope, intercept, ds


class SeriesVolume:
    """Stored pixel values of one series, slice by slice, read on demand."""

    def __init__(self, series: SeriesInfo) -> None:
        self.series = series
        self.n = len(series.slices)
        self.raw: np.ndarray | None = None
        self.slope = np.ones(self.n)
        self.intercept = np.zeros(self.n)
        self.loaded = np.zeros(self.n, dtype=bool)
        self.errors: dict[int, str] = {}
        self.invert = False
        self.header_window: tuple[float, float] | None = None
        self._lock = threading.Lock()
        self._luts: dict[tuple, np.ndarray | None] = {}
        self._files: dict[str, _FileEntry] = {}

    # ---- reading
    def _store(self, i: int, arr: np.ndarray, slope: float, intercept: float) -> None:
        with self._lock:
            if self.raw is None:
                rows, cols = arr.shape[:2]
                self.raw = np.zeros((self.n, rows, cols), dtype=arr.dtype)
            if arr.shape != self.raw.shape[1:]:
                self.errors[i] = f"image size {arr.shape} differs from the series {self.raw.shape[1:]}"
                self.loaded[i] = True
                return
            if arr.dtype != self.raw.dtype:
                # Mixed storage within one series (rare): widen once to float32.
                if not np.can_cast(arr.dtype, self.raw.dtype, casting="safe"):
                    self.raw = self.raw.astype(np.float32)
            self.raw[i] = arr
            self.slope[i], self.intercept[i] = slope, intercept
            self.loaded[i] = True

    def ensure(self, i: int) -> np.ndarray:
        """The stored values of slice ``i`` (reads the file the first time)."""
        if not self.loaded[i]:
            ref = self.series.slices[i]
            try:
                slot = self.raw[i] if self.raw is not None else None
                arr, slope, intercept, ds = read_pixels(ref.path, ref.frame, slot, self._files)
            except SliceReadError as exc:
                with self._lock:
                    self.errors[i] = str(exc)
                    self.loaded[i] = True
                    if self.raw is None:
                        self.raw = np.zeros((self.n, self.series.rows or 1, self.series.columns or 1),
                                            dtype=np.int16)
                return self.raw[i]
            if self.header_window is None:
                self._read_display_attributes(ds, ref.frame)
            if slot is not None and arr is slot:
                # Read straight into the volume: nothing to copy.
                self.slope[i], self.intercept[i] = slope, intercept
                self.loaded[i] = True
            else:
                self._store(i, arr, slope, intercept)
        assert self.raw is not None
        return self.raw[i]

    def _read_display_attributes(self, ds: pydicom.Dataset, frame: int = 0) -> None:
        self.invert = str(ds.get("PhotometricInterpretation", "")) == "MONOCHROME1"
        self.header_window = frame_display(ds, frame)[2]

    def load_all(self, progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None, order: list[int] | None = None) -> bool:
        """Read every slice not yet read; False when cancelled."""
        todo = order or list(range(self.n))
        for k, i in enumerate(todo):
            if cancelled is not None and cancelled():
                return False
            self.ensure(i)
            if progress is not None:
                progress(k + 1, len(todo))
        self._files.clear()  # every frame read: the decoded multi-frame files are no longer needed
        return True

    @property
    def complete(self) -> bool:
        return bool(self.loaded.all())

    # ---- values
    def value_at(self, i: int, row: int, col: int) -> float | None:
        """The rescaled value (HU for CT) at one pixel, or None outside the image."""
        raw = self.ensure(i)
        if not (0 <= row < raw.shape[0] and 0 <= col < raw.shape[1]) or i in self.errors:
            return None
        return float(raw[row, col]) * self.slope[i] + self.intercept[i]

    def rescaled(self, i: int) -> np.ndarray:
        return self.ensure(i).astype(np.float32) * np.float32(self.slope[i]) + np.float32(self.intercept[i])

    def default_window(self, i: int = 0) -> tuple[float, float]:
        self.ensure(i)
        if self.header_window:
            return self.header_window
        if self.series.modality == "CT":
            return 40.0, 400.0
        return auto_window(self.rescaled(i))

    def _lut(self, raw: np.ndarray, i: int, center: float, width: float, rgb32: bool) -> np.ndarray | None:
        key = (raw.dtype.str, float(self.slope[i]), float(self.intercept[i]), float(center), float(width),
               self.invert)
        cache_key = key + (rgb32,)
        if cache_key in self._luts:
            return self._luts[cache_key]
        if len(self._luts) > 64:
            self._luts.clear()  # dragging the window creates many; keep memory bounded
        lut = build_lut(raw.dtype, *key[1:])
        if lut is not None and rgb32:
            lut = GRAY_TO_RGB32.take(lut)
        self._luts[cache_key] = lut
        return lut

    def windowed(self, i: int, center: float, width: float) -> np.ndarray:
        """Slice ``i`` as a C-contiguous uint8 image (grey levels)."""
        raw = self.ensure(i)
        lut = self._lut(raw, i, center, width, False)
        if lut is not None:
            return apply_lut(raw, lut)
        return window_values(self.rescaled(i), center, width, self.invert)

    def windowed_rgb32(self, i: int, center: float, width: float) -> np.ndarray:
        """Slice ``i`` as uint32 0xFFgggggg pixels: what the screen paints fastest (one table look-up)."""
        raw = self.ensure(i)
        lut = self._lut(raw, i, center, width, True)
        if lut is not None:
            return apply_lut(raw, lut)
        return GRAY_TO_RGB32.take(window_values(self.rescaled(i), center, width, self.invert))
