"""Decode a few small compressed images: proves the codec plugins made it into the bundle.

A frozen build can lose pylibjpeg's entry-point metadata, GDCM's shared
library or imagecodecs' lazily imported JPEG codec silently; this builds tiny
images with pydicom's encoders (Pillow for JPEG baseline, imagecodecs for
12-bit JPEG Extended), decodes them through each shipped plugin and compares.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pydicom.dataset import Dataset


def _dataset(arr: np.ndarray) -> Dataset:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    bits = arr.dtype.itemsize * 8
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.PixelData = arr.tobytes()
    return ds


def _pattern(dtype: type) -> np.ndarray:
    yy, xx = np.mgrid[0:32, 0:32]
    top = 4000 if dtype is np.uint16 else 250
    return ((yy * 37 + xx * 11) % top).astype(dtype)


def decode_check() -> str:
    """One line per codec checked, e.g. ``RLE Lossless via pydicom: ok``.

    Raises RuntimeError naming every codec that failed (the self-test then fails).
    """
    from pydicom import uid as U
    from pydicom.encaps import encapsulate

    results: list[str] = []
    failures: list[str] = []

    def check(name: str, ds: Dataset, expected: np.ndarray, plugin: str, tolerance: int = 0) -> None:
        try:
            got = ds.pixel_array if plugin == "" else __import__("pydicom").pixels.pixel_array(
                ds, decoding_plugin=plugin)
            diff = int(np.abs(got.astype(np.int32) - expected.astype(np.int32)).max())
            if got.shape != expected.shape or diff > tolerance:
                raise ValueError(f"decoded image differs (max error {diff})")
            results.append(f"{name} via {plugin or 'default'}: ok")
        except Exception as exc:  # report every codec, not only the first failure
            failures.append(f"{name} via {plugin or 'default'}: {type(exc).__name__}: {exc}")

    img16 = _pattern(np.uint16)
    rle = _dataset(img16)
    rle.compress(U.RLELossless, encoding_plugin="pydicom")
    for plugin in ("pydicom", "pylibjpeg"):
        check("RLE Lossless", rle, img16, plugin)

    j2k = _dataset(img16)
    try:
        j2k.compress(U.JPEG2000Lossless, encoding_plugin="pylibjpeg")
        for plugin in ("pylibjpeg", "gdcm"):
            check("JPEG 2000 Lossless", j2k, img16, plugin)
    except Exception as exc:
        failures.append(f"JPEG 2000 Lossless encode (pylibjpeg-openjpeg): {type(exc).__name__}: {exc}")

    jls = _dataset(img16)
    try:
        jls.compress(U.JPEGLSLossless, encoding_plugin="pyjpegls")
        check("JPEG-LS Lossless", jls, img16, "gdcm")
    except Exception as exc:
        failures.append(f"JPEG-LS Lossless encode (pyjpegls): {type(exc).__name__}: {exc}")

    img8 = _pattern(np.uint8)
    try:
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(img8, mode="L").save(buf, format="JPEG", quality=95)
        jpeg = _dataset(img8)
        jpeg.file_meta.TransferSyntaxUID = U.JPEGBaseline8Bit
        jpeg.PixelData = encapsulate([buf.getvalue()])
        jpeg["PixelData"].VR = "OB"
        for plugin in ("gdcm", "pillow"):
            check("JPEG Baseline", jpeg, img8, plugin, tolerance=24)
    except Exception as exc:
        failures.append(f"JPEG Baseline encode (Pillow): {type(exc).__name__}: {exc}")

    # 12-bit JPEG Extended: the only decoder shipped for it is imagecodecs' libjpeg-turbo.
    try:
        import imagecodecs

        from mdt.imaging.decoders import JPEG12_PLUGIN, register

        register()
        img12 = (_pattern(np.uint16) % 4096).astype(np.uint16)
        jpeg12 = _dataset(img12)
        jpeg12.BitsStored, jpeg12.HighBit = 12, 11
        jpeg12.file_meta.TransferSyntaxUID = U.JPEGExtended12Bit
        jpeg12.PixelData = encapsulate([bytes(imagecodecs.jpeg8_encode(img12, level=95, bitspersample=12))])
        jpeg12["PixelData"].VR = "OB"
        check("JPEG Extended 12-bit", jpeg12, img12, JPEG12_PLUGIN, tolerance=24)
    except Exception as exc:
        failures.append(f"JPEG Extended 12-bit (imagecodecs): {type(exc).__name__}: {exc}")

    if failures:
        raise RuntimeError("; ".join(failures))
    return "; ".join(results)
