"""The sign-in list on a database with a long audit trail (the wrong-password lock-out reads each
member's recent sign-in events).

    .venv/bin/python bench/bench_signin_list.py [--events 300000]

Prints the time to build the sign-in list (every member with their lock-out state) beside the
baseline measured in the same run: listing the same members with no lock-out reading.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from sqlalchemy import select

    from mdt.services import seed_demo_if_empty, signin_states
    from mdt.store.db import open_database
    from mdt.store.models import MemberModel

    path = Path(tempfile.mkdtemp()) / "trail.sqlite3"
    db = open_database(f"sqlite:///{path}")
    seed_demo_if_empty(db)
    con = sqlite3.connect(path)
    top = con.execute("SELECT max(id) FROM audit_event").fetchone()[0]
    body = "x" * 1500  # a review's before/after text is of this order
    con.executemany(
        "INSERT INTO audit_event (id, occurred_at, actor, action, entity, entity_id, before, after,"
        " prev_hash, hash) VALUES (?, '2026-01-01T00:00:00+00:00', 'a', 'review.save', 'review',"
        " ?, ?, ?, ?, ?)",
        ((top + i + 1, str(i % 500), body, body, "0" * 64, "0" * 64) for i in range(args.events)))
    con.commit()
    con.close()

    def best(fn) -> float:  # noqa: ANN001
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times) * 1000

    def baseline() -> None:
        with db.read() as s:
            s.scalars(select(MemberModel).where(MemberModel.active.is_(True))).all()

    base, now = best(baseline), best(lambda: signin_states(db))
    print(f"audit events: {args.events:,}")
    print(f"sign-in list: baseline (members only) {base:.1f} ms   now (with lock-out state) "
          f"{now:.1f} ms   added {now - base:.1f} ms")
    print(f"target: at most 100 ms added: {'met' if now - base <= 100 else 'MISSED'}")
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
