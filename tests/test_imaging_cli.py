"""``python main.py import-dicom PATH``: report, patient creation flag, exit codes."""

from __future__ import annotations

import json

import main
from mdt.imaging.index import list_series
from mdt.services import Actor, MdtService
from mdt.store.db import open_database
from tests.imaging_fixtures import make_ct_series


def test_import_dicom_command(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    make_ct_series(tmp_path / "ct", 5, missing=[2], patient_id="MRN-42")
    (tmp_path / "ct" / "readme.txt").write_text("x")
    assert main.main(["--db", url, "import-dicom", str(tmp_path / "ct"), "--json", "--quiet"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["series"][0]["images"] == 4
    assert data["series"][0]["flags"] == ["missing slice(s): 1 missing between slices 2 and 3"]
    assert data["skipped"][0]["reason"] == "not a DICOM file"
    assert data["patients_not_linked"] == ["MRN-42"]
    # Again, creating the patient: nothing re-read, the patient is created.
    assert main.main(["--db", url, "import-dicom", str(tmp_path / "ct"), "--create-patients"]) == 0
    out = capsys.readouterr()
    assert "0 read, 5 unchanged" in out.out and "reading headers" not in out.err
    db = open_database(url)
    try:
        assert len(list_series(db, "MRN-42")[0].slices) == 4
        assert MdtService(db, Actor("x")).get_case("MRN-42").patient.name == "DOE^JANE"
    finally:
        db.close()


def test_import_dicom_command_bad_input(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert main.main(["--db", url, "import-dicom", str(tmp_path / "missing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.txt").write_text("x")
    assert main.main(["--db", url, "import-dicom", str(tmp_path / "junk"), "--quiet"]) == 2
    assert "a.txt: not a DICOM file" in capsys.readouterr().out
