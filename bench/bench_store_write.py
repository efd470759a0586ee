"""Benchmark: what a durable save costs, with the fault handling of issue 13 around it.

Every write transaction now takes one lock order (PostgreSQL: the audit chain's lock
first), leaves a holder note beside an SQLite file (who writes, for what) and removes
it, and runs inside the bounded deadlock retry.  This prints the median time of one
``save_review`` (a new version and its audit event, ``synchronous=FULL``) and the holder
note's own cost.  The baseline, in the same run on the same file, is the same save without the
holder note and the retry wrapper.

    .venv/bin/python bench/bench_store_write.py [--saves 200] [--db URL]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mdt.store.db as db_module  # noqa: E402
from mdt.services import Actor, MdtService  # noqa: E402
from mdt.store import reviews_impl  # noqa: E402
from mdt.store.db import _clear_holder, _write_holder, open_database  # noqa: E402
from tests.store_fixtures import make_case  # noqa: E402


def _median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def _saves(svc: MdtService, n: int, save: object) -> float:
    rec = svc.list_reviews("BENCH-1")[0]
    times = []
    for i in range(n):
        edited = dataclasses.replace(rec.review, weight_kg=60 + (i % 40) / 2)
        t = time.perf_counter()
        rec = save(rec.review_id, edited, rec.version, f"bench {i}")  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return _median_ms(times)


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
        ours = _saves(svc, args.saves, svc.save_review)
        # Baseline in the same run: the same save without the fault handling around it
        # (no holder note, no retry wrapper): what issue 13 added is the difference.
        real = (db_module._write_holder, db_module._clear_holder)
        db_module._write_holder = db_module._clear_holder = lambda _path: None  # type: ignore[assignment]
        try:
            bare = _saves(svc, args.saves, lambda *a: reviews_impl.save_review(svc, *a, amendment=False))
        finally:
            db_module._write_holder, db_module._clear_holder = real
        print(f"save_review (new version + audit event, durable): {ours:.2f} ms median of {args.saves}")
        print(f"baseline, the same save without holder note and retry wrapper: {bare:.2f} ms "
              f"(overhead {ours - bare:+.2f} ms)")
        if db.sqlite_path is not None:
            note = []
            for _ in range(args.saves):
                t = time.perf_counter()
                _write_holder(db.sqlite_path)
                _clear_holder(db.sqlite_path)
                note.append(time.perf_counter() - t)
            print(f"the holder note alone (write + remove): {_median_ms(note):.3f} ms")
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
