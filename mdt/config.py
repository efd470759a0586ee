"""Where the application keeps its database and settings.

Portable mode: when a file named ``PORTABLE`` (see ``PORTABLE_MARKER``) sits
beside the executable (or beside ``main.py`` from a checkout), data lives in a
``data/`` folder next to it, for a USB stick or a shared drive.  Otherwise it
lives in the user's data directory (platformdirs).  The window's settings follow
the data in portable mode and when ``MDT_DATA_DIR`` names the folder
(:func:`settings_dir`); otherwise they live where the platform keeps them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_data_dir

from mdt import APP_ID

PORTABLE_MARKER = "PORTABLE"
ENV_DATABASE_URL = "MDT_DATABASE_URL"
ENV_DATA_DIR = "MDT_DATA_DIR"


def app_dir() -> Path:
    """The folder of the executable (frozen) or of ``main.py`` (checkout)."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def is_portable() -> bool:
    return (app_dir() / PORTABLE_MARKER).exists()


def data_dir() -> Path:
    """The folder for the database, backups and settings (created on demand)."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        path = Path(override)
    elif is_portable():
        path = app_dir() / "data"
    else:
        path = Path(user_data_dir(APP_ID, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings_dir() -> Path | None:
    """The folder for the window's settings file when they must stay with the data (portable
    mode, or ``MDT_DATA_DIR`` set): nothing is then written to the host's ``~/.config`` or
    registry.  None: the platform's usual place for an installed application."""
    if os.environ.get(ENV_DATA_DIR) or is_portable():
        return data_dir()
    return None


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'liver-mdt.sqlite3'}"


def database_url(cli_value: str | None = None) -> str:
    """``--db`` beats ``MDT_DATABASE_URL`` beats the embedded SQLite file."""
    return cli_value or os.environ.get(ENV_DATABASE_URL) or default_database_url()
