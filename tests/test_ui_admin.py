"""File ▸ Members and settings…: a chair or coordinator looks after the registry and the
hospital settings in the window, with every refusal named in words."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit

from mdt.services import sign_in
from tests.signin_fixtures import signed_in
from tests.ui_shell_fixtures import *  # noqa: F401,F403
from tests.ui_shell_fixtures import make_window, member_named
from ui.admin import AdminDialog


def _open(window) -> AdminDialog:  # noqa: ANN001
    window.act_admin.trigger()
    dialog = window.findChild(AdminDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def _cell(dialog: AdminDialog, name: str, column: int) -> str:
    for row in range(dialog.model.rowCount()):
        if dialog.model.member(row).name == name:
            return dialog.model.index(row, column).data()
    raise AssertionError(f"{name} not listed")


def test_the_chair_adds_a_member_who_then_signs_in_for_the_first_time(main_window, qtbot) -> None:
    dialog = _open(main_window)
    assert _cell(dialog, "Anne Martin", 4) == "password set"
    form = dialog.add_member()
    form.name.setText("Zoe Park")
    form.specialty.setCurrentIndex(form.specialty.findData("interventional_radiologist"))
    form._try_accept()
    assert not form.isVisible()
    assert _cell(dialog, "Zoe Park", 1) == "Interventional radiologist"
    assert _cell(dialog, "Zoe Park", 4) == "first sign-in pending"
    assert "Zoe Park added" in dialog.message.text()
    names = [m.name for m in main_window.service.list_members()]
    assert "Zoe Park" in names


def test_a_member_who_left_is_retired_and_kept_in_the_registry(main_window) -> None:
    dialog = _open(main_window)
    assert dialog.select_name("Bo Chen")
    form = dialog.edit_member()
    form.active.setChecked(False)
    form._try_accept()
    assert _cell(dialog, "Bo Chen", 3) == "no (retired)"
    assert "Bo Chen" not in [m.name for m in main_window.service.list_members()]


def test_a_refused_change_names_the_field_and_keeps_the_dialog_open(main_window) -> None:
    dialog = _open(main_window)
    form = dialog.add_member()
    form.name.setText("Anne Martin")                     # already on the registry
    form._try_accept()
    assert form.isVisible() and form.error.isVisible() and form.error.text()
    form.name.setText("")
    form._try_accept()
    assert "type the member's name" in form.error.text()


def test_wrong_passwords_show_a_lock_out_that_a_reset_lifts(main_window) -> None:
    db = main_window.service.db
    signed_in(db, "Bo Chen")
    for _ in range(5):
        try:
            sign_in(db, "Bo Chen", "not the password")
        except Exception:  # noqa: BLE001 - each is refused; the lock-out is what is checked
            pass
    dialog = _open(main_window)
    assert "locked out until" in _cell(dialog, "Bo Chen", 4)
    assert dialog.select_name("Bo Chen")
    assert dialog.reset_password(confirm=False)
    assert _cell(dialog, "Bo Chen", 4) == "first sign-in pending"
    assert "reset" in dialog.message.text()


def test_an_os_login_is_bound_and_shown(main_window) -> None:
    dialog = _open(main_window)
    assert dialog.select_name("Bo Chen")
    assert dialog.bind_os_login("bchen")
    assert _cell(dialog, "Bo Chen", 5) == "bchen"
    assert dialog.select_name("Anne Martin")
    assert not dialog.bind_os_login("bchen")              # already Bo's
    assert "bound to another member" in dialog.message.text()


def test_settings_are_saved_and_a_bad_value_is_named_in_words(main_window) -> None:
    dialog = _open(main_window)
    form = dialog.settings_form
    lock = form.fields["signin.lock_minutes"]
    failures = form.fields["signin.max_failures"]
    assert isinstance(lock, QLineEdit) and isinstance(failures, QLineEdit)
    assert failures.text() == "5"
    lock.setText("5")
    failures.setText("many")
    assert not form.apply()
    assert form.error.text() == ("Wrong passwords in a row before a lock-out: a whole number of "
                                 "wrong passwords, 0 to 100")
    assert failures.text() == "many"                      # left as typed, to correct
    assert "Saved: Lock the window after" in form.status.text()
    assert main_window.service.setting_values()["signin.lock_minutes"] == "5"
    failures.setText("3")
    mode = form.fields["signin.mode"]
    assert isinstance(mode, QComboBox)
    assert form.apply() and not form.error.text()
    assert main_window.service.settings().max_failures == 3


def test_a_member_without_the_role_is_told_who_may(qtbot, qsettings_tmp, seeded_db,
                                                   monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: told.append(text))
    member = member_named(seeded_db, "member")
    window = make_window(qtbot, seeded_db, member)
    try:
        assert window.open_admin() is None
        assert told and "only a signed-in" not in told[0] and "chair or coordinator" in told[0]
    finally:
        window.close()
