"""Limits that keep one hostile or broken DICOM source from exhausting the workstation.

Technical safeguards, not clinical thresholds; each is the largest value a real
scanner export was judged to need, with room to spare.
"""

from __future__ import annotations

MAX_FRAMES = 100_000
"""NumberOfFrames above this is refused (the largest enhanced CT exports hold a few thousand)."""
MAX_HEADER_INTEGER = 2**31 - 1
"""IS values (SeriesNumber, InstanceNumber, ...) must fit the database's 32-bit integers."""
MAX_POSITION_MM = 1e6
"""A patient position more than a kilometre from the origin is a broken header."""
MAX_PIXEL_SPACING_MM = 1e3
DEFER_SIZE = 256 * 1024
"""Header values larger than this are not loaded while indexing (private blobs, icons)."""

ZIP_MAX_TOTAL_BYTES = 64 * 1024**3
"""A zip may unpack to at most this much (64 GiB: several whole-body studies)."""
ZIP_MAX_RATIO = 200
"""A member that unpacks to more than this many times its compressed size is refused (a zip bomb).
DICOM images compress about 2-10 times; even an all-black secondary capture stays below 200
at deflate's own limit (about 1030:1 only for pure zero runs of megabytes)."""
ZIP_RATIO_FLOOR_BYTES = 1024 * 1024
"""Members smaller than this unpacked are never refused for their ratio (tiny text files compress well)."""
ZIP_MAX_MEMBERS = 200_000
