"""Which compressed transfer syntaxes this build can decode, through which plugin, under which licence.

Shown in Help → About and checked by the self-test.  Only permissively
licensed decoders are shipped: pylibjpeg-libjpeg (GPLv3) is deliberately not
a dependency; JPEG baseline/lossless and JPEG-LS go through GDCM, Pillow and
pyjpegls, JPEG 2000 through OpenJPEG (pylibjpeg-openjpeg), RLE through pydicom
itself or pylibjpeg-rle.
"""

from __future__ import annotations

import importlib.metadata

from pydicom import uid as U

COMPRESSED_SYNTAXES = (
    U.JPEGBaseline8Bit, U.JPEGExtended12Bit, U.JPEGLossless, U.JPEGLosslessSV1,
    U.JPEGLSLossless, U.JPEGLSNearLossless, U.JPEG2000Lossless, U.JPEG2000,
    U.HTJ2KLossless, U.HTJ2KLosslessRPCL, U.HTJ2K, U.RLELossless,
)

# plugin -> (distribution providing the codec, licence of the codec).  Where the
# wrapper and the codec differ, the codec's licence is what matters for shipping.
_PLUGIN_DIST = {
    "gdcm": ("python-gdcm", "BSD-3-Clause (GDCM); wrapper Apache-2.0"),
    "pillow": ("pillow", "MIT-CMU (HPND)"),
    "pyjpegls": ("pyjpegls", "MIT (CharLS BSD-3-Clause)"),
    "pydicom": ("pydicom", "MIT"),
}
_PYLIBJPEG_BY_FAMILY = {
    "jpeg2000": ("pylibjpeg-openjpeg", "MIT (OpenJPEG BSD-2-Clause)"),
    "rle": ("pylibjpeg-rle", "MIT"),
    "jpeg": ("pylibjpeg-libjpeg", "GPL-3.0"),
}
GPL_MARKERS = ("GPL",)


def _family(ts: U.UID) -> str:
    if ts == U.RLELossless:
        return "rle"
    if "2000" in ts.name:
        return "jpeg2000"
    return "jpeg"


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def plugin_licence(ts: U.UID, plugin: str) -> tuple[str, str]:
    """(distribution and version, licence) of the code that decodes ``ts`` through ``plugin``."""
    if plugin == "pylibjpeg":
        dist, licence = _PYLIBJPEG_BY_FAMILY[_family(ts)]
    else:
        dist, licence = _PLUGIN_DIST.get(plugin, (plugin, "unknown"))
    return f"{dist} {_version(dist)}", licence


def available_decoders() -> list[tuple[str, str, str]]:
    """(transfer syntax name, plugin with version, licence) for every decoder usable now."""
    from pydicom.pixels.decoders.base import get_decoder

    rows: list[tuple[str, str, str]] = []
    for ts in COMPRESSED_SYNTAXES:
        try:
            decoder = get_decoder(ts)
        except NotImplementedError:
            continue
        for plugin in decoder.available_plugins:
            dist, licence = plugin_licence(ts, plugin)
            rows.append((ts.name, f"{plugin} ({dist})", licence))
    return rows


def undecodable_syntaxes() -> list[str]:
    """Compressed syntaxes with no decoder in this build (said plainly in About)."""
    from pydicom.pixels.decoders.base import get_decoder

    out = []
    for ts in COMPRESSED_SYNTAXES:
        try:
            if not get_decoder(ts).available_plugins:
                out.append(ts.name)
        except NotImplementedError:
            out.append(ts.name)
    return out


def gpl_decoders() -> list[tuple[str, str, str]]:
    """Active decoders under a GPL licence: must be empty for a shippable bundle."""
    return [row for row in available_decoders() if any(m in row[2] for m in GPL_MARKERS)]
