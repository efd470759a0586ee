"""Domain types for tumour-board meetings, panel members and sign-off."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from mdt import glossary

ROLES: tuple[str, ...] = ("chair", "coordinator", "member")
"""Permission roles of a panel member (who may sign, who may edit the agenda)."""

SPECIALTIES: tuple[str, ...] = (
    "hepatobiliary_surgeon", "diagnostic_radiologist", "interventional_radiologist",
    "medical_oncologist", "pathologist", "radiation_oncologist", "gastroenterologist",
    "nurse_specialist", "coordinator", "other",
)
SPECIALTY_LABELS: dict[str, str] = {code: glossary.SPECIALTY_WORDS[code] for code in SPECIALTIES}
"""Each specialty in words (mdt.glossary: one spelling everywhere)."""
DISCUSSION_REASONS: tuple[str, ...] = (
    "baseline", "reassessment", "progression", "post_operative", "toxicity", "other",
)


@dataclass(frozen=True, slots=True)
class Member:
    """A person on the panel registry."""
    name: str
    specialty: str
    role: str = "member"
    id: int | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class AgendaItem:
    patient_id: str
    """Hospital identifier of the patient discussed."""
    review_date: date | None = None
    """The review discussed at this meeting (None until it is recorded)."""
    reason: str | None = None
    discussion_level: str = "full"
    """``full`` or ``listed`` (standard-of-care case listed, not discussed)."""
    position: int = 0


@dataclass(frozen=True, slots=True)
class Amendment:
    at: datetime
    author: str
    reason: str
    summary: str
    """What changed, in words (before -> after), as the minutes print it."""
    patient_id: str | None = None


@dataclass(frozen=True, slots=True)
class Signature:
    signer: str
    at: datetime
    audit_head: str
    """SHA-256 hash of the ``meeting.sign`` audit event: the chain head after signing
    (before signatures carried keys: the newest event before signing)."""
    audit_event_id: int | None = None
    """Id of that sign event (None for signatures made before keys)."""
    certificate_sha256: str | None = None
    """Fingerprint of the signer's certificate (None before keys)."""


@dataclass(frozen=True, slots=True)
class Meeting:
    id: str
    """Human-readable meeting identifier, e.g. ``LIV-2026-11-20``."""
    date: date
    start_time: str | None = None
    """``HH:MM`` local time."""
    institution: str | None = None
    board: str | None = None
    chair: str | None = None
    minute_taker: str | None = None
    attendees: tuple[Member, ...] = ()
    agenda: tuple[AgendaItem, ...] = ()
    signature: Signature | None = None
    amendments: tuple[Amendment, ...] = field(default_factory=tuple)

    @property
    def signed(self) -> bool:
        return self.signature is not None
