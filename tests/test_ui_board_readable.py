"""Issue 14, the small things a user trips on, each through the real main window: the search box
takes the keyboard at start-up and finds "Jean Dupont"; one row is highlighted after an automatic
switch; a "Not saved" banner goes once the value is put back; the status bar says what a task did;
a new meeting ticks its chair, follows its date and warns without quorum; one review is not told
to "choose a later review"; a signed review asks for every amendment's reason, offering the last;
the Images tab shows a busy cue while it loads; the History tab reads in words."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from tests.signin_fixtures import TEST_PASSWORD
from tests.ui_shell_fixtures import *  # noqa: F401,F403
from tests.ui_shell_fixtures import FIXED_TODAY
from ui.main_window import TAB_NAMES
from ui.patients.model import ID_ROLE
from ui.review.editor import AmendmentDialog

DUPONT = "MRN-100387"   # DUPONT-BIERRE^Jean, three reviews, on the demo meeting's agenda
BOILEVE = "MRN-100231"
ASTROM = "MRN-100611"   # one review only


def test_start_up_puts_the_keyboard_in_the_patient_search_box(main_window, qtbot) -> None:
    qtbot.waitUntil(lambda: main_window.focusWidget() is main_window.patients.search, timeout=3000)


def test_search_finds_a_name_typed_given_name_first(main_window) -> None:
    panel = main_window.patients

    def found() -> list[str]:
        return [panel.proxy.index(r, 0).data(ID_ROLE) for r in range(panel.proxy.rowCount())]

    for typed in ("Jean Dupont", "jean dupont-bierre", "Dupont-Bierre, Jean", "DUPONT"):
        panel.search.setText(typed)
        assert found() == [DUPONT], typed
    panel.search.setText("Helene Boileve")                        # accents optional, given name first
    assert found() == [BOILEVE]


def test_an_automatic_switch_leaves_one_row_highlighted(main_window, qtbot) -> None:
    w = main_window
    assert w.patients.select_patient(BOILEVE)                   # the user's choice
    qtbot.waitUntil(lambda: w.current_case is not None and w.current_case.patient.id == BOILEVE)
    selection = w.patients.table.selectionModel()
    # The window moves the selection (meeting step, import): the view must hear of it, or the
    # old row stays painted as selected beside the new one.
    with qtbot.waitSignal(selection.selectionChanged, timeout=2000):
        assert w.open_patient(DUPONT, select=True)
    rows = selection.selectedRows()
    assert len(rows) == 1 and w.patients.current_patient_id() == DUPONT
    assert w.current_case.patient.id == DUPONT                  # and no second switch followed


def test_a_not_saved_banner_goes_once_the_value_is_put_back(main_window) -> None:
    w = main_window
    w.open_patient(DUPONT, select=True)
    editor = w.review_editor
    saved_date = editor.current_review().imaging.date
    assert saved_date is not None
    assert not editor.enter_value("imaging.date", "2026-02-30")
    assert "is not a date" in editor.message() and editor.message_bar.isVisibleTo(editor)
    assert editor.enter_value("imaging.date", saved_date.isoformat())   # back to what is saved
    assert editor.message() == "" and not editor.message_bar.isVisibleTo(editor)


def test_the_status_bar_says_what_an_import_did_not_its_name(main_window, qtbot, tmp_path: Path) -> None:
    w = main_window
    w.tasks.run("Printing the report", lambda _task: None)
    assert w.statusBar().currentMessage() != "Printing the report"   # not left there for ever
    empty = tmp_path / "no-images"
    empty.mkdir()
    dialog = w.import_dicom()
    dialog.path_edit.setText(str(empty))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10000)
    message = w.statusBar().currentMessage()
    assert message.startswith("DICOM import finished: 0 file(s)"), message
    assert "Import DICOM" not in message
    dialog.reject()


def test_a_new_meeting_ticks_its_chair_follows_its_date_and_warns_without_quorum(main_window) -> None:
    w = main_window
    dialog = w.meeting.new_meeting()
    chair = dialog.chair_combo.currentData()
    assert chair == "Anne Martin"
    assert chair in [m.name for m in dialog.selected_attendees()]   # the chair is present by default
    dialog.chair_combo.setCurrentIndex(dialog.chair_combo.findData("Bo Chen"))
    assert "Bo Chen" in [m.name for m in dialog.selected_attendees()]
    assert dialog.id_edit.text() == f"LIV-{FIXED_TODAY.isoformat()}"
    dialog.date_edit.clear()
    dialog.date_edit.textEdited.emit("2026-12-03")                 # as typing does
    dialog.date_edit.setText("2026-12-03")
    assert dialog.id_edit.text() == "LIV-2026-12-03"                # the ID follows the date
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.click()                                                      # two surgeons: no quorum
    assert dialog.isVisible() and "No quorum" in dialog.error.text()
    assert ok.text() == "Create without quorum"
    assert "LIV-2026-12-03" not in {m.id for m in w.service.list_meetings()}
    ok.click()                                                      # the user insists
    assert not dialog.isVisible()
    assert "LIV-2026-12-03" in {m.id for m in w.service.list_meetings()}


def test_ticking_the_missing_specialties_creates_the_meeting_at_once(main_window) -> None:
    dialog = main_window.meeting.new_meeting()
    for name in ("Chidi Okafor", "Dag Lindqvist", "Élise Moreau"):
        dialog.check_member(name)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible()


def test_a_patient_with_one_review_is_not_told_to_choose_a_later_one(main_window, qtbot) -> None:
    w = main_window
    w.open_patient(ASTROM, select=True)
    w.show_tab(TAB_NAMES.index("Compare"))
    text = w.compare.title.text()
    assert "later review" not in text and "Only one review" in text
    w.open_patient(DUPONT, select=True, review_index=0)
    w.show_tab(TAB_NAMES.index("Compare"))
    assert "choose a later review" in w.compare.title.text()        # there is one to choose here


def test_each_edit_of_a_signed_review_asks_its_reason_offering_the_last(main_window, monkeypatch) -> None:
    w = main_window
    w.service.sign_meeting("LIV-2026-11-19", TEST_PASSWORD)
    w.open_patient(DUPONT, select=True)
    editor = w.review_editor
    assert editor._record.locked
    asked: list[str | None] = []
    answers = iter(["caliper re-measured", "caliper re-measured", None])

    def ask(cls, parent, edit_reason, last=None):  # noqa: ANN001, ANN202
        asked.append(last)
        return next(answers)

    monkeypatch.setattr(AmendmentDialog, "ask", classmethod(ask))
    assert editor.set_diameter("L1", "38")
    assert editor.set_diameter("L2", "29")                          # asked again, the last offered
    assert asked == [None, "caliper re-measured"]
    assert not editor.set_diameter("L3", "17")                      # cancelled: nothing saved
    assert asked[-1] == "caliper re-measured"
    assert "amendment reason" in editor.message()
    review = w.service.get_case(DUPONT).reviews[-1]
    assert review.lesion("L1").diameter_mm == 38 and review.lesion("L2").diameter_mm == 29
    assert review.lesion("L3").diameter_mm == 18
    amendments = w.service.get_meeting("LIV-2026-11-19").amendments
    assert len(amendments) == 2


def test_the_first_opening_of_the_images_tab_shows_a_busy_cue(main_window, monkeypatch) -> None:
    import ui.viewer

    w = main_window
    w.open_patient(DUPONT, select=True)
    seen: list[tuple[bool, object]] = []
    real = ui.viewer.ViewerWidget

    class Watched(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
            cursor = QApplication.overrideCursor()
            seen.append((w.images_loading.isVisible(), cursor.shape() if cursor is not None else None))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(ui.viewer, "ViewerWidget", Watched)
    w.show_tab(TAB_NAMES.index("Images"))
    assert seen == [(True, Qt.CursorShape.WaitCursor)]
    assert "image viewer" in w.images_loading.text()
    assert not w.images_loading.isVisible() and QApplication.overrideCursor() is None


def test_the_history_says_what_changed_in_words(main_window, qtbot) -> None:
    w = main_window
    w.open_patient(DUPONT, select=True)
    editor = w.review_editor
    assert editor.set_diameter("L2", "28")
    w.show_tab(TAB_NAMES.index("History"))
    qtbot.waitUntil(lambda: w.history.model.rowCount() > 0, timeout=5000)
    last = w.history.model.rowCount() - 1
    assert w.history.model.index(last, 4).data() == "L2 diameter 30 → 28 mm"
    detail = w.history.detail.toPlainText()
    assert "Anne Martin changed the review — review of 2026-11-19" in detail
    assert "L2 diameter 30 → 28 mm" in detail and "Reason: L2 diameter 30 → 28 mm" in detail
    assert "{" not in detail and "lesions[" not in detail               # no JSON, no paths
    assert not w.history.raw.isVisible()


def test_a_1366_by_768_laptop_shows_the_verdict_the_criteria_eight_lesion_rows_and_the_agenda(
        main_window, qtbot) -> None:
    from ui.layout_audit import fully_visible

    w = main_window
    w.resize(1366, 768)
    w.set_meeting_mode(True)
    w.meeting.go_to(0)
    qtbot.wait(200)
    assert w.height() <= 768                                          # nothing forces it taller
    editor = w.review_editor
    criteria = editor.criteria
    assert fully_visible(criteria.resectability) and fully_visible(criteria.table, 120)
    assert not w.meeting.attendees.isVisible()                         # folded: the agenda has the rows
    assert fully_visible(w.meeting.agenda, 120)
    rows = editor.lesion_view
    assert rows.viewport().height() >= 8 * rows.row_height()            # eight lesion rows in sight
    w.meeting.attendees_toggle.click()                                 # the user may open it
    assert w.meeting.attendees.isVisible()


def test_the_vessel_grid_shows_every_lesion_without_scrolling_sideways(main_window, qtbot) -> None:
    w = main_window
    w.open_patient(DUPONT, select=True)
    w.show_tab(TAB_NAMES.index("Review"))
    qtbot.wait(200)
    grid = w.review_editor.vessel_view
    for size in ((1920, 1080), (1366, 768)):
        w.resize(*size)
        qtbot.wait(200)
        last = grid.model().columnCount() - 1
        assert grid.model().headerData(last, Qt.Orientation.Horizontal) == "no lesion"
        assert not grid.horizontalScrollBar().isVisible(), size
        right = grid.columnViewportPosition(last) + grid.columnWidth(last)
        assert right <= grid.viewport().width(), size            # L1-L4 and "no lesion", all in sight


def test_the_outcome_sheet_prints_from_the_window_alone_and_for_the_meeting(main_window, qtbot, tmp_path) -> None:
    from pypdf import PdfReader

    w = main_window
    w.open_patient(DUPONT, select=True)
    one = tmp_path / "one.pdf"
    w.print_outcome_sheet(str(one), open_viewer=False)
    qtbot.waitUntil(one.exists, timeout=20000)
    pages = PdfReader(one).pages
    assert len(pages) == 1
    text = pages[0].extract_text()
    assert "Tumour board outcome: DUPONT-BIERRE, Jean" in text and "Signature" in text
    assert w.act_print_sheet in w.menuBar().actions()[0].menu().actions()     # File menu
    w.set_meeting_mode(True)
    every = tmp_path / "meeting.pdf"
    w.print_outcome_sheet(str(every), open_viewer=False, meeting=True)
    qtbot.waitUntil(every.exists, timeout=20000)
    assert len(PdfReader(every).pages) == len(w.meeting.meeting.agenda)
