"""Start the window: QApplication, bundled font, database, demo data on an
empty database, "who are you" at start-up, then the main window.

``run_app`` is what ``main.py`` calls; ``create_window`` builds the same window
without the event loop (tests, the benchmark and the self-test use it).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QWidget,
)

import mdt
from mdt.errors import MdtError
from mdt.meeting import ROLES, SPECIALTIES, SPECIALTY_LABELS, Member
from mdt.services import Actor, MdtService, seed_demo_if_empty
from ui.meeting.dialog import member_text
from ui.patients.dialogs import _FormDialog, problems_text
from ui.settings import apply_settings_location
from ui.style import apply_style


def ensure_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        QCoreApplication.setOrganizationName(mdt.APP_NAME)
        QCoreApplication.setApplicationName(mdt.APP_ID)
        apply_settings_location()  # portable mode: settings in data/, before any QSettings
        app = QApplication(argv if argv is not None else sys.argv[:1])
    apply_style(app)  # type: ignore[arg-type]
    return app  # type: ignore[return-value]


def db_label(db) -> str:
    path = getattr(db, "sqlite_path", None)
    if path is not None:
        return str(path)
    from sqlalchemy.engine import make_url

    try:
        return make_url(db.url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a label only
        return "database"


class MemberPicker(_FormDialog):
    """"Who are you": choose yourself in the members registry, or add yourself."""

    def __init__(self, service: MdtService, parent: QWidget | None = None, preselect: str | None = None):
        super().__init__("Who are you?", parent)
        self.service = service
        self._chosen: Member | None = None
        try:
            self.members = service.list_members()
        except MdtError:
            self.members = []
        self.list = QListWidget()
        self.list.setAccessibleName("Members")
        self.list.setMinimumHeight(300)
        for m in self.members:
            item = QListWidgetItem(member_text(m))
            item.setData(Qt.ItemDataRole.UserRole, m.name)
            self.list.addItem(item)
        self.list.itemActivated.connect(lambda _i: self._try_accept())
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("or type your name to add yourself")
        self.new_specialty = QComboBox()
        for code in SPECIALTIES:
            self.new_specialty.addItem(SPECIALTY_LABELS[code], code)
        self.new_role = QComboBox()
        self.new_role.addItems(list(ROLES))
        self.new_role.setCurrentText("member" if self.members else "coordinator")
        self.form.addRow(QLabel("Choose yourself: every change is recorded under your name."))
        self.form.addRow(self.list)
        self.form.addRow("&New member", self.new_name)
        self.form.addRow("&Specialty", self.new_specialty)
        self.form.addRow("&Role", self.new_role)
        self.setMinimumWidth(560)
        row = 0
        if preselect:
            row = next((i for i, m in enumerate(self.members) if m.name.casefold() == preselect.casefold()), -1)
            if row < 0:
                self.new_name.setText(preselect)
                row = 0
        if self.members:
            self.list.setCurrentRow(row)
            self.list.setFocus()
        else:
            self.new_name.setFocus()

    def choose(self, name: str) -> bool:
        for i, m in enumerate(self.members):
            if m.name == name:
                self.list.setCurrentRow(i)
                self.new_name.clear()
                return True
        return False

    def chosen_member(self) -> Member | None:
        return self._chosen

    def submit_now(self) -> None:
        name = self.new_name.text().strip()
        if name:
            self._chosen = self.service.add_member(Member(
                name=name, specialty=self.new_specialty.currentData(), role=self.new_role.currentText()))
            return
        row = self.list.currentRow()
        if not 0 <= row < len(self.members):
            from mdt.errors import FieldProblem, ValidationError

            raise ValidationError(FieldProblem("member", "choose your name or type it to add yourself"))
        self._chosen = self.members[row]


def find_member(service: MdtService, name: str | None) -> Member | None:
    if not name:
        return None
    try:
        members = service.list_members()
    except MdtError:
        return None
    return next((m for m in members if m.name.casefold() == name.casefold()), None)


def create_window(db, member: Member | None = None, actor: Actor | None = None, *,
                  synchronous_tasks: bool = False, today: Callable[[], date] = date.today):
    """The main window over an open database, acting as ``member`` (or ``actor``)."""
    from ui.main_window import MainWindow
    from ui.tasks import TaskRunner

    if actor is None:
        actor = Actor.for_member(member) if member is not None else Actor("unknown")
    service = MdtService(db, actor)
    tasks = TaskRunner(synchronous=synchronous_tasks)
    window = MainWindow(service, db_label=db_label(db), member=member, tasks=tasks, today=today)
    tasks.setParent(window)
    return window


def start_window(db_url: str | None = None, user: str | None = None):
    """Everything up to an interactive window: ``(app, window, db)``, or an exit code when the
    database cannot open (1) or nobody was chosen at "who are you" (0)."""
    app = ensure_application()
    from mdt.store.db import open_database

    try:
        db = open_database(db_url)
    except MdtError as exc:
        QMessageBox.critical(None, mdt.APP_NAME, f"Cannot open the database:\n{exc}")
        return 1
    try:
        seed_demo_if_empty(db)
    except MdtError as exc:
        QMessageBox.warning(None, mdt.APP_NAME, f"Demo data not loaded:\n{problems_text(exc)}")
    bootstrap = MdtService(db, Actor.from_environment(user))
    member = find_member(bootstrap, user)
    if member is None:
        picker = MemberPicker(bootstrap, preselect=user)
        if picker.exec() != MemberPicker.DialogCode.Accepted or picker.chosen_member() is None:
            db.close()
            return 0
        member = picker.chosen_member()
    window = create_window(db, member)
    if not window.restore_layout():
        # First start: fill the screen (the room's projector is usually 1920x1080).
        screen = app.primaryScreen().availableGeometry()
        window.setGeometry(screen)
        window.showMaximized()
    else:
        window.show()
    return app, window, db


def run_app(db_url: str | None = None, user: str | None = None) -> int:
    """Open the window; returns the exit code of the event loop (1 when the database cannot open)."""
    started = start_window(db_url, user)
    if isinstance(started, int):
        return started
    app, _window, db = started
    code = app.exec()
    db.close()
    return code
