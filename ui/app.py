"""Start the window: QApplication, bundled font, database, demo data on an
empty database, sign-in at start-up (``ui.signin``: nothing preselected, a password,
or the operating-system login where the hospital chose that), then the main window.

``run_app`` is what ``main.py`` calls; ``create_window`` builds the same window
without the event loop (tests, the benchmark and the self-test use it).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QApplication,
    QMessageBox,
)

import mdt
from mdt.errors import MdtError
from mdt.meeting import Member
from mdt.services import Actor, Door, MdtService, open_door
from ui.patients.dialogs import problems_text
from ui.settings import apply_settings_location
from ui.signin import SignInDialog
from ui.style import apply_roles, apply_style


def ensure_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        QCoreApplication.setOrganizationName(mdt.APP_NAME)
        QCoreApplication.setApplicationName(mdt.APP_ID)
        apply_settings_location()  # portable mode: settings in data/, before any QSettings
        app = QApplication(argv if argv is not None else sys.argv[:1])
    apply_style(app)  # type: ignore[arg-type]
    return app  # type: ignore[return-value]


def find_member(service: MdtService, name: str | None) -> Member | None:
    if not name:
        return None
    try:
        members = service.list_members()
    except MdtError:
        return None
    return next((m for m in members if m.name.casefold() == name.casefold()), None)


def create_window(door: Door, member: Member | None = None, actor: Actor | None = None, *,
                  synchronous_tasks: bool = False, today: Callable[[], date] = date.today):
    """The main window behind ``door`` (an open database), acting as ``actor`` (signed in),
    else as ``member`` unauthenticated (tests of views that need no role)."""
    from ui.main_window import MainWindow
    from ui.tasks import TaskRunner

    if actor is None:
        actor = Actor.for_member(member) if member is not None else Actor("unknown")
    tasks = TaskRunner(synchronous=synchronous_tasks)
    window = MainWindow(door.service(actor), db_label=door.label, member=member, tasks=tasks,
                        today=today)
    tasks.setParent(window)
    return window


def start_window(db_url: str | None = None, user: str | None = None):
    """Everything up to an interactive window: ``(app, window, door)``, or an exit code when
    the database cannot open (1) or nobody was chosen at "who are you" (0)."""
    app = ensure_application()
    try:
        door = open_door(db_url)
    except MdtError as exc:
        QMessageBox.critical(None, mdt.APP_NAME, f"Cannot open the database:\n{exc}")
        return 1
    try:
        if not door.read_only:  # a read-only copy (a DVD) is shown as it is
            door.seed_demo_if_empty()
    except MdtError as exc:
        QMessageBox.warning(None, mdt.APP_NAME, f"Demo data not loaded:\n{problems_text(exc)}")
    actor = door.sign_in_os()
    if actor is not None and user and user.casefold() != actor.name.casefold():
        actor = None  # --user names someone else: they sign in with their password
    if actor is None:
        dialog = SignInDialog(door, typed=user)
        apply_roles(dialog)
        if dialog.exec() != SignInDialog.DialogCode.Accepted or dialog.actor is None:
            door.close()
            return 0
        actor = dialog.actor
    members = door.service(actor).list_members(include_inactive=True)
    member = next((m for m in members if m.id == actor.member_id), None)
    window = create_window(door, member, actor)
    if not window.restore_layout():
        # First start: fill the screen (the room's projector is usually 1920x1080).
        screen = app.primaryScreen().availableGeometry()
        window.setGeometry(screen)
        window.showMaximized()
    else:
        window.show()
    return app, window, door


def run_app(db_url: str | None = None, user: str | None = None) -> int:
    """Open the window; returns the exit code of the event loop (1 when the database cannot open)."""
    started = start_window(db_url, user)
    if isinstance(started, int):
        return started
    app, _window, door = started
    code = app.exec()
    door.close()
    return code
