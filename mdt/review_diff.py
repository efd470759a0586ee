"""What changed between two versions of a review, in the words a board reads.

``L2 diameter 30 → 28 mm``, ``L3 added (VII, 25 mm)``, ``Platelets 150 → 90 ×10⁹/L``,
``Decision plan not recorded → resection``.  One diff for every place that reports a change:
the History tab, the conflict dialog ("what did they change"), and the audit's stored states
(``review_from_state`` reads the review kept in an audit event).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from mdt import glossary
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


_LESION_PARTS = {"diameter_mm": ("diameter", "mm"), "segments": ("segments", ""), "status": ("status", ""),
                 "target": ("target lesion", "")}
_TOP_WORDS: dict[str, tuple[str, str]] = {
    "date": ("Review date", ""), "cycle": ("Cycles completed", ""), "reason": ("Reason for discussion", ""),
    "height_cm": ("Height", "cm"), "weight_kg": ("Weight", "kg"), "ecog": ("ECOG performance status", ""),
    "tumour_burden_pct": ("Tumour share of the liver", "%"),
    "extrahepatic_disease": ("Extrahepatic disease", ""), "notes": ("Notes", ""),
    "imaging.date": ("Imaging date", ""), "imaging.modality": ("Imaging modality", ""),
    "remnant.resection": ("Planned resection", ""), "remnant.flr_ml": ("Remnant volume", "mL"),
    "remnant.tlv_ml": ("Total liver volume", "mL"), "remnant.liver_condition": ("Liver condition", ""),
    "panel.decision.resectability": ("Decision: resectability", ""),
    "panel.decision.plan": ("Decision: plan", ""), "panel.decision.rationale": ("Decision: rationale", ""),
    "panel.decision.next_review": ("Decision: next review", ""),
    "panel.decision.dissent": ("Decision: dissent", ""),
    "panel.decision.responsible": ("Decision: responsible clinician", ""),
}


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
    """(what, unit) of a flattened path."""
    if path in _TOP_WORDS:
        return _TOP_WORDS[path]
    head, _, leaf = path.rpartition(".")
    if head.startswith("lesions[") and head.endswith("]") and leaf in _LESION_PARTS:
        what, unit = _LESION_PARTS[leaf]
        return f"{head[len('lesions['):-1]} {what}", unit
    if head.startswith("lesions[") and head.endswith("]"):
        return f"{head[len('lesions['):-1]} {leaf.replace('_', ' ')}", ""
    if head == "labs" and leaf in glossary.LAB_WORDS:
        return glossary.LAB_WORDS[leaf]
    if head == "labs.uln" and leaf in glossary.LAB_WORDS:
        return f"Upper limit of normal for {glossary.LAB_WORDS[leaf][0]}", glossary.LAB_WORDS[leaf][1]
    if head == "clinical" and leaf in glossary.CLINICAL_WORDS:
        return glossary.CLINICAL_WORDS[leaf]
    words = glossary.field_words(path)
    return words[:1].upper() + words[1:], ""


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
            key_what = f"{lesion} caliper measurement"
            if not any(c.what == key_what for c in out):
                out.append(Change(key_what, "", "", f"lesions[{lesion}].measurement"))
            continue
        if key.startswith("panel.votes"):
            continue  # said per panellist below
        what, unit = _words(key)
        numeric = all(isinstance(v, (int, float, type(None))) and not isinstance(v, bool)
                      for v in (a.get(key), b.get(key)))
        if numeric and unit:
            out.append(Change(what, _value(a.get(key)), _value(b.get(key)), key, unit))
        else:
            out.append(Change(what, _value(a.get(key), unit), _value(b.get(key), unit), key))
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


__all__ = ["HIDDEN_RATING", "Change", "change_lines", "changes", "flatten", "review_from_state"]
