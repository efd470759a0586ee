"""Reading a PDF the way a reader meets it: the size every run of text is set at, and which pages
each patient's section takes (from the running header)."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader


def _reader(pdf: bytes | Path | str) -> PdfReader:
    return PdfReader(BytesIO(pdf) if isinstance(pdf, bytes) else str(pdf))


def _times(a: list[float], b: list[float]) -> list[float]:
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def text_sizes(pdf: bytes | Path | str) -> list[tuple[float, int, str]]:
    """(size in points as printed, page number, text) of every run of text: the font size times
    the vertical scale of the text and graphics matrices (a scaled drawing shrinks its labels)."""
    out: list[tuple[float, int, str]] = []
    for number, page in enumerate(_reader(pdf).pages, start=1):
        def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float,
                  number: int = number) -> None:
            if text.strip():
                m = _times(tm, cm)
                out.append((round(size * math.hypot(m[2], m[3]), 2), number, text.strip()))
        page.extract_text(visitor_text=visit)
    return out


def smallest_text(pdf: bytes | Path | str) -> tuple[float, int, str]:
    return min(text_sizes(pdf))


def page_texts(pdf: bytes | Path | str) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in _reader(pdf).pages]


def patient_pages(pdf: bytes | Path | str) -> dict[int, list[int]]:
    """Patient number -> the pages whose running header names that patient ("Patient 2 of 5")."""
    pages: dict[int, list[int]] = defaultdict(list)
    for number, text in enumerate(page_texts(pdf), start=1):
        m = re.search(r"Patient (\d+) of \d+:", text)
        if m:
            pages[int(m.group(1))].append(number)
    return dict(pages)
