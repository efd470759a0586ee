"""``main.py outcomes``: text, the versioned JSON, the patient-level CSV and the PDF."""

from __future__ import annotations

import csv
import io
import json

import pytest

from main import main


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('o') / 'demo.db'}"
    assert main(["--db", url, "demo"]) == 0
    return url


def test_json_is_versioned_and_compares_the_two_arms(demo_db, capsys):
    assert main(["--db", demo_db, "outcomes", "--protocol", "NCT05103020", "--by", "arm", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "mdt-outcomes/1"
    (section,) = doc["sections"]
    assert [g["name"] for g in section["groups"]] == ["A", "B", "overall"]
    rows = {r["id"]: r for r in section["endpoints"]}
    assert {"conversion", "complete_local_treatment", "orr", "dcr", "time_to_conversion", "pfs", "hepatic_pfs",
            "os", "complications_30d", "complications_90d", "agreement", "fleiss_kappa",
            "second_round_chair"} <= set(rows)
    assert rows["conversion"]["comparison"]["kind"] == "odds_ratio"
    assert rows["os"]["comparison"]["kind"] == "hazard_ratio"
    assert rows["os"]["comparison"]["logrank_p"] is not None
    assert all(r["counts"] and r["leaves_out"] for r in section["endpoints"])
    os_curves = next(s for s in section["survival"] if s["endpoint"] == "os")["curves"]
    assert 0 < os_curves["A"]["at_risk"][0] <= section["groups"][0]["patients"]


def test_csv_has_one_line_per_patient(demo_db, capsys):
    assert main(["--db", demo_db, "outcomes", "--protocol", "CAIRO5", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and all(r["protocol"] == "CAIRO5" for r in rows)
    assert {"os_months", "os_event", "best_response", "converted"} <= set(rows[0])


def test_text_names_counts_and_left_out(demo_db, capsys):
    assert main(["--db", demo_db, "outcomes", "--by", "arm"]) == 0
    out = capsys.readouterr().out
    assert "counts:" in out and "leaves out:" in out and "Numbers at risk" in out


def test_pdf_embeds_its_fonts(demo_db, tmp_path, capsys):
    from pypdf import PdfReader

    from mdt.minutes.pdfa import pdfa_markers

    out = tmp_path / "o.pdf"
    assert main(["--db", demo_db, "outcomes", "--by", "arm", "--pdf", str(out)]) == 0
    data = out.read_bytes()
    assert pdfa_markers(data)["fonts_unembedded"] == []
    # Words a narrow cell wraps ("Conversion to local / treatment" at 8 pt) read as one line.
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)
    for words in ("Outcomes report", "Conversion to local treatment", "Overall survival", "At risk",
                  "Waterfall", "Swimmer plot"):
        assert words in text


@pytest.mark.parametrize("argv,words", [
    (["outcomes", "--from", "2026-02-30"], "--from"),
    (["outcomes", "--protocol", "NOPE"], "no patient under protocol"),
])
def test_bad_arguments_exit_2_with_a_message(demo_db, capsys, argv, words):
    assert main(["--db", demo_db, *argv]) == 2
    assert words in capsys.readouterr().err
