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
from mdt.services import Actor, MdtService, seed_demo_if_empty, sign_in_os
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


def db_label(db) -> str:
    path = getattr(db, "sqlite_path", None)
    if path is not None:
        return str(path)
    from sqlalchemy.engine import make_url

    try:
        return make_url(db.url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a label only
        return "database"


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
    """The main window over an open database, acting as ``actor`` (signed in), else as
    ``member`` unauthenticated (tests of views that need no role)."""
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
        if not db.read_only:  # a read-only copy (a DVD) is shown as it is
            seed_demo_if_empty(db)
    except MdtError as exc:
        QMessageBox.warning(None, mdt.APP_NAME, f"Demo data not loaded:\n{problems_text(exc)}")
    actor = sign_in_os(db)
    if actor is not None and user and user.casefold() != actor.name.casefold():
        actor = None  # --user names someone else: they sign in with their password
    if actor is None:
        dialog = SignInDialog(db, typed=user)
        apply_roles(dialog)
        if dialog.exec() != SignInDialog.DialogCode.Accepted or dialog.actor is None:
            db.close()
            return 0
        actor = dialog.actor
    members = MdtService(db, actor).list_members(include_inactive=True)
    member = next((m for m in members if m.id == actor.member_id), None)
    window = create_window(db, member, actor)
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
