"""One name for each field of a review (``mdt.field_names``), everywhere.

For every field the review editor, the command line and the case format take, each reader names
it from the same entry: the editor's field table and its validation message, the saved version's
reason and the History tab's diff line (the same text), the engine's "missing" words, the case
format's messages and the generated table in ``docs/case-format.md``, ``main.py review fields``,
the minutes' clinical facts line and the Clinical & labs tab's captions.  A second spelling
anywhere fails here.
"""

from __future__ import annotations

import dataclasses

import pytest

from mdt import field_names, glossary, limits, review_diff, review_ops
from mdt import review_edits as edits
from mdt.case import Review
from mdt.errors import ValidationError
from tests.ui_review_fixtures import sample_case

EDITOR_TABLES = {
    "": edits.REVIEW_FIELDS, "clinical.": edits.CLINICAL_FIELDS, "labs.": edits.LAB_FIELDS,
    "labs.uln.": edits.ULN_FIELDS, "remnant.": edits.REMNANT_FIELDS,
}
NUMBER_PATHS = sorted(prefix + name for prefix, table in EDITOR_TABLES.items() for name in table)
# A choice or yes/no field of the command line, with a value it accepts.
CHOICE_VALUES = {
    "extrahepatic_disease": "confirmed", "clinical.ascites": "moderate_severe",
    "clinical.encephalopathy": "grade_1_2", "clinical.node_positive_primary": "no",
    "clinical.synchronous": "no", "labs.proteinuria": "3+", "remnant.liver_condition": "cirrhosis",
}


def _review() -> Review:
    return sample_case().reviews[0]


def _value_in_range(path: str) -> str:
    lim = limits.limit_for(path)
    assert lim is not None and lim.maximum is not None, path
    if path == "remnant.flr_ml":
        return "100"  # the remnant may not exceed the total liver volume
    return edits.fmt_num(lim.maximum)


def test_the_table_names_every_field_the_editor_and_the_command_line_take() -> None:
    for path in edits.field_paths():
        assert edits.field_name(path) is not None, path
    for path in limits.LIMITS:
        assert field_names.name_for(path) is not None, path


def test_a_field_name_is_written_once() -> None:
    """No two fields share a name (the History line "Creatinine 80 → 90" names one field)."""
    seen: dict[str, str] = {}
    for path, name in field_names.NAMES.items():
        if path in ("protocol", "protocol.id"):  # the same field: the protocol's id
            continue
        assert name.label not in seen, f"{path} and {seen.get(name.label)} are both {name.label!r}"
        seen[name.label] = path


@pytest.mark.parametrize("path", NUMBER_PATHS)
def test_every_reader_names_a_number_field_from_its_one_entry(path: str) -> None:
    name = field_names.name_for(path)
    assert name is not None
    spec = edits.spec_for(path)
    # the editor's field table (its labels and units in the Clinical & labs and Remnant tabs)
    assert (spec.label, spec.unit) == (name.label, name.unit)
    # the validation message, in the window and on the command line
    with pytest.raises(ValidationError) as refused:
        edits.edit_for(_review(), path, "abc")
    assert review_ops.problem_words(refused.value).startswith(f"{name.label} ({path}): ")
    # the saved version's reason is the History tab's diff line
    review = _review()
    edit = edits.edit_for(review, path, _value_in_range(path))
    lines = review_diff.change_lines(review, edit.review)
    # (a remnant volume also pins the segments it was measured for: a second line)
    assert lines[0] == edit.reason
    assert edit.reason.startswith(f"{name.label} ") and edit.reason.endswith(name.unit)
    # the engine's missing-data words, the audit and the conflict dialog
    assert glossary.field_words(f"reviews[0].{path}") == name.label
    assert review_ops.field_label(path) == name.label
    # the case format's messages, the limits table, the generated documentation, the command line
    assert limits.label_for(f"reviews[3].{path}") == (f"{name.label} in {name.unit}" if name.unit
                                                      else name.label)
    row = f"| `reviews[].{path}` | {name.label} | "
    assert row in limits.markdown_table()
    assert edits.field_help(path).startswith(f"{name.label}, ")


@pytest.mark.parametrize("path", sorted(CHOICE_VALUES))
def test_every_reader_names_a_choice_field_from_its_one_entry(path: str) -> None:
    name = field_names.name_for(path)
    assert name is not None
    review = _review()
    edit = edits.edit_for(review, path, CHOICE_VALUES[path])
    assert review_diff.change_lines(review, edit.review) == [edit.reason]
    assert edit.reason.startswith(f"{name.label} ")
    with pytest.raises(ValidationError) as refused:
        edits.edit_for(review, path, "nonsense")
    assert review_ops.problem_words(refused.value).startswith(f"{name.label} ({path}): ")
    assert glossary.field_words(f"reviews[0].{path}") == name.label
    assert edits.field_help(path) == name.label
    assert f"| `reviews[].{path}` | {name.label} |" in limits.markdown_table()


@pytest.mark.parametrize("leaf, typed", [("diameter_mm", "31"), ("segments", "VI"),
                                         ("status", "disappeared")])
def test_a_lesion_field_reads_as_the_lesion_and_the_short_name(leaf: str, typed: str) -> None:
    review = _review()
    lesion = review.lesions[0]
    words = field_names.lesion_label(lesion.id, leaf)
    short = field_names.NAMES[f"reviews[].lesions[].{leaf}"].short
    assert words == f"{lesion.id} {short}"
    edit = edits.edit_for(review, f"lesions.{lesion.id}.{leaf}", typed)
    assert edit.reason.startswith(f"{words} ")
    # (a disappeared lesion's diameter is cleared too: said in brackets, and as a line of its own)
    assert edit.reason.split(" (")[0] in review_diff.change_lines(review, edit.review)
    assert glossary.field_words(f"reviews[0].lesions[0].{leaf}", [lesion.id]) == words
    assert review_ops.field_label(f"lesions[0].{leaf}", review) == words
    assert edits.field_name(f"lesions.{lesion.id}.{leaf}") == field_names.FieldName(
        words, field_names.unit(f"lesions[].{leaf}"))


def test_the_upper_limit_of_normal_is_named_from_its_lab() -> None:
    for lab in field_names.ULN_LABS:
        name, uln = field_names.LAB_NAMES[lab], field_names.name_for(f"labs.uln.{lab}")
        assert uln is not None and uln.label.startswith(name.label) and uln.unit == name.unit
        assert uln.short == f"{name.brief} ULN"


def test_the_glossary_views_are_the_table() -> None:
    for key, name in field_names.LAB_NAMES.items():
        assert glossary.LAB_WORDS[key] == (name.label, name.unit)
    for key, name in field_names.CLINICAL_NAMES.items():
        assert glossary.CLINICAL_WORDS[key] == (name.label, name.unit)


def test_a_date_of_another_record_is_not_read_as_the_review_date() -> None:
    """The audit names any record's fields: a meeting's "date" is not the review's."""
    assert glossary.field_words("date") == "date"
    assert glossary.field_words("reviews[1].date") == "Review date"


def test_the_minutes_clinical_facts_use_the_short_form_of_each_entry() -> None:
    from mdt.minutes.document import styles
    from mdt.minutes.sections import clinical_section

    review = _review()
    review = dataclasses.replace(review, ecog=1, labs=dataclasses.replace(review.labs, bilirubin=14))
    text = "".join(getattr(f, "text", "") for f in clinical_section(review, styles()))
    for path in ("ecog", "extrahepatic_disease", "labs.bilirubin", "labs.albumin", "labs.inr",
                 "labs.plt", "labs.creatinine", "clinical.cea", "clinical.ca19_9", "height_cm"):
        name = field_names.name_for(path)
        assert name is not None
        assert f"<b>{name.brief}" in text, path
    assert f"<b>{field_names.name_for('labs.bilirubin').brief}</b> 14 µmol/L" in text  # type: ignore[union-attr]


def test_the_clinical_tab_captions_are_the_table(qtbot) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QLabel

    from ui.review.clinical_panel import ClinicalPanel

    panel = ClinicalPanel(lambda _fn: True)
    qtbot.addWidget(panel)
    captions = {w.text() for w in panel.findChildren(QLabel)}
    for key in (*panel.fields, *panel.choices):
        path = key if key.startswith(("labs.", "clinical.")) or key in edits.REVIEW_FIELDS \
            or key == "extrahepatic_disease" else f"clinical.{key}"
        if key == "proteinuria":
            path = "labs.proteinuria"
        if path.startswith("labs.uln."):
            continue  # the ULN column's cells: its header says "ULN", the tooltip names it
        label = field_names.label(path)
        assert f"{label}:" in captions, (key, label)


def test_the_remnant_tab_captions_are_the_table(qtbot) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QLabel

    from ui.review.remnant_panel import RemnantPanel

    panel = RemnantPanel(lambda _fn: True)
    qtbot.addWidget(panel)
    captions = {w.text().replace("&", "") for w in panel.findChildren(QLabel)}
    for path in ("remnant.resection", "remnant.segments", "remnant.flr_ml", "remnant.liver_condition",
                 "remnant.pve.flr_after_ml", "remnant.pve.date"):
        assert f"{field_names.label(path)}:" in captions, path
    tlv = field_names.name_for("remnant.tlv_ml")
    assert tlv is not None and f"{tlv.label} ({tlv.short}):" in captions
