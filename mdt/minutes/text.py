"""How values are worded in the PDFs: names, dates, numbers, vocabulary labels.

Missing values print as ``unknown`` or ``not recorded``, never as a blank that a
reader could take for "none" or "normal".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from xml.sax.saxutils import escape

from mdt import glossary
from mdt.anatomy import RESECTION_LABELS, sort_units
from mdt.case import VESSEL_NAMES, Number
from mdt.minutes.fonts import fallback_markup

UNKNOWN = "unknown"
NOT_RECORDED = "not recorded"

def _capitalised(table: dict[str, str]) -> dict[str, str]:
    return {code: glossary.words(code, table, capital=True) for code in table}


# The board's words (mdt.glossary), capitalised as a table cell or a label starts.
RATING_LABELS: dict[str, str] = _capitalised(glossary.RATING_WORDS)
PLAN_LABELS: dict[str, str] = _capitalised(glossary.PLAN_WORDS)
RATING_SHORT: dict[str, str] = _capitalised(glossary.RATING_SHORT)
PLAN_SHORT: dict[str, str] = {code: glossary.short_words(code)[:1].upper() + glossary.short_words(code)[1:]
                              for code in glossary.PLAN_WORDS}
"""Short forms for the one-page summary table (the patient pages use the full labels)."""
REASON_LABELS: dict[str, str] = _capitalised(glossary.REASON_WORDS)
STATUS_LABELS: dict[str, str] = _capitalised(glossary.STATUS_WORDS)
OUTCOME_LABELS: dict[str, str] = _capitalised(glossary.OUTCOME_WORDS)
RELATION_LABELS: dict[str, str] = _capitalised(glossary.RELATION_WORDS)
SEX_LABELS: dict[str, str] = _capitalised(glossary.SEX_WORDS)
EXTRAHEPATIC_LABELS: dict[str, str] = _capitalised(glossary.EXTRAHEPATIC_WORDS)

def label(value: str | None, labels: dict[str, str], missing: str = NOT_RECORDED) -> str:
    if value is None or value == "":
        return missing
    return labels.get(value, value.replace("_", " "))


def person_name(name: str | None) -> str:
    """``FAMILY^GIVEN`` (DICOM style) as ``FAMILY, Given`` (mdt.glossary); other text unchanged."""
    return glossary.person_name(name, NOT_RECORDED)

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
    return glossary.specialty_words(code, NOT_RECORDED)


def para(text: str) -> str:
    """Escapes text for a reportlab Paragraph (which parses a small XML dialect).

    Characters the body font lacks (Chinese, Japanese, Korean names) are set in
    the fallback font (:func:`mdt.minutes.fonts.fallback_markup`).
    """
    return fallback_markup(escape(text).replace("\n", "<br/>"))
