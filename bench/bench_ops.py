"""Benchmark: what running a save off the GUI thread costs (ui.ops.Ops).

Every write of the window goes through ``Ops.call``: the save runs on a worker thread while the
GUI thread waits in an event loop that keeps painting (and holds the user's input until the save
is over).  This prints the median time of one review edit saved through ``Ops.call``
(``mdt.review_ops.apply_edit``: a new version and its audit event) and, as the baseline in the same
run on the same file, the same operation called directly on the GUI thread.  The difference is
what the thread hop adds to every save; the target is at most 5 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_ops.py [--saves 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from mdt import review_edits, review_ops  # noqa: E402
from mdt.services import Actor, MdtService  # noqa: E402
from mdt.store.db import open_database  # noqa: E402
from tests.store_fixtures import make_case  # noqa: E402
from ui.ops import Ops  # noqa: E402

TARGET_MS = 5.0


def _saves(svc: MdtService, n: int, run: object, offset: int) -> float:
    rec = svc.list_reviews("BENCH-1")[0]
    times = []
    for i in range(n):
        def edit(r, i=i):  # noqa: ANN001, ANN202
            return review_edits.set_review_value(r, "weight_kg", 60 + ((i + offset) % 40) / 2)

        t = time.perf_counter()
        rec = run(lambda s, rec=rec, edit=edit: review_ops.apply_edit(s, rec, edit))  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--saves", type=int, default=200)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        svc = MdtService(db, Actor("bench"))
        svc.import_cases([make_case("BENCH-1", reviews=1)])
        ops = Ops(svc)
        # Alternate the two ways in blocks so disk and cache effects fall on both alike.
        via_ops, direct = [], []
        for block in range(4):
            via_ops.append(_saves(svc, args.saves // 4, lambda op: ops.call("bench", op), 1000 * block))
            direct.append(_saves(svc, args.saves // 4, lambda op: op(svc), 1000 * block + 500))
        ours, bare = statistics.median(via_ops), statistics.median(direct)
        print(f"review edit saved through Ops.call (worker thread): {ours:.2f} ms median of {args.saves}")
        print(f"baseline, the same operation on the GUI thread: {bare:.2f} ms "
              f"(added {ours - bare:+.2f} ms, target ≤ {TARGET_MS:.0f} ms)")
        db.close()
    del app
    return 0 if ours - bare <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
