"""The value types of the service API (``mdt.services``): what its methods take and return.

They sit below both the API and its implementation (``mdt.store``), so the two meet here
and never import each other: the implementation builds these plain, frozen dataclasses,
never ORM objects, so results cross threads and outlive the session.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from datetime import date, datetime

from mdt.case import Review
from mdt.meeting import Member


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs an action: written into every audit event.

    ``member_id`` links to the members registry; permission checks look the
    member up there (the ``role`` here is only a display hint and is never
    trusted for permissions).  ``authenticated`` is True only for an actor made
    by :func:`sign_in`, :func:`set_first_password` or :func:`sign_in_os`: every
    role-limited action requires it, so a name alone (``--user``, or an Actor built
    from a registry entry) never acts as the chair.
    """
    name: str
    role: str = "member"
    member_id: int | None = None
    authenticated: bool = False
    via: str | None = None
    """How the member proved who they are: ``password`` or ``os_account``."""

    @staticmethod
    def from_environment(cli_user: str | None = None) -> Actor:
        """An unauthenticated actor for the audit trail of commands that need no sign-in:
        ``--user`` beats ``MDT_USER`` beats the login name."""
        name = cli_user or os.environ.get("MDT_USER") or _login_name()
        return Actor(name=name)

    @staticmethod
    def for_member(member: Member) -> Actor:
        return Actor(name=member.name, role=member.role, member_id=member.id)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "unknown"


@dataclass(frozen=True, slots=True)
class PatientRow:
    """One line of the patient list (a summary kept up to date on every save)."""
    patient_id: str
    """The hospital identifier (MRN)."""
    name: str | None
    sex: str | None
    birth_date: date | None
    protocol_id: str | None
    arm: str | None
    review_count: int
    last_review_date: date | None
    last_cycle: int | None
    resectability: str | None
    """Panel decision of the latest review (None when not decided)."""
    plan: str | None
    next_review: date | None
    outcome: str | None
    """Treatment outcome (mdt.case.OUTCOMES) or None."""
    archived: bool
    archive_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """The current version of one stored review."""
    review_id: int
    """Stable identifier of the review across its versions."""
    patient_id: str
    index: int
    """Position among the patient's reviews, oldest first (0-based), as in the case file."""
    version: int
    """Current version number (1 = first save); pass it back as ``expected_version``."""
    review: Review
    saved_at: datetime
    """UTC, timezone-aware."""
    saved_by: str
    reason: str | None
    """Why this version was saved (None for the first version unless given)."""
    meeting_id: str | None
    """The signed meeting that locked it, or None."""
    locked: bool


@dataclass(frozen=True, slots=True)
class ReviewVersion:
    """One historical version of a review (never overwritten)."""
    review_id: int
    version: int
    review: Review
    saved_at: datetime
    saved_by: str
    reason: str | None
    amendment: bool
    """True when the version was saved as an amendment of a signed meeting."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit event (read-only view of the append-only table)."""
    id: int
    at: datetime
    actor: str
    action: str
    """e.g. ``patient.create``, ``review.add``, ``review.save``, ``meeting.sign``."""
    entity: str
    entity_id: str
    patient_id: str | None
    before: object
    after: object
    hash: str


@dataclass(frozen=True, slots=True)
class AuditVerification:
    ok: bool
    events: int
    """Number of events checked."""
    first_broken_id: int | None
    message: str
    """Human-readable: ``audit chain intact: N events`` or which event is broken and why."""


@dataclass(frozen=True, slots=True)
class ImportSummary:
    patients_created: int = 0
    patients_updated: int = 0
    reviews_added: int = 0
    reviews_revised: int = 0
    reviews_unchanged: int = 0
    patient_ids: tuple[str, ...] = field(default_factory=tuple)
    cleared: tuple[str, ...] = field(default_factory=tuple)
    """Every stored value the files cleared with an explicit null, e.g.
    ``H-011: patient.sex (Sex)``: the command line and the window list them."""


@dataclass(frozen=True, slots=True)
class MeetingRow:
    id: str
    date: date
    board: str | None
    chair: str | None
    patients: int
    signed: bool


@dataclass(frozen=True, slots=True)
class SignInState:
    """What the sign-in dialog needs to know about one name (no secret in it)."""
    name: str
    member_id: int
    role: str
    active: bool
    has_password: bool
    os_account: str | None
    certificate_sha256: str | None
    key_source: str | None
    locked_out_until: datetime | None = None
    """Set when wrong passwords in a row locked the member out (``signin.max_failures``)."""
