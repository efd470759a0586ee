"""One table of limits (``mdt.limits``): the case format, the review editor and the
documentation say the same thing about every field, and a value the editor refuses is
one a file may not hold either (and the other way round)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from mdt import caseformat, limits
from mdt import review_edits as edits
from mdt.caseformat import parse_case
from mdt.errors import ValidationError
from tests.caseformat_fixtures import full_case_dict

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "case-format.md"

EDITOR_TABLES = {
    "": edits.REVIEW_FIELDS, "clinical.": edits.CLINICAL_FIELDS, "labs.": edits.LAB_FIELDS,
    "labs.uln.": edits.ULN_FIELDS, "remnant.": edits.REMNANT_FIELDS,
}


def _numeric_leaves(node: object, path: str = "") -> list[str]:
    """Template paths of every number in a canonical case (lists as ``[]``)."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _numeric_leaves(v, f"{path}.{k}" if path else k)]
    if isinstance(node, list):
        return [p for v in node for p in _numeric_leaves(v, f"{path}[]")]
    return [path] if isinstance(node, int | float) and not isinstance(node, bool) else []


def test_every_number_of_the_format_has_its_limit_in_the_table() -> None:
    full = full_case_dict()
    leaves = set(_numeric_leaves(full))
    assert leaves, "the full example holds numbers"
    assert leaves - set(limits.LIMITS) == set()


@pytest.mark.parametrize("path", sorted(limits.LIMITS))
def test_every_limit_is_finite_and_fits_a_postgresql_integer(path: str) -> None:
    lim = limits.LIMITS[path]
    assert lim.lower is not None and lim.maximum is not None, path
    assert lim.lower < lim.maximum and math.isfinite(lim.maximum)
    if lim.integer:
        assert lim.maximum <= limits.INT32_MAX
    assert lim.label and limits.label_for(path)


def _doc_with(path: str, value: object) -> dict:
    """The full example with ``path`` (a template, first item of each list) set to ``value``."""
    doc = full_case_dict()
    parts = re.findall(r"[^.\[\]]+|\[\]", path)
    node: object = doc
    for part, nxt in zip(parts, parts[1:] + [None], strict=True):
        if nxt is None:
            break
        node = node[0] if part == "[]" else node[part]  # type: ignore[index]
        if nxt != "[]" and isinstance(node, dict) and node.get(nxt) is None and nxt != parts[-1]:
            node[nxt] = {}
    last = parts[-1]
    if last == "[]":
        node[0] = value  # type: ignore[index]
    else:
        node[last] = value  # type: ignore[index]
    if path in _PARTNERS:
        _PARTNERS[path](doc)
    return doc


# Fields tied to another by a cross-field rule: that other field is set out of the way.
_PARTNERS = {
    "reviews[].remnant.flr_ml": lambda d: d["reviews"][0]["remnant"].update(tlv_ml=None),
    "reviews[].remnant.tlv_ml": lambda d: d["reviews"][0]["remnant"].update(flr_ml=None),
    "treatment.cycles[].number": lambda d: d["treatment"].update(cycles=d["treatment"]["cycles"][:1]),
}


def _concrete(path: str) -> str:
    return path.replace("[]", "[0]")


@pytest.mark.parametrize("path", sorted(limits.LIMITS))
def test_the_parser_and_the_editor_accept_and_refuse_the_same_values(path: str) -> None:
    lim = limits.LIMITS[path]
    assert lim.maximum is not None and lim.lower is not None
    step = 1 if lim.integer else 0.5
    inside = [lim.maximum, lim.lower + (step if lim.above is not None else 0)]
    outside = [lim.maximum + step, lim.lower - (0 if lim.above is not None else step)]
    inner = path.removeprefix("reviews[].")
    spec = next((table[inner[len(prefix):]] for prefix, table in EDITOR_TABLES.items()
                 if inner.startswith(prefix) and inner[len(prefix):] in table), None)
    if inner == "lesions[].diameter_mm":
        spec = edits.DIAMETER
    for value in inside:
        parse_case(_doc_with(path, value))
        if spec is not None:
            assert spec.parse(edits.fmt_num(value)) == value
    for value in outside:
        with pytest.raises(ValidationError) as err:
            parse_case(_doc_with(path, value))
        problem = next(p for p in err.value.problems if p.path == _concrete(path))
        assert problem.label == limits.label_for(path)
        if spec is not None:
            with pytest.raises(ValidationError):
                spec.parse(edits.fmt_num(value))


def test_every_editor_field_reads_its_limits_from_the_table() -> None:
    seen = 0
    for prefix, table in EDITOR_TABLES.items():
        for name, spec in table.items():
            lim = limits.LIMITS[f"reviews[].{prefix}{name}"]
            assert (spec.minimum, spec.maximum, spec.strict_min, spec.integer, spec.unit, spec.label) \
                == (lim.lower, lim.maximum, lim.above is not None, lim.integer, lim.unit, lim.label)
            seen += 1
    assert seen == 5 + 8 + 12 + 5 + 2
    lim = limits.LIMITS["reviews[].lesions[].diameter_mm"]
    assert (edits.DIAMETER.minimum, edits.DIAMETER.maximum) == (lim.above, lim.maximum)


@pytest.mark.parametrize(("path", "value"), [
    # the disagreements issue 16 found, now one answer each
    ("reviews[].remnant.flr_ml", 6000), ("reviews[].remnant.tlv_ml", 9000),
    ("reviews[].labs.creatinine", 0), ("reviews[].clinical.prior_systemic_lines", 21),
])
def test_what_a_file_may_hold_the_editor_can_enter_again(path: str, value: float) -> None:
    doc = _doc_with(path, value)
    try:
        parse_case(doc)
        in_file = True
    except ValidationError:
        in_file = False
    inner = path.removeprefix("reviews[].")
    prefix, name = inner.rsplit(".", 1)
    spec = EDITOR_TABLES[prefix + "."][name]
    try:
        spec.parse(edits.fmt_num(value))
        in_editor = True
    except ValidationError:
        in_editor = False
    assert in_file == in_editor


def test_the_documentation_prints_the_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    begin = text.index("<!-- limits:begin")
    body = text[text.index("\n", begin) + 1:text.index("<!-- limits:end -->")]
    assert body == limits.markdown_table(), "regenerate with mdt.limits.markdown_table()"


def test_text_and_count_limits_hold_in_the_parser() -> None:
    doc = full_case_dict()
    doc["patient"]["name"] = "N" * 201
    doc["reviews"][0]["lesions"][0]["id"] = "L" * 33
    doc["reviews"][0]["panel"]["decision"]["rationale"] = "r" * 10_001
    with pytest.raises(ValidationError) as err:
        caseformat.parse_case(doc)
    found = {p.path: str(p) for p in err.value.problems}
    assert found["patient.name"] == "patient.name: Name must be at most 200 characters (got 201)"
    assert "at most 32 characters" in found["reviews[0].lesions[0].id"]
    assert "at most 10000 characters" in found["reviews[0].panel.decision.rationale"]
