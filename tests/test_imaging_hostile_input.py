"""One bad file never stops an import, and no source can exhaust the workstation.

Malformed headers (not-a-number series and instance numbers, positions of NaN, a frame count
of 2³¹−1 the file cannot hold) are skipped with their reason while the good files import;
devices, pipes and zip bombs are refused before anything is read or written; a zip's files
that were not indexed are not kept.  Files without file meta, with an implicit body under an
explicit transfer syntax, and volumetry whose declared spacing disagrees are covered too.
"""

from __future__ import annotations

import os
import threading
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest

from mdt.errors import ValidationError
from mdt.imaging import limits
from mdt.imaging.headers import Skipped, read_header
from mdt.imaging.index import import_dicom, list_series
from mdt.imaging.pixels import SeriesVolume
from mdt.store.db import open_database
from tests.imaging_fixtures import edit, make_ct_series, make_enhanced_series, phantom_slice


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'index.sqlite3'}")
    yield database
    database.close()


MALFORMED = [
    ({"SeriesNumber": "NaN"}, "SeriesNumber “NaN” is not a finite number"),
    ({"InstanceNumber": "inf"}, "InstanceNumber “inf” is not a finite number"),
    ({"InstanceNumber": "1e300"}, "InstanceNumber “1e300” is not a whole number in range"),
    ({"SeriesNumber": "three"}, "SeriesNumber “three” is not a number"),
    ({"ImagePositionPatient": "nan\\nan\\nan"}, "ImagePositionPatient “nan\\nan\\nan” is not a finite number"),
    ({"ImagePositionPatient": "1\\2"}, "ImagePositionPatient [1.0, 2.0] is not a position in mm"),
    ({"ImageOrientationPatient": "1\\0\\0\\1\\0\\0"}, "are not two perpendicular unit directions"),
    ({"PixelSpacing": "0\\0.7"}, "PixelSpacing [0.0, 0.7] is not two positive distances in mm"),
    ({"NumberOfFrames": "2147483647"}, "NumberOfFrames 2147483647 is outside 1..100000"),
    ({"NumberOfFrames": "5000"}, "× NumberOfFrames 5000 need 40960000 bytes of pixel data; the file holds 8192"),
    ({"NumberOfFrames": "-1"}, "NumberOfFrames -1 is outside"),
]


@pytest.mark.parametrize(("values", "reason"), MALFORMED)
def test_a_malformed_header_skips_that_file_with_its_reason_and_the_rest_imports(db, tmp_path, values, reason):
    folder = tmp_path / "ct"
    make_ct_series(folder, 5)
    victim = sorted(folder.iterdir())[2]
    edit(victim, **values)
    result = read_header(victim)
    assert isinstance(result, Skipped) and reason in result.reason and result.reason.startswith("bad header: ")
    report = import_dicom(db, folder)
    assert [(Path(s.path).name, s.reason) for s in report.skipped] == [(victim.name, result.reason)]
    (series,) = list_series(db)
    assert len(series.slices) == 4


def test_an_impossible_frame_count_neither_hangs_the_import_nor_the_series_list(db, tmp_path):
    folder = tmp_path / "ct"
    make_ct_series(folder, 3)
    for p in folder.iterdir():
        edit(p, NumberOfFrames="2147483647")
    done = threading.Event()
    worker = threading.Thread(target=lambda: (import_dicom(db, folder), done.set()), daemon=True)
    worker.start()
    worker.join(20)
    assert done.is_set(), "import hung on NumberOfFrames=2147483647"
    assert list_series(db) == []


def test_per_frame_groups_that_do_not_match_the_frame_count_are_refused(tmp_path):
    make_enhanced_series(tmp_path / "en", 4)
    f = next((tmp_path / "en").iterdir())
    ds = pydicom.dcmread(f)
    ds.PerFrameFunctionalGroupsSequence = ds.PerFrameFunctionalGroupsSequence[:3]
    ds.save_as(f)
    result = read_header(f)
    assert isinstance(result, Skipped)
    assert result.reason == "bad header: PerFrameFunctionalGroupsSequence has 3 items for NumberOfFrames 4"


def test_a_nan_frame_position_is_named_with_its_frame(tmp_path):
    make_enhanced_series(tmp_path / "en", 4)
    f = next((tmp_path / "en").iterdir())
    ds = pydicom.dcmread(f)
    ds.PerFrameFunctionalGroupsSequence[2].PlanePositionSequence[0]["ImagePositionPatient"]._value = [
        float("nan")] * 3
    ds.save_as(f)
    result = read_header(f)
    assert isinstance(result, Skipped) and "frame 3: ImagePositionPatient" in result.reason


# ---------------------------------------------------------------- only regular files


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_in_the_folder_is_skipped_without_blocking(db, tmp_path):
    folder = tmp_path / "ct"
    make_ct_series(folder, 3)
    os.mkfifo(folder / "pipe")
    done = threading.Event()
    worker = threading.Thread(target=lambda: (import_dicom(db, folder), done.set()), daemon=True)
    worker.start()
    worker.join(20)
    assert done.is_set(), "a FIFO blocked the import"
    reasons = {Path(s.path).name: s.reason for s in read_all_skipped(db)}
    assert reasons == {"pipe": "not a regular file (a pipe)"}
    assert len(list_series(db)[0].slices) == 3


def read_all_skipped(db):
    from mdt.imaging.index import skipped_files

    return skipped_files(db)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused_before_a_byte_is_read(db):
    with pytest.raises(ValidationError, match="a device, not a file"):
        import_dicom(db, "/dev/zero")
    assert isinstance(read_header("/dev/zero"), Skipped)
    assert read_header("/dev/zero").reason == "not a regular file (a device)"


# ---------------------------------------------------------------- zips


def _write_body(path: Path, ds, *, meta=None) -> None:
    """Write a dataset's body in implicit VR little endian, after ``meta`` (file meta) or with none."""
    from pydicom.dataset import Dataset
    from pydicom.filebase import DicomFileLike
    from pydicom.filewriter import write_dataset, write_file_meta_info

    body = Dataset({e.tag: e for e in ds if e.tag.group != 0x0002})
    with open(path, "wb") as raw:
        fp = DicomFileLike(raw)
        if meta is not None:
            fp.write(b"\0" * 128 + b"DICM")
            write_file_meta_info(fp, meta, enforce_standard=True)
        fp.is_little_endian, fp.is_implicit_VR = True, True
        write_dataset(fp, body)


def _zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_a_zip_bomb_is_refused_and_nothing_is_unpacked(db, tmp_path):
    bomb = _zip(tmp_path / "bomb.zip", {"zeros.dcm": bytes(64 * 1024 * 1024)})
    store = tmp_path / "store"
    with pytest.raises(ValidationError, match="as a zip bomb"):
        import_dicom(db, bomb, store=store)
    assert not store.exists() or not any(store.iterdir())


def test_a_zip_larger_than_the_limit_is_refused(db, tmp_path, monkeypatch):
    make_ct_series(tmp_path / "ct", 4)
    archive = _zip(tmp_path / "ct.zip", {p.name: p.read_bytes() for p in (tmp_path / "ct").iterdir()})
    monkeypatch.setattr(limits, "ZIP_MAX_TOTAL_BYTES", 10_000)
    store = tmp_path / "store"
    with pytest.raises(ValidationError, match="more than the limit"):
        import_dicom(db, archive, store=store)
    assert not store.exists() or not any(store.iterdir())


def test_a_zips_files_that_were_not_indexed_are_not_kept(db, tmp_path):
    make_ct_series(tmp_path / "ct", 3)
    members = {f"images/{p.name}": p.read_bytes() for p in (tmp_path / "ct").iterdir()}
    members["notes.txt"] = b"exam notes"
    members["big.bin"] = os.urandom(300_000)
    archive = _zip(tmp_path / "ct.zip", members)
    store = tmp_path / "store"
    report = import_dicom(db, archive, store=store)
    assert len(report.series) == 1 and len(report.skipped) == 2
    kept = sorted(p.relative_to(store).parts[1:] for p in store.rglob("*") if p.is_file() and p.name != ".complete")
    assert len(kept) == 3 and all(part[0] == "images" for part in kept)
    (series,) = list_series(db)
    assert all(Path(s.path).exists() for s in series.slices)


def test_a_zip_with_nothing_to_index_leaves_nothing_behind(db, tmp_path):
    archive = _zip(tmp_path / "docs.zip", {"a.txt": b"x" * 1000, "b.pdf": b"%PDF-1.4"})
    store = tmp_path / "store"
    report = import_dicom(db, archive, store=store)
    assert report.series == [] and len(report.skipped) == 2
    assert not any(p.is_file() for p in store.rglob("*"))


# ---------------------------------------------------------------- unusual but valid encodings


def test_a_file_without_file_meta_is_indexed_and_displayed(db, tmp_path):
    folder = tmp_path / "ct"
    make_ct_series(folder, 3)
    f = sorted(folder.iterdir())[1]
    ds = pydicom.dcmread(f)
    expected = ds.pixel_array.copy()
    _write_body(f, ds)
    assert f.read_bytes()[128:132] != b"DICM" and f.read_bytes()[:2] == b"\x08\x00"
    import_dicom(db, folder)
    (series,) = list_series(db)
    volume = SeriesVolume(series)
    volume.load_all()
    i = [s.path for s in series.slices].index(str(f))
    assert volume.errors == {} and np.array_equal(volume.ensure(i), expected)


def test_an_explicit_vr_file_with_an_implicit_body_is_read_not_called_truncated(db, tmp_path):
    folder = tmp_path / "ct"
    make_ct_series(folder, 3)
    f = sorted(folder.iterdir())[0]
    ds = pydicom.dcmread(f)
    expected = ds.pixel_array.copy()
    # The file meta says Explicit VR Little Endian; the body is written implicit.
    _write_body(f, ds, meta=ds.file_meta)
    raw = pydicom.dcmread(f, stop_before_pixels=True)
    assert raw.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    header = read_header(f)
    assert not isinstance(header, Skipped), header
    import_dicom(db, folder)
    (series,) = list_series(db)
    volume = SeriesVolume(series)
    i = [s.path for s in series.slices].index(str(f))
    assert np.array_equal(volume.ensure(i), expected) and volume.errors == {}


def test_read_header_never_raises_on_random_bytes_after_a_valid_preamble(tmp_path):
    rng = np.random.default_rng(5)
    for k in range(40):
        f = tmp_path / f"x{k}.dcm"
        f.write_bytes(b"\0" * 128 + b"DICM" + rng.integers(0, 256, 600, dtype=np.uint8).tobytes())
        assert isinstance(read_header(f), Skipped)


# ---------------------------------------------------------------- volumetry


def test_volumetry_says_when_declared_spacing_disagrees_with_frame_positions(tmp_path):
    from mdt.imaging.volumetry import slice_spacing

    normal = np.array([0.0, 0.0, 1.0])
    positions = [(0.0, 0.0, 2.5 * i) for i in range(6)]
    spacing, source = slice_spacing(positions, normal, 3.0)
    assert spacing == 2.5 and "declared SpacingBetweenSlices 3 mm disagrees" in source
    spacing, source = slice_spacing(positions, normal, 2.5)
    assert source == "SpacingBetweenSlices (agrees with frame positions)"
    assert phantom_slice(8, 8, 0).shape == (8, 8)


# ---------------------------------------------------------------- migration 0009


def test_migration_keeps_single_frame_series_and_forgets_multi_frame_and_skipped_rows(tmp_path):
    from alembic import command
    from sqlalchemy import text

    from mdt.store.db import alembic_config, make_engine

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    make_ct_series(tmp_path / "ct", 3)
    database = open_database(url)
    import_dicom(database, tmp_path / "ct")
    database.close()
    engine = make_engine(url)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0003_enrolment_date")
        # What the old index could hold: a stored NumberOfFrames of 2^31-1, a remembered skipped file.
        conn.execute(text("INSERT INTO dicom_series (series_uid, part, part_label, study_uid, study_description, "
                          "patient_id, patient_name, patient_sex, modality, description, is_seg, instance_count, "
                          "rows, columns, flags, indexed_at) VALUES ('9.9', 0, '', '9.8', '', 'P', '', '', 'US', '', "
                          "0, 1, 8, 8, '', '2026-01-01')"))
        sid = conn.execute(text("SELECT id FROM dicom_series WHERE series_uid = '9.9'")).scalar_one()
        conn.execute(text("INSERT INTO dicom_file (path, size, mtime_ns, status, series_id, slice_index, "
                          "sop_instance_uid, series_uid, frames) VALUES ('/x/cine.dcm', 10, 1, 'image', :sid, 0, "
                          "'9.9.1', '9.9', 2147483647)"), {"sid": sid})
        conn.execute(text("INSERT INTO dicom_file (path, size, mtime_ns, status, reason) VALUES "
                          "('/x/deflated.dcm', 10, 1, 'skipped', 'no pixel data')"))
    engine.dispose()
    database = open_database(url)
    try:
        (series,) = list_series(database)
        assert len(series.slices) == 3 and series.modality == "CT"
        assert read_all_skipped(database) == []
        assert import_dicom(database, tmp_path / "ct").files_read == 0  # single-frame rows kept
    finally:
        database.close()
