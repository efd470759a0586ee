"""Menus of the main window: print minutes and reports (PDF, opened with the
system viewer), import and export of mdt-case/1 files, Help → About with the
DICOM decoders, the history, compare and presentation views, screenshots with
the bundled font, and the background task runner."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtGui import QDesktopServices, QFontInfo
from PySide6.QtWidgets import QApplication

from tests.ui_shell_fixtures import *  # noqa: F401,F403
from ui.tasks import TaskCancelled, TaskRunner


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


@pytest.fixture
def opened_urls(monkeypatch) -> list[str]:
    urls: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: urls.append(url.toLocalFile())))
    return urls


def test_print_minutes_and_patient_report_then_open_them(main_window, tmp_path, opened_urls):
    w = main_window
    w.set_meeting_mode(True)
    meeting_id = w.meeting.current_meeting_id()
    assert meeting_id
    minutes = tmp_path / "minutes.pdf"
    w.print_minutes(str(minutes))
    assert minutes.exists() and opened_urls == [str(minutes)]
    text = pdf_text(minutes)
    assert meeting_id in text
    assert "DRAFT" in text.upper()                                # not signed yet
    w.open_patient("MRN-100412", select=True)
    report = tmp_path / "report.pdf"
    w.print_patient_report(str(report))
    assert report.exists() and opened_urls[-1] == str(report)
    assert "MRN-100412" in pdf_text(report)
    assert w.last_pdf == str(report)
    assert not w.progress.isVisible()                             # progress bar gone when done


def test_export_then_import_a_case_file(main_window, tmp_path):
    w = main_window
    w.open_patient("MRN-100231", select=True)
    out = tmp_path / "case.json"
    assert w.export_case_file(str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["format"] == "mdt-case/1"
    data["patient"]["id"] = "COPY-100231"
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps(data), encoding="utf-8")
    w.import_cases_file(str(copy))
    assert w.patients.model.row_of("COPY-100231") is not None
    assert w.current_case.patient.id == "COPY-100231"
    assert len(w.current_case.reviews) == len(w.service.get_case("MRN-100231").reviews)


def test_invalid_import_names_the_field_and_writes_nothing(main_window, tmp_path):
    w = main_window
    before = len(w.service.list_patients())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "mdt-case/1", "patient": {"id": "BAD-1"},
                               "reviews": [{"date": "2026-13-40"}]}), encoding="utf-8")
    w.import_cases_file(str(bad))
    message = w.statusBar().currentMessage()
    assert "bad.json" in message and "reviews[0].date" in message
    assert len(w.service.list_patients()) == before


def test_about_lists_the_dicom_decoders(main_window):
    from pydicom import uid

    from mdt.imaging.decoders import available_decoders

    dialog = main_window.show_about()
    shown = [(dialog.table.item(r, 0).text(), dialog.table.item(r, 1).text())
             for r in range(dialog.table.rowCount())]
    assert len(shown) > len(available_decoders()) > 0
    # Every transfer syntax has a row: its decoders, or plainly none.
    for ts in uid.AllTransferSyntaxes:
        assert any(name.startswith(ts.name) for name, _dec in shown), ts.name
    twelve = [dec for name, dec in shown if name.endswith("12-bit samples")]
    assert twelve and all(d.startswith("imagecodecs") for d in twelve)
    assert ("MPEG2 Main Profile / Main Level", "none: images in this syntax cannot be shown") in shown
    assert "Cannot decode in this build: " in dialog.missing.text() and "MPEG2" in dialog.missing.text()
    dialog.close()


def test_history_compare_and_presentation_views(main_window, qtbot):
    w = main_window
    w.open_patient("MRN-100412", select=True)
    w.show_tab(4)                                                  # history
    assert w.history.model.rowCount() > 0
    assert "intact" in w.history.chain.text() or "✔" in w.history.chain.text()
    w.show_tab(3)                                                  # compare with the previous review
    assert w.compare.lesion_model.rowCount() >= 2
    assert w.compare.criteria_model.rowCount() > 0
    assert "Target sum" in w.compare.summary.text()
    w.toggle_presentation()
    pres = w._presentation
    assert pres.isVisible()
    assert "MRN-100412" in pres.title.text()
    assert "Criteria" in pres.criteria.text() and "Votes" in pres.votes.text()
    pres.fit_fonts(1080)                                            # a 1080-line projector
    assert pres.title.font().pointSize() >= 26                     # large type for the room
    pres.fit_fonts(768)                                             # a 768-line one: smaller, still large
    assert 20 <= pres.title.font().pointSize() < 26
    w.toggle_presentation()
    assert not pres.isVisible()


def test_screens_use_the_bundled_font_at_a_legible_size(main_window, tmp_path):
    from ui.style import BASE_POINT_SIZE, load_bundled_fonts

    family = load_bundled_fonts()
    assert family == "DejaVu Sans"
    app = QApplication.instance()
    assert QFontInfo(app.font()).family() == family
    assert app.font().pointSize() >= 11 and BASE_POINT_SIZE >= 11
    w = main_window
    w.open_patient("MRN-100412", select=True)
    for i in range(6):
        w.show_tab(i)
        image = w.grab().toImage()
        assert (image.width(), image.height()) == (1920, 1080)
        image.save(str(tmp_path / f"screen-{i}.png"))
        # Text is drawn: many distinct dark pixels, not an empty or uniform screen.
        dark = sum(1 for x in range(0, 1920, 7) for y in range(0, 1080, 7)
                   if image.pixelColor(x, y).lightness() < 80)
        assert dark > 200


def test_task_runner_reports_progress_and_cancels(qtbot):
    runner = TaskRunner()
    seen: list[tuple[int, int, str]] = []
    runner.progressed.connect(lambda d, t, s: seen.append((d, t, s)))
    results: list[object] = []
    started = threading.Event()
    release = threading.Event()

    def work(task):
        for i in range(3):
            task.progress(i + 1, 3, f"step {i + 1}")
        started.set()
        release.wait(5)
        task.check()
        return threading.current_thread() is not threading.main_thread()

    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.run("job", work, results.append)
        assert started.wait(5)
        release.set()
    assert results == [True]                                       # ran off the main thread
    assert seen[-1] == (3, 3, "step 3")
    errors: list[BaseException] = []
    release.clear()
    started.clear()
    with qtbot.waitSignal(runner.finished, timeout=5000):
        handle = runner.run("cancel me", work, results.append, lambda exc, _tb: errors.append(exc))
        assert started.wait(5)
        handle.cancel()
        release.set()
    assert len(errors) == 1 and isinstance(errors[0], TaskCancelled)
    assert not runner.busy


def test_patient_list_is_read_off_the_main_thread_at_start_up(qtbot, qsettings_tmp, seeded_db, chair):
    from mdt.services import Door
    from ui.app import create_window

    window = create_window(Door(seeded_db), chair)                      # a real thread pool
    qtbot.addWidget(window)
    assert window.patients.model.rowCount() == 0                  # usable before the list arrives
    assert window.patients.count_label.text() == "Loading patients…"
    with qtbot.waitSignal(window.patients_loaded, timeout=10000) as blocker:
        pass
    expected = len(window.service.list_patients())
    assert blocker.args == [expected] and window.patients.model.rowCount() == expected > 0
    window.open_patient("MRN-100412")
    window.show_tab(0)
    qtbot.waitUntil(lambda: window.timeline.model.rows()[-1].verdict is not None, timeout=10000)
    window.close()


def test_presentation_keeps_ratings_hidden_until_revealed(main_window):
    w = main_window
    w.open_patient("MRN-100611", select=True)                     # one review, nothing decided
    w.show_tab(1)
    editor = w.review_editor
    assert editor.record().review.panel.decision is None
    assert editor.cast_vote("Bo Chen", "resectable")
    w.flush_pending_refresh()
    w.toggle_presentation()
    votes = w._presentation.votes.text()
    assert "Bo Chen" in votes and "● recorded" in votes and "resectable" not in votes
    editor.reveal_votes()
    w._update_presentation()
    assert "resectable" in w._presentation.votes.text()
    w.toggle_presentation()


def test_caliper_diameter_is_an_undoable_edit_of_the_open_review(main_window):
    """A measurement on the images becomes the lesion's diameter through the review
    editor: saved at once as a new version, remembered where it was taken, undoable."""
    from mdt.case import Measurement

    w = main_window
    w.open_patient("MRN-100412", select=True)
    w.show_tab(5)                                                  # images
    viewer = w.ensure_viewer()
    before = w.current_record()
    lesion = before.review.lesions[0]
    viewer.ask_lesion = lambda _mm, **_where: lesion.id
    # The image is not in the index: nothing says which study it is, so the user chooses the review.
    asked = []
    viewer.ask_review = lambda study, choices: asked.append((study, choices)) or (before.index, False)
    where = Measurement(series_uid="1.2.3", sop_instance_uid="1.2.3.4", slice_index=7,
                        start_xy=(10, 10), end_xy=(40, 50))
    viewer._on_caliper(where, 50.0)
    after = w.current_record()
    assert after.version == before.version + 1
    measured = after.review.lesion(lesion.id)
    assert measured.diameter_mm == 50.0 and measured.measurement.sop_instance_uid == "1.2.3.4"
    assert viewer.review_record.version == after.version
    assert w.undo_stack.canUndo()
    w.undo_stack.undo()
    restored = w.current_record()
    assert restored.review.lesion(lesion.id).diameter_mm == lesion.diameter_mm
