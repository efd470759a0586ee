"""Sign-in, first password, screen lock and the chair's signing dialog.

Nothing is preselected: Enter in an empty sign-in dialog signs nobody in.  A member
without a password yet chooses one (twice) at first sign-in; the password hash and
the signing key are made by ``mdt.services.set_first_password``.  Every check is in
``mdt``: these dialogs only collect what the member types.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from mdt.auth import MIN_PASSWORD_LENGTH
from mdt.errors import FieldProblem, MdtError, ValidationError
from mdt.meeting import ROLES, SPECIALTIES, SPECIALTY_LABELS, Member
from mdt.services import (
    Actor,
    MdtService,
    SignInState,
    set_first_password,
    sign_in,
    signin_states,
)
from ui.patients.dialogs import _FormDialog, problems_text


class _NoDefaultList(QListWidget):
    """A list that stays without a current row until the user picks one: Qt makes the
    first row current when a list gets focus, which here would preselect a member."""

    def focusInEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        had = self.currentRow() >= 0
        super().focusInEvent(event)
        if not had and self.currentRow() >= 0:
            self.blockSignals(True)
            self.setCurrentRow(-1)
            self.blockSignals(False)
            self.clearSelection()


def _password_field(name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setAccessibleName(name)
    return edit


class SignInDialog(_FormDialog):
    """"Who are you?": choose your name, type your password (or choose one the first time).

    ``only`` limits the list to one member (the lock screen's "continue as"), ``typed``
    fills the name a user gave on the command line (still not selected until found).
    On an empty registry the first member adds themself here (a coordinator or chair)."""

    def __init__(self, db, parent: QWidget | None = None, *, title: str = "Who are you?",
                 intro: str | None = None, typed: str | None = None):
        super().__init__(title, parent)
        self.db = db
        self.actor: Actor | None = None
        try:
            self.states: list[SignInState] = signin_states(db)
        except MdtError:
            self.states = []
        self.list = _NoDefaultList()
        self.list.setAccessibleName("Members")
        self.list.setMinimumHeight(260)
        for st in self.states:
            spec = ""
            text = f"{st.name}  ({st.role})" + ("" if st.has_password else "  — first sign-in")
            if st.locked_out_until is not None:
                text += f"  — locked out until {st.locked_out_until.astimezone():%H:%M}"
            item = QListWidgetItem(text + spec)
            item.setData(Qt.ItemDataRole.UserRole, st.name)
            self.list.addItem(item)
        self.list.setCurrentRow(-1)  # nothing preselected: Enter alone signs nobody in
        self.list.currentRowChanged.connect(self._chosen_changed)
        self.list.itemActivated.connect(lambda _i: self.password.setFocus())
        self.password = _password_field("Password")
        self.repeat = _password_field("Repeat password")
        self.repeat_label = QLabel("&Repeat")
        self.repeat_label.setBuddy(self.repeat)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        intro_label = QLabel(intro or "Choose your name and type your password: every "
                                      "change is recorded under your name.")
        intro_label.setWordWrap(True)
        self.form.addRow(intro_label)
        self.form.addRow(self.list)
        pw_label = QLabel("&Password")
        pw_label.setBuddy(self.password)
        self.form.addRow(pw_label, self.password)
        self.form.addRow(self.repeat_label, self.repeat)
        self.form.addRow(self.hint)
        # The very first member of an empty registry adds themself (no one else could).
        self.new_name = QLineEdit()
        self.new_specialty = QComboBox()
        self.new_role = QComboBox()
        if not self.states:
            self.new_name.setPlaceholderText("your name (first member of the registry)")
            for code in SPECIALTIES:
                self.new_specialty.addItem(SPECIALTY_LABELS[code], code)
            self.new_role.addItems([r for r in ROLES if r != "member"])
            self.form.addRow("&Name", self.new_name)
            self.form.addRow("&Specialty", self.new_specialty)
            self.form.addRow("R&ole", self.new_role)
        self.setMinimumWidth(560)
        self._chosen_changed(-1)
        if typed:
            self.choose(typed)
        if self.states:
            self.list.setFocus()
        else:
            self.new_name.setFocus()
            self._set_first(True)

    # -------------------------------------------------------------- helpers
    def _state(self) -> SignInState | None:
        row = self.list.currentRow()
        return self.states[row] if 0 <= row < len(self.states) else None

    def _set_first(self, first: bool) -> None:
        self.repeat.setVisible(first)
        self.repeat_label.setVisible(first)
        self.hint.setText(f"First sign-in: choose a password of at least {MIN_PASSWORD_LENGTH} "
                          f"characters and type it twice. It also protects your signing key; "
                          f"nobody else can set it for you later." if first else "")

    def _chosen_changed(self, _row: int) -> None:
        st = self._state()
        self._set_first(st is not None and not st.has_password)
        self.password.clear()
        self.repeat.clear()
        self.show_error("")

    def choose(self, name: str) -> bool:
        for i, st in enumerate(self.states):
            if st.name.casefold() == name.casefold():
                self.list.setCurrentRow(i)
                self.password.setFocus()
                return True
        return False

    def chosen_name(self) -> str | None:
        st = self._state()
        return st.name if st else None

    # -------------------------------------------------------------- accept
    def submit_now(self) -> None:
        if not self.states:
            self._add_first_member()
            return
        st = self._state()
        if st is None:
            raise ValidationError(FieldProblem("member", "choose your name in the list"))
        if not st.has_password:
            if self.password.text() != self.repeat.text():
                raise ValidationError(FieldProblem("password", "the two passwords differ"))
            self.actor = set_first_password(self.db, st.name, self.password.text())
            return
        if not self.password.text():
            raise ValidationError(FieldProblem("password", "type your password"))
        try:
            self.actor = sign_in(self.db, st.name, self.password.text())
        except MdtError:
            self.password.clear()
            self.password.setFocus()
            raise

    def _add_first_member(self) -> None:
        name = self.new_name.text().strip()
        if not name:
            raise ValidationError(FieldProblem("name", "type your name"))
        if self.password.text() != self.repeat.text():
            raise ValidationError(FieldProblem("password", "the two passwords differ"))
        from mdt.auth import check_new_password

        check_new_password(self.password.text(), name)
        MdtService(self.db, Actor(name)).add_member(Member(
            name=name, specialty=self.new_specialty.currentData(),
            role=self.new_role.currentText()))
        self.actor = set_first_password(self.db, name, self.password.text())


class LockScreen(SignInDialog):
    """The window after inactivity: the same member's password, or someone else signs in.

    What the locked member left open stays as it was behind this dialog; if another
    member signs in, the window asks ``confirm_switch`` first (it names what would be
    lost), so nothing unsaved disappears silently."""

    def __init__(self, db, locked: Actor, parent: QWidget | None = None, *,
                 confirm_switch: Callable[[Actor], bool] | None = None):
        super().__init__(db, parent, title="Locked",
                         intro=f"Locked after inactivity. {locked.name}: type your password "
                               f"to continue, or choose another name to sign in as someone "
                               f"else.")
        self.locked = locked
        self._confirm_switch = confirm_switch
        self.choose(locked.name)
        # Closing the lock screen must not unlock the window.
        self.buttons.button(self.buttons.StandardButton.Cancel).setVisible(False)

    def reject(self) -> None:  # Escape does not unlock
        return

    def submit_now(self) -> None:
        super().submit_now()
        if self.actor is not None and self.actor.member_id != self.locked.member_id \
                and self._confirm_switch is not None and not self._confirm_switch(self.actor):
            self.actor = None
            raise ValidationError(FieldProblem("", "still locked: sign in as "
                                               f"{self.locked.name} to keep their work"))


class SignMeetingDialog(_FormDialog):
    """The chair signs: what is signed, then the chair's password again (11.200)."""

    def __init__(self, meeting_id: str, summary: str, signer: str,
                 sign: Callable[[str], object], parent: QWidget | None = None):
        super().__init__("Sign minutes", parent)
        self._sign = sign
        self.result_value: object = None
        text = QLabel(summary)
        text.setWordWrap(True)
        self.form.addRow(text)
        self.password = _password_field("Password to sign")
        label = QLabel(f"&Password of {signer}")
        label.setBuddy(self.password)
        key_note = QLabel(f"Your password signs the minutes of {meeting_id} with your own "
                          f"key: the PDF carries a digital signature any PDF reader can check.")
        key_note.setWordWrap(True)
        self.form.addRow(key_note)
        self.form.addRow(label, self.password)
        ok = self.buttons.button(self.buttons.StandardButton.Ok)
        ok.setText("&Sign minutes")
        ok.setEnabled(False)
        self.password.textChanged.connect(lambda t: ok.setEnabled(bool(t)))
        self.password.setFocus()
        self.setMinimumWidth(640)
        self.adjustSize()
        import threading

        from mdt.minutes.pades import warm_up

        threading.Thread(target=warm_up, name="pades-warm-up", daemon=True).start()

    def submit_now(self) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.result_value = self._sign(self.password.text())
        except MdtError:
            self.password.clear()
            raise
        finally:
            QGuiApplication.restoreOverrideCursor()


class IdleWatcher(QObject):
    """Fires ``on_idle`` after ``minutes`` without keyboard or mouse input (0 = never)."""

    _INPUT = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
              QEvent.Type.Wheel, QEvent.Type.TouchBegin}

    def __init__(self, minutes: float, on_idle: Callable[[], None], parent: QObject | None = None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(on_idle)
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_minutes(self, minutes: float) -> None:
        self.minutes = minutes
        self.timer.stop()
        if minutes > 0:
            self.timer.setInterval(int(minutes * 60_000))
            self.timer.start()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in self._INPUT and self.minutes > 0:
            self.timer.start()
        return False

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


def problems(exc: Exception) -> str:
    return problems_text(exc) if isinstance(exc, MdtError) else str(exc)
