"""The page furniture shared by the minutes and the course report.

- A4 portrait, header (institution/board, meeting, current patient, status) and
  footer (issue or print time, "Page X of Y") on every page;
- a stroked "DRAFT" watermark on every page of an unsigned document, drawn on
  top of the content but as outline only, so nothing under it is hidden and no
  transparency is needed (PDF/A);
- byte-identical output for identical input: reportlab's invariant mode, the PDF
  dates set from the document's own time (never the clock), and a document ID
  derived from the document's identity.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from mdt.minutes.fonts import MONO, SANS, SANS_BOLD, draw_string, register_fonts, string_width

PAGE_W, PAGE_H = A4
MARGIN_X = 14 * mm
MARGIN_TOP = 21 * mm
MARGIN_BOTTOM = 15 * mm
CONTENT_W = PAGE_W - 2 * MARGIN_X

INK = colors.HexColor("#1d1d1d")
MUTED = colors.HexColor("#555555")
ACCENT = colors.HexColor("#1f4e79")
DRAFT_RED = colors.HexColor("#c62828")
WATERMARK = colors.HexColor("#e8a0a0")
RULE = colors.HexColor("#9aa7b4")
HEAD_FILL = colors.HexColor("#dde6ef")
ZEBRA = colors.HexColor("#f4f6f8")


@dataclass(frozen=True, slots=True)
class Furniture:
    """What the header and footer say."""
    header_left: str
    header_right: str
    footer_left: str
    status: str
    """e.g. ``SIGNED`` or ``DRAFT, not signed``."""
    draft: bool
    default_section: str = ""


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str
    author: str
    subject: str
    keywords: str
    created: datetime
    """The document's own time: signature time for signed minutes, print time otherwise."""
    identity: str
    """Stable text naming the document (seeds the PDF file ID)."""


MIN_FONT_PT = 8.0
"""Nothing a person must read is set smaller (tests/test_minutes_layout.py measures every run)."""


def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("body", fontName=SANS, fontSize=8.8, leading=10.8, textColor=INK, alignment=TA_LEFT)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.2, leading=9.9),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.1, leading=9.5),
        "cellb": ParagraphStyle("cellb", parent=base, fontName=SANS_BOLD, fontSize=8.1, leading=9.5),
        "head": ParagraphStyle("head", parent=base, fontName=SANS_BOLD, fontSize=8.2, leading=9.7,
                               textColor=ACCENT),
        "cells": ParagraphStyle("cells", parent=base, fontSize=8, leading=9.4),
        "heads": ParagraphStyle("heads", parent=base, fontName=SANS_BOLD, fontSize=8, leading=9.4,
                                textColor=ACCENT),
        "mono": ParagraphStyle("mono", parent=base, fontName=MONO, fontSize=8, leading=9.6),
        "title": ParagraphStyle("title", parent=base, fontName=SANS_BOLD, fontSize=14, leading=17,
                                textColor=ACCENT, spaceAfter=3),
        "h1": ParagraphStyle("h1", parent=base, fontName=SANS_BOLD, fontSize=12, leading=14.5,
                             textColor=ACCENT, spaceBefore=0, spaceAfter=3),
        "h2": ParagraphStyle("h2", parent=base, fontName=SANS_BOLD, fontSize=9.4, leading=11.5,
                             textColor=ACCENT, spaceBefore=4, spaceAfter=2),
        "note": ParagraphStyle("note", parent=base, fontSize=8, leading=9.6, textColor=MUTED),
        "alert": ParagraphStyle("alert", parent=base, fontName=SANS_BOLD, textColor=DRAFT_RED),
    }


HEADER_PT = 8.2
FOOTER_PT = 8.0
HEADER_LEADING = 9.6


def wrap_words(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` (a word wider than the line
    stands alone on it): the page furniture never cuts a name short."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if line and string_width(candidate, font, size) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line or not lines:
        lines.append(line)
    return lines


class SectionMarker(Flowable):
    """Invisible; tells the page header which patient (or section) the page shows."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.width = self.height = 0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return 0, 0

    def draw(self) -> None:
        self.canv._mdt_section = self.text


class _Stamp:
    """Stands in for reportlab's TimeStamp so the PDF dates are the document's time."""

    def __init__(self, when: datetime) -> None:
        utc = when.astimezone(UTC) if when.tzinfo else when
        self.t = utc.replace(tzinfo=UTC).timestamp()
        self.lt = time.gmtime(self.t)
        self.YMDhms = tuple(self.lt)[:6]
        self.dhh = 0
        self.dmm = 0
        self.tzname = "UTC"


def _canvas_class(furniture: Furniture, meta: Metadata) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        """Buffers pages so every footer can say "Page X of Y" (Y known at save)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []
            self._mdt_section = furniture.default_section
            doc = self._doc
            doc._timeStamp = _Stamp(meta.created)
            digest = hashlib.md5(meta.identity.encode("utf-8"), usedforsecurity=False).hexdigest().upper()
            doc._ID = f"\n[<{digest}><{digest}>]\n".encode("ascii")

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(SANS, FOOTER_PT)
                self.setFillColor(MUTED)
                self.drawRightString(PAGE_W - MARGIN_X, MARGIN_BOTTOM - 5 * mm - 8, f"Page {number} of {total}")
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


class MdtDocument(BaseDocTemplate):
    def __init__(self, out: str | Path | IO[bytes], furniture: Furniture, meta: Metadata) -> None:
        register_fonts()
        super().__init__(
            out if not isinstance(out, Path) else str(out),
            pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM, title=meta.title, author=meta.author, subject=meta.subject,
            keywords=meta.keywords, creator="Liver MDT", invariant=1, initialFontName=SANS,
            enforceColorSpace="rgb", lang="en",
        )
        self.furniture = furniture
        self.meta = meta
        frame = Frame(MARGIN_X, MARGIN_BOTTOM, CONTENT_W, PAGE_H - MARGIN_TOP - MARGIN_BOTTOM,
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=self._decorate)])

    def render(self, story: Sequence[Flowable]) -> None:
        self.build(list(story), canvasmaker=_canvas_class(self.furniture, self.meta))

    def _decorate(self, canv: Canvas, doc: BaseDocTemplate) -> None:
        f = self.furniture
        canv.saveState()
        top = PAGE_H - 8 * mm
        # Two columns, each wrapped rather than shortened: the board's full name and the patient
        # of the page on the left, the meeting and the document's status on the right.
        # The right column is as wide as its longest text (up to 40 %); the left takes the rest.
        right_w = min(CONTENT_W * 0.4, max(string_width(f.header_right, SANS, HEADER_PT),
                                           string_width(f.status, SANS_BOLD, HEADER_PT)) + 2)
        left_w = CONTENT_W - right_w - 14
        section = getattr(canv, "_mdt_section", "") or f.default_section
        left = [(line, SANS_BOLD, INK) for line in wrap_words(f.header_left, SANS_BOLD, HEADER_PT, left_w)]
        left += [(line, SANS, MUTED) for line in wrap_words(section, SANS, HEADER_PT, left_w) if section]
        right = [(line, SANS, INK) for line in wrap_words(f.header_right, SANS, HEADER_PT, right_w)]
        right += [(line, SANS_BOLD, DRAFT_RED if f.draft else ACCENT)
                  for line in wrap_words(f.status, SANS_BOLD, HEADER_PT, right_w)]
        for lines, x, anchor in ((left, MARGIN_X, "start"), (right, PAGE_W - MARGIN_X, "end")):
            for i, (line, font, ink) in enumerate(lines):
                canv.setFillColor(ink)
                # Names may be in any script: drawn with the CJK fallback where DejaVu has no glyph.
                draw_string(canv, x, top - i * HEADER_LEADING, line, font, HEADER_PT, anchor=anchor)
        rule = top - (max(len(left), len(right)) - 1) * HEADER_LEADING - 4
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.6)
        canv.line(MARGIN_X, rule, PAGE_W - MARGIN_X, rule)
        foot = MARGIN_BOTTOM - 5 * mm
        canv.line(MARGIN_X, foot + 2, PAGE_W - MARGIN_X, foot + 2)
        canv.setFillColor(DRAFT_RED if f.draft else MUTED)
        footer = wrap_words(f.footer_left, SANS, FOOTER_PT, CONTENT_W - 70)
        for i, line in enumerate(footer):
            draw_string(canv, MARGIN_X, foot - 8 - i * 9, line, SANS, FOOTER_PT)
        if f.draft:
            # Outline text only: visible over any fill, hides nothing, no transparency.
            canv.translate(PAGE_W / 2, PAGE_H / 2)
            canv.rotate(52)
            text = canv.beginText()
            text.setTextRenderMode(1)
            text.setFont(SANS_BOLD, 118)
            canv.setStrokeColor(WATERMARK)
            canv.setLineWidth(1.6)
            width = canv.stringWidth("DRAFT", SANS_BOLD, 118)
            text.setTextOrigin(-width / 2, -40)
            text.textLine("DRAFT")
            canv.drawText(text)
        canv.restoreState()
