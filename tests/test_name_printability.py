"""A name with characters no PDF font can draw is said while it is typed or imported, not found on
printed minutes: the patient dialog shows a note, the command-line import prints one, and both say
what the PDFs print instead ([U+XXXX], never a box)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import main
from mdt.minutes.fonts import print_warning
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.signin_fixtures import cli_signin_args
from tests.store_fixtures import COORDINATOR, Workstation, make_case, ws  # noqa: F401


@pytest.mark.parametrize(("name", "expected"), [
    ("LEFÈVRE^François", None),
    ("GARCÍA LÓPEZ^María José", None),
    ("山田^太郎", None),  # the CJK fallback font draws it
    ("𠮷田^太郎", "This name has characters the PDF fonts cannot draw: the minutes and reports print "
                 "‘𠮷’ as [U+20BB7]."),
    ("ใจดี^สมชาย", "‘ใ’ as [U+0E43], ‘จ’ as [U+0E08], ‘ด’ as [U+0E14], ‘ี’ as [U+0E35] and 5 more."),
])
def test_what_the_pdfs_cannot_draw_is_said_in_words(name: str, expected: str | None) -> None:
    note = print_warning(name)
    if expected is None:
        assert note is None
    else:
        assert note is not None and note.endswith(expected)


def test_the_patient_dialog_says_it_while_the_name_is_typed(qtbot) -> None:  # noqa: ANN001
    from ui.patients.dialogs import PatientDialog

    dialog = PatientDialog(lambda *_a: None, ["NCT05103020"])
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.print_note.isVisible()
    dialog.family_edit.setText("𠮷田")
    assert dialog.print_note.isVisible() and "[U+20BB7]" in dialog.print_note.text()
    dialog.family_edit.setText("山田")
    assert not dialog.print_note.isVisible()


def test_the_import_prints_a_note(ws: Workstation, tmp_path: Path,  # noqa: F811
                                  capsys: pytest.CaptureFixture[str]) -> None:
    from mdt.caseformat import case_to_dict

    path = tmp_path / "case.json"
    path.write_text(json.dumps(case_to_dict(make_case("P9", name="𠮷田^太郎"))), encoding="utf-8")
    who = cli_signin_args(ws.db, COORDINATOR.name, tmp_path)
    capsys.readouterr()
    assert main.main(["--db", ws.db.url, *who, "import", str(path)]) == 0
    err = capsys.readouterr().err
    assert "note: the name of P9 has characters the PDF fonts cannot draw" in err and "[U+20BB7]" in err
