"""Reading and validating protocol files (``resources/protocols/*.json``, ``mdt-protocol/1``).

A broken file is a :class:`~mdt.errors.ValidationError` naming the file and
each offending field; a shipped file never loads half-way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from mdt.case import VESSEL_STRUCTURES
from mdt.errors import FieldProblem, NotFound, ValidationError
from mdt.meeting import SPECIALTIES
from mdt.protocols.model import (
    DEFAULT_PROTOCOL_ID,
    RULE_GROUPS,
    Outcome,
    Protocol,
    Rule,
    Settings,
)
from mdt.protocols.outcome_settings import outcome_settings_problems
from mdt.protocols.rules import OPERATORS, RULE_KINDS, RULE_PARAMS
from mdt.recist import DEFAULT_ASSESSMENT_INTERVAL, DEFAULT_TARGET_LIMIT
from mdt.resources import resource_path

FORMAT = "mdt-protocol/1"
TOP_KEYS = {
    "format", "id", "version", "title", "description", "sources", "settings", "target_lesion_limit",
    "assessment_interval", "aggregation", "quorum", "outcome", "rules", "assumptions", "outcomes",
    "setting_sources",
}
REQUIRED_TOP = {"format", "id", "version", "title", "sources", "rules", "outcome"}
RULE_KEYS = {"id", "label", "group", "kind", "params", "source", "text"}
REQUIRED_RULE_KEYS = RULE_KEYS - {"text"}
SETTING_TYPES: dict[str, type] = {
    "segment_count_units": int, "ablation_counts_as_resection": bool,
    "ablation_max_diameter_mm": str, "ablation_excluded_near": list,
    "indeterminate_ehd_counts": bool, "flr_operator": str, "remnant_min_segments": int,
    "vessels_not_assessed": str, "no_lesions": str, "bilobar_single_lesion": bool,
    "u2_vessels": list, "recorded_wedge_takes_vessels": bool,
    "nonviable_segments_resected": bool, "remnant_contiguous": bool, "volume_decides_u1": bool,
    "stale_volume": str, "undecided_volume": str, "smaller_remnant_volume": str,
    "post_embolisation_volume": bool, "chemotherapy_weeks": int,
    "cycle_length_weeks": int, "eligibility_at": str, "e2_without_plan": str,
}
SETTING_CHOICES: dict[str, tuple[object, ...]] = {
    "segment_count_units": (8, 9),
    "flr_operator": (">=", ">"),
    # Readings where the only alternative would let missing or stale data pass: one value.
    "vessels_not_assessed": ("unknown",),
    "no_lesions": ("indeterminate",),
    "stale_volume": ("refused",),
    "undecided_volume": ("unknown",),
    "smaller_remnant_volume": ("upper_bound", "stale"),
    "e2_without_plan": ("every_candidate",),
    "eligibility_at": ("enrolment", "each_review"),
}
NULLABLE_SETTINGS = frozenset({"cycle_length_weeks"})
OUTCOME_KEYS = {"permanently_unresectable_if_any", "unresectable_if_any",
                "resectable_requires_all", "eligible_resectability"}
AGGREGATION_KINDS = ("consensus", "majority", "cairo5")


def _is_decimal_text(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return Decimal(value).is_finite()
    except InvalidOperation:
        return False


class _Checker:
    def __init__(self, name: str):
        self.name = name
        self.problems: list[FieldProblem] = []

    def add(self, path: str, reason: str) -> None:
        self.problems.append(FieldProblem(f"{self.name}: {path}" if path else self.name, reason))


def _check_threshold(chk: _Checker, path: str, spec: object) -> None:
    if not isinstance(spec, dict) or set(spec) != {"op", "value"}:
        chk.add(path, 'must be {"op": ..., "value": "decimal text"}')
        return
    if spec["op"] not in OPERATORS:
        chk.add(f"{path}.op", f"must be one of {', '.join(OPERATORS)}")
    if not _is_decimal_text(spec["value"]):
        chk.add(f"{path}.value", "must be a decimal number written as a string")


def _check_params(chk: _Checker, path: str, kind: str, params: dict[str, Any]) -> None:
    required, optional = RULE_PARAMS[kind]
    for key in sorted(required - set(params)):
        chk.add(f"{path}.{key}", f"required by rule kind {kind}")
    for key in sorted(set(params) - required - optional):
        chk.add(f"{path}.{key}", f"unknown parameter for rule kind {kind}")
    for key, value in params.items():
        p = f"{path}.{key}"
        if key in ("min", "max", "diameter_mm", "count", "burden_pct"):
            _check_threshold(chk, p, value)
        elif key == "op" and value not in OPERATORS:
            chk.add(p, f"must be one of {', '.join(OPERATORS)}")
        elif key in ("value", "uln_multiple", "marker_factor", "sphere_factor",
                     "min_diameter_mm", "ablation_max_diameter_mm", "g_24h_max", "min_lines") \
                and not _is_decimal_text(value):
            chk.add(p, "must be a decimal number written as a string")
        elif key == "thresholds":
            if not isinstance(value, dict) or not all(_is_decimal_text(v) for v in value.values()):
                chk.add(p, "must map liver conditions to decimal strings")


def parse_protocol(data: object, name: str = "protocol") -> Protocol:
    """Validate one protocol document; raise ValidationError listing every problem."""
    chk = _Checker(name)
    if not isinstance(data, dict):
        raise ValidationError([FieldProblem(name, "must be a JSON object")])
    for key in sorted(REQUIRED_TOP - set(data)):
        chk.add(key, "required")
    for key in sorted(set(data) - TOP_KEYS):
        chk.add(key, "unknown field")
    if data.get("format", FORMAT) != FORMAT:
        chk.add("format", f"must be {FORMAT!r}")
    for key in ("id", "version", "title"):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            chk.add(key, "must be a non-empty string")
    sources = data.get("sources", [])
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) for s in sources):
        chk.add("sources", "must be a non-empty list of citations")
    settings_raw = data.get("settings", {})
    settings = Settings()
    if not isinstance(settings_raw, dict):
        chk.add("settings", "must be an object")
        settings_raw = {}
    for key, value in settings_raw.items():
        want = SETTING_TYPES.get(key)
        if want is None:
            chk.add(f"settings.{key}", "unknown setting")
            continue
        if value is None and key in NULLABLE_SETTINGS:
            continue
        if type(value) is not want:
            chk.add(f"settings.{key}", f"must be {want.__name__}"
                    + (" or null" if key in NULLABLE_SETTINGS else ""))
            continue
        if key in SETTING_CHOICES and value not in SETTING_CHOICES[key]:
            choices = [repr(c) if isinstance(c, str) else str(c) for c in SETTING_CHOICES[key]]
            allowed = " or ".join(choices) if len(choices) <= 2 else ", ".join(choices)
            why = (": missing or stale data is never a pass" if len(SETTING_CHOICES[key]) == 1
                   else "")
            chk.add(f"settings.{key}", f"must be {allowed}{why}")
        if isinstance(value, list):
            if not all(isinstance(x, str) and x in VESSEL_STRUCTURES for x in value):
                chk.add(f"settings.{key}", "must list vessel codes ("
                        + ", ".join(VESSEL_STRUCTURES) + ")")
        if key in ("remnant_min_segments", "chemotherapy_weeks", "cycle_length_weeks") \
                and isinstance(value, int) and value < 1:
            chk.add(f"settings.{key}", "must be at least 1")
    setting_sources = data.get("setting_sources", {})
    if not isinstance(setting_sources, dict):
        chk.add("setting_sources", "must map setting names to their sources")
    else:
        for key, value in setting_sources.items():
            if key not in SETTING_TYPES:
                chk.add(f"setting_sources.{key}", "names no setting")
            elif not isinstance(value, str) or not value.strip():
                chk.add(f"setting_sources.{key}", "must be a non-empty citation")
    if "ablation_max_diameter_mm" in settings_raw and \
            not _is_decimal_text(settings_raw["ablation_max_diameter_mm"]):
        chk.add("settings.ablation_max_diameter_mm", "must be a decimal number written as a string")
    rules: list[Rule] = []
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        chk.add("rules", "must be a non-empty list")
        raw_rules = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_rules):
        path = f"rules[{i}]"
        if not isinstance(raw, dict):
            chk.add(path, "must be an object")
            continue
        for key in sorted(REQUIRED_RULE_KEYS - set(raw)):
            chk.add(f"{path}.{key}", "required")
        if "text" in raw and (not isinstance(raw["text"], str) or not raw["text"].strip()):
            chk.add(f"{path}.text", "must be a non-empty string (the criterion as the source words it)")
        for key in sorted(set(raw) - RULE_KEYS):
            chk.add(f"{path}.{key}", "unknown field")
        rid = raw.get("id")
        if not isinstance(rid, str) or not rid:
            chk.add(f"{path}.id", "must be a non-empty string")
        elif rid in seen:
            chk.add(f"{path}.id", f"duplicate rule id {rid!r}")
        else:
            seen.add(rid)
        if raw.get("group") not in RULE_GROUPS:
            chk.add(f"{path}.group", f"must be one of {', '.join(RULE_GROUPS)}")
        kind = raw.get("kind")
        if kind not in RULE_KINDS:
            chk.add(f"{path}.kind", f"unknown rule kind {kind!r}")
        params = raw.get("params", {})
        if not isinstance(params, dict):
            chk.add(f"{path}.params", "must be an object")
            params = {}
        elif kind in RULE_KINDS:
            _check_params(chk, f"{path}.params", kind, params)
        for key in ("label", "source"):
            if not isinstance(raw.get(key), str) or not raw.get(key, "").strip():
                chk.add(f"{path}.{key}", "must be a non-empty string")
        if isinstance(rid, str):
            rules.append(Rule(id=rid, label=str(raw.get("label", "")), group=str(raw.get("group")),
                              kind=str(kind), params=params, source=str(raw.get("source", "")),
                              text=str(raw.get("text") or "")))
    outcome_raw = data.get("outcome", {})
    if not isinstance(outcome_raw, dict):
        chk.add("outcome", "must be an object")
        outcome_raw = {}
    for key in sorted(set(outcome_raw) - OUTCOME_KEYS):
        chk.add(f"outcome.{key}", "unknown field")
    for key in OUTCOME_KEYS:
        ids = outcome_raw.get(key, [])
        if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
            chk.add(f"outcome.{key}", "must be a list of strings")
            continue
        if key == "eligible_resectability":
            for x in ids:
                if x not in ("resectable", "convertible", "permanently_unresectable"):
                    chk.add(f"outcome.{key}", f"{x!r} is not a resectability verdict")
        else:
            for x in ids:
                if x not in seen:
                    chk.add(f"outcome.{key}", f"names unknown rule {x!r}")
    if not any(outcome_raw.get(k) for k in ("permanently_unresectable_if_any",
                                              "unresectable_if_any", "resectable_requires_all")):
        chk.add("outcome", "names no rule that decides resectability")
    limit = data.get("target_lesion_limit", DEFAULT_TARGET_LIMIT)
    if type(limit) is not int or not 1 <= limit <= 10:
        chk.add("target_lesion_limit", "must be an integer 1-10")
    interval = data.get("assessment_interval", DEFAULT_ASSESSMENT_INTERVAL)
    if not isinstance(interval, dict) or not interval or any(
            k not in ("weeks", "cycles") or type(v) is not int or v <= 0
            for k, v in interval.items()):
        chk.add("assessment_interval", 'must be like {"weeks": 8, "cycles": 4}')
    aggregation = data.get("aggregation", {"kind": "consensus"})
    if not isinstance(aggregation, dict) or aggregation.get("kind") not in AGGREGATION_KINDS:
        chk.add("aggregation.kind", f"must be one of {', '.join(AGGREGATION_KINDS)}")
    elif "non_voting" in aggregation and (
            not isinstance(aggregation["non_voting"], list)
            or any(x not in SPECIALTIES for x in aggregation["non_voting"])):
        chk.add("aggregation.non_voting", f"must be a list of specialties ({', '.join(SPECIALTIES)})")
    elif "voter_role" in aggregation and not (isinstance(aggregation["voter_role"], str)
                                              and aggregation["voter_role"].strip()):
        chk.add("aggregation.voter_role", "must be a role such as \"surgeon\"")
    quorum = data.get("quorum", {})
    if not isinstance(quorum, dict):
        chk.add("quorum", "must be an object")
    assumptions = data.get("assumptions", [])
    if not isinstance(assumptions, list) or not all(isinstance(a, str) for a in assumptions):
        chk.add("assumptions", "must be a list of strings")
    if "outcomes" in data:
        for where, reason in outcome_settings_problems(data["outcomes"]):
            chk.add(where, reason)
    if chk.problems:
        raise ValidationError(chk.problems)
    settings = Settings(**{**{k: getattr(settings, k) for k in SETTING_TYPES},
                           **{k: tuple(v) if isinstance(v, list) else v
                              for k, v in settings_raw.items()}})
    return Protocol(
        id=data["id"], version=data["version"], title=data["title"], sources=tuple(sources),
        settings=settings, rules=tuple(rules),
        outcome=Outcome(**{k: tuple(outcome_raw.get(k, ())) for k in OUTCOME_KEYS}),
        target_lesion_limit=limit, assessment_interval=dict(interval),
        aggregation=dict(aggregation), quorum=dict(quorum), assumptions=tuple(assumptions),
        setting_sources=dict(setting_sources) if isinstance(setting_sources, dict) else {},
        description=str(data.get("description", "")), path=name,
        outcomes=dict(data.get("outcomes") or {}),
    )


def load_protocol_file(path: str | Path) -> Protocol:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError([FieldProblem(p.name, f"cannot read: {exc}")]) from exc
    except json.JSONDecodeError as exc:
        raise ValidationError([FieldProblem(p.name, f"invalid JSON at line {exc.lineno} "
                                            f"column {exc.colno}: {exc.msg}")]) from exc
    return parse_protocol(data, p.name)


_CACHE: dict[str, dict[tuple[str, str], Protocol]] = {}
_NEWEST: dict[str, dict[str, Protocol]] = {}


def protocol_files(directory: Path | None = None) -> list[Path]:
    d = directory or resource_path("protocols")
    return sorted(d.glob("*.json"))


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Orders versions as people read them: "2" < "10", "1.2" < "1.10"; words after numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part)
                 for part in version.replace("-", ".").split("."))


def load_protocol_versions(directory: str | Path | None = None) -> dict[tuple[str, str], Protocol]:
    """Every protocol file under ``resources/protocols`` (or ``directory``) by (id, version),
    loaded once.  A new version of a protocol is a new file (e.g. ``NCT05103020-v2.json``) with
    the same ``id``: decisions made under the old version keep being shown under it."""
    key = str(directory or "")
    if key in _CACHE:
        return _CACHE[key]
    problems: list[FieldProblem] = []
    out: dict[tuple[str, str], Protocol] = {}
    for path in protocol_files(Path(directory) if directory else None):
        try:
            proto = load_protocol_file(path)
        except ValidationError as exc:
            problems.extend(exc.problems)
            continue
        if (proto.id, proto.version) in out:
            problems.append(FieldProblem(
                f"{path.name}: version",
                f"duplicate protocol {proto.id!r} version {proto.version!r} "
                f"(also {out[(proto.id, proto.version)].path})"))
        out[(proto.id, proto.version)] = proto
    if problems:
        raise ValidationError(problems)
    _CACHE[key] = out
    return out


def load_protocols(directory: str | Path | None = None) -> dict[str, Protocol]:
    """Every protocol by id, each at its newest version (see :func:`load_protocol_versions`)."""
    key = str(directory or "")
    if key in _NEWEST:
        return _NEWEST[key]
    out: dict[str, Protocol] = {}
    for (pid, version), proto in load_protocol_versions(directory).items():
        if pid not in out or version_key(version) > version_key(out[pid].version):
            out[pid] = proto
    _NEWEST[key] = out
    return out


def protocol_versions(protocol_id: str, directory: str | Path | None = None) -> list[str]:
    """The shipped versions of one protocol, oldest first ([] when the id is unknown)."""
    return sorted((v for pid, v in load_protocol_versions(directory) if pid == protocol_id),
                  key=version_key)


def known_ids(protocols: Iterable[str]) -> str:
    return ", ".join(sorted(protocols))


def get_protocol(protocol_id: str | None = None, version: str | None = None,
                 directory: str | Path | None = None) -> Protocol:
    """A protocol by id (the default one for None), at ``version`` (the newest for None).

    NotFound lists the known ids, or the shipped versions of a known id."""
    protocols = load_protocols(directory)
    pid = protocol_id or DEFAULT_PROTOCOL_ID
    if pid not in protocols:
        raise NotFound(f"unknown protocol {pid!r}; known protocols: "
                       f"{known_ids(protocols)}") from None
    if version is None:
        return protocols[pid]
    try:
        return load_protocol_versions(directory)[(pid, version)]
    except KeyError:
        raise NotFound(f"protocol {pid} version {version!r} is not shipped; shipped versions: "
                       f"{', '.join(protocol_versions(pid, directory))}") from None
