"""Sign-in in the window: nothing preselected, passwords, first sign-in, switch user, lock."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from mdt import demo
from tests.signin_fixtures import TEST_PASSWORD, signed_in
from tests.ui_shell_fixtures import *  # noqa: F401,F403
from ui.signin import SignInDialog


def _ok(dialog) -> None:  # noqa: ANN001
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()


def test_nothing_is_preselected_and_enter_signs_nobody_in(qtbot, seeded_db) -> None:
    dialog = SignInDialog(seeded_db)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.list.currentRow() == -1 and dialog.chosen_name() is None
    qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.actor is None and "choose your name" in dialog.error.text()


def test_first_sign_in_chooses_a_password_then_it_is_asked(qtbot, seeded_db) -> None:
    dialog = SignInDialog(seeded_db)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.choose("bo chen")
    assert dialog.repeat.isVisible() and "First sign-in" in dialog.hint.text()
    dialog.password.setText("a long password 1")
    dialog.repeat.setText("a long password 2")
    _ok(dialog)
    assert dialog.actor is None and "differ" in dialog.error.text()
    dialog.repeat.setText("a long password 1")
    _ok(dialog)
    assert dialog.actor is not None and dialog.actor.authenticated
    again = SignInDialog(seeded_db)
    qtbot.addWidget(again)
    again.show()
    assert again.choose("Bo Chen") and not again.repeat.isVisible()
    again.password.setText("wrong password!")
    _ok(again)
    assert again.actor is None and "not right" in again.error.text()
    assert again.password.text() == ""                             # typed again, not kept
    again.password.setText("a long password 1")
    _ok(again)
    assert again.actor.name == "Bo Chen"


def test_five_wrong_passwords_lock_the_member_out_and_the_dialog_says_for_how_long(
        qtbot, seeded_db) -> None:
    signed_in(seeded_db, "Bo Chen")
    dialog = SignInDialog(seeded_db)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.choose("Bo Chen")
    for _ in range(5):
        dialog.password.setText("wrong password!")
        _ok(dialog)
        assert "not right" in dialog.error.text()
    dialog.password.setText(TEST_PASSWORD)
    _ok(dialog)
    assert dialog.actor is None
    assert "cannot sign in for 15 more minutes" in dialog.error.text()
    assert "reset the password" in dialog.error.text()


def test_switch_user_asks_the_password_and_changes_what_they_may_do(main_window) -> None:
    w = main_window
    w.set_meeting_mode(True)
    assert w.meeting.sign_button.isEnabled()                       # the chair
    signed_in(w.service.db, "Bo Chen")                             # Bo has chosen a password
    dialog = w.switch_user()
    assert dialog.chosen_name() is None                            # nothing preselected
    assert dialog.choose("Bo Chen")
    dialog.password.setText("not Bo's password")
    _ok(dialog)
    assert dialog.isVisible() and w.service.actor.name == demo.CHAIR
    dialog.password.setText(TEST_PASSWORD)
    _ok(dialog)
    assert w.service.actor.name == "Bo Chen" and w.service.actor.authenticated
    assert w.user_label.text().startswith("User: Bo Chen")
    assert not w.meeting.sign_button.isEnabled()                   # not the chair


def test_lock_hides_the_record_and_the_same_member_unlocks(main_window, qtbot) -> None:
    w = main_window
    screen = w.lock()
    assert screen is not None and not w.centralWidget().isVisible()
    assert screen.chosen_name() == demo.CHAIR
    screen.reject()                                                # Escape does not unlock
    assert screen.isVisible()
    screen.password.setText("wrong password!")
    _ok(screen)
    assert screen.isVisible() and "not right" in screen.error.text()
    screen.password.setText(TEST_PASSWORD)
    _ok(screen)
    assert not screen.isVisible() and w.centralWidget().isVisible()
    assert w.service.actor.name == demo.CHAIR and w.locked_screen is None


def test_another_member_at_the_lock_screen_is_warned_of_unrecorded_input(main_window, qtbot,
                                                                       monkeypatch) -> None:
    w = main_window
    signed_in(w.service.db, "Bo Chen")
    dialog = w.new_meeting() if hasattr(w, "new_meeting") else w.meeting.new_meeting()
    assert dialog is not None and w.unsaved_work()                # an open dialog counts
    screen = w.lock()
    asked: list[str] = []

    def answer(*args, **kwargs):  # noqa: ANN002, ANN003
        asked.append(args[2])
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", staticmethod(answer))
    screen.choose("Bo Chen")
    screen.password.setText(TEST_PASSWORD)
    _ok(screen)
    assert asked and "Anne Martin has unrecorded input" in asked[0]
    assert screen.isVisible() and w.service.actor.name == demo.CHAIR  # still locked, nothing lost
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    screen.choose("Bo Chen")
    screen.password.setText(TEST_PASSWORD)
    _ok(screen)
    assert not screen.isVisible() and w.service.actor.name == "Bo Chen"


def test_the_window_locks_itself_after_the_idle_setting(main_window, qtbot) -> None:
    w = main_window
    w.idle.set_minutes(0.002)                                      # about 120 ms
    qtbot.waitUntil(lambda: w.locked_screen is not None, timeout=5000)
    assert not w.centralWidget().isVisible()
    w.locked_screen.password.setText(TEST_PASSWORD)
    _ok(w.locked_screen)
    assert w.locked_screen is None
