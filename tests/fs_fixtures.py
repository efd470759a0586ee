"""Real places that refuse writes, for the fault tests.

``small_disk``: a 2 MB tmpfs mounted for the test when it runs as root (a real full
disk: ``fill()`` writes until ENOSPC); otherwise a folder whose atomic writes fail with
ENOSPC at their sync (a simulation: ``real`` is False, and tests that need SQLite
itself to hit the full disk skip).  ``read_only_place``: a folder that cannot be written
(a tmpfs remounted read-only as root, else ``chmod``); ``lock()`` makes it so after the
test put files in it.

Import them explicitly: ``from tests.fs_fixtures import read_only_place, small_disk  # noqa: F401``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=1777", "tmpfs", str(where)],
                       capture_output=True, text=True)
    return r.returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


@dataclass
class SmallDisk:
    path: Path
    real: bool
    monkeypatch: pytest.MonkeyPatch
    _filler: list[Path] = field(default_factory=list)

    def fill(self) -> None:
        """No byte left (real), or every atomic write under ``path`` fails (simulated)."""
        if self.real:
            filler = self.path / "filler"
            self._filler.append(filler)
            with open(filler, "wb", buffering=0) as out, contextlib.suppress(OSError):
                while True:
                    out.write(b"\0" * 4096)
            return
        import mdt.atomic

        real_sync = mdt.atomic._fsync_file

        def full(path: Path) -> None:
            if Path(path).resolve().is_relative_to(self.path.resolve()):
                raise OSError(errno.ENOSPC, "No space left on device")
            real_sync(path)

        self.monkeypatch.setattr(mdt.atomic, "_fsync_file", full)

    def free(self) -> None:
        for f in self._filler:
            f.unlink(missing_ok=True)
        self._filler.clear()
        self.monkeypatch.undo()

    def files(self) -> set[str]:
        return {p.name for p in self.path.iterdir()} - {"filler"}


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmallDisk]:
    where = tmp_path / "small-disk"
    where.mkdir()
    real = _mount_tmpfs(where, "2m")
    try:
        yield SmallDisk(where, real, monkeypatch)
    finally:
        if real:
            _umount(where)


@dataclass
class ReadOnlyPlace:
    path: Path
    how: str  # "mount" (root: a read-only tmpfs) or "chmod"

    def lock(self) -> None:
        if self.how == "mount":
            subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True,
                           capture_output=True)
        else:
            for p in self.path.iterdir():
                p.chmod(0o444)
            self.path.chmod(0o555)


@pytest.fixture
def read_only_place(tmp_path: Path) -> Iterator[ReadOnlyPlace]:
    where = tmp_path / "read-only"
    where.mkdir()
    mounted = _mount_tmpfs(where, "8m")
    place = ReadOnlyPlace(where, "mount" if mounted else "chmod")
    try:
        yield place
    finally:
        if mounted:
            _umount(where)
        else:
            where.chmod(0o755)
