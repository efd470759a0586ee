"""The outcome sheet: one page per patient for the patient's record, printable on its own (a
patient's latest decided review) and for every patient of a meeting.

It says what the board decided for this patient and who is answerable for it: the panel decision
(resectability, plan, rationale, dissent), the next review and the person responsible, who
decided and how, the protocol verdict and trial eligibility it was taken beside, whether the
meeting's minutes are signed, and a line to sign and date by hand where the hospital files
paper.  A pure function of the case, the review and the meeting; nothing is set below 8 pt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import IO

from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer

from mdt import glossary
from mdt.atomic import atomic_write
from mdt.meeting import Meeting
from mdt.minutes.blocks import kv_grid, p, signature_lines
from mdt.minutes.document import CONTENT_W, Furniture, MdtDocument, Metadata, SectionMarker, styles
from mdt.minutes.pdfa import to_pdfa
from mdt.minutes.sections import MinutesPatient, Styles, decided_by_text, rating_label
from mdt.minutes.text import (
    NOT_RECORDED,
    PLAN_LABELS,
    REASON_LABELS,
    SEX_LABELS,
    day,
    label,
    person_name,
    stamp,
)
from mdt.panel import decided_under

TITLE = "Tumour board outcome"


@dataclass(frozen=True, slots=True)
class OutcomeSheet:
    """One patient's sheet: the minutes' view of the patient's review at ``meeting`` (None: the
    review was not discussed at a recorded meeting)."""
    item: MinutesPatient
    meeting: Meeting | None = None


def _sheet(sheet: OutcomeSheet, st: Styles) -> list[Flowable]:
    item, meeting = sheet.item, sheet.meeting
    case, review = item.case, item.review
    pat = case.patient
    name = person_name(pat.name)
    out: list[Flowable] = [SectionMarker(f"{name} (ID {pat.id})"), p(f"{TITLE}: {name}", st["title"])]
    identity: list[tuple[str, str]] = [
        ("Hospital ID", pat.id), ("Date of birth", day(pat.birth_date)),
        ("Sex", label(pat.sex, SEX_LABELS)),
        ("Protocol / arm", " / ".join(x for x in (case.protocol.id, case.protocol.arm) if x) or NOT_RECORDED),
        ("Regimen", case.treatment.regimen if case.treatment and case.treatment.regimen else NOT_RECORDED),
        ("Cycle", str(review.cycle) if review is not None and review.cycle is not None else NOT_RECORDED),
    ]
    out.append(kv_grid(identity, CONTENT_W, st, columns=3, label_share=0.42))
    where: list[tuple[str, str]] = [
        ("Meeting", f"{meeting.id} of {day(meeting.date)}" if meeting else "not discussed at a recorded meeting"),
        ("Board", " · ".join(x for x in (meeting.institution, meeting.board) if x) or NOT_RECORDED
         if meeting else NOT_RECORDED),
        ("Chair", (meeting.chair or NOT_RECORDED) if meeting else NOT_RECORDED),
        ("Review", day(review.date) if review else "no review recorded"),
        ("Reason", label((item.agenda.reason if item.agenda else None) or (review.reason if review else None),
                         REASON_LABELS)),
        ("Minutes", _minutes_status(meeting)),
    ]
    out.append(Spacer(1, 4))
    out.append(kv_grid(where, CONTENT_W, st, columns=2, label_share=0.22))
    out.append(p(glossary.PANEL_DECISION, st["h1"]))
    decision = review.panel.decision if review is not None else None
    if decision is None:
        out.append(p("No decision recorded for this review.", st["alert"]))
    else:
        out.append(kv_grid([
            ("Resectability", rating_label(decision.resectability)),
            ("Plan", label(decision.plan, PLAN_LABELS)),
            ("Rationale", decision.rationale or NOT_RECORDED),
            ("Dissent", decision.dissent or "none recorded"),
            ("Next review", day(decision.next_review)),
            ("Responsible", decision.responsible or NOT_RECORDED),
            ("Decided by", decided_by_text(item)),
            ("Protocol", decided_under(decision)),
        ], CONTENT_W, st, columns=1, label_share=0.2))
    ev = item.evaluation
    context: list[tuple[str, str]] = [
        (glossary.PROTOCOL_VERDICT, glossary.verdict_text(ev.resectability) if ev else "not evaluated")]
    if ev is not None and ev.eligibility:
        context.append((glossary.TRIAL_ELIGIBILITY, glossary.eligibility_text(ev.eligibility)))
    agg = item.aggregate
    if agg is not None:
        context.append((glossary.RATINGS_RESULT, f"{rating_label(agg.result)} ({agg.agreement})"
                        if agg.result else f"none ({agg.agreement})"))
    out += [p("Beside the decision", st["h2"]), kv_grid(context, CONTENT_W, st, columns=1, label_share=0.2)]
    if item.protocol_note:  # the protocol or version cannot be loaded: what the sheet rests on
        out.append(p(item.protocol_note, st["alert"]))
    out.append(p("The meeting's minutes give the criteria, the measurements and every rating in full.",
                 st["note"]))
    out.append(KeepTogether([
        Spacer(1, 16),
        p("Signature for the patient's paper record: the responsible clinician signs and dates this "
          "sheet by hand.", st["small"]),
        Spacer(1, 4),
        signature_lines(["Name", "Signature", "Date"], CONTENT_W, st,
                        filled=[decision.responsible if decision and decision.responsible else ""]),
    ]))
    return out


def _minutes_status(meeting: Meeting | None) -> str:
    if meeting is None:
        return "none"
    if meeting.signature is None:
        return "draft: not signed yet"
    text = f"signed by {meeting.signature.signer}, {stamp(meeting.signature.at)}"
    if meeting.amendments:
        text += f"; {glossary.plural(len(meeting.amendments), 'amendment')} since"
    return text


def sheet_styles() -> Styles:
    """The minutes' styles, the facts set a little larger: a sheet has room, and is read alone."""
    from reportlab.lib.styles import ParagraphStyle

    st = dict(styles())
    for name in ("cell", "cellb"):
        st[name] = ParagraphStyle(f"sheet-{name}", parent=st[name], fontSize=9.6, leading=12)
    st["small"] = ParagraphStyle("sheet-small", parent=st["small"], fontSize=9, leading=11)
    return st


def render_outcome_sheets(sheets: Sequence[OutcomeSheet], out: str | Path | IO[bytes], *,
                          printed_at: datetime, institution: str | None = None, pdfa: bool = False) -> None:
    """Writes one page per sheet (a sheet longer than a page continues on the next, nothing cut)."""
    st = sheet_styles()
    story: list[Flowable] = []
    for n, sheet in enumerate(sheets):
        if n:
            story.append(PageBreak())
        story += _sheet(sheet, st)
    if not story:
        story = [p(TITLE, st["title"]), p("No patient to print.", st["note"])]
    first = sheets[0].meeting if sheets else None
    board = institution or (" · ".join(x for x in (first.institution, first.board) if x) if first else "") \
        or "Liver tumour board"
    furniture = Furniture(header_left=board, header_right=TITLE,
                          footer_left=f"Printed {stamp(printed_at)}; the signed minutes are the record of "
                                      f"the meeting", status=glossary.plural(len(sheets), "patient"),
                          draft=False, default_section="")
    ids = ",".join(s.item.case.patient.id for s in sheets)
    meta = Metadata(title=f"{TITLE}: {glossary.plural(len(sheets), 'patient')}", author=board,
                    subject="Tumour board outcome sheets, one page per patient",
                    keywords="MDT outcome, colorectal liver metastases", created=printed_at,
                    identity=f"liver-mdt outcome|{ids}|{printed_at.isoformat()}")
    buffer = BytesIO()
    MdtDocument(buffer, furniture, meta).render(story)
    data = to_pdfa(buffer.getvalue(), meta) if pdfa else buffer.getvalue()
    if isinstance(out, (str, Path)):
        atomic_write(out, data)
    else:
        out.write(data)
