"""Every file the product writes goes through here: all of it, or nothing at all.

A file is written to a temporary file in the target's own folder, flushed and
``fsync``-ed, then renamed over the target (``os.replace``, atomic on POSIX and
Windows), and the folder is synced so the rename survives a power cut.  When
anything fails (disk full, no permission, read-only mount, a name too long, a
folder that cannot exist such as ``/proc/x``) the temporary file is removed, the
target is left exactly as it was (an earlier good export stays good), and a
:class:`WriteError` says what happened in words.

- :func:`atomic_write` writes bytes or text;
- :func:`atomic_output` yields a binary file object (for writers that stream);
- :func:`atomic_path` yields a temporary *path* (for writers that need a file
  name, such as the SQLite backup API) and moves it into place on success.

``mdt.imaging`` and any later writer should use these too.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from mdt.errors import MdtError


def _umask() -> int:
    # Read once, at import (os.umask can only be read by setting it).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_NEW_FILE_MODE = 0o666 & ~_umask()


class WriteError(MdtError):
    """A file could not be written; nothing was written (the message says why)."""

    def __init__(self, path: str | Path, why: str):
        self.path = str(path)
        self.why = why
        super().__init__(f"cannot write {_show(path)}: {why}; nothing was written"
                         + (" (the file already there is unchanged)" if _is_file(Path(path))
                            else ""))


_REASONS = {
    errno.ENOSPC: "the disk is full (no space left on the device)",
    errno.EDQUOT: "your disk quota is used up",
    errno.EACCES: "permission denied (you may not write in that folder)",
    errno.EPERM: "permission denied (you may not write in that folder)",
    errno.EROFS: "it is on a read-only disk or mount",
    errno.ENOENT: "the folder does not exist",
    errno.ENAMETOOLONG: "the file name is too long for the disk",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "that is a folder, not a file",
    errno.EIO: "the disk reported an input/output error",
    errno.EFBIG: "the file is larger than the disk allows",
    errno.EEXIST: "a file of that name already exists",
}


def describe_os_error(exc: OSError) -> str:
    """An OSError in words a user reads (``the disk is full ...``)."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return (exc.strerror or str(exc)).rstrip(".").lower() or "the system refused"


def _show(path: str | Path) -> str:
    text = str(path)
    text = text if len(text) <= 120 else text[:60] + "…" + text[-40:]
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long, a loop: nothing usable is there
        return False


def _prepare(target: Path, make_folders: bool) -> None:
    folder = target.parent
    try:
        if make_folders:
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.is_dir():
            raise OSError(errno.ENOENT if not _exists(folder) else errno.ENOTDIR, str(folder))
        if target.is_dir():
            raise WriteError(target, _REASONS[errno.EISDIR])
        if len(target.name.encode("utf-8", "surrogateescape")) > 255:
            raise OSError(errno.ENAMETOOLONG, "File name too long")
    except OSError as exc:
        raise WriteError(target, describe_os_error(exc)) from exc


def _sync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk (POSIX); Windows
    # cannot open a folder, and some filesystems refuse: the data itself is synced.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _unlink_quietly(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            p.unlink()


def _place(tmp: Path, target: Path, overwrite: bool) -> None:
    if not overwrite and _exists(target):
        raise WriteError(target, _REASONS[errno.EEXIST] + "; choose a new file name")
    os.replace(tmp, target)
    _sync_folder(target.parent)


@contextlib.contextmanager
def atomic_path(path: str | Path, *, overwrite: bool = True, suffix: str = ".part",
                make_folders: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path``; moved onto ``path`` when the block ends normally.

    The block writes the whole file at the yielded path (and may fsync it itself; the
    file is synced again here).  On any error the partial file and SQLite's side files
    (``-journal``, ``-wal``, ``-shm``) are removed.  ``overwrite=False`` refuses to
    replace an existing file (checked before and after writing).  ``make_folders``
    creates missing folders (the application's own ``backups/``); a user's path with a
    folder that does not exist is an error, as a mistyped path should be."""
    target = Path(path)
    if not overwrite and _exists(target):
        raise WriteError(target, _REASONS[errno.EEXIST] + "; choose a new file name")
    _prepare(target, make_folders)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name[:80]}.", suffix=suffix,
                                    dir=target.parent)
    except OSError as exc:
        raise WriteError(target, describe_os_error(exc)) from exc
    os.close(fd)
    tmp = Path(name)
    # mkstemp makes the file private (0600); give it the mode a plain write would have
    # (the existing file's, or the user's default), so an export stays readable by others.
    with contextlib.suppress(OSError):
        os.chmod(tmp, target.stat().st_mode & 0o777 if _is_file(target) else _NEW_FILE_MODE)
    side = [tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm")]
    try:
        yield tmp
        _fsync_file(tmp)
        _place(tmp, target, overwrite)
    except OSError as exc:
        _unlink_quietly(tmp, *side)
        raise WriteError(target, describe_os_error(exc)) from exc
    except BaseException:
        _unlink_quietly(tmp, *side)
        raise
    _unlink_quietly(*side)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: str | Path, *, overwrite: bool = True,
                  make_folders: bool = False) -> Iterator[BinaryIO]:
    """A binary file object whose content becomes ``path`` when the block ends normally."""
    with atomic_path(path, overwrite=overwrite, make_folders=make_folders) as tmp:
        try:
            with open(tmp, "wb") as out:
                yield out
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise WriteError(path, describe_os_error(exc)) from exc


def atomic_write(path: str | Path, data: bytes | str, *, overwrite: bool = True,
                 encoding: str = "utf-8", make_folders: bool = False) -> Path:
    """Write ``data`` (text is encoded as UTF-8) to ``path``, all of it or nothing."""
    payload = data.encode(encoding) if isinstance(data, str) else data
    with atomic_output(path, overwrite=overwrite, make_folders=make_folders) as out:
        out.write(payload)
    return Path(path)


__all__ = ["WriteError", "atomic_output", "atomic_path", "atomic_write", "describe_os_error"]
