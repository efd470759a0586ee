"""The PDF as a file: embedded fonts, reproducible bytes, PDF/A-2b markers."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from io import BytesIO

import pikepdf
import pytest
from pypdf import PdfReader

from mdt.minutes import pdfa_markers, render_course_report, render_minutes
from mdt.minutes.liver_drawing import liver_drawing
from mdt.minutes.pdfa import srgb_icc
from tests.minutes_fixtures import PRINTED, make_case, make_evaluation, make_items, make_meeting, make_review


def render(meeting, items, **kw) -> bytes:
    out = BytesIO()
    render_minutes(meeting, items, out, printed_at=kw.pop("printed_at", PRINTED), **kw)
    return out.getvalue()


def fonts_of(pdf: bytes) -> list[tuple[str, bool]]:
    """(BaseFont, embedded) for every font used on any page."""
    found: dict[str, bool] = {}
    with pikepdf.open(BytesIO(pdf)) as doc:
        for page in doc.pages:
            for _, font in page.obj.Resources.get("/Font", {}).items():
                desc = font.get("/FontDescriptor")
                found[str(font.BaseFont)] = desc is not None and "/FontFile2" in desc
    return sorted(found.items())


def test_every_font_is_an_embedded_truetype_subset() -> None:
    fonts = fonts_of(render(make_meeting(2), make_items(2)))
    assert fonts, "no font found"
    for name, embedded in fonts:
        assert embedded, name
        assert "DejaVu" in name, name  # never an unembedded standard-14 font such as Helvetica


def test_course_report_fonts_are_embedded_too() -> None:
    out = BytesIO()
    case = make_case(0, reviews=3)
    render_course_report(case, [None, None, make_evaluation(2)], out, printed_at=PRINTED)
    for name, embedded in fonts_of(out.getvalue()):
        assert embedded and "DejaVu" in name, name


def test_liver_drawing_alone_uses_embedded_fonts() -> None:
    from reportlab.platypus import SimpleDocTemplate

    out = BytesIO()
    SimpleDocTemplate(out, invariant=1, initialFontName="DejaVuSans").build([liver_drawing(make_review(), 300)])
    for name, embedded in fonts_of(out.getvalue()):
        assert embedded and "DejaVu" in name, name


def test_the_same_signed_meeting_renders_to_identical_bytes() -> None:
    meeting = make_meeting(3, signed=True)
    first = render(meeting, make_items(3))
    # Printed at another time, from freshly built objects: still the same document.
    second = render(make_meeting(3, signed=True), make_items(3), printed_at=PRINTED + timedelta(days=3))
    assert first == second


def test_signed_pdfa_is_reproducible_too() -> None:
    meeting = make_meeting(2, amended=True)
    assert render(meeting, make_items(2), pdfa=True) == render(meeting, make_items(2), pdfa=True,
                                                                printed_at=PRINTED + timedelta(hours=5))


def test_a_draft_states_when_it_was_printed() -> None:
    meeting = make_meeting(1)
    a = render(meeting, make_items(1))
    b = render(meeting, make_items(1), printed_at=PRINTED + timedelta(minutes=1))
    assert a != b
    assert "Draft printed 2026-11-20 17:06 UTC" in PdfReader(BytesIO(b)).pages[0].extract_text()


def test_signing_changes_the_document() -> None:
    assert render(make_meeting(1), make_items(1)) != render(make_meeting(1, signed=True), make_items(1))


def test_pdf_dates_are_the_documents_own_time() -> None:
    signed = PdfReader(BytesIO(render(make_meeting(1, signed=True), make_items(1))))
    assert signed.metadata.creation_date.replace(tzinfo=None).isoformat() == "2026-11-20T16:42:00"
    draft = PdfReader(BytesIO(render(make_meeting(1), make_items(1))))
    assert draft.metadata.creation_date.replace(tzinfo=None).isoformat() == "2026-11-20T17:05:00"


def test_pdfa_2b_structural_markers() -> None:
    pdf = render(make_meeting(2, signed=True), make_items(2), pdfa=True)
    markers = pdfa_markers(pdf)
    assert markers["part"] == "2"
    assert markers["conformance"] == "B"
    assert markers["output_intent"] is True
    assert markers["fonts_unembedded"] == []
    assert markers["encrypted"] is False
    assert markers["title"] == PdfReader(BytesIO(pdf)).metadata.title
    with pikepdf.open(BytesIO(pdf)) as doc:
        assert "/ID" in doc.trailer
        intent = doc.Root.OutputIntents[0]
        assert int(intent.DestOutputProfile.N) == 3
        assert str(intent.OutputConditionIdentifier) == "sRGB IEC61966-2.1"
        assert "/Filter" not in doc.Root.Metadata  # PDF/A: metadata stream stays readable
        xmp = doc.open_metadata()
        assert xmp.get("xmp:CreateDate", "").startswith("2026-11-20T16:42")
        # No transparency anywhere (soft masks or constant alpha below 1).
        for page in doc.pages:
            for _, gs in page.obj.Resources.get("/ExtGState", {}).items():
                assert float(gs.get("/CA", 1)) == 1 and float(gs.get("/ca", 1)) == 1
                assert str(gs.get("/SMask", "/None")) == "/None"
    # Text is still extractable after the conversion.
    assert "Minutes of the liver tumour board" in PdfReader(BytesIO(pdf)).pages[0].extract_text()


def test_plain_pdf_has_no_pdfa_claim() -> None:
    markers = pdfa_markers(render(make_meeting(1), make_items(1)))
    assert markers["part"] is None and markers["output_intent"] is False


def test_srgb_profile_is_stable() -> None:
    icc = srgb_icc()
    assert icc[36:40] == b"acsp" and icc[16:20] == b"RGB "
    assert icc[24:36] == bytes([0x07, 0xD0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])


@pytest.mark.parametrize("pdfa", [False, True])
def test_render_to_a_path(tmp_path, pdfa: bool) -> None:
    target = tmp_path / "minutes.pdf"
    render_minutes(make_meeting(1), make_items(1), target, printed_at=PRINTED, pdfa=pdfa)
    assert target.read_bytes().startswith(b"%PDF-")
    assert len(PdfReader(str(target)).pages) >= 3


def test_empty_agenda_still_renders() -> None:
    pdf = render(replace(make_meeting(0), attendees=()), [])
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert "No patient on the agenda." in text and "No attendee recorded." in text
    assert "No quorum" in text


def test_identical_bytes_across_processes() -> None:
    """Nothing in the output depends on hash order or the process: a second interpreter
    with another hash seed produces the same signed minutes."""
    import hashlib
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code = ("import hashlib, io\n"
            "from mdt.minutes import render_minutes\n"
            "from tests.minutes_fixtures import PRINTED, make_items, make_meeting\n"
            "b = io.BytesIO()\n"
            "render_minutes(make_meeting(2, amended=True), make_items(2), b, printed_at=PRINTED)\n"
            "print(hashlib.sha256(b.getvalue()).hexdigest())\n")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                           check=True, timeout=120).stdout.strip()
    here = hashlib.sha256(render(make_meeting(2, amended=True), make_items(2))).hexdigest()
    assert other == here


def test_liver_diagram_is_vector_with_a_shared_form() -> None:
    pdf = render(make_meeting(3), make_items(3))
    with pikepdf.open(BytesIO(pdf)) as doc:
        forms_per_page = []
        for page in doc.pages:
            xobjects = page.obj.Resources.get("/XObject", {})
            forms_per_page.append({str(k) for k, v in xobjects.items() if v.get("/Subtype") == "/Form"})
        used = [f for f in forms_per_page if f]
        assert len(used) >= 3  # one patient page each
        assert len(set().union(*used)) == 2  # the static liver and the legend, defined once each
        assert not any(page.obj.Resources.get("/XObject", {}).get(k).get("/Subtype") == "/Image"
                       for page in doc.pages for k in page.obj.Resources.get("/XObject", {}).keys())
    text = PdfReader(BytesIO(pdf)).pages[1].extract_text()
    for label in ("VII", "VIII", "IVa", "IVb", "L1 42 mm (T)", "L3 12 mm", "Future remnant", "Tumour"):
        assert label in text, label


def test_embedded_truetype_fonts_follow_the_pdfa_symbolic_font_rule() -> None:
    """PDF/A-2 6.2.11.6: a symbolic TrueType font has no /Encoding and its cmap holds
    exactly one subtable (or a Microsoft Symbol one)."""
    import struct

    pdf = render(make_meeting(1, signed=True), make_items(1), pdfa=True)
    with pikepdf.open(BytesIO(pdf)) as doc:
        seen = 0
        for page in doc.pages:
            for _, font in page.obj.Resources.get("/Font", {}).items():
                desc = font.FontDescriptor
                data = desc.FontFile2.read_bytes()
                (num_tables,) = struct.unpack(">H", data[4:6])
                tables = {data[12 + 16 * i:16 + 16 * i]: struct.unpack(">II", data[20 + 16 * i:28 + 16 * i])
                          for i in range(num_tables)}
                offset, _ = tables[b"cmap"]
                (subtables,) = struct.unpack(">H", data[offset + 2:offset + 4])
                pairs = [struct.unpack(">HH", data[offset + 4 + 8 * i:offset + 8 + 8 * i]) for i in range(subtables)]
                if int(desc.Flags) & 4:  # symbolic
                    assert "/Encoding" not in font
                    assert subtables == 1 or (3, 0) in pairs, pairs
                seen += 1
        assert seen >= 2
