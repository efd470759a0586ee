"""A pydicom decoding plugin for JPEG Extended (1.2.840.10008.1.2.4.51) with 12-bit samples.

GDCM's Python wheel and Pillow decode 8-bit JPEG only; the usual 12-bit decoder
(pylibjpeg-libjpeg) is GPL-3.0 and cannot ship in this bundle.  imagecodecs
(BSD-3-Clause) wraps libjpeg-turbo 3 (IJG, BSD-3-Clause and zlib licences),
which decodes 12-bit lossy JPEG.  Registered by :func:`mdt.imaging.decoders.register`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydicom import uid

if TYPE_CHECKING:
    from pydicom.pixels.decoders.base import DecodeRunner

DECODER_DEPENDENCIES = {uid.JPEGExtended12Bit: ("imagecodecs>=2023.8.12",)}


def is_available(tsyntax: str) -> bool:
    if tsyntax != uid.JPEGExtended12Bit:
        return False
    try:
        from imagecodecs import jpeg8_decode, jpeg8_version
    except ImportError:
        return False
    # 12-bit lossy JPEG came with libjpeg-turbo 3.
    version = jpeg8_version().split()[-1].split("/")[0]
    try:
        return int(version.split(".")[0]) >= 3 and jpeg8_decode is not None
    except ValueError:
        return False


def _decode_frame(src: bytes, runner: DecodeRunner) -> bytes:
    from imagecodecs import jpeg8_decode

    arr = jpeg8_decode(src)
    if runner.samples_per_pixel == 1 and arr.ndim == 3:
        arr = arr[..., 0]
    # libjpeg-turbo returns 12-bit samples in 16-bit containers, 8-bit in 8-bit.
    if arr.dtype.itemsize == 1:
        runner.set_option("bits_allocated", 8)
    return arr.tobytes()
