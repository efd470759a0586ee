"""DICOM import and index: sorting in space, geometry flags, bad files, incremental re-scan,
whole-series writes, patient matching, folder / zip / DICOMDIR sources."""

from __future__ import annotations

import os
import shutil
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdt.case import Patient
from mdt.errors import NotFound, ValidationError
from mdt.imaging.geometry import group_series, order_and_check
from mdt.imaging.headers import InstanceHeader, Skipped, read_header
from mdt.imaging.index import (
    ImportReport,
    find_instance,
    get_series,
    import_dicom,
    list_series,
    skipped_files,
)
from mdt.imaging.series import choose_prior
from mdt.store.db import open_database
from tests.imaging_fixtures import make_ct_series
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'index.sqlite3'}")
    yield database
    database.close()


class FakePatients:
    """A PatientDirectory that records what the importer asked for."""

    def __init__(self, known=()):
        self.known = set(known)
        self.created: list[Patient] = []

    def exists(self, patient_id):
        return patient_id in self.known

    def create(self, patient):
        self.created.append(patient)
        self.known.add(patient.id)


def _sop_order(series):
    return [s.sop_instance_uid for s in series.slices]


# ---------------------------------------------------------------- sorting and geometry


def test_shuffled_files_are_sorted_along_the_normal_not_by_instance_number(db, tmp_path):
    truth = make_ct_series(tmp_path / "ct", 12, shuffle=True)  # InstanceNumbers run backwards
    report = import_dicom(db, tmp_path / "ct")
    assert report.files_read == 12 and not report.skipped
    (series,) = list_series(db)
    assert _sop_order(series) == truth["sop_by_z"]
    assert series.slice_spacing_mm == pytest.approx(2.5)
    assert series.flags == ()
    numbers = [pydicom.dcmread(s.path, stop_before_pixels=True).InstanceNumber for s in series.slices]
    assert numbers == sorted(numbers, reverse=True)


def test_missing_slice_is_flagged_with_its_place(db, tmp_path):
    truth = make_ct_series(tmp_path / "ct", 10, missing=[4])
    import_dicom(db, tmp_path / "ct")
    series = get_series(db, truth["series_uid"])
    assert len(series.slices) == 9
    assert _sop_order(series) == truth["sop_by_z"]
    assert series.flags == ("missing slice(s): 1 missing between slices 4 and 5",)


def test_gantry_tilt_is_flagged_and_spacing_is_along_the_normal(db, tmp_path):
    truth = make_ct_series(tmp_path / "ct", 8, tilt_deg=20)
    import_dicom(db, tmp_path / "ct")
    series = get_series(db, truth["series_uid"])
    assert _sop_order(series) == truth["sop_by_z"]
    assert series.tilt_deg == pytest.approx(20, abs=0.1)
    assert any("gantry tilt 20" in f for f in series.flags)
    assert series.slice_spacing_mm == pytest.approx(2.5)


def test_uneven_spacing_is_flagged(tmp_path):
    make_ct_series(tmp_path / "ct", 6, shuffle=False)
    headers = [read_header(p) for p in sorted((tmp_path / "ct").iterdir())]
    # Move one slice 1 mm: neither the usual step nor a whole multiple of it.
    h = sorted(headers, key=lambda h: h.position[2])[3]
    moved = InstanceHeader(**{**{f: getattr(h, f) for f in h.__slots__},
                              "position": (h.position[0], h.position[1], h.position[2] + 1.0)})
    others = [x for x in headers if x is not h]
    _, spacing, _, flags = order_and_check(others + [moved])
    assert spacing == pytest.approx(2.5)
    assert any(f.startswith("uneven slice spacing") for f in flags)


def test_localiser_and_second_phase_are_split_into_their_own_stacks(db, tmp_path):
    truth = make_ct_series(tmp_path / "ct", 6, acquisition=1)
    # Same series UID, same positions, another acquisition (a second contrast phase).
    make_ct_series(tmp_path / "ct2", 6, acquisition=2, series_uid=truth["series_uid"],
                   study_uid=truth["study_uid"], seed=99)
    # A localiser: same series, coronal orientation.
    loc = tmp_path / "loc"
    make_ct_series(loc, 1, series_uid=truth["series_uid"], study_uid=truth["study_uid"], seed=5)
    f = next(loc.iterdir())
    ds = pydicom.dcmread(f)
    ds.ImageOrientationPatient = [1, 0, 0, 0, 0, -1]
    ds.save_as(f)
    for sub in ("ct2", "loc"):
        for p in (tmp_path / sub).iterdir():
            shutil.move(str(p), tmp_path / "ct" / f"{sub}-{p.name}")
    import_dicom(db, tmp_path / "ct")
    stacks = sorted(list_series(db), key=lambda s: s.key)
    assert [len(s.slices) for s in stacks] == [6, 6, 1]
    assert {s.part_label for s in stacks} == {"axial, acquisition 1", "axial, acquisition 2", "coronal"}
    for s in stacks:
        assert "duplicate" not in " ".join(s.flags)


@given(st.permutations(list(range(9))), st.floats(0.5, 5.0))
def test_any_file_order_gives_the_same_spatial_order(order, spacing):
    base = dict(path="", size=1, mtime_ns=1, sop_class_uid="1.2.840.10008.5.1.4.1.1.2", series_uid="1.2",
                study_uid="1.1", patient_id="P", patient_name="", patient_sex="", patient_birth_date=None,
                study_date=None, study_description="", series_number=1, series_description="", modality="CT",
                instance_number=None, orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0), pixel_spacing=(1.0, 1.0),
                slice_thickness=None, acquisition="1", rows=4, columns=4, frames=1, transfer_syntax="")
    headers = [InstanceHeader(**base, sop_instance_uid=f"1.3.{i}", position=(0.0, 0.0, -i * spacing))
               for i in order]
    (group,) = group_series(headers)
    assert [h.sop_instance_uid for h in group.instances] == [f"1.3.{i}" for i in range(8, -1, -1)]
    assert group.slice_spacing_mm == pytest.approx(spacing)
    assert group.flags == ()


# ---------------------------------------------------------------- bad files


def test_bad_files_are_skipped_with_their_reason_and_the_series_still_imports(db, tmp_path):
    folder = tmp_path / "ct"
    truth = make_ct_series(folder, 6)
    (folder / "notes.txt").write_text("not an image", encoding="utf-8")
    (folder / "empty.dcm").write_bytes(b"")
    victim = sorted(p for p in folder.iterdir() if p.name.startswith("IM"))[0]
    data = victim.read_bytes()
    (folder / "cut.dcm").write_bytes(data[: len(data) - 500])  # truncated copy
    victim.unlink()
    pixelless = pydicom.dcmread(sorted(p for p in folder.iterdir() if p.name.startswith("IM"))[0])
    del pixelless.PixelData
    pixelless.SOPInstanceUID = pydicom.uid.generate_uid()
    pixelless.save_as(folder / "nopixels.dcm")
    report = import_dicom(db, folder)
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons["notes.txt"] == "not a DICOM file"
    assert reasons["empty.dcm"] == "empty file"
    assert reasons["cut.dcm"].startswith("truncated")
    assert reasons["nopixels.dcm"] == "no pixel data"
    (series,) = list_series(db)
    assert len(series.slices) == 5
    assert set(_sop_order(series)) <= set(truth["sop_by_z"])
    assert {Path(s.path).name for s in skipped_files(db)} == set(reasons)
    assert "4 file(s) skipped:" in "\n".join(report.summary_lines())


def test_read_header_never_raises(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(4096))
    result = read_header(junk)
    assert isinstance(result, Skipped)
    missing = read_header(tmp_path / "gone.dcm")
    assert isinstance(missing, Skipped) and missing.reason.startswith("cannot read file")


def test_a_source_that_does_not_exist_is_a_validation_error(db, tmp_path):
    with pytest.raises(ValidationError, match="no such file or folder"):
        import_dicom(db, tmp_path / "nowhere")


# ---------------------------------------------------------------- incremental re-scan


def test_rescan_reads_only_new_or_changed_files(db, tmp_path):
    folder = tmp_path / "ct"
    make_ct_series(folder, 8)
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    first = import_dicom(db, folder)
    assert (first.files_read, first.unchanged) == (9, 0)
    again = import_dicom(db, folder)
    assert (again.files_read, again.unchanged, again.series, again.skipped) == (0, 9, [], [])
    # One changed file (new content, new mtime) and one new file: exactly two reads.
    some = sorted(p for p in folder.iterdir() if p.name.startswith("IM"))[2]
    ds = pydicom.dcmread(some)
    ds.SeriesDescription = "Portal venous 2.5 mm"
    ds.PatientName = "DOE^JANE"
    ds.save_as(some)
    os.utime(some, ns=(1_900_000_000_000_000_000, 1_900_000_000_000_000_000))
    extra = make_ct_series(tmp_path / "more", 1, seed=42, series_uid=list_series(db)[0].series_uid,
                           study_uid=list_series(db)[0].study_uid, z0=-200 + 8 * 2.5)
    moved = next((tmp_path / "more").iterdir())
    shutil.move(str(moved), folder / "IMnew")
    third = import_dicom(db, folder)
    assert (third.files_read, third.unchanged) == (2, 8)
    (series,) = list_series(db)
    assert len(series.slices) == 9
    assert series.slices[-1].sop_instance_uid == extra["sop_by_z"][0]
    # A deleted file leaves the index and its series is rebuilt.
    (folder / "IMnew").unlink()
    fourth = import_dicom(db, folder)
    assert fourth.removed == 1 and len(list_series(db)[0].slices) == 8


# ---------------------------------------------------------------- whole series only


def test_cancel_never_leaves_half_a_series(db, tmp_path):
    make_ct_series(tmp_path / "src" / "a", 5, series_number=1, seed=1)
    make_ct_series(tmp_path / "src" / "b", 7, series_number=2, seed=2)
    writes = []

    def progress(done, total, what):
        if what == "writing series":
            writes.append(done)

    report = import_dicom(db, tmp_path / "src", progress=progress, cancelled=lambda: len(writes) >= 1)
    assert report.cancelled
    (only,) = list_series(db)
    assert len(only.slices) in (5, 7)  # one complete series, never a part of one
    assert len(report.series) == 1 and report.series[0].images == len(only.slices)
    # The next scan finishes the job; the written series is not read again.
    rest = import_dicom(db, tmp_path / "src")
    assert sorted(len(s.slices) for s in list_series(db)) == [5, 7]
    assert rest.unchanged == len(only.slices)


def test_cancel_while_reading_headers_writes_nothing(db, tmp_path):
    make_ct_series(tmp_path / "ct", 6)
    calls = []
    report = import_dicom(db, tmp_path / "ct", cancelled=lambda: calls.append(1) or len(calls) > 3)
    assert report.cancelled and list_series(db) == []


def test_a_failing_series_write_rolls_back_only_that_series(db, tmp_path, monkeypatch):
    import mdt.imaging.index as index

    make_ct_series(tmp_path / "src" / "a", 4, seed=1)
    make_ct_series(tmp_path / "src" / "b", 4, seed=2)
    real = index._file_row
    seen = {"series": set()}

    def flaky(h, series_id, i):
        seen["series"].add(h.series_uid)
        if len(seen["series"]) == 2 and i == 2:
            raise RuntimeError("disk full")
        return real(h, series_id, i)

    monkeypatch.setattr(index, "_file_row", flaky)
    with pytest.raises(RuntimeError):
        import_dicom(db, tmp_path / "src")
    (written,) = list_series(db)
    assert len(written.slices) == 4


# ---------------------------------------------------------------- patients


def test_patients_are_matched_or_created_only_after_confirmation(db, tmp_path):
    make_ct_series(tmp_path / "src" / "known", 3, patient_id="MRN-1", seed=1)
    make_ct_series(tmp_path / "src" / "yes", 3, patient_id="MRN-2", patient_name="ROE^ANN", seed=2)
    make_ct_series(tmp_path / "src" / "no", 3, patient_id="MRN-3", seed=3)
    patients = FakePatients(known={"MRN-1"})
    asked = []

    def confirm(patient, titles):
        asked.append((patient, tuple(titles)))
        return patient.id == "MRN-2"

    report = import_dicom(db, tmp_path / "src", patients=patients, confirm=confirm)
    assert report.patients_matched == ["MRN-1"]
    assert report.patients_created == ["MRN-2"]
    assert report.patients_not_linked == ["MRN-3"]
    assert [p.id for p, _ in asked] == ["MRN-2", "MRN-3"]
    created = patients.created[0]
    assert (created.name, created.sex, created.birth_date) == ("ROE^ANN", "F", date(1960, 2, 15))
    assert asked[0][1] == ("Portal venous 2.5 mm",)
    # Series of every patient are indexed, linked or not.
    assert {s.patient_id for s in list_series(db)} == {"MRN-1", "MRN-2", "MRN-3"}
    assert [s.patient_id for s in list_series(db, "MRN-2")] == ["MRN-2"]


def test_without_confirmation_no_patient_is_created(db, tmp_path):
    make_ct_series(tmp_path / "ct", 3, patient_id="MRN-9")
    patients = FakePatients()
    report = import_dicom(db, tmp_path / "ct", patients=patients)
    assert patients.created == [] and report.patients_not_linked == ["MRN-9"]


def test_patient_created_through_the_service_with_audit(db, tmp_path):
    from mdt.imaging.index import ServicePatients
    from mdt.services import Actor, MdtService

    make_ct_series(tmp_path / "ct", 3, patient_id="MRN-77", patient_name="SMITH^ALEX")
    svc = MdtService(db, Actor("radiographer"))
    report = import_dicom(db, tmp_path / "ct", patients=ServicePatients(svc), confirm=lambda p, t: True)
    assert report.patients_created == ["MRN-77"]
    assert svc.get_case("MRN-77").patient.name == "SMITH^ALEX"
    again = import_dicom(db, tmp_path / "ct", patients=ServicePatients(svc), confirm=lambda p, t: True)
    assert again.patients_created == []


# ---------------------------------------------------------------- sources and queries


def test_zip_source_is_unpacked_into_the_store_and_indexed(db, tmp_path):
    truth = make_ct_series(tmp_path / "ct", 5)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in (tmp_path / "ct").iterdir():
            zf.write(p, f"DICOM/{p.name}")
        zf.writestr("../escape.txt", "never written outside the store")
    report = import_dicom(db, archive, store=tmp_path / "store")
    assert report.files_seen == 5
    (series,) = list_series(db)
    assert _sop_order(series) == truth["sop_by_z"]
    assert all(str(tmp_path / "store") in s.path for s in series.slices)
    assert not (tmp_path / "escape.txt").exists()
    assert import_dicom(db, archive, store=tmp_path / "store").unchanged == 5


def test_dicomdir_source_lists_its_instances(db, tmp_path):
    from pydicom.fileset import FileSet

    truth = make_ct_series(tmp_path / "ct", 4)
    fs = FileSet()
    for p in (tmp_path / "ct").iterdir():
        fs.add(pydicom.dcmread(p))
    fs.write(tmp_path / "media")
    report = import_dicom(db, tmp_path / "media" / "DICOMDIR")
    assert report.files_seen == 4 and not report.skipped
    (series,) = list_series(db)
    assert _sop_order(series) == truth["sop_by_z"]


def test_find_instance_jumps_back_to_the_slice(db, tmp_path):
    truth = make_ct_series(tmp_path / "ct", 7)
    import_dicom(db, tmp_path / "ct")
    series, index = find_instance(db, truth["sop_by_z"][5])
    assert index == 5 and series.series_uid == truth["series_uid"]
    with pytest.raises(NotFound):
        find_instance(db, "1.2.3.4")
    with pytest.raises(NotFound):
        get_series(db, "1.2.3.4")


def test_prior_study_is_the_latest_earlier_one_of_the_same_modality(db, tmp_path):
    make_ct_series(tmp_path / "a", 3, study_date="20260301", seed=1)
    make_ct_series(tmp_path / "b", 3, study_date="20251201", seed=2)
    make_ct_series(tmp_path / "c", 3, study_date="20250601", seed=3)
    make_ct_series(tmp_path / "d", 3, study_date="20251201", seed=4, description="Arterial 1 mm",
                   spacing=1.0)
    for sub in "abcd":
        import_dicom(db, tmp_path / sub)
    series = list_series(db)
    current = next(s for s in series if s.study_date == date(2026, 3, 1))
    prior = choose_prior(current, series)
    assert prior is not None and prior.study_date == date(2025, 12, 1)
    assert prior.description == "Portal venous 2.5 mm"
    assert choose_prior(next(s for s in series if s.study_date == date(2025, 6, 1)), series) is None


def test_report_as_json_dict(db, tmp_path):
    make_ct_series(tmp_path / "ct", 3)
    (tmp_path / "ct" / "x.txt").write_text("x")
    data = import_dicom(db, tmp_path / "ct").to_dict()
    assert data["files_seen"] == 4 and data["series"][0]["images"] == 3
    assert data["skipped"] == [{"path": str(tmp_path / "ct" / "x.txt"), "reason": "not a DICOM file"}]
    assert isinstance(ImportReport("x").summary_lines(), list)


def test_multiframe_file_shows_its_frames(tmp_path):
    from mdt.imaging.series import series_from_group

    make_ct_series(tmp_path / "ct", 1)
    f = next((tmp_path / "ct").iterdir())
    ds = pydicom.dcmread(f)
    frame = np.frombuffer(ds.PixelData, dtype=np.uint16)
    ds.NumberOfFrames = 3
    ds.PixelData = np.concatenate([frame, frame, frame]).tobytes()
    ds.save_as(f)
    (group,) = group_series([read_header(f)])
    info = series_from_group(group)
    assert [s.frame for s in info.slices] == [0, 1, 2]
    assert "multi-frame" in group.flags[0]


def test_index_on_sqlite_and_postgresql(db_url, tmp_path):  # noqa: F811
    database = open_database(db_url)
    try:
        truth = make_ct_series(tmp_path / "ct", 6, missing=[3])
        (tmp_path / "ct" / "x.txt").write_text("x")
        report = import_dicom(database, tmp_path / "ct")
        assert len(report.series) == 1 and len(report.skipped) == 1
        assert import_dicom(database, tmp_path / "ct").files_read == 0
        (series,) = list_series(database)
        assert _sop_order(series) == truth["sop_by_z"] and len(series.flags) == 1
        assert find_instance(database, truth["sop_by_z"][2])[1] == 2
    finally:
        database.close()


def test_names_in_a_national_character_set_are_decoded(db, tmp_path):
    make_ct_series(tmp_path / "ct", 2, patient_id="MRN-Ü")
    for f in (tmp_path / "ct").iterdir():
        ds = pydicom.dcmread(f)
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.PatientName = "MÜLLER^JÜRGEN"
        ds.SeriesDescription = "Portalvenös 2,5 mm"
        ds.save_as(f)
    import_dicom(db, tmp_path / "ct")
    (series,) = list_series(db)
    assert series.patient_name == "MÜLLER^JÜRGEN"
    assert series.description == "Portalvenös 2,5 mm"
