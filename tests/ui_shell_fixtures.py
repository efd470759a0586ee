"""Fixtures for the window tests: a temporary seeded database
and the real main window over it, acting as the demo chair.

Import them explicitly: ``from tests.ui_shell_fixtures import *  # noqa: F401,F403``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

FIXED_TODAY = date(2026, 11, 20)
"""The day the tests pretend it is (the demo data's meeting week), so "overdue" is stable."""


@pytest.fixture
def qsettings_tmp(tmp_path: Path) -> Iterator[None]:
    """Window geometry goes to a temporary INI file, never to the user's settings."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    yield


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ui-test.sqlite3'}"


@pytest.fixture
def seeded_db(db_url: str):
    from mdt.services import seed_demo_if_empty
    from mdt.store.db import open_database

    db = open_database(db_url)
    seed_demo_if_empty(db)
    yield db
    db.close()


def member_named(db, role: str):
    from mdt.services import Actor, MdtService

    members = MdtService(db, Actor("test")).list_members()
    return next(m for m in members if m.role == role)


@pytest.fixture
def chair(seeded_db):
    return member_named(seeded_db, "chair")


def make_window(qtbot, db, member):
    """The main window with ``member`` signed in (as the sign-in dialog would have done)."""
    from mdt.services import Door
    from tests.signin_fixtures import signed_in
    from ui.app import create_window, ensure_application

    ensure_application()
    window = create_window(Door(db), member, signed_in(db, member.name), synchronous_tasks=True,
                           today=lambda: FIXED_TODAY)
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    window.show()
    qtbot.waitExposed(window)
    # The review editor builds in the idle time after start-up; tests start once it is there.
    qtbot.waitUntil(lambda: window.review_tab.editor is not None, timeout=10000)
    return window


@pytest.fixture
def main_window(qtbot, qsettings_tmp, seeded_db, chair):
    window = make_window(qtbot, seeded_db, chair)
    yield window
    window.close()
