"""Window/level: presets and the fast stored-value → 8-bit lookup table.

Modality rescale (slope/intercept → HU for CT) comes first, then the VOI
window (DICOM PS3.3 C.11.2.1.2 linear function), then MONOCHROME1 inversion.
For interactive use a 65,536-entry uint8 table maps *stored* values straight
to display grey levels, so a slice change is one numpy ``take``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class WindowPreset:
    name: str
    center: float
    width: float
    shortcut: str = ""


# Usual abdominal CT windows (width/level in HU).  Liver 150/90: narrow window
# for the enhancing parenchyma vs hypodense metastases; abdomen 400/40 soft
# tissue; lung 1500/-600; bone 1800/400.  (Radiopaedia "Windowing (CT)";
# Hoang & al. AJR 2010 for the narrow liver window.)
PRESETS: tuple[WindowPreset, ...] = (
    WindowPreset("Liver", 90, 150, "1"),
    WindowPreset("Abdomen", 40, 400, "2"),
    WindowPreset("Lung", -600, 1500, "3"),
    WindowPreset("Bone", 400, 1800, "4"),
)
PRESETS_BY_NAME: dict[str, WindowPreset] = {p.name.lower(): p for p in PRESETS}


def window_values(values: np.ndarray, center: float, width: float, invert: bool = False) -> np.ndarray:
    """Rescaled values (HU) → uint8 with the DICOM linear VOI function."""
    width = max(float(width), 1.0)
    x = np.asarray(values, dtype=np.float64)
    if width == 1.0:
        # Width 1 is a threshold at the centre (the linear formula divides by width - 1).
        out = np.where(x > center - 0.5, 255, 0).astype(np.uint8)
    else:
        lo = center - 0.5 - (width - 1) / 2
        out = np.clip(np.rint((x - lo) / (width - 1) * 255.0), 0, 255).astype(np.uint8)
    return 255 - out if invert else out


def stored_domain(dtype: np.dtype) -> np.ndarray | None:
    """All stored values of an 8/16-bit integer type, in the order of their unsigned index."""
    dtype = np.dtype(dtype)
    if dtype == np.uint16:
        return np.arange(65536, dtype=np.uint16)
    if dtype == np.int16:
        return np.arange(65536, dtype=np.uint16).view(np.int16)
    if dtype == np.uint8:
        return np.arange(256, dtype=np.uint8)
    if dtype == np.int8:
        return np.arange(256, dtype=np.uint8).view(np.int8)
    return None


def build_lut(dtype: np.dtype, slope: float, intercept: float, center: float, width: float,
              invert: bool) -> np.ndarray | None:
    """uint8 table indexed by the stored value's unsigned bit pattern; None for other types."""
    domain = stored_domain(dtype)
    if domain is None:
        return None
    return window_values(domain.astype(np.float64) * slope + intercept, center, width, invert)


GRAY_TO_RGB32 = (np.arange(256, dtype=np.uint32) * 0x010101) | np.uint32(0xFF000000)
"""Grey level → opaque 0xFFRRGGBB: screens paint 32-bit images without a conversion per frame."""


def apply_lut(raw: np.ndarray, lut: np.ndarray) -> np.ndarray:
    index_type = np.uint16 if raw.dtype.itemsize == 2 else np.uint8
    return lut.take(raw.view(index_type))


def auto_window(values: np.ndarray) -> tuple[float, float]:
    """A window covering the 1st–99th percentile of the non-background values (MR, no header window)."""
    sample = np.asarray(values, dtype=np.float64)[::4, ::4].ravel()
    if sample.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(sample, [1, 99])
    if hi <= lo:
        hi = lo + 1
    return (lo + hi) / 2, hi - lo
