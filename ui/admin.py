"""File ▸ Members and settings…: the panel registry and the hospital settings, in the window.

A chair or coordinator adds members, changes a specialty or role, retires a member who
left, resets a forgotten password (which also lifts a lock-out after wrong passwords),
binds an operating-system login, and changes the hospital-wide settings of
``mdt.settings``.  Every check and every audit event is in ``mdt``; this dialog shows the
registry and sends what the user chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mdt import settings as hospital
from mdt.errors import FieldProblem, MdtError, ValidationError
from mdt.meeting import ROLES, SPECIALTIES, SPECIALTY_LABELS, Member
from mdt.services import MdtService, SignInState
from ui.ops import Ops
from ui.patients.dialogs import _FormDialog, problems_text
from ui.style import style_label
from ui.table_model import Index, RowsTableModel


def _local(when: datetime) -> str:
    return when.astimezone().strftime("%H:%M")


def signin_words(st: SignInState | None) -> str:
    """How a member signs in, in a coordinator's words."""
    if st is None or not st.has_password:
        words = "first sign-in pending"
    else:
        words = "password set"
    if st is not None and st.locked_out_until is not None:
        words += f"; locked out until {_local(st.locked_out_until)} (wrong passwords)"
    return words


class MembersModel(RowsTableModel):
    HEADERS = ("Name", "Specialty", "Role", "Active", "Sign-in", "OS login", "Signing key")

    def set_rows(self, rows: Sequence[tuple[Member, SignInState | None]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def state_of(self, member_id: int | None) -> SignInState | None:
        return next((st for m, st in self._rows if m.id == member_id), None)

    def member(self, row: int) -> Member | None:
        item = self.row_item(row)
        return None if item is None else item[0]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: ANN201
        if not self.valid_row(index):
            return None
        m, st = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            col = index.column()
            if col == 0:
                return m.name
            if col == 1:
                return SPECIALTY_LABELS.get(m.specialty, m.specialty)
            if col == 2:
                return m.role
            if col == 3:
                return "yes" if m.active else "no (retired)"
            if col == 4:
                return signin_words(st)
            if col == 5:
                return (st.os_account if st else None) or "—"
            if col == 6:
                if st is None or not st.certificate_sha256:
                    return "—"
                source = "hospital certificate" if st.key_source == "pkcs12" else "own key"
                return f"{source} {st.certificate_sha256[:12]}…"
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 6 and st is not None:
            return st.certificate_sha256
        return None


class MemberDialog(_FormDialog):
    """Add a member (``member`` None) or change one: specialty, role, active."""

    def __init__(self, ops: Ops, member: Member | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Add member" if member is None else f"Change {member.name}", parent)
        self.ops, self.member = ops, member
        self.saved: Member | None = None
        self.name = QLineEdit(member.name if member else "")
        self.name.setAccessibleName("Name")
        self.specialty = QComboBox()
        for code in SPECIALTIES:
            self.specialty.addItem(SPECIALTY_LABELS[code], code)
        self.role = QComboBox()
        self.role.addItems(list(ROLES))
        self.active = QCheckBox("Active member of the panel (untick when they leave)")
        self.active.setChecked(member.active if member else True)
        if member is not None:
            self.specialty.setCurrentIndex(max(0, self.specialty.findData(member.specialty)))
            self.role.setCurrentText(member.role)
        self.form.addRow("&Name", self.name)
        self.form.addRow("&Specialty", self.specialty)
        self.form.addRow("&Role", self.role)
        self.form.addRow("", self.active)

    def submit_now(self) -> None:
        name = self.name.text().strip()
        if not name:
            raise ValidationError(FieldProblem("name", "type the member's name"))
        chosen = Member(name=name, specialty=self.specialty.currentData(),
                        role=self.role.currentText(), active=self.active.isChecked())
        if self.member is None:
            self.saved = self.ops.call("Member not added", lambda s: s.add_member(chosen))
        else:
            changed = replace(chosen, id=self.member.id)
            self.saved = self.ops.call("Member not changed", lambda s: s.update_member(changed))


class SettingsForm(QWidget):
    """The hospital settings, each with its meaning; Apply saves what changed."""

    def __init__(self, service: MdtService, parent: QWidget | None = None, *, ops: Ops | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.ops = ops if ops is not None else Ops(service, self)
        self.fields: dict[str, QLineEdit | QComboBox] = {}
        form = QFormLayout()
        for key in hospital.DEFAULTS:
            widget: QLineEdit | QComboBox
            if key == "signin.mode":
                widget = QComboBox()
                widget.addItems(list(hospital.SIGNIN_MODES))
            else:
                widget = QLineEdit()
            widget.setToolTip(f"{hospital.DESCRIPTIONS[key]} (default {hospital.DEFAULTS[key]})")
            widget.setAccessibleName(hospital.LABELS[key])
            self.fields[key] = widget
            form.addRow(hospital.LABELS[key], widget)
        self.error = QLabel("")
        style_label(self.error, "error")
        self.error.setWordWrap(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.apply_button = QPushButton("&Apply settings")
        self.apply_button.clicked.connect(self.apply)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.apply_button)
        layout.addLayout(row)
        layout.addStretch(1)
        self.reload()

    def _text(self, key: str) -> str:
        w = self.fields[key]
        return w.currentText() if isinstance(w, QComboBox) else w.text()

    def reload(self) -> None:
        self.values = {**hospital.DEFAULTS, **self.service.setting_values()}
        for key, w in self.fields.items():
            if isinstance(w, QComboBox):
                w.setCurrentText(self.values[key])
            else:
                w.setText(self.values[key])

    def apply(self) -> bool:
        """Save every changed setting; a refusal names the setting in words and the rule,
        and the settings already saved stay saved."""
        problems, saved = [], []
        for key in self.fields:
            text = self._text(key)
            if text.strip() == self.values[key]:
                continue
            try:
                self.ops.call(f"{hospital.LABELS[key]} not saved", lambda s, k=key, t=text: s.set_setting(k, t))
                saved.append(hospital.LABELS[key])
            except ValidationError as exc:
                problems.extend(f"{hospital.LABELS[key]}: {p.reason}" for p in exc.problems)
            except MdtError as exc:
                problems.append(f"{hospital.LABELS[key]}: {exc}")
        if saved:
            self.ops.settings_did_change.emit()
        self.reload_keeping([line.split(":", 1)[0] for line in problems])
        self.error.setText("\n".join(problems))
        self.error.setVisible(bool(problems))
        self.status.setText(f"Saved: {', '.join(saved)}." if saved else "")
        return not problems

    def reload_keeping(self, refused_labels: list[str]) -> None:
        """Reload the stored values, leaving the refused fields as typed (to correct)."""
        typed = {k: self._text(k) for k in self.fields}
        self.reload()
        for key, w in self.fields.items():
            if hospital.LABELS[key] in refused_labels and isinstance(w, QLineEdit):
                w.setText(typed[key])


class AdminDialog(QDialog):
    """Members and settings (chair or coordinator)."""

    def __init__(self, service: MdtService, parent: QWidget | None = None, *, ops: Ops | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Members and settings")
        self.service = service
        # The window's writes (off the GUI thread, one failure display); on its own, its own.
        self.ops = ops if ops is not None else Ops(service, self)
        self.ops.members_did_change.connect(lambda: self.reload())
        self.model = MembersModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)  # the sign-in state
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.doubleClicked.connect(lambda _i: self.edit_member())
        self.add_button = QPushButton("&Add member…")
        self.edit_button = QPushButton("&Change…")
        self.reset_button = QPushButton("&Reset password…")
        self.os_button = QPushButton("&OS login…")
        self.add_button.clicked.connect(self.add_member)
        self.edit_button.clicked.connect(self.edit_member)
        self.reset_button.clicked.connect(self.reset_password)
        self.os_button.clicked.connect(self.bind_os_login)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.edit_button, self.reset_button, self.os_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        members = QWidget()
        col = QVBoxLayout(members)
        col.addWidget(self.table)
        col.addLayout(buttons)
        col.addWidget(self.message)
        self.settings_form = SettingsForm(service, ops=self.ops)
        self.tabs = QTabWidget()
        self.tabs.addTab(members, "&Members")
        self.tabs.addTab(self.settings_form, "&Settings")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(close)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.resize(1080, 480)
        self.reload()

    # ---- the registry --------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        states = {st.member_id: st for st in self.service.member_states()}
        members = self.service.list_members(include_inactive=True)
        self.model.set_rows([(m, states.get(m.id or -1)) for m in members])
        if select is not None:
            row = next((i for i, m in enumerate(members) if m.name == select), -1)
            if row >= 0:
                self.table.selectRow(row)
        self._update_buttons()

    def selected(self) -> Member | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.member(rows[0].row()) if rows else None

    def select_name(self, name: str) -> bool:
        for row in range(self.model.rowCount()):
            m = self.model.member(row)
            if m is not None and m.name == name:
                self.table.selectRow(row)
                return True
        return False

    def _update_buttons(self) -> None:
        has = self.selected() is not None
        for b in (self.edit_button, self.reset_button, self.os_button):
            b.setEnabled(has)

    def _say(self, text: str) -> None:
        self.message.setText(text)

    def add_member(self) -> MemberDialog:
        dialog = MemberDialog(self.ops, None, self)
        dialog.accepted.connect(lambda: self._saved(dialog, "added"))
        dialog.open()
        return dialog

    def edit_member(self) -> MemberDialog | None:
        member = self.selected()
        if member is None:
            return None
        dialog = MemberDialog(self.ops, member, self)
        dialog.accepted.connect(lambda: self._saved(dialog, "changed"))
        dialog.open()
        return dialog

    def _saved(self, dialog: MemberDialog, what: str) -> None:
        if dialog.saved is not None:
            self.reload(select=dialog.saved.name)
            self._say(f"{dialog.saved.name} {what}.")

    def reset_password(self, confirm: bool = True) -> bool:
        member = self.selected()
        if member is None or member.id is None:
            return False
        if confirm and QMessageBox.question(
                self, "Reset password",
                f"Reset the password of {member.name}?\n\nThey choose a new one at their next "
                "sign-in, and a new signing key is made for them. A lock-out after wrong "
                "passwords ends now.") != QMessageBox.StandardButton.Yes:
            return False
        member_id = member.id
        try:
            self.ops.call("Password not reset", lambda s: s.reset_password(member_id))
        except Exception as exc:  # noqa: BLE001 - said once
            self.ops.show_failure("Password not reset", exc, shown_in=self._say)
            return False
        self.reload(select=member.name)
        self._say(f"The password of {member.name} was reset: they choose a new one at their "
                  "next sign-in.")
        return True

    def bind_os_login(self, login: str | None = None) -> bool:
        member = self.selected()
        if member is None or member.id is None:
            return False
        if login is None:
            state = self.model.state_of(member.id)
            current = (state.os_account if state else None) or ""
            login, ok = QInputDialog.getText(
                self, "Operating-system login",
                f"Login that signs {member.name} in (setting \"{hospital.LABELS['signin.mode']}\""
                " = os_account).\nLeave empty to remove it.", text=current)
            if not ok:
                return False
        member_id, chosen = member.id, login.strip() or None
        try:
            self.ops.call("OS login not changed", lambda s: s.bind_os_account(member_id, chosen))
        except Exception as exc:  # noqa: BLE001 - said once
            self.ops.show_failure("OS login not changed", exc, shown_in=self._say)
            return False
        self.reload(select=member.name)
        self._say(f"{member.name}: OS login {'set to ' + login.strip() if login.strip() else 'removed'}.")
        return True


def open_admin(service: MdtService, parent: QWidget | None = None, *, ops: Ops | None = None) -> AdminDialog | None:
    """The dialog, or a message saying who may use it (nothing else happens)."""
    try:
        dialog = AdminDialog(service, parent, ops=ops)
    except MdtError as exc:
        QMessageBox.information(parent, "Members and settings", problems_text(exc))
        return None
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


__all__ = ["AdminDialog", "MemberDialog", "MembersModel", "SettingsForm", "open_admin",
           "signin_words"]
