"""Registers the bundled TrueType fonts with reportlab (embedded subsets) and the CJK fallback.

The standard-14 PDF fonts (Helvetica...) are never embedded and cover no more
than Latin-1, so names like Boilève or symbols like µ ≥ ± would break the
minutes and PDF/A; every style uses the DejaVu families instead.

DejaVu has no Chinese, Japanese or Korean glyphs, and reportlab has no font
fallback of its own: text is cut into runs, and a run of characters DejaVu
lacks is set in WenQuanYi Micro Hei (CJK ideographs, kana, every Hangul
syllable; TrueType outlines, so reportlab embeds a subset of it).  The
fallback is registered only when a document needs it.  Paragraph text gets
``<font>`` markup (:func:`fallback_markup`, applied by ``text.para``); text
drawn straight on the canvas goes through :func:`draw_string`.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from mdt.resources import resource_path

SANS, SANS_BOLD, SANS_ITALIC, SANS_BOLD_ITALIC, MONO = (
    "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique", "DejaVuSansMono",
)
FALLBACK = "WenQuanYiMicroHei"
_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SANS_ITALIC: "DejaVuSans-Oblique.ttf",
    SANS_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
    MONO: "DejaVuSansMono.ttf",
}
FALLBACK_FILE = "wqy-microhei.ttc"
"""WenQuanYi Micro Hei (Apache-2.0), a TrueType collection: face 0 is the proportional face."""


@lru_cache(maxsize=1)
def register_fonts() -> None:
    """Idempotent; called by every renderer before it builds a document."""
    for name, file in _FILES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(resource_path("fonts", file))))
    # So that <b> and <i> inside Paragraphs pick the right face.
    addMapping(SANS, 0, 0, SANS)
    addMapping(SANS, 1, 0, SANS_BOLD)
    addMapping(SANS, 0, 1, SANS_ITALIC)
    addMapping(SANS, 1, 1, SANS_BOLD_ITALIC)


@lru_cache(maxsize=1)
def register_fallback() -> None:
    """Registers the CJK fallback (about 0.1 s; only documents holding CJK text pay it)."""
    if FALLBACK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FALLBACK, str(resource_path("fonts", FALLBACK_FILE)), subfontIndex=0))
    # One face for every style: <b> or <i> around CJK text keeps the fallback.
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(FALLBACK, bold, italic, FALLBACK)


@lru_cache(maxsize=8)
def _coverage(font: str) -> frozenset[int] | dict[int, int]:
    register_fonts()
    return pdfmetrics.getFont(font).face.charToGlyph


def _fallback_coverage() -> dict[int, int]:
    register_fallback()
    return pdfmetrics.getFont(FALLBACK).face.charToGlyph


def _plain(ch: str) -> bool:
    return ch < "\u0250"  # Latin, Latin-1, Latin Extended-A/B: DejaVu has all of them


def needs_fallback(text: str, font: str = SANS) -> bool:
    """Does ``text`` hold a character ``font`` has no glyph for and the fallback has?"""
    if all(_plain(ch) for ch in text):
        return False
    have = _coverage(font)
    missing = [ord(ch) for ch in text if not _plain(ch) and ord(ch) not in have and ch not in "\n\r\t"]
    if not missing:
        return False
    other = _fallback_coverage()
    return any(c in other for c in missing)


def needs_runs(text: str, font: str = SANS) -> bool:
    """Must ``text`` be set run by run: a character in the fallback, or one no font has?"""
    return needs_fallback(text, font) or bool(uncovered(text, font))


def code_mark(ch: str) -> str:
    """What is printed for a character no embedded font has: its code point, never a box
    (a name with a missing glyph must not silently read as another name)."""
    return f"[U+{ord(ch):04X}]"


def runs(text: str, font: str = SANS) -> list[tuple[str, str]]:
    """``text`` as (piece, font name) runs: ``font`` wherever it has the glyph, else the
    fallback; a character neither has is printed as its code point (:func:`code_mark`)."""
    if not needs_runs(text, font):
        return [(text, font)] if text else []
    have, other = _coverage(font), _fallback_coverage()
    out: list[tuple[str, str]] = []
    for ch in text:
        code = ord(ch)
        use = font if (_plain(ch) or code in have or code not in other) else FALLBACK
        piece = ch
        if use == font and not (_plain(ch) or code in have or ch in "\n\r\t") \
                and unicodedata.category(ch) != "Cf":
            piece = code_mark(ch)
        if out and out[-1][1] == use:
            out[-1] = (out[-1][0] + piece, use)
        else:
            out.append((piece, use))
    return out


def uncovered(text: str, font: str = SANS) -> str:
    """Characters neither ``font`` nor the fallback can print (they would show as boxes)."""
    if all(_plain(ch) for ch in text):
        return ""
    have, other = _coverage(font), _fallback_coverage()
    return "".join(dict.fromkeys(ch for ch in text if not _plain(ch) and ch not in "\n\r\t"
                                 and ord(ch) not in have and ord(ch) not in other))


def print_warning(text: str, what: str = "This name") -> str | None:
    """Words for a person typing ``text`` whose characters no embedded font can print: what the
    PDFs will show instead ("[U+0F00]"), so nobody learns it from a printed minutes page."""
    missing = uncovered(text)
    if not missing:
        return None
    shown = ", ".join(f"‘{ch}’ as {code_mark(ch)}" for ch in missing[:4])
    more = f" and {len(missing) - 4} more" if len(missing) > 4 else ""
    return (f"{what} has characters the PDF fonts cannot draw: the minutes and reports print "
            f"{shown}{more}.")


def fallback_markup(markup: str, font: str = SANS) -> str:
    """Paragraph markup with every run of fallback characters wrapped in ``<font name=...>``.

    Tags and entities pass through untouched: only text between tags is looked at.
    """
    if not needs_runs(markup, font):
        return markup
    out: list[str] = []
    i = 0
    while i < len(markup):
        if markup[i] == "<":
            j = markup.find(">", i)
            j = len(markup) - 1 if j < 0 else j
            out.append(markup[i:j + 1])
            i = j + 1
            continue
        j = markup.find("<", i)
        j = len(markup) if j < 0 else j
        # A character no font has: its code point (code marks hold no markup characters).
        for piece, used in runs(markup[i:j], font):
            out.append(piece if used == font else f'<font name="{FALLBACK}">{piece}</font>')
        i = j
    return "".join(out)


def string_width(text: str, font: str, size: float) -> float:
    return sum(pdfmetrics.stringWidth(piece, used, size) for piece, used in runs(text, font))


def draw_string(canv: Canvas, x: float, y: float, text: str, font: str, size: float, anchor: str = "start") -> None:
    """canvas.drawString with the CJK fallback; ``anchor`` is ``start``, ``middle`` or ``end``."""
    pieces = runs(text, font)
    total = sum(pdfmetrics.stringWidth(piece, used, size) for piece, used in pieces)
    if anchor == "end":
        x -= total
    elif anchor == "middle":
        x -= total / 2
    for piece, used in pieces:
        canv.setFont(used, size)
        canv.drawString(x, y, piece)
        x += pdfmetrics.stringWidth(piece, used, size)
    canv.setFont(font, size)
