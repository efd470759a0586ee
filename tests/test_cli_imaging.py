"""``main.py import-dicom PATH`` and ``main.py volumetry SEG.dcm --json`` as separate processes,
on synthetic DICOM from tests/imaging_fixtures.py (no patient data)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mdt.imaging.index import list_series
from mdt.store.db import open_database
from tests.cli_fixtures import BACKENDS, Cli, new_database, spec_case, write_json
from tests.imaging_fixtures import make_ct_series, make_seg
from tests.pg_fixtures import pg_server_url  # noqa: F401

pytestmark = pytest.mark.xdist_group("cli_imaging")

SLICES, ROWS, COLS, SPACING, PIXEL = 6, 64, 64, 2.5, 0.75
VOXEL_ML = PIXEL * PIXEL * SPACING / 1000.0


@pytest.fixture(scope="module")
def dicom(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CT series of the spec example's patient, a series of an unknown patient, a SEG."""
    root = tmp_path_factory.mktemp("cli-dicom")
    make_ct_series(root / "known", SLICES, rows=ROWS, cols=COLS, pixel_spacing=PIXEL,
                           spacing=SPACING, patient_id="MRN-000123")
    make_ct_series(root / "stranger", 4, rows=32, cols=32, patient_id="MRN-STRANGER",
                   patient_name="ROE^RICHARD")
    liver = np.zeros((SLICES, ROWS, COLS), bool)
    liver[1:5, 10:30, 12:40] = True
    segment7 = np.zeros((SLICES, ROWS, COLS), bool)
    segment7[0:2, 40:50, 40:45] = True
    seg = make_seg(root / "known", root / "seg.dcm", {1: liver, 2: segment7},
                   {1: "Liver", 2: "Segment VII"})
    archive = root / "both.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for folder in ("known", "stranger"):
            for f in sorted((root / folder).iterdir()):
                zf.write(f, f"{folder}/{f.name}")
    return {"known": root / "known", "stranger": root / "stranger", "seg": seg, "zip": archive,
            "root": root}


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Cli, str]]:
    cli = Cli(tmp_path / "data")
    for url in new_database(request, tmp_path):
        cli.ok("import", write_json(tmp_path / "case.json", spec_case()), db=url)
        yield cli, url


def test_import_dicom_folder_then_zip(store: tuple[Cli, str], dicom: dict[str, Path]) -> None:
    cli, url = store
    res = cli.ok("import-dicom", dicom["known"], "--json", "--quiet", db=url)
    report = json.loads(res.stdout)
    assert report["files_seen"] == SLICES and report["files_read"] == SLICES
    assert [(s["patient_id"], s["images"]) for s in report["series"]] == [("MRN-000123", SLICES)]
    assert report["patients_matched"] == ["MRN-000123"] and report["patients_not_linked"] == []
    assert report["skipped"] == []

    # The zip holds the same series again (merged, not doubled) and a stranger's, who is
    # listed, not created, without --create-patients.
    res = cli.ok("import-dicom", dicom["zip"], "--json", "--quiet", db=url)
    report = json.loads(res.stdout)
    assert sorted((s["patient_id"], s["images"]) for s in report["series"]) == \
        [("MRN-000123", SLICES), ("MRN-STRANGER", 4)]
    assert report["patients_not_linked"] == ["MRN-STRANGER"]
    assert cli.run("export", "--patient", "MRN-STRANGER", db=url).returncode == 2

    res = cli.ok("import-dicom", dicom["stranger"], "--create-patients", db=url)
    assert "MRN-STRANGER" in res.stdout
    stranger = json.loads(cli.ok("export", "--patient", "MRN-STRANGER", db=url).stdout)
    assert stranger["patient"]["name"] == "ROE^RICHARD"

    db = open_database(url)
    try:
        (series,) = list_series(db, "MRN-000123")
        assert len(series.slices) == SLICES
    finally:
        db.close()
    assert cli.ok("audit", "verify", db=url).returncode == 0


def test_import_dicom_bad_paths_are_exit_2(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "data")
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    res = cli.run("import-dicom", tmp_path / "absent", db=url)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("not an image", encoding="utf-8")
    res = cli.run("import-dicom", junk, "--quiet", db=url)
    assert res.returncode == 2 and "notes.txt: not a DICOM file" in res.stdout
    if Path("/dev/zero").exists():
        res = cli.run("import-dicom", "/dev/zero", "--quiet", db=url)
        assert res.returncode == 2 and "a device, not a file" in res.stderr and "Traceback" not in res.stderr


def test_import_dicom_dicomdir_with_missing_files_exits_2_naming_them(tmp_path: Path) -> None:
    import shutil

    from pydicom.data import get_testdata_file

    src = Path(get_testdata_file("DICOMDIR", download=False)).parent
    shutil.copytree(src, tmp_path / "cd")
    victim = next(p for p in sorted((tmp_path / "cd" / "98892001").rglob("*")) if p.is_file())
    victim.unlink()
    cli = Cli(tmp_path / "data")
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    res = cli.run("import-dicom", tmp_path / "cd" / "DICOMDIR", "--quiet", db=url)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert str(victim) in res.stdout and "missing from the medium" in res.stdout
    assert "the import is incomplete" in res.stderr


def test_volumetry_json(dicom: dict[str, Path], tmp_path: Path) -> None:
    res = Cli(tmp_path / "data").ok("volumetry", dicom["seg"], "--json")
    doc = json.loads(res.stdout)
    segments = doc["segments"]
    assert [set(s) >= {"number", "label", "voxels", "volume_ml"} for s in segments] == [True, True]
    expected = {1: ("Liver", 4 * 20 * 28), 2: ("Segment VII", 2 * 10 * 5)}
    for s in segments:
        label, voxels = expected[s["number"]]
        assert (s["label"], s["voxels"]) == (label, voxels)
        assert s["volume_ml"] == pytest.approx(voxels * VOXEL_ML, abs=0.01)
    assert not (tmp_path / "data" / "liver-mdt.sqlite3").exists()  # no database needed


def test_volumetry_readable_and_bad_input(dicom: dict[str, Path], tmp_path: Path) -> None:
    cli = Cli(tmp_path / "data")
    res = cli.ok("volumetry", dicom["seg"])
    assert "Liver" in res.stdout and "mL" in res.stdout
    ct_file = next(dicom["known"].iterdir())
    res = cli.run("volumetry", ct_file, "--json")
    assert res.returncode == 2 and res.stdout == "" and "not a DICOM Segmentation" in res.stderr
    res = cli.run("volumetry", tmp_path / "absent.dcm", "--json")
    assert res.returncode == 2 and res.stdout == "" and "absent.dcm" in res.stderr
