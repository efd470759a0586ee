"""Where the window's ``QSettings`` live: the platform's usual place, or beside the data.

In portable mode (and whenever ``MDT_DATA_DIR`` names the data folder, see
:func:`mdt.config.settings_dir`) the settings are an INI file in the data folder,
``data/Liver MDT/liver-mdt.ini``, so a USB stick carries them and the host's
``~/.config`` (or the Windows registry) is never written.  Qt reads the location
when a ``QSettings()`` is made, so it is set once, before the first one
(:func:`ui.app.ensure_application` does it when it creates the application).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from mdt import config

_platform_ini_dir: str | None = None
"""Qt's own folder for user INI files, remembered before it is first changed."""


def use_settings_folder(folder: Path | None) -> None:
    """Every ``QSettings()`` made from now on is an INI file under ``folder``; with None,
    the platform's native settings again (Qt's defaults)."""
    global _platform_ini_dir
    ini, user = QSettings.Format.IniFormat, QSettings.Scope.UserScope
    if _platform_ini_dir is None:
        probe = QSettings(ini, user, "organisation", "application")
        _platform_ini_dir = str(Path(probe.fileName()).parent.parent)
    if folder is None:
        QSettings.setPath(ini, user, _platform_ini_dir)
        QSettings.setDefaultFormat(QSettings.Format.NativeFormat)
    else:
        QSettings.setPath(ini, user, str(folder))
        QSettings.setDefaultFormat(ini)


def apply_settings_location() -> Path | None:
    """Settings beside the data when the configuration says so; returns that folder or None."""
    folder = config.settings_dir()
    use_settings_folder(folder)
    return folder
