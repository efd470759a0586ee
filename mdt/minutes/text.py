"""How values are worded in the PDFs: names, dates, numbers, vocabulary labels.

Missing values print as ``unknown`` or ``not recorded``, never as a blank that a
reader could take for "none" or "normal".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from xml.sax.saxutils import escape

from mdt.anatomy import RESECTION_LABELS, sort_units
from mdt.case import VESSEL_NAMES, Number
from mdt.meeting import SPECIALTY_LABELS
from mdt.minutes.fonts import fallback_markup

UNKNOWN = "unknown"
NOT_RECORDED = "not recorded"

RATING_LABELS: dict[str, str] = {
    "resectable": "Resectable",
    "convertible": "Convertible (potentially resectable)",
    "permanently_unresectable": "Permanently unresectable",
    "indeterminate": "Indeterminate (data missing)",
}
PLAN_LABELS: dict[str, str] = {
    "resection": "Resection",
    "resection_ablation": "Resection with ablation",
    "ablation": "Ablation",
    "two_stage": "Two-stage hepatectomy",
    "pve_then_resection": "Portal vein embolisation, then resection",
    "continue_induction": "Continue induction chemotherapy",
    "intensify_hai": "Intensify (HAI)",
    "palliative": "Palliative treatment",
    "best_supportive_care": "Best supportive care",
    "rediscuss": "Re-discuss",
}
RATING_SHORT: dict[str, str] = {
    "resectable": "Resectable", "convertible": "Convertible",
    "permanently_unresectable": "Perm. unresectable", "indeterminate": "Indeterminate",
}
PLAN_SHORT: dict[str, str] = {
    "resection": "Resection", "resection_ablation": "Resection + ablation", "ablation": "Ablation",
    "two_stage": "Two-stage hepatectomy", "pve_then_resection": "PVE, then resection",
    "continue_induction": "Continue induction", "intensify_hai": "Intensify (HAI)",
    "palliative": "Palliative", "best_supportive_care": "Best supportive care", "rediscuss": "Re-discuss",
}
"""Short forms for the one-page summary table (the patient pages use the full labels)."""
REASON_LABELS: dict[str, str] = {
    "baseline": "Baseline assessment",
    "reassessment": "Re-assessment during treatment",
    "progression": "Suspected progression",
    "post_operative": "Post-operative review",
    "toxicity": "Toxicity",
    "other": "Other",
}
STATUS_LABELS: dict[str, str] = {"met": "Met", "not_met": "Not met", "unknown": "Unknown"}
OUTCOME_LABELS: dict[str, str] = {
    "on_treatment": "On treatment",
    "converted": "Converted to resectable",
    "resected": "Resected",
    "progressed": "Progressed",
    "palliative": "Palliative",
    "died": "Died",
    "withdrawn": "Withdrawn",
    "lost_to_follow_up": "Lost to follow-up",
}
RELATION_LABELS: dict[str, str] = {
    "contact": "Contact", "encasement": "Encasement (> 180°)", "invasion": "Invasion",
    "thrombus": "Tumour thrombus",
}
SEX_LABELS: dict[str, str] = {"F": "Female", "M": "Male", "O": "Other"}
EXTRAHEPATIC_LABELS: dict[str, str] = {
    "none": "None", "indeterminate": "Indeterminate", "confirmed": "Confirmed",
}


def label(value: str | None, labels: dict[str, str], missing: str = NOT_RECORDED) -> str:
    if value is None or value == "":
        return missing
    return labels.get(value, value.replace("_", " "))


def person_name(name: str | None) -> str:
    """``FAMILY^GIVEN`` (DICOM style) as ``FAMILY, Given``; other text unchanged."""
    if not name:
        return NOT_RECORDED
    parts = [p.strip() for p in name.split("^")]
    family = parts[0]
    given = " ".join(p for p in parts[1:] if p)
    return f"{family}, {given}" if given else family


def day(d: date | None, missing: str = NOT_RECORDED) -> str:
    return d.isoformat() if d is not None else missing


def stamp(t: datetime | None, missing: str = NOT_RECORDED) -> str:
    """A timestamp to the minute with its zone (UTC for aware times)."""
    if t is None:
        return missing
    if t.tzinfo is not None:
        t = t.astimezone(UTC)
        return t.strftime("%Y-%m-%d %H:%M UTC")
    return t.strftime("%Y-%m-%d %H:%M")


def num(value: Number | None, places: int = 1, unit: str = "", missing: str = NOT_RECORDED) -> str:
    if value is None:
        return missing
    if isinstance(value, int):
        text = str(value)
    elif float(value).is_integer():
        text = str(int(value))
    else:
        text = f"{value:.{places}f}"
    return f"{text} {unit}".strip() if unit else text


def pct(value: float | None, places: int = 1, signed: bool = False, missing: str = NOT_RECORDED) -> str:
    if value is None:
        return missing
    return f"{value:+.{places}f} %" if signed else f"{value:.{places}f} %"


def yes_no(value: bool | None, missing: str = UNKNOWN) -> str:
    if value is None:
        return missing
    return "yes" if value else "no"


def segments_text(codes: tuple[str, ...] | None, missing: str = NOT_RECORDED) -> str:
    if codes is None:
        return missing
    if not codes:
        return "none"
    known = [c for c in codes if c != "IV"]
    try:
        ordered = list(sort_units(known))
    except KeyError:
        ordered = sorted(known)
    if "IV" in codes:
        ordered.insert(0, "IV")
    return ", ".join(ordered)


def resection_label(name: str | None) -> str:
    return label(name, RESECTION_LABELS)


def vessel_label(code: str) -> str:
    name = VESSEL_NAMES.get(code)
    return f"{code} ({name})" if name else code


def specialty_label(code: str | None) -> str:
    return label(code, SPECIALTY_LABELS)


def para(text: str) -> str:
    """Escapes text for a reportlab Paragraph (which parses a small XML dialect).

    Characters the body font lacks (Chinese, Japanese, Korean names) are set in
    the fallback font (:func:`mdt.minutes.fonts.fallback_markup`).
    """
    return fallback_markup(escape(text).replace("\n", "<br/>"))
