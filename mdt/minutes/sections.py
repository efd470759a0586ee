"""The per-review sections of a patient page, in the order the minutes print them.

Order (docs/clinical/reference.md#minutes-field-list and the minutes issue): identity, protocol and arm,
cycle, reason, imaging; clinical status; lesion table; liver diagram with the
vessel relations; remnant figures; protocol criteria; RECIST; each panellist's
rating with the aggregation rule; the decision (resectability, plan,
rationale, dissent, next review, responsible person).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib.colors import HexColor
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer, Table, TableStyle

from mdt import glossary
from mdt.case import LAB_UNITS, Case, Review, Vote, VoteChange
from mdt.evaluation import Evaluation, RecistSummary
from mdt.meeting import AgendaItem
from mdt.minutes.blocks import data_table, kv_grid, p
from mdt.minutes.document import CONTENT_W
from mdt.minutes.fonts import SANS
from mdt.minutes.liver_drawing import LiverFlowable
from mdt.minutes.text import (
    EXTRAHEPATIC_LABELS,
    NOT_RECORDED,
    PLAN_LABELS,
    RATING_LABELS,
    REASON_LABELS,
    RELATION_LABELS,
    SEX_LABELS,
    UNKNOWN,
    day,
    label,
    num,
    pct,
    person_name,
    resection_label,
    segments_text,
    vessel_label,
    yes_no,
)
from mdt.panel import Aggregate, cycle_on, decided_under
from mdt.votes import Expectation

Styles = dict[str, ParagraphStyle]


@dataclass(frozen=True, slots=True)
class MinutesPatient:
    """Everything the minutes print for one patient on the agenda.

    ``review_index`` points into ``case.reviews`` (None: no review recorded for
    this meeting).  ``evaluation`` comes from ``mdt.protocols.evaluate``,
    ``aggregate`` from ``mdt.panel.aggregate`` under ``aggregation`` (the
    protocol's setting), ``recist`` from ``mdt.recist.assess`` (defaults to the
    evaluation's).  ``notes`` carry problems met while collecting (printed).
    """
    case: Case
    review_index: int | None
    evaluation: Evaluation | None = None
    aggregate: Aggregate | None = None
    recist: RecistSummary | None = None
    agenda: AgendaItem | None = None
    aggregation: Mapping[str, Any] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    protocol_note: str | None = None
    """Printed in red above the criteria: the decision's protocol version is not the one shown."""
    expectation: Expectation | None = None
    """The ratings the meeting's voting attendees owed (None when no meeting is known)."""

    @property
    def review(self) -> Review | None:
        if self.review_index is None or not 0 <= self.review_index < len(self.case.reviews):
            return None
        return self.case.reviews[self.review_index]

    @property
    def recist_summary(self) -> RecistSummary | None:
        return self.recist or (self.evaluation.recist if self.evaluation else None)

    @property
    def title(self) -> str:
        return f"{person_name(self.case.patient.name)} (ID {self.case.patient.id})"


def rating_label(value: str | None, missing: str = NOT_RECORDED) -> str:
    return label(value, RATING_LABELS, missing)


def aggregation_text(aggregation: Mapping[str, Any] | None) -> str:
    """The protocol's aggregation rule in words."""
    settings = dict(aggregation or {"kind": "consensus"})
    kind = settings.get("kind", "consensus")
    role = settings.get("voter_role")
    who = f"{role}s" if role else "raters"
    if kind == "consensus":
        return f"Consensus: all {who} must agree, otherwise the case is re-discussed"
    if kind == "majority":
        return f"Majority of {who}; a tie is decided by the chair"
    if kind == "cairo5":
        first = settings.get("first_round", 3)
        second = settings.get("second_round", 2)
        return (f"CAIRO5: {first} {who} rate independently; unanimous = consensus; otherwise "
                f"{second} more rate and the majority of {int(first) + int(second)} decides; "
                f"a tie goes to the chair")
    return str(kind)


# --------------------------------------------------------------------------- sections

def identity_section(item: MinutesPatient, st: Styles) -> list[Flowable]:
    case, review = item.case, item.review
    pat = case.patient
    cycle = NOT_RECORDED
    if review is not None and review.cycle is not None:
        cycle = str(review.cycle)
    elif review is not None:
        given = cycle_on(case.treatment, review.date)
        if given is not None:
            cycle = f"{given} (from the treatment record)"
    reason_code = (item.agenda.reason if item.agenda else None) or (review.reason if review else None)
    imaging = NOT_RECORDED
    if review is not None and review.imaging is not None:
        imaging = f"{review.imaging.modality or 'modality ' + UNKNOWN}, {day(review.imaging.date)}"
    regimen = case.treatment.regimen if case.treatment and case.treatment.regimen else NOT_RECORDED
    pairs: list[tuple[str, str]] = [
        ("Name", person_name(pat.name)),
        ("Date of birth", day(pat.birth_date)),
        ("Sex", label(pat.sex, SEX_LABELS)),
        ("Hospital ID", pat.id),
        ("Protocol", case.protocol.id or NOT_RECORDED),
        ("Arm", case.protocol.arm or NOT_RECORDED),
        ("Cycle", cycle),
        ("Reason for discussion", label(reason_code, REASON_LABELS)),
        ("Imaging", imaging),
        ("Review date", day(review.date) if review else NOT_RECORDED),
        ("Regimen", regimen),
        ("Discussion", "full discussion" if not item.agenda or item.agenda.discussion_level == "full"
         else "listed (standard of care), not discussed"),
    ]
    return [kv_grid(pairs, CONTENT_W, st, columns=2)]


def clinical_section(review: Review, st: Styles) -> list[Flowable]:
    labs, clin = review.labs, review.clinical

    def lab(name: str, places: int = 1) -> str:
        return num(getattr(labs, name), places, LAB_UNITS.get(name, ""))

    pairs: list[tuple[str, str]] = [
        ("ECOG", num(review.ecog, 0)),
        ("Extrahepatic disease", label(review.extrahepatic_disease, EXTRAHEPATIC_LABELS)),
        ("Bilirubin", lab("bilirubin")), ("Albumin", lab("albumin")),
        ("INR", num(labs.inr, 2)), ("Platelets", lab("plt", 0)),
        ("Creatinine", lab("creatinine", 0)), ("CEA", num(clin.cea, 1, "ng/mL")),
        ("CA 19-9", num(clin.ca19_9, 1, "U/mL")),
        ("Height / weight", f"{num(review.height_cm, 0, 'cm')} / {num(review.weight_kg, 1, 'kg')}"),
    ]
    return [p("Clinical status", st["h2"]), kv_grid(pairs, CONTENT_W, st, columns=3, label_share=0.42)]


def lesion_section(review: Review, st: Styles) -> list[Flowable]:
    local = {lt.lesion: lt.method for lt in (review.remnant.local_treatment if review.remnant else ())}
    rows = [
        [les.id, segments_text(les.segments), num(les.diameter_mm, 1, "mm"),
         "target" if les.target else "non-target", les.status.replace("_", " "),
         local.get(les.id, "")]
        for les in review.lesions
    ]
    w = CONTENT_W
    return [
        p(f"Lesions ({len(review.lesions)})", st["h2"]),
        data_table(["Lesion", "Segment(s)", "Diameter", "Target", "Status", "Planned local treatment"],
                   rows, [0.1 * w, 0.2 * w, 0.14 * w, 0.14 * w, 0.16 * w, 0.26 * w], st,
                   empty="No lesion recorded."),
    ]


_VESSELS_BESIDE = 12
"""Up to this many vessel rows sit beside the diagram; more go below it (a row
holding the diagram cannot split across pages)."""


def diagram_section(review: Review, st: Styles) -> list[Flowable]:
    """The liver diagram with the vessel relations beside it (or below, when long)."""
    vessel_rows = [
        [vessel_label(v.structure), label(v.relation, RELATION_LABELS), v.lesion or "unspecified"]
        for v in review.vessels or ()
    ]
    if len(vessel_rows) > _VESSELS_BESIDE:
        w = CONTENT_W
        return [KeepTogether([p("Liver diagram", st["h2"]), LiverFlowable(review, w * 0.6)]),
                p("Vessel relations", st["h2"]),
                data_table(["Vessel", "Relation", "Lesion"], vessel_rows, [w * 0.5, w * 0.3, w * 0.2], st)]
    left_w = CONTENT_W * 0.6
    right_w = CONTENT_W - left_w - 8
    drawing = LiverFlowable(review, left_w - 4)
    vessels = data_table(["Vessel", "Relation", "Lesion"], vessel_rows,
                         [right_w * 0.5, right_w * 0.3, right_w * 0.2], st,
                         empty=("Vessel relations not assessed: every vessel criterion is unknown."
                                if review.vessels is None else "Assessed: no vascular contact."))
    cell_right: list[Flowable] = [p("Vessel relations", st["h2"]), vessels]
    table = Table([[drawing, cell_right]], colWidths=[left_w, right_w + 8], hAlign="LEFT")
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), SANS), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return [KeepTogether([p("Liver diagram", st["h2"]), table])]


def remnant_section(review: Review, evaluation: Evaluation | None, st: Styles) -> list[Flowable]:
    plan = review.remnant
    summary = evaluation.remnant if evaluation else None
    if plan is None and summary is None:
        return [p("Future liver remnant", st["h2"]), p("No remnant plan recorded.", st["note"])]
    if plan is not None and plan.resection:
        planned = resection_label(plan.resection)
    elif plan is not None and plan.segments is not None:
        planned = "remnant given by segments"
    else:
        planned = NOT_RECORDED
    remnant_segments = summary.segments if summary else (plan.segments if plan else None)
    tlv = summary.tlv_ml if summary else (plan.tlv_ml if plan else None)
    source = summary.tlv_source if summary else None
    if source == "measured":
        method = "CT volumetry (measured total liver volume): remnant share FLR / TLV"
    elif source == "estimated":
        method = ("Estimated total liver volume (Vauthey formula from body surface area): "
                  "standardised FLR (sFLR)")
    else:
        method = UNKNOWN
    total_label = {"measured": "Total liver volume (measured)",
                   "estimated": "Total liver volume (estimated)"}.get(source or "", "Total liver volume")
    if summary is None:
        adequacy = "unknown (protocol evaluation unavailable)"
    else:
        effect = {"met": glossary.OK, "not_met": glossary.EXCLUDES}.get(summary.status, glossary.UNKNOWN)
        adequacy = f"{glossary.mark(effect)} {summary.summary}"
    recorded = summary.recorded_flr_ml if summary else (plan.flr_ml if plan else None)
    volume = num(recorded, 0, "mL")
    if summary is not None and summary.measured_for:
        volume += f", measured for {glossary.units_range(summary.measured_for)}"
        if summary.stale:
            volume += " (stale: the plan keeps other segments; not used)"
    if summary is not None and summary.volume_source == "post_embolisation":
        volume += " (post-embolisation volume)"
    pairs: list[tuple[str, str]] = [
        ("Planned resection", planned),
        ("Remnant segments", segments_text(remnant_segments)),
        ("Method", method),
        (total_label, num(tlv, 0, "mL")),
        ("Remnant volume", volume),
        ("Remnant share", pct(summary.flr_pct if summary else None, missing=UNKNOWN)),
        ("Threshold", pct(summary.threshold_pct if summary else None, missing=UNKNOWN)
         + (f" ({summary.threshold_note})" if summary and summary.threshold_note else "")),
        ("Remnant adequate", adequacy),
        ("Liver condition", (plan.liver_condition if plan and plan.liver_condition else NOT_RECORDED)),
    ]
    if summary is not None and summary.flr_bwr_pct is not None:
        pairs.append(("Remnant / body weight", pct(summary.flr_bwr_pct, 2)))
    if summary is not None and summary.kgr_pct_per_week is not None:
        pairs.append(("Kinetic growth rate", f"{summary.kgr_pct_per_week:.1f} %/week"))
    if summary is not None and summary.volumetry_advised:
        pairs.append(("Volumetry", "advised before surgery (four segments or fewer stay)"))
    return [p("Future liver remnant", st["h2"]), kv_grid(pairs, CONTENT_W, st, columns=2, label_share=0.4)]


def criteria_section(evaluation: Evaluation | None, notes: Sequence[str], st: Styles,
                     protocol_note: str | None = None) -> list[Flowable]:
    version_alert = [p(protocol_note, st["alert"])] if protocol_note else []
    if evaluation is None:
        out: list[Flowable] = [p("Protocol criteria", st["h2"]), *version_alert,
                               p("Protocol evaluation unavailable: every criterion is unknown.", st["alert"])]
        out += [p(n, st["note"]) for n in notes]
        return out
    ev = evaluation
    ident = f"version {ev.protocol_version}" if ev.protocol_id in ev.protocol_title else \
        f"{ev.protocol_id}, version {ev.protocol_version}"
    head = f"Protocol criteria: {ev.protocol_title} ({ident})"
    verdict = f"Protocol assessment: {glossary.verdict_text(ev.resectability)}"
    if ev.resectability_reason:
        verdict += f" ({ev.resectability_reason})"
    lines = [p(verdict, st["cellb"])]
    if ev.eligibility:
        where = ("judged at this review" if ev.eligibility_judged_here
                 else f"judged at the enrolment review of {ev.eligibility_review_date}"
                 + (f", {ev.eligibility_resectability.replace('_', ' ')} then"
                    if ev.eligibility_resectability else ""))
        elig = f"Trial eligibility: {glossary.eligibility_text(ev.eligibility)} ({where})"
        if ev.eligibility != "eligible" and ev.eligibility_reason:
            elig += f"; {ev.eligibility_reason}"
        lines.append(p(elig, st["cellb"]))
    w = CONTENT_W
    rows = []
    ink = []
    for i, f in enumerate(ev.criteria, start=1):
        effect = f.effect or glossary.effect(f.group, f.status)
        found = f.summary or f.explanation
        if f.missing_words:
            found += " — missing: " + ", ".join(f.missing_words)
        if f.judged_at:
            found += f" (at enrolment, {f.judged_at})"
        # The reasoning in full where it decides or stands against: the criteria that decide
        # resectability, and any trial criterion that is not plainly OK.
        if f.explanation and f.explanation != found and (
                f.group in RESECTABILITY_GROUPS or effect != glossary.OK):
            found += "\n" + f.explanation
        name = f.label or f.id
        rows.append([name, glossary.effect_label(effect), found])
        ink.append(("TEXTCOLOR", (1, i), (1, i), HexColor(glossary.effect_colour(effect))))
    legend = "Legend: " + glossary.legend_text(" · ")
    out = [CondPageBreak(90), p(head, st["h2"]), *version_alert, *lines, Spacer(1, 2),
           p(legend, st["small"]), Spacer(1, 2),
           data_table(["Criterion", "Finding", "What was found"], rows,
                      [0.23 * w, 0.17 * w, 0.60 * w], st, empty="The protocol lists no criterion.",
                      extra=ink)]
    if ev.best_plan is not None:
        bp = ev.best_plan
        text = ("Best plan found: " + glossary.plan_words(bp.resection, bp.remnant, bp.local_treatment)
                + ("; feasible" if bp.feasible else "; not feasible: " + "; ".join(bp.reasons))
                + (f"; remnant {bp.flr_pct:.1f} %" if bp.flr_pct is not None else "")
                + ("".join(f"; {n}" for n in bp.notes)))
        if ev.better_plan_than_recorded:
            text += " (better than the recorded plan)"
        out += [Spacer(1, 3), p(text, st["small"])]
    for text in (*glossary.review_notes(ev.assumptions), *ev.warnings, *notes):
        out.append(p(text, st["note"]))
    shared = glossary.protocol_notes(ev.assumptions)
    if shared:
        # The same for every patient on this protocol: printed once, after the patients.
        out.append(p(f"The protocol's assumptions and settings ({len(shared)}) are listed once, "
                     f"under \"{PROTOCOL_NOTES_TITLE}\" after the patients.", st["note"]))
    return out


PROTOCOL_NOTES_TITLE = "Protocol assumptions and settings"
RESECTABILITY_GROUPS = ("unresectability", "technical", "biological")


def protocol_notes_section(items: Sequence[MinutesPatient], st: Styles) -> list[Flowable]:
    """Each protocol's assumptions and settings (the readings of the project's conventions it
    applies), once for all its patients of the meeting."""
    seen: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
    for item in items:
        ev = item.evaluation
        if ev is None:
            continue
        key = (ev.protocol_id, ev.protocol_version)
        if key not in seen:
            seen[key] = (ev.protocol_title, glossary.protocol_notes(ev.assumptions))
    if not seen:
        return []
    out: list[Flowable] = [p(PROTOCOL_NOTES_TITLE, st["h1"])]
    for (pid, version), (title, notes) in sorted(seen.items()):
        out.append(p(f"{title} ({pid}, version {version})" if pid not in title
                     else f"{title} (version {version})", st["h2"]))
        out += [p(f"• {n}", st["note"]) for n in notes]
    return out


def recist_section(recist: RecistSummary | None, st: Styles) -> list[Flowable]:
    if recist is None:
        return [p("Response (RECIST 1.1)", st["h2"]), p("Response not assessed: unknown.", st["note"])]
    r = recist
    pairs: list[tuple[str, str]] = [
        ("Sum of target diameters", num(r.sld_mm, 1, "mm", UNKNOWN)),
        ("Baseline sum", num(r.baseline_sld_mm, 1, "mm", UNKNOWN)),
        ("Nadir sum", num(r.nadir_sld_mm, 1, "mm", UNKNOWN)),
        ("Change from baseline", pct(r.change_from_baseline_pct, signed=True, missing=UNKNOWN)),
        ("Change from nadir", pct(r.change_from_nadir_pct, signed=True, missing=UNKNOWN)),
        ("Overall response", r.response),
        ("Target response", r.target_response or UNKNOWN),
        ("Non-target response", r.non_target_response or UNKNOWN),
        ("New lesions", ", ".join(r.new_lesions) if r.new_lesions else "none"),
        ("Early tumour shrinkage", yes_no(r.early_tumour_shrinkage, "not assessable")),
    ]
    if r.depth_of_response_pct is not None:
        pairs.append(("Depth of response", pct(r.depth_of_response_pct)))
    out: list[Flowable] = [CondPageBreak(80), p("Response (RECIST 1.1)", st["h2"]),
                           kv_grid(pairs, CONTENT_W, st, columns=2, label_share=0.42)]
    out += [p(w, st["note"]) for w in r.warnings]
    return out


def _change_text(c: VoteChange) -> str:
    before = rating_label(c.from_rating) if c.from_rating else "no rating (withdrawn)"
    after = rating_label(c.to_rating) if c.to_rating else "withdrawn"
    when = f" on {c.at:%Y-%m-%d %H:%M} UTC" if c.at is not None else ""
    by = f", recorded by {c.by}" if c.by else ""
    return f"{before} → {after}{when}{by}: {c.reason}"


def vote_rating_text(v: Vote) -> str:
    """The rating as it stands, and that it was changed or withdrawn (never a silent replacement)."""
    if v.withdrawn:
        return f"Withdrawn (was {rating_label(v.rating)}); not counted"
    if v.changes:
        n = len(v.changes)
        return f"{rating_label(v.rating)} (changed {'once' if n == 1 else f'{n} times'})"
    return rating_label(v.rating)


def vote_notes_text(v: Vote) -> str:
    """Comment, then every change: from what, to what, when, by whom, why."""
    bits = [v.comment] if v.comment else []
    bits += [f"Changed: {_change_text(c)}" for c in v.changes]
    return "\n".join(bits)


def panel_section(item: MinutesPatient, st: Styles) -> list[Flowable]:
    review = item.review
    assert review is not None
    votes = review.panel.votes
    w = CONTENT_W
    rows = [[v.member, (v.role or NOT_RECORDED).replace("_", " "), str(v.round),
             vote_rating_text(v), vote_notes_text(v)] for v in votes]
    out: list[Flowable] = [CondPageBreak(80), p("Panel ratings", st["h2"]),
                           data_table(["Panellist", "Role", "Round", "Rating", "Comment and changes"],
                                      rows, [0.18 * w, 0.14 * w, 0.07 * w, 0.22 * w, 0.39 * w], st,
                                      empty="No rating recorded.")]
    out += [Spacer(1, 3), p(f"Aggregation rule: {aggregation_text(item.aggregation)}.", st["small"])]
    exp = item.expectation
    if exp is not None:
        who = ", ".join(exp.voters) or "none"
        out.append(p(f"Ratings expected: {exp.text}; members present with a voting role: {who}.",
                     st["small"]))
    agg = item.aggregate
    if agg is not None:
        if agg.result is None:
            out.append(p(f"Result of the ratings: none yet ({agg.agreement}).", st["small"]))
        else:
            out.append(p(f"Result of the ratings: {rating_label(agg.result)}; reached by: {agg.rule}; "
                         f"{agg.agreement}.", st["small"]))
        for note in agg.notes:
            out.append(p(note, st["note"]))
        if agg.needs_second_round:
            out.append(p("A second round of ratings is needed.", st["alert"]))
        if agg.needs_chair:
            out.append(p("The chair's rating is needed to decide.", st["alert"]))
    return out


def decision_section(item: MinutesPatient, st: Styles) -> list[Flowable]:
    review = item.review
    assert review is not None
    decision = review.panel.decision
    out: list[Flowable] = [CondPageBreak(90), p("Decision", st["h2"])]
    if decision is None:
        out.append(p("No decision recorded.", st["alert"]))
        return out
    # The decision's own rule, with the agreement behind it; never the ratings' rule passed off as
    # the decision's (a decision recorded before every rating was in carries no rule).
    agg = item.aggregate
    follows = agg if agg is not None and agg.result is not None and agg.result == decision.resectability \
        else None
    if decision.rule:
        rule = decision.rule + (f" ({follows.agreement})" if follows is not None and follows.agreement else "")
    elif follows is not None and follows.rule:
        rule = f"{NOT_RECORDED}; the ratings recorded gave the same result by {follows.rule} ({follows.agreement})"
    else:
        rule = NOT_RECORDED
    pairs: list[tuple[str, str]] = [
        ("Resectability (panel decision)", rating_label(decision.resectability)),
        ("Decided by", rule),
        ("Protocol", decided_under(decision)),
        ("Plan", label(decision.plan, PLAN_LABELS)),
        ("Rationale", decision.rationale or NOT_RECORDED),
        ("Dissent", decision.dissent or "none recorded"),
        ("Next review", day(decision.next_review)),
        ("Responsible", decision.responsible or NOT_RECORDED),
    ]
    out.append(kv_grid(pairs, CONTENT_W, st, columns=1, label_share=0.24))
    agg = item.aggregate
    if agg is not None and agg.result is not None and decision.resectability not in (None, agg.result):
        out.append(p(f"Note: the recorded decision ({rating_label(decision.resectability)}) differs from "
                     f"the result of the ratings ({rating_label(agg.result)}).", st["alert"]))
    return out


def review_sections(item: MinutesPatient, st: Styles) -> list[Flowable]:
    """The whole patient page after its title."""
    out = identity_section(item, st)
    review = item.review
    if item.agenda is not None and item.agenda.discussion_level != "full":
        out.append(p("Listed as a standard-of-care case; not discussed at this meeting.", st["note"]))
    if review is None:
        out.append(Spacer(1, 6))
        out.append(p("No review is recorded for this meeting: nothing was assessed or decided.", st["alert"]))
        out += [p(n, st["note"]) for n in item.notes]
        return out
    out += clinical_section(review, st)
    out += lesion_section(review, st)
    out += diagram_section(review, st)
    out += remnant_section(review, item.evaluation, st)
    out += criteria_section(item.evaluation, item.notes, st, item.protocol_note)
    out += recist_section(item.recist_summary, st)
    out += panel_section(item, st)
    out += decision_section(item, st)
    return out
