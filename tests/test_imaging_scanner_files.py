"""DICOM as real scanners write it: enhanced multi-frame geometry and calipers, series spread over
several multi-frame files, dynamic (multi-phase) series, every transfer syntax, DICOMDIR variants.

Uses pydicom's shipped test files and the ``pydicom-data`` package (an installed package, so every clone
has them; ``get_testdata_file(name, download=False)`` never touches the network),
highdicom's legacy converter, and generated files (``tests/imaging_fixtures.py``) for the rest.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from mdt.imaging.calipers import length_mm, measurement, slice_for
from mdt.imaging.geometry import group_series
from mdt.imaging.headers import read_header
from mdt.imaging.index import find_instance, get_series, import_dicom, list_series
from mdt.imaging.pixels import SeriesVolume
from mdt.imaging.series import series_from_group
from mdt.store.db import open_database
from tests.imaging_fixtures import make_ct_series, make_dynamic_series, make_enhanced_series


def data_file(name: str) -> Path:
    path = get_testdata_file(name, download=False)
    assert path is not None, f"{name}: pydicom / pydicom-data test file missing (pip install -r requirements-dev.txt)"
    return Path(path)


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'index.sqlite3'}")
    yield database
    database.close()


def _copy(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(data_file(name), folder / name)
    return folder


# ---------------------------------------------------------------- enhanced multi-frame


def test_enhanced_ct_from_pydicom_is_ordered_in_space_with_its_functional_groups(db, tmp_path):
    import_dicom(db, _copy(tmp_path, "eCT_Supplemental.dcm"))
    (series,) = list_series(db)
    # Stored order is -159 then -149 mm; the normal of (-1,0,0)x(0,1,0) points to -z: -149 comes first.
    assert [s.frame for s in series.slices] == [1, 0]
    assert [s.position[2] for s in series.slices] == [-149.0, -159.0]
    assert series.pixel_spacing == pytest.approx((0.388672, 0.388672))  # shared PixelMeasuresSequence
    assert series.slice_spacing_mm == pytest.approx(10.0)
    volume = SeriesVolume(series)
    assert volume.default_window(0) == (49.0, 102.0)  # shared FrameVOILUTSequence
    assert volume.intercept[0] == -1024.0  # shared PixelValueTransformationSequence
    raw = pydicom.dcmread(series.slices[0].path).pixel_array
    assert np.array_equal(volume.ensure(0), raw[1]) and np.array_equal(volume.ensure(1), raw[0])


def test_enhanced_series_over_several_files_is_one_stack_in_space(db, tmp_path):
    truth = make_enhanced_series(tmp_path / "en", 12, files=3)
    report = import_dicom(db, tmp_path / "en")
    assert report.files_read == 3 and not report.skipped
    (series,) = list_series(db)
    assert [(s.sop_instance_uid, s.frame + 1) for s in series.slices] == truth["order"][0]
    assert series.slice_spacing_mm == pytest.approx(2.5) and series.flags == ()
    assert series.pixel_spacing == (0.7, 0.7)
    volume = SeriesVolume(series)
    volume.load_all()
    for i, s in enumerate(series.slices):
        assert np.array_equal(volume.rescaled(i), truth["hu"][(s.sop_instance_uid, s.frame + 1)])
    assert volume.default_window(0) == (60.0, 360.0)


def test_caliper_on_a_frame_of_a_multi_frame_file_names_the_frame_and_jumps_back(db, tmp_path):
    make_enhanced_series(tmp_path / "en", 10, files=2, pixel_spacing=0.8)
    import_dicom(db, tmp_path / "en")
    (series,) = list_series(db)
    where = measurement(series, 7, (2.0, 3.0), (12.0, 3.0))
    ref = series.slices[7]
    assert where.sop_instance_uid == ref.sop_instance_uid and where.frame_number == ref.frame + 1
    assert length_mm((2.0, 3.0), (12.0, 3.0), series.spacing_at(7)) == pytest.approx(8.0)
    assert slice_for(series, where) == 7
    # Another frame of the same file is another slice: the frame number tells them apart.
    same_file = [i for i, s in enumerate(series.slices) if s.sop_instance_uid == ref.sop_instance_uid]
    assert len(same_file) == 5 and series.index_of(ref.sop_instance_uid) != 7 or same_file[0] == 7
    found, index = find_instance(db, where.sop_instance_uid, where.frame_number)
    assert found.key == series.key and index == 7


def test_highdicom_legacy_converted_enhanced_ct_keeps_geometry_and_hounsfield_units(db, tmp_path):
    import highdicom as hd

    truth = make_ct_series(tmp_path / "ct", 8, shuffle=True)
    legacy = [pydicom.dcmread(p) for p in sorted((tmp_path / "ct").iterdir())]
    enhanced = hd.legacy.LegacyConvertedEnhancedCTImage(
        legacy, series_instance_uid=pydicom.uid.generate_uid(), series_number=9,
        sop_instance_uid=pydicom.uid.generate_uid(), instance_number=1)
    (tmp_path / "en").mkdir()
    enhanced.save_as(tmp_path / "en" / "enhanced.dcm")
    import_dicom(db, tmp_path / "en")
    (series,) = list_series(db)
    assert len(series.slices) == 8 and series.slice_spacing_mm == pytest.approx(2.5)
    assert series.pixel_spacing == (0.75, 0.75) and not series.flags
    by_sop = {str(ds.SOPInstanceUID): ds for ds in legacy}
    volume = SeriesVolume(series)
    for i, sop in enumerate(truth["sop_by_z"]):
        ds = by_sop[sop]
        expected = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        assert np.array_equal(volume.rescaled(i), expected.astype(np.float32))
        assert series.slices[i].position[2] == pytest.approx(float(ds.ImagePositionPatient[2]))


def test_classic_multi_frame_without_positions_keeps_stored_order(db, tmp_path):
    import_dicom(db, _copy(tmp_path, "emri_small.dcm"))
    (series,) = list_series(db)
    assert [s.frame for s in series.slices] == list(range(10))
    assert "stored order" in series.flags[0]


# ---------------------------------------------------------------- repeated positions (phases)


def test_enhanced_mr_with_temporal_positions_becomes_one_stack_per_phase(db, tmp_path):
    truth = make_enhanced_series(tmp_path / "mr", 6, phases=3, files=2, modality="MR")
    import_dicom(db, tmp_path / "mr")
    stacks = sorted(list_series(db), key=lambda s: int(s.key.partition("#")[2]))
    assert [s.part_label for s in stacks] == ["phase 1", "phase 2", "phase 3"]
    for p, s in enumerate(stacks):
        assert [(x.sop_instance_uid, x.frame + 1) for x in s.slices] == truth["order"][p]
        assert s.flags == () and s.slice_spacing_mm == pytest.approx(2.5)


@pytest.mark.parametrize(("key", "per_slice", "labels"), [
    ("temporal", False, ["phase 1", "phase 2", "phase 3"]),
    ("trigger", False, ["trigger 150 ms", "trigger 300 ms", "trigger 450 ms"]),
    ("time", False, ["acquired 10:00:00.0", "acquired 10:00:30.0", "acquired 10:01:00.0"]),
    ("time", True, ["phase 1, acquired 10:00:00.0", "phase 2, acquired 10:00:30.0", "phase 3, acquired 10:01:00.0"]),
    ("echo", False, ["echo 2.3 ms", "echo 4.6 ms", "echo 9.2 ms"]),
])
def test_dynamic_series_is_split_by_what_tells_its_phases_apart(db, tmp_path, key, per_slice, labels):
    truth = make_dynamic_series(tmp_path / "dyn", 6, 3, key=key, per_slice_times=per_slice)
    import_dicom(db, tmp_path / "dyn")
    stacks = list_series(db)
    order = {int(s.key.partition("#")[2]): s for s in stacks}
    assert [order[k].part_label for k in sorted(order)] == labels
    for p, k in enumerate(sorted(order)):
        assert {x.sop_instance_uid for x in order[k].slices} == set(truth["by_phase"][p])
        assert not any("duplicate" in f for f in order[k].flags)


def test_repeats_nothing_separates_stay_one_stack_flagged(tmp_path):
    make_ct_series(tmp_path / "a", 4, seed=1)
    headers = [read_header(p) for p in sorted((tmp_path / "a").iterdir())]
    twins = [h.__class__(**{**{f: getattr(h, f) for f in h.__slots__}, "sop_instance_uid": h.sop_instance_uid + ".9"})
             for h in headers]
    (group,) = group_series(headers + twins)
    assert len(group.frames) == 8 and "4 duplicate slice position(s)" in group.flags


def test_images_of_another_size_go_to_a_stack_of_their_own(db, tmp_path):
    truth = make_ct_series(tmp_path / "ct", 6)
    make_ct_series(tmp_path / "summary", 1, rows=40, cols=48, series_uid=truth["series_uid"],
                   study_uid=truth["study_uid"], seed=3)
    for p in (tmp_path / "summary").iterdir():
        shutil.move(str(p), tmp_path / "ct" / f"summary-{p.name}")
    import_dicom(db, tmp_path / "ct")
    stacks = sorted(list_series(db), key=lambda s: s.key)
    assert [(len(s.slices), s.part_label) for s in stacks] == [(6, "64×64"), (1, "48×40")]
    assert all(SeriesVolume(s).errors == {} for s in stacks)


# ---------------------------------------------------------------- transfer syntaxes


REFERENCE = "MR_small.dcm"
SAME_PIXELS_AS_REFERENCE = [
    "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm", "MR_small_RLE.dcm",
    "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_padded.dcm",
]


@pytest.mark.parametrize("name", SAME_PIXELS_AS_REFERENCE)
def test_lossless_and_native_syntaxes_decode_to_the_reference_pixels(name, tmp_path):
    reference = pydicom.dcmread(data_file(REFERENCE)).pixel_array
    header = read_header(_copy(tmp_path, name) / name)
    assert not header.undecodable
    (group,) = group_series([header])
    volume = SeriesVolume(series_from_group(group))
    assert np.array_equal(volume.ensure(0), reference) and volume.errors == {}


@pytest.mark.parametrize("name", [
    "JPEG2000.dcm", "JPGLosslessP14SV1_1s_1f_8b.dcm", "JPEG-LL.dcm", "SC_rgb_jpeg_dcmtk.dcm",
    "emri_small_RLE.dcm", "emri_small_jpeg_2k_lossless.dcm", "emri_small_jpeg_ls_lossless.dcm",
    "emri_small_big_endian.dcm", "693_J2KI.dcm", "color3d_jpeg_baseline.dcm",
])
def test_compressed_syntaxes_decode_every_frame(name, tmp_path):
    header = read_header(_copy(tmp_path, name) / name)
    assert not isinstance(header, type(None)) and not header.undecodable, header
    (group,) = group_series([header])
    volume = SeriesVolume(series_from_group(group))
    volume.load_all()
    assert volume.errors == {} and volume.n == header.frames


def test_deflated_explicit_vr_is_decoded(db, tmp_path):
    import_dicom(db, _copy(tmp_path, "image_dfl.dcm"))
    (series,) = list_series(db)
    volume = SeriesVolume(series)
    expected = pydicom.dcmread(data_file("image_dfl.dcm")).pixel_array
    assert np.array_equal(volume.ensure(0), expected) and volume.errors == {}


def test_twelve_bit_jpeg_extended_decodes_without_a_gpl_decoder(tmp_path):
    from mdt.imaging.decoders import gpl_decoders

    header = read_header(_copy(tmp_path, "JPGExtended.dcm") / "JPGExtended.dcm")
    assert header.transfer_syntax == "1.2.840.10008.1.2.4.51" and not header.undecodable
    (group,) = group_series([header])
    volume = SeriesVolume(series_from_group(group))
    arr = volume.ensure(0)
    assert volume.errors == {} and arr.shape == (1024, 256)
    # Reference: the same file decoded by libjpeg 6b-compatible pylibjpeg-libjpeg (GPL, not
    # shipped; run once when this test was written).  Two conformant IDCTs may differ by 1.
    ref_row = np.array([244, 242, 249, 260, 218, 219, 221, 223])
    assert np.abs(arr[420, 140:148].astype(int) - ref_row).max() <= 1
    assert int(arr.max()) == 264 and abs(int(arr.astype(np.int64).sum()) - 3770427) < 3770427 * 0.002
    assert gpl_decoders() == []


def test_without_a_twelve_bit_decoder_import_and_about_say_so(db, tmp_path, monkeypatch):
    from mdt.imaging import decoders

    monkeypatch.setattr(decoders, "_TWELVE_BIT_PLUGINS", frozenset())
    decoders.undecodable_reason.cache_clear()
    try:
        report = import_dicom(db, _copy(tmp_path, "JPGExtended.dcm"))
        assert [Path(s.path).name for s in report.undecodable] == ["JPGExtended.dcm"]
        assert "12-bit samples" in report.undecodable[0].reason
        assert any("cannot show" in line for line in report.summary_lines())
        (series,) = list_series(db)
        assert any("cannot be shown in this build" in f for f in series.flags)
        assert any("12-bit" in name for name in decoders.undecodable_syntaxes())
    finally:
        decoders.undecodable_reason.cache_clear()


def test_about_lists_every_transfer_syntax_truthfully():
    from pydicom import uid

    from mdt.imaging.decoders import syntax_support, undecodable_syntaxes

    rows = {r.name: r for r in syntax_support()}
    for ts in uid.AllTransferSyntaxes:
        assert any(name.startswith(ts.name) for name in rows), ts.name
    assert rows["JPEG Extended (Process 2 and 4), 12-bit samples"].decodable
    twelve = rows["JPEG Extended (Process 2 and 4), 12-bit samples"].decoders
    assert all("gdcm" not in d and "pillow" not in d for d, _lic in twelve)
    assert rows["Deflated Explicit VR Little Endian"].decodable
    # Video syntaxes have no decoder here, and About says so rather than claiming all decode.
    assert "MPEG2 Main Profile / Main Level" in undecodable_syntaxes()
    assert all("GPL" not in lic for r in rows.values() for _d, lic in r.decoders)


# ---------------------------------------------------------------- DICOMDIR variants


def _dicomdir_set(tmp_path: Path, variant: str = "DICOMDIR") -> Path:
    src = Path(data_file("DICOMDIR")).parent
    dest = tmp_path / "cd"
    shutil.copytree(src, dest)
    if variant != "DICOMDIR":
        shutil.copy(src / variant, dest / "DICOMDIR")
    return dest / "DICOMDIR"


@pytest.mark.parametrize("variant", ["DICOMDIR", "DICOMDIR-implicit", "DICOMDIR-bigEnd", "DICOMDIR-nooffset",
                                     "DICOMDIR-reordered"])
def test_dicomdir_variants_import_every_referenced_image(db, tmp_path, variant):
    report = import_dicom(db, _dicomdir_set(tmp_path, variant))
    assert report.files_seen == 31 and report.missing == []
    assert sum(s.images for s in report.series) + len(report.skipped) == 31


def test_dicomdir_with_missing_files_reports_them(db, tmp_path):
    dicomdir = _dicomdir_set(tmp_path)
    gone = sorted((dicomdir.parent / "77654033").rglob("*"))
    victims = [p for p in gone if p.is_file()][:2]
    for p in victims:
        p.unlink()
    report = import_dicom(db, dicomdir)
    assert sorted(report.missing) == sorted(str(p) for p in victims)
    assert "2 file(s) listed in the DICOMDIR are missing" in "\n".join(report.summary_lines())
    assert not report.complete


def test_empty_dicomdir_imports_nothing(db, tmp_path):
    folder = tmp_path / "e"
    folder.mkdir()
    shutil.copy(data_file("DICOMDIR-empty.dcm"), folder / "DICOMDIR")
    report = import_dicom(db, folder / "DICOMDIR")
    assert report.files_seen == 0 and report.series == [] and report.missing == []


def test_nested_dicomdir_philips_dirfile_is_followed(db, tmp_path):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.fileset import FileSet

    truth = make_ct_series(tmp_path / "ct", 4)
    fs = FileSet()
    for p in sorted((tmp_path / "ct").iterdir()):
        fs.add(pydicom.dcmread(p))
    inner = tmp_path / "cd" / "DICOM"
    fs.write(inner)
    (inner / "DICOMDIR").rename(inner / "DIRFILE")
    # The root DICOMDIR lists only the nested directory file (Philips CDs).
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.1.3.10"
    meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    root = pydicom.dataset.FileDataset(str(tmp_path / "cd" / "DICOMDIR"), Dataset(), file_meta=meta,
                                       preamble=b"\0" * 128)
    root.FileSetID = "PHILIPS"
    root.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = 0
    root.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = 0
    root.FileSetConsistencyFlag = 0
    record = Dataset()
    record.OffsetOfTheNextDirectoryRecord = 0
    record.RecordInUseFlag = 0xFFFF
    record.OffsetOfReferencedLowerLevelDirectoryEntity = 0
    record.DirectoryRecordType = "PRIVATE"
    record.PrivateRecordUID = pydicom.uid.generate_uid()
    record.ReferencedFileID = ["DICOM", "DIRFILE"]
    root.DirectoryRecordSequence = [record]
    root.save_as(tmp_path / "cd" / "DICOMDIR", enforce_file_format=True)
    report = import_dicom(db, tmp_path / "cd" / "DICOMDIR")
    assert report.missing == [] and report.files_seen == 4
    (series,) = list_series(db)
    assert [s.sop_instance_uid for s in series.slices] == truth["sop_by_z"]


def test_series_key_of_a_phase_opens_that_phase(db, tmp_path):
    make_dynamic_series(tmp_path / "dyn", 4, 2, key="temporal")
    import_dicom(db, tmp_path / "dyn")
    for s in list_series(db):
        assert get_series(db, s.key).part_label == s.part_label
