"""Flowable builders shared by the minutes and the course report (tables, grids)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from mdt.minutes.document import HEAD_FILL, INK, RULE, ZEBRA
from mdt.minutes.fonts import needs_runs
from mdt.minutes.text import para

Cell: TypeAlias = str | Flowable | list[Flowable]


def p(text: str, style: ParagraphStyle, *, markup: bool = False) -> Paragraph:
    """A paragraph of ``text`` (escaped; ``markup``: the caller escaped it and adds tags)."""
    return Paragraph(text if markup else para(text), style)


_PAD = 6.0  # left + right cell padding


def wrap_text(text: str, font: str, size: float, width: float) -> str:
    """Text broken into lines that fit ``width`` (greedy, at spaces; a word longer than
    the width is cut), for plain-string table cells."""
    out: list[str] = []
    for para_line in text.split("\n"):
        if stringWidth(para_line, font, size) <= width:
            out.append(para_line)
            continue
        for line in simpleSplit(para_line, font, size, width) or [""]:
            while stringWidth(line, font, size) > width and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and stringWidth(line[:cut], font, size) > width:
                    cut -= 1
                out.append(line[:cut])
                line = line[cut:]
            out.append(line)
    return "\n".join(out)


def _cell(value: Cell, style: ParagraphStyle, width: float) -> str | Flowable | list[Flowable]:
    """Text becomes a plain table string, pre-wrapped to the column: drawn by the table
    itself, many times faster than a Paragraph (a 30-patient meeting has thousands)."""
    if isinstance(value, str):
        if needs_runs(value, style.fontName):
            # A table draws plain strings in one font; CJK text needs the fallback runs of a
            # Paragraph, and a character no font has its code mark.
            return Paragraph(para(value), style)
        return wrap_text(value, style.fontName, style.fontSize, width - _PAD)
    return value


def _text_style(first_row: int, style: ParagraphStyle) -> list[tuple]:
    return [("FONTNAME", (0, first_row), (-1, -1), style.fontName),
            ("FONTSIZE", (0, first_row), (-1, -1), style.fontSize),
            ("LEADING", (0, first_row), (-1, -1), style.leading),
            ("TEXTCOLOR", (0, first_row), (-1, -1), style.textColor)]


def data_table(header: Sequence[str], rows: Sequence[Sequence[Cell]], widths: Sequence[float],
               st: dict[str, ParagraphStyle], *, empty: str = "none recorded",
               extra: Sequence[tuple] = (), compact: bool = False, headless: bool = False) -> Flowable:
    """A ruled table whose header row repeats on every page it spans (``compact``: tighter rows;
    ``headless``: no header row, e.g. a list set in two columns)."""
    if not rows:
        # reportlab refuses empty tables; say so in words instead.
        return p(empty, st["note"])
    head, cell = ("heads", "cells") if compact else ("head", "cell")
    data = [] if headless else [[_cell(h, st[head], w) for h, w in zip(header, widths, strict=True)]]
    data += [[_cell(c, st[cell], w) for c, w in zip(row, widths, strict=True)] for row in rows]
    table = Table(data, colWidths=list(widths), repeatRows=0 if headless else 1, splitByRow=1, splitInRow=1,
                  hAlign="LEFT")
    first_body = 0 if headless else 1
    style: list[tuple] = [
        # Plain-string cells: our embedded fonts, never the unembedded Helvetica default.
        *_text_style(0, st[cell]),
        ("GRID", (0, 0), (-1, -1), 0.3, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.8),
    ]
    if not headless:
        style += [("FONTNAME", (0, 0), (-1, 0), st[head].fontName),
                  ("TEXTCOLOR", (0, 0), (-1, 0), st[head].textColor),
                  ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL)]
    for i in range(first_body + 1, len(data), 2):
        style.append(("BACKGROUND", (0, i), (-1, i), ZEBRA))
    style.extend(extra)
    table.setStyle(TableStyle(style))
    return table


def kv_grid(pairs: Sequence[tuple[str, Cell]], width: float, st: dict[str, ParagraphStyle],
            columns: int = 2, label_share: float = 0.34) -> Table:
    """Label/value pairs laid out in ``columns`` column pairs, read left to right."""
    pair_w = width / columns
    widths = [pair_w * label_share, pair_w * (1 - label_share)] * columns
    rows: list[list[Flowable | list[Flowable] | str]] = []
    for start in range(0, len(pairs), columns):
        row: list[Flowable | list[Flowable] | str] = []
        for label, value in pairs[start:start + columns]:
            row.extend([_cell(label, st["cellb"], widths[0]), _cell(value, st["cell"], widths[1])])
        while len(row) < 2 * columns:
            row.append("")
        rows.append(row)
    table = Table(rows, colWidths=widths, splitInRow=1, hAlign="LEFT")
    style: list[tuple] = [
        *_text_style(0, st["cell"]),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.8),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
    ]
    for c in range(0, 2 * columns, 2):
        style.append(("BACKGROUND", (c, 0), (c, -1), ZEBRA))
        style.append(("FONTNAME", (c, 0), (c, -1), st["cellb"].fontName))
    table.setStyle(TableStyle(style))
    return table


def signature_lines(labels: Sequence[str], width: float, st: dict[str, ParagraphStyle], *,
                    filled: Sequence[str] = ()) -> Table:
    """Blank lines to sign on by hand, each with its caption under it ("Name", "Signature",
    "Date"); ``filled`` prints known values above the lines (e.g. the name)."""
    shares = {"Signature": 0.42, "Date": 0.2}
    rest = (1 - sum(shares.get(lab, 0) for lab in labels)) / max(1, sum(lab not in shares for lab in labels))
    widths = [width * shares.get(lab, rest) for lab in labels]
    values = [filled[i] if i < len(filled) else "" for i in range(len(labels))]
    table = Table([values, list(labels)], colWidths=widths, rowHeights=[26, None], hAlign="LEFT")
    table.setStyle(TableStyle([
        *_text_style(0, st["cell"]),
        ("TEXTCOLOR", (0, 1), (-1, 1), st["note"].textColor),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 14),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table
