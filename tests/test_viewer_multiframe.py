"""The viewer on enhanced multi-frame and multi-phase series: frames in space, calipers on a frame
saved into the review and found again, one browser entry per phase, per-frame window."""

from __future__ import annotations

import os
from datetime import date

import pytest
from PySide6.QtCore import QPointF

from mdt.case import Lesion, Patient, ProtocolRef, Review
from mdt.imaging.index import import_dicom, list_series
from mdt.services import Actor, MdtService
from mdt.store.db import open_database
from tests.imaging_fixtures import make_enhanced_series
from ui.viewer import ViewerWidget


@pytest.fixture
def env(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'viewer.sqlite3'}")
    svc = MdtService(db, Actor("radiologist"))
    svc.create_patient(Patient(id="MRN-1001", name="DOE^JANE"), ProtocolRef())
    svc.add_review("MRN-1001", Review(date=date(2026, 3, 2), lesions=(Lesion("L1", ("VII",), 30),)))
    ct = make_enhanced_series(tmp_path / "ct", 16, files=3, rows=96, cols=96, pixel_spacing=0.8)
    mr = make_enhanced_series(tmp_path / "mr", 10, phases=3, files=2, modality="MR", rows=80, cols=80,
                              window=(300.0, 900.0))
    import_dicom(db, tmp_path / "ct")
    import_dicom(db, tmp_path / "mr")
    yield {"db": db, "svc": svc, "ct": ct, "mr": mr, "tmp": tmp_path}
    db.close()


@pytest.fixture
def viewer(qtbot, env):
    w = ViewerWidget(env["svc"])
    qtbot.addWidget(w)
    w.resize(1400, 800)
    w.set_context(env["svc"], env["svc"].get_case("MRN-1001"), env["svc"].list_reviews("MRN-1001")[0])
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def _snapshot(widget, name: str) -> None:
    folder = os.environ.get("MDT_SCREENSHOTS")
    if folder:
        widget.grab().save(os.path.join(folder, name))


def test_browser_lists_the_enhanced_ct_once_and_the_dynamic_mr_per_phase(viewer, env):
    labels = [viewer.browser.topLevelItem(i).child(j).text(0) for i in range(viewer.browser.topLevelItemCount())
              for j in range(viewer.browser.topLevelItem(i).childCount())]
    assert sum("Portal venous enhanced" in t for t in labels) == 1
    assert sorted(t for t in labels if "Liver dynamic" in t) == [
        "#5 MR Liver dynamic phase 1", "#5 MR Liver dynamic phase 2", "#5 MR Liver dynamic phase 3"]


def test_enhanced_frames_scroll_in_space_and_a_caliper_names_its_frame(viewer, env, qtbot):
    series = next(s for s in list_series(env["db"]) if s.modality == "CT")
    viewer.open_series(series, 9)
    pane = viewer.view.current
    assert pane.wait_loaded(30)
    positions = [s.position[2] for s in series.slices]
    assert positions == sorted(positions) and len(positions) == 16
    assert pane.position() == pytest.approx(positions[9])
    assert pane.center == 60.0 and pane.width == 360.0  # the file's shared Frame VOI LUT
    viewer.ask_lesion = lambda length, **_where: "L1"
    # No review records this study: the user assigns it to the open review.
    viewer.ask_review = lambda study, choices: (choices[0][0], False)
    viewer.caliper_btn.click()
    with qtbot.waitSignal(viewer.caliper_measured) as measured, qtbot.waitSignal(viewer.review_saved):
        pane.canvas.line_drawn.emit(QPointF(10, 20), QPointF(35, 20))
    where, length = measured.args
    assert length == pytest.approx(25 * 0.8)
    ref = series.slices[9]
    assert (where.sop_instance_uid, where.frame_number, where.slice_index) == (ref.sop_instance_uid,
                                                                               ref.frame + 1, 9)
    _snapshot(viewer, "viewer-enhanced-ct.png")
    stored = env["svc"].list_reviews("MRN-1001")[0].review.lesion("L1")
    assert stored.measurement == where and stored.diameter_mm == 20.0
    # Back from another series: the same frame of the same file, not the file's first frame.
    mr = next(s for s in list_series(env["db"]) if s.modality == "MR")
    viewer.open_series(mr, 0)
    assert viewer.show_measurement(stored.measurement)
    assert viewer.view.current.series.key == series.key and viewer.view.current.index == 9


def test_each_phase_opens_as_its_own_stack(viewer, env):
    phases = sorted((s for s in list_series(env["db"]) if s.modality == "MR"), key=lambda s: s.part_label)
    for p, series in enumerate(phases):
        viewer.open_series(series, 4)
        pane = viewer.view.current
        assert pane.wait_loaded(30)
        assert len(series.slices) == 10 and not any("duplicate" in f for f in series.flags)
        assert f"phase {p + 1}" in pane.canvas.overlay_top_left
        assert [(s.sop_instance_uid, s.frame + 1) for s in series.slices] == env["mr"]["order"][p]
        # Each phase enhances 40 HU more than the one before (the fixture's truth).
        assert pane.volume.value_at(4, 48, 30) == pytest.approx(60 + 40 * p)
        _snapshot(viewer, f"viewer-mr-phase-{p + 1}.png")
