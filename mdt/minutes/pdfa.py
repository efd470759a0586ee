"""The archival PDF/A-2b variant: reportlab output post-processed with pikepdf.

Open-source reportlab has no PDF/A mode.  Our documents already meet the
content rules (every font an embedded TrueType subset, RGB colour only, no
transparency, no encryption, a file ID); this step adds what PDF/A-2b also
requires: XMP metadata that declares part 2 / conformance B and repeats the
document information, and an sRGB output intent with an embedded ICC profile.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from io import BytesIO
from typing import TYPE_CHECKING

import pikepdf
from PIL import ImageCms

if TYPE_CHECKING:
    from mdt.minutes.document import Metadata

SRGB_ID = "sRGB IEC61966-2.1"


@lru_cache(maxsize=1)
def srgb_icc() -> bytes:
    """Pillow's (little-cms) sRGB profile with a fixed creation date.

    lcms stamps the profile with the current time; the date is zeroed to a
    fixed value so the same document converts to the same bytes every time.
    """
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    data[24:36] = bytes([0x07, 0xD0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])  # 2000-01-01 00:00:00
    if any(data[84:100]):
        # Profile ID = MD5 over the profile with flags, intent and ID zeroed (ICC.1:2010 7.2.18).
        probe = bytearray(data)
        probe[44:48] = b"\0\0\0\0"
        probe[64:68] = b"\0\0\0\0"
        probe[84:100] = bytes(16)
        data[84:100] = hashlib.md5(bytes(probe), usedforsecurity=False).digest()
    return bytes(data)


def to_pdfa(pdf_bytes: bytes, meta: Metadata) -> bytes:
    """PDF/A-2b version of a reportlab PDF made by :class:`mdt.minutes.document.MdtDocument`."""
    with pikepdf.open(BytesIO(pdf_bytes)) as pdf:
        if "/Trapped" in pdf.docinfo:
            # XMP has no plain equivalent in pikepdf's mapping; PDF/A wants the two to agree.
            del pdf.docinfo["/Trapped"]
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
            xmp.load_from_docinfo(pdf.docinfo)
            xmp["pdfaid:part"] = "2"
            xmp["pdfaid:conformance"] = "B"
            xmp["dc:title"] = meta.title
            xmp["dc:description"] = meta.subject
            xmp["dc:creator"] = [meta.author]
            xmp["pdf:Keywords"] = meta.keywords
            xmp["xmp:CreatorTool"] = "Liver MDT"
        icc = pikepdf.Stream(pdf, srgb_icc())
        icc["/N"] = 3
        intent = pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent,
            S=pikepdf.Name.GTS_PDFA1,
            OutputConditionIdentifier=SRGB_ID,
            Info=SRGB_ID,
            RegistryName="http://www.color.org",
            DestOutputProfile=icc,
        )
        pdf.Root.OutputIntents = pikepdf.Array([intent])
        out = BytesIO()
        # Metadata streams stay unfiltered (PDF/A); deterministic_id keeps reprints byte-identical.
        pdf.save(out, compress_streams=False, deterministic_id=True)
        return out.getvalue()


def pdfa_markers(pdf_bytes: bytes) -> dict[str, object]:
    """The PDF/A-2b structural markers of a file, for tests and self-checks."""
    with pikepdf.open(BytesIO(pdf_bytes)) as pdf:
        meta = pdf.open_metadata()
        intents = pdf.Root.get("/OutputIntents")
        fonts_unembedded: list[str] = []
        for page in pdf.pages:
            resources = page.obj.get("/Resources")
            fonts = resources.get("/Font") if resources is not None else None
            if fonts is None:
                continue
            for _, font in fonts.items():
                descendants = font.get("/DescendantFonts")
                target = descendants[0] if descendants is not None else font
                desc = target.get("/FontDescriptor")
                if desc is None or not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    fonts_unembedded.append(str(font.get("/BaseFont")))
        return {
            "part": meta.get("pdfaid:part"),
            "conformance": meta.get("pdfaid:conformance"),
            "title": meta.get("dc:title"),
            "output_intent": intents is not None and len(intents) > 0
            and str(intents[0].get("/S")) == "/GTS_PDFA1" and "/DestOutputProfile" in intents[0],
            "fonts_unembedded": sorted(set(fonts_unembedded)),
            "encrypted": pdf.is_encrypted,
        }
