"""Reading case files: bad JSON and bad files are ValidationErrors; fuzzed input never crashes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdt.caseformat import load_cases, loads_json, parse_case, parse_cases, read_cases
from mdt.errors import FieldProblem, ValidationError
from tests.caseformat_fixtures import full_case_dict, minimal_case_dict, write_case_file


def test_reads_one_case_from_a_file(tmp_path: Path) -> None:
    path = write_case_file(tmp_path, full_case_dict())
    assert load_cases(path) == [parse_case(full_case_dict())]
    assert load_cases(str(path)) == read_cases(path)


def test_reads_an_array_of_cases(tmp_path: Path) -> None:
    other = minimal_case_dict()
    path = write_case_file(tmp_path, [full_case_dict(), other])
    assert [c.patient.id for c in load_cases(path)] == ["MRN-004711", "MRN-1"]


def test_empty_array_is_no_cases() -> None:
    assert load_cases("[]") == []


def test_reads_text_and_bytes_with_a_bom() -> None:
    text = json.dumps(minimal_case_dict())
    assert load_cases(text) == load_cases(("\ufeff" + text).encode("utf-8"))


@pytest.mark.parametrize(("text", "reason"), [
    ('{"format": "mdt-case/1",\n "patient": }',
     "invalid JSON at line 2, column 13: Expecting value"),
    ('{"format": "mdt-case/1"', "invalid JSON at line 1, column 24: Expecting ',' delimiter"),
    ("", "invalid JSON at line 1, column 1: Expecting value"),
    ('{"a": NaN}', "invalid JSON: NaN is not a valid JSON number"),
    ('[{"a": Infinity}]', "invalid JSON: Infinity is not a valid JSON number"),
    ("[" * 100000, "invalid JSON: nested too deeply"),
], ids=["missing-value", "unclosed-object", "empty", "nan", "infinity", "deep-nesting"])
def test_invalid_json_names_line_and_column(text: str, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        loads_json(text)
    assert info.value.problems == [FieldProblem("", reason)]


def test_huge_number_is_out_of_range_not_a_crash() -> None:
    doc = full_case_dict()
    with pytest.raises(ValidationError) as info:
        parse_cases(loads_json(json.dumps(doc).replace('"weight_kg": 64', '"weight_kg": 1e999')))
    assert info.value.problems == [FieldProblem("reviews[0].weight_kg", "must be a finite number")]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"format": "mdt-case/1", "patient": {"id": "É"}}'.encode("latin-1"))
    with pytest.raises(ValidationError) as info:
        load_cases(path)
    assert info.value.problems[0].reason.startswith("not UTF-8 text")


def test_missing_file_is_a_validation_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        load_cases(tmp_path / "nope.json")
    assert "cannot read" in str(info.value)


# --------------------------------------------------------------------------- fuzzing

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


@given(_json)
def test_any_json_value_is_accepted_or_refused_with_a_validation_error(doc: object) -> None:
    try:
        parse_cases(doc)
    except ValidationError as exc:
        assert exc.problems and all(isinstance(p, FieldProblem) for p in exc.problems)


@given(st.data())
def test_mutated_case_is_accepted_or_refused_with_named_fields(data: st.DataObject) -> None:
    doc = full_case_dict()
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = data.draw(st.sampled_from(paths))
        node = doc
        for step in path[:-1]:
            node = node[step]
        if data.draw(st.booleans()) and isinstance(node, dict):
            del node[path[-1]]
        else:
            node[path[-1]] = data.draw(_json)
    try:
        parse_case(doc)
    except ValidationError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.reason


@given(st.binary(max_size=200) | st.text(max_size=200).map(lambda s: s.encode()))
def test_random_bytes_never_crash(raw: bytes) -> None:
    try:
        load_cases(raw)
    except ValidationError:
        pass


@given(st.text(alphabet='{}[]:,"01-aeftnrul. \n', max_size=80))
def test_random_json_like_text_never_crashes(text: str) -> None:
    try:
        parse_cases(loads_json(text))
    except ValidationError:
        pass
