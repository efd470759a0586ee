"""The review editor: one review of one patient, edited by keyboard or mouse, saved on every edit.

Layout (a projector at 1920×1080): an inline message bar on top; on the left
tabs *Lesions & vessels*, *Remnant plan*, *Clinical & labs*, *Panel &
decision* (Alt+1..4); in the middle the liver diagram with its click mode;
on the right the criteria panel, re-evaluated after every edit.

Data flow: every widget turns what was typed into an edit function
(:mod:`mdt.review_edits`) and calls :meth:`ReviewEditor.request`.  The editor
applies it to the current review, validates the result (the field limits, then
``mdt.caseformat.review_problems``), saves it as a new version through
``MdtService.save_review`` (a conflict opens :class:`ConflictDialog`; a review
of a signed meeting asks for an amendment reason and uses ``amend_review``),
pushes a :class:`~ui.review.commands.ReviewEditCommand` on the shared undo
stack, and refreshes every view and the criteria.  An invalid value shows a
message naming the field and the reason, and nothing is saved.

A new lesion (Insert / Ctrl+L) is a *draft* row until it has a segment (the
format requires one): typing its segments or clicking the diagram saves it.

Public API (the main window, presentation mode, tests and ``bench/bench_ui.py``):

- ``ReviewEditor(service=None, undo_stack=None, parent=None)``
- ``set_context(service, case, record)`` (or ``set_context(case, record)`` once a service is set);
  ``record`` is an ``mdt.services.ReviewRecord`` or None to show nothing.
- signals ``review_saved(ReviewRecord)`` (alias ``review_changed``) after every saved version
  (edit, undo, redo); ``evaluation_changed(Evaluation)`` after every re-evaluation;
  ``problem_shown(str)`` for every inline message.
- test-friendly methods driving the same code paths as the widgets:
  ``add_lesion(segments=(), diameter_mm=None) -> lesion id``, ``select_lesion(id)``,
  ``click_segment(unit)`` (diagram click: assigns to the selected lesion, or toggles the remnant
  in remnant mode, see ``set_click_mode("lesion" | "remnant")``), ``type_segments(id, "VII, VIII")``,
  ``set_diameter(id, text)``, ``apply_measurement(id, Measurement, length_mm)`` (viewer caliper),
  ``set_target(id, bool)``, ``set_status(id, status)``,
  ``remove_lesion(id)``, ``set_vessel(lesion_id, structure, relation | None)``,
  ``choose_resection(name | None)``, ``set_local_treatment(id, method | None)``,
  ``enter_value(field, text)`` (e.g. ``"weight_kg"``, ``"labs.creatinine"``, ``"remnant.flr_ml"``),
  ``cast_vote(member, rating, reason=None)`` (a second rating of the same member is a change and
  needs ``reason``), ``withdraw_vote(member, round_, reason)``, ``reveal_votes()``,
  ``decide(resectability, plan, rationale=None, next_review=None, dissent=None, responsible=None)``.
  Each returns True when the edit was accepted and saved.
- ``apply_edit_sync(edit_fn) -> Evaluation | None``: apply an edit, save, refresh every view and
  re-evaluate synchronously (what the benchmark times); ``preview(review) -> Evaluation | None``
  re-evaluates and redraws a review without saving.
- ``current_review()``, ``record()``, ``evaluation()``, ``message()``.
- reusable widgets for the presentation mode: :class:`~ui.review.diagram_widget.LiverDiagramWidget`
  (``read_only=True``) and :class:`~ui.review.criteria_panel.CriteriaPanel` (``presentation=True``).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QUndoStack
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mdt import glossary, review_ops
from mdt import review_edits as edits
from mdt.case import Case, Lesion, Review
from mdt.errors import ConflictError, MdtError, ValidationError
from mdt.evaluation import Evaluation, PlanOption
from mdt.review_edits import Edit, EditFn
from mdt.review_ops import AmendmentNeeded, ChangedSince, field_words
from mdt.service_types import ReviewRecord
from mdt.services import MdtService
from ui.open_case import OpenCase
from ui.ops import Ops

from .clinical_panel import ClinicalPanel
from .commands import ReviewEditCommand
from .criteria_panel import CriteriaPanel
from .diagram_widget import LiverDiagramWidget
from .fields import set_style
from .lesion_table import COL_SEGMENTS, LesionTableModel, LesionTableView
from .remnant_panel import RemnantPanel
from .vessel_grid import VesselGridModel, VesselGridView, VesselStatus
from .vote_panel import VotePanel

LESION_MODE, REMNANT_MODE = "lesion", "remnant"
_AMENDMENT_REFUSED = ("Not saved — this review belongs to a signed meeting; "
                      "an amendment reason is required to change it.")
KEEP_THEIRS, APPLY_MINE = "theirs", "mine"


class ConflictDialog(QDialog):
    """Another workstation saved this review first: show their changes, keep theirs or apply mine."""

    def __init__(self, parent: QWidget | None, theirs: ReviewRecord, mine_reason: str,
                 their_changes: list[str]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review changed on another workstation")
        lay = QVBoxLayout(self)
        who, version = theirs.saved_by or "someone", theirs.version
        lay.addWidget(QLabel(f"<b>{who}</b> saved version {version} of this review while you were editing."
                             f"<br>Your edit: <b>{mine_reason}</b>"))
        lay.addWidget(QLabel("Their changes compared with what you had:"))
        text = QPlainTextEdit("\n".join(their_changes) or "(no visible difference)")
        text.setReadOnly(True)
        lay.addWidget(text)
        buttons = QDialogButtonBox()
        self.keep = buttons.addButton("Keep &theirs (drop my edit)", QDialogButtonBox.ButtonRole.RejectRole)
        self.mine = buttons.addButton("Apply &mine on top of theirs", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.mine.setDefault(True)

    @classmethod
    def ask(cls, parent: QWidget | None, theirs: ReviewRecord, mine_reason: str, their_changes: list[str]) -> str:
        """``APPLY_MINE`` or ``KEEP_THEIRS`` (tests replace this classmethod)."""
        dlg = cls(parent, theirs, mine_reason, their_changes)
        return APPLY_MINE if dlg.exec() == QDialog.DialogCode.Accepted else KEEP_THEIRS


class AmendmentDialog:
    """Seam for the amendment reason of a review belonging to a signed meeting."""

    @classmethod
    def ask(cls, parent: QWidget | None, edit_reason: str, last: str | None = None) -> str | None:
        """Asked for every edit of a signed review (each is its own amendment in the minutes);
        ``last``, the reason given for the previous one, is offered (Enter keeps it)."""
        text, ok = QInputDialog.getText(
            parent, "Amend a signed meeting",
            f"This review belongs to a signed meeting.\nChanging it adds an amendment to the minutes.\n\n"
            f"Change: {edit_reason}\n\nReason for the amendment:", text=last or "")
        return text.strip() if ok and text.strip() else None


class ReviewEditor(QWidget):
    review_saved = Signal(object)
    review_changed = Signal(object)
    evaluation_changed = Signal(object)
    problem_shown = Signal(str)

    def __init__(self, service: MdtService | None = None, undo_stack: QUndoStack | None = None,
                 parent: QWidget | None = None, *, ops: Ops | None = None,
                 open_case: OpenCase | None = None) -> None:
        super().__init__(parent)
        self._service = service
        # The window's writes (one failure display, one signal per change); an editor on its
        # own (tests, the bench) runs its own.
        self._own_ops = ops is None
        self._ops = ops if ops is not None else Ops(service, self)
        # The open patient's case, kept once (the window's, or the editor's own); it follows
        # review_did_save before this editor does.
        self._open = open_case if open_case is not None else OpenCase(self._ops, self)
        self._ops.review_did_save.connect(self._review_did_save)
        # Who may rate follows the meeting's attendance and the registry.
        self._ops.meeting_did_change.connect(lambda _mid: self.refresh_panel_context())
        self._ops.members_did_change.connect(self.refresh_panel_context)
        self._stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self._record: ReviewRecord | None = None
        self._draft: Lesion | None = None
        self._evaluation: Evaluation | None = None
        self._protocol: Any = None
        self._saved_over: Review | None = None
        """The version the last save replaced (what its undo restores)."""
        self._amend_reason: str | None = None
        """The last amendment reason given for the open review: offered (never reused unasked)
        when the next edit of the signed review asks for one."""
        self._mode = LESION_MODE
        self._context_stale = True
        self._shown_for: tuple[str, int] | None = None
        """(patient id, review id) every form was last filled for; None while switching."""
        self._message = ""
        self.last_refresh_ms = 0.0
        self._build()
        self._set_enabled(False)

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        f = self.font()
        if f.pointSizeF() < 12:
            f.setPointSizeF(12)
            self.setFont(f)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        outer.addWidget(self.header)
        self.message_bar = QLabel()
        self.message_bar.setWordWrap(True)
        self.message_bar.setProperty("role", "error")
        self.message_bar.setAccessibleName("Message")
        self.message_bar.setVisible(False)
        outer.addWidget(self.message_bar)

        # -- left: tabs
        self.lesion_model = LesionTableModel(self)
        self.lesion_model.set_request(self.request)
        self.lesion_model.problem.connect(self.show_problem)
        self.lesion_view = LesionTableView(self.lesion_model)
        self.lesion_view.add_requested.connect(lambda: self.add_lesion())
        self.lesion_view.remove_requested.connect(self.remove_lesion)
        self.lesion_view.current_lesion_changed.connect(self._lesion_selected)
        self.vessel_model = VesselGridModel(self)
        self.vessel_model.set_request(self.request)
        self.vessel_model.problem.connect(self.show_problem)
        self.vessel_view = VesselGridView(self.vessel_model)

        lesions_tab = QWidget()
        lt = QVBoxLayout(lesions_tab)
        lt.setContentsMargins(4, 4, 4, 4)
        # One line of help each (the rest in the tooltip): the rows go to the lesions (at least
        # eight on a 768-line screen) and the vessels.
        lesions_hint = QLabel("<b>Lesions</b> — Insert add · Enter edit · Delete remove")
        lesions_hint.setToolTip("Insert or Ctrl+L adds a lesion, Enter edits the cell, Delete removes "
                                "the lesion. Segments: type “VII, VIII” (or 7 8) or click the diagram.")
        vessels_hint = QLabel("<b>Vessels</b> — in a cell type c, e, i or t · Delete clears")
        vessels_hint.setToolTip("Structure × lesion. In a cell type c(ontact), e(ncasement), i(nvasion) "
                                "or t(hrombus); Delete clears it; Enter opens the list.")
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(lesions_hint)
        tl.addWidget(self.lesion_view, 1)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(vessels_hint)
        self.vessel_status = VesselStatus(self.request)
        bl.addWidget(self.vessel_status)
        bl.addWidget(self.vessel_view, 1)
        self.lesion_split = QSplitter(Qt.Orientation.Vertical)
        self.lesion_split.addWidget(top)
        self.lesion_split.addWidget(bottom)
        self.lesion_split.setChildrenCollapsible(False)
        self.lesion_split.setStretchFactor(0, 2)
        self.lesion_split.setStretchFactor(1, 3)
        lt.addWidget(self.lesion_split, 1)
        self.lesions_hint, self.vessels_hint = lesions_hint, vessels_hint
        self.remnant_panel = RemnantPanel(self.request)
        self.clinical_panel = ClinicalPanel(self.request)
        self.vote_panel = VotePanel(self.request, rate=self.submit_rating, withdraw=self.submit_withdrawal)
        self.tabs = QTabWidget()
        # Short titles: in meeting mode (agenda column shown) all four must read whole at 1920 px.
        self.tabs.addTab(lesions_tab, "&1 Lesions")
        self.tabs.setTabToolTip(0, "Lesions and their vessel contacts")
        self.tabs.addTab(_scroll(self.remnant_panel), "&2 Remnant")
        self.tabs.addTab(_scroll(self.clinical_panel), "&3 Clinical")
        self.tabs.setTabToolTip(2, "Performance status, comorbidities, extrahepatic disease and labs")
        self._vote_tab = _scroll(self.vote_panel)
        self.tabs.addTab(self._vote_tab, "&4 Vote && decision")
        self.tabs.currentChanged.connect(self._tab_changed)
        # On a narrow screen the titles shorten ("4 Vote & deci…") rather than hide behind
        # scroll arrows; at 1920 px the first show makes room for them whole (showEvent).
        self.tabs.tabBar().setUsesScrollButtons(False)
        self.tabs.tabBar().setElideMode(Qt.TextElideMode.ElideRight)

        # -- middle: diagram and its mode
        self.diagram = LiverDiagramWidget()
        self.diagram.unit_clicked.connect(self.click_segment)
        middle = QWidget()
        ml = QVBoxLayout(middle)
        ml.setContentsMargins(0, 0, 0, 0)
        mode_row = QHBoxLayout()
        click = QLabel("Click:")
        click.setToolTip("What a click on a segment sets: the selected lesion's segments, or the remnant")
        mode_row.addWidget(click)
        self.mode_lesion = QRadioButton("&lesion")
        self.mode_lesion.setToolTip("A click on a segment adds it to / removes it from the selected lesion")
        self.mode_remnant = QRadioButton("remnant")  # Alt+L, then the arrow keys
        self.mode_remnant.setToolTip("A click on a segment keeps it in / removes it from the future remnant")
        self.mode_lesion.setChecked(True)
        self.mode_group = QButtonGroup(self)
        self.mode_group.addButton(self.mode_lesion)
        self.mode_group.addButton(self.mode_remnant)
        self.mode_lesion.toggled.connect(lambda on: self.set_click_mode(LESION_MODE if on else REMNANT_MODE))
        mode_row.addWidget(self.mode_lesion)
        mode_row.addWidget(self.mode_remnant)
        mode_row.addStretch(1)
        ml.addLayout(mode_row)
        self.diagram_hint = QLabel()
        self.diagram_hint.setProperty("role", "hint")
        self.diagram_hint.setWordWrap(True)
        ml.addWidget(self.diagram_hint)
        ml.addWidget(self.diagram, 1)

        # -- right: criteria; their summary (remnant, RECIST, best plan, warnings) sits under the
        # diagram, so the criteria table gets the whole right column on a 1080-line projector.
        self.criteria = CriteriaPanel()
        self.criteria.adopt_plan.connect(self.adopt_plan)
        ml.addWidget(self.criteria.summary)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tabs)
        split.addWidget(middle)
        split.addWidget(self.criteria)
        self.middle = middle
        # Narrow (a 1366-px laptop with the patient list or the agenda beside): the diagram column
        # folds away rather than pushing the criteria off the screen; this button brings it back
        # (and asks the window for the room, hiding the list).
        self.diagram_toggle = QToolButton()
        self.diagram_toggle.setText("Liver diagram")
        self.diagram_toggle.setCheckable(True)
        self.diagram_toggle.setToolTip("Show the liver diagram beside the lesions (Ctrl+Shift+D); on a "
                                       "narrow screen the patient list makes room for it")
        self.diagram_toggle.toggled.connect(self._diagram_toggled)
        self.diagram_toggle.setVisible(False)  # the window puts it in the review's top row
        self._compact = False
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 4)
        split.setStretchFactor(2, 5)
        # Minimums small enough for a 1366-px laptop with the patient list shown (preparing the
        # board); the first show gives the projector's 1920 px generous shares (showEvent).
        self.criteria.setMinimumWidth(330)
        self.tabs.setMinimumWidth(self.lesion_view.needed_width() + 12)
        self.diagram.setMinimumWidth(240)
        self.criteria.summary.setMinimumWidth(240)
        header_h = self.lesion_view.horizontalHeader().sizeHint().height()
        self.lesion_view.setMinimumHeight(header_h + self.LESION_ROWS * self.lesion_view.row_height()
                                          + 2 * self.lesion_view.frameWidth())
        self.vessel_view.setMinimumHeight(header_h + 3 * self.vessel_view.verticalHeader().defaultSectionSize())
        self._sized = False
        # Until the user drags a divider, every resize re-applies the shares: the editor is
        # first shown inside whatever width the window had then (patient list, meeting column).
        self._user_sized = False
        split.splitterMoved.connect(lambda _pos, _index: setattr(self, "_user_sized", True))
        split.installEventFilter(self)
        split.setChildrenCollapsible(False)
        self.splitter = split
        outer.addWidget(split, 1)

        # Insert is handled by the lesion table itself; Ctrl+L works anywhere in the editor.
        # The tabs switch with their mnemonics (Alt+1..4).
        sc = QShortcut(QKeySequence("Ctrl+L"), self)
        sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sc.activated.connect(lambda: self.add_lesion())
        sc = QShortcut(QKeySequence("Ctrl+D"), self)
        sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sc.activated.connect(self._focus_diagram)
        sc = QShortcut(QKeySequence("Ctrl+Shift+D"), self)
        sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sc.activated.connect(self.diagram_toggle.toggle)
        self.setTabOrder(self.lesion_view, self.vessel_view)

    def showEvent(self, event) -> None:  # type: ignore[override]
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            self._share_columns()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # The splitter's width is only final once the layout has run (after showEvent).
        if (watched is self.splitter and event.type() == QEvent.Type.Resize and self._sized
                and event.oldSize().width() != event.size().width()):
            if not self._user_sized:
                self._share_columns()
            else:
                self._set_compact(self._width_for_layout() < self.three_columns_width()
                                  and not self.diagram_toggle.isChecked())
        return super().eventFilter(watched, event)

    LESION_ROWS = 8
    """Lesion rows always in sight (a 1366×768 laptop included): the vessel grid takes the rest."""

    def compact_minimum_width(self) -> int:
        """The least width of the editor with its diagram folded: the tabs and the criteria."""
        margins = self.layout().contentsMargins()
        return (self.tabs.minimumWidth() + self.criteria.minimumWidth() + 2 * self.splitter.handleWidth()
                + margins.left() + margins.right())

    def three_columns_width(self) -> int:
        """The least width (px) the three columns need; narrower, the diagram column folds away and
        the lesions and the criteria keep their room (a 1366-px screen with the list beside)."""
        handles = 2 * self.splitter.handleWidth() + 16
        return (self.tabs.minimumWidth() + max(self.middle.minimumSizeHint().width(), self.diagram.minimumWidth())
                + self.criteria.minimumWidth() + handles)

    room_wanted = Signal(bool)
    """The diagram was asked for on a narrow editor (True: make room) or put away (False)."""

    def compact(self) -> bool:
        return self._compact

    def _focus_diagram(self) -> None:
        if self._compact and not self.diagram_toggle.isChecked():
            self.diagram_toggle.setChecked(True)
        self.diagram.setFocus()

    def _diagram_toggled(self, on: bool) -> None:
        self.middle.setVisible(on or not self._compact)
        self.room_wanted.emit(on)
        QTimer.singleShot(0, self._share_columns)

    def _set_compact(self, compact: bool) -> None:
        if compact == self._compact:
            return
        self._compact = compact
        self.diagram_toggle.setVisible(compact)
        summary = self.criteria.summary
        if compact:
            # The remnant, RECIST and best-plan lines go under the criteria (the diagram column
            # that holds them is folded), behind a one-line toggle so the criteria keep the height.
            self.criteria.layout().addWidget(self.criteria.summary_toggle)
            self.criteria.layout().addWidget(summary)
            self.middle.setVisible(self.diagram_toggle.isChecked())
        else:
            self.middle.layout().addWidget(summary)
            self.middle.setVisible(True)
            if self.diagram_toggle.isChecked():
                self.diagram_toggle.blockSignals(True)
                self.diagram_toggle.setChecked(False)
                self.diagram_toggle.blockSignals(False)
                self.room_wanted.emit(False)
        self.criteria.set_compact(compact)

    def _share_columns(self) -> None:
        self._set_compact(self._width_for_layout() < self.three_columns_width()
                          and not self.diagram_toggle.isChecked())
        if self._compact:
            # Two columns: the tabs and the criteria, about 56 / 44 %.
            w = self.splitter.width()
            criteria = max(int(w * 0.44), self.criteria.minimumWidth())
            self.splitter.setSizes([max(w - criteria, self.tabs.minimumWidth()), 0, criteria])
            return
        # About 40 / 28 / 32 % (tabs / diagram / criteria); the tabs column gets what its tables and
        # titles need first (every lesion's vessel column whole), taken from the diagram, then from
        # the criteria, each down to its minimum.
        w = max(self.splitter.width() - 2 * self.splitter.handleWidth(), 900)
        diagram_min = max(self.diagram.minimumWidth(), self.middle.minimumSizeHint().width())
        criteria = max(int(w * 0.32), self.criteria.minimumWidth())
        diagram = max(int(w * 0.28), diagram_min)
        titles = self.tabs.tabBar().sizeHint().width() + 12
        tables = max(self.lesion_view.needed_width(), self.vessel_view.needed_width()) + 16
        tabs = max(w - criteria - diagram, self.tabs.minimumWidth())
        need = max(titles, tables)
        if tabs < need:
            give = min(need - tabs, diagram - diagram_min)
            diagram -= give
            tabs += give
        if tabs < need:
            give = min(need - tabs, criteria - self.criteria.minimumWidth())
            criteria -= give
            tabs += give
        self.splitter.setSizes([tabs, max(w - tabs - criteria, diagram_min), criteria])

    def _width_for_layout(self) -> int:
        """The width the editor has to lay out in: its scroll area's viewport when it sits in one
        (its own width never drops below its minimum there), else its own."""
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            return parent.viewport().width()
        return self.width()

    def _set_enabled(self, on: bool) -> None:
        for w in (self.tabs, self.diagram, self.criteria, self.criteria.summary):
            w.setEnabled(on)

    # ------------------------------------------------------------------ context
    def set_service(self, service: MdtService | None) -> None:
        self._service = service
        if self._own_ops:
            self._ops.set_service(service)
        self._context_stale = True

    @property
    def ops(self) -> Ops:
        return self._ops

    def set_context(self, service: MdtService | None, case: Case | None, record: ReviewRecord | None) -> None:
        """Show ``record`` (a review of ``case``), saving through ``service``; None shows nothing."""
        if service is not self._service:
            self.set_service(service)
        same_review = (record is not None and self._record is not None
                       and record.review_id == self._record.review_id)
        # Until every form shows the new record, nothing typed can be saved (a field that loses
        # the focus while the views switch would otherwise commit onto the new patient).
        self._shown_for = None
        if case is not self._open.case:
            self._open.open(case)
        self._record = record
        if not same_review:
            self._draft = None
            self._amend_reason = None
            self.clear_message()
        # Who rates (attendance, registry) may have changed: re-read with the review.
        self._context_stale = True
        self._load_panel_context()
        self._protocol = self._load_protocol(case)
        agg = getattr(self._protocol, "aggregation", None)
        interval = getattr(self._protocol, "assessment_interval", None)
        self.vote_panel.set_protocol(agg, interval, getattr(self._protocol, "id", None),
                                     getattr(self._protocol, "version", None))
        self._set_enabled(record is not None)
        self._refresh(new_review=not same_review)
        if not same_review and self._sized and not self._user_sized:
            # Another review may have more lesions: the vessel grid's columns need their room.
            QTimer.singleShot(0, self._share_columns)

    def _load_panel_context(self) -> None:
        """Who may rate the open review (its meeting's voting attendees), from the service."""
        if not self._context_stale:
            return
        rec, service = self._record, self._service
        context = None
        if rec is not None and service is not None and hasattr(service, "panel_context"):
            try:
                context = service.panel_context(rec.review_id)
            except MdtError as exc:
                self.show_problem(f"Who may rate is unknown: {exc}")
        viewer = getattr(getattr(service, "actor", None), "name", None)
        self._context_stale = False
        self.vote_panel.set_context(context, viewer)

    def refresh_panel_context(self) -> None:
        """Re-read who may rate (after the attendance or the agenda changed)."""
        self._context_stale = True
        self._load_panel_context()

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self._vote_tab:
            self.refresh_panel_context()
        # Alt+1..4 from a field of another tab lands in this tab's first field, ready to type;
        # a user walking the tab bar with the arrow keys keeps the focus there.
        focus = self.focusWidget()
        if focus is not None and focus.isVisible():
            return
        if focus is not None or self.isActiveWindow():
            self.focus_first_field()

    def focus_first_field(self) -> QWidget | None:
        """Focus the first keyboard-reachable input of the current tab."""
        page = self.tabs.currentWidget()
        for w in page.findChildren(QWidget):
            if (w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisibleTo(page) and w.isEnabled()
                    and not isinstance(w, QScrollArea)):
                w.setFocus(Qt.FocusReason.TabFocusReason)
                return w
        return None

    @staticmethod
    def _load_protocol(case: Case | None) -> Any:
        if case is None:
            return None
        try:
            from mdt.protocols import protocol_for

            return protocol_for(case)
        except MdtError:
            return None

    # ------------------------------------------------------------------ accessors
    def record(self) -> ReviewRecord | None:
        return self._record

    def case(self) -> Case | None:
        return self._case

    def evaluation(self) -> Evaluation | None:
        return self._evaluation

    def message(self) -> str:
        return self._message

    def undo_stack(self) -> QUndoStack:
        return self._stack

    def saved_review(self) -> Review | None:
        return self._record.review if self._record is not None else None

    def current_review(self) -> Review | None:
        """The saved review plus the draft lesion being entered, if any."""
        saved = self.saved_review()
        if saved is None:
            return None
        if self._draft is not None:
            return replace(saved, lesions=saved.lesions + (self._draft,))
        return saved

    def selected_lesion(self) -> str | None:
        return self.lesion_view.current_lesion_id()

    # ------------------------------------------------------------------ messages
    def show_problem(self, problem: object) -> None:
        if isinstance(problem, ValidationError):
            review = self.current_review()
            text = "Not saved — " + "; ".join(field_words(p.path, p.reason, review) for p in problem.problems)
        else:
            text = str(problem)
        self._message = text
        self.message_bar.setText(text)
        set_style(self.message_bar, "background: #fdecea; color: #b3261e; font-weight: bold; padding: 6px;")
        self.message_bar.setVisible(True)
        self.problem_shown.emit(text)

    def show_hint(self, text: str) -> None:
        self._message = text
        self.message_bar.setText(text)
        set_style(self.message_bar, "background: #fff8e1; color: #5d4300; padding: 6px;")
        self.message_bar.setVisible(True)

    def clear_message(self) -> None:
        self._message = ""
        self.message_bar.setVisible(False)

    # ------------------------------------------------------------------ the edit path
    def _binding_refusal(self, bound: tuple[str, int] | None) -> str | None:
        """Why an edit from a form bound to ``bound`` may not be saved now (None: it may)."""
        rec = self._record
        shown = self._shown_for
        if rec is None:
            return "Not saved — no review is open."
        if shown is None or shown != (rec.patient_id, rec.review_id):
            return ("Not saved — the review on screen was changing when this entry was made; "
                    "check the form and enter it again.")
        if bound is not None and bound != shown:
            return (f"Not saved — this form was filled for patient {bound[0]}, but the review open now "
                    f"is of patient {shown[0]}. Nothing was saved; the form now shows {shown[0]}.")
        return None

    def request(self, fn: EditFn, *, bound: tuple[str, int] | None = None, via: str | None = None) -> bool:
        """Apply one edit to the current review, validate, save, push for undo, refresh.

        ``bound``: the (patient id, review id) the sending form was filled for (default: what every
        form shows now); a mismatch with the open review saves nothing.  ``via="decision"`` saves
        through ``record_decision`` (the decision only)."""
        base = self.current_review()
        if base is None or self._record is None:
            return False
        refusal = self._binding_refusal(bound)
        if refusal is not None:
            self.show_problem(refusal)
            self._refresh()
            return False
        try:
            edit = fn(base)
        except ValidationError as exc:
            self.show_problem(exc)
            return False
        except (ValueError, KeyError) as exc:
            self.show_problem(f"Not saved — {exc}")
            return False
        new = edit.review
        saved = self._record.review
        draft_id = self._draft.id if self._draft is not None else None
        empty = [les for les in new.lesions if not les.segments]
        if empty:
            # Only the draft (always the last row) may lack segments; it stays a draft and
            # any other change in the same edit is saved without it.
            if draft_id is None or len(empty) > 1 or new.lesions[-1] is not empty[0]:
                which = empty[0]
                self.show_problem(ValidationError([edits.FieldProblem(
                    f"lesions[{new.lesions.index(which)}].segments", f"{which.id} needs at least one segment")]))
                return False
            self._draft = empty[0]
            new = replace(new, lesions=new.lesions[:-1])
            if new == saved:
                self.show_hint(f"{self._draft.id} is not saved yet: give it a segment (type “VII” in the "
                               f"segments cell or click the diagram).")
                self._refresh()
                return True
        if new == saved:
            if self._draft is not None and draft_id not in {les.id for les in new.lesions}:
                self._draft = None  # the draft was removed before it was ever saved
                self.clear_message()
                self._refresh()
            elif self._draft is None and self._message:
                # The value was put back to the saved one: a "Not saved" about it is stale.
                self.clear_message()
            return True
        reason = edit.reason
        if draft_id is not None and new.lesion(draft_id) is not None and saved.lesion(draft_id) is None:
            added = new.lesion(draft_id)
            assert added is not None
            size = f", {edits.fmt_num(added.diameter_mm)} mm" if added.diameter_mm is not None else ""
            reason = f"add lesion {draft_id} in {', '.join(added.segments)}{size}"
        rec = self._save(new, reason, fn, via=via)
        if rec is None:
            return False
        # After a conflict resolved by "apply mine on top", the version the edit replaced is
        # theirs, not the one the edit started from.  The editor already shows ``rec``
        # (Ops.review_did_save).
        before = self._saved_over if self._saved_over is not None else saved
        self._stack.push(ReviewEditCommand(self, rec.review_id, before, rec.review, reason))
        return True

    def _ask_amendment(self, what: str) -> str | None:
        """The reason for this amendment, asked each time (the last one offered); None: refused."""
        why = AmendmentDialog.ask(self, what, self._amend_reason)
        if why:
            self._amend_reason = why
        return why

    def _write(self, what: str, op: Callable[[MdtService, str | None], ReviewRecord],
               change: str) -> ReviewRecord | None:
        """Run one review operation (``op(service, amendment)``, :mod:`mdt.review_ops`) through the
        window's writes; a review of a signed meeting asks the amendment's reason first (or when it
        was signed meanwhile).  The saved record, or None with the reason shown."""
        amend: str | None = None
        if self._record is not None and self._record.locked:
            amend = self._ask_amendment(change)
            if amend is None:
                self.show_problem(_AMENDMENT_REFUSED)
                return None
        for _ in range(2):
            try:
                return self._ops.call(what, lambda service, why=amend: op(service, why))
            except AmendmentNeeded:
                if amend is not None:
                    break
                amend = self._ask_amendment(change)
                if amend is None:
                    break
            except ConflictError:
                raise
            except Exception as exc:  # noqa: BLE001 - said once, the editor stays usable
                self._ops.show_failure("Not saved", exc, shown_in=self.show_problem, review=self.current_review())
                return None
        self.show_problem(_AMENDMENT_REFUSED)
        return None

    def _save(self, review: Review, reason: str, fn: EditFn | None = None, attempt: int = 0,
              via: str | None = None) -> ReviewRecord | None:
        """Save a new version of the open review (``mdt.review_ops``); resolves a conflict with
        the user ("apply mine on top" replays the edit on their version).  None when not saved.
        Every save names the patient of the review the forms show; the service refuses another's."""
        rec = self._record
        if rec is None or self._service is None:
            self.show_problem("Not saved — no database is open")
            return None
        base = rec

        self._saved_over = base.review

        def op(service: MdtService, amend: str | None) -> ReviewRecord:
            if via == "decision":
                return review_ops.record_decision(service, base, review.panel.decision, reason, amendment=amend)
            return review_ops.save_version(service, base, review, reason, amendment=amend)

        try:
            return self._write("Not saved", op, reason)
        except ConflictError as exc:
            theirs = exc.current if isinstance(exc.current, ReviewRecord) else self._reread(rec.review_id)
            if theirs is None:
                return None
            choice = ConflictDialog.ask(self, theirs, reason, review_ops.conflict_lines(rec.review, theirs.review))
            self._accept_record(theirs)  # what the database holds now, for every view
            if choice != APPLY_MINE or attempt >= 2:
                self.show_hint(f"Kept version {theirs.version} saved by {theirs.saved_by}; "
                               f"your edit “{reason}” was not applied.")
                return None
            try:
                mine = fn(theirs.review) if fn is not None else Edit(review, reason)
            except (ValidationError, ValueError, KeyError) as err:
                self.show_problem(f"Your edit no longer applies to their version: {err}")
                return None
            return self._save(mine.review, mine.reason or reason, fn, attempt + 1, via)

    def _reread(self, review_id: int) -> ReviewRecord | None:
        service = self._service
        if service is None:
            return None
        try:
            return service.get_review(review_id)
        except MdtError as exc:
            self.show_problem(f"Not saved — {exc}")
            return None

    @property
    def _case(self) -> Case | None:
        return self._open.case

    def _review_did_save(self, rec: ReviewRecord) -> None:
        """A version was saved (by this editor, its undo stack, the image viewer, a rating): the
        open review takes it; another review of the open patient only re-evaluates (the open case
        already holds it)."""
        if self._case is None or rec.patient_id != self._case.patient.id:
            return
        if self._record is not None and rec.review_id == self._record.review_id:
            if rec.version >= self._record.version:
                self._accept_record(rec)
            return
        self._accept_record(rec, show=False)

    def _accept_record(self, rec: ReviewRecord, *, emit: bool = True, show: bool = True) -> None:
        """``show``: the open review is now ``rec``; otherwise only the case's copy of that review."""
        if show:
            self._record = rec
            if self._draft is not None and rec.review.lesion(self._draft.id) is not None:
                self._draft = None  # the draft lesion is saved now
        self._open.accept(rec)  # a no-op when review_did_save already brought it
        if emit and show:
            if self._message and not self._draft:
                self.clear_message()
            self.review_saved.emit(rec)
            self.review_changed.emit(rec)
        self._refresh()

    def save_from_undo(self, review_id: int, review: Review, reason: str, expected: Review | None = None) -> bool:
        """Undo/redo: save ``review`` again as a new version of ``review_id`` (``review_ops.restore``:
        refused when the review was changed since ``expected``)."""
        if self._service is None:
            return False
        showing = self._record is not None and self._record.review_id == review_id
        if self._draft is not None and review.lesion(self._draft.id) is not None:
            self._draft = None  # the restored version has a lesion of that id: the draft yields
        amend: str | None = None
        for _ in range(2):
            try:
                rec = self._ops.call(reason, lambda service, why=amend: review_ops.restore(
                    service, review_id, review, reason, expected=expected, amendment=why))
                break
            except AmendmentNeeded:
                if amend is not None:
                    return False
                amend = AmendmentDialog.ask(self, reason, self._amend_reason if showing else None)
                if not amend:
                    self.show_problem(f"{reason} not saved: the review belongs to a signed meeting.")
                    return False
                if showing:
                    self._amend_reason = amend
            except ChangedSince as exc:
                if showing and isinstance(exc.current, ReviewRecord):
                    self._accept_record(exc.current)
                self.show_problem(f"{reason} refused: {exc}.")
                return False
            except Exception as exc:  # noqa: BLE001 - never crash an undo; the stack drops the command
                self._ops.show_failure(f"{reason} failed", exc, shown_in=self.show_problem)
                return False
        else:
            return False
        if showing:
            # Say what Ctrl+Z / Ctrl+Y just did: the change is not always visible on screen.
            self.show_hint(f"{reason} — saved as version {rec.version}.")
        return True

    # ------------------------------------------------------------------ refresh
    def _refresh(self, *, new_review: bool = False) -> None:
        started = time.perf_counter()
        review = self.current_review()
        selected = self.lesion_view.current_lesion_id()
        col = self.lesion_view.currentIndex().column()
        self.lesion_model.set_review(review)
        self.vessel_model.set_review(review)
        self.vessel_status.set_review(review)
        if review is not None and selected is not None and review.lesion(selected) is not None:
            if self.lesion_view.current_lesion_id() != selected:
                self.lesion_view.select_lesion(selected, col if col >= 0 else COL_SEGMENTS)
        elif review is not None and review.lesions and self.lesion_view.current_lesion_id() is None:
            self.lesion_view.select_lesion(review.lesions[0].id)
        self.diagram.set_review(review, self.lesion_view.current_lesion_id())
        self.clinical_panel.set_state(self._case, review)
        rec, case = self._record, self._case
        binding = (rec.patient_id, rec.review_id) if rec is not None and review is not None else None
        self.vote_panel.set_state(self._case, review, new_review=new_review, binding=binding,
                                  label=self._form_label())
        self._update_header()
        self._evaluate(review)
        self.remnant_panel.set_state(review, self._evaluation)
        self._update_hint()
        # Every form now shows this review: edits from them may be saved (bound to it).
        self._shown_for = binding if case is not None else None
        self.last_refresh_ms = (time.perf_counter() - started) * 1000

    def _form_label(self) -> str:
        """Whose forms these are, as the decision form says it: "DOE Jane (MRN-T1), review 2026-01-15"."""
        rec, case = self._record, self._case
        if rec is None or case is None:
            return ""
        name = glossary.person_name(case.patient.name, case.patient.id)
        return f"{name} ({case.patient.id}), review {rec.review.date.isoformat()}"

    def _evaluate(self, review: Review | None) -> None:
        if review is None or self._case is None or self._record is None:
            self._evaluation = None
            self.criteria.set_evaluation(None)
            return
        case = self._case_with(review)
        try:
            from mdt.protocols import evaluate

            ev = evaluate(case, self._record.index)
        except Exception as exc:  # noqa: BLE001 - an engine failure is shown, never taken as a verdict
            self._evaluation = None
            self.criteria.show_error(f"Criteria could not be evaluated: {exc}")
            return
        self._evaluation = ev
        remnant = review.remnant
        self.criteria.set_evaluation(ev, plan_recorded=bool(remnant and (remnant.resection or remnant.segments)))
        self.evaluation_changed.emit(ev)

    def _case_with(self, review: Review) -> Case:
        assert self._case is not None and self._record is not None
        reviews = list(self._case.reviews)
        idx = self._record.index
        if 0 <= idx < len(reviews):
            reviews[idx] = review
        else:
            reviews.append(review)
        # The draft lesion (no segment yet) is not data the rules should see.
        reviews = [replace(r, lesions=tuple(les for les in r.lesions if les.segments)) for r in reviews]
        return replace(self._case, reviews=tuple(reviews))

    def _update_header(self) -> None:
        """Which version of the review the forms show (the window's header above names the patient
        and the selector the review): "saved ✔ version 3 by Anne Martin"."""
        rec, case = self._record, self._case
        if rec is None or case is None:
            self.header.setText("<i>No review open.</i>")
            self.header.setToolTip("")
            return
        r = rec.review
        lock = " · <b style='color:#b3261e'>SIGNED MEETING — edits are amendments</b>" if rec.locked else ""
        self.header.setText(
            f"<span style='color:#1b5e20'>saved ✔ version {rec.version}</span> by "
            f"{html.escape(rec.saved_by or '')}{lock}")
        name = glossary.person_name(case.patient.name, case.patient.id)
        self.header.setToolTip(f"{name} ({case.patient.id}), review {r.date.isoformat()}, "
                               f"cycle {r.cycle if r.cycle is not None else 'not recorded'}")

    def _update_hint(self) -> None:
        if self._mode == REMNANT_MODE:
            self.diagram_hint.setText("Click (or type 1–8) a segment to keep or resect it.")
        else:
            lid = self.lesion_view.current_lesion_id()
            self.diagram_hint.setText(f"Click (or type 1–8) a segment to add it to / remove it from {lid}."
                                      if lid else "Select a lesion (or press Ctrl+L for a new one), then "
                                                  "click its segments.")

    def _lesion_selected(self, lesion_id: str | None) -> None:
        self.diagram.set_selected_lesion(lesion_id)
        self._update_hint()

    # ------------------------------------------------------------------ synchronous API (bench, tests)
    def preview(self, review: Review) -> Evaluation | None:
        """Re-evaluate and redraw ``review`` (the criteria panel included) without saving it."""
        if self._record is None:
            return None
        self._evaluate(review)
        self.diagram.set_review(review, self.lesion_view.current_lesion_id())
        self.remnant_panel.set_state(review, self._evaluation)
        return self._evaluation

    def apply_edit_sync(self, fn: EditFn) -> Evaluation | None:
        """Apply, save and refresh synchronously; the evaluation after the edit (None if refused)."""
        return self._evaluation if self.request(fn) else None

    # ------------------------------------------------------------------ lesion actions
    def add_lesion(self, segments: tuple[str, ...] | list[str] = (), diameter_mm: float | None = None) -> str | None:
        """Start a new lesion (a draft until it has a segment); returns its id."""
        saved = self.saved_review()
        if saved is None:
            return None
        if self._draft is not None and not segments:
            self.lesion_view.select_lesion(self._draft.id)
            self.lesion_view.setFocus()
            return self._draft.id
        if segments:
            lid = edits.next_lesion_id(self.current_review() or saved)
            ok = self.request(partial(_add_with, segments=tuple(segments), lesion_id=lid, diameter_mm=diameter_mm))
            if ok:
                self.lesion_view.select_lesion(lid)
            return lid if ok else None
        lid = edits.next_lesion_id(saved)
        self._draft = Lesion(id=lid, segments=(), diameter_mm=diameter_mm)
        self.tabs.setCurrentIndex(0)
        self.mode_lesion.setChecked(True)
        self._refresh()
        self.lesion_view.select_lesion(lid, COL_SEGMENTS)
        self.lesion_view.setFocus()
        self.show_hint(f"New lesion {lid}: type its segments (e.g. “VII, VIII”) or click them on the diagram.")
        return lid

    def select_lesion(self, lesion_id: str) -> None:
        self.lesion_view.select_lesion(lesion_id)

    def remove_lesion(self, lesion_id: str) -> bool:
        return self.request(partial(edits.remove_lesion, lesion_id=lesion_id))

    def _lesion_cell(self, lesion_id: str, column: int) -> Any:
        row = self.lesion_model.row_of(lesion_id)
        return self.lesion_model.index(row, column) if row >= 0 else None

    def type_segments(self, lesion_id: str, text: str) -> bool:
        idx = self._lesion_cell(lesion_id, COL_SEGMENTS)
        return bool(idx is not None and self.lesion_model.setData(idx, text))

    def set_diameter(self, lesion_id: str, text: str | float | None) -> bool:
        from .lesion_table import COL_DIAMETER

        idx = self._lesion_cell(lesion_id, COL_DIAMETER)
        value = "" if text is None else str(text)
        return bool(idx is not None and self.lesion_model.setData(idx, value))

    def apply_measurement(self, lesion_id: str, measurement: Any, length_mm: float) -> bool:
        """A caliper measurement from the image viewer (``ViewerWidget.caliper_measured``)
        becomes the lesion's diameter, with where it was measured."""
        return self.request(partial(edits.set_measurement, lesion_id=lesion_id, measurement=measurement,
                                    length_mm=length_mm))

    def apply_to_review(self, record: ReviewRecord, fn: EditFn) -> ReviewRecord | None:
        """Save ``fn`` on another review of the open patient (a caliper on a prior study):
        a new version of that review, undoable like any edit.  The saved record, or None."""
        case = self._case
        if self._service is None or case is None or record.patient_id != case.patient.id:
            self.show_problem("Not saved — that review is not of the patient open in the editor.")
            return None
        try:
            edit = fn(record.review)
        except (ValidationError, ValueError, KeyError) as exc:
            self._ops.show_failure("Not saved", exc, shown_in=self.show_problem, review=record.review)
            return None
        what = f"Not saved in the review of {record.review.date.isoformat()}"
        try:
            rec = self._ops.call(what, lambda service: review_ops.apply_edit(service, record, edit))
        except Exception as exc:  # noqa: BLE001 - said once; nothing was saved
            self._ops.show_failure(what, exc, shown_in=self.show_problem, review=edit.review)
            return None
        self._stack.push(ReviewEditCommand(self, rec.review_id, record.review, rec.review, edit.reason))
        return rec

    def set_target(self, lesion_id: str, target: bool) -> bool:
        return self.request(partial(edits.set_target, lesion_id=lesion_id, target=target))

    def set_status(self, lesion_id: str, status: str) -> bool:
        return self.request(partial(edits.set_status, lesion_id=lesion_id, status=status))

    # ------------------------------------------------------------------ diagram
    def set_click_mode(self, mode: str) -> None:
        self._mode = REMNANT_MODE if mode == REMNANT_MODE else LESION_MODE
        button = self.mode_remnant if self._mode == REMNANT_MODE else self.mode_lesion
        if not button.isChecked():
            button.setChecked(True)
        self._update_hint()

    def click_segment(self, unit: str) -> bool:
        """What a click on the diagram does in the current mode."""
        if self._mode == REMNANT_MODE:
            return self.request(partial(edits.toggle_remnant_segment, unit=unit))
        lid = self.lesion_view.current_lesion_id()
        if lid is None:
            # No lesion selected: the click starts a new one in that segment.
            return self.add_lesion((unit,)) is not None
        return self.request(partial(edits.toggle_segment, lesion_id=lid, unit=unit))

    # ------------------------------------------------------------------ vessels, remnant, values
    def set_vessel(self, lesion_id: str | None, structure: str, relation: str | None) -> bool:
        return self.request(partial(edits.set_vessel, lesion_id=lesion_id, structure=structure, relation=relation))

    def mark_no_vascular_contact(self) -> bool:
        """The explicit "no vascular contact" action (a new review's vessels are not assessed)."""
        return self.request(edits.mark_no_vascular_contact)

    def choose_resection(self, name: str | None) -> bool:
        return self.request(partial(edits.choose_resection, name=name))

    def set_remnant_segments(self, units: list[str] | tuple[str, ...] | None) -> bool:
        return self.request(partial(edits.set_remnant_segments, units=units))

    def set_local_treatment(self, lesion_id: str, method: str | None) -> bool:
        return self.request(partial(edits.set_local_treatment, lesion_id=lesion_id, method=method))

    def adopt_plan(self, plan: PlanOption) -> bool:
        """Record the plan the engine found: its remnant and its local treatments."""
        return self.request(partial(_adopt, plan=plan))

    def value_field(self, name: str) -> Any:
        """The input widget of a value: ``weight_kg``, ``labs.creatinine``, ``remnant.flr_ml``..."""
        if name.startswith("remnant."):
            return {"remnant.flr_ml": self.remnant_panel.flr, "remnant.tlv_ml": self.remnant_panel.tlv}[name]
        if name == "imaging.date":
            return self.clinical_panel.imaging_date
        if name.startswith("clinical."):
            name = name.split(".", 1)[1]
        return self.clinical_panel.fields[name]

    def enter_value(self, name: str, text: str) -> bool:
        """Type ``text`` into a value field and press Enter."""
        return self.value_field(name).commit_text(text)

    def choose_value(self, name: str, value: str | None) -> bool:
        """Pick a vocabulary value: extrahepatic_disease, ascites, encephalopathy, proteinuria,
        liver_condition."""
        if name == "liver_condition":
            return self.remnant_panel.condition.choose(value)
        if name == "imaging.modality":
            return self.clinical_panel.modality.choose(value)
        return self.clinical_panel.choices[name].choose(value)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ panel
    def cast_vote(self, member: str, rating: str, reason: str | None = None) -> bool:
        """Record (or, with ``reason``, change) a panellist's rating through the vote panel."""
        return self.vote_panel.cast(member, rating, reason)

    def withdraw_vote(self, member: str, round_: int = 1, reason: str | None = None) -> bool:
        return self.vote_panel.withdraw(member, round_, reason)

    def submit_rating(self, member: str, rating: str, reason: str | None) -> bool:
        """The vote panel's rating: the service checks who may rate and keeps a change's reason."""
        return self._panel_write(lambda service, rec, amend: review_ops.rate(
            service, rec, member, rating, reason=reason, amendment=amend), f"rating of {member}")

    def submit_withdrawal(self, member: str, round_: int, reason: str) -> bool:
        return self._panel_write(lambda service, rec, amend: review_ops.withdraw_rating(
            service, rec, member, round_, reason, amendment=amend), f"withdrawal of {member}'s rating")

    def _panel_write(self, write: Callable[[MdtService, ReviewRecord, str | None], ReviewRecord],
                     what: str) -> bool:
        """A rating is a person's act, not an edit of the form: it is saved on the current version
        (no conflict with other ratings), never undone by Ctrl+Z (change or withdraw it instead)."""
        refusal = self._binding_refusal(None)
        rec = self._record
        if refusal is not None or self._service is None or rec is None:
            self.show_problem(refusal or "Not saved — no database is open")
            return False
        try:
            saved = self._write("Not saved", lambda service, amend: write(service, rec, amend), what)
        except ConflictError as exc:  # the service saves ratings on the current version: not expected
            self._ops.show_failure("Not saved", exc, shown_in=self.show_problem)
            return False
        return saved is not None

    def reveal_votes(self) -> None:
        self.vote_panel.reveal()

    def decide(self, resectability: str | None, plan: str | None, rationale: str | None = None,
               next_review: date | None = None, dissent: str | None = None,
               responsible: str | None = None) -> bool:
        if next_review is None:
            proposal = self.vote_panel.proposed_next_review()
            next_review = proposal.date if proposal is not None else None
        return self.vote_panel.decide(resectability, plan, rationale, next_review, dissent, responsible)


def _add_with(review: Review, segments: tuple[str, ...], lesion_id: str, diameter_mm: float | None) -> Edit:
    return edits.add_lesion(review, segments, lesion_id=lesion_id, diameter_mm=diameter_mm)


def _adopt(review: Review, plan: PlanOption) -> Edit:
    edit = edits.set_remnant_segments(review, plan.remnant)
    out = edit.review
    for lid, method in plan.local_treatment:
        if out.lesion(lid) is not None:
            out = edits.set_local_treatment(out, lid, method).review
    return Edit(out, f"adopt suggested plan: {edit.reason.split('→')[-1].strip()}"
                     + ("".join(f", {m} {lid}" for lid, m in plan.local_treatment)))


class _Scroll(QScrollArea):
    """A scroll area that tells its panel how wide it may be (panels re-flow instead of scrolling)."""

    def resizeEvent(self, event) -> None:  # type: ignore[override]
        fit = getattr(self.widget(), "fit_width", None)
        if fit is not None:
            fit(self.viewport().width())
        super().resizeEvent(event)


def _scroll(widget: QWidget) -> QScrollArea:
    area = _Scroll()
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # an empty Tab stop otherwise
    area.setWidget(widget)
    area.setWidgetResizable(True)
    return area
