"""The meeting minutes PDF: a pure function of the meeting and its patients.

Layout: the meeting (institution, board, id, date/time, chair, minute-taker,
attendance with the quorum check), a one-page summary table, one section per
patient starting on a new page, the sign-off block (signer, time, head of the
audit chain), then any amendment made after signing.

Timestamps: signed minutes carry the signature time (or the last amendment's)
as their issue time, so reprinting them gives the same bytes; a draft carries
the time it was printed and a DRAFT watermark on every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO

from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Spacer

from mdt import glossary
from mdt.atomic import atomic_write
from mdt.case import Case
from mdt.meeting import Meeting
from mdt.minutes.blocks import data_table, kv_grid, p, signature_lines
from mdt.minutes.document import CONTENT_W, DRAFT_RED, Furniture, MdtDocument, Metadata, SectionMarker, styles
from mdt.minutes.items import meeting_quorum, minutes_items
from mdt.minutes.pdfa import to_pdfa
from mdt.minutes.sections import MinutesPatient, Styles, protocol_notes_section, review_sections
from mdt.minutes.text import (
    NOT_RECORDED,
    PLAN_SHORT,
    RATING_SHORT,
    day,
    label,
    person_name,
    specialty_label,
    stamp,
)
from mdt.panel import Quorum


def issue_time(meeting: Meeting, printed_at: datetime) -> datetime:
    """The time the document states: signature (or last amendment) time once signed."""
    if meeting.signature is None:
        return printed_at
    times = [meeting.signature.at] + [a.at for a in meeting.amendments]
    return max(times, key=lambda t: t.astimezone(UTC) if t.tzinfo else t.replace(tzinfo=UTC))


def _board(meeting: Meeting) -> str:
    return " · ".join(x for x in (meeting.institution, meeting.board) if x) or "Liver tumour board"


def _furniture(meeting: Meeting, printed_at: datetime) -> Furniture:
    when = f"{day(meeting.date)} {meeting.start_time or ''}".strip()
    sig = meeting.signature
    if sig is None:
        status = "DRAFT, not signed"
        footer = f"Draft printed {stamp(printed_at)}; not valid as a record until signed by the chair"
    else:
        status = f"SIGNED by {sig.signer}, {stamp(sig.at)}"
        footer = f"Issued {stamp(sig.at)}, signed by {sig.signer}"
        if meeting.amendments:
            status = f"SIGNED by {sig.signer}, {stamp(sig.at)}; AMENDED ({len(meeting.amendments)})"
            footer += f"; amended {stamp(issue_time(meeting, printed_at))}"
    return Furniture(header_left=_board(meeting), header_right=f"Meeting {meeting.id} · {when}",
                     footer_left=footer, status=status, draft=sig is None, default_section="Meeting")


def _meeting_block(meeting: Meeting, quorum: Quorum, st: Styles) -> list[Flowable]:
    out: list[Flowable] = [p("Minutes of the liver tumour board", st["title"])]
    pairs: list[tuple[str, str]] = [
        ("Institution", meeting.institution or NOT_RECORDED),
        ("Board", meeting.board or NOT_RECORDED),
        ("Meeting ID", meeting.id),
        ("Date and time", f"{day(meeting.date)} {meeting.start_time or '(time not recorded)'}"),
        ("Chair", meeting.chair or NOT_RECORDED),
        ("Minute-taker", meeting.minute_taker or NOT_RECORDED),
    ]
    out.append(kv_grid(pairs, CONTENT_W, st, columns=2, label_share=0.3))
    out.append(p(f"Attendees ({len(meeting.attendees)})", st["h2"]))
    w = CONTENT_W
    rows = [[m.name, specialty_label(m.specialty), m.role] for m in meeting.attendees]
    out.append(data_table(["Name", "Specialty", "Role"], rows, [0.42 * w, 0.38 * w, 0.2 * w], st,
                          empty="No attendee recorded."))
    out.append(Spacer(1, 4))
    out.append(p(quorum.reason if quorum.reason else ("Quorum met" if quorum.ok else "No quorum"),
                 st["cellb"] if quorum.ok else st["alert"]))
    return out


def _summary_block(items: Sequence[MinutesPatient], st: Styles) -> list[Flowable]:
    """One row per patient, short labels, small type: 30 patients fit on one page."""
    w = CONTENT_W
    rows = []
    for n, item in enumerate(items, start=1):
        review = item.review
        decision = review.panel.decision if review else None
        proto = " / ".join(x for x in (item.case.protocol.id, item.case.protocol.arm) if x) or NOT_RECORDED
        engine = label(item.evaluation.resectability, RATING_SHORT, "unknown") if item.evaluation else "unknown"
        if review is None:
            panel = "no review recorded"
        elif decision is None:
            panel = "no decision"
        else:
            panel = label(decision.resectability, RATING_SHORT)
        rows.append([
            str(n), f"{person_name(item.case.patient.name)}\nID {item.case.patient.id}", proto,
            str(review.cycle) if review and review.cycle is not None else "–",
            engine, panel,
            label(decision.plan, PLAN_SHORT) if decision else "–",
            day(decision.next_review, "–") if decision else "–",
        ])
    return [KeepTogether([
        Spacer(1, 8),
        SectionMarker("Summary"),
        p(f"Summary: {glossary.plural(len(items), 'patient')} discussed", st["h1"]),
        data_table(["No.", "Patient", "Protocol / arm", "Cycle", glossary.PROTOCOL_VERDICT,
                    glossary.PANEL_DECISION, "Plan", "Next review"],
                   rows, [0.045 * w, 0.225 * w, 0.17 * w, 0.06 * w, 0.12 * w, 0.12 * w, 0.15 * w, 0.11 * w],
                   st, empty="No patient on the agenda.", compact=True),
        Spacer(1, 6),
        p("How to read the criteria: " + glossary.legend_text(" · ") + ". Each protocol's assumptions "
          "and settings are listed once, after the patients.", st["note"]),
    ])]


def _signoff_block(meeting: Meeting, st: Styles) -> list[Flowable]:
    out: list[Flowable] = [SectionMarker("Sign-off"), p("Sign-off", st["h1"])]
    sig = meeting.signature
    if sig is None:
        out.append(p("NOT SIGNED. This is a draft: it is not part of the medical record until the chair "
                     "signs the minutes.", st["alert"]))
    else:
        rows = [("Signed by", sig.signer), ("Signed at", stamp(sig.at)),
                ("Audit chain head", sig.audit_head)]
        if sig.certificate_sha256:
            rows.append(("Digital signature", f"PAdES, by the signer's own key; certificate "
                                              f"SHA-256 {sig.certificate_sha256}"))
        out.append(kv_grid(rows, CONTENT_W, st, columns=1, label_share=0.22))
        out.append(p("The audit chain head is the SHA-256 hash of the newest audit event when the minutes "
                     "were signed; any later change to the record breaks the chain or appears below "
                     "as an amendment.", st["note"]))
    out += countersignature_block(meeting.chair, st,
                                  "Countersignature for the paper record: where the minutes are filed on "
                                  "paper, the chair signs and dates this printout by hand.")
    if meeting.amendments:
        out.append(SectionMarker("Amendments"))
        out.append(p(f"Amendments after signing ({len(meeting.amendments)})", st["h1"]))
        w = CONTENT_W
        amend_rows = [[str(i), stamp(a.at), a.author, a.patient_id or "meeting", a.reason, a.summary]
                      for i, a in enumerate(meeting.amendments, start=1)]
        out.append(data_table(["No.", "At", "By", "Patient", "Reason", "Change"], amend_rows,
                              [0.05 * w, 0.14 * w, 0.12 * w, 0.14 * w, 0.2 * w, 0.35 * w], st))
    return out


def countersignature_block(name: str | None, st: Styles, caption: str) -> list[Flowable]:
    """A handwritten signature and date line, kept together with its caption."""
    return [KeepTogether([Spacer(1, 10), p(caption, st["small"]), Spacer(1, 4),
                          signature_lines(["Name", "Signature", "Date"], CONTENT_W, st,
                                          filled=[name or ""])])]


def build_minutes_story(meeting: Meeting, items: Sequence[MinutesPatient], quorum: Quorum) -> list[Flowable]:
    st = styles()
    story: list[Flowable] = _meeting_block(meeting, quorum, st)
    # The summary follows on the first page when it fits, else it takes the next page whole.
    story += _summary_block(items, st)
    for n, item in enumerate(items, start=1):
        story.append(PageBreak())
        story.append(SectionMarker(f"Patient {n} of {len(items)}: {item.title}"))
        pat = item.case.patient
        heading = person_name(pat.name) if pat.name else f"Hospital ID {pat.id} (name not recorded)"
        story.append(p(f"{n}. {heading} · {pat.id}", st["h1"]))
        story += review_sections(item, st)
    notes = protocol_notes_section(items, st)
    if notes:
        story.append(PageBreak())
        story.append(SectionMarker("Protocol assumptions and settings"))
        story += notes
        story.append(CondPageBreak(170))  # the sign-off follows on the same page when it fits
    else:
        story.append(PageBreak())
    story += _signoff_block(meeting, st)
    return story


def render_minutes(meeting: Meeting, items: Sequence[MinutesPatient | Case], out: str | Path | IO[bytes], *,
                   printed_at: datetime | None = None, quorum: Quorum | None = None, pdfa: bool = False) -> None:
    """Writes the minutes PDF to ``out`` (a path or a binary stream).

    ``items`` are normally built by :func:`mdt.minutes.collect.collect_minutes` (which
    prints a signed meeting's reviews as signed); plain ``Case`` objects are accepted
    too and evaluated here.  ``printed_at`` (default: now, UTC) is shown on drafts only;
    ``quorum`` defaults to the strictest rule of the agenda's protocols.  ``pdfa`` writes PDF/A-2b.
    """
    printed_at = printed_at or datetime.now(UTC)
    if any(isinstance(i, Case) for i in items):
        cases = {i.patient.id: i for i in items if isinstance(i, Case)}
        built = {m.case.patient.id: m for m in minutes_items(meeting, cases)}
        items = [built.get(i.patient.id, MinutesPatient(i, None)) if isinstance(i, Case) else i for i in items]
    when = issue_time(meeting, printed_at)
    if quorum is None:
        # The strictest rule of the agenda's patients' protocols (the items carry their cases).
        quorum = meeting_quorum(meeting, {i.case.patient.id: i.case for i in items
                                          if isinstance(i, MinutesPatient)})
    q = quorum
    meta = Metadata(
        title=f"Minutes {meeting.id}: {_board(meeting)}",
        author=meeting.minute_taker or meeting.chair or "Liver MDT",
        subject=(f"Liver tumour board minutes, meeting {meeting.id} of {day(meeting.date)}, "
                 f"{len(items)} patient(s); {'signed' if meeting.signed else 'draft'}"),
        keywords=f"MDT minutes, colorectal liver metastases, {meeting.id}",
        created=when,
        identity=f"liver-mdt minutes|{meeting.id}|{when.isoformat()}|{'signed' if meeting.signed else 'draft'}",
    )
    story = build_minutes_story(meeting, items, q)  # type: ignore[arg-type]
    buffer = BytesIO()
    MdtDocument(buffer, _furniture(meeting, printed_at), meta).render(story)
    data = to_pdfa(buffer.getvalue(), meta) if pdfa else buffer.getvalue()
    if isinstance(out, (str, Path)):
        atomic_write(out, data)  # all of the PDF or nothing: never a 0-byte file
    else:
        out.write(data)


__all__ = ["DRAFT_RED", "MinutesPatient", "build_minutes_story", "issue_time", "render_minutes"]
