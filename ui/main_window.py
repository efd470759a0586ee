"""The main window a tumour board works in.

Layout: the patient list on the left; the open patient in the centre (a header
line, then tabs: Timeline, Review, Treatment, Compare, History, Images); meeting
mode as a dock on the right; the status bar shows who is acting, the database,
and the progress of background work.

Every edit is written through ``MdtService`` at once (no "save" to forget) and
pushed on the window's ``QUndoStack``, which the review editor shares.  Slow
work (PDF rendering, DICOM import, imports of many cases, the engine verdicts of
a long timeline) goes through ``ui.tasks.TaskRunner``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QThread, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mdt import glossary
from mdt.case import Case, Patient, ProtocolRef, Review, Treatment
from mdt.caseformat import CaseImport
from mdt.errors import MdtError
from mdt.meeting import SPECIALTY_LABELS, Member
from mdt.services import MdtService, PatientRow, ReviewRecord
from ui.open_case import OpenCase
from ui.ops import Ops
from ui.patients.dialogs import PatientDialog, ReasonDialog
from ui.patients.model import display_name
from ui.patients.panel import PatientListPanel
from ui.patients.timeline import TimelineWidget
from ui.style import LARGE_POINT_SIZE, apply_roles, label, ui_font
from ui.tasks import TaskCancelled, TaskHandle, TaskRunner
from ui.undo import apply_and_push

TAB_NAMES = ("Timeline", "Review", "Treatment", "Compare", "History", "Images", "Follow-up", "Outcomes")


class PatientHeader(QWidget):
    """One line saying whose record is open: name, ID, age, protocol/arm, cycle, next review."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = QLabel("No patient open")
        self.name.setFont(ui_font(LARGE_POINT_SIZE, bold=True))
        self.name.setAccessibleName("Patient name")
        self.details = QLabel("")
        self.details.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.name)
        layout.addWidget(self.details)

    def set_patient(self, case: Case | None, row: PatientRow | None, today: date) -> None:
        if case is None:
            self.name.setText("No patient open")
            self.details.setText("Choose a patient in the list (Ctrl+F to search, Ctrl+N for a new one).")
            return
        p = case.patient
        self.name.setText(f"{display_name(p.name) or '(no name)'}   ·   {p.id}")
        bits = []
        if p.sex:
            bits.append({"F": "female", "M": "male"}.get(p.sex, "other"))
        if p.birth_date:
            from mdt.scores import age_at

            age = age_at(p.birth_date, today)
            bits.append(f"born {p.birth_date.isoformat()}" + (f" ({age} y)" if age is not None else ""))
        proto = case.protocol.id or "no protocol"
        bits.append(f"protocol {proto}" + (f", arm {case.protocol.arm}" if case.protocol.arm else ""))
        if case.treatment and case.treatment.regimen:
            bits.append(f"{case.treatment.regimen}, {len(case.treatment.cycles)} cycles given")
        bits.append(f"{len(case.reviews)} reviews")
        if row is not None and row.next_review is not None:
            from mdt.panel import is_overdue

            overdue = is_overdue(row.next_review, today)
            bits.append(f"next review {row.next_review.isoformat()}" + ("  — OVERDUE" if overdue else ""))
        if row is not None and row.archived:
            bits.append(f"ARCHIVED ({row.archive_reason or 'no reason'})")
        self.details.setText("   ·   ".join(bits))


class ReviewTab(QWidget):
    """A review selector (date, cycle) above the ReviewEditor."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window_ = window
        self.selector = QComboBox()
        self.selector.setAccessibleName("Review")
        self.selector.setMinimumWidth(320)
        self.new_button = QPushButton("&New review")
        self.new_button.setToolTip("Start a review dated today (Ctrl+Shift+N)")
        self.status = QLabel("")
        self.status.setProperty("role", "hint")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Review:"))
        bar.addWidget(self.selector)
        bar.addWidget(self.new_button)
        bar.addWidget(self.status)
        self.bar = bar
        self.editor = None
        # The editor may want more width than is left beside the patient list: scroll rather
        # than push the window past the screen (Ctrl+B hides the list for the full width).
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a frame, not a Tab stop: focus goes to the editor
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)

    def ensure_editor(self):
        """The review editor, built on first use (it and its imports are the heaviest part
        of the window, so start-up shows the patient list without waiting for it)."""
        if self.editor is None:
            from ui.review import ReviewEditor

            active = QApplication.activeWindow()
            self.editor = ReviewEditor(undo_stack=self.window_.undo_stack, parent=self, ops=self.window_.ops,
                                       open_case=self.window_.open)
            if active is not None and QApplication.activeWindow() is not active:
                # A child shown before it had a parent briefly became a window and took the
                # focus; give it back so the keyboard keeps driving the window (or dialog).
                active.activateWindow()
            self.editor.room_wanted.connect(self.window_._editor_wants_room)
            QTimer.singleShot(0, self.window_._fit_left_column)  # the list leaves the editor its room
            # The editor's line (whose review, saved as which version) sits in the selector's row:
            # one line more for the lesions on a 768-line screen.
            self.bar.addWidget(self.editor.header, 1)
            self.bar.addWidget(self.editor.diagram_toggle)
            self.editor.vote_panel.visibility_changed.connect(lambda: self.window_._update_presentation())
            apply_roles(self.editor)
            self.scroll.setWidget(self.editor)
        return self.editor

    def set_records(self, records: list[ReviewRecord], current: int | None) -> None:
        self.selector.blockSignals(True)
        self.selector.clear()
        for rec in records:
            r = rec.review
            text = f"{r.date.isoformat()}  ·  cycle {r.cycle if r.cycle is not None else '–'}"
            if r.reason:
                text += f"  ·  {label(r.reason)}"
            if rec.locked:
                text += "  ·  signed"
            self.selector.addItem(text, rec.index)
        if current is not None:
            self.selector.setCurrentIndex(max(0, self.selector.findData(current)))
        self.selector.blockSignals(False)
        self.status.setText("" if records else "No review yet: press New review (Ctrl+Shift+N).")


class MainWindow(QMainWindow):
    """The application window over one ``MdtService`` (one acting user, one database)."""

    patient_opened = Signal(str)
    """Hospital ID of the patient now open (after the views are filled)."""
    patients_loaded = Signal(int)
    """The patient list was (re)filled; the number of rows."""

    @property
    def current_case(self) -> Case | None:
        """The open patient's case (``self.open``, the one copy every view reads)."""
        return self.open.case

    @current_case.setter
    def current_case(self, case: Case | None) -> None:
        self.open.open(case)

    @property
    def records(self) -> list[ReviewRecord]:
        """The open patient's review records, oldest first."""
        return self.open.records

    def __init__(self, service: MdtService, *, db_label: str = "", member: Member | None = None,
                 tasks: TaskRunner | None = None, today: Callable[[], date] = date.today,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self.member = member
        self.db_label = db_label
        self.today = today
        self.tasks = tasks or TaskRunner(self)
        # Every write goes through ops (off the GUI thread, one failure display, typed signals).
        self.ops = Ops(service, self)
        # The open patient, kept once: the editor and the views read it; it follows
        # review_did_save first (connected before anything else).
        self.open = OpenCase(self.ops, self)
        self.ops.failed.connect(self._show_failure)
        self.ops.database_waited.connect(self._database_wait)
        self.ops.review_did_save.connect(self._review_saved)
        self.ops.patient_did_change.connect(self._patient_changed)
        # A changed screen-lock setting takes effect at once.
        self.ops.settings_did_change.connect(lambda: self.idle.set_minutes(self._lock_minutes()))
        self.undo_stack = QUndoStack(self)
        self.current_row: PatientRow | None = None
        self.current_index: int | None = None
        self.current_dialog: QDialog | None = None
        self._verdict_task: TaskHandle | None = None
        self._stale: set[QWidget] = set()
        self.last_pdf: str | None = None
        self._presentation = None
        self.locked_screen: QDialog | None = None
        self._waiting_cursor = False
        self.setWindowTitle("Liver MDT")

        self.patients = PatientListPanel()
        self.patients.patient_selected.connect(self.open_patient)
        self.patients.include_archived_changed.connect(lambda _on: self.reload_patients())

        self.header = PatientHeader()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.timeline = TimelineWidget()
        self.timeline.review_activated.connect(self._open_review_from_timeline)
        self.review_tab = ReviewTab(self)
        self.review_tab.selector.currentIndexChanged.connect(self._review_chosen)
        self.review_tab.new_button.clicked.connect(self.new_review)
        from ui.compare import CompareWidget
        from ui.history import HistoryWidget
        from ui.treatment.editor import TreatmentEditor

        self.treatment = TreatmentEditor(self.undo_stack, self._set_treatment)
        self.compare = CompareWidget()
        self.history = HistoryWidget()
        self.images = self._make_images_tab()
        from ui.followup import FollowUpEditor
        from ui.outcomes import OutcomesView

        self.followup = FollowUpEditor(self._set_follow_up)
        self.outcomes = OutcomesView()
        self.outcomes.patient_requested.connect(self._open_from_outcomes)
        self.outcomes.reload_requested.connect(self.load_outcomes)
        self.outcomes.pdf_button.clicked.connect(lambda: self.print_outcomes_report())
        self._stale.add(self.outcomes)  # filled when first shown (cohort-wide, not per patient)
        for widget, name in zip((self.timeline, self.review_tab, self.treatment, self.compare,
                                 self.history, self.images, self.followup, self.outcomes), TAB_NAMES,
                                strict=True):
            # A tab taller than a 768-line screen scrolls inside its page: a tab widget is as tall
            # as its tallest page, so one long form would push the whole window off the screen.
            tall = widget in (self.treatment, self.followup, self.outcomes, self.timeline)
            self.tabs.addTab(_PageScroll(widget) if tall else widget, name)
        self.tabs.currentChanged.connect(lambda _i: self._refresh_lazy_tab())

        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(self.header)
        centre_layout.addWidget(self.tabs, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(centre)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        from ui.meeting.panel import MeetingPanel

        # Meeting mode shares the left column with the patient list: the agenda is the list
        # the board works through, and the review editor keeps the whole centre.
        self.meeting = MeetingPanel(self)
        self.left = QTabWidget()
        self.left.addTab(self.patients, "Patients")
        self.left.addTab(self.meeting, "Meeting")
        self.left.currentChanged.connect(self._left_changed)
        self.splitter.insertWidget(0, self.left)
        # The left column keeps its width when the window grows or shrinks; the centre takes
        # the rest.  Until the user drags the handle, it follows _fit_left_column.
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self._left_width_chosen = False
        self.splitter.splitterMoved.connect(self._splitter_moved)
        self.splitter.installEventFilter(self)

        self._build_status_bar()
        from ui.signin import IdleWatcher

        # The screen locks after the hospital's inactivity setting (mdt.settings).
        self.idle = IdleWatcher(self._lock_minutes(), self.lock, self)
        self._build_actions()
        self._build_menus()
        self._refresh_after_save = QTimer(self)
        self._refresh_after_save.setSingleShot(True)
        self._refresh_after_save.setInterval(150)
        self._refresh_after_save.timeout.connect(self._after_review_saved)
        self.header.set_patient(None, None, self.today())
        self.reload_patients(background=True)
        self._update_actions()
        apply_roles(self)

    # ------------------------------------------------------------------ layout
    LEFT_SHARE = 0.36
    """At most this share of the window goes to the left column by default (the centre is the work)."""

    def default_left_width(self, window_width: int | None = None) -> int:
        """The patient list's whole columns, within LEFT_SHARE of the window and above its minimum."""
        width = window_width if window_width is not None else self.width()
        wanted = min(self.patients.preferred_width(), int(width * self.LEFT_SHARE))
        return max(wanted, self.left.minimumSizeHint().width())

    def centre_minimum(self) -> int:
        """The least width the centre needs: its tabs, and the review editor with its diagram
        folded (so the criteria are never pushed off the screen by the list beside them)."""
        need = self.tabs.minimumSizeHint().width()
        editor = self.review_tab.editor
        if editor is not None:
            need = max(need, editor.compact_minimum_width() + 12)
        return need

    def _fit_left_column(self) -> None:
        if self._left_width_chosen or self.left.isHidden():  # isVisible is False while showing
            return
        total = self.splitter.width() - self.splitter.handleWidth()
        if total <= 0:
            return
        left = min(self.default_left_width(), total - self.centre_minimum())
        left = max(left, self.left.minimumSizeHint().width())
        if self.splitter.sizes()[0] != left:
            self.splitter.blockSignals(True)
            self.splitter.setSizes([left, total - left])
            self.splitter.blockSignals(False)

    def _splitter_moved(self, _pos: int, _index: int) -> None:
        self._left_width_chosen = True  # the user's choice stands from now on

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # The splitter's own resize: only then is its width the real one (a resize of the window
        # arrives before its layout has run, and a hidden window has no layout yet).
        if watched is self.splitter and event.type() == QEvent.Type.Resize:
            self._fit_left_column()
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ construction
    def _make_images_tab(self) -> QWidget:
        """An empty holder: the DICOM viewer (and pydicom/numpy) load when the tab is first shown."""
        self.viewer = None
        holder = QWidget()
        QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
        return holder

    def ensure_viewer(self):
        if self.viewer is not None:
            return self.viewer
        layout = self.images.layout()
        # The first opening loads pydicom and numpy (about half a second): say so, and show the
        # busy cursor, rather than leave a blank tab that looks stuck.
        self.images_loading = QLabel("Opening the image viewer…")
        self.images_loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.images_loading)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            layout.activate()
            self.images_loading.show()  # a child added to a shown widget is shown later otherwise
            self.images_loading.repaint()  # painted now: no event loop here (nothing re-enters)
            try:
                from ui.viewer import ViewerWidget
            except ImportError as exc:  # imaging libraries missing from a build: say so plainly
                note = QLabel(f"The image viewer is not available in this installation ({exc}).")
                note.setWordWrap(True)
                layout.addWidget(note)
                self.viewer = False
                return None
            self.viewer = ViewerWidget(self.service, self.images, ops=self.ops)
        finally:
            QApplication.restoreOverrideCursor()
            self.images_loading.setVisible(False)
            layout.removeWidget(self.images_loading)
        self.viewer.review_saved.connect(self._viewer_saved)
        self.viewer.measurement_sink = self._caliper_to_editor
        self.viewer.selected_lesion = lambda: (self.review_tab.editor.selected_lesion()
                                               if self.review_tab.editor is not None else None)
        layout.addWidget(self.viewer)
        apply_roles(self.viewer)
        self._set_viewer_context()
        return self.viewer

    def _set_viewer_context(self) -> None:
        if self.viewer:
            self.viewer.set_context(self.service, self.current_case, self.current_record())

    def _caliper_to_editor(self, record: ReviewRecord, edit_fn: Callable) -> ReviewRecord | None:
        """A caliper diameter goes through the review editor: one undoable, saved edit of the review
        of the study the line was drawn on (the open review, or another of this patient's)."""
        editor = self.review_editor  # filled with the current review even if its tab was never shown
        current = self.current_record()
        if current is not None and record.review_id == current.review_id:
            return self.current_record() if editor.request(edit_fn) else None
        saved = editor.apply_to_review(record, edit_fn)
        if saved is not None:
            self.show_message(f"Saved in the review of {saved.review.date.isoformat()} (the review of the "
                              f"study the line was drawn on), version {saved.version}")
        return saved

    def _viewer_saved(self, record: ReviewRecord) -> None:
        """A caliper diameter or SEG volumes were saved into the open review from the viewer."""
        if self.current_case is not None and record.patient_id == self.current_case.patient.id:
            self.open_patient(record.patient_id, keep_review=True)
            self.show_message(f"Saved from the images: review {record.review.date.isoformat()} "
                              f"version {record.version}")

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        who = self.service.actor.name
        if self.member is not None:
            who += f"  ({SPECIALTY_LABELS.get(self.member.specialty, self.member.specialty)}, {self.member.role})"
        self.user_label = QLabel(f"User: {who}")
        self.user_label.setAccessibleName("Current user")
        self.db_status = QLabel(f"Database: {self.db_label}")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.tasks.cancel_all)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.db_status)
        self.tasks.started.connect(self._task_started)
        self.tasks.progressed.connect(self._task_progress)
        self.tasks.finished.connect(self._task_finished)
        if self.service.read_only:
            self.db_status.setText(f"Database: {self.db_label} (read-only)")
            self.db_status.setToolTip("The database is on a read-only file, disk or mount: "
                                      "you can read, print and export; nothing can be saved.")

    def _database_wait(self, wait: Any) -> None:
        """Another workstation is writing (SQLite): a busy cue while this save waits for it.
        Called on the thread that writes; widgets are touched only on the GUI thread, and
        repainted directly (no event processing inside a database call)."""
        if QThread.currentThread() is not self.thread():
            return
        if wait.done:
            if QApplication.overrideCursor() is not None and self._waiting_cursor:
                QApplication.restoreOverrideCursor()
            self._waiting_cursor = False
            if not self.tasks.busy:
                self.progress.setVisible(False)
            self.show_message("")
            return
        if not self._waiting_cursor:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            self._waiting_cursor = True
        self.progress.setRange(0, max(1, int(wait.timeout_s * 10)))
        self.progress.setValue(int(wait.elapsed_s * 10))
        self.progress.setFormat("Waiting for the database…")
        self.progress.setVisible(True)
        self.statusBar().showMessage(wait.words())
        self.statusBar().repaint()

    def _action(self, text: str, slot: Callable[[], object], shortcut: QKeySequence | str | None = None,
                *more: QKeySequence | str, tip: str = "") -> QAction:
        action = QAction(text, self)
        keys = [k for k in (shortcut, *more) if k]
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)  # shortcuts work even with the menu bar hidden (presentation)
        return action

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        a = self._action
        self.act_new_patient = a("&New patient…", self.new_patient, K.New)
        self.act_edit_patient = a("&Edit patient…", self.edit_patient, "Ctrl+E")
        self.act_archive = a("&Archive patient…", self.archive_patient, "Ctrl+Shift+Del")
        self.act_unarchive = a("&Restore archived patient…", self.unarchive_patient)
        self.act_import = a("&Import cases (mdt-case/1)…", self.import_cases_dialog, "Ctrl+I")
        self.act_export = a("E&xport case (mdt-case/1)…", self.export_case_dialog, "Ctrl+Shift+E")
        self.act_import_dicom = a("Import &DICOM…", self.import_dicom, "Ctrl+Shift+I")
        self.act_print_report = a("Print patient &report (PDF)…", self.print_patient_report, K.Print)
        self.act_print_minutes = a("Print meeting &minutes (PDF)…", self.print_minutes, "Ctrl+Shift+P")
        self.act_print_sheet = a("Print &outcome sheet (PDF)…", self.print_outcome_sheet,
                                 tip="One page for the patient's record: the decision of the review shown, "
                                     "who decided, next review, a signature line")
        self.act_print_sheets = a("Print the meeting's &outcome sheets (PDF)…",
                                  lambda: self.print_outcome_sheet(meeting=True),
                                  tip="One page per patient on the agenda, for each patient's record")
        self.act_admin = a("Members and se&ttings…", self.open_admin)
        self.act_switch_user = a("S&witch user…", self.switch_user)
        self.act_lock = a("&Lock screen", self.lock, "Ctrl+Shift+L")
        self.act_quit = a("&Quit", self.close, K.Quit)
        self.act_undo = self.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcuts([QKeySequence(K.Undo)])
        self.act_redo = self.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.addAction(self.act_undo)
        self.addAction(self.act_redo)
        self.act_find = a("&Find patient", self.find_patient, K.Find)
        self.act_new_review = a("&New review", self.new_review, "Ctrl+Shift+N")
        self.act_prev_review = a("&Previous review", lambda: self._step_review(-1), "Alt+Left")
        self.act_next_review = a("Ne&xt review", lambda: self._step_review(1), "Alt+Right")
        self.tab_actions = [a(f"&{i + 1} {name}", lambda i=i: self.show_tab(i), f"Ctrl+{i + 1}")
                            for i, name in enumerate(TAB_NAMES)]
        self.act_toggle_list = a("Show patient &list / agenda", self.toggle_left_column, "Ctrl+B")
        self.act_presentation = a("&Presentation mode", self.toggle_presentation, "F5")
        self.act_meeting_mode = a("&Meeting mode", self.toggle_meeting_mode, "Ctrl+M")
        self.act_meeting_mode.setCheckable(True)
        self.act_new_meeting = a("&New meeting…", self.meeting.new_meeting, "Ctrl+Shift+M")
        # The panel's buttons leave their letters to the review editor: the menu reaches them.
        self.act_attendance = a("A&ttendance and details…", self.meeting.edit_meeting)
        self.act_agenda_due = a("Build agenda from patients &due", self.meeting.build_agenda_from_due)
        self.act_agenda_add = a("&Add current patient to agenda", self.meeting.add_current_patient,
                                "Ctrl+Shift+A")
        self.act_agenda_prev = a("&Previous agenda patient", lambda: self._agenda_key(-1), "PgUp")
        self.act_agenda_next = a("Next agenda &patient", lambda: self._agenda_key(1), "PgDown")
        self.act_sign = a("&Sign meeting…", self.meeting.sign_meeting)
        self.act_about = a("&About Liver MDT", self.show_about, K.HelpContents)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        for act in (self.act_new_patient, self.act_edit_patient, self.act_archive, self.act_unarchive, None,
                    self.act_import, self.act_export, self.act_import_dicom, None,
                    self.act_print_report, self.act_print_sheet, self.act_print_minutes, None, self.act_admin,
                    self.act_switch_user, self.act_lock,
                    self.act_quit):
            m.addSeparator() if act is None else m.addAction(act)
        m = mb.addMenu("&Edit")
        for act in (self.act_undo, self.act_redo, None, self.act_find):
            m.addSeparator() if act is None else m.addAction(act)
        m = mb.addMenu("&Review")
        for act in (self.act_new_review, self.act_prev_review, self.act_next_review):
            m.addAction(act)
        m = mb.addMenu("&View")
        for act in self.tab_actions:
            m.addAction(act)
        m.addSeparator()
        m.addAction(self.act_toggle_list)
        m.addAction(self.act_presentation)
        m.addAction(self.act_meeting_mode)
        m = mb.addMenu("&Meeting")
        for act in (self.act_meeting_mode, self.act_new_meeting, self.act_attendance, self.act_agenda_due,
                    self.act_agenda_add,
                    None, self.act_agenda_prev, self.act_agenda_next, None, self.act_print_sheets, self.act_sign):
            m.addSeparator() if act is None else m.addAction(act)
        m = mb.addMenu("&Help")
        m.addAction(self.act_about)

    def open_admin(self):  # noqa: ANN201 - AdminDialog | None
        """File ▸ Members and settings… (chair or coordinator; others are told who may)."""
        from ui.admin import open_admin

        return open_admin(self.service, self, ops=self.ops)

    def _agenda_key(self, delta: int) -> bool:
        """PgUp/PgDn: the next or previous agenda patient, but only from outside a widget that
        edits or pages; inside the vessel grid, a field or the image stack the key does what it
        does there and the patient stays (``ui.page_keys``)."""
        from ui.page_keys import deliver_page_key, keeps_page_keys

        focus = QApplication.focusWidget()
        if focus is not None and focus.window() is self and keeps_page_keys(focus):
            # The key goes back to the widget; the stepping shortcuts stand aside meanwhile (a
            # key event sent to a widget is matched against the shortcuts again).
            actions = (self.act_agenda_prev, self.act_agenda_next)
            enabled = [a.isEnabled() for a in actions]
            for a in actions:
                a.setEnabled(False)
            try:
                deliver_page_key(focus, delta > 0)
            finally:
                for a, on in zip(actions, enabled, strict=True):
                    a.setEnabled(on)
            return False
        return self.meeting.step(delta)

    def _update_actions(self) -> None:
        has_patient = self.current_case is not None
        for act in (self.act_edit_patient, self.act_archive, self.act_export, self.act_print_report,
                    self.act_print_sheet,
                    self.act_new_review, self.act_agenda_add, self.act_prev_review, self.act_next_review):
            act.setEnabled(has_patient)
        archived = bool(self.current_row and self.current_row.archived)
        self.act_archive.setEnabled(has_patient and not archived)
        self.act_unarchive.setEnabled(has_patient and archived)
        meeting_mode = self.meeting_mode()
        self.act_agenda_prev.setEnabled(meeting_mode or self._presenting())
        self.act_agenda_next.setEnabled(meeting_mode or self._presenting())
        self.meeting.update_actions()

    # ------------------------------------------------------------------ messages
    def show_message(self, text: str, msecs: int = 8000) -> None:
        self.statusBar().showMessage(text, msecs)

    def report_error(self, what: str, exc: BaseException) -> None:
        """An error from an action, said the one way every failure is (``Ops.show_failure``)."""
        self.ops.show_failure(what, exc)

    def _show_failure(self, what: str, words: str, unexpected: bool) -> None:
        """The window's display of a failed change: the status bar, and a box with the details
        for a fault the core did not name."""
        first, _, detail = words.partition("\n\n")
        self.show_message(first, 15000)
        if unexpected:
            box = QMessageBox(QMessageBox.Icon.Warning, "Liver MDT", first, parent=self)
            box.setDetailedText(detail)
            box.open()
            self.last_failure_box = box

    def _open_dialog(self, dialog: QDialog) -> QDialog:
        """Window-modal and non-blocking: keyboard and tests drive it like any widget."""
        apply_roles(dialog)
        self.current_dialog = dialog
        dialog.finished.connect(lambda _r: setattr(self, "current_dialog", None)
                                if self.current_dialog is dialog else None)
        dialog.open()
        return dialog

    # ------------------------------------------------------------------ patients
    def reload_patients(self, background: bool = False) -> TaskHandle | None:
        """Refill the patient list.  ``background``: read it on a worker thread (start-up with a
        department's thousands of patients) so the window is usable at once."""
        archived = self.patients.archived.isChecked()
        if background:
            worker = self.service.fork()  # reads on the worker thread never share a session
            self.patients.count_label.setText("Loading patients…")
            return self.tasks.run(
                "", lambda _task: worker.list_patients(include_archived=archived),
                self._patients_loaded,
                lambda exc, _tb: self.report_error("Cannot list patients", exc))
        try:
            rows = self.service.list_patients(include_archived=archived)
        except MdtError as exc:
            self.report_error("Cannot list patients", exc)
            return None
        self._patients_loaded(rows)
        return None

    def _patients_loaded(self, rows: list[PatientRow]) -> None:
        self.patients.set_rows(rows)
        self._fit_left_column()  # the columns now have their widths
        self.patients_loaded.emit(len(rows))

    def find_patient(self) -> None:
        self.left.setVisible(True)
        self.left.setCurrentWidget(self.patients)
        self.patients.focus_search()

    def _protocol_ids(self) -> list[str]:
        from mdt.protocols import load_protocols

        return sorted(load_protocols())

    def new_patient(self) -> QDialog:
        def submit(patient: Patient, protocol: ProtocolRef, _reason: str | None) -> None:
            row = self.ops.call("Patient not created", lambda s: s.create_patient(patient, protocol))
            self.patients.upsert(row)
            self.patients.clear_filters()
            self.show_message(f"Patient {row.patient_id} created")
            QTimer.singleShot(0, lambda: self.open_patient(row.patient_id, select=True))

        from mdt.protocols import default_protocol_id

        return self._open_dialog(PatientDialog(submit, self._protocol_ids(), self.patients.model.arms(),
                                               protocol=ProtocolRef(default_protocol_id()), parent=self))

    def edit_patient(self) -> QDialog | None:
        case = self.current_case
        if case is None:
            return None
        old_patient, old_protocol = case.patient, case.protocol

        def submit(patient: Patient, protocol: ProtocolRef, reason: str | None) -> None:
            pid = patient.id
            apply_and_push(
                self.undo_stack, f"edit patient {pid}",
                # No default reason: a patient in signed minutes changes only with one.
                lambda: self.ops.call("Patient not saved", lambda s: s.update_patient(patient, protocol, reason)),
                lambda: self.ops.call("Undo not saved",
                                      lambda s: s.update_patient(old_patient, old_protocol, "undo edit")),
                on_error=self.report_error)

        return self._open_dialog(PatientDialog(submit, self._protocol_ids(), self.patients.model.arms(),
                                               case.patient, case.protocol, parent=self))

    def archive_patient(self) -> QDialog | None:
        case = self.current_case
        if case is None:
            return None
        pid = case.patient.id

        def submit(reason: str) -> None:
            apply_and_push(
                self.undo_stack, f"archive patient {pid}",
                lambda: self.ops.call("Not archived", lambda s: s.archive_patient(pid, reason)),
                lambda: self.ops.call("Not restored", lambda s: s.unarchive_patient(pid, f"undo archive: {reason}")),
                on_error=self.report_error)
            self.show_message(f"Patient {pid} archived (Ctrl+Z to undo; 'Show archived' lists it)")

        return self._open_dialog(ReasonDialog(
            "Archive patient", f"Archive {pid}? The record is kept and hidden from the default list.",
            submit, self))

    def unarchive_patient(self) -> QDialog | None:
        case = self.current_case
        if case is None:
            return None
        pid = case.patient.id

        def submit(reason: str) -> None:
            apply_and_push(
                self.undo_stack, f"restore patient {pid}",
                lambda: self.ops.call("Not restored", lambda s: s.unarchive_patient(pid, reason)),
                lambda: self.ops.call("Not archived", lambda s: s.archive_patient(pid, f"undo restore: {reason}")),
                on_error=self.report_error)

        return self._open_dialog(ReasonDialog("Restore patient", f"Restore {pid} to the list?", submit, self))

    def _patient_changed(self, patient_id: str) -> None:
        """After a write about ``patient_id``: refresh its list row and, if open, its views."""
        try:
            row = self.service.get_patient(patient_id)
        except MdtError:
            self.reload_patients()
            return
        if row.archived and not self.patients.archived.isChecked():
            self.patients.model.remove(patient_id)
        else:
            self.patients.upsert(row)
        if self.current_case is not None and self.current_case.patient.id == patient_id:
            self.open_patient(patient_id, keep_review=True)

    def open_patient(self, patient_id: str, select: bool = False, keep_review: bool = False,
                     review_index: int | None = None) -> bool:
        """Fill every view with this patient's record (the latest review unless told otherwise)."""
        try:
            case = self.service.get_case(patient_id)
            records = self.service.list_reviews(patient_id)
            row = self.service.get_patient(patient_id)
        except MdtError as exc:
            self.report_error(f"Cannot open patient {patient_id}", exc)
            return False
        switching = self.current_case is None or self.current_case.patient.id != patient_id
        if switching:
            # Undo entries belong to the record they edited; do not carry them to another patient.
            self.undo_stack.clear()
        previous = self.current_index if (keep_review and not switching) else None
        self.open.open(case, records)
        self.current_row = row
        if review_index is None:
            review_index = previous if previous is not None and previous < len(records) else None
        if review_index is None and records:
            review_index = records[-1].index
        self.current_index = review_index
        if select and not self.patients.select_patient(patient_id, emit=False) and not row.archived:
            # Not in the list yet (added elsewhere): list it, so the highlighted row is never
            # another patient's.
            self.patients.upsert(row)
            self.patients.select_patient(patient_id, emit=False)
        self.header.set_patient(case, row, self.today())
        self._mark_stale(*self._tab_widgets())
        self._refresh_lazy_tab()
        self._update_actions()
        self._update_presentation()
        self.patient_opened.emit(patient_id)
        return True

    def _target_limit(self, case: Case) -> int:
        from mdt.cohort import protocol_settings

        return protocol_settings(case.protocol.id)[0]

    def _interval(self, case: Case) -> dict:
        from mdt.cohort import protocol_settings

        return protocol_settings(case.protocol.id)[1]

    def current_record(self) -> ReviewRecord | None:
        for rec in self.records:
            if rec.index == self.current_index:
                return rec
        return None

    @property
    def review_editor(self):
        """The review editor, showing the current review (filled now if its tab was not shown)."""
        editor = self.review_tab.ensure_editor()
        if self.review_tab in self._stale:
            self._stale.discard(self.review_tab)
            self._fill_tab(self.review_tab)
        return editor

    def _prewarm(self) -> None:
        """Build the review editor in the first idle moment after the window is up."""
        if self.review_tab.editor is None:
            focused = self.focusWidget()
            self.review_tab.ensure_editor()
            if focused is not None and self.focusWidget() is not focused:
                focused.setFocus(Qt.FocusReason.OtherFocusReason)  # building it must not move the focus

    def _start_focus(self) -> None:
        """At start-up the keyboard is in the patient search box (the first thing anyone does is
        find a patient), not on the tab bar."""
        if self.left.isVisible() and self.left.currentWidget() is self.patients:
            self.patients.search.setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not getattr(self, "_shown_once", False):
            self._shown_once = True
            QTimer.singleShot(0, self._start_focus)
        if self.review_tab.editor is None:
            QTimer.singleShot(300, self._prewarm)

    def _set_editor_review(self) -> None:
        if self.current_case is None:
            return
        self.review_tab.ensure_editor().set_context(self.service, self.current_case, self.current_record())

    def _review_chosen(self, _combo_index: int) -> None:
        index = self.review_tab.selector.currentData()
        if index is None or index == self.current_index:
            return
        self.current_index = index
        self._set_editor_review()
        self._mark_stale(self.compare, self.images)
        self._refresh_lazy_tab()
        self._update_presentation()

    def _open_review_from_timeline(self, index: int) -> None:
        self.select_review(index)
        self.show_tab(TAB_NAMES.index("Review"))

    def select_review(self, index: int) -> None:
        """Make review ``index`` (position in the case) the current one in every view."""
        if index == self.current_index and self.review_tab not in self._stale:
            return
        self.current_index = index
        self._mark_stale(self.review_tab, self.compare, self.images)
        self._refresh_lazy_tab()
        self._update_presentation()

    def _step_review(self, delta: int) -> None:
        positions = [rec.index for rec in self.records]
        if self.current_index not in positions:
            return
        pos = positions.index(self.current_index) + delta
        if 0 <= pos < len(positions):
            self.select_review(positions[pos])

    def new_review(self, on: date | None = None, reason: str | None = None) -> ReviewRecord | None:
        """A review dated today (or ``on``); its cycle comes from the treatment course."""
        case = self.current_case
        if case is None:
            return None
        from mdt.panel import cycle_on

        # Stepping through a meeting's agenda, the review is the one discussed at that meeting.
        when = on or self.meeting.review_date_for(case.patient.id) or self.today()
        cycle = cycle_on(case.treatment, when) if case.treatment else None
        if reason is None:
            reason = "reassessment" if case.reviews else "baseline"
        previous = case.reviews[-1] if case.reviews else None
        review = Review(date=when, cycle=cycle, reason=reason,
                        height_cm=previous.height_cm if previous else None,
                        weight_kg=previous.weight_kg if previous else None)
        try:
            pid = case.patient.id
            record = self.ops.call("Cannot start a review",
                                   lambda s: s.add_review(pid, review, reason="new review"))
        except Exception as exc:  # noqa: BLE001 - said once by report_error
            self.report_error("Cannot start a review", exc)
            return None
        self.show_message(f"Review of {when.isoformat()} started for {case.patient.id}")
        self.open_patient(case.patient.id, review_index=record.index)
        self.show_tab(TAB_NAMES.index("Review"))
        self.meeting.refresh_current_item()
        return record

    def _review_saved(self, record: ReviewRecord) -> None:
        """A version was saved (``Ops.review_did_save``; the open case already holds it):
        refresh the list row, the header and the other tabs soon."""
        self._refresh_after_save.start()

    def _after_review_saved(self) -> None:
        case = self.current_case
        if case is None:
            return
        try:
            self.current_row = self.service.get_patient(case.patient.id)
        except MdtError:
            return
        self.patients.upsert(self.current_row)
        self.header.set_patient(case, self.current_row, self.today())
        self.review_tab.set_records(self.records, self.current_index)
        self._mark_stale(self.timeline, self.treatment, self.compare, self.history)
        self._refresh_lazy_tab()
        self._update_presentation()
        self.meeting.refresh_current_item()

    def flush_pending_refresh(self) -> None:
        """Run a pending post-save refresh now (tests and before closing)."""
        if self._refresh_after_save.isActive():
            self._refresh_after_save.stop()
            self._after_review_saved()

    def _start_verdicts(self, case: Case) -> None:
        """Engine resectability of every review, computed off the main thread."""
        if self._verdict_task is not None:
            self._verdict_task.cancel()
        if not case.reviews:
            return
        patient_id = case.patient.id

        def work(task: TaskHandle) -> dict[int, str]:
            from mdt.protocols import evaluate

            out: dict[int, str] = {}
            for i in range(len(case.reviews)):
                task.check()
                try:
                    out[i] = evaluate(case, i).resectability
                except MdtError:
                    out[i] = "indeterminate"
            return out

        def done(verdicts: dict[int, str]) -> None:
            if self.current_case is not None and self.current_case.patient.id == patient_id:
                self.timeline.set_verdicts(verdicts)

        def failed(exc: BaseException, _tb: str) -> None:
            if not isinstance(exc, TaskCancelled):
                self.show_message(f"{glossary.PROTOCOL_VERDICT}s not available: {exc}")

        self._verdict_task = self.tasks.run("", work, done, failed)

    # ------------------------------------------------------------------ tabs
    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        self._focus_into(self.current_page())

    def current_page(self) -> QWidget:
        """The current tab's page (the Follow-up editor, not the scroll area around it)."""
        page = self.tabs.currentWidget()
        return page.widget() if isinstance(page, _PageScroll) else page

    def _focus_into(self, tab: QWidget) -> None:
        """Give the keyboard to the tab's first working field, not to the tab's frame: a focused
        container swallows Ctrl+L, Insert and typing (the review is entered from the keyboard)."""
        if tab is self.review_tab and self.review_tab.editor is not None:
            view = self.review_tab.editor.lesion_view
            target = view if view.isEnabled() else self.review_tab.new_button
            target.setFocus(Qt.FocusReason.TabFocusReason)
            return
        if tab.focusPolicy() & Qt.FocusPolicy.TabFocus:
            tab.setFocus(Qt.FocusReason.TabFocusReason)
            return
        child = tab.nextInFocusChain()
        while child is not tab and child is not None:
            if (tab.isAncestorOf(child) and child.isEnabled() and child.isVisibleTo(tab)
                    and child.focusPolicy() & Qt.FocusPolicy.TabFocus):
                child.setFocus(Qt.FocusReason.TabFocusReason)
                return
            child = child.nextInFocusChain()
        tab.setFocus()

    def _tab_widgets(self) -> tuple[QWidget, ...]:
        return (self.timeline, self.review_tab, self.treatment, self.compare, self.history, self.images,
                self.followup)

    def _mark_stale(self, *tabs: QWidget) -> None:
        self._stale.update(tabs)

    def _refresh_lazy_tab(self) -> None:
        """Fill the tab on show if the record changed since it was last filled.

        Only the visible tab is filled when a patient opens, so opening one stays fast
        however many reviews it has; the others catch up when shown.
        """
        current = self.current_page()
        if current in self._stale:
            self._stale.discard(current)
            self._fill_tab(current)

    def _fill_tab(self, tab: QWidget) -> None:
        case = self.current_case
        if tab is self.timeline:
            self.timeline.set_case(case, self._target_limit(case) if case else 2, title="Reviews")
            if case is not None:
                self._start_verdicts(case)
        elif tab is self.review_tab:
            self.review_tab.set_records(self.records, self.current_index)
            self._set_editor_review()
        elif tab is self.treatment:
            self.treatment.set_case(case, self._interval(case) if case else {}, self.today())
        elif tab is self.images:
            if self.ensure_viewer():
                self._set_viewer_context()
        elif tab is self.compare:
            self.compare.set_case(case, self.current_index, self._target_limit(case) if case else 2)
        elif tab is self.history:
            self.history.load(self.service, case.patient.id if case else None)
        elif tab is self.followup:
            self.followup.set_case(case)
        elif tab is self.outcomes:
            self.load_outcomes()

    def _set_follow_up(self, follow_up, old, text: str) -> None:  # noqa: ANN001
        """Called by the follow-up editor: save now, push for undo (ValidationError propagates)."""
        case = self.current_case
        if case is None:
            return
        pid = case.patient.id
        apply_and_push(self.undo_stack, text,
                       lambda: self.ops.call("Follow-up not saved", lambda s: s.set_follow_up(pid, follow_up, text)),
                       lambda: self.ops.call("Undo not saved", lambda s: s.set_follow_up(pid, old, f"undo: {text}")),
                       on_error=self.report_error)
        self._stale.add(self.outcomes)

    def load_outcomes(self) -> TaskHandle:
        """Every patient's facts on a worker thread, then the Outcomes view's statistics."""
        from ui.outcomes.view import load_facts

        worker = self.service.fork()
        self.outcomes.status.setText("Reading the patients' records…")
        return self.tasks.run("", lambda _task: load_facts(worker),
                              self.outcomes.set_facts,
                              lambda exc, _tb: self.report_error("Outcomes not available", exc))

    def _open_from_outcomes(self, patient_id: str) -> None:
        if self.open_patient(patient_id, select=True):
            self.show_tab(TAB_NAMES.index("Timeline"))

    def print_outcomes_report(self, path: str | None = None, open_viewer: bool = True) -> TaskHandle | None:
        """The Outcomes view's tables and figures (its current filters) as a PDF."""
        report, facts = self.outcomes.report, self.outcomes.facts
        if report is None:
            self.show_message("Open the Outcomes tab first (Ctrl+8)")
            return None
        path = path or self._ask_save_path("Save outcomes report", "outcomes-report.pdf", "PDF (*.pdf)")
        if not path:
            return None

        def render(_service: MdtService) -> None:
            from mdt.outcomes.pdf import render_outcomes_report

            render_outcomes_report(report, facts, path)

        return self._render_pdf("Printing the outcomes report", render, path, open_viewer)

    def _set_treatment(self, patient_id: str, treatment: Treatment | None, old: Treatment | None,
                       text: str) -> None:
        """Called by the treatment editor with the patient its form was filled for: save now, push
        for undo (ValidationError propagates).  Another patient open by now: refused."""
        case = self.current_case
        if case is None:
            return
        pid = case.patient.id
        if patient_id != pid:
            from mdt.errors import FieldProblem, ValidationError

            self.treatment.set_case(case, self._interval(case), self.today())
            raise ValidationError(FieldProblem(
                "treatment", f"this entry was typed for patient {patient_id}, but {pid} is open now: "
                             f"nothing was saved"))
        apply_and_push(self.undo_stack, text,
                       lambda: self.ops.call("Treatment not saved", lambda s: s.set_treatment(pid, treatment, text),
                                             patient_id=pid),
                       lambda: self.ops.call("Undo not saved", lambda s: s.set_treatment(pid, old, f"undo: {text}"),
                                             patient_id=pid),
                       on_error=self.report_error)

    # ------------------------------------------------------------------ meeting / presentation
    def _editor_wants_room(self, wanted: bool) -> None:
        """The review editor was asked for its diagram on a narrow screen: the patient list or the
        agenda makes room, and comes back when the diagram is put away."""
        if wanted and self.left.isVisible():
            self.left.setVisible(False)
            self._left_hidden_for_diagram = True
        elif not wanted and getattr(self, "_left_hidden_for_diagram", False):
            self._left_hidden_for_diagram = False
            self.left.setVisible(True)

    def toggle_left_column(self) -> None:
        self.left.setVisible(not self.left.isVisible())
        if self.left.isVisible():
            self.left.currentWidget().setFocus()

    def meeting_mode(self) -> bool:
        return self.left.currentWidget() is self.meeting

    def toggle_meeting_mode(self) -> None:
        self.set_meeting_mode(not self.meeting_mode())

    def set_meeting_mode(self, on: bool) -> None:
        self.left.setVisible(True)
        self.left.setCurrentWidget(self.meeting if on else self.patients)

    def _left_changed(self, _index: int) -> None:
        on = self.meeting_mode()
        self.act_meeting_mode.setChecked(on)
        if on:
            self.meeting.reload()
            self.meeting.agenda.setFocus()
        self._update_actions()

    def _presenting(self) -> bool:
        return self._presentation is not None and self._presentation.isVisible()

    def toggle_presentation(self) -> None:
        from ui.presentation import PresentationWindow

        if self._presenting():
            self._presentation.close()
            self.activateWindow()
            return
        if self._presentation is None:
            self._presentation = PresentationWindow(self)
        self._update_presentation(force=True)
        self._presentation.present()
        self._update_actions()

    def _update_presentation(self, force: bool = False) -> None:
        if self._presentation is None or not (force or self._presenting()):
            return
        self._presentation.set_review(self.current_case, self.current_index, self.meeting.current_item_text(),
                                      votes_revealed=self._votes_revealed(), votes_progress=self._votes_progress())

    def _votes_progress(self) -> str:
        """How many of the expected ratings of the current review are in (the editor's count)."""
        editor = self.review_tab.editor
        record = self.current_record()
        if editor is None or record is None or editor.record() is None \
                or editor.record().review_id != record.review_id:
            return ""
        exp = editor.vote_panel.expectation
        return exp.text if exp is not None else ""

    def _votes_revealed(self) -> bool:
        """Whether the review editor shows the ratings of the current review (independent rating:
        nobody, including the room, sees them before every rating is in or Reveal)."""
        editor = self.review_tab.editor
        record = self.current_record()
        if editor is None or record is None or editor.record() is None \
                or editor.record().review_id != record.review_id:
            return record is None or record.review.panel.decision is not None \
                or not record.review.panel.votes
        panel = getattr(editor, "vote_panel", None)
        return bool(panel.revealed()) if panel is not None else True

    # ------------------------------------------------------------------ import / export
    def _ask_open_path(self, title: str, filters: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self, title, "", filters)
        return path

    def _ask_save_path(self, title: str, suggested: str, filters: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, title, suggested, filters)
        return path

    def import_cases_dialog(self) -> None:
        path = self._ask_open_path("Import cases", "mdt-case/1 files (*.json);;All files (*)")
        if path:
            self.import_cases_file(path)

    def import_cases_file(self, path: str) -> TaskHandle:
        """Parse in the background (a file may hold many cases), store on the main thread."""
        def work(task: TaskHandle):
            from mdt.caseformat import read_imports

            task.progress(0, 0, f"Reading {Path(path).name}")
            return read_imports(path)  # merged into what is stored: absent fields stay

        def done(cases: list[CaseImport]) -> None:
            try:
                summary = self.ops.call(f"Nothing imported from {Path(path).name}",
                                        lambda s: s.import_cases(cases))
            except Exception as exc:  # noqa: BLE001 - _import_refused says it once
                self._import_refused(path, exc)
                return
            self.reload_patients()
            self.show_message(
                f"Imported {Path(path).name}: {summary.patients_created} new patients, "
                f"{summary.patients_updated} updated, {summary.reviews_added} reviews added, "
                f"{summary.reviews_revised} revised"
                + (f"; {len(summary.cleared)} value(s) cleared" if summary.cleared else ""))
            from mdt.minutes.fonts import print_warning

            unprintable = [n for n in (print_warning(c.case.patient.name or "", f"The name of {c.case.patient.id}")
                                       for c in cases) if n]
            if summary.cleared or unprintable:
                text = (f"{Path(path).name} cleared {len(summary.cleared)} stored value(s) with an "
                        f"explicit null." if summary.cleared else f"Imported {Path(path).name}.")
                if unprintable:
                    text += "\n\n" + "\n".join(unprintable)
                box = QMessageBox(QMessageBox.Icon.Information, "Import", text, parent=self)
                if summary.cleared:
                    box.setDetailedText("\n".join(summary.cleared))
                box.open()
                self.last_import_box = box
            if summary.patient_ids:
                self.open_patient(summary.patient_ids[0], select=True)

        return self.tasks.run(f"Importing {Path(path).name}", work, done,
                              lambda exc, _tb: self._import_refused(path, exc))

    def _import_refused(self, path: str, exc: BaseException) -> None:
        """One dialog naming every problem (a file may have many), and the status bar."""
        name = Path(path).name
        self.report_error(f"Nothing imported from {name}", exc)
        if not isinstance(exc, MdtError):
            return  # report_error showed the unexpected error's own box
        problems = getattr(exc, "problems", None) or []
        lines = [str(p) for p in problems] or [str(exc)]
        box = QMessageBox(QMessageBox.Icon.Warning, "Import",
                          f"Nothing was imported from {name}; the database is unchanged.\n\n"
                          + "\n".join(f"• {line}" for line in lines[:8])
                          + (f"\n… and {len(lines) - 8} more (Show Details)" if len(lines) > 8 else ""),
                          parent=self)
        if len(lines) > 8:
            box.setDetailedText("\n".join(lines))
        box.setStyleSheet("QLabel#qt_msgbox_label { min-width: 620px; }")  # a problem per line
        box.open()
        self.last_import_box = box

    def export_case_dialog(self) -> None:
        case = self.current_case
        if case is None:
            return
        path = self._ask_save_path("Export case", f"{case.patient.id}.json", "mdt-case/1 files (*.json)")
        if path:
            self.export_case_file(path)

    def export_case_file(self, path: str) -> bool:
        from mdt.atomic import atomic_write
        from mdt.caseformat import dump_case

        case = self.current_case
        if case is None:
            return False
        try:
            text = dump_case(self.service.export_case(case.patient.id))
            atomic_write(path, text)  # all or nothing (mdt.atomic)
        except (MdtError, OSError) as exc:
            self.report_error(f"Cannot export to {path}", exc)
            return False
        self.show_message(f"Exported {case.patient.id} to {path}")
        return True

    def import_dicom(self) -> QDialog | None:
        from ui.viewer.import_dialog import DicomImportDialog

        dialog = DicomImportDialog(self.service, tasks=self.tasks, parent=self)
        dialog.imported.connect(lambda _report: self.reload_patients())
        dialog.imported.connect(self._dicom_imported)
        dialog.finished.connect(lambda _r: self.reload_patients())
        return self._open_dialog(dialog)

    def _dicom_imported(self, report: object) -> None:
        """The status bar says what the import did (its first line: files read), not its name."""
        lines = report.summary_lines()  # type: ignore[attr-defined]
        head = ("DICOM import cancelled: " if getattr(report, "cancelled", False) else "DICOM import finished: ")
        series = len(getattr(report, "series", ()))
        self.show_message(f"{head}{lines[0] if lines else ''}; {series} new or changed series", 15000)

    # ------------------------------------------------------------------ printing
    def print_patient_report(self, path: str | None = None, open_viewer: bool = True) -> TaskHandle | None:
        """The patient's course report as PDF, rendered in the background, then opened."""
        case = self.current_case
        if case is None:
            return None
        path = path or self._ask_save_path("Save patient report", f"{case.patient.id}-report.pdf",
                                           "PDF (*.pdf)")
        if not path:
            return None
        pid = case.patient.id

        def render(service: MdtService) -> None:
            from mdt.minutes.collect import write_course_report

            write_course_report(service, pid, path)

        return self._render_pdf(f"Printing the report of {pid}", render, path, open_viewer)

    def print_minutes(self, path: str | None = None, open_viewer: bool = True) -> TaskHandle | None:
        """The minutes of the meeting chosen in meeting mode (draft until signed)."""
        meeting_id = self.meeting.current_meeting_id()
        if meeting_id is None:
            self.show_message("Choose a meeting first (Meeting mode, Ctrl+M)")
            return None
        path = path or self._ask_save_path("Save meeting minutes", f"{meeting_id}-minutes.pdf", "PDF (*.pdf)")
        if not path:
            return None

        def render(service: MdtService) -> None:
            from mdt.minutes.collect import write_minutes

            write_minutes(service, meeting_id, path)

        return self._render_pdf(f"Printing the minutes of {meeting_id}", render, path, open_viewer)

    def print_outcome_sheet(self, path: str | None = None, open_viewer: bool = True, *,
                            meeting: bool = False) -> TaskHandle | None:
        """The one-page outcome sheet of the review shown (``meeting``: of every patient on the
        meeting chosen in meeting mode), for the patients' records."""
        from mdt.minutes import write_outcome_sheets

        if meeting:
            meeting_id = self.meeting.current_meeting_id()
            if meeting_id is None:
                self.show_message("Choose a meeting first (Meeting mode, Ctrl+M)")
                return None
            path = path or self._ask_save_path("Save outcome sheets", f"{meeting_id}-outcome-sheets.pdf",
                                               "PDF (*.pdf)")
            if not path:
                return None
            return self._render_pdf(f"Printing the outcome sheets of {meeting_id}",
                                    lambda svc: write_outcome_sheets(svc, path, meeting_id=meeting_id),
                                    path, open_viewer)
        case, record = self.current_case, self.current_record()
        if case is None:
            return None
        if record is None:
            self.show_message(f"{case.patient.id} has no review yet: there is no outcome to print")
            return None
        pid, when = case.patient.id, record.review.date
        path = path or self._ask_save_path("Save outcome sheet", f"{pid}-{when.isoformat()}-outcome.pdf",
                                           "PDF (*.pdf)")
        if not path:
            return None
        return self._render_pdf(f"Printing the outcome sheet of {pid}",
                                lambda svc: write_outcome_sheets(svc, path, patient_id=pid, review_date=when),
                                path, open_viewer)

    def _render_pdf(self, what: str, render: Callable[[MdtService], object], path: str,
                    open_viewer: bool) -> TaskHandle:
        # A service of its own: reads on the worker thread never share a session.
        worker = self.service.fork()

        def work(task: TaskHandle) -> str:
            task.progress(0, 0, what)
            render(worker)
            return path

        def done(out: str) -> None:
            self.show_message(f"Saved {out}")
            self.last_pdf = out
            if open_viewer:
                QDesktopServices.openUrl(QUrl.fromLocalFile(out))

        return self.tasks.run(what, work, done, lambda exc, _tb: self.report_error(what, exc))

    # ------------------------------------------------------------------ tasks
    def _task_started(self, label_text: str) -> None:
        if not label_text:  # quiet background work (engine verdicts)
            return
        self.progress.setRange(0, 0)
        self.progress.setFormat(label_text)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.show_message(label_text, 0)

    def _task_progress(self, done: int, total: int, text: str) -> None:
        if not self.progress.isVisible():
            return
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        if text:
            self.progress.setFormat(text)

    def _task_finished(self, label_text: str) -> None:
        if label_text and self.statusBar().currentMessage() == label_text:
            # "Import DICOM" shown while it ran must not stay for ever once it has finished (a
            # result the task's own callback showed has replaced it already).
            self.statusBar().clearMessage()
        if not self.tasks.busy:
            self.progress.setVisible(False)
            self.cancel_button.setVisible(False)

    # ------------------------------------------------------------------ misc
    def switch_user(self) -> QDialog:
        """Another member signs in (with their password); nothing is preselected."""
        from ui.signin import SignInDialog

        dialog = SignInDialog(self.service.door, self, title="Switch user")

        def chosen() -> None:
            if dialog.actor is not None and dialog.actor.member_id != self.service.actor.member_id:
                if not self.confirm_discard(dialog.actor):
                    return
            if dialog.actor is not None:
                self.become(dialog.actor)

        dialog.accepted.connect(chosen)
        return self._open_dialog(dialog)

    def become(self, actor) -> None:
        """Act as ``actor`` (signed in) from now on: status bar, permissions, undo history."""
        member = next((m for m in self.service.list_members(include_inactive=True)
                       if m.id == actor.member_id), None)
        changed = actor.member_id != self.service.actor.member_id
        self.member = member
        self.service = self.service.acting_as(actor)
        self.ops.set_service(self.service)
        who = actor.name
        if member is not None:
            who += f"  ({SPECIALTY_LABELS.get(member.specialty, member.specialty)}, {member.role})"
        self.user_label.setText(f"User: {who}")
        if changed:
            self.undo_stack.clear()  # one member's undo history is not another's to undo
            self.meeting.reload()
            if self.current_case is not None:
                self.open_patient(self.current_case.patient.id, keep_review=True)
        self.idle.set_minutes(self._lock_minutes())

    # ------------------------------------------------------------------ screen lock
    def _lock_minutes(self) -> float:
        try:
            return self.service.settings().lock_minutes
        except Exception:  # noqa: BLE001 - a setting must never stop the window
            return 15

    def unsaved_work(self) -> list[str]:
        """What the current member typed but has not recorded yet (open dialog, fields)."""
        from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QTextEdit

        found: list[str] = []
        if self.current_dialog is not None and self.current_dialog.isVisible():
            found.append(f"the open dialog “{self.current_dialog.windowTitle()}”")
        for edit in self.findChildren(QLineEdit):
            if edit.isVisible() and not edit.isReadOnly() and edit.isModified() and edit.text():
                found.append(edit.accessibleName() or edit.placeholderText() or "a text field")
        for box in list(self.findChildren(QPlainTextEdit)) + list(self.findChildren(QTextEdit)):
            if box.isVisible() and not box.isReadOnly() and box.document().isModified() \
                    and box.toPlainText().strip():
                found.append(box.accessibleName() or "a text box")
        return found

    def confirm_discard(self, new_actor) -> bool:
        """Before another member takes over: say what the current one would lose."""
        lost = self.unsaved_work()
        if not lost:
            return True
        answer = QMessageBox.question(
            self, "Switch user",
            f"{self.service.actor.name} has unrecorded input: {', '.join(lost)}.\n\n"
            f"Sign in as {new_actor.name} and discard it?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Discard:
            return False
        if self.current_dialog is not None:
            self.current_dialog.reject()
        return True

    def lock(self) -> QDialog | None:
        """Hide the record and ask for a password (after inactivity, or Ctrl+L)."""
        from ui.signin import LockScreen

        if self.locked_screen is not None:
            return self.locked_screen
        self.idle.set_minutes(0)
        self.centralWidget().setVisible(False)  # no patient data on an unattended screen
        if self._presentation is not None:
            self._presentation.setVisible(False)
        screen = LockScreen(self.service.door, self.service.actor, self,
                            confirm_switch=self.confirm_discard)
        screen.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.locked_screen = screen

        def unlocked() -> None:
            self.locked_screen = None
            self.centralWidget().setVisible(True)
            if self._presentation is not None:
                self._presentation.setVisible(True)
            if screen.actor is not None:
                self.become(screen.actor)
            self.idle.set_minutes(self._lock_minutes())

        screen.accepted.connect(unlocked)
        apply_roles(screen)
        screen.open()
        return screen

    def show_about(self) -> QDialog:
        from ui.about import AboutDialog

        return self._open_dialog(AboutDialog(self))

    def restore_layout(self) -> bool:
        """The window's size and place from the last session; False when there is none."""
        geometry = QSettings().value("main/geometry")
        return geometry is not None and bool(self.restoreGeometry(geometry))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        # Edits are already saved; only let pending background work stop cleanly.
        self.flush_pending_refresh()
        self.tasks.cancel_all()
        self.tasks.wait(5000)
        self.idle.stop()
        if self._presentation is not None:
            self._presentation.close()
        QSettings().setValue("main/geometry", self.saveGeometry())
        super().closeEvent(event)


class _PageScroll(QScrollArea):
    """A tab page that scrolls when the screen is shorter than its form (1366×768)."""

    def __init__(self, page: QWidget) -> None:
        super().__init__()
        self.setWidget(page)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a frame, not a Tab stop
