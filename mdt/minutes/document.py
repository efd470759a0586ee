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
MARGIN_X = 16 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 18 * mm
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


def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("body", fontName=SANS, fontSize=8.6, leading=11, textColor=INK, alignment=TA_LEFT)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.6, leading=9.4),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.8, leading=9.6),
        "cellb": ParagraphStyle("cellb", parent=base, fontName=SANS_BOLD, fontSize=7.8, leading=9.6),
        "head": ParagraphStyle("head", parent=base, fontName=SANS_BOLD, fontSize=7.8, leading=9.6,
                               textColor=ACCENT),
        "cells": ParagraphStyle("cells", parent=base, fontSize=7, leading=8.6),
        "heads": ParagraphStyle("heads", parent=base, fontName=SANS_BOLD, fontSize=7, leading=8.6,
                                textColor=ACCENT),
        "mono": ParagraphStyle("mono", parent=base, fontName=MONO, fontSize=7.2, leading=9),
        "title": ParagraphStyle("title", parent=base, fontName=SANS_BOLD, fontSize=15, leading=19,
                                textColor=ACCENT, spaceAfter=4),
        "h1": ParagraphStyle("h1", parent=base, fontName=SANS_BOLD, fontSize=12.5, leading=16,
                             textColor=ACCENT, spaceBefore=2, spaceAfter=5),
        "h2": ParagraphStyle("h2", parent=base, fontName=SANS_BOLD, fontSize=9.6, leading=12.5,
                             textColor=ACCENT, spaceBefore=7, spaceAfter=3),
        "note": ParagraphStyle("note", parent=base, fontSize=7.6, leading=9.4, textColor=MUTED),
        "alert": ParagraphStyle("alert", parent=base, fontName=SANS_BOLD, textColor=DRAFT_RED),
    }


def _fit(text: str, font: str, size: float, width: float) -> str:
    """The text, shortened with an ellipsis when it would run into the other half of the header."""
    if string_width(text, font, size) <= width:
        return text
    while text and string_width(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


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
                self.setFont(SANS, 7.5)
                self.setFillColor(MUTED)
                self.drawRightString(PAGE_W - MARGIN_X, MARGIN_BOTTOM - 9 * mm, f"Page {number} of {total}")
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
        top = PAGE_H - 10 * mm
        canv.setFillColor(INK)
        right_w = string_width(f.header_right, SANS, 8.2)
        # Names may be in any script: drawn with the CJK fallback where DejaVu has no glyph.
        draw_string(canv, MARGIN_X, top, _fit(f.header_left, SANS_BOLD, 8.2, CONTENT_W - right_w - 12),
                    SANS_BOLD, 8.2)
        draw_string(canv, PAGE_W - MARGIN_X, top, f.header_right, SANS, 8.2, anchor="end")
        section = getattr(canv, "_mdt_section", "") or f.default_section
        status_w = canv.stringWidth(f.status, SANS_BOLD, 7.8)
        canv.setFillColor(MUTED)
        draw_string(canv, MARGIN_X, top - 10, _fit(section, SANS, 7.8, CONTENT_W - status_w - 12), SANS, 7.8)
        canv.setFont(SANS_BOLD, 7.8)
        canv.setFillColor(DRAFT_RED if f.draft else ACCENT)
        canv.drawRightString(PAGE_W - MARGIN_X, top - 10, f.status)
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.6)
        canv.line(MARGIN_X, top - 14, PAGE_W - MARGIN_X, top - 14)
        foot = MARGIN_BOTTOM - 6 * mm
        canv.line(MARGIN_X, foot + 2, PAGE_W - MARGIN_X, foot + 2)
        canv.setFillColor(DRAFT_RED if f.draft else MUTED)
        draw_string(canv, MARGIN_X, MARGIN_BOTTOM - 9 * mm, f.footer_left, SANS, 7.5)
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
