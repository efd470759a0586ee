"""Crash safety: SIGKILL the application at random points during a stream of saves.

A child process (forked, so it starts in milliseconds with the application
already imported) opens the SQLite database with the application's engine
settings (WAL, ``synchronous=FULL``, foreign keys) and
saves one patient with a review per transaction, acknowledging each save on a
pipe only after the commit returned.  The parent kills it with SIGKILL at a
random moment, many times over, then checks that the file passes
``PRAGMA integrity_check``, that every acknowledged save is present and whole,
and that the audit chain is unbroken.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from mdt.services import Actor, MdtService
from mdt.store.db import Database, make_engine, open_database
from tests.store_fixtures import make_case

KILLS = int(os.environ.get("MDT_KILL_RUNS", "60"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "fork"),
                       reason="needs fork and SIGKILL"),
]


def _child(url: str, prefix: str, ack_fd: int) -> None:
    """The 'application': save, acknowledge, repeat until killed."""
    try:
        # Same engine and per-connection pragmas as open_database(); the parent
        # already migrated, and skipping Alembic keeps the forked child lean.
        db = Database(url=url, engine=make_engine(url))
        svc = MdtService(db, Actor("crash-test"))
        k = 0
        while True:
            pid = f"{prefix}-{k}"
            svc.import_cases([make_case(pid, reviews=1)])
            os.write(ack_fd, f"ACK {pid}\n".encode())
            if k == 0:  # warmed up (statement caches built): the kill window opens
                os.write(ack_fd, b"READY\n")
            k += 1
    finally:
        os._exit(3)


def _read_lines(fd: int, until: float, buf: bytearray, marker: bytes | None = None) -> None:
    """Append what the child writes to ``buf`` until ``until`` (or ``marker`` arrives)."""
    while marker is None or marker not in buf:
        remaining = until - time.monotonic()
        if remaining <= 0:
            return
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            return
        chunk = os.read(fd, 65536)
        if not chunk:
            return
        buf.extend(chunk)


def test_no_acknowledged_save_is_lost_after_sigkill(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    open_database(url).close()  # migrate once, before the storm
    rng = random.Random(20261122)
    acked: list[str] = []
    kills = 0
    deadline = time.monotonic() + 50
    while kills < KILLS:
        assert time.monotonic() < deadline, f"only {kills} kills in the time budget"
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            os.close(read_fd)
            _child(url, f"R{kills}", write_fd)
        os.close(write_fd)
        buf = bytearray()
        # Wait until the child is saving, then let it run for a random moment.
        _read_lines(read_fd, time.monotonic() + 10, buf, marker=b"READY")
        _read_lines(read_fd, time.monotonic() + rng.uniform(0.0, 0.15), buf)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        _read_lines(read_fd, time.monotonic() + 0.05, buf)  # acks written before the kill
        os.close(read_fd)
        acked += [line[4:] for line in buf.decode().splitlines() if line.startswith("ACK ")]
        kills += 1

    with sqlite3.connect(tmp_path / "crash.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {r[0] for r in conn.execute("SELECT mrn FROM patient")}
    lost = sorted(set(acked) - stored)
    print(f"\ncrash test: {kills} kills, {len(acked)} acknowledged saves, "
          f"{len(stored)} stored, {len(lost)} lost")
    assert kills >= 50
    assert len(acked) > kills  # beyond the warm-up saves: kills landed in a stream of saves
    assert lost == []
    db = open_database(url)
    try:
        svc = MdtService(db, Actor("checker"))
        for pid in rng.sample(acked, min(40, len(acked))):
            assert svc.export_case(pid) == make_case(pid, reviews=1)
        result = svc.verify_audit()
        assert result.ok, result.message
    finally:
        db.close()
