"""Pixels and display maths: modality rescale, window/level LUT, MONOCHROME1, compressed
slices, caliper lengths and lesion attachment, the decoder list and the codec self-test."""

from __future__ import annotations

from datetime import date

import numpy as np
import pydicom
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.uid import JPEG2000Lossless, RLELossless

from mdt.case import Lesion, Measurement, Review
from mdt.errors import NotFound, ValidationError
from mdt.imaging.calipers import attach_to_lesion, length_mm, measurement, slice_for
from mdt.imaging.decoders import available_decoders, gpl_decoders, undecodable_syntaxes
from mdt.imaging.geometry import group_series
from mdt.imaging.headers import iter_files, read_header
from mdt.imaging.pixels import SeriesVolume, read_pixels
from mdt.imaging.selftest import decode_check
from mdt.imaging.series import series_from_group
from mdt.imaging.windowing import PRESETS_BY_NAME, apply_lut, build_lut, window_values
from tests.imaging_fixtures import make_ct_series, phantom_slice


def _series(folder):
    (group,) = group_series(read_header(p) for p in iter_files(folder))
    return series_from_group(group)


def test_modality_rescale_gives_hounsfield_units(tmp_path):
    make_ct_series(tmp_path, 4, rows=48, cols=48)
    vol = SeriesVolume(_series(tmp_path))
    truth = phantom_slice(48, 48, 2)
    assert np.array_equal(vol.rescaled(2), truth.astype(np.float32))
    assert vol.value_at(2, 0, 0) == -1000
    assert vol.value_at(2, 24, 34) == 0  # water-like body
    assert vol.value_at(2, 24, 18) == 60  # the denser 'liver'
    assert vol.value_at(2, 99, 0) is None
    assert vol.default_window() == (40.0, 400.0)  # the file's own window


def test_presets_are_the_usual_abdominal_windows():
    assert (PRESETS_BY_NAME["liver"].width, PRESETS_BY_NAME["liver"].center) == (150, 90)
    assert (PRESETS_BY_NAME["abdomen"].width, PRESETS_BY_NAME["abdomen"].center) == (400, 40)
    assert {"lung", "bone"} <= set(PRESETS_BY_NAME)


def test_window_function_follows_the_dicom_linear_formula():
    # Liver 150/90: below 15 HU black, above 164 HU white, linear in between.
    v = window_values(np.array([-1000, 15, 89.5, 165, 3000]), 90, 150)
    assert list(v) == [0, 0, 128, 255, 255]
    assert list(window_values(np.array([-1000, 3000]), 90, 150, invert=True)) == [255, 0]


@given(st.lists(st.integers(-2048, 4095), min_size=1, max_size=50), st.floats(-500, 500), st.floats(1, 3000),
       st.sampled_from([(1.0, -1024.0), (1.0, 0.0), (2.0, -2048.0)]))
def test_lut_equals_direct_windowing(values, center, width, rescale):
    slope, intercept = rescale
    stored = np.array(values, dtype=np.int16)
    lut = build_lut(stored.dtype, slope, intercept, center, width, False)
    direct = window_values(stored.astype(np.float64) * slope + intercept, center, width)
    assert np.array_equal(apply_lut(stored, lut), direct)
    unsigned = np.clip(stored, 0, None).astype(np.uint16)
    lut_u = build_lut(unsigned.dtype, slope, intercept, center, width, True)
    assert np.array_equal(apply_lut(unsigned, lut_u),
                          window_values(unsigned * slope + intercept, center, width, True))


def test_monochrome1_is_shown_inverted(tmp_path):
    make_ct_series(tmp_path / "m2", 2, rows=32, cols=32, seed=1)
    make_ct_series(tmp_path / "m1", 2, rows=32, cols=32, seed=1, monochrome1=True)
    normal = SeriesVolume(_series(tmp_path / "m2")).windowed(0, 40, 400)
    inverted = SeriesVolume(_series(tmp_path / "m1")).windowed(0, 40, 400)
    assert np.array_equal(inverted, 255 - normal)
    assert normal[0, 0] == 0 and inverted[0, 0] == 255  # air is black on MONOCHROME2


def test_compressed_slices_decode(tmp_path):
    make_ct_series(tmp_path / "ct", 2, rows=32, cols=32, shuffle=False)
    files = sorted((tmp_path / "ct").iterdir())
    expected = pydicom.dcmread(files[0]).pixel_array.copy()
    for syntax, plugin in ((RLELossless, "pydicom"), (JPEG2000Lossless, "pylibjpeg")):
        ds = pydicom.dcmread(files[0])
        ds.compress(syntax, encoding_plugin=plugin)
        out = tmp_path / f"{plugin}.dcm"
        ds.save_as(out)
        header = read_header(out)
        assert header.transfer_syntax == syntax
        arr, slope, intercept, _ = read_pixels(str(out))
        assert np.array_equal(arr, expected) and (slope, intercept) == (1.0, -1024.0)


def test_unreadable_slice_is_reported_not_raised(tmp_path):
    make_ct_series(tmp_path, 3, rows=16, cols=16)
    series = _series(tmp_path)
    vol = SeriesVolume(series)
    vol.ensure(0)
    with open(series.slices[1].path, "r+b") as fp:
        fp.truncate(400)
    img = vol.windowed(1, 40, 400)
    assert img.shape == (16, 16) and 1 in vol.errors


def test_whole_series_loads_in_the_background_order(tmp_path):
    make_ct_series(tmp_path, 6, rows=16, cols=16)
    vol = SeriesVolume(_series(tmp_path))
    assert vol.load_all(order=[3, 2, 4, 1, 5, 0]) and vol.complete
    assert not SeriesVolume(_series(tmp_path)).load_all(cancelled=lambda: True)


# ---------------------------------------------------------------- calipers


@pytest.mark.parametrize("start,end,spacing,expected", [
    ((0, 0), (3, 4), (1.0, 1.0), 5.0),
    ((10, 10), (13, 14), (0.5, 0.5), 2.5),
    ((0, 0), (4, 0), (2.0, 0.5), 2.0),   # x runs along columns: column spacing (second value)
    ((0, 0), (0, 4), (2.0, 0.5), 8.0),   # y runs along rows: row spacing (first value)
])
def test_caliper_length_uses_pixel_spacing(start, end, spacing, expected):
    assert length_mm(start, end, spacing) == pytest.approx(expected)


def test_caliper_without_pixel_spacing_is_unknown():
    assert length_mm((0, 0), (10, 0), None) is None
    assert length_mm((0, 0), (10, 0), (0.0, 0.7)) is None


def test_measurement_remembers_series_instance_and_slice(tmp_path):
    truth = make_ct_series(tmp_path, 5)
    series = _series(tmp_path)
    m = measurement(series, 3, (10.123, 20.0), (30.0, 20.456))
    assert (m.series_uid, m.sop_instance_uid, m.slice_index) == (truth["series_uid"], truth["sop_by_z"][3], 3)
    assert m.start_xy == (10.12, 20.0) and m.end_xy == (30.0, 20.46)
    assert slice_for(series, m) == 3
    assert slice_for(series, Measurement("other", m.sop_instance_uid, 3)) is None
    with pytest.raises(ValidationError):
        measurement(series, 9, (0, 0), (1, 1))


def test_caliper_becomes_the_lesion_diameter():
    review = Review(date=date(2026, 1, 10), lesions=(Lesion("L1", ("VII",), 30), Lesion("L2", ("II",))))
    where = Measurement("1.2", "1.2.3", 4, (1, 2), (3, 4))
    updated = attach_to_lesion(review, "L2", where, 23.456)
    assert updated.lesion("L2").diameter_mm == 23.5 and updated.lesion("L2").measurement == where
    assert updated.lesion("L1") == review.lesion("L1")
    with pytest.raises(NotFound, match="L9"):
        attach_to_lesion(review, "L9", where, 10)
    with pytest.raises(ValidationError):
        attach_to_lesion(review, "L1", where, 0)


# ---------------------------------------------------------------- decoders


def test_decoders_cover_the_compressed_syntaxes_without_gpl():
    rows = available_decoders()
    names = {r[0] for r in rows}
    for syntax in ("JPEG Baseline (Process 1)", "JPEG Lossless, Non-Hierarchical, First-Order Prediction "
                   "(Process 14 [Selection Value 1])", "JPEG 2000 Image Compression (Lossless Only)",
                   "JPEG 2000 Image Compression", "RLE Lossless", "JPEG-LS Lossless Image Compression"):
        assert syntax in names
    assert all(len(r) == 3 and r[2] for r in rows)
    assert gpl_decoders() == []
    # Every still-image compression decodes; what cannot (video, JPIP, multi-component J2K) is listed.
    missing = undecodable_syntaxes()
    assert not any(name.startswith(("JPEG Baseline", "JPEG Extended", "JPEG Lossless", "JPEG-LS", "RLE",
                                    "JPEG 2000 Image", "High-Throughput JPEG 2000 Image")) for name in missing)
    assert "HEVC/H.265 Main Profile / Level 5.1" in missing


def test_self_test_decodes_each_codec():
    text = decode_check()
    for part in ("RLE Lossless via pydicom: ok", "JPEG 2000 Lossless via pylibjpeg: ok",
                 "JPEG 2000 Lossless via gdcm: ok", "JPEG Baseline via gdcm: ok", "JPEG-LS Lossless via gdcm: ok"):
        assert part in text


def test_rgb32_display_pixels_carry_the_same_grey_levels(tmp_path):
    make_ct_series(tmp_path, 2, rows=32, cols=32)
    vol = SeriesVolume(_series(tmp_path))
    grey = vol.windowed(1, 90, 150)
    rgb = vol.windowed_rgb32(1, 90, 150)
    assert rgb.dtype == np.uint32 and np.array_equal(rgb & 0xFF, grey)
    assert np.all(rgb >> 24 == 0xFF) and np.array_equal((rgb >> 16) & 0xFF, grey)


@pytest.mark.parametrize("dicom,record,expected", [
    ("MÜLLER^JÜRGEN", "Müller^Jürgen", True),
    ("MULLER^JURGEN", "MÜLLER, Jürgen", True),
    ("BOILEVE^HELENE^^^", "BOILÈVE^Hélène", True),
    ("DOE^JANE", "BOILÈVE^Hélène", False),
    ("", "DOE^JANE", None),
    ("DOE^JANE", None, None),
])
def test_image_and_record_names_are_compared_without_accents_or_case(dicom, record, expected):
    from mdt.imaging.series import names_match

    assert names_match(dicom, record) is expected


@pytest.mark.parametrize("name,direct", [
    ("MR_small_implicit.dcm", True), ("MR_small.dcm", True), ("CT_small.dcm", True),
    ("MR_small_bigendian.dcm", False), ("MR_small_RLE.dcm", False), ("MR_small_jp2klossless.dcm", False),
])
def test_pixels_read_into_the_volume_equal_pydicoms_decode(name, direct):
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name, download=False)
    expected = pydicom.dcmread(path).pixel_array
    slot = np.empty_like(expected)
    got, _, _, _ = read_pixels(path, out=slot)
    assert (got is slot) is direct  # plain little-endian files are read straight into the slot
    assert np.array_equal(got, expected)
