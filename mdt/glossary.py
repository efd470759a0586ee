"""The words and marks a person reads for an evaluation: verdicts, what each criterion's
finding means, the one colour-and-symbol legend, criterion groups, field and plan names.

The window (criteria panel, remnant panel, presentation mode), the PDF minutes and the
terminal report all read from here, so a criterion reads the same everywhere and nobody
sees a rule id or a JSON path.  The JSON output keeps its machine keys (``met``,
``not_met``, rule ids, field paths) beside these words.

The legend (one for every screen and page).  Each criterion's finding has an *effect*,
named by the verdict colour it pushes towards; colour is never alone, every effect has its
own symbol and word:

====  ================  ==========================================================
mark  word              meaning
====  ================  ==========================================================
✔     OK                nothing here stands against resection or enrolment
●     unresectable now  counts towards "convertible": unresectable now
✘     excludes          permanently unresectable, or not eligible for the trial
?     unknown           data missing: never a pass
====  ================  ==========================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from mdt import anatomy, field_names

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"

# --------------------------------------------------------------------------- the legend

OK, UNRESECTABLE, EXCLUDES = "ok", "unresectable", "excludes"
EFFECTS: tuple[str, ...] = (OK, UNRESECTABLE, EXCLUDES, UNKNOWN)
MARKS: dict[str, str] = {OK: "✔", UNRESECTABLE: "●", EXCLUDES: "✘", UNKNOWN: "?"}
EFFECT_WORDS: dict[str, str] = {
    OK: "OK", UNRESECTABLE: "unresectable now", EXCLUDES: "excludes", UNKNOWN: "unknown",
}
EFFECT_COLOURS: dict[str, str] = {
    OK: "#1b5e20",            # green
    UNRESECTABLE: "#0d47a1",  # blue
    EXCLUDES: "#b3261e",      # red
    UNKNOWN: "#8a6d00",       # amber
}
EFFECT_MEANINGS: dict[str, str] = {
    OK: "nothing here stands against resection or enrolment",
    UNRESECTABLE: "counts towards convertible",
    EXCLUDES: "permanently unresectable, or not eligible for the trial",
    UNKNOWN: "data missing: never a pass",
}
LEGEND: tuple[tuple[str, str, str, str], ...] = tuple(
    (MARKS[e], EFFECT_WORDS[e], EFFECT_COLOURS[e], EFFECT_MEANINGS[e]) for e in EFFECTS)
"""(mark, word, colour, meaning) of every effect, in display order."""


def legend_text(separator: str = " · ") -> str:
    """The legend in one line of plain text."""
    return separator.join(f"{mark} {word}: {meaning}" for mark, word, _c, meaning in LEGEND)


# Whether "met" is good or bad news depends on the criterion's group.  The groups whose
# statement is an obstacle (an unresectability criterion, an exclusion) push to a verdict when
# met; the requirements (technical, inclusion, organ function) push when NOT met.
_WHEN_MET: dict[str, str] = {
    "unresectability": UNRESECTABLE, "biological": UNRESECTABLE, "exclusion": EXCLUDES,
    "technical": OK, "inclusion": OK, "organ_function": OK,
}
_WHEN_NOT_MET: dict[str, str] = {
    "unresectability": OK, "biological": OK, "exclusion": OK,
    "technical": UNRESECTABLE, "inclusion": EXCLUDES, "organ_function": EXCLUDES,
}


def effect(group: str, status: str) -> str:
    """The effect of a criterion's status in its group (``ok``, ``unresectable``,
    ``excludes`` or ``unknown``)."""
    if status == MET:
        return _WHEN_MET.get(group, OK)
    if status == NOT_MET:
        return _WHEN_NOT_MET.get(group, OK)
    return UNKNOWN


def mark(effect_code: str) -> str:
    return MARKS.get(effect_code, "?")


def effect_label(effect_code: str) -> str:
    """"✔ OK", "● unresectable now", "✘ excludes", "? unknown"."""
    return f"{MARKS.get(effect_code, '?')} {EFFECT_WORDS.get(effect_code, effect_code)}"


def effect_colour(effect_code: str) -> str:
    return EFFECT_COLOURS.get(effect_code, "#111111")


# --------------------------------------------------------------------------- verdicts

VERDICT_EFFECT: dict[str, str] = {
    "resectable": OK, "convertible": UNRESECTABLE, "permanently_unresectable": EXCLUDES,
    "indeterminate": UNKNOWN,
}
VERDICT_WORDS: dict[str, str] = {
    "resectable": "RESECTABLE",
    "convertible": "CONVERTIBLE — unresectable now",
    "permanently_unresectable": "PERMANENTLY UNRESECTABLE",
    "indeterminate": "INDETERMINATE",
}
ELIGIBILITY_EFFECT: dict[str, str] = {
    "eligible": OK, "not_eligible": EXCLUDES, "indeterminate": UNKNOWN,
}
ELIGIBILITY_WORDS: dict[str, str] = {
    "eligible": "ELIGIBLE", "not_eligible": "NOT ELIGIBLE", "indeterminate": "UNDECIDED",
}


def verdict_text(resectability: str) -> str:
    """"✔ RESECTABLE", "● CONVERTIBLE — unresectable now", "? INDETERMINATE"..."""
    e = VERDICT_EFFECT.get(resectability, UNKNOWN)
    return f"{MARKS[e]} {VERDICT_WORDS.get(resectability, resectability.upper())}"


def verdict_colour(resectability: str) -> str:
    return EFFECT_COLOURS[VERDICT_EFFECT.get(resectability, UNKNOWN)]


def eligibility_text(eligibility: str) -> str:
    e = ELIGIBILITY_EFFECT.get(eligibility, UNKNOWN)
    return f"{MARKS[e]} {ELIGIBILITY_WORDS.get(eligibility, eligibility.upper())}"


def eligibility_colour(eligibility: str) -> str:
    return EFFECT_COLOURS[ELIGIBILITY_EFFECT.get(eligibility, UNKNOWN)]


# --------------------------------------------------------------------------- criterion groups

GROUP_TITLES: dict[str, str] = {
    "unresectability": "Unresectability — any one makes the patient unresectable now",
    "technical": "Technical resectability — all are needed",
    "biological": "Biological criterion",
    "exclusion": "Exclusions — none may apply",
    "inclusion": "Inclusion — all are needed",
    "organ_function": "Organ function — all are needed",
}
GROUP_SHORT: dict[str, str] = {
    "unresectability": "unresectability", "technical": "technical", "biological": "biological",
    "exclusion": "exclusion", "inclusion": "inclusion", "organ_function": "organ function",
}
"""The group of a criterion, as a plain caption under its bold mark and word."""


def group_title(group: str) -> str:
    return GROUP_TITLES.get(group, group.replace("_", " ").capitalize())


# --------------------------------------------------------------------------- names of data

# A field's name is one entry of mdt.field_names; these are views of it, never a second spelling.
LAB_WORDS: dict[str, tuple[str, str]] = {k: (n.label, n.unit) for k, n in field_names.LAB_NAMES.items()}
CLINICAL_WORDS: dict[str, tuple[str, str]] = {
    k: (n.label, n.unit) for k, n in field_names.CLINICAL_NAMES.items()}
# What is missing when a whole part of a review is: the phrase says why as well as what.  A single
# field reads as its one name (mdt.field_names).
_FIELD_WORDS: dict[str, str] = {
    "lesions": "the lesions (none recorded)",
    "vessels": "the vessel relations (not assessed)",
    "remnant": "the planned resection",
    "remnant.segments": "the planned resection",
    "remnant.flr_segments": "the remnant volume measured for this plan",
    "remnant.pve": "the portal vein embolisation",
    "remnant.local_treatment": "the local treatment of the lesions left in the remnant",
    "treatment": "the chemotherapy course",
    "labs.uln": "the local upper limits of normal",
}
_SHARED_KEYS = frozenset(("date", "reason", "notes"))
_PATH = re.compile(r"^(?:\[\d+\]\.)?(?:reviews\[(\d+)\]\.?)?(.*)$")
_LESION = re.compile(r"^lesions\[(\d+)\]\.(\w+)$")


def field_words(path: str, lesion_ids: Sequence[str] = ()) -> str:
    """A field path as a clinician reads it: ``reviews[2].labs.plt`` -> "Platelets" (the field's one
    name, ``mdt.field_names``), ``reviews[0].lesions[1].diameter_mm`` -> "L2 diameter" (``lesion_ids`` of that
    review name the lesions), ``reviews[0]`` -> "an earlier review"."""
    m = _PATH.match(path.strip())
    rest = m.group(2) if m else path
    if not rest:
        return "the review before treatment" if m and m.group(1) == "0" else "an earlier review"
    if rest in _FIELD_WORDS:
        return _FIELD_WORDS[rest]
    lm = _LESION.match(rest)
    if lm:
        i, attr = int(lm.group(1)), lm.group(2)
        who = lesion_ids[i] if i < len(lesion_ids) else f"Lesion {i + 1}"
        return field_names.lesion_label(who, attr)
    # A bare "date", "reason" or "notes" may be any record's (an audit event of a meeting): only
    # a path that says it is inside a review reads as the review's field.
    inside_review = bool(m and m.group(1) is not None) or rest not in _SHARED_KEYS
    name = field_names.name_for(rest) if inside_review else field_names.NAMES.get(rest)
    if name is not None:
        return name.label
    return rest.replace("_", " ").replace(".", " ")


# --------------------------------------------------------------------------- segments and plans

def units_range(units: Iterable[str]) -> str:
    """Segments as a surgeon writes them: runs of three or more in Couinaud order as a range
    ("I–IVb", "V–VIII"), shorter runs listed ("II, III"); empty -> "none"."""
    return _units_range(frozenset(units))


@lru_cache(maxsize=1024)
def _units_range(present: frozenset[str]) -> str:
    if not present:
        return "none"
    parts: list[str] = []
    run: list[str] = []
    for unit in anatomy.UNITS + ("",):
        if unit in present:
            run.append(unit)
            continue
        if len(run) >= 3:
            parts.append(f"{run[0]}–{run[-1]}")
        elif run:
            parts.append(anatomy.describe_units(run))
        run = []
    return ", ".join(parts)


def plan_words(resection: str | None, remnant: Iterable[str],
               local: Iterable[tuple[str, str]] = ()) -> str:
    """"Right hepatectomy (remnant I–IV), wedge L2" or "Resection leaving II, III"."""
    units = frozenset(remnant)
    name = anatomy.RESECTION_LABELS.get(resection or "")
    if name is None:
        name = ("No anatomical resection" if units == frozenset(anatomy.UNITS)
                else "Resection leaving " + units_range(units))
        text = name
    else:
        text = f"{name} (remnant {units_range(units)})"
    treated = [f"{method} {lid}" for lid, method in local]
    return text + (", " + ", ".join(treated) if treated else "")


SETTING_NOTE = "Setting"

PLAN_NOTE_NO_LESIONS = "No lesion recorded: no plan is suggested."
PLAN_NOTE_VESSELS = "Vessel relations not assessed: no plan is suggested until they are."
PLAN_NOTE_RECORDED = "The recorded plan governs the verdict; better plans are reported."
PLAN_NOTE_SEARCH = "No plan recorded: the best plan found governs the verdict."
PLAN_NOTES: frozenset[str] = frozenset((PLAN_NOTE_NO_LESIONS, PLAN_NOTE_VESSELS,
                                        PLAN_NOTE_RECORDED, PLAN_NOTE_SEARCH))
"""The notes an evaluation adds about its review's plan; every other note of its assumptions
belongs to the protocol (its assumptions and settings: the same for every patient on it)."""


def review_notes(assumptions: Iterable[str]) -> tuple[str, ...]:
    """The notes about this review's plan, out of an evaluation's assumptions."""
    return tuple(a for a in assumptions if a in PLAN_NOTES)


def protocol_notes(assumptions: Iterable[str]) -> tuple[str, ...]:
    """The protocol's assumptions and settings, out of an evaluation's assumptions."""
    return tuple(a for a in assumptions if a not in PLAN_NOTES)
"""Prefix of the protocol settings listed with every evaluation."""

# --------------------------------------------------------------------------- the board's vocabulary
#
# One word for one thing, in the window, the PDFs and the terminal.  A term retired here must not
# come back (tests/test_wording_scan.py scans every string the window and the PDFs show for them).

PROTOCOL_VERDICT = "Protocol verdict"
"""What the protocol's criteria give for resectability (the engine's result): never the panel's."""
PANEL_DECISION = "Panel decision"
"""What the board decided and recorded (resectability and plan)."""
RATINGS_RESULT = "Result of the ratings"
"""What the panellists' ratings give under the protocol's rule (consensus, majority, CAIRO5)."""
TRIAL_ELIGIBILITY = "Trial eligibility"
"""Whether the patient may be (or stay) enrolled in the protocol's trial: shown apart from the verdict."""

TERMS: dict[str, str] = {
    PROTOCOL_VERDICT: "what the protocol's criteria give for resectability, from the recorded data",
    PANEL_DECISION: "what the board decided and recorded: resectability, plan, rationale, next review",
    RATINGS_RESULT: "what the panellists' ratings give under the protocol's rule",
    TRIAL_ELIGIBILITY: "whether the patient may be, or stay, enrolled in the protocol's trial",
}
"""The board's terms and what each means (Help → About lists them)."""

RETIRED_TERMS: dict[str, str] = {
    "Engine verdict": PROTOCOL_VERDICT,
    "Protocol assessment": PROTOCOL_VERDICT,
    "Criteria:": PROTOCOL_VERDICT,
    "Resectability:": PROTOCOL_VERDICT,
    "hepatobiliary surgeon": "HPB surgeon",
    "Hepatobiliary surgeon": "HPB surgeon",
}
"""Words that once named the same thing differently, and the term that replaced each."""

# -- people

def person_name(name: str | None, missing: str = "name not recorded") -> str:
    """A name as the board reads it everywhere: DICOM ``FAMILY^GIVEN`` -> "FAMILY, Given"
    (family name as written, then the given names); other text unchanged."""
    if not name or not name.strip("^ "):
        return missing
    parts = [p.strip() for p in name.split("^")]
    family = parts[0]
    given = " ".join(p for p in parts[1:3] if p)
    return f"{family}, {given}" if given and family else (family or given)


def name_search_keys(name: str | None) -> tuple[str, ...]:
    """The ways a person may type this name in a search box: "DUPONT-BIERRE, Jean",
    "Jean DUPONT-BIERRE", "Dupont-Bierre Jean" (all case-folded, accents kept)."""
    if not name:
        return ()
    parts = [p.strip() for p in name.split("^") if p.strip()]
    if not parts:
        return ()
    family, given = parts[0], " ".join(parts[1:3])
    keys = {person_name(name).casefold(), f"{family} {given}".strip().casefold(),
            f"{given} {family}".strip().casefold(), name.casefold()}
    return tuple(sorted(keys))


SPECIALTY_WORDS: dict[str, str] = {
    "hepatobiliary_surgeon": "HPB surgeon",
    "diagnostic_radiologist": "Diagnostic radiologist",
    "interventional_radiologist": "Interventional radiologist",
    "medical_oncologist": "Medical oncologist",
    "pathologist": "Pathologist",
    "radiation_oncologist": "Radiation oncologist",
    "gastroenterologist": "Gastroenterologist",
    "nurse_specialist": "Nurse specialist",
    "coordinator": "Coordinator",
    "other": "Other",
    # Roles the protocols' rules name that are not a registry specialty.
    "radiologist": "Radiologist",
    "surgeon": "Surgeon",
    "oncologist": "Oncologist",
}
ROLE_WORDS: dict[str, str] = {"chair": "chair", "coordinator": "coordinator", "member": "member"}


def specialty_words(code: str | None, missing: str = "not recorded") -> str:
    """"HPB surgeon", "Medical oncologist" (never the code, never a second spelling)."""
    if not code:
        return missing
    # A rating's role may be typed ("hepatobiliary surgeon") rather than the registry's code.
    key = code.strip().lower().replace(" ", "_").replace("-", "_")
    return SPECIALTY_WORDS.get(key, code.replace("_", " ").capitalize())


def specialty_plural(code: str) -> str:
    """"HPB surgeons", "surgeons", "medical oncologists": a specialty as several people."""
    text = specialty_words(code)
    if not text[:2].isupper():
        text = text[:1].lower() + text[1:]
    return plural(2, text).split(" ", 1)[1]


# -- counts

_IRREGULAR: dict[str, str] = {"analysis": "analyses", "criterion": "criteria", "person": "people",
                              "embolisation": "embolisations", "series": "series"}


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """"1 review", "3 reviews", "0 ratings", "2 criteria": the count and the noun agreeing."""
    if n == 1:
        return f"{n} {singular}"
    if plural_form is None:
        head, _, last = singular.rpartition(" ")
        if last in _IRREGULAR:
            word = _IRREGULAR[last]
        elif last.endswith(("s", "x", "ch", "sh")):
            word = last + "es"
        elif last.endswith("y") and last[-2:-1] not in tuple("aeiou"):
            word = last[:-1] + "ies"
        else:
            word = last + "s"
        plural_form = f"{head} {word}" if head else word
    return f"{n} {plural_form}"


# -- codes of the case format, in words

RATING_WORDS: dict[str, str] = {
    "resectable": "resectable",
    "convertible": "convertible (potentially resectable)",
    "permanently_unresectable": "permanently unresectable",
    "indeterminate": "indeterminate (data missing)",
}
RATING_SHORT: dict[str, str] = {
    "resectable": "resectable", "convertible": "convertible",
    "permanently_unresectable": "permanently unresectable", "indeterminate": "indeterminate",
}
"""Ratings and decisions where a column is narrow (lists, the summary table)."""
PLAN_WORDS: dict[str, str] = {
    "resection": "resection",
    "resection_ablation": "resection with ablation",
    "ablation": "ablation",
    "two_stage": "two-stage hepatectomy",
    "pve_then_resection": "portal vein embolisation, then resection",
    "continue_induction": "continue induction chemotherapy",
    "intensify_hai": "intensify (HAI)",
    "palliative": "palliative treatment",
    "best_supportive_care": "best supportive care",
    "rediscuss": "discuss again",
}
PLAN_SHORT: dict[str, str] = {
    "resection_ablation": "resection + ablation", "pve_then_resection": "PVE, then resection",
    "continue_induction": "continue induction", "palliative": "palliative",
}
"""Short forms of plans where a column is narrow; the others read as PLAN_WORDS."""
REASON_WORDS: dict[str, str] = {
    "baseline": "baseline assessment", "reassessment": "reassessment", "progression": "suspected progression",
    "post_operative": "post-operative review", "toxicity": "toxicity", "other": "other",
}
OUTCOME_WORDS: dict[str, str] = {
    "on_treatment": "on treatment", "converted": "converted to resectable", "resected": "resected",
    "progressed": "progressed", "palliative": "palliative", "died": "died", "withdrawn": "withdrawn",
    "lost_to_follow_up": "lost to follow-up", "ablated": "ablated",
}
RELATION_WORDS: dict[str, str] = {
    "contact": "contact", "encasement": "encasement (> 180°)", "invasion": "invasion",
    "thrombus": "tumour thrombus",
}
RELATION_SHORT: dict[str, str] = {"encasement": "encasement", "thrombus": "thrombus"}
"""Vessel relations in a grid cell (the legend and the PDF give the full words)."""
SEX_WORDS: dict[str, str] = {"F": "female", "M": "male", "O": "other"}
EXTRAHEPATIC_WORDS: dict[str, str] = {
    "none": "none", "indeterminate": "indeterminate", "confirmed": "confirmed",
}
LESION_STATUS_WORDS: dict[str, str] = {
    "present": "present", "disappeared": "disappeared", "ablated": "ablated", "resected": "resected",
}
LIVER_CONDITION_WORDS: dict[str, str] = {
    "normal": "normal liver", "chemotherapy": "after chemotherapy", "steatosis": "steatosis",
    "fibrosis": "fibrosis", "cirrhosis": "cirrhosis", "unknown": "unknown",
}
STATUS_WORDS: dict[str, str] = {MET: "met", NOT_MET: "not met", UNKNOWN: "unknown"}

_VOCABULARIES: tuple[dict[str, str], ...] = (
    RATING_WORDS, PLAN_WORDS, REASON_WORDS, OUTCOME_WORDS, RELATION_WORDS, EXTRAHEPATIC_WORDS,
    LESION_STATUS_WORDS, LIVER_CONDITION_WORDS, SPECIALTY_WORDS,
)


def words(code: str | None, table: dict[str, str] | None = None, missing: str = "not recorded",
          *, capital: bool = False) -> str:
    """A vocabulary code in words, from ``table`` or else from the first vocabulary that knows it
    (``pve_then_resection`` -> "portal vein embolisation, then resection"); an unknown code reads
    with its underscores as spaces.  ``capital``: first letter up, to start a sentence or a cell."""
    if code is None or code == "":
        return missing
    if table is not None and code in table:
        text = table[code]
    else:
        text = next((v[code] for v in _VOCABULARIES if code in v), code.replace("_", " "))
    return text[:1].upper() + text[1:] if capital else text


def short_words(code: str | None, missing: str = "–") -> str:
    """A rating or plan where a column is narrow: "permanently unresectable", "PVE, then resection"."""
    if code is None or code == "":
        return missing
    return RATING_SHORT.get(code) or PLAN_SHORT.get(code) or words(code)


__all__ = [
    "CLINICAL_WORDS", "EFFECTS", "EFFECT_COLOURS", "EFFECT_WORDS", "ELIGIBILITY_WORDS",
    "GROUP_TITLES", "LAB_WORDS", "LEGEND", "MARKS", "VERDICT_WORDS", "effect", "effect_colour",
    "effect_label", "eligibility_colour", "eligibility_text", "field_words", "group_title",
    "legend_text", "mark", "plan_words", "protocol_notes", "review_notes", "units_range",
    "verdict_colour", "verdict_text",
    "PANEL_DECISION", "PROTOCOL_VERDICT", "RATINGS_RESULT", "RETIRED_TERMS", "TERMS", "TRIAL_ELIGIBILITY",
    "person_name", "plural", "specialty_words", "short_words", "words",
]
