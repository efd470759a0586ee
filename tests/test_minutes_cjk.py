"""Names in every script print: Chinese, Japanese and Korean names in the minutes and the course report
are set in the bundled CJK fallback (WenQuanYi Micro Hei, embedded as a subset), never as boxes."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from mdt.minutes.course import render_course_report
from mdt.minutes.fonts import FALLBACK, SANS, SANS_BOLD, fallback_markup, needs_fallback, runs, uncovered
from mdt.minutes.minutes import render_minutes
from tests.minutes_fixtures import make_item, make_meeting

CJK_NAMES = ["王^秀英", "山田^太郎", "김^민준", "やまだ^はなこ", "陳^偉強"]
PRINTED = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("BOILÈVE^Hélène", [("BOILÈVE^Hélène", SANS)]),
    ("NGUYỄN Thi Lan", [("NGUYỄN Thi Lan", SANS)]),
    ("王^秀英", [("王", FALLBACK), ("^", SANS), ("秀英", FALLBACK)]),
    ("김민준 (MRN 7)", [("김민준", FALLBACK), (" (MRN 7)", SANS)]),
    ("µ ≥ ± ×10⁹/L", [("µ ≥ ± ×10⁹/L", SANS)]),
])
def test_text_is_cut_into_runs_of_the_font_that_has_the_glyphs(text, expected):
    assert runs(text) == expected
    assert needs_fallback(text) == any(font == FALLBACK for _t, font in expected)


def test_paragraph_markup_wraps_only_text_between_tags():
    markup = "<b>王 &amp; 山田</b> Müller"
    out = fallback_markup(markup, SANS_BOLD)
    assert out == (f'<b><font name="{FALLBACK}">王</font> &amp; <font name="{FALLBACK}">山田</font></b> Müller')
    assert fallback_markup("plain <i>text</i>") == "plain <i>text</i>"


def test_every_cjk_name_is_covered_and_what_is_not_is_named():
    for name in CJK_NAMES:
        assert uncovered(name) == ""
    assert uncovered("𠮷田") == "𠮷"  # a CJK Extension B character: neither font has it


def _pdf_text(data: bytes) -> tuple[str, set[str]]:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    fonts: set[str] = set()
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont")))
    return text, fonts


def _items():
    items = []
    for i, name in enumerate(CJK_NAMES[:3]):
        item = make_item(i)
        items.append(replace(item, case=replace(item.case, patient=replace(item.case.patient, name=name))))
    return items


@pytest.mark.parametrize("pdfa", [False, True])
def test_minutes_print_cjk_names_with_the_embedded_fallback(pdfa):
    meeting = replace(make_meeting(3), chair="陈医生", institution="서울대학교병원")
    out = io.BytesIO()
    render_minutes(meeting, _items(), out, printed_at=PRINTED, pdfa=pdfa)
    text, fonts = _pdf_text(out.getvalue())
    for name in ("王, 秀英", "山田, 太郎", "김, 민준", "서울대학교병원", "陈医生"):
        assert name in text.replace("^", ", "), name
    # Embedded as a subset (AAAAAA+ prefix), like every other font of the document.
    assert any(f.endswith(FALLBACK + "-0") and "+" in f for f in fonts), fonts


@pytest.mark.parametrize(("name", "printed", "absent"), [
    ("𠮷田^太郎", "[U+20BB7]田, 太郎", "𠮷"),          # CJK Extension B: no embedded font has it
    ("ใจดี^สมชาย", "[U+0E43][U+0E08][U+0E14][U+0E35]", "ใ"),  # Thai
])
def test_a_character_no_font_has_prints_as_its_code_point_never_a_box(name, printed, absent):
    item = make_item(0)
    item = replace(item, case=replace(item.case, patient=replace(item.case.patient, name=name)))
    out = io.BytesIO()
    render_minutes(make_meeting(1), [item], out, printed_at=PRINTED)
    text, _fonts = _pdf_text(out.getvalue())
    assert printed in text.replace("^", ", ")
    assert absent not in text
    assert runs("a𠮷b") == [("a[U+20BB7]b", SANS)]
    assert runs("a\u200db") == [("a\u200db", SANS)]       # invisible joiners are left alone


def test_course_report_prints_a_korean_name_in_the_page_header():
    item = _items()[2]
    out = io.BytesIO()
    render_course_report(item.case, [None] * len(item.case.reviews), out, printed_at=PRINTED)
    text, fonts = _pdf_text(out.getvalue())
    assert "김" in text and "민준" in text
    assert any(FALLBACK in f for f in fonts)


def test_a_latin_only_document_does_not_carry_the_fallback():
    out = io.BytesIO()
    render_minutes(make_meeting(2), [make_item(0), make_item(1)], out, printed_at=PRINTED)
    _text, fonts = _pdf_text(out.getvalue())
    assert not any(FALLBACK in f for f in fonts)


def test_the_window_falls_back_to_the_bundled_cjk_font(qapp):
    from PySide6.QtGui import QFontDatabase

    from ui.style import CJK_FAMILY, apply_style, ui_font

    apply_style(qapp)
    assert CJK_FAMILY in QFontDatabase.families()
    assert ui_font().families()[-1] == CJK_FAMILY
    assert qapp.font().families()[-1] == CJK_FAMILY
