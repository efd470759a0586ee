"""Simultaneous writers from separate connections: no lost edit, no forked audit chain."""

from __future__ import annotations

import dataclasses
import threading
from datetime import date, timedelta

from mdt.errors import ConflictError
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.store_fixtures import make_case, make_review, open_workstation


def test_simultaneous_saves_of_one_version_exactly_one_wins(db_url: str) -> None:  # noqa: F811
    stations = [open_workstation(db_url) for _ in range(4)]
    try:
        stations[0].coordinator.import_cases([make_case("P1", reviews=1)])
        loaded = [s.member.list_reviews("P1")[0] for s in stations]
        barrier = threading.Barrier(len(stations))
        outcome: list[str] = []

        def save(i: int) -> None:
            rec = loaded[i]
            edited = dataclasses.replace(rec.review, ecog=2 + i)  # all differ from ecog 1
            barrier.wait()
            try:
                stations[i].member.save_review(rec.review_id, edited, rec.version, f"edit {i}")
                outcome.append("saved")
            except ConflictError as exc:
                assert exc.current is not None and exc.current.version == 2
                outcome.append("conflict")

        threads = [threading.Thread(target=save, args=(i,)) for i in range(len(stations))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(outcome) == ["conflict"] * 3 + ["saved"]
        history = stations[0].chair.review_history(loaded[0].review_id)
        assert [v.version for v in history] == [1, 2]
        assert stations[0].chair.verify_audit().ok
    finally:
        for s in stations:
            s.db.close()


def test_parallel_writers_keep_one_unbroken_audit_chain(db_url: str) -> None:  # noqa: F811
    stations = [open_workstation(db_url) for _ in range(3)]
    try:
        for i in range(3):
            stations[0].coordinator.import_cases([make_case(f"P{i}", reviews=1)])
        errors: list[BaseException] = []

        def writer(i: int) -> None:
            try:
                for k in range(8):
                    stations[i].member.add_review(
                        f"P{i}", make_review(date(2026, 4, 1) + timedelta(days=k), cycle=k))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        result = stations[1].chair.verify_audit()
        assert result.ok, result.message
        # members and their first passwords, imports, parallel adds (plus one data seal each)
        assert len(stations[1].chair.audit_events()) == 6 + 3 * 2 + 3 * 8
        assert [stations[2].chair.get_patient(f"P{i}").review_count for i in range(3)] == [9] * 3
    finally:
        for s in stations:
            s.db.close()
