"""The patient list: item model, search and filters, overdue flag, sorting."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QPersistentModelIndex, Qt

from mdt.services import PatientRow
from ui.patients.model import (
    COLUMNS,
    DUE_NONE,
    DUE_OVERDUE,
    DUE_SOON,
    ID_ROLE,
    PatientFilterProxy,
    PatientTableModel,
    display_name,
    due_status,
)

TODAY = date(2026, 11, 20)


def row(pid: str, name: str | None = None, protocol: str | None = "NCT05103020", arm: str | None = "A",
        next_review: date | None = None, resectability: str | None = None, outcome: str | None = None,
        reviews: int = 1) -> PatientRow:
    return PatientRow(patient_id=pid, name=name, sex=None, birth_date=None, protocol_id=protocol, arm=arm,
                      review_count=reviews, last_review_date=date(2026, 9, 1) if reviews else None,
                      last_cycle=4 if reviews else None, resectability=resectability, plan=None,
                      next_review=next_review, outcome=outcome, archived=False)


ROWS = [
    row("MRN-1", "DUPONT^Jean", next_review=date(2026, 11, 1), resectability="convertible"),
    row("MRN-2", "MARTIN^Anne", arm="B", next_review=date(2026, 11, 25)),
    row("MRN-3", "ÅSTRÖM^Björn", protocol="CAIRO5", next_review=date(2027, 2, 1),
        resectability="resectable"),
    row("MRN-4", "O'SULLIVAN^Siobhán", protocol=None, arm=None, reviews=0, outcome="on_treatment"),
]


@pytest.fixture
def model(qapp):
    m = PatientTableModel(today=lambda: TODAY)
    m.set_rows(ROWS)
    return m


@pytest.fixture
def proxy(model):
    p = PatientFilterProxy()
    p.setSourceModel(model)
    return p


def ids(proxy) -> list[str]:
    return [proxy.index(r, 0).data(ID_ROLE) for r in range(proxy.rowCount())]


def test_models_pass_qt_model_tester(qtmodeltester, model, proxy):
    qtmodeltester.check(model)
    proxy.set_search("mrn")
    qtmodeltester.check(proxy)


def test_model_survives_inserts_updates_and_removals_under_the_tester(qtmodeltester, model):
    qtmodeltester.check(model)
    model.upsert(row("MRN-9", "NEW^Patient"))
    model.upsert(row("MRN-1", "DUPONT^Jean-Pierre"))
    model.remove("MRN-2")
    keep = QPersistentModelIndex(model.index(model.row_of("MRN-9"), 1))
    model.sort(COLUMNS.index("Name"), Qt.SortOrder.DescendingOrder)
    assert keep.row() == model.row_of("MRN-9") and keep.column() == 1   # selections follow the rows
    assert [model.patient_row(r).patient_id for r in range(4)] == ["MRN-4", "MRN-9", "MRN-1", "MRN-3"]
    assert model.rowCount() == 4
    assert model.upsert(row("MRN-5", "PETIT^Paul")) == 0            # in sort order (name, descending)
    assert model.index(model.row_of("MRN-1"), COLUMNS.index("Name")).data() == "DUPONT, Jean-Pierre"
    assert model.row_of("MRN-2") is None


@pytest.mark.parametrize(("next_review", "expected"), [
    (None, DUE_NONE),
    (date(2026, 11, 19), DUE_OVERDUE),
    (date(2026, 11, 20), DUE_SOON),      # due today is not overdue yet
    (date(2026, 12, 4), DUE_SOON),       # within 14 days
    (date(2026, 12, 5), "planned"),
])
def test_due_status(next_review, expected):
    assert due_status(next_review, TODAY) == expected


def test_overdue_is_said_in_words_and_red(model):
    r = model.row_of("MRN-1")
    due = model.index(r, COLUMNS.index("Due"))
    assert due.data() == "OVERDUE"
    assert due.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#b3261e"
    assert model.index(model.row_of("MRN-3"), COLUMNS.index("Due")).data() == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("", ["MRN-1", "MRN-2", "MRN-3", "MRN-4"]),
    ("dupont", ["MRN-1"]),
    ("MRN-3", ["MRN-3"]),
    ("björn", ["MRN-3"]),            # accents and case
    ("ASTROM", ["MRN-3"]),           # typed without the accents
    ("anne martin", ["MRN-2"]),      # given name first, as people say it
    ("martin, anne", ["MRN-2"]),     # as the list shows it
    ("martin anne", ["MRN-2"]),
    ("nobody", []),
])
def test_search_by_name_or_id(proxy, text, expected):
    proxy.set_search(text)
    assert ids(proxy) == expected


def test_filters_combine(proxy):
    proxy.set_protocol("NCT05103020")
    assert ids(proxy) == ["MRN-1", "MRN-2"]
    proxy.set_arm("B")
    assert ids(proxy) == ["MRN-2"]
    proxy.set_arm("")
    proxy.set_status("convertible")
    assert ids(proxy) == ["MRN-1"]
    proxy.set_protocol("")
    proxy.set_status("not_decided")
    assert ids(proxy) == ["MRN-2", "MRN-4"]
    proxy.set_status("on_treatment")       # an outcome is a status too
    assert ids(proxy) == ["MRN-4"]


def test_due_filters(proxy):
    proxy.set_due(DUE_OVERDUE)
    assert ids(proxy) == ["MRN-1"]
    proxy.set_due(DUE_SOON)
    assert ids(proxy) == ["MRN-1", "MRN-2"]
    proxy.set_due(DUE_NONE)
    assert ids(proxy) == ["MRN-4"]


def test_sorting_uses_typed_keys(proxy):
    proxy.sort(COLUMNS.index("Next review"), Qt.SortOrder.AscendingOrder)
    assert ids(proxy) == ["MRN-1", "MRN-2", "MRN-3", "MRN-4"]   # no date sorts last
    proxy.sort(COLUMNS.index("Due"), Qt.SortOrder.AscendingOrder)
    assert ids(proxy)[0] == "MRN-1"
    proxy.sort(COLUMNS.index("Name"), Qt.SortOrder.DescendingOrder)
    assert ids(proxy) == ["MRN-4", "MRN-2", "MRN-1", "MRN-3"]


def test_display_name():
    assert display_name("DUPONT^Jean") == "DUPONT, Jean"
    assert display_name("DUPONT") == "DUPONT"
    assert display_name(None) == ""
