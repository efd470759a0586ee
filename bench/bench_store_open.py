"""Benchmark: open a patient with 20 reviews in a database of 5,000 patients.

Target (issue 2): under 50 ms to open the patient (``get_case`` + ``list_reviews``,
cold parse cache); listing and searching patients use indexes.  The baseline,
measured in the same run on the same file, is the raw SQL that fetches the same
rows without building domain objects: it shows how much of the time is ours.

    .venv/bin/python bench/bench_store_open.py [--db URL] [--patients 5000]

Prints the figures and exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from mdt.case import Patient  # noqa: E402
from mdt.services import Actor, MdtService  # noqa: E402
from mdt.store import case_rows  # noqa: E402
from mdt.store.db import open_database  # noqa: E402
from tests.store_fixtures import make_case, make_review  # noqa: E402

TARGET_MS = 50.0


def _timed(fn: Callable[[], object], repeat: int, cold: bool = False) -> float:
    times = []
    for _ in range(repeat):
        if cold:
            case_rows.parse_review_text.cache_clear()
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def build(svc: MdtService, patients: int) -> str:
    template = make_case("TEMPLATE", reviews=1)
    batch = []
    for i in range(patients - 1):
        batch.append(replace(template, patient=Patient(
            id=f"MRN-{i:06d}", name=f"PATIENT{i}^TEST", sex="MF"[i % 2],
            birth_date=date(1940 + i % 50, 1 + i % 12, 1 + i % 28))))
        if len(batch) == 500:
            svc.import_cases(batch)
            batch.clear()
    if batch:
        svc.import_cases(batch)
    target = "MRN-TWENTY"
    big = make_case(target, reviews=1)
    big = replace(big, reviews=tuple(make_review(date(2024, 1, 1) + timedelta(weeks=8 * k),
                                                 cycle=4 * k, diameter=60 - k)
                                     for k in range(20)))
    svc.import_cases([big])
    return target


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    ap.add_argument("--patients", type=int, default=5000)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="mdt-bench-")
    url = args.db or f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    db = open_database(url)
    svc = MdtService(db, Actor("bench"))
    t = time.perf_counter()
    target = build(svc, args.patients)
    print(f"built {args.patients} patients in {time.perf_counter() - t:.1f} s ({db.dialect})")

    def baseline() -> None:
        with db.engine.connect() as conn:
            pk = conn.execute(text("SELECT id FROM patient WHERE mrn = :m"), {"m": target}).scalar()
            conn.execute(text("SELECT * FROM treatment_course WHERE patient_id = :p"),
                         {"p": pk}).all()
            conn.execute(text(
                "SELECT rv.content FROM review r JOIN review_version rv ON rv.review_id = r.id "
                "AND rv.version = r.current_version WHERE r.patient_id = :p "
                "ORDER BY r.review_date"), {"p": pk}).all()

    def open_patient() -> None:
        case = svc.get_case(target)
        records = svc.list_reviews(target)
        assert len(case.reviews) == len(records) == 20

    base_ms = _timed(baseline, 30)
    cold_ms = _timed(open_patient, 30, cold=True)
    warm_ms = _timed(open_patient, 30)
    list_ms = _timed(lambda: svc.list_patients(), 5)
    search_ms = _timed(lambda: svc.list_patients(search="patient4999"), 20)
    due_ms = _timed(lambda: svc.list_patients(due=date(2026, 1, 1), limit=100), 20)
    print(f"baseline raw SQL for the same rows: {base_ms:7.2f} ms")
    print(f"open patient, 20 reviews (cold):    {cold_ms:7.2f} ms  (target < {TARGET_MS:.0f} ms)")
    print(f"open patient, 20 reviews (warm):    {warm_ms:7.2f} ms")
    print(f"list all {args.patients} patients:          {list_ms:7.2f} ms")
    print(f"search by name:                     {search_ms:7.2f} ms")
    print(f"due list (first 100):               {due_ms:7.2f} ms")
    db.close()
    tmp.cleanup()
    ok = cold_ms < TARGET_MS
    print("PASS" if ok else "FAIL", f"open-patient {cold_ms:.2f} ms vs target {TARGET_MS:.0f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
