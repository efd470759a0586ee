"""What changed between two versions of a review, in the words a board reads.

``L2 diameter 30 → 28 mm``, ``L3 added (VII, 25 mm)``, ``Platelets 150 → 90 ×10⁹/L`` (every field
named by its one entry in ``mdt.field_names``),
``Decision plan not recorded → resection``.  One diff for every place that reports a change:
the History tab, the conflict dialog ("what did they change"), and the audit's stored states
(``review_from_state`` reads the review kept in an audit event).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from mdt import field_names, glossary
from mdt.case import VESSEL_NAMES, Lesion, Review

HIDDEN_RATING = "hidden until the decision is recorded"
"""A rating while the panel rates independently (no decision yet): who rated shows, not what."""


@dataclass(frozen=True)
class Change:
    """One changed field: ``what`` it is in words, its value ``before`` and ``after`` in words (with
    the unit), and the exact ``path`` (for the audit-minded and for tests)."""

    what: str
    before: str
    after: str
    path: str
    unit: str = ""

    def text(self) -> str:
        """"L2 diameter 30 → 28 mm" (the unit once, after both numbers)."""
        if self.before == "" and self.after == "":
            return self.what
        if not self.unit:
            return f"{self.what} {self.before} → {self.after}"
        missing = "not recorded"
        if missing not in (self.before, self.after):
            return f"{self.what} {self.before} → {self.after} {self.unit}"
        def with_unit(v: str) -> str:
            return v if v == missing else f"{v} {self.unit}"
        return f"{self.what} {with_unit(self.before)} → {with_unit(self.after)}"


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """A dataclass tree as ``path -> leaf value`` (lesions keyed by their id), for "what changed"."""
    out: dict[str, Any] = {}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            out.update(flatten(getattr(obj, f.name), f"{prefix}.{f.name}" if prefix else f.name))
    elif isinstance(obj, tuple) and obj and all(isinstance(x, Lesion) for x in obj):
        for les in obj:
            out.update(flatten(les, f"{prefix}[{les.id}]"))
    elif isinstance(obj, tuple) and obj and dataclasses.is_dataclass(obj[0]):
        for i, item in enumerate(obj):
            out.update(flatten(item, f"{prefix}[{i}]"))
    else:
        out[prefix] = obj
    return out


def _value(value: object, unit: str = "") -> str:
    if value is None or value == () or value == "":
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float)):
        return f"{value} {unit}".strip()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ", ".join(_value(v) for v in value) or "not recorded"
    text = str(value)
    return glossary.words(text) if "_" in text or text.islower() else text


def _words(path: str) -> tuple[str, str]:
    """(what, unit) of a flattened path: the field's one name and unit (``mdt.field_names``);
    a lesion's field as "L2 diameter"."""
    head, _, leaf = path.rpartition(".")
    if head.startswith("lesions[") and head.endswith("]"):
        return field_names.lesion_label(head[len("lesions["):-1], leaf), field_names.unit(f"lesions[].{leaf}")
    name = field_names.name_for(path)
    if name is not None:
        return name.label, name.unit
    words = glossary.field_words(path)
    return words[:1].upper() + words[1:], ""


def field_change(path: str, before: object, after: object) -> Change:
    """One field's change in the History tab's words: ``labs.bilirubin``, 11, 25 -> "Total
    bilirubin 11 → 25 µmol/L".  The review editor's saved reasons use it too, so a version's
    reason and its diff line read the same."""
    what, unit = _words(path)
    numeric = all(isinstance(v, (int, float, type(None))) and not isinstance(v, bool)
                  for v in (before, after))
    if numeric and unit:
        return Change(what, _value(before), _value(after), path, unit)
    return Change(what, _value(before, unit), _value(after, unit), path)


def _lesion_text(les: Lesion) -> str:
    size = f", {_value(les.diameter_mm, 'mm')}" if les.diameter_mm is not None else ""  # "VII, 25 mm"
    return f"{glossary.units_range(les.segments)}{size}"


def _vessel_lines(old: Review, new: Review) -> list[Change]:
    """Vessel relations keyed by (structure, lesion): "Right portal vein / L2: contact → encasement"."""
    def table(r: Review) -> dict[tuple[str, str | None], str]:
        return {(v.structure, v.lesion): v.relation for v in r.vessels or ()}

    a, b = table(old), table(new)
    out = []
    for key in list(a) + [k for k in b if k not in a]:
        if a.get(key) != b.get(key):
            structure, lesion = key
            what = f"{structure} ({VESSEL_NAMES.get(structure, structure)})" + (f" / {lesion}" if lesion else "")
            out.append(Change(f"Vessel {what}", _value(a.get(key)), _value(b.get(key)),
                              f"vessels[{structure}/{lesion or ''}]"))
    return out


def _rating_lines(old: Review, new: Review, hidden: bool) -> list[Change]:
    """One line per panellist whose rating changed: "Bo Chen's rating convertible → resectable";
    ``hidden``: who rated, never what ("Bo Chen's rating recorded (hidden until …)")."""
    def table(r: Review) -> dict[tuple[str, int], Any]:
        return {(v.member, v.round): v for v in r.panel.votes}

    a, b = table(old), table(new)
    out = []
    for key in list(a) + [k for k in b if k not in a]:
        va, vb = a.get(key), b.get(key)
        if va == vb:
            continue
        member, round_ = key
        who = f"{member}'s rating" + (f" (round {round_})" if round_ != 1 else "")

        def shown(v: Any) -> str:
            if v is None:
                return "none"
            return ("withdrawn" if v.withdrawn else glossary.words(v.rating))

        if hidden:
            done = "recorded" if va is None else ("withdrawn" if vb is not None and vb.withdrawn else "changed")
            out.append(Change(f"{who} {done} ({HIDDEN_RATING})", "", "", f"panel.votes[{member}]"))
        elif va is not None and vb is not None and shown(va) == shown(vb):
            out.append(Change(f"{who} comment or history updated", "", "", f"panel.votes[{member}]"))
        else:
            out.append(Change(who, shown(va), shown(vb), f"panel.votes[{member}]"))
    return out


def changes(old: Review | None, new: Review | None, *, hide_ratings: bool = False) -> list[Change]:
    """Every change from ``old`` to ``new`` in words (``old`` None: the review was added).
    ``hide_ratings``: ratings are named as changed, never shown (independent rating)."""
    if new is None:
        return []
    if old is None:
        count = len(new.lesions)
        return [Change(f"New review with {glossary.plural(count, 'lesion')}", "", "", "")]
    out: list[Change] = []
    old_ids = {les.id for les in old.lesions}
    new_ids = {les.id for les in new.lesions}
    for les in new.lesions:
        if les.id not in old_ids:
            out.append(Change(f"{les.id} added ({_lesion_text(les)})", "", "", f"lesions[{les.id}]"))
    for les in old.lesions:
        if les.id not in new_ids:
            out.append(Change(f"{les.id} removed (was {_lesion_text(les)})", "", "", f"lesions[{les.id}]"))
    a, b = flatten(dataclasses.replace(old, vessels=())), flatten(dataclasses.replace(new, vessels=()))
    for key in list(a) + [k for k in b if k not in a]:
        if a.get(key) == b.get(key):
            continue
        lesion = key.split("]", 1)[0][len("lesions["):] if key.startswith("lesions[") else None
        if lesion is not None and (lesion not in old_ids or lesion not in new_ids):
            continue  # said once above as "added" / "removed"
        if key.startswith("lesions[") and ".measurement" in key:
            key_what = field_names.lesion_label(lesion or "", "measurement")
            if not any(c.what == key_what for c in out):
                out.append(Change(key_what, "", "", f"lesions[{lesion}].measurement"))
            continue
        if key.startswith("panel.votes"):
            continue  # said per panellist below
        out.append(field_change(key, a.get(key), b.get(key)))
    out.extend(_vessel_lines(old, new))
    out.extend(_rating_lines(old, new, hide_ratings))
    return out


def change_lines(old: Review | None, new: Review | None, *, limit: int = 40,
                 hide_ratings: bool = False) -> list[str]:
    """The changes as lines of text, at most ``limit`` (then "… and N more")."""
    lines = [c.text() for c in changes(old, new, hide_ratings=hide_ratings)]
    if len(lines) > limit:
        lines = lines[:limit] + [f"… and {len(lines) - limit} more"]
    return lines


def review_from_state(state: object) -> Review | None:
    """The review kept in an audit event's state (``{"review": {...}, "version": 3}``), or None
    when the state holds none or cannot be read (an old or foreign record is shown, not fatal)."""
    from mdt import caseformat
    from mdt.errors import MdtError

    if not isinstance(state, dict) or not isinstance(state.get("review"), dict):
        return None
    try:
        return caseformat.parse_review(state["review"], stored=True)
    except (MdtError, ValueError, TypeError, KeyError):
        return None


__all__ = ["HIDDEN_RATING", "Change", "change_lines", "changes", "field_change", "flatten", "review_from_state"]
