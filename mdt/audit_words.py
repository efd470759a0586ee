"""An audit event in words: what was done, why, and what changed ("L2 diameter 30 → 28 mm").

The audit trail stores each change's state before and after as the record's JSON (for the hash
chain and for auditors); a coordinator reads this instead (the window's History tab).  Review
changes come from ``mdt.review_diff``, the one diff of a review.
"""

from __future__ import annotations

from typing import Any

from mdt import glossary, review_diff

ACTION_WORDS: dict[str, str] = {
    "review.add": "added a review", "review.save": "changed the review",
    "review.amend": "amended the review (signed meeting)", "review.lock": "locked the review at signing",
    "review.vote": "recorded a rating", "patient.create": "created the patient",
    "patient.amend": "changed the patient's details", "patient.archive": "archived the patient",
    "patient.unarchive": "restored the patient", "treatment.set": "changed the chemotherapy course",
    "follow_up.set": "changed the follow-up", "meeting.create": "created the meeting",
    "meeting.update": "changed the meeting", "meeting.agenda": "changed the agenda",
    "meeting.sign": "signed the minutes", "meeting.amend": "amended the signed minutes",
}
_BOOKKEEPING = {"review", "reason", "changes", "version", "amends"}
"""Keys of an audit state that are not fields of the record (said apart, or not at all)."""


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action, action.replace(".", " ").replace("_", " "))


def event_reason(after: object) -> str | None:
    reason = after.get("reason") if isinstance(after, dict) else None
    return str(reason) if reason else None


def _value(value: object) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (str, int, float)) for v in value):
            return ", ".join(str(v) for v in value)
        return glossary.plural(len(value), "entry", "entries")
    if isinstance(value, dict):
        return "; ".join(f"{glossary.field_words(str(k))}: {_value(v)}" for k, v in value.items()) or "not recorded"
    return glossary.words(str(value)) if "_" in str(value) else str(value)


def _flat(state: object, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(state, dict):
        for key, value in state.items():
            if not prefix and key in _BOOKKEEPING:
                continue
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict) and value:
                out.update(_flat(value, path))
            else:
                out[path] = value
    return out


def change_lines(action: str, before: object, after: object, *, hide_ratings: bool = False,
                 limit: int = 40) -> list[str]:
    """What the event changed, one line each: a review's fields through ``mdt.review_diff``; any
    other record's fields as "field: before → after" (a new record: its fields as recorded)."""
    old_review = review_diff.review_from_state(before)
    new_review = review_diff.review_from_state(after)
    if new_review is not None:
        return review_diff.change_lines(old_review, new_review, hide_ratings=hide_ratings, limit=limit)
    a, b = _flat(before), _flat(after)
    lines = []
    for key in list(a) + [k for k in b if k not in a]:
        va, vb = a.get(key), b.get(key)
        if va == vb:
            continue
        what = glossary.field_words(key)
        what = what[:1].upper() + what[1:]
        lines.append(f"{what}: {_value(vb)}" if key not in a else f"{what} {_value(va)} → {_value(vb)}")
    if len(lines) > limit:
        lines = lines[:limit] + [f"… and {len(lines) - limit} more"]
    return lines


def event_text(at: str, actor: str, action: str, record: str, before: object, after: object, *,
               hide_ratings: bool = False) -> str:
    """The whole event as a coordinator reads it: who did what to which record when, why, and
    each change on its own line."""
    lines = [f"{actor} {action_words(action)} — {record}", f"at {at} (UTC)"]
    reason = event_reason(after)
    if reason:
        lines.append(f"Reason: {reason}")
    changed = change_lines(action, before, after, hide_ratings=hide_ratings)
    if changed:
        lines.append("")
        lines.append("What changed:" if before is not None else "Recorded:")
        lines.extend(f"  • {line}" for line in changed)
    elif before is not None:
        lines.append("No field changed.")
    if hide_ratings:
        lines.append("")
        lines.append(f"Ratings are {review_diff.HIDDEN_RATING} (independent rating).")
    return "\n".join(lines)


__all__ = ["ACTION_WORDS", "action_words", "change_lines", "event_reason", "event_text"]
