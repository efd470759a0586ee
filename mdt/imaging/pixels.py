"""Series pixels on demand: read a slice when it is shown, the rest in the background.

The volume keeps the *stored* values (no copy into float), with each slice's
rescale slope/intercept beside it; display goes through a cached lookup table
(:mod:`mdt.imaging.windowing`), and HU are computed only where asked for.
Reading is thread-safe per slice, so a worker thread can fill the volume while
the window shows the slices already read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from io import BufferedIOBase

import numpy as np
import pydicom
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from mdt.imaging.series import SeriesInfo
from mdt.imaging.windowing import GRAY_TO_RGB32, apply_lut, auto_window, build_lut, window_values

_NATIVE_LE = {ExplicitVRLittleEndian, ImplicitVRLittleEndian}


class SliceReadError(Exception):
    """One image could not be decoded (reason in the message)."""


def _to_gray(arr: np.ndarray) -> np.ndarray:
    # Colour images (ultrasound captures, screenshots) are shown as luminance.
    return (arr[..., 0] * 0.299 + arr[..., 1] * 0.587 + arr[..., 2] * 0.114).astype(np.float32)


def _native_dtype(ds: pydicom.Dataset, frames: int) -> np.dtype | None:
    """The numpy type of plain uncompressed single-sample pixels, or None when pydicom must decode."""
    ts = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    bits = int(ds.get("BitsAllocated", 0) or 0)
    if (ts in _NATIVE_LE and frames == 1 and int(ds.get("SamplesPerPixel", 1)) == 1
            and bits in (8, 16) and int(ds.get("BitsStored", bits)) == bits
            and "ModalityLUTSequence" not in ds):
        signed = int(ds.get("PixelRepresentation", 0)) == 1
        return np.dtype(("<i" if signed else "<u") + str(bits // 8))
    return None


def _read_into(fp: BufferedIOBase, ds: pydicom.Dataset, out: np.ndarray) -> bool:
    """Read native pixel data straight into ``out`` (no intermediate bytes); False if it does not fit."""
    head = fp.read(8)
    if len(head) < 8 or head[:4] != b"\xe0\x7f\x10\x00":
        return False
    implicit, _little = ds.original_encoding
    if implicit:
        length = int.from_bytes(head[4:8], "little")
    else:
        length = int.from_bytes(fp.read(4), "little")  # OB/OW: 2 reserved bytes, then a 4-byte length
    if length < out.nbytes:
        return False
    view = out.reshape(-1).view(np.uint8).data
    return fp.readinto(view) == out.nbytes


def read_pixels(path: str, frame: int = 0, out: np.ndarray | None = None
                ) -> tuple[np.ndarray, float, float, pydicom.Dataset]:
    """(stored values, slope, intercept, header) of one frame.  SliceReadError on failure.

    With ``out`` (a C-contiguous slot of the series volume), plain uncompressed
    pixels are read from the file directly into it.
    """
    try:
        with open(path, "rb") as fp:
            ds = pydicom.dcmread(fp, stop_before_pixels=True)
            slope = float(ds.get("RescaleSlope", 1) or 1)
            intercept = float(ds.get("RescaleIntercept", 0) or 0)
            frames = int(ds.get("NumberOfFrames", 1) or 1)
            dtype = _native_dtype(ds, frames)
            rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
            if dtype is not None and rows and cols:
                fits = (out is not None and out.dtype == dtype and out.shape == (rows, cols)
                        and out.flags["C_CONTIGUOUS"])
                target = out if out is not None and fits else np.empty((rows, cols), dtype=dtype)
                if _read_into(fp, ds, target):
                    return target, slope, intercept, ds
            fp.seek(0)
            ds = pydicom.dcmread(fp)
        arr = ds.pixel_array if frames == 1 else pydicom.pixels.pixel_array(ds, index=frame)
        if "ModalityLUTSequence" in ds:
            arr = pydicom.pixels.apply_rescale(arr, ds).astype(np.float32)
            slope, intercept = 1.0, 0.0
        if arr.ndim == 3 and arr.shape[-1] in (3, 4):
            arr = _to_gray(arr)
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
                arr, slope, intercept, ds = read_pixels(ref.path, ref.frame, slot)
            except SliceReadError as exc:
                with self._lock:
                    self.errors[i] = str(exc)
                    self.loaded[i] = True
                    if self.raw is None:
                        self.raw = np.zeros((self.n, self.series.rows or 1, self.series.columns or 1),
                                            dtype=np.int16)
                return self.raw[i]
            if self.header_window is None:
                self._read_display_attributes(ds)
            if slot is not None and arr is slot:
                # Read straight into the volume: nothing to copy.
                self.slope[i], self.intercept[i] = slope, intercept
                self.loaded[i] = True
            else:
                self._store(i, arr, slope, intercept)
        assert self.raw is not None
        return self.raw[i]

    def _read_display_attributes(self, ds: pydicom.Dataset) -> None:
        self.invert = str(ds.get("PhotometricInterpretation", "")) == "MONOCHROME1"
        wc, ww = ds.get("WindowCenter"), ds.get("WindowWidth")
        try:
            center = float(wc[0] if isinstance(wc, pydicom.multival.MultiValue) else wc)
            width = float(ww[0] if isinstance(ww, pydicom.multival.MultiValue) else ww)
            if width > 0:
                self.header_window = (center, width)
        except (TypeError, ValueError):
            pass

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
