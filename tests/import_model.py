"""What an import must store, written independently of ``mdt`` (a model to test against).

``expected_export(before, document)`` is the case a user should get from ``export``
after importing ``document`` over a stored case ``before`` (both canonical JSON objects,
``before`` None for a new patient): a field the file leaves out keeps its stored
value; a field it gives (null included) replaces it; objects merge key by key; lists
replace; reviews are matched by date and order within a date, the others are added.
"""

from __future__ import annotations

import copy
from typing import Any

from mdt import caseformat


def _merge(stored: Any, incoming: Any) -> Any:
    if isinstance(stored, dict) and isinstance(incoming, dict):
        out = dict(stored)
        for key, value in incoming.items():
            out[key] = _merge(stored.get(key), value) if key in stored else value
        return out
    return copy.deepcopy(incoming)


def expected_export(before: dict[str, Any] | None, document: dict[str, Any]) -> dict[str, Any]:
    """The canonical case the store must hold after importing ``document``."""
    if before is None:
        return caseformat.case_to_dict(caseformat.parse_case(document))
    merged: dict[str, Any] = {"format": "mdt-case/1"}
    merged["patient"] = _merge(before["patient"], document["patient"])
    for name in ("protocol", "treatment"):
        if name in document:
            old = before.get(name)
            merged[name] = _merge(old, document[name]) if isinstance(old, dict) else document[name]
        elif name in before:
            merged[name] = before[name]
    old_reviews = [dict(r) for r in before.get("reviews", [])]
    by_date: dict[str, list[int]] = {}
    for i, r in enumerate(old_reviews):
        by_date.setdefault(r["date"], []).append(i)
    seen: dict[str, int] = {}
    added = []
    for raw in document.get("reviews") or []:
        nth = seen.get(raw["date"], 0)
        seen[raw["date"]] = nth + 1
        same = by_date.get(raw["date"], [])
        if nth < len(same):
            old_reviews[same[nth]] = _merge(old_reviews[same[nth]], raw)
        else:
            added.append(raw)
    # The store lists reviews by date, then in the order they were first saved.
    merged["reviews"] = sorted(old_reviews + added, key=lambda r: r["date"])
    return caseformat.case_to_dict(caseformat.parse_case(merged))


def stored_exports(url: str, ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """The canonical export of each patient id now (None for a patient not stored)."""
    from mdt.errors import NotFound
    from mdt.services import Actor, MdtService
    from mdt.store.db import open_database

    db = open_database(url)
    try:
        svc = MdtService(db, Actor("check"))
        out: dict[str, dict[str, Any] | None] = {}
        for pid in ids:
            try:
                out[pid] = caseformat.case_to_dict(svc.export_case(pid))
            except NotFound:
                out[pid] = None
        return out
    finally:
        db.close()


def documents_of(payload: bytes) -> list[dict[str, Any]]:
    """The case objects of a file that parsed (one case or an array)."""
    obj = caseformat.loads_json(payload)
    return obj if isinstance(obj, list) else [obj]  # type: ignore[return-value]
