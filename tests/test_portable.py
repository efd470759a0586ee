"""Portable mode and the packaged bundle.

With a ``PORTABLE`` file beside the executable, the database and settings live
in ``data/`` beside it (a USB stick, a shared drive); otherwise in the user's
data directory.  The bundle test builds the real one-folder executable and runs
its self-test from a copy outside the checkout (CI, or ``MDT_BUILD_BUNDLE=1``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mdt import config

ROOT = Path(__file__).resolve().parent.parent

BUNDLE_BUDGET_MB = 350
"""Size limit of the one-folder bundle (MB of 10^6 bytes; a symbolic link counts as a link).

It was 250 MB until the outcome statistics (scipy with its own OpenBLAS, lifelines with
pandas; 95 MB frozen) and signed minutes (pyHanko, cryptography; 14 MB) arrived.  Measured
after trimming everything the application never loads (BENCHMARKS.md, "Packaged bundle"):
345.2 MB, of which the two OpenBLAS builds that numpy (64-bit integers) and scipy (32-bit)
each link are 50 MB and cannot serve each other.  Under 250 MB means dropping a function;
the 5 MB of headroom takes code and data, not a new native library: that one must be
measured and this figure argued again."""


@pytest.fixture
def frozen_at(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Pretend to run as the packaged executable ``tmp_path/app/liver-mdt``."""
    app = tmp_path / "app"
    app.mkdir()
    exe = app / "liver-mdt"
    exe.write_text("")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    monkeypatch.delenv(config.ENV_DATA_DIR, raising=False)
    monkeypatch.delenv(config.ENV_DATABASE_URL, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))
    return app


def test_frozen_app_dir_is_the_executables_folder(frozen_at: Path) -> None:
    assert config.app_dir() == frozen_at.resolve()


def test_portable_marker_puts_data_beside_the_executable(frozen_at: Path, tmp_path: Path) -> None:
    (frozen_at / config.PORTABLE_MARKER).write_text("")
    assert config.is_portable()
    assert config.data_dir() == frozen_at.resolve() / "data"
    assert config.database_url() == f"sqlite:///{frozen_at.resolve() / 'data' / 'liver-mdt.sqlite3'}"
    assert not (tmp_path / "home" / ".local" / "share" / "liver-mdt").exists()


def test_without_marker_data_lives_in_the_users_data_directory(frozen_at: Path,
                                                               tmp_path: Path) -> None:
    assert not config.is_portable()
    expected = tmp_path / "home" / ".local" / "share" / "liver-mdt"
    assert config.data_dir() == expected
    assert expected.is_dir()
    assert not (frozen_at / "data").exists()
    assert config.database_url() == f"sqlite:///{expected / 'liver-mdt.sqlite3'}"


def test_marker_is_a_file_named_exactly_portable(frozen_at: Path) -> None:
    (frozen_at / "portable.txt").write_text("")
    (frozen_at / "data").mkdir()
    assert not config.is_portable()


def test_explicit_settings_beat_portable_mode(frozen_at: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (frozen_at / config.PORTABLE_MARKER).write_text("")
    monkeypatch.setenv(config.ENV_DATA_DIR, str(tmp_path / "elsewhere"))
    assert config.data_dir() == tmp_path / "elsewhere"
    monkeypatch.setenv(config.ENV_DATABASE_URL, "sqlite:///from-env.db")
    assert config.database_url() == "sqlite:///from-env.db"
    assert config.database_url("sqlite:///from-cli.db") == "sqlite:///from-cli.db"


def test_from_a_checkout_app_dir_is_the_folder_of_main_py(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert config.app_dir() == ROOT
    assert (config.app_dir() / "main.py").exists()


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("MDT_BUILD_BUNDLE") != "1",
                    reason="builds the PyInstaller bundle (minutes): CI or MDT_BUILD_BUNDLE=1")
def test_bundle_builds_and_passes_its_self_test_outside_the_checkout() -> None:
    """scripts/build-bundle.sh: build, copy out, hide .venv, --self-test, the frozen command
    line against the checkout, portable mode; then the size budget."""
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "build-bundle.sh")], cwd=ROOT,
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "self-test: ok" in proc.stdout
    # outcomes --json/--pdf, sign, verify-minutes and import-dicom, run frozen and held to
    # the checkout's results
    assert "command line: ok" in proc.stdout
    assert "portable: ok" in proc.stdout
    size_mb = sum(p.lstat().st_size for p in (ROOT / "dist" / "liver-mdt").rglob("*")
                  if not p.is_dir() or p.is_symlink()) / 1e6
    assert size_mb < BUNDLE_BUDGET_MB, f"bundle is {size_mb:.1f} MB (budget {BUNDLE_BUDGET_MB} MB)"
