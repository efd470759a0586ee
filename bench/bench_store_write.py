"""Benchmark: what a durable save costs, with the fault handling of issue 13 around it.

Every write transaction now takes one lock order (PostgreSQL: the audit chain's lock
first), leaves a holder note beside an SQLite file (who writes, for what) and removes
it, and runs inside the bounded deadlock retry.  This prints the median time of one
``save_review`` (a new version and its audit event, ``synchronous=FULL``) beside the
floor measured in the same run on the same file: a bare sqlite3
``BEGIN IMMEDIATE``/``INSERT``/``COMMIT`` with the same durability; and the holder note's
own cost.

    .venv/bin/python bench/bench_store_write.py [--saves 200] [--db URL]
"""

from __future__ import annotations

import argparse
import dataclasses
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mdt.services import Actor, MdtService  # noqa: E402
from mdt.store.db import _clear_holder, _write_holder, open_database  # noqa: E402
from tests.store_fixtures import make_case  # noqa: E402


def _median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        db = open_database(url)
        svc = MdtService(db, Actor("bench"))
        svc.import_cases([make_case("BENCH-1", reviews=1)])
        rec = svc.list_reviews("BENCH-1")[0]
        times = []
        for i in range(args.saves):
            edited = dataclasses.replace(rec.review, weight_kg=60 + (i % 40) / 2)
            t = time.perf_counter()
            rec = svc.save_review(rec.review_id, edited, rec.version, f"bench {i}")
            times.append(time.perf_counter() - t)
        ours = _median_ms(times)
        print(f"save_review (new version + audit event, durable): {ours:.2f} ms median of {args.saves}")
        if db.sqlite_path is not None:
            conn = sqlite3.connect(db.sqlite_path, isolation_level=None)
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("CREATE TABLE IF NOT EXISTS bench_floor (x TEXT)")
            payload = "x" * 2000
            floor = []
            for _ in range(args.saves):
                t = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO bench_floor VALUES (?)", (payload,))
                conn.execute("COMMIT")
                floor.append(time.perf_counter() - t)
            conn.close()
            base = _median_ms(floor)
            print(f"baseline, bare durable sqlite3 insert on the same file: {base:.2f} ms "
                  f"(ours x{ours / base:.1f})")
            note = []
            for _ in range(args.saves):
                t = time.perf_counter()
                _write_holder(db.sqlite_path)
                _clear_holder(db.sqlite_path)
                note.append(time.perf_counter() - t)
            print(f"of which the holder note (write + remove): {_median_ms(note):.3f} ms")
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
