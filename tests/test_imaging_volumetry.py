"""Volumetry from DICOM SEG: voxel count × pixel area × spacing between slices (not thickness),
segment recognition, the remnant of a review filled from it, the volumetry command."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from pydicom.data import get_testdata_file

import main
from mdt.case import Lesion, Patient, ProtocolRef, RemnantPlan, Review
from mdt.errors import ValidationError
from mdt.imaging.volumetry import classify, fill_remnant, read_volumes, slice_spacing
from tests.imaging_fixtures import make_ct_series, make_seg

PIXEL = 0.75
SPACING = 2.5
VOXEL_ML = PIXEL * PIXEL * SPACING / 1000


@pytest.fixture(scope="module")
def ct(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ct")
    # Nominal thickness 5 mm, reconstructed every 2.5 mm: the volume must use 2.5.
    make_ct_series(folder, 12, rows=32, cols=32, pixel_spacing=PIXEL, spacing=SPACING, thickness=5.0)
    return folder


def _box(slices, rows, cols, shape=(12, 32, 32)):
    m = np.zeros(shape, dtype=bool)
    m[slices, rows, cols] = True
    return m


def test_binary_seg_volumes_use_the_spacing_between_slices(ct, tmp_path):
    liver = _box(slice(2, 9), slice(4, 28), slice(4, 20))     # 7 × 24 × 16 = 2688 voxels
    tumour = _box(slice(4, 6), slice(10, 14), slice(8, 12))   # 2 × 4 × 4 = 32 voxels
    path = make_seg(ct, tmp_path / "seg.dcm", {1: liver, 2: tumour}, {1: "Liver", 2: "Metastasis 1"})
    result = read_volumes(path)
    rows = {s.number: s for s in result.segments}
    assert (rows[1].voxels, rows[2].voxels) == (2688, 32)
    assert rows[1].volume_ml == pytest.approx(2688 * VOXEL_ML)
    assert rows[2].volume_ml == pytest.approx(32 * VOXEL_ML)
    assert (rows[1].kind, rows[2].kind) == ("liver", "tumour")
    assert result.slice_spacing_mm == SPACING
    assert any("thickness 5 mm" in n for n in result.notes)


def test_gapped_segment_frames_still_count_each_slice_once(ct, tmp_path):
    # Only slices 1 and 7 hold the segment: highdicom omits the empty frames between.
    mask = np.zeros((12, 32, 32), dtype=bool)
    mask[1, 0:5, 0:5] = mask[7, 0:5, 0:5] = True
    result = read_volumes(make_seg(ct, tmp_path / "gap.dcm", {1: mask}, {1: "Tumour"}))
    assert result.slice_spacing_mm == SPACING
    assert result.segments[0].volume_ml == pytest.approx(50 * VOXEL_ML)


def test_couinaud_label_map_numbered_1_to_8_fills_the_remnant(ct, tmp_path):
    masks = {}
    for k in range(1, 9):
        masks[k] = _box(slice(1, 11), slice(k * 3, k * 3 + 3), slice(2, 2 + 2 * k))  # distinct sizes
    path = make_seg(ct, tmp_path / "labels.dcm", masks, {k: str(k) for k in range(1, 9)},
                    segmentation_type="LABELMAP")
    result = read_volumes(path)
    assert [s.number for s in result.segments] == list(range(1, 9))
    assert [s.couinaud for s in result.segments] == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
    per_unit = {k: 10 * 3 * 2 * k * VOXEL_ML for k in range(1, 9)}
    review = Review(date=date(2026, 1, 10), remnant=RemnantPlan(segments=("II", "III", "IV")))
    filled, notes = fill_remnant(review, result)
    assert filled.remnant.flr_ml == round(per_unit[2] + per_unit[3] + per_unit[4], 1)
    assert filled.remnant.tlv_ml == round(sum(per_unit.values()), 1)
    assert filled.remnant.segments == ("II", "III", "IV")
    assert any("sum of segments I–VIII" in n for n in notes)


def test_named_resection_remnant_and_missing_segments_stay_unknown(ct, tmp_path):
    masks = {1: _box(slice(1, 3), slice(0, 4), slice(0, 4)), 2: _box(slice(1, 3), slice(5, 9), slice(0, 4))}
    result = read_volumes(make_seg(ct, tmp_path / "two.dcm", masks, {1: "Segment II", 2: "segment 3"}))
    review = Review(date=date(2026, 1, 10),
                    remnant=RemnantPlan(resection="right_hepatectomy", flr_ml=410, tlv_ml=None))
    filled, notes = fill_remnant(review, result)
    # Right hepatectomy leaves I-IV: segments I and IV are not in this SEG.
    assert filled.remnant.flr_ml == 410 and filled.remnant.tlv_ml is None
    assert any("lacks some of segments" in n for n in notes)
    assert any("total liver volume not measured" in n for n in notes)


def test_explicit_remnant_segment_wins(ct, tmp_path):
    masks = {1: _box(slice(1, 9), slice(0, 30), slice(0, 30)), 2: _box(slice(1, 9), slice(0, 10), slice(0, 30))}
    result = read_volumes(make_seg(ct, tmp_path / "flr.dcm", masks, {1: "Liver", 2: "Future liver remnant"}))
    filled, _ = fill_remnant(Review(date=date(2026, 1, 10)), result)
    assert filled.remnant.flr_ml == round(8 * 10 * 30 * VOXEL_ML, 1)
    assert filled.remnant.tlv_ml == round(8 * 30 * 30 * VOXEL_ML, 1)


@pytest.mark.parametrize("label,expected", [
    ("Liver", ("liver", None)), ("liver_segment_4a", ("couinaud", "IVa")), ("Segment IVb", ("couinaud", "IVb")),
    ("S8", ("couinaud", "VIII")), ("7", ("couinaud", "VII")), ("Couinaud segment VI", ("couinaud", "VI")),
    ("Liver segment 1 (caudate)", ("couinaud", "I")), ("Caudate lobe", ("couinaud", "I")),
    ("Tumor", ("tumour", None)), ("CRLM lesion 2", ("tumour", None)), ("FLR", ("remnant", None)),
    ("Remnant", ("remnant", None)), ("Hepatic vein", ("other", None)), ("2a", ("other", None)),
    ("Spleen", ("other", None)),
])
def test_segment_labels_are_recognised(label, expected):
    assert classify(label, 1) == expected


def test_property_type_is_used_when_the_label_says_nothing():
    assert classify("Seg A", 1, "10200004", "Liver") == ("liver", None)
    assert classify("ROI", 2, "108369006", "Neoplasm") == ("tumour", None)


def test_spacing_rules():
    normal = np.array([0.0, 0.0, 1.0])
    pos = [(0, 0, 0.0), (0, 0, 2.5), (0, 0, 7.5)]
    assert slice_spacing(pos, normal, None) == (2.5, "frame positions")
    assert slice_spacing(pos, normal, 2.5)[0] == 2.5
    assert slice_spacing([(0, 0, 0.0)], normal, 3.0) == (3.0, "SpacingBetweenSlices")
    with pytest.raises(ValidationError, match="irregularly"):
        slice_spacing([(0, 0, 0.0), (0, 0, 2.5), (0, 0, 6.0)], normal, None)
    with pytest.raises(ValidationError, match="SliceThickness is not a substitute"):
        slice_spacing([(0, 0, 0.0)], normal, None)


def test_pydicom_liver_segmentation_real_file(tmp_path):
    path = get_testdata_file("liver_1frame.dcm", download=False)
    assert path is not None
    result = read_volumes(path)
    (liver,) = result.segments
    assert (liver.number, liver.label, liver.kind) == (1, "Liver", "liver")
    assert liver.voxels == 36233
    assert liver.volume_ml == pytest.approx(36233 * 0.810547 ** 2 * 1.0 / 1000)
    assert result.slice_spacing_mm == 1.0


def test_not_a_segmentation_is_refused_with_the_reason(tmp_path):
    ct_file = get_testdata_file("CT_small.dcm", download=False)
    with pytest.raises(ValidationError, match="not a DICOM Segmentation"):
        read_volumes(ct_file)
    text = tmp_path / "x.dcm"
    text.write_text("hello")
    with pytest.raises(ValidationError, match="not a DICOM file"):
        read_volumes(text)


def test_volumetry_command_prints_json(capsys):
    path = get_testdata_file("liver_1frame.dcm", download=False)
    assert main.main(["volumetry", path, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["segments"] == [{"number": 1, "label": "Liver", "voxels": 36233, "volume_ml": 23.8}]
    assert data["liver_ml"] == 23.8


def test_volumetry_command_rejects_a_non_seg(tmp_path, capsys):
    bad = tmp_path / "x.dcm"
    bad.write_text("x")
    assert main.main(["volumetry", str(bad)]) == 2
    assert "not a DICOM file" in capsys.readouterr().err


def test_volumetry_command_saves_into_the_review(ct, tmp_path, capsys):
    from mdt.services import Actor, MdtService
    from mdt.store.db import open_database

    url = f"sqlite:///{tmp_path / 'v.sqlite3'}"
    db = open_database(url)
    svc = MdtService(db, Actor("radiologist"))
    svc.create_patient(Patient(id="MRN-5", name="DOE^JO"), ProtocolRef())
    svc.add_review("MRN-5", Review(date=date(2026, 1, 10), lesions=(Lesion("L1", ("VII",), 22),),
                                   remnant=RemnantPlan(segments=("II", "III"))))
    db.close()
    masks = {1: _box(slice(1, 9), slice(0, 30), slice(0, 30)), 2: _box(slice(1, 9), slice(0, 8), slice(0, 30)),
             3: _box(slice(1, 9), slice(10, 16), slice(0, 30))}
    seg = make_seg(ct, tmp_path / "s.dcm", masks, {1: "Liver", 2: "Segment II", 3: "Segment III"})
    assert main.main(["--db", url, "--user", "radiologist", "volumetry", str(seg), "--patient", "MRN-5"]) == 0
    err = capsys.readouterr().err
    assert "as version 2" in err
    db = open_database(url)
    (record,) = MdtService(db, Actor("x")).list_reviews("MRN-5")
    assert record.review.remnant.flr_ml == round(8 * 14 * 30 * VOXEL_ML, 1)
    assert record.review.remnant.tlv_ml == round(8 * 30 * 30 * VOXEL_ML, 1)
    assert record.review.lesions[0].diameter_mm == 22  # nothing else touched
    db.close()
    capsys.readouterr()
    # An unknown patient or review is a wrong argument (exit 2, as for every command), named.
    assert main.main(["--db", url, "volumetry", str(seg), "--patient", "NOBODY"]) == 2
    assert "NOBODY" in capsys.readouterr().err
    assert main.main(["--db", url, "--user", "radiologist", "volumetry", str(seg), "--patient", "MRN-5",
                      "--review", "7"]) == 2
    err = capsys.readouterr().err
    assert "MRN-5" in err and "no review 7" in err

