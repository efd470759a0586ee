"""Portable mode keeps the window's settings beside the data, as an INI file.

With ``PORTABLE`` beside the executable, the main window's saved geometry lands in
``data/Liver MDT/liver-mdt.ini`` and nothing is written to the host's ``~/.config``;
a second start restores it from there.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mdt import config


@pytest.fixture
def frozen_at(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Pretend to run as the packaged executable ``tmp_path/app/liver-mdt``, with a fresh home."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "liver-mdt").write_text("")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app / "liver-mdt"))
    monkeypatch.delenv(config.ENV_DATA_DIR, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))
    return app


@pytest.mark.parametrize(("portable", "data_dir_env", "expected"), [
    (True, None, "app/data"),
    (True, "elsewhere", "elsewhere"),   # MDT_DATA_DIR beats the marker, for settings too
    (False, "elsewhere", "elsewhere"),
    (False, None, None),                # an installed application: the platform's place
])
def test_settings_follow_the_data_folder(frozen_at: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         portable: bool, data_dir_env: str | None, expected: str | None) -> None:
    if portable:
        (frozen_at / config.PORTABLE_MARKER).write_text("")
    if data_dir_env:
        monkeypatch.setenv(config.ENV_DATA_DIR, str(tmp_path / data_dir_env))
    found = config.settings_dir()
    assert (found if found is None else found.resolve()) == (
        None if expected is None else (tmp_path / expected).resolve())


@pytest.fixture
def app_names(qapp) -> Iterator[None]:  # noqa: ANN001 - pytest-qt's QApplication
    """The application's real names (QSettings files are named after them), restored after."""
    from PySide6.QtCore import QCoreApplication

    import mdt

    before = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    QCoreApplication.setOrganizationName(mdt.APP_NAME)
    QCoreApplication.setApplicationName(mdt.APP_ID)
    yield
    QCoreApplication.setOrganizationName(before[0])
    QCoreApplication.setApplicationName(before[1])


def test_portable_window_keeps_its_geometry_in_data_and_restores_it(
        qtbot, app_names: None, frozen_at: Path, tmp_path: Path) -> None:  # noqa: ANN001
    from PySide6.QtCore import QSettings

    from mdt.services import Actor, Door, MdtService, seed_demo_if_empty
    from mdt.store.db import open_database
    from ui.app import create_window
    from ui.settings import apply_settings_location, use_settings_folder

    (frozen_at / config.PORTABLE_MARKER).write_text("")
    data = frozen_at.resolve() / "data"
    db = open_database(config.database_url())
    try:
        assert apply_settings_location() == data
        seed_demo_if_empty(db)
        chair = next(m for m in MdtService(db, Actor("t")).list_members() if m.role == "chair")
        first = create_window(Door(db), chair, synchronous_tasks=True)
        qtbot.addWidget(first)
        first.show()
        assert not first.restore_layout()  # nothing saved yet: a first start fills the screen
        first.close()  # saves the geometry
        saved = first.saveGeometry()

        ini = data / "Liver MDT" / "liver-mdt.ini"
        assert Path(QSettings().fileName()) == ini
        assert ini.is_file()
        assert QSettings(str(ini), QSettings.Format.IniFormat).value("main/geometry") == saved
        assert not (tmp_path / "home" / ".config").exists()  # the host's settings untouched

        second = create_window(Door(db), chair, synchronous_tasks=True)
        qtbot.addWidget(second)
        assert second.restore_layout()  # read back from data/
        second.close()
    finally:
        db.close()
        use_settings_folder(None)
    assert Path(QSettings().fileName()) != data / "Liver MDT" / "liver-mdt.ini"


def test_the_real_start_up_writes_settings_beside_the_data_not_in_home(tmp_path: Path) -> None:
    """main.py's start-up path (the probe opens and closes the real window) with the data
    folder named: the INI file is there, the host's ~/.config stays empty."""
    import os
    import subprocess

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", config.ENV_DATA_DIR: str(tmp_path / "data"),
           "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config")}
    env.pop(config.ENV_DATABASE_URL, None)
    proc = subprocess.run([sys.executable, str(root / "main.py"), "--user", "Anne Martin", "startup-probe"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "data" / "liver-mdt.sqlite3").is_file()
    assert (tmp_path / "data" / "Liver MDT" / "liver-mdt.ini").is_file()
    assert not (tmp_path / "home" / ".config").exists()
