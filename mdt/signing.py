"""Signing the minutes, and checking signed minutes against the record.

``sign_meeting`` is what :meth:`mdt.services.MdtService.sign_meeting` does:

1. the actor must be the signed-in chair (checked before anything else);
2. the chair's password unlocks the chair's private key (the second component at
   signing, 21 CFR 11.200(a)(1)(i)); a wrong password stops here;
3. the minutes are rendered (PDF/A-2b) as they will be signed, and signed as PAdES
   with that key;
4. one transaction locks the reviews, appends the ``meeting.sign`` event, signs
   the payload naming that event's hash (the chain head after the sign event) and
   stores the signature with the signed PDF.  If someone saved a change to the
   meeting, its patients or the registry after step 3, nothing is written and
   ``ConflictError`` says so: the chair looks again and signs again.

``verify_minutes`` is ``main.py verify-minutes``: who signed, when, whether the PDF's
signature is intact, and whether the database still holds exactly this document as
the signed record of that meeting, its signature still checking against the chain.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from typing import Protocol

from mdt import keys
from mdt.meeting import Signature
from mdt.minutes import collect_minutes, pades, render_minutes
from mdt.minutes.collect import MinutesSource
from mdt.store import auth_impl, service_impl
from mdt.store.common import Caller

SIGN_AS_PDFA = True
"""The signed minutes are the archival PDF/A-2b variant (PAdES keeps it PDF/A)."""


class SigningService(Caller, MinutesSource, Protocol):
    """The chair's service (``mdt.services.MdtService``): the database and the signer, and the
    reads the minutes are rendered from."""


def sign_meeting(svc: SigningService, meeting_id: str, password: str) -> Signature:
    service_impl.check_signer(svc, meeting_id)
    key, certificate = auth_impl.unlock_signing_key(svc, password)
    seen_head, head_hash = service_impl.signing_head(svc)
    at = datetime.now(UTC)
    meeting, items, quorum = collect_minutes(svc, meeting_id)
    as_signed = dataclasses.replace(meeting, signature=Signature(
        signer=svc.actor.name, at=at, audit_head=head_hash,
        certificate_sha256=keys.fingerprint(certificate)))
    buf = BytesIO()
    render_minutes(as_signed, items, buf, printed_at=at, quorum=quorum, pdfa=SIGN_AS_PDFA)
    signed_pdf = pades.sign_pdf(buf.getvalue(), key, certificate, signer=svc.actor.name,
                                reason=f"Chair's signature of the minutes of {meeting_id}",
                                location=meeting.institution)
    return service_impl.sign_meeting(svc, meeting_id, signed_at=at, seen_head=seen_head, key=key,
                                     certificate_pem=certificate, minutes_pdf=signed_pdf)


# --------------------------------------------------------------------------- verification

EXIT_AGREES, EXIT_BROKEN, EXIT_USAGE, EXIT_UNSIGNED = 0, 1, 2, 3
"""``verify-minutes`` exit codes: 0 the signature is valid and the database holds this very
document as the signed record; 1 the signature is broken, the file was changed, or the
record disagrees (or is missing); 2 no such file, not a PDF, or no database;
3 the PDF carries no signature (a draft)."""


@dataclass(frozen=True, slots=True)
class MinutesVerification:
    code: int
    lines: list[str] = field(default_factory=list)
    signatures: list[pades.PdfSignatureReport] = field(default_factory=list)
    meeting_id: str | None = None

    @property
    def agrees(self) -> bool:
        return self.code == EXIT_AGREES


def verify_minutes(svc: Caller, pdf: bytes) -> MinutesVerification:
    records = service_impl.signature_records(svc)
    trusted = [r.certificate_pem for r in records if r.certificate_pem] + \
        service_impl.member_certificates(svc)
    try:
        reports = pades.validate_pdf(pdf, trusted)
    except pades.NotAPdf as exc:
        return MinutesVerification(EXIT_USAGE, [f"not a readable PDF: {exc}"])
    if not reports:
        return MinutesVerification(EXIT_UNSIGNED, ["the PDF carries no signature (a draft, "
                                                   "or printed before signing)"])
    lines: list[str] = []
    broken = False
    for r in reports:
        when = r.signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if r.signed_at else "?"
        lines.append(f"signed by {r.signer} at {when} (certificate SHA-256 "
                     f"{r.certificate_sha256[:16]}…)")
        if not r.intact or not r.valid:
            broken = True
            lines.append("PDF signature: BROKEN — the document was changed after signing "
                         "(or the signature is damaged)")
        elif not r.covers_whole_file:
            broken = True
            lines.append("PDF signature: valid for an earlier revision, but content was "
                         "appended after signing")
        elif not r.trusted:
            broken = True
            lines.append("PDF signature: intact, but the certificate is not one this "
                         "database's members registry knows")
        else:
            lines.append("PDF signature: valid (intact, covers the whole file, certificate "
                         "known to the registry)")
    digest = keys.sha256_hex(pdf)
    match = next((r for r in records if r.minutes_sha256 == digest), None)
    meeting_id = None
    if match is None:
        broken = True
        lines.append("database: no signed meeting holds this document; it differs from "
                     "every signed record")
    else:
        meeting_id = match.meeting_id
        problem = service_impl.signature_problem(svc, match.meeting_id)
        if problem:
            broken = True
            lines.append(f"database: the record of meeting {match.meeting_id} no longer "
                         f"agrees: {problem}")
        else:
            lines.append(f"database: this is the signed record of meeting {match.meeting_id} "
                         f"(signed by {match.signer}, audit event #{match.audit_event_id}); "
                         f"the record's own signature checks against the audit chain")
        if match.amendments:
            lines.append(f"note: {match.amendments} amendment(s) were recorded after signing; "
                         f"print the current minutes to see them")
    return MinutesVerification(EXIT_BROKEN if broken else EXIT_AGREES, lines, reports, meeting_id)
