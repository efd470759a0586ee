"""Which transfer syntaxes this build can decode, through which plugin, under which licence.

Shown in Help → About, checked by the self-test, and asked at import for every
file (a file no decoder can show is indexed with the reason said plainly).
Only permissively licensed decoders are shipped: pylibjpeg-libjpeg (GPLv3) is
deliberately not a dependency.  JPEG baseline, lossless and JPEG-LS go through
GDCM, Pillow and pyjpegls; 12-bit JPEG Extended through imagecodecs'
libjpeg-turbo 3 (:mod:`mdt.imaging.jpeg12`, registered here); JPEG 2000 through
OpenJPEG (pylibjpeg-openjpeg); RLE through pydicom itself or pylibjpeg-rle.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from functools import lru_cache

from pydicom import uid as U

COMPRESSED_SYNTAXES = (
    U.JPEGBaseline8Bit, U.JPEGExtended12Bit, U.JPEGLossless, U.JPEGLosslessSV1,
    U.JPEGLSLossless, U.JPEGLSNearLossless, U.JPEG2000Lossless, U.JPEG2000,
    U.HTJ2KLossless, U.HTJ2KLosslessRPCL, U.HTJ2K, U.RLELossless,
)
NATIVE_SYNTAXES = {
    U.ImplicitVRLittleEndian: "pydicom (uncompressed)",
    U.ExplicitVRLittleEndian: "pydicom (uncompressed)",
    U.DeflatedExplicitVRLittleEndian: "pydicom (zlib inflate, Python standard library)",
    U.ExplicitVRBigEndian: "pydicom (uncompressed, byte-swapped)",
}
JPEG12_PLUGIN = "imagecodecs"
"""Label of the 12-bit JPEG Extended plugin (:mod:`mdt.imaging.jpeg12`)."""

# plugin -> (distribution providing the codec, licence of the codec).  Where the
# wrapper and the codec differ, the codec's licence is what matters for shipping.
_PLUGIN_DIST = {
    "gdcm": ("python-gdcm", "BSD-3-Clause (GDCM); wrapper Apache-2.0"),
    "pillow": ("pillow", "MIT-CMU (HPND)"),
    "pyjpegls": ("pyjpegls", "MIT (CharLS BSD-3-Clause)"),
    "pydicom": ("pydicom", "MIT"),
    JPEG12_PLUGIN: ("imagecodecs", "BSD-3-Clause (libjpeg-turbo: IJG, BSD-3-Clause, zlib)"),
}
_PYLIBJPEG_BY_FAMILY = {
    "jpeg2000": ("pylibjpeg-openjpeg", "MIT (OpenJPEG BSD-2-Clause)"),
    "rle": ("pylibjpeg-rle", "MIT"),
    "jpeg": ("pylibjpeg-libjpeg", "GPL-3.0"),
}
GPL_MARKERS = ("GPL",)
# Plugins that decode JPEG Extended with 12-bit samples (GDCM's wheel and Pillow stop at 8 bits).
_TWELVE_BIT_PLUGINS = frozenset({JPEG12_PLUGIN, "pylibjpeg"})


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


@lru_cache(maxsize=1)
def register() -> None:
    """Add this application's plugins to pydicom (idempotent)."""
    from pydicom.pixels.decoders.base import get_decoder

    decoder = get_decoder(U.JPEGExtended12Bit)
    try:
        decoder.add_plugin(JPEG12_PLUGIN, ("mdt.imaging.jpeg12", "_decode_frame"))
    except ValueError:
        pass  # already there


def plugin_licence(ts: U.UID, plugin: str) -> tuple[str, str]:
    """(distribution and version, licence) of the code that decodes ``ts`` through ``plugin``."""
    if plugin == "pylibjpeg":
        dist, licence = _PYLIBJPEG_BY_FAMILY[_family(ts)]
    else:
        dist, licence = _PLUGIN_DIST.get(plugin, (plugin, "unknown"))
    return f"{dist} {_version(dist)}", licence


def _plugins(ts: U.UID) -> tuple[str, ...]:
    from pydicom.pixels.decoders.base import get_decoder

    register()
    try:
        return tuple(get_decoder(ts).available_plugins)
    except NotImplementedError:
        return ()


@dataclass(frozen=True, slots=True)
class SyntaxSupport:
    """One row of Help → About: a transfer syntax (with a bit depth where that matters)."""
    name: str
    uid: str
    decoders: tuple[tuple[str, str], ...]
    """(plugin with distribution and version, licence) of every decoder usable now."""

    @property
    def decodable(self) -> bool:
        return bool(self.decoders)


def syntax_support() -> list[SyntaxSupport]:
    """Every transfer syntax pydicom knows, and what decodes it in this build (none: cannot show)."""
    rows: list[SyntaxSupport] = []
    for ts in U.AllTransferSyntaxes:
        if ts in NATIVE_SYNTAXES:
            rows.append(SyntaxSupport(ts.name, str(ts), ((NATIVE_SYNTAXES[ts], "MIT"),)))
            continue
        plugins = _plugins(ts)
        decoders = tuple((f"{p} ({plugin_licence(ts, p)[0]})", plugin_licence(ts, p)[1]) for p in plugins)
        if ts == U.JPEGExtended12Bit:
            rows.append(SyntaxSupport(f"{ts.name}, 8-bit samples", str(ts), decoders))
            rows.append(SyntaxSupport(f"{ts.name}, 12-bit samples", str(ts),
                                      tuple(d for p, d in zip(plugins, decoders, strict=True)
                                            if p in _TWELVE_BIT_PLUGINS)))
            continue
        rows.append(SyntaxSupport(ts.name, str(ts), decoders))
    return rows


def available_decoders() -> list[tuple[str, str, str]]:
    """(transfer syntax name, plugin with version, licence) for every compressed-syntax decoder usable now."""
    rows: list[tuple[str, str, str]] = []
    for ts in COMPRESSED_SYNTAXES:
        for plugin in _plugins(ts):
            dist, licence = plugin_licence(ts, plugin)
            name = ts.name
            if ts == U.JPEGExtended12Bit:
                name += ", 8 and 12-bit" if plugin in _TWELVE_BIT_PLUGINS else ", 8-bit only"
            rows.append((name, f"{plugin} ({dist})", licence))
    return rows


def undecodable_syntaxes() -> list[str]:
    """Transfer syntaxes (with bit depth where it matters) no decoder in this build can show."""
    return [row.name for row in syntax_support() if not row.decodable]


@lru_cache(maxsize=64)
def undecodable_reason(transfer_syntax: str, bits_stored: int = 0) -> str:
    """Why a file of this syntax cannot be shown in this build, or "" when it can."""
    if not transfer_syntax or transfer_syntax in NATIVE_SYNTAXES:
        return ""
    ts = U.UID(transfer_syntax)
    plugins = _plugins(ts)
    name = ts.name if ts.is_transfer_syntax else f"transfer syntax {transfer_syntax}"
    if ts == U.JPEGExtended12Bit and bits_stored > 8:
        if not any(p in _TWELVE_BIT_PLUGINS for p in plugins):
            return (f"{name} with {bits_stored}-bit samples: this build has no licence-compatible "
                    "decoder for it (see Help → About)")
        return ""
    if not plugins:
        return f"{name}: this build has no decoder for it (see Help → About)"
    return ""


def gpl_decoders() -> list[tuple[str, str, str]]:
    """Active decoders under a GPL licence: must be empty for a shippable bundle."""
    return [row for row in available_decoders() if any(m in row[2] for m in GPL_MARKERS)]
