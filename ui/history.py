"""A patient's audit history: who changed what, when, in order (read-only).

Events come from ``MdtService.patient_history`` (the append-only, hash-chained
audit trail); the view also shows whether the whole chain verifies.  Each event reads in words
(``mdt.audit_words``: "L2 diameter 30 → 28 mm", the reason, who, when); the stored record (JSON
and hash) stays one click away for an auditor.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mdt import audit_words
from mdt.errors import MdtError
from mdt.glossary import plural
from mdt.services import AuditRecord, MdtService
from ui.style import style_label
from ui.table_model import RowsTableModel

_Index = QModelIndex | QPersistentModelIndex
HEADERS = ("When (UTC)", "Who", "Action", "Record", "What changed")


def _pretty(value: object) -> str:
    if value is None:
        return "—"
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


class AuditModel(RowsTableModel):
    HEADERS = HEADERS

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[AuditRecord] = []
        self._summaries: list[str] = []
        self.blind: set[str] = set()
        """Reviews whose ratings are still hidden (rated, no decision yet)."""

    def set_events(self, events: Sequence[AuditRecord], blind: set[str] | None = None) -> None:
        self.beginResetModel()
        self._rows = list(events)
        self.blind = set(blind or ())
        self._summaries = [summary(e, self.hidden(e)) for e in self._rows]
        self.endResetModel()

    def hidden(self, e: AuditRecord) -> bool:
        return e.entity == "review" and str(e.entity_id) in self.blind

    def audit_event(self, row: int) -> AuditRecord:
        return self._rows[row]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole \
                or not (0 <= index.row() < len(self._rows)):
            return None
        e = self._rows[index.row()]
        return (e.at.strftime("%Y-%m-%d %H:%M"), e.actor, audit_words.action_words(e.action),
                record_text(e), self._summaries[index.row()])[index.column()]


def summary(e: AuditRecord, hidden: bool = False, most: int = 2) -> str:
    """The first changes of an event, one a line ("L2 diameter 30 → 28 mm", "… and 2 more"); a new
    record is "new" (its fields are in the detail below)."""
    if e.before is None and e.action != "review.add":
        return "new"
    lines = audit_words.change_lines(e.action, e.before, e.after, hide_ratings=hidden)
    if len(lines) > most:
        lines = lines[:most - 1] + [f"… and {len(lines) - most + 1} more"]
    return "\n".join(lines)


def record_text(e: AuditRecord) -> str:
    """What the event touched, in the board's words: a review by its date ("review 20" was the
    database key, which no coordinator knows), anything else by its identifier."""
    for state in (e.after, e.before):
        if isinstance(state, dict) and isinstance(state.get("review"), dict):
            state = state["review"]  # {"reason": ..., "review": {...}}
        when = state.get("date") if isinstance(state, dict) else None
        if e.entity == "review" and isinstance(when, str):
            return f"review of {when}"
    return f"{e.entity} {e.entity_id}"


HIDDEN_RATING = "hidden until the decision is recorded"


def hide_ratings(value: object) -> object:
    """An audit state with every panellist's rating blanked (independent rating: the history must
    not show what the vote panel still hides).  Who rated, and when, stays."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "votes" and isinstance(item, list):
                out[key] = [_hide_vote(v) for v in item]
            elif key == "changes" and isinstance(item, list) and all(isinstance(c, str) for c in item):
                out[key] = [f"{c.split(':', 1)[0]}: {HIDDEN_RATING}" if c.startswith("panel.votes") else c
                            for c in item]
            else:
                out[key] = hide_ratings(item)
        return out
    if isinstance(value, list):
        return [hide_ratings(v) for v in value]
    return value


def _hide_vote(vote: object) -> object:
    if not isinstance(vote, dict):
        return vote
    out = dict(vote)
    if "rating" in out:
        out["rating"] = HIDDEN_RATING
    if isinstance(out.get("changes"), list):
        out["changes"] = [{**c, "from": HIDDEN_RATING, "to": HIDDEN_RATING} if isinstance(c, dict) else c
                          for c in out["changes"]]
    return out


class HistoryWidget(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("History of changes")
        self.title.setProperty("role", "verdict")
        self.chain = QLabel("")
        self.chain.setWordWrap(True)
        self.model = AuditModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)  # a long change wraps in its row, never cut
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().currentRowChanged.connect(self._show_detail)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName("Change detail")
        self.raw = QPlainTextEdit()
        self.raw.setReadOnly(True)
        self.raw.setAccessibleName("Stored record")
        self.raw.setVisible(False)
        self.raw_toggle = QPushButton("Show the stored record (for audit)")
        self.raw_toggle.setCheckable(True)
        self.raw_toggle.toggled.connect(self._show_raw)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.detail, 1)
        lower_layout.addWidget(self.raw_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        lower_layout.addWidget(self.raw, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setSizes([500, 300])
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.chain)
        layout.addWidget(split, 1)
        self._patient: str | None = None

    def _show_raw(self, on: bool) -> None:
        self.raw.setVisible(on)
        self.raw_toggle.setText("Hide the stored record" if on else "Show the stored record (for audit)")

    def load(self, service: MdtService, patient_id: str | None) -> None:
        self._patient = patient_id
        self.detail.clear()
        self.raw.clear()
        if patient_id is None:
            self.model.set_events([])
            self.title.setText("History of changes")
            self.chain.setText("")
            return
        try:
            events = service.patient_history(patient_id)
            verification = service.verify_audit()
            blind = {str(r.review_id) for r in service.list_reviews(patient_id)
                     if r.review.panel.votes and r.review.panel.decision is None}
        except MdtError as exc:
            self.model.set_events([])
            self.chain.setText(f"History not available: {exc}")
            return
        self.model.set_events(events, blind)
        self.title.setText(f"History of changes to {patient_id}: {plural(len(events), 'event')}")
        self.chain.setText(("✔ " if verification.ok else "✘ ") + verification.message)
        style_label(self.chain, "verdict" if verification.ok else "error")
        if events:
            self.table.selectRow(len(events) - 1)

    def _show_detail(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.detail.clear()
            self.raw.clear()
            return
        e = self.model.audit_event(current.row())
        hidden = self.model.hidden(e)
        self.detail.setPlainText(audit_words.event_text(
            e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, record_text(e), e.before, e.after,
            hide_ratings=hidden))
        before, after, note = e.before, e.after, ""
        if hidden:
            before, after = hide_ratings(before), hide_ratings(after)
            note = "\nRatings are hidden here until the panel's decision is recorded (independent rating).\n"
        self.raw.setPlainText(
            f"{e.at.isoformat()}  {e.actor}  {e.action}  {e.entity} {e.entity_id}\n"
            f"hash {e.hash}\n{note}\nBefore:\n{_pretty(before)}\n\nAfter:\n{_pretty(after)}")
