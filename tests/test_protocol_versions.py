"""Several versions of one protocol load side by side; the newest is the default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mdt.errors import NotFound, ValidationError
from mdt.protocols import get_protocol, load_protocol_versions, load_protocols, protocol_versions
from mdt.protocols.loader import version_key
from mdt.resources import resource_path


def _write(directory: Path, name: str, version: str, title: str | None = None) -> None:
    doc = json.loads((resource_path("protocols") / "NCT05103020.json").read_text(encoding="utf-8"))
    doc["version"] = version
    if title:
        doc["title"] = title
    (directory / name).write_text(json.dumps(doc), encoding="utf-8")


@pytest.fixture
def versions_dir(tmp_path: Path) -> Path:
    _write(tmp_path, "NCT05103020.json", "1", "first")
    _write(tmp_path, "NCT05103020-v2.json", "2", "second")
    _write(tmp_path, "NCT05103020-v10.json", "10", "tenth")
    return tmp_path


@pytest.mark.parametrize(("older", "newer"), [
    ("1", "2"), ("2", "10"), ("1.2", "1.10"), ("1", "1.1"), ("1.9", "2"), ("2", "2.0.1"),
])
def test_versions_compare_as_people_read_them(older: str, newer: str) -> None:
    assert version_key(older) < version_key(newer)


def test_every_version_is_indexed_by_id_and_version(versions_dir: Path) -> None:
    index = load_protocol_versions(versions_dir)
    assert {key for key in index} == {("NCT05103020", "1"), ("NCT05103020", "2"), ("NCT05103020", "10")}
    assert protocol_versions("NCT05103020", versions_dir) == ["1", "2", "10"]
    assert protocol_versions("CAIRO5", versions_dir) == []


@pytest.mark.parametrize(("version", "title"), [(None, "tenth"), ("1", "first"), ("2", "second"),
                                                ("10", "tenth")])
def test_get_protocol_gives_the_version_asked_or_the_newest(versions_dir: Path, version: str | None,
                                                            title: str) -> None:
    proto = get_protocol("NCT05103020", version, directory=versions_dir)
    assert proto.title == title
    assert load_protocols(versions_dir)["NCT05103020"].title == "tenth"


def test_a_version_not_shipped_is_not_found_and_lists_the_shipped_ones(versions_dir: Path) -> None:
    with pytest.raises(NotFound) as err:
        get_protocol("NCT05103020", "3", directory=versions_dir)
    assert "version '3' is not shipped" in str(err.value)
    assert "1, 2, 10" in str(err.value)


def test_the_same_id_and_version_twice_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", "1")
    _write(tmp_path, "b.json", "1")
    with pytest.raises(ValidationError) as err:
        load_protocols(tmp_path)
    assert "b.json: version" in str(err.value) and "also a.json" in str(err.value)


def test_shipped_protocols_resolve_with_and_without_version() -> None:
    newest = get_protocol("NCT05103020")
    assert get_protocol("NCT05103020", newest.version) is newest
