"""The viewer as a user drives it: open, scroll (wheel, keys, slider), presets and drag,
MONOCHROME1, side-by-side comparison with synchronised scroll, calipers saved into the open
review, jump back to a measurement, the import dialog with patient confirmation, volumetry."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage

from mdt.case import Imaging, Lesion, Patient, ProtocolRef, RemnantPlan, Review
from mdt.imaging.index import import_dicom, list_series
from mdt.imaging.windowing import PRESETS_BY_NAME
from mdt.services import Actor, MdtService
from mdt.store.db import open_database
from tests.imaging_fixtures import make_ct_series, make_seg
from ui.tasks import TaskRunner
from ui.viewer import DicomImportDialog, ViewerWidget


@pytest.fixture
def env(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'viewer.sqlite3'}")
    svc = MdtService(db, Actor("radiologist"))
    svc.create_patient(Patient(id="MRN-1001", name="DOE^JANE"), ProtocolRef())
    # The review rests on the CT of 2026-03-01 (the current study below): lines on it go there.
    svc.add_review("MRN-1001", Review(date=date(2026, 3, 2), imaging=Imaging("CT", date(2026, 3, 1)),
                                      lesions=(Lesion("L1", ("VII",), 30), Lesion("L2", ("II",)))))
    current = make_ct_series(tmp_path / "cur", 20, rows=64, cols=64, study_date="20260301")
    prior = make_ct_series(tmp_path / "pri", 16, rows=64, cols=64, study_date="20251201", spacing=3.0, seed=3)
    import_dicom(db, tmp_path / "cur")
    import_dicom(db, tmp_path / "pri")
    yield {"db": db, "svc": svc, "current": current, "prior": prior, "tmp": tmp_path}
    db.close()


@pytest.fixture
def viewer(qtbot, env):
    w = ViewerWidget(env["svc"])
    qtbot.addWidget(w)
    w.resize(1200, 700)
    w.set_context(env["svc"], env["svc"].get_case("MRN-1001"), env["svc"].list_reviews("MRN-1001")[0])
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def _series(env, date_text):
    return next(s for s in list_series(env["db"], "MRN-1001") if s.study_date.isoformat() == date_text)


def _canvas_pixels(canvas) -> np.ndarray:
    img = canvas._image.convertToFormat(QImage.Format.Format_Grayscale8)
    ptr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
    return ptr.reshape(img.height(), img.bytesPerLine())[:, : img.width()].copy()


def test_browser_lists_both_studies_newest_first(viewer):
    top = [viewer.browser.topLevelItem(i).text(0) for i in range(viewer.browser.topLevelItemCount())]
    assert top[0].startswith("2026-03-01") and top[1].startswith("2025-12-01")


def test_open_series_shows_the_middle_image_then_loads_the_rest(viewer, env, qtbot):
    series = _series(env, "2026-03-01")
    viewer.open_series(series)
    pane = viewer.view.current
    assert pane.index == 10 and pane.canvas._image is not None
    assert pane.wait_loaded() and pane.volume.complete
    assert "Image 11/20" in pane.info_text()
    # The QImage paints from the numpy buffer the canvas keeps.
    assert pane.canvas._buffer is not None and pane.canvas._buffer.flags["C_CONTIGUOUS"]
    assert np.array_equal(_canvas_pixels(pane.canvas), pane.volume.windowed(10, pane.center, pane.width))


def test_wheel_keys_and_slider_scroll(viewer, env, qtbot):
    viewer.open_series(_series(env, "2026-03-01"), 5)
    pane = viewer.view.current
    qtbot.keyClick(pane.canvas, Qt.Key.Key_Down)
    assert pane.index == 6
    qtbot.keyClick(pane.canvas, Qt.Key.Key_Home)
    assert pane.index == 0
    qtbot.keyClick(pane.canvas, Qt.Key.Key_End)
    assert pane.index == 19
    pane.slider.setValue(7)
    assert pane.index == 7
    from PySide6.QtCore import QPointF as P
    from PySide6.QtGui import QWheelEvent

    wheel = QWheelEvent(P(50, 50), P(50, 50), QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    pane.canvas.wheelEvent(wheel)
    assert pane.index == 8


def test_presets_and_drag_change_the_window(viewer, env, qtbot):
    viewer.open_series(_series(env, "2026-03-01"))
    pane = viewer.view.current
    assert (pane.center, pane.width) == (40, 400)  # from the file
    qtbot.mouseClick(viewer.preset_buttons["Liver"], Qt.MouseButton.LeftButton)
    assert (pane.center, pane.width) == (90, 150)
    img = _canvas_pixels(pane.canvas)
    liver_value = img[pane.canvas._buffer.shape[0] // 2, int(0.38 * 64)]
    assert liver_value == 77  # 60 HU in the liver window
    qtbot.mousePress(pane.canvas, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    qtbot.mouseMove(pane.canvas, QPoint(140, 120))
    qtbot.mouseRelease(pane.canvas, Qt.MouseButton.LeftButton, pos=QPoint(140, 120))
    assert pane.width > 150 and pane.center > 90
    viewer.apply_preset(PRESETS_BY_NAME["bone"])
    assert (pane.center, pane.width) == (400, 1800)


def test_monochrome1_series_is_displayed_inverted(qtbot, tmp_path):
    from mdt.imaging.geometry import group_series
    from mdt.imaging.headers import iter_files, read_header
    from mdt.imaging.series import series_from_group

    make_ct_series(tmp_path / "m1", 3, rows=32, cols=32, monochrome1=True)
    (group,) = group_series(read_header(p) for p in iter_files(tmp_path / "m1"))
    w = ViewerWidget()
    qtbot.addWidget(w)
    w.open_series(series_from_group(group))
    assert _canvas_pixels(w.view.current.canvas)[0, 0] == 255  # air shows white on MONOCHROME1


def test_compare_with_prior_scrolls_in_sync(viewer, env):
    viewer.open_series(_series(env, "2026-03-01"), 10)
    viewer.compare_with_prior()
    cur, pri = viewer.view.current, viewer.view.prior
    assert pri.series.study_date == date(2025, 12, 1) and not pri.isHidden()
    start_prior = pri.index
    cur.step(6)  # 15 mm down the current stack
    assert pri.position() - pri._positions[start_prior] == pytest.approx(15, abs=1.6)
    pri.step(-2)
    # The current pane follows to the slice nearest the prior's position plus the kept offset.
    assert abs(cur.position() - (pri.position() + viewer.view._offset)) <= 2.5 / 2
    viewer.view.sync.setChecked(False)
    before = pri.index
    cur.step(1)
    assert pri.index == before


def test_caliper_is_saved_as_the_lesion_diameter_and_can_be_found_again(viewer, env, qtbot):
    series = _series(env, "2026-03-01")
    viewer.open_series(series, 12)
    viewer.ask_lesion = lambda length, **_where: "L2"
    viewer.caliper_btn.click()
    pane = viewer.view.current
    assert pane.canvas.caliper_mode
    with qtbot.waitSignal(viewer.caliper_measured) as measured, qtbot.waitSignal(viewer.review_saved) as saved:
        pane.canvas.line_drawn.emit(QPointF(10, 20), QPointF(30, 20))
    where, length = measured.args
    assert length == pytest.approx(20 * 0.75)
    assert (where.series_uid, where.sop_instance_uid, where.slice_index) == (
        series.series_uid, env["current"]["sop_by_z"][12], 12)
    record = saved.args[0]
    assert record.version == 2 and record.review.lesion("L2").diameter_mm == 15.0
    stored = env["svc"].list_reviews("MRN-1001")[0].review.lesion("L2")
    assert stored.measurement == where
    # Jump back from another series and slice.
    viewer.open_series(_series(env, "2025-12-01"), 0)
    assert viewer.show_measurement(stored.measurement)
    assert viewer.view.current.series.series_uid == series.series_uid and viewer.view.current.index == 12
    assert viewer.view.current.canvas.lines[0][2] == "15.0 mm"


def test_caliper_by_mouse_in_caliper_mode(viewer, env, qtbot):
    viewer.open_series(_series(env, "2026-03-01"), 3)
    viewer.ask_lesion = lambda length, **_where: None  # the user cancels the lesion choice
    viewer.set_caliper_mode(True)
    canvas = viewer.view.current.canvas
    with qtbot.waitSignal(viewer.caliper_measured) as measured:
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
        qtbot.mouseMove(canvas, QPoint(260, 200))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(260, 200))
    a, b = canvas.to_image(QPointF(200, 200)), canvas.to_image(QPointF(260, 200))
    assert measured.args[1] == pytest.approx((b.x() - a.x()) * 0.75, rel=1e-3)
    assert env["svc"].list_reviews("MRN-1001")[0].version == 1  # nothing saved without a lesion


def test_import_dialog_confirms_the_new_patient(qtbot, env, tmp_path):
    make_ct_series(tmp_path / "new", 4, patient_id="MRN-2002", patient_name="ROE^ANN", seed=11)
    (tmp_path / "new" / "junk.txt").write_text("x")
    dialog = DicomImportDialog(env["svc"], tasks=TaskRunner(synchronous=True), path=str(tmp_path / "new"))
    qtbot.addWidget(dialog)
    asked = []
    dialog.confirm_patient = lambda parent, patient, titles: asked.append(patient.id) or True
    with qtbot.waitSignal(dialog.imported) as done:
        dialog.start_button.click()
    report = done.args[0]
    assert asked == ["MRN-2002"] and report.patients_created == ["MRN-2002"]
    assert env["svc"].get_case("MRN-2002").patient.name == "ROE^ANN"
    assert "junk.txt: not a DICOM file" in dialog.log.toPlainText()
    assert dialog.cancel_button.isEnabled() is False


def test_import_dialog_in_a_worker_thread_can_be_cancelled(qtbot, env, tmp_path):
    make_ct_series(tmp_path / "big", 30, rows=16, cols=16, patient_id="MRN-1001", seed=12)
    dialog = DicomImportDialog(env["svc"], path=str(tmp_path / "big"))
    qtbot.addWidget(dialog)
    dialog.start_button.click()
    dialog.cancel()
    qtbot.waitUntil(lambda: dialog.report is not None or "failed" in dialog.status.text(), timeout=20000)
    report = dialog.report
    counts = sorted(len(s.slices) for s in list_series(env["db"], "MRN-1001"))
    assert report is not None
    assert report.cancelled or 30 in counts
    assert all(c in (16, 20, 30) for c in counts)  # whole series or nothing, never a part


def test_volumetry_dialog_fills_the_open_review(viewer, env, qtbot, tmp_path):
    masks = {1: np.zeros((20, 64, 64), bool), 2: np.zeros((20, 64, 64), bool)}
    masks[1][2:10, 10:50, 10:50] = True
    masks[2][2:10, 10:20, 10:50] = True
    seg = make_seg(env["tmp"] / "cur", tmp_path / "seg.dcm", masks, {1: "Liver", 2: "Remnant"})
    dialog = viewer.volumetry(str(seg), dialog_exec=False)
    assert dialog.apply_button.isEnabled() and dialog.table.rowCount() == 2
    with qtbot.waitSignal(viewer.review_saved) as saved:
        dialog.accept()
    remnant = saved.args[0].review.remnant
    assert isinstance(remnant, RemnantPlan)
    assert remnant.tlv_ml == round(8 * 40 * 40 * 0.75 * 0.75 * 2.5 / 1000, 1)
    assert remnant.flr_ml == round(8 * 10 * 40 * 0.75 * 0.75 * 2.5 / 1000, 1)


def test_opening_another_patient_clears_the_images(viewer, env):
    viewer.open_series(_series(env, "2026-03-01"))
    env["svc"].create_patient(Patient(id="MRN-2"), ProtocolRef())
    viewer.set_context(env["svc"], env["svc"].get_case("MRN-2"), None)
    assert viewer.view.current.series is None and viewer.view.current.canvas._image is None
    assert viewer.browser.topLevelItemCount() == 0


def test_zoom_and_pan_keep_calipers_in_image_coordinates(viewer, env, qtbot):
    from PySide6.QtGui import QWheelEvent

    viewer.open_series(_series(env, "2026-03-01"), 4)
    canvas = viewer.view.current.canvas
    centre = QPointF(canvas.width() / 2, canvas.height() / 2)
    before = canvas.to_image(centre + QPointF(40, 0))
    zoom_in = QWheelEvent(centre, centre, QPoint(0, 0), QPoint(0, 240), Qt.MouseButton.NoButton,
                          Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    canvas.wheelEvent(zoom_in)
    assert canvas.zoom == pytest.approx(1.15 ** 2)
    assert viewer.view.current.index == 4  # Ctrl+wheel zooms, it does not scroll
    after = canvas.to_image(centre + QPointF(40, 0))
    assert abs(after.x() - 32) < abs(before.x() - 32)  # the same screen offset covers fewer pixels
    qtbot.mousePress(canvas, Qt.MouseButton.MiddleButton, pos=QPoint(100, 100))
    qtbot.mouseMove(canvas, QPoint(130, 110))
    qtbot.mouseRelease(canvas, Qt.MouseButton.MiddleButton, pos=QPoint(130, 110))
    assert (canvas.pan.x(), canvas.pan.y()) == (30, 10)
    # A point on the image maps back to the same image pixel whatever the zoom and pan.
    p = QPointF(20.5, 40.25)
    assert canvas.to_image(canvas.transform().map(p)).x() == pytest.approx(20.5)
    canvas.reset_view()
    assert canvas.zoom == 1.0 and canvas.pan == QPointF(0, 0)


def test_images_of_another_name_are_flagged(viewer, env):
    viewer.open_series(_series(env, "2026-03-01"))
    assert viewer.message.text() == ""  # DOE^JANE on both
    env["svc"].update_patient(Patient(id="MRN-1001", name="ROE^ANN"), ProtocolRef(), reason="test")
    viewer.set_context(env["svc"], env["svc"].get_case("MRN-1001"), None)
    viewer.open_series(_series(env, "2026-03-01"))
    assert "labelled DOE, JANE" in viewer.message.text()
