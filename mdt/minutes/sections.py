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
from datetime import datetime
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from mdt import field_names, glossary
from mdt.case import Case, Review, Vote, VoteChange
from mdt.evaluation import Evaluation, Finding, RecistSummary
from mdt.meeting import AgendaItem
from mdt.minutes.blocks import data_table, kv_grid, p
from mdt.minutes.document import ACCENT, CONTENT_W, DRAFT_RED
from mdt.minutes.fonts import SANS
from mdt.minutes.liver_drawing import LiverFlowable, LiverLegendFlowable
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
    para,
    pct,
    person_name,
    resection_label,
    segments_text,
    stamp,
    vessel_label,
    yes_no,
)
from mdt.panel import Aggregate, cycle_on, decided_under
from mdt.recist import diameter_words
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
    decision_recorded: tuple[str, datetime | None] | None = None
    """Who recorded the review's decision, and when (from its versions; None when not known)."""
    rule_note: str | None = None
    """Printed beside the rule when it is a fallback (the protocol cannot be loaded)."""

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
    who = glossary.specialty_plural(role) if role else "raters"
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
#
# A patient takes one page for a typical review (two at most): the facts in grids of three
# columns, the clinical status as one line of label-value pairs, the liver drawing beside the
# lesions and vessels, the trial criteria that are plainly OK in two columns.  Nothing is left out:
# only the layout is compact.  Nothing is set below 8 pt.

def _brief(path: str) -> str:
    """A field's name where the line is narrow: the short form of its one entry (mdt.field_names)."""
    name = field_names.name_for(path)
    return name.brief if name is not None else path


def _label(path: str) -> str:
    return field_names.label(path) or path


def facts_line(pairs: Sequence[tuple[str, str]], st: Styles, style: str = "cell",
               title: str | None = None) -> Flowable:
    """Label-value pairs run on as text ("ECOG 1 · Bilirubin 14 µmol/L · ..."), labels in bold;
    ``title`` leads the paragraph as a heading in the heading colour."""
    bits = [f"<b>{para(k)}</b> {para(v)}" for k, v in pairs]
    colour = "#" + ACCENT.hexval()[2:]
    head = f'<font color="{colour}"><b>{para(title)}</b></font> &nbsp; ' if title else ""
    return Paragraph(head + " &nbsp;·&nbsp; ".join(bits), st[style])


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
        (_brief("patient.birth_date"), day(pat.birth_date)),
        (_brief("patient.sex"), label(pat.sex, SEX_LABELS)),
        (_brief("protocol.id"), case.protocol.id or NOT_RECORDED),
        (_brief("protocol.arm"), case.protocol.arm or NOT_RECORDED),
        (_brief("cycle"), cycle),
        (_brief("reason"), label(reason_code, REASON_LABELS)),
        ("Imaging", imaging),
        (_brief("date"), day(review.date) if review else NOT_RECORDED),
        (_brief("treatment.regimen"), regimen),
        ("Discussion", "full discussion" if not item.agenda or item.agenda.discussion_level == "full"
         else "listed (standard of care), not discussed"),
    ]
    return [facts_line(pairs[1:], st)]


def clinical_section(review: Review, st: Styles) -> list[Flowable]:
    labs, clin = review.labs, review.clinical

    def fact(path: str, value: object, places: int = 1) -> tuple[str, str]:
        # The compact form of the field's one name, with its one unit (mdt.field_names).
        return _brief(path), num(value, places, field_names.unit(path))  # type: ignore[arg-type]

    pairs: list[tuple[str, str]] = [
        fact("ecog", review.ecog, 0),
        (_brief("extrahepatic_disease"), label(review.extrahepatic_disease, EXTRAHEPATIC_LABELS)),
        fact("labs.bilirubin", labs.bilirubin), fact("labs.albumin", labs.albumin),
        fact("labs.inr", labs.inr, 2), fact("labs.plt", labs.plt, 0),
        fact("labs.creatinine", labs.creatinine, 0), fact("clinical.cea", clin.cea),
        fact("clinical.ca19_9", clin.ca19_9),
        (f"{_brief('height_cm')} / {_brief('weight_kg').lower()}",
         f"{num(review.height_cm, 0, field_names.unit('height_cm'))} / "
         f"{num(review.weight_kg, 1, field_names.unit('weight_kg'))}"),
    ]
    return [Spacer(1, 3), facts_line(pairs, st, title="Clinical status")]


_DIAGRAM_SHARE = 0.33
"""The liver drawing's share of the page width; the lesions and vessels take the rest beside it."""


def _lesion_table(review: Review, width: float, st: Styles) -> Flowable:
    local = {lt.lesion: lt.method for lt in (review.remnant.local_treatment if review.remnant else ())}
    rows = [
        [les.id, segments_text(les.segments), diameter_words(les),
         "target" if les.target else "non-target", glossary.words(les.status),
         local.get(les.id, "")]
        for les in review.lesions
    ]
    # Fixed widths for the short columns ("non-target", "disappeared" whole at 8 pt); the
    # segments and the local treatment share the rest.
    fixed = [36.0, 52.0, 52.0, 56.0, 62.0]
    rest = max(width - sum(fixed), 50.0)
    widths = [fixed[0], rest, fixed[1], fixed[2], fixed[3], fixed[4]]
    return data_table(["Lesion", "Segment(s)", "Diameter", "Target", "Status", "Local treatment"],
                      rows, widths, st, empty="No lesion recorded.")


def _vessel_table(review: Review, width: float, st: Styles) -> Flowable:
    vessel_rows = [
        [vessel_label(v.structure), label(v.relation, RELATION_LABELS), v.lesion or "unspecified"]
        for v in review.vessels or ()
    ]
    return data_table(["Vessel", "Relation", "Lesion"], vessel_rows,
                      [width * 0.5, width * 0.32, width * 0.18], st,
                      empty=("Vessel relations not assessed: every vessel criterion is unknown."
                             if review.vessels is None else "Assessed: no vascular contact."))


def lesion_section(review: Review, st: Styles) -> list[Flowable]:
    """The lesions, full width (the course report and long lists)."""
    return [p(f"Lesions ({len(review.lesions)})", st["h2"]), _lesion_table(review, CONTENT_W, st)]


_BESIDE_ROWS = 16
"""Up to this many lesion and vessel rows together sit beside the drawing; more run below it
(a table row holding the drawing cannot split across pages)."""


def diagram_section(review: Review, st: Styles, beside: Sequence[Flowable] = ()) -> list[Flowable]:
    """The liver drawing with the lesions and the vessel relations beside it (below, when long);
    ``beside`` goes under them (the remnant), in the same column."""
    left_w = CONTENT_W * _DIAGRAM_SHARE
    right_w = CONTENT_W - left_w - 10
    drawing = LiverFlowable(review, left_w - 4, legend=False)
    legend = LiverLegendFlowable(CONTENT_W)
    lesions_head = p(f"Lesions ({len(review.lesions)})", st["h2"])
    vessels_head = p("Vessel relations", st["h2"])
    if len(review.lesions) + len(review.vessels or ()) > _BESIDE_ROWS:
        return [KeepTogether([p("Liver diagram", st["h2"]), drawing, legend]),
                lesions_head, _lesion_table(review, CONTENT_W, st),
                vessels_head, _vessel_table(review, CONTENT_W, st), *beside]
    right: list[Flowable] = [lesions_head, _lesion_table(review, right_w, st),
                             vessels_head, _vessel_table(review, right_w, st), *beside]
    table = Table([[[Spacer(1, 6), drawing], right]], colWidths=[left_w, right_w + 10], hAlign="LEFT")
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), SANS), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("LEFTPADDING", (1, 0), (1, 0), 10),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return [KeepTogether([table, Spacer(1, 2), legend])]


def remnant_section(review: Review, evaluation: Evaluation | None, st: Styles) -> list[Flowable]:
    plan = review.remnant
    summary = evaluation.remnant if evaluation else None
    if plan is None and summary is None:
        return [Spacer(1, 4), facts_line([("Plan", "no remnant plan recorded")], st, title="Future liver remnant")]
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
    total_label = _label("remnant.tlv_ml") + (f" ({source})" if source in ("measured", "estimated") else "")
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
        (_brief("remnant.resection"), planned),
        (_brief("remnant.segments"), segments_text(remnant_segments)),
        (_brief("remnant.liver_condition"), glossary.words(plan.liver_condition, glossary.LIVER_CONDITION_WORDS)
         if plan and plan.liver_condition else NOT_RECORDED),
        (total_label, num(tlv, 0, "mL")),
        (_label("remnant.flr_ml"), volume),
        ("Remnant share", pct(summary.flr_pct if summary else None, missing=UNKNOWN)),
        ("Threshold", pct(summary.threshold_pct if summary else None, missing=UNKNOWN)
         + (f" ({summary.threshold_note})" if summary and summary.threshold_note else "")),
        ("Remnant adequate", adequacy),
    ]
    if summary is not None and summary.flr_bwr_pct is not None:
        pairs.append(("Remnant / body weight", pct(summary.flr_bwr_pct, 2)))
    if summary is not None and summary.kgr_pct_per_week is not None:
        pairs.append(("Kinetic growth rate", f"{summary.kgr_pct_per_week:.1f} %/week"))
    if summary is not None and summary.volumetry_advised:
        pairs.append(("Volumetry", "advised before surgery (four segments or fewer stay)"))
    return [Spacer(1, 4), facts_line([*pairs, ("Method", method)], st, title="Future liver remnant")]


def _found_text(f: Finding, *, full: bool, judged_once: str | None) -> str:
    found = f.summary or f.explanation
    if f.missing_words:
        found += " — missing: " + ", ".join(f.missing_words)
    if f.judged_at and f.judged_at != judged_once:
        found += f" (at enrolment, {f.judged_at})"
    if full and f.explanation and f.explanation != found:
        found += "\n" + f.explanation
    return found


def criteria_section(evaluation: Evaluation | None, notes: Sequence[str], st: Styles,
                     protocol_note: str | None = None,
                     shown_elsewhere: Sequence[str] = ()) -> list[Flowable]:
    """The protocol verdict and trial eligibility, the criteria that decide resectability and any
    criterion that is not plainly OK (each with the reasoning in full), then the trial criteria that
    are plainly OK, two to a row with the data that met them.  ``shown_elsewhere``: warnings another
    block of the page prints (RECIST), not repeated here."""
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
    verdict = f"{glossary.PROTOCOL_VERDICT}: {glossary.verdict_text(ev.resectability)}"
    if ev.resectability_reason and not any(f.group in RESECTABILITY_GROUPS for f in ev.criteria):
        verdict += f" ({ev.resectability_reason})"  # else the table below gives the reason, criterion by criterion
    lines = [p(verdict, st["cellb"])]
    if ev.eligibility:
        where = ("judged at this review" if ev.eligibility_judged_here
                 else f"judged at the enrolment review of {ev.eligibility_review_date}"
                 + (f", {glossary.short_words(ev.eligibility_resectability)} then"
                    if ev.eligibility_resectability else ""))
        elig = f"{glossary.TRIAL_ELIGIBILITY}: {glossary.eligibility_text(ev.eligibility)} ({where})"
        if ev.eligibility != "eligible" and ev.eligibility_reason:
            elig += f"; {ev.eligibility_reason}"
        lines.append(p(elig, st["cellb"]))
    w = CONTENT_W
    detailed: list[list[Any]] = []
    plain: list[tuple[str, str]] = []
    judged = {f.judged_at for f in ev.criteria if f.judged_at}
    judged_once = next(iter(judged)) if len(judged) == 1 else None
    for f in ev.criteria:
        effect = f.effect or glossary.effect(f.group, f.status)
        name = f.label or f.id
        # The reasoning in full where it decides or stands against: the criteria that decide
        # resectability, and any trial criterion that is not plainly OK.
        if f.group in RESECTABILITY_GROUPS or effect != glossary.OK:
            colour = glossary.effect_colour(effect)
            detailed.append([[p(name, st["cell"]),
                              p(f'<font color="{colour}"><b>{para(glossary.effect_label(effect))}</b></font>',
                                st["cell"], markup=True)],
                             _found_text(f, full=True, judged_once=None)])
        else:
            plain.append((name, _found_text(f, full=False, judged_once=judged_once)))
    legend = "Legend: " + " · ".join(glossary.effect_label(e) for e in glossary.EFFECTS) + \
        " (meanings on the first page)"
    out = [CondPageBreak(90), p(head, st["h2"]), *version_alert, *lines, p(legend, st["small"]), Spacer(1, 2)]
    if detailed:
        out.append(data_table(["Criterion and finding", "What was found"], detailed,
                              [0.27 * w, 0.73 * w], st))
    if plain:
        title = f"{glossary.mark(glossary.OK)} {glossary.EFFECT_WORDS[glossary.OK]}: " \
                f"{glossary.plural(len(plain), 'trial criterion')}"
        if judged_once:
            title += f", judged at the enrolment review of {judged_once}"
        out += [Spacer(1, 3), p(title, st["cellb"]), _columns(plain, w, st)]
    if not ev.criteria:
        out.append(p("The protocol lists no criterion.", st["note"]))
    if ev.best_plan is not None:
        bp = ev.best_plan
        text = ("Best plan found: " + glossary.plan_words(bp.resection, bp.remnant, bp.local_treatment)
                + ("; feasible" if bp.feasible else "; not feasible: " + "; ".join(bp.reasons))
                + (f"; remnant {bp.flr_pct:.1f} %" if bp.flr_pct is not None else "")
                + ("".join(f"; {n}" for n in bp.notes)))
        if ev.better_plan_than_recorded:
            text += " (better than the recorded plan)"
        plan_notes = " ".join(glossary.review_notes(ev.assumptions))
        out += [Spacer(1, 3), p(text + (f". {plan_notes}" if plan_notes else ""), st["small"])]
    else:
        out += [p(n, st["note"]) for n in glossary.review_notes(ev.assumptions)]
    elsewhere = set(shown_elsewhere)
    for text in dict.fromkeys((*ev.warnings, *notes)):
        if text not in elsewhere:
            out.append(p(text, st["note"]))
    # The protocol's assumptions and settings are the same for every patient on it: printed once,
    # after the patients (the first page says so).
    return out


def _columns(items: Sequence[tuple[str, str]], width: float, st: Styles, n: int = 3) -> Flowable:
    """"name — what was found", ``n`` to a row, read down the first column, then the next."""
    per = (len(items) + n - 1) // n
    cells = [f"{name} — {found}" for name, found in items]
    cols = [cells[i * per:(i + 1) * per] for i in range(n)]
    rows = [[col[r] if r < len(col) else "" for col in cols] for r in range(per)]
    return data_table([], rows, [width / n] * n, st, headless=True, compact=True)


PROTOCOL_NOTES_TITLE = "Protocol assumptions and settings"
RESECTABILITY_GROUPS = ("unresectability", "technical", "biological")


def protocol_notes_section(items: Sequence[MinutesPatient], st: Styles) -> list[Flowable]:
    """Each protocol's assumptions and settings (the readings of the project's conventions it
    applies), once for all its patients of the meeting, in two columns."""
    from reportlab.platypus.flowables import BalancedColumns

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
    out: list[Flowable] = [p(PROTOCOL_NOTES_TITLE, st["h1"]),
                           p("The same for every patient on the protocol, so printed once here; the "
                             "criteria on each patient's page were evaluated with them.", st["note"])]
    for (pid, version), (title, notes) in sorted(seen.items()):
        body: list[Flowable] = [p(f"• {n}", st["note"]) for n in notes]
        out.append(p(f"{title} ({pid}, version {version})" if pid not in title
                     else f"{title} (version {version})", st["h2"]))
        if len(body) > 1:
            out.append(BalancedColumns(body, nCols=2, spaceBefore=0, spaceAfter=2, innerPadding=8))
        else:
            out += body or [p("No assumption or setting.", st["note"])]
    return out


NEW_LESIONS_WARNING = "new lesion(s) since baseline: "
"""How mdt.recist words its new-lesion warning: the "New lesions" line says it already."""


def recist_section(recist: RecistSummary | None, st: Styles) -> list[Flowable]:
    if recist is None:
        return [Spacer(1, 4), facts_line([("Response", "not assessed: unknown")], st,
                                         title="Response (RECIST 1.1)")]
    r = recist
    pairs: list[tuple[str, str]] = [
        ("Overall response", r.response),
        ("Target response", r.target_response or UNKNOWN),
        ("Non-target response", r.non_target_response or UNKNOWN),
        ("Sum of target diameters", num(r.sld_mm, 1, "mm", UNKNOWN)),
        ("Baseline sum", num(r.baseline_sld_mm, 1, "mm", UNKNOWN)),
        ("Nadir sum", num(r.nadir_sld_mm, 1, "mm", UNKNOWN)),
        ("Change from baseline", pct(r.change_from_baseline_pct, signed=True, missing=UNKNOWN)),
        ("Change from nadir", pct(r.change_from_nadir_pct, signed=True, missing=UNKNOWN)),
        ("New lesions", ", ".join(r.new_lesions) if r.new_lesions else "none"),
        ("Early tumour shrinkage", yes_no(r.early_tumour_shrinkage, "not assessable")),
    ]
    if r.depth_of_response_pct is not None:
        pairs.append(("Depth of response", pct(r.depth_of_response_pct)))
    out: list[Flowable] = [CondPageBreak(40), Spacer(1, 4), facts_line(pairs, st, title="Response (RECIST 1.1)")]
    out += [p(w, st["note"]) for w in recist_notes(r)]
    return out


def recist_notes(r: RecistSummary | None) -> tuple[str, ...]:
    """The RECIST warnings the response block prints (the new lesions are its own line)."""
    if r is None:
        return ()
    return tuple(w for w in r.warnings if not w.startswith(NEW_LESIONS_WARNING))


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
    rows = [[v.member, glossary.specialty_words(v.role), str(v.round),
             vote_rating_text(v), vote_notes_text(v)] for v in votes]
    out: list[Flowable] = [CondPageBreak(40)]
    if rows:
        out.append(p("Panel ratings", st["h2"]))
        out.append(data_table(["Panellist", "Role", "Round", "Rating", "Comment and changes"],
                              rows, [0.2 * w, 0.16 * w, 0.07 * w, 0.22 * w, 0.35 * w], st))
    lines = [("Rule", aggregation_text(item.aggregation)
              + (f" ({item.rule_note})" if item.rule_note else ""))]
    exp = item.expectation
    if exp is not None:
        who = ", ".join(exp.voters) or "none"
        lines.append(("Ratings expected", f"{exp.text}; members present with a voting role: {who}"))
    elif not rows:
        lines.append(("Ratings", "none recorded"))
    agg = item.aggregate
    if agg is not None:
        if agg.result is None:
            lines.append((glossary.RATINGS_RESULT, f"none yet ({agg.agreement})"))
        else:
            lines.append((glossary.RATINGS_RESULT, f"{rating_label(agg.result)}; reached by {agg.rule}; "
                                                   f"{agg.agreement}"))
    out.append(facts_line(lines, st) if rows else
               KeepTogether([Spacer(1, 4), facts_line(lines, st, title="Panel ratings")]))
    if agg is not None:
        for note in agg.notes:
            out.append(p(note, st["note"]))
        if agg.needs_second_round:
            out.append(p("A second round of ratings is needed.", st["alert"]))
        if agg.needs_chair:
            out.append(p("The chair's rating is needed to decide.", st["alert"]))
    return out


RULE_WORDS: dict[str, str] = {
    "consensus": "consensus of the ratings",
    "majority": "majority of the ratings",
    "chair": "the chair's casting rating (the ratings were tied)",
}


def decided_by_text(item: MinutesPatient) -> str:
    """Who decided and how: the panel and the rule the ratings support, and who recorded the
    decision when it is known; never "not recorded" for a decision that was recorded."""
    review = item.review
    decision = review.panel.decision if review else None
    if decision is None:
        return NOT_RECORDED
    agg = item.aggregate
    follows = agg if agg is not None and agg.result is not None and agg.result == decision.resectability \
        else None
    if decision.rule:
        how = RULE_WORDS.get(decision.rule, decision.rule)
        if follows is not None and follows.agreement:
            how += f" ({follows.agreement})"
        text = f"the panel, by {how}"
    elif follows is not None and follows.rule:
        text = (f"the panel; the ratings give the same result by {RULE_WORDS.get(follows.rule, follows.rule)} "
                f"({follows.agreement})")
    else:
        exp = item.expectation
        missing = f"; {exp.text}" if exp is not None and not exp.complete else ""
        text = f"the panel, without a rule of the ratings to rest on{missing}"
    if item.decision_recorded is not None:
        who, when = item.decision_recorded
        text += f"; recorded by {who}" + (f" on {stamp(when)}" if when is not None else "")
    return text


def decision_section(item: MinutesPatient, st: Styles) -> list[Flowable]:
    review = item.review
    assert review is not None
    decision = review.panel.decision
    if decision is None:
        return [Spacer(1, 4), p(f'<font color="#{ACCENT.hexval()[2:]}"><b>{glossary.PANEL_DECISION}</b></font>'
                                f' &nbsp; <font color="#{DRAFT_RED.hexval()[2:]}"><b>No decision recorded.</b></font>',
                                st["cell"], markup=True)]
    out: list[Flowable] = [CondPageBreak(70), p(glossary.PANEL_DECISION, st["h2"])]
    short: list[tuple[str, str]] = [
        ("Resectability", rating_label(decision.resectability)),
        ("Plan", label(decision.plan, PLAN_LABELS)),
        ("Next review", day(decision.next_review)),
        ("Responsible", decision.responsible or NOT_RECORDED),
    ]
    long: list[tuple[str, str]] = [
        ("Decided by", decided_by_text(item)),
        ("Protocol", decided_under(decision)),
        ("Rationale", decision.rationale or NOT_RECORDED),
        ("Dissent", decision.dissent or "none recorded"),
    ]
    out.append(kv_grid(short, CONTENT_W, st, columns=2, label_share=0.3))
    out.append(kv_grid(long, CONTENT_W, st, columns=1, label_share=0.15))
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
    out += diagram_section(review, st)
    out += remnant_section(review, item.evaluation, st)
    recist = item.recist_summary
    shown = (*recist_notes(recist), *(recist.warnings if recist is not None else ()))
    out += criteria_section(item.evaluation, item.notes, st, item.protocol_note, shown_elsewhere=shown)
    out += recist_section(recist, st)
    out += panel_section(item, st)
    out += decision_section(item, st)
    return out
