"""A coordinator's meeting driven from the keyboard: each test pins one thing that
broke or confused during a keyboard-only walk through a real board on a 1920×1080 screen."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QGroupBox, QLabel, QTabBar, QWidget

from tests.ui_shell_fixtures import *  # noqa: F401,F403
from tests.ui_shell_fixtures import FIXED_TODAY


def _mnemonic_clashes(window) -> dict[str, list[str]]:
    """Alt+letter keys claimed by more than one visible thing of the main window (menus, buttons,
    labels with a buddy, tabs): Qt then only moves focus between them and clicks nothing."""
    found: dict[str, list[str]] = {}

    def add(text: str, what: str) -> None:
        k = re.search(r"&([^&\s])", text.replace("&&", ""))
        if k:
            found.setdefault(k.group(1).lower(), []).append(f"{what} {text}")

    for act in window.menuBar().actions():
        add(act.text(), "menu")
    for w in window.findChildren(QWidget):
        if not w.isVisible() or w.window() is not window:
            continue
        if isinstance(w, QAbstractButton):
            add(w.text(), type(w).__name__)
        elif isinstance(w, QLabel) and w.buddy() is not None:
            add(w.text(), "label")
        elif isinstance(w, QGroupBox):
            add(w.title(), "group")
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                add(w.tabText(i), "tab")
    return {k: v for k, v in found.items() if len(v) > 1}


def _meeting_on_agenda_patient(window, qtbot):
    """Meeting mode with today's meeting, the patients due on its agenda, the first one open."""
    dialog = window.meeting.new_meeting()
    for name in ("Anne Martin", "Chidi Okafor", "Dag Lindqvist", "Élise Moreau"):
        dialog.check_member(name)
    dialog.submit_now()
    assert window.meeting.build_agenda_from_due() >= 1
    assert window.meeting.step(1) or window.meeting.model.current_row == 0
    return window.review_editor


def test_alt_letters_are_unambiguous_in_meeting_mode_on_every_review_tab(main_window, qtbot) -> None:
    editor = _meeting_on_agenda_patient(main_window, qtbot)
    for tab in range(editor.tabs.count()):
        editor.tabs.setCurrentIndex(tab)
        qtbot.wait(10)
        assert _mnemonic_clashes(main_window) == {}, editor.tabs.tabText(tab)
    main_window.show_tab(2)  # treatment
    qtbot.wait(10)
    assert _mnemonic_clashes(main_window) == {}


def test_meeting_dialog_fields_have_distinct_alt_letters(main_window) -> None:
    dialog = main_window.meeting.new_meeting()
    letters = [re.search(r"&(\w)", lab.text()).group(1).lower()
               for lab in dialog.findChildren(QLabel) if lab.buddy() is not None]
    letters += [re.search(r"&(\w)", b.text()).group(1).lower()
                for b in dialog.findChildren(QAbstractButton) if "&" in b.text()]
    assert len(letters) == len(set(letters)), letters
    dialog.reject()


def test_stepping_to_an_agenda_patient_puts_the_keyboard_in_the_lesion_table(main_window, qtbot) -> None:
    editor = _meeting_on_agenda_patient(main_window, qtbot)
    main_window.activateWindow()
    qtbot.waitUntil(main_window.isActiveWindow)
    record = main_window.new_review()
    assert record is not None and record.review.date == FIXED_TODAY
    assert QApplication.focusWidget() is editor.lesion_view
    # ... so Ctrl+L and typing enter a lesion straight away.
    before = editor.lesion_model.rowCount()
    qtbot.keyClick(editor.lesion_view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert editor.lesion_model.rowCount() == before + 1


def test_no_review_yet_hint_goes_once_the_review_is_started(main_window, qtbot) -> None:
    _meeting_on_agenda_patient(main_window, qtbot)
    assert main_window.meeting.message.text().startswith("No review dated")
    main_window.new_review()
    assert main_window.meeting.message.text() == ""


def test_review_tabs_and_vote_panel_read_whole_beside_the_agenda(main_window, qtbot) -> None:
    editor = _meeting_on_agenda_patient(main_window, qtbot)
    qtbot.wait(50)
    bar = editor.tabs.tabBar()
    for i in range(bar.count()):
        full = bar.fontMetrics().horizontalAdvance(bar.tabText(i).replace("&&", "\0").replace("&", ""))
        assert bar.tabRect(i).width() >= full, f"tab {bar.tabText(i)!r} is elided"
    editor.tabs.setCurrentIndex(3)
    qtbot.wait(50)
    area = editor._vote_tab
    assert not area.horizontalScrollBar().isVisible(), "the vote panel scrolls sideways"


def test_panellist_names_stay_readable_in_the_votes_table(main_window, qtbot) -> None:
    editor = _meeting_on_agenda_patient(main_window, qtbot)
    main_window.new_review()
    editor.tabs.setCurrentIndex(3)
    panel = editor.vote_panel
    assert panel.cast("Élise Moreau", "permanently_unresectable")
    qtbot.wait(50)
    view = panel.votes_view
    name_width = view.columnWidth(0)
    assert name_width >= view.fontMetrics().horizontalAdvance("Élise Moreau")


def test_compare_colours_an_inclusion_met_as_good_news(main_window, qtbot) -> None:
    main_window.set_meeting_mode(False)
    main_window.open_patient("MRN-100231", select=True)
    main_window.show_tab(3)
    qtbot.wait(50)
    model = main_window.compare.criteria_model
    assert model.rowCount() > 0
    # Before, every "met" was red (the exclusion colour), "ECOG 0-1 met" included; now each
    # finding reads as the one legend says, in its colour, as in the review's criteria panel.
    from mdt import glossary

    ok = glossary.effect_label(glossary.OK)
    ok_colours = {model.item(r, c).foreground().color().name()
                  for r in range(model.rowCount()) for c in (1, 2) if model.item(r, c).text() == ok}
    assert ok_colours == {"#1b5e20"}, ok_colours
    shown = {model.item(r, c).text() for r in range(model.rowCount()) for c in (1, 2)}
    assert shown <= {glossary.effect_label(e) for e in glossary.EFFECTS} | {"—"}, shown


def test_history_names_reviews_by_date_not_by_database_key(main_window, qtbot) -> None:
    main_window.set_meeting_mode(False)
    main_window.open_patient("MRN-100231", select=True)
    main_window.show_tab(4)
    qtbot.waitUntil(lambda: main_window.history.model.rowCount() > 1, timeout=5000)
    model = main_window.history.model
    records = [model.index(r, 3).data() for r in range(model.rowCount())]
    reviews = [r for r in records if r.startswith("review")]
    assert reviews and all(re.fullmatch(r"review of \d{4}-\d{2}-\d{2}", r) for r in reviews), reviews


def test_one_patient_due_reads_in_the_singular(main_window, qtbot) -> None:
    main_window.set_meeting_mode(True)
    dialog = main_window.meeting.new_meeting()
    dialog.check_member("Anne Martin")
    dialog._try_accept()                                     # warned: no quorum
    dialog._try_accept()                                     # created anyway
    added = main_window.meeting.build_agenda_from_due()
    message = main_window.statusBar().currentMessage()
    noun = "patient" if added == 1 else "patients"
    assert message.startswith(f"{added} {noun} due added"), message


def test_sign_box_is_forgotten_once_answered(main_window, qtbot) -> None:

    _meeting_on_agenda_patient(main_window, qtbot)
    box = main_window.meeting.sign_meeting()
    assert box is not None and main_window.current_dialog is box
    box.reject()
    assert main_window.current_dialog is None
