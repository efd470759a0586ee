"""The application's service layer: every user action is one method, one transaction.

The window and the command line call :class:`MdtService`; nothing else touches the
database.  Each mutating method runs in a single transaction that also writes the
audit event(s) for the change (``mdt.store.audit``), so a change without its audit
row cannot exist.  Methods return plain dataclasses (``PatientRow``,
``ReviewRecord``, domain ``Case``/``Meeting`` objects), never ORM objects, so results
can cross threads and outlive the session.

Permissions are checked here against the members registry, not in the window:
only a chair signs a meeting; only coordinators and the chair create meetings or
edit their agenda and attendance; only they edit the registry (except the very
first member, who bootstraps an empty registry).

Errors (``mdt.errors``): ``ValidationError`` (bad input, field + reason),
``NotFound``, ``PermissionDenied``, ``ConflictError`` (someone else saved the same
review first; ``.current`` is their ``ReviewRecord``), ``LockedError`` (the review
belongs to a signed meeting: use :meth:`MdtService.amend_review`).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from mdt.case import Case, Decision, Patient, ProtocolRef, Review, Treatment
from mdt.meeting import AgendaItem, Meeting, Member, Signature
from mdt.votes import PanelContext

# --------------------------------------------------------------------------- value types


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs an action: written into every audit event.

    ``member_id`` links to the members registry; permission checks look the
    member up there (the ``role`` here is only a display hint and is never
    trusted for permissions).
    """
    name: str
    role: str = "member"
    member_id: int | None = None

    @staticmethod
    def from_environment(cli_user: str | None = None) -> Actor:
        """``--user`` beats ``MDT_USER`` beats the login name (command line)."""
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


@dataclass(frozen=True, slots=True)
class MeetingRow:
    id: str
    date: date
    board: str | None
    chair: str | None
    patients: int
    signed: bool


# --------------------------------------------------------------------------- service


class MdtService:
    """All reads and writes of the application, for one acting user.

    ``db`` is a :class:`mdt.store.db.Database` (``open_database(url)``).  The object
    is cheap; create one per window or command.  It keeps no session open between
    calls, so it is safe to use from one thread at a time per call (create another
    for a worker thread).
    """

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db = db
        self.actor = actor

    # ---- patients ----------------------------------------------------------------

    def list_patients(self, search: str | None = None, protocol: str | None = None,
                      arm: str | None = None, status: str | None = None,
                      due: date | None = None, include_archived: bool = False,
                      limit: int | None = None) -> list[PatientRow]:
        """Patients sorted by hospital id.

        ``search`` matches the hospital id or the name (case-insensitive, any part);
        ``status`` matches the latest decision's resectability or the treatment
        outcome; ``due`` keeps patients whose next review is on or before that date.
        """
        return _impl.list_patients(self, search, protocol, arm, status, due,
                                   include_archived, limit)

    def get_patient(self, patient_id: str) -> PatientRow:
        return _impl.get_patient(self, patient_id)

    def get_case(self, patient_id: str) -> Case:
        """The patient with the current version of every review, oldest first."""
        return _impl.get_case(self, patient_id)

    def create_patient(self, patient: Patient, protocol: ProtocolRef | None = None,
                       treatment: Treatment | None = None) -> PatientRow:
        """ValidationError if the id is empty or already used."""
        return _impl.create_patient(self, patient, protocol, treatment)

    def update_patient(self, patient: Patient, protocol: ProtocolRef | None = None,
                       reason: str | None = None) -> PatientRow:
        """Update demographics (and the protocol/arm when given) of ``patient.id``."""
        return _impl.update_patient(self, patient, protocol, reason)

    def archive_patient(self, patient_id: str, reason: str) -> PatientRow:
        """Hide from the default list; nothing is deleted.  A reason is required."""
        return _impl.archive_patient(self, patient_id, reason, True)

    def unarchive_patient(self, patient_id: str, reason: str) -> PatientRow:
        return _impl.archive_patient(self, patient_id, reason, False)

    def set_treatment(self, patient_id: str, treatment: Treatment | None,
                      reason: str | None = None) -> Treatment | None:
        """Replace the treatment course (regimen, cycles given, outcome)."""
        return _impl.set_treatment(self, patient_id, treatment, reason)

    # ---- reviews -----------------------------------------------------------------

    def list_reviews(self, patient_id: str) -> list[ReviewRecord]:
        """Current version of each review, oldest first."""
        return _impl.list_reviews(self, patient_id)

    def get_review(self, review_id: int) -> ReviewRecord:
        return _impl.get_review(self, review_id)

    def add_review(self, patient_id: str, review: Review,
                   reason: str | None = None) -> ReviewRecord:
        """A new review (version 1).  ValidationError if its date is before the birth date."""
        return _impl.add_review(self, patient_id, review, reason)

    def save_review(self, review_id: int, review: Review, expected_version: int,
                    reason: str, *, patient_id: str | None = None) -> ReviewRecord:
        """Save a correction as a NEW version; earlier versions stay readable.

        ``expected_version`` is the version the editor loaded.  If another user saved in
        between, raises ConflictError whose ``current`` is their ReviewRecord: show it
        and let the user choose (reload, or save again with the new version).
        LockedError when the review belongs to a signed meeting; ValidationError when
        the reason is empty.  Saving identical content is a no-op returning the record.
        ``patient_id``: the patient the editing form was filled for; a review of another
        patient is refused (ValidationError), nothing is saved.  The ratings
        (``panel.votes``) cannot change here: use :meth:`cast_vote` / :meth:`withdraw_vote`.
        """
        return _impl.save_review(self, review_id, review, expected_version, reason,
                                 amendment=False, patient_id=patient_id)

    def amend_review(self, review_id: int, review: Review, expected_version: int,
                     reason: str, *, patient_id: str | None = None) -> ReviewRecord:
        """Change a review locked by a signed meeting: a new version plus an Amendment
        on that meeting (reason, author, what changed), which the minutes print."""
        return _impl.save_review(self, review_id, review, expected_version, reason,
                                 amendment=True, patient_id=patient_id)

    # ---- the panel: ratings and decision ---------------------------------------------

    def panel_context(self, review_id: int, meeting_id: str | None = None) -> PanelContext:
        """Who may rate this review: the meeting whose agenda discusses it (the unsigned one,
        else the latest; or ``meeting_id``), its attendance, the members with a voting role
        under the patient's protocol, and the ratings the current round expects."""
        return _panel.panel_context(self, review_id, meeting_id)

    def cast_vote(self, review_id: int, member: str, rating: str, *, patient_id: str,
                  reason: str | None = None, comment: str | None = None,
                  meeting_id: str | None = None,
                  amendment_reason: str | None = None) -> ReviewRecord:
        """Record ``member``'s rating on the current version of the review.

        PermissionDenied unless the member is present at the review's meeting with a voting
        role (``mdt.votes``).  A second rating by the same member is a change: ValidationError
        without ``reason``; with it, the earlier rating is kept in the vote's ``changes`` (by
        whom, when, why) and the version's reason says so.  The round is the member's own
        (a change) or the one being rated.  ValidationError when the review is not of
        ``patient_id``; LockedError on a signed meeting unless ``amendment_reason`` is given."""
        return _panel.cast_vote(self, review_id, member, rating, patient_id=patient_id,
                                reason=reason, comment=comment, meeting_id=meeting_id,
                                amendment_reason=amendment_reason)

    def withdraw_vote(self, review_id: int, member: str, round_: int, reason: str, *,
                      patient_id: str, amendment_reason: str | None = None) -> ReviewRecord:
        """Withdraw a rating with its reason: the vote stays in the record, marked withdrawn
        and not counted (the minutes print it)."""
        return _panel.withdraw_vote(self, review_id, member, round_, reason,
                                    patient_id=patient_id, amendment_reason=amendment_reason)

    def record_decision(self, review_id: int, decision: Decision, *, patient_id: str,
                        expected_version: int, reason: str | None = None,
                        amendment_reason: str | None = None) -> ReviewRecord:
        """Record the panel's decision on the review ``review_id`` of ``patient_id`` (the
        patient named on the decision form; another patient's review is refused).  The rule
        (consensus, majority, chair) is the ratings' when every expected rating is in and they
        give this result, else none; the protocol and its version are the patient's unless
        given.  ConflictError when the review changed since ``expected_version``."""
        return _panel.record_decision(self, review_id, decision, patient_id=patient_id,
                                      expected_version=expected_version, reason=reason,
                                      amendment_reason=amendment_reason)

    def review_history(self, review_id: int) -> list[ReviewVersion]:
        """Every version, oldest first."""
        return _impl.review_history(self, review_id)

    # ---- import / export ------------------------------------------------------------

    def import_cases(self, cases: Sequence[Case]) -> ImportSummary:
        """Store cases in ONE transaction (all or nothing).

        A new patient is created with its reviews.  For a known patient, demographics
        and protocol are updated, reviews are matched by date (and order within a
        date): identical ones are left alone, different ones get a new version
        (reason "import"), new ones are added.  Locked reviews that differ raise
        LockedError and nothing is written.
        """
        return _impl.import_cases(self, cases)

    def export_case(self, patient_id: str) -> Case:
        """The case as stored (current versions); ``caseformat.dump_case`` writes it."""
        return _impl.get_case(self, patient_id)

    # ---- members -------------------------------------------------------------------

    def list_members(self, include_inactive: bool = False) -> list[Member]:
        return _impl.list_members(self, include_inactive)

    def get_member(self, member_id: int) -> Member:
        return _impl.get_member(self, member_id)

    def add_member(self, member: Member) -> Member:
        """Chair/coordinator only (anyone when the registry is empty).  Names are unique."""
        return _impl.add_member(self, member)

    def update_member(self, member: Member) -> Member:
        """Chair/coordinator only; ``member.id`` is required."""
        return _impl.update_member(self, member)

    # ---- meetings --------------------------------------------------------------------

    def list_meetings(self) -> list[MeetingRow]:
        """Newest first."""
        return _impl.list_meetings(self)

    def get_meeting(self, meeting_id: str) -> Meeting:
        """With attendees, agenda (by position), signature and amendments."""
        return _impl.get_meeting(self, meeting_id)

    def create_meeting(self, meeting: Meeting) -> Meeting:
        """Chair/coordinator only.  Attendees are matched to the registry by id or name;
        the agenda's patients must exist."""
        return _impl.create_meeting(self, meeting)

    def update_meeting(self, meeting: Meeting) -> Meeting:
        """Change date/time/board/chair/minute taker/attendees (not the agenda).
        Chair/coordinator only; LockedError once signed."""
        return _impl.update_meeting(self, meeting)

    def set_agenda(self, meeting_id: str, items: Sequence[AgendaItem]) -> Meeting:
        """Replace the agenda (positions follow the given order).
        Chair/coordinator only; LockedError once signed."""
        return _impl.set_agenda(self, meeting_id, items)

    def sign_meeting(self, meeting_id: str) -> Signature:
        """Chair only.  Locks the meeting and the reviews on its agenda (the review of
        each item's date, else the patient's review dated on the meeting day); the
        signature records the audit chain head."""
        return _impl.sign_meeting(self, meeting_id)

    def amend_meeting(self, meeting_id: str, reason: str, summary: str,
                      patient_id: str | None = None) -> Meeting:
        """Record an amendment (reason + what changed) on a signed meeting, e.g. a
        corrected attendance; chair/coordinator only."""
        return _impl.amend_meeting(self, meeting_id, reason, summary, patient_id)

    # ---- audit ---------------------------------------------------------------------------

    def patient_history(self, patient_id: str) -> list[AuditRecord]:
        """Every audit event about this patient (and its reviews), oldest first."""
        return _impl.patient_history(self, patient_id)

    def audit_events(self, limit: int | None = None) -> list[AuditRecord]:
        """Newest first."""
        return _impl.audit_events(self, limit)

    def audit_head(self) -> str:
        """Hash of the newest audit event ("" for an empty trail)."""
        return _impl.audit_head(self)

    def verify_audit(self) -> AuditVerification:
        """Walk the SHA-256 chain; name the first broken link."""
        return _impl.verify_audit(self)


def seed_demo_if_empty(db: Database, actor: Actor | None = None,
                       meeting_date: date | None = None) -> bool:
    """On a database with no patients and no members, store mdt.demo's members,
    patients and meeting (dates placed around ``meeting_date``, default the demo's
    fixed date) in one transaction.  Returns True when it seeded."""
    return _impl.seed_demo_if_empty(db, actor or Actor("demo", "coordinator"), meeting_date)


# Imports at the end keep this module readable as the API's table of contents.
from mdt.store import panel_impl as _panel  # noqa: E402
from mdt.store import service_impl as _impl  # noqa: E402
from mdt.store.db import Database  # noqa: E402
