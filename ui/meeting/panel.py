"""Meeting mode: the meeting, its attendees and quorum, and the agenda to step
through while the panel records each patient's decision in the review editor.

Agenda and attendance changes are saved at once through the service and can be
undone (the window's undo stack).  Only the chair signs; the service enforces
it and the button says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mdt.errors import MdtError
from mdt.meeting import AgendaItem, Meeting, Member
from mdt.services import PatientRow
from ui.meeting.dialog import AmendmentDialog, MeetingDialog, member_text
from ui.patients.model import display_name
from ui.style import RESECTABILITY_COLOURS, fit_columns, label
from ui.undo import apply_and_push

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def quorum_line(ok: bool, reason: str) -> str:
    """"✔ Quorum: 4 specialties …" cut at its first parenthesis into one line; the whole reason
    goes to the tooltip."""
    head = reason.split(" (", 1)[0].split(", including", 1)[0]
    return ("✔ " if ok else "✘ ") + head + (" — hover for the rule" if head != reason else "")

_Index = QModelIndex | QPersistentModelIndex
AGENDA_HEADERS = ("#", "Patient", "Name", "Decision")
"""The reason for discussion is in each row's tooltip and under the agenda (space for names)."""


@dataclass(frozen=True, slots=True)
class AgendaLine:
    item: AgendaItem
    name: str
    decision: str | None
    """The panel's resectability on the review discussed (None: not decided yet)."""


class AgendaModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._lines: list[AgendaLine] = []
        self.current_row: int | None = None

    def set_lines(self, lines: Sequence[AgendaLine]) -> None:
        self.beginResetModel()
        self._lines = list(lines)
        if self.current_row is not None and self.current_row >= len(self._lines):
            self.current_row = None
        self.endResetModel()

    def lines(self) -> list[AgendaLine]:
        return list(self._lines)

    def set_current(self, row: int | None) -> None:
        old = self.current_row
        self.current_row = row
        for r in (old, row):
            if r is not None and 0 <= r < len(self._lines):
                self.dataChanged.emit(self.index(r, 0), self.index(r, len(AGENDA_HEADERS) - 1))

    def reason_text(self, row: int) -> str:
        item = self._lines[row].item
        text = label(item.reason or "reason not recorded")
        return text + (" (listed, not discussed)" if item.discussion_level == "listed" else "")

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(AGENDA_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(AGENDA_HEADERS):
            return AGENDA_HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._lines)):
            return None
        line = self._lines[index.row()]
        col = AGENDA_HEADERS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if col == "#":
                return ("▶ " if index.row() == self.current_row else "") + str(index.row() + 1)
            if col == "Patient":
                return line.item.patient_id
            if col == "Name":
                return line.name
            if col == "Decision":
                return label(line.decision) if line.decision else "to discuss"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{line.item.patient_id} {line.name}: {self.reason_text(index.row())}"
        if role == Qt.ItemDataRole.ForegroundRole and col == "Decision" and line.decision in RESECTABILITY_COLOURS:
            return QBrush(QColor(RESECTABILITY_COLOURS[line.decision]))
        if role == Qt.ItemDataRole.FontRole and index.row() == self.current_row:
            font = QFont()
            font.setBold(True)
            return font
        return None


class MeetingPanel(QWidget):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window_ = window
        self.meeting: Meeting | None = None
        window.ops.meeting_did_change.connect(self._meeting_changed)
        self.meeting_combo = QComboBox()
        self.meeting_combo.setAccessibleName("Meeting")
        self.meeting_combo.currentIndexChanged.connect(self._meeting_chosen)
        # Button mnemonics here are few: the review editor beside the agenda needs the letters.
        self.new_button = QPushButton("New meeting…")
        self.new_button.setToolTip("New meeting (Ctrl+Shift+M)")
        self.new_button.clicked.connect(self.new_meeting)
        self.details_button = QPushButton("Attendance…")
        self.details_button.clicked.connect(self.edit_meeting)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.quorum = QLabel("")
        self.quorum.setWordWrap(True)
        self.quorum.setProperty("role", "verdict")
        self.quorum.setAccessibleName("Quorum")
        self.attendees = QListWidget()
        self.attendees.setMaximumHeight(170)
        self.attendees.setAccessibleName("Attendees")
        # Folded to one line on a short screen: the agenda keeps its rows (the list opens on a click).
        self.attendees_toggle = QToolButton()
        self.attendees_toggle.setCheckable(True)
        self.attendees_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.attendees_toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.attendees_toggle.setChecked(True)
        self.attendees_toggle.setText("Attendees")
        self.attendees_toggle.toggled.connect(self._show_attendees)
        self.model = AgendaModel(self)
        self.agenda = QTableView()
        self.agenda.setModel(self.model)
        self.agenda.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.agenda.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.agenda.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.agenda.verticalHeader().setVisible(False)
        self.agenda.setTabKeyNavigation(False)  # Tab moves on to the buttons; arrows move in the agenda
        self.agenda.activated.connect(lambda ix: self.go_to(ix.row()))
        self.agenda.setAccessibleName("Agenda")
        self.due_button = QPushButton("Add patients &due")
        self.due_button.clicked.connect(self.build_agenda_from_due)
        self.add_button = QPushButton("Add current patient")
        self.add_button.setToolTip("Add the open patient to the agenda (Ctrl+Shift+A)")
        self.add_button.clicked.connect(self.add_current_patient)
        self.remove_button = QPushButton("Rem&ove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.up_button = QPushButton("Move up")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        self.prev_button = QPushButton("◀ Previous (PgUp)")
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button = QPushButton("Next (PgDn) ▶")
        self.next_button.clicked.connect(lambda: self.step(1))
        self.position = QLabel("")
        self.position.setProperty("role", "verdict")
        self.position.setWordWrap(True)
        self.sign_button = QPushButton("&Sign minutes…")
        self.sign_button.setToolTip("The chair signs the minutes")
        self.sign_button.clicked.connect(self.sign_meeting)
        self.amend_button = QPushButton("Amend…")
        self.amend_button.setToolTip("Amend the signed minutes (chair or coordinator), with a reason")
        self.amend_button.clicked.connect(self.amend_meeting)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setProperty("role", "error")

        # The meeting's name gets the whole width ("LIV-2026-11-19  (signed)" was cut beside the buttons).
        top = QGridLayout()
        top.addWidget(self.meeting_combo, 0, 0, 1, 2)
        top.addWidget(self.new_button, 1, 0)
        top.addWidget(self.details_button, 1, 1)
        edit = QGridLayout()
        edit.addWidget(self.due_button, 0, 0)
        edit.addWidget(self.add_button, 0, 1)
        edit.addWidget(self.remove_button, 0, 2)
        edit.addWidget(self.up_button, 1, 0)
        edit.addWidget(self.down_button, 1, 1)
        steps = QHBoxLayout()
        steps.addWidget(self.prev_button)
        steps.addWidget(self.next_button)
        signing = QHBoxLayout()
        signing.addWidget(self.sign_button)
        signing.addWidget(self.amend_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(self.quorum)
        layout.addWidget(self.attendees_toggle)
        layout.addWidget(self.attendees)
        layout.addWidget(QLabel("Agenda"))
        layout.addWidget(self.agenda, 1)
        layout.addLayout(edit)
        layout.addWidget(self.position)
        layout.addLayout(steps)
        layout.addLayout(signing)
        layout.addWidget(self.message)
        self.setMinimumWidth(420)

    def _show_attendees(self, on: bool) -> None:
        self.attendees.setVisible(on)
        self.attendees_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    TALL_SCREEN = 900
    """Lines of window height from which the attendee list stays unfolded beside the agenda."""

    def fold_for_height(self, height: int) -> None:
        """On a short screen (a 768-line laptop) the attendee list folds to its one-line toggle so
        the agenda keeps its rows; it unfolds again on a tall one.  Decided when the window crosses
        the line, so a user's own click stays as it is until then."""
        tall = height >= self.TALL_SCREEN
        if tall != getattr(self, "_tall", None):
            self._tall = tall
            self.attendees_toggle.setChecked(tall)

    # ------------------------------------------------------------------ helpers
    @property
    def service(self):
        return self.window_.service

    def _agenda_protocols(self, agenda: Sequence[AgendaItem]) -> list[str | None]:
        ids = {item.patient_id for item in agenda}
        try:
            rows = self.service.list_patients(include_archived=True)
        except MdtError:
            return []
        return [r.protocol_id for r in rows if r.patient_id in ids]

    def quorum_of(self, attendees: Sequence[Member],
                  agenda: Sequence[AgendaItem] | None = None) -> tuple[bool, str]:
        """Quorum by the strictest rule of the agenda's patients' protocols (``agenda`` None: the
        open meeting's agenda; empty: the default protocol's rule)."""
        from mdt.panel import quorum_for_protocols

        if agenda is None:
            agenda = self.meeting.agenda if self.meeting is not None else ()
        q = quorum_for_protocols(attendees, self._agenda_protocols(agenda))
        return q.ok, q.reason

    def _say(self, text: str) -> None:
        self.message.setText(text)

    def _fail(self, what: str, exc: BaseException) -> None:
        """Said the one way every failed change is (``Ops.show_failure``), here and in the status bar."""
        self.window_.ops.show_failure(what, exc, shown_in=self._say)

    def _meeting_changed(self, meeting_id: object) -> None:
        """``Ops.meeting_did_change``: a meeting was created, edited, re-ordered or signed."""
        self.reload(select=meeting_id if isinstance(meeting_id, str) else None)

    def _add_member(self, member: Member) -> Member:
        return self.window_.ops.call("Member not added", lambda s: s.add_member(member))

    def current_meeting_id(self) -> str | None:
        return self.meeting.id if self.meeting else None

    def is_chair(self) -> bool:
        member = self.window_.member
        if member is None or self.meeting is None:
            return False
        return member.role == "chair" or self.meeting.chair == member.name

    def update_actions(self) -> None:
        has = self.meeting is not None
        signed = bool(self.meeting and self.meeting.signed)
        editable = has and not signed
        for b in (self.due_button, self.add_button, self.remove_button, self.up_button, self.down_button):
            b.setEnabled(editable)
        self.add_button.setEnabled(editable and self.window_.current_case is not None)
        self.details_button.setEnabled(editable)
        self.sign_button.setEnabled(editable and self.is_chair())
        member = self.window_.member
        self.amend_button.setEnabled(signed and member is not None and member.role in ("chair", "coordinator"))
        self.sign_button.setToolTip("" if self.is_chair() else "Only the meeting's chair signs the minutes")
        w = self.window_
        if hasattr(w, "act_sign"):
            w.act_sign.setEnabled(self.sign_button.isEnabled())
            w.act_agenda_due.setEnabled(editable)
            if hasattr(w, "act_attendance"):
                w.act_attendance.setEnabled(editable)
            w.act_print_minutes.setEnabled(has)
            if hasattr(w, "act_print_sheets"):
                w.act_print_sheets.setEnabled(has)

    # ------------------------------------------------------------------ loading
    def reload(self, select: str | None = None) -> None:
        keep = select or self.current_meeting_id()
        try:
            rows = self.service.list_meetings()
        except MdtError as exc:
            self._fail("Cannot list meetings", exc)
            return
        self.meeting_combo.blockSignals(True)
        self.meeting_combo.clear()
        for r in rows:
            text = (r.id if r.date.isoformat() in r.id else f"{r.id} {r.date.isoformat()}") \
                + ("  (signed)" if r.signed else "")
            self.meeting_combo.addItem(text, r.id)
        pos = self.meeting_combo.findData(keep) if keep else -1
        if pos < 0 and rows:
            # The meeting of today, else the newest unsigned, else the newest.
            today = self.window_.today()
            pos = next((i for i, r in enumerate(rows) if r.date == today), -1)
            if pos < 0:
                pos = next((i for i, r in enumerate(rows) if not r.signed), 0)
        self.meeting_combo.setCurrentIndex(pos)
        self.meeting_combo.blockSignals(False)
        self.load_meeting(self.meeting_combo.currentData())

    def _meeting_chosen(self, _i: int) -> None:
        self.model.set_current(None)
        self.load_meeting(self.meeting_combo.currentData())

    def load_meeting(self, meeting_id: str | None) -> None:
        if not meeting_id:
            self.meeting = None
            self.info.setText("No meeting yet: New meeting (Ctrl+Shift+M).")
            self.quorum.setText("")
            self.attendees.clear()
            self.model.set_lines([])
            self.update_actions()
            return
        try:
            self.meeting = self.service.get_meeting(meeting_id)
        except MdtError as exc:
            self._fail(f"Cannot open meeting {meeting_id}", exc)
            return
        m = self.meeting
        bits = [m.date.isoformat() + (f" {m.start_time}" if m.start_time else ""), m.board or "",
                f"chair {m.chair}" if m.chair else "chair not recorded",
                f"minutes {m.minute_taker}" if m.minute_taker else ""]
        if m.signed and m.signature:
            bits.append(f"SIGNED by {m.signature.signer} {m.signature.at:%Y-%m-%d %H:%M}")
        if m.amendments:
            bits.append(f"{len(m.amendments)} amendment(s)")
        self.info.setText("  ·  ".join(b for b in bits if b))
        ok, text = self.quorum_of(m.attendees)
        # One line to read across the room; the rule and who counts in the tooltip.
        self.quorum.setText(quorum_line(ok, text))
        self.quorum.setToolTip(text)
        self.quorum.setStyleSheet(f"color: {'#1b5e20' if ok else '#b3261e'};")
        self.attendees.clear()
        for a in m.attendees:
            self.attendees.addItem(member_text(a))
        self.attendees_toggle.setText(f"Attendees ({len(m.attendees)})")
        self._fill_agenda()
        self.update_actions()

    def _fill_agenda(self) -> None:
        m = self.meeting
        if m is None:
            self.model.set_lines([])
            return
        rows: dict[str, PatientRow] = {}
        try:
            for r in self.service.list_patients(include_archived=True):
                rows[r.patient_id] = r
        except MdtError:
            pass
        lines = []
        for item in m.agenda:
            row = rows.get(item.patient_id)
            discussed_on = item.review_date or m.date
            decided = row.resectability if row and row.last_review_date == discussed_on else None
            lines.append(AgendaLine(item, display_name(row.name) if row else "", decided))
        self.model.set_lines(lines)
        self.fit_agenda()
        self._update_position()

    def fit_agenda(self) -> None:
        """Name takes what the number, ID and decision leave (sized to their values now: the
        ResizeToContents mode missed rows filled while the panel was hidden).  When the column is
        too narrow for every name whole, the ID column folds away (it is in each row's tooltip)."""
        id_col = AGENDA_HEADERS.index("Patient")
        name_col = AGENDA_HEADERS.index("Name")
        self.agenda.setColumnHidden(id_col, False)
        fit_columns(self.agenda, stretch=name_col)
        room = self.agenda.viewport().width()
        others = sum(self.agenda.columnWidth(c) for c in range(len(AGENDA_HEADERS)) if c != name_col)
        name_need = max(self.agenda.sizeHintForColumn(name_col),
                        self.agenda.horizontalHeader().sectionSizeHint(name_col))
        if room > 0 and others + name_need > room:
            self.agenda.setColumnHidden(id_col, True)

    def resizeEvent(self, event) -> None:  # type: ignore[override]  # noqa: N802
        super().resizeEvent(event)
        self.fold_for_height(self.window().height())
        self.fit_agenda()

    def refresh_current_item(self) -> None:
        """After a review was saved: the agenda's decision column follows, and the "no review
        yet" hint goes once that review exists (a stale hint reads as if it was not saved)."""
        if self.meeting is not None and self.isVisible():
            self._fill_agenda()
        waiting = getattr(self, "_awaiting_review", None)
        case = self.window_.current_case
        if waiting is not None and case is not None and case.patient.id == waiting[0] \
                and any(r.date == waiting[1] for r in case.reviews):
            self._awaiting_review = None
            self._say("")

    # ------------------------------------------------------------------ meeting edits
    def new_meeting(self):
        w = self.window_
        try:
            members = self.service.list_members()
        except MdtError as exc:
            self._fail("Cannot list members", exc)
            return None

        def submit(meeting: Meeting) -> None:
            created = w.ops.call("Meeting not created", lambda s: s.create_meeting(meeting))
            self._say("")
            w.set_meeting_mode(True)
            w.show_message(f"Meeting {created.id} created")

        w.set_meeting_mode(True)
        present = [w.member.name] if w.member is not None else []
        # A new meeting has no agenda yet: the default protocol's rule.
        return w._open_dialog(MeetingDialog(members, partial(self.quorum_of, agenda=()), submit,
                                            self._add_member,
                                            today=w.today(), present=present, parent=w))

    def edit_meeting(self):
        w = self.window_
        if self.meeting is None:
            return None
        old = self.meeting
        try:
            members = self.service.list_members()
        except MdtError as exc:
            self._fail("Cannot list members", exc)
            return None

        def submit(meeting: Meeting) -> None:
            apply_and_push(w.undo_stack, f"attendance of {meeting.id}",
                           lambda: w.ops.call("Meeting not saved", lambda s: s.update_meeting(meeting)),
                           lambda: w.ops.call("Undo not saved", lambda s: s.update_meeting(old)),
                           on_error=self._fail)

        return w._open_dialog(MeetingDialog(members, partial(self.quorum_of, agenda=old.agenda), submit,
                                            self._add_member,
                                            meeting=old, today=w.today(), parent=w))

    def _set_agenda(self, items: Sequence[AgendaItem], text: str) -> bool:
        m = self.meeting
        if m is None:
            return False
        old = tuple(m.agenda)
        new = tuple(replace(it, position=i) for i, it in enumerate(items))
        mid = m.id
        ops = self.window_.ops
        try:
            apply_and_push(self.window_.undo_stack, text,
                           lambda: ops.call("Agenda not changed", lambda s: s.set_agenda(mid, new)),
                           lambda: ops.call("Undo not saved", lambda s: s.set_agenda(mid, old)),
                           on_error=self._fail)
        except MdtError as exc:
            self._fail("Agenda not changed", exc)
            return False
        self._say("")
        return True

    def build_agenda_from_due(self) -> int:
        """Add every patient whose next review is due by the meeting date (or never reviewed)."""
        m = self.meeting
        if m is None:
            self._say("Create or choose a meeting first.")
            return 0
        try:
            due = self.service.list_patients(due=m.date)
            never = [r for r in self.service.list_patients() if r.review_count == 0]
        except MdtError as exc:
            self._fail("Cannot list the patients due", exc)
            return 0
        present = {it.patient_id for it in m.agenda}
        added = []
        for r in sorted(due, key=lambda r: (r.next_review or date.min, r.patient_id)) + never:
            if r.patient_id in present or r.archived:
                continue
            present.add(r.patient_id)
            reason = "reassessment" if r.review_count else "baseline"
            added.append(AgendaItem(patient_id=r.patient_id, review_date=m.date, reason=reason))
        if not added:
            self._say("No further patients are due by the meeting date.")
            return 0
        if self._set_agenda((*m.agenda, *added), f"add {len(added)} patients due to the agenda"):
            noun = "patient" if len(added) == 1 else "patients"
            self.window_.show_message(f"{len(added)} {noun} due added to the agenda of {m.id}")
            return len(added)
        return 0

    def add_current_patient(self) -> bool:
        m, case = self.meeting, self.window_.current_case
        if m is None:
            self._say("Create or choose a meeting first.")
            return False
        if case is None:
            return False
        if any(it.patient_id == case.patient.id for it in m.agenda):
            self._say(f"{case.patient.id} is already on the agenda.")
            return False
        reason = "reassessment" if case.reviews else "baseline"
        item = AgendaItem(patient_id=case.patient.id, review_date=m.date, reason=reason)
        return self._set_agenda((*m.agenda, item), f"add {case.patient.id} to the agenda")

    def _selected_row(self) -> int | None:
        ix = self.agenda.currentIndex()
        return ix.row() if ix.isValid() else None

    def remove_selected(self) -> bool:
        row, m = self._selected_row(), self.meeting
        if row is None or m is None:
            return False
        items = list(m.agenda)
        gone = items.pop(row)
        return self._set_agenda(items, f"remove {gone.patient_id} from the agenda")

    def move_selected(self, delta: int) -> bool:
        row, m = self._selected_row(), self.meeting
        if row is None or m is None or not (0 <= row + delta < len(m.agenda)):
            return False
        items = list(m.agenda)
        items[row], items[row + delta] = items[row + delta], items[row]
        ok = self._set_agenda(items, f"move {items[row + delta].patient_id} on the agenda")
        if ok:
            self.agenda.selectRow(row + delta)
        return ok

    # ------------------------------------------------------------------ stepping
    def step(self, delta: int) -> bool:
        n = self.model.rowCount()
        if n == 0:
            self._say("The agenda is empty.")
            return False
        cur = self.model.current_row
        target = (0 if delta > 0 else n - 1) if cur is None else cur + delta
        if not 0 <= target < n:
            self.window_.show_message("End of the agenda" if delta > 0 else "Start of the agenda")
            return False
        return self.go_to(target)

    def go_to(self, row: int) -> bool:
        """Open the agenda patient at ``row`` with the review discussed at this meeting."""
        lines = self.model.lines()
        if self.meeting is None or not 0 <= row < len(lines):
            return False
        item = lines[row].item
        self.model.set_current(row)
        self.fit_agenda()  # the current row is bold and marked ▶
        self.agenda.selectRow(row)
        w = self.window_
        if not w.open_patient(item.patient_id, select=True):
            return False
        when = item.review_date or self.meeting.date
        index = next((rec.index for rec in w.records if rec.review.date == when), None)
        self._awaiting_review: tuple[str, date] | None = None
        if index is not None:
            w.select_review(index)
            self._say("")
        else:
            self._awaiting_review = (item.patient_id, when)
            self._say(f"No review dated {when.isoformat()} for {item.patient_id} yet: "
                      "New review (Ctrl+Shift+N) starts it.")
        # The review tab, but the keyboard stays on the agenda: the next PgDn steps on, where
        # inside the lesion table it would page the table (ui.page_keys).  Ctrl+2 goes into the review.
        w.tabs.setCurrentIndex(1)
        if self.isVisible():
            self.agenda.setFocus(Qt.FocusReason.OtherFocusReason)
        self._update_position()
        w._update_presentation()
        return True

    def review_date_for(self, patient_id: str) -> date | None:
        """The review date of ``patient_id`` on the current agenda item (None when not stepping)."""
        cur, m = self.model.current_row, self.meeting
        if m is None or cur is None or not self.window_.meeting_mode():
            return None
        lines = self.model.lines()
        if not 0 <= cur < len(lines) or lines[cur].item.patient_id != patient_id:
            return None
        return lines[cur].item.review_date or m.date

    def _update_position(self) -> None:
        self.position.setText(self.current_item_text())

    def current_item_text(self) -> str:
        cur, n = self.model.current_row, self.model.rowCount()
        if self.meeting is None or cur is None or n == 0:
            return ""
        return f"Agenda: patient {cur + 1} of {n} ({self.meeting.id}) — {self.model.reason_text(cur)}"

    # ------------------------------------------------------------------ signing / minutes
    def amend_meeting(self):
        """A correction to signed minutes (e.g. attendance), recorded as an amendment."""
        m = self.meeting
        if m is None or not m.signed:
            return None
        mid = m.id

        def submit(reason: str, summary: str) -> None:
            self.window_.ops.call("Amendment not recorded", lambda s: s.amend_meeting(mid, reason, summary))
            self.reload(select=mid)
            self.window_.show_message(f"Amendment recorded on {mid}")

        return self.window_._open_dialog(AmendmentDialog(mid, submit, self.window_))

    def sign_meeting(self) -> QDialog | None:
        """The chair signs: the dialog says what is signed and asks the password again."""
        m = self.meeting
        if m is None:
            return None
        if not self.is_chair():
            self._say("Only the chair signs the minutes.")
            return None
        ok, text = self.quorum_of(m.attendees)
        undecided = [ln.item.patient_id for ln in self.model.lines()
                     if ln.decision is None and ln.item.discussion_level == "full"]
        body = f"Sign the minutes of {m.id}? The meeting and its reviews are then locked; changes " \
               f"need an amendment with a reason.\n\n{text}"
        if undecided:
            body += f"\n\nNo decision recorded yet for: {', '.join(undecided)}"
        from mdt.errors import ConflictError
        from ui.signin import SignMeetingDialog

        service = self.service
        ops = self.window_.ops

        def sign(password: str) -> object:
            try:
                # Off the GUI thread: the password check and the signature take a moment.
                return ops.call("Not signed", lambda s: s.sign_meeting(m.id, password))
            except ConflictError as exc:
                # Someone saved meanwhile: nothing was signed.  Say so, show the fresh state.
                self.reload(select=m.id)
                self._fail("Not signed", exc)
                raise

        dialog = SignMeetingDialog(m.id, body, service.actor.name, sign, self.window_)

        def done() -> None:
            signature = dialog.result_value
            self._say("")
            self.window_.undo_stack.clear()  # signed records change only by amendment
            self.reload(select=m.id)
            fp = getattr(signature, "certificate_sha256", None) or ""
            self.window_.show_message(f"{m.id} signed by {getattr(signature, 'signer', '?')} "
                                      f"(digital signature, certificate {fp[:16]}…)")

        dialog.accepted.connect(done)
        return self.window_._open_dialog(dialog)

