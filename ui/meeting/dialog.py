"""Create a meeting or change its attendance: date, time, board, chair, minute
taker, attendees with their specialty, and the quorum check as you tick names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QWidget,
)

from mdt.errors import FieldProblem, ValidationError
from mdt.meeting import ROLES, SPECIALTIES, SPECIALTY_LABELS, Meeting, Member
from ui.patients.dialogs import _FormDialog, parse_optional_date

QuorumFn = Callable[[Sequence[Member]], tuple[bool, str]]


def member_text(m: Member) -> str:
    specialty = SPECIALTY_LABELS.get(m.specialty, m.specialty)
    # "Coordinator, coordinator" says nothing twice: show the role only when it adds something.
    role = "" if m.role == "member" or m.role == specialty.lower() else f", {m.role}"
    return f"{m.name} — {specialty}{role}"


class MeetingDialog(_FormDialog):
    """``meeting`` None: a new meeting; else edit its details and attendance."""

    def __init__(self, members: Sequence[Member], quorum: QuorumFn,
                 submit: Callable[[Meeting], object], add_member: Callable[[Member], Member],
                 meeting: Meeting | None = None, today: date | None = None,
                 default_board: str = "Liver MDT", present: Sequence[str] = (),
                 parent: QWidget | None = None):
        """``present``: names ticked on a new meeting (the person creating it)."""
        super().__init__("Meeting details" if meeting else "New meeting", parent)
        self._submit, self._quorum, self._add_member = submit, quorum, add_member
        self.existing = meeting
        today = today or date.today()
        when = meeting.date if meeting else today
        self.id_edit = QLineEdit(meeting.id if meeting else f"LIV-{when.isoformat()}")
        self.id_edit.setReadOnly(meeting is not None)
        self.date_edit = QLineEdit(when.isoformat())
        self.date_edit.setPlaceholderText("YYYY-MM-DD")
        if meeting is None:
            self.date_edit.textEdited.connect(self._date_edited)
        self.time_edit = QLineEdit((meeting.start_time or "") if meeting else "")
        self.time_edit.setPlaceholderText("HH:MM")
        self.board_edit = QLineEdit((meeting.board or "") if meeting else default_board)
        self.institution_edit = QLineEdit((meeting.institution or "") if meeting else "")
        self.chair_combo = QComboBox()
        self.taker_combo = QComboBox()
        self.attendees = QListWidget()
        self.attendees.setAccessibleName("Attendees")
        self.attendees.setMinimumHeight(220)
        self.quorum_label = QLabel("")
        self.quorum_label.setWordWrap(True)
        self.quorum_label.setProperty("role", "verdict")
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("name of a member not yet listed")
        self.new_specialty = QComboBox()
        for code in SPECIALTIES:
            self.new_specialty.addItem(SPECIALTY_LABELS[code], code)
        self.new_role = QComboBox()
        self.new_role.addItems(list(ROLES))
        self.new_role.setCurrentText("member")
        self.add_button = QPushButton("Add &member")
        self.add_button.clicked.connect(self.add_new_member)
        self.new_name.returnPressed.connect(self.add_new_member)
        add_row = QHBoxLayout()
        add_row.addWidget(self.new_name, 1)
        add_row.addWidget(self.new_specialty)
        add_row.addWidget(self.new_role)
        add_row.addWidget(self.add_button)

        self._members: list[Member] = []
        attending = {m.name for m in meeting.attendees} if meeting else set(present)
        for m in members:
            self._append_member(m, m.name in attending)
        self._fill_people(meeting.chair if meeting else None, meeting.minute_taker if meeting else None)
        self._no_quorum_confirmed = False
        if meeting is None:
            # The chair chairs the meeting: ticked present from the start (and whoever is chosen
            # as chair instead is ticked in turn; nobody is unticked behind the user's back).
            self._tick_chair()
            self.chair_combo.currentIndexChanged.connect(lambda _i: self._tick_chair())
        self.attendees.itemChanged.connect(lambda _item: self._update_quorum())

        self.form.addRow("Meeting &ID", self.id_edit)
        self.form.addRow("&Date", self.date_edit)
        self.form.addRow("Start &time", self.time_edit)
        self.form.addRow("&Board", self.board_edit)
        self.form.addRow("I&nstitution", self.institution_edit)
        self.form.addRow("&Chair", self.chair_combo)
        self.form.addRow("Minute ta&ker", self.taker_combo)
        self.form.addRow(QLabel("Attendees (Space ticks the selected name)"))
        self.form.addRow(self.attendees)
        self.form.addRow(add_row)
        self.form.addRow(self.quorum_label)
        self.setMinimumWidth(720)
        self._update_quorum()
        self.date_edit.setFocus()
        self._auto_id = self.id_edit.text()
        """The ID the dialog proposed from the date: it follows the date until the user types one."""

    def _date_edited(self, text: str) -> None:
        if self.id_edit.text() == self._auto_id:
            self._auto_id = f"LIV-{text.strip()}"
            self.id_edit.setText(self._auto_id)

    def _tick_chair(self) -> None:
        name = self.chair_combo.currentData()
        if name:
            self.check_member(name, True)

    def _append_member(self, m: Member, checked: bool) -> None:
        self._members.append(m)
        item = QListWidgetItem(member_text(m))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.attendees.addItem(item)

    def _fill_people(self, chair: str | None, taker: str | None) -> None:
        keep_chair = chair or self.chair_combo.currentData()
        keep_taker = taker or self.taker_combo.currentData()
        for combo, keep, prefer in ((self.chair_combo, keep_chair, "chair"),
                                    (self.taker_combo, keep_taker, "coordinator")):
            combo.clear()
            combo.addItem("not recorded", "")
            for m in self._members:
                combo.addItem(member_text(m), m.name)
            pos = combo.findData(keep) if keep else -1
            if pos < 0:
                pos = next((i + 1 for i, m in enumerate(self._members) if m.role == prefer), 0)
            combo.setCurrentIndex(pos)

    def check_member(self, name: str, checked: bool = True) -> bool:
        for row, m in enumerate(self._members):
            if m.name == name:
                self.attendees.item(row).setCheckState(Qt.CheckState.Checked if checked
                                                       else Qt.CheckState.Unchecked)
                return True
        return False

    def selected_attendees(self) -> list[Member]:
        return [m for row, m in enumerate(self._members)
                if self.attendees.item(row).checkState() == Qt.CheckState.Checked]

    def _update_quorum(self) -> None:
        ok, text = self._quorum(self.selected_attendees())
        self.quorum_label.setText(("✔ " if ok else "✘ ") + text)
        self.quorum_label.setStyleSheet(f"color: {'#1b5e20' if ok else '#b3261e'};")
        if self._no_quorum_confirmed or not ok:
            # The attendance changed since the warning: it is asked again on OK.
            self._no_quorum_confirmed = False
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("OK")
            if ok:
                self.show_error("")

    def quorum_warning(self) -> str | None:
        """A new meeting without quorum is not created on the first OK: the dialog says what is
        missing and the button becomes "Create without quorum" (the minutes will say so too)."""
        if self.existing is not None or self._no_quorum_confirmed:
            return None
        ok, text = self._quorum(self.selected_attendees())
        if ok:
            return None
        self._no_quorum_confirmed = True
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create without quorum")
        return (f"No quorum: {text}. Tick who else attends, or press “Create without quorum” to create "
                f"the meeting anyway (the minutes record that it had no quorum).")

    def add_new_member(self) -> Member | None:
        name = self.new_name.text().strip()
        if not name:
            self.show_error("Name: a name is required to add a member")
            return None
        try:
            member = self._add_member(Member(name=name, specialty=self.new_specialty.currentData(),
                                             role=self.new_role.currentText()))
        except Exception as exc:  # noqa: BLE001 - shown inline (PermissionDenied, ValidationError)
            from ui.patients.dialogs import problems_text

            self.show_error(problems_text(exc))
            return None
        self.show_error("")
        self._append_member(member, True)
        self._fill_people(None, None)
        self.new_name.clear()
        self._update_quorum()
        return member

    def values(self) -> Meeting:
        mid = self.id_edit.text().strip()
        if not mid:
            raise ValidationError(FieldProblem("id", "a meeting ID is required"))
        when = parse_optional_date(self.date_edit.text(), "date")
        if when is None:
            raise ValidationError(FieldProblem("date", "the meeting date is required"))
        time = self.time_edit.text().strip() or None
        if time is not None:
            hh, _, mm = time.partition(":")
            if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60 and len(mm) == 2):
                raise ValidationError(FieldProblem("start_time", f"'{time}' is not a time (use HH:MM)"))
        attendees = tuple(self.selected_attendees())
        if not attendees:
            raise ValidationError(FieldProblem("attendees", "tick at least one attendee"))
        base = self.existing or Meeting(id=mid, date=when)
        from dataclasses import replace

        return replace(base, id=mid, date=when, start_time=time,
                       board=self.board_edit.text().strip() or None,
                       institution=self.institution_edit.text().strip() or None,
                       chair=self.chair_combo.currentData() or None,
                       minute_taker=self.taker_combo.currentData() or None,
                       attendees=attendees)

    def submit_now(self) -> None:
        meeting = self.values()
        warning = self.quorum_warning()
        if warning is not None:
            raise ValidationError(FieldProblem("attendees", warning))
        self._submit(meeting)


class AmendmentDialog(_FormDialog):
    """An amendment to signed minutes: why, and what changed (before -> after), both required."""

    def __init__(self, meeting_id: str, submit: Callable[[str, str], object], parent: QWidget | None = None):
        super().__init__(f"Amend the signed minutes of {meeting_id}", parent)
        self._submit = submit
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("why the signed record changes")
        self.summary_edit = QLineEdit()
        self.summary_edit.setPlaceholderText("what changed, e.g. attendance: B. Chen absent → present")
        self.form.addRow(QLabel("Signed minutes change only by amendment; the minutes print it."))
        self.form.addRow("&Reason", self.reason_edit)
        self.form.addRow("&What changed", self.summary_edit)
        self.setMinimumWidth(640)
        self.reason_edit.setFocus()

    def submit_now(self) -> None:
        reason, summary = self.reason_edit.text().strip(), self.summary_edit.text().strip()
        problems = []
        if not reason:
            problems.append(FieldProblem("reason", "a reason is required"))
        if not summary:
            problems.append(FieldProblem("summary", "say what changed"))
        if problems:
            raise ValidationError(problems)
        self._submit(reason, summary)
