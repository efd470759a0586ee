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

import functools
from collections.abc import Sequence
from datetime import date
from typing import Any

from mdt import signing as _signing
from mdt.case import Case, Decision, FollowUp, Patient, ProtocolRef, Review, Treatment
from mdt.caseformat import CaseImport
from mdt.meeting import AgendaItem, Meeting, Member, Signature
from mdt.service_types import (
    Actor,
    AuditRecord,
    AuditVerification,
    ImportSummary,
    MeetingRow,
    PatientRow,
    ReviewRecord,
    ReviewVersion,
    SignInState,
)
from mdt.settings import Settings
from mdt.store import auth_impl as _auth
from mdt.store import followup_store as _followup_store
from mdt.store import panel_impl as _panel_impl
from mdt.store import service_impl as _service_impl
from mdt.store.db import Database, activity, run_with_retry
from mdt.votes import PanelContext

__all__ = [
    "Actor", "AuditRecord", "AuditVerification", "ImportSummary", "MdtService", "MeetingRow",
    "PatientRow", "ReviewRecord", "ReviewVersion", "SignInState", "get_settings",
    "seed_demo_if_empty", "set_first_password", "sign_in", "sign_in_os", "signin_state",
    "signin_states",
]
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

    def set_follow_up(self, patient_id: str, follow_up: FollowUp | None,
                      reason: str | None = None) -> Case:
        """Replace the follow-up record (local treatments, progressions, last follow-up,
        death).  Validated with the whole case, as an import would be; the end of the course
        (``treatment.outcome``, the list's status) follows from the events.  Returns the case."""
        return _fu.set_follow_up(self, patient_id, follow_up, reason)

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

    def import_cases(self, cases: Sequence[Case | CaseImport]) -> ImportSummary:
        """Store cases in ONE transaction (all or nothing).

        A new patient is created with its reviews.  For a known patient, demographics
        and protocol are updated, reviews are matched by date (and order within a
        date): identical ones are left alone, different ones get a new version
        (reason "import"), new ones are added.

        A :class:`~mdt.caseformat.CaseImport` (``caseformat.read_imports``: what the
        window and the command line import) is *merged*: a field the file leaves out
        keeps its stored value, an explicit null clears it, and ``cleared`` lists
        every value cleared.  Changing a signed review, or the name, sex or birth date
        of a patient in signed minutes, raises LockedFieldsError naming each path, and
        nothing is written.
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

    def sign_meeting(self, meeting_id: str, password: str) -> Signature:
        """Chair only, signed in, and the chair's password again (21 CFR 11.200: both
        components at signing).  Renders the minutes, signs the PDF (PAdES) and the
        record with the chair's own key, locks the meeting and the reviews on its agenda
        (the review of each item's date, else the patient's review dated on the meeting
        day).  AuthenticationError for a wrong password; ConflictError (nothing signed)
        when someone saved a change to the meeting or its patients meanwhile."""
        return _signing.sign_meeting(self, meeting_id, password)

    def signed_minutes(self, meeting_id: str) -> bytes | None:
        """The minutes PDF exactly as the chair signed it (None if unsigned or signed
        before signatures carried keys)."""
        return _impl.signed_minutes(self, meeting_id)

    def amend_meeting(self, meeting_id: str, reason: str, summary: str,
                      patient_id: str | None = None) -> Meeting:
        """Record an amendment (reason + what changed) on a signed meeting, e.g. a
        corrected attendance; chair/coordinator only."""
        return _impl.amend_meeting(self, meeting_id, reason, summary, patient_id)

    # ---- sign-in, passwords, keys, settings ------------------------------------------------

    def change_password(self, old_password: str, new_password: str) -> None:
        """The signed-in member's own password (their signing key is re-encrypted)."""
        _auth.change_password(self, old_password, new_password)

    def member_states(self) -> list[SignInState]:
        """Chair/coordinator: every member with how they sign in (password set, OS login,
        certificate) and whether wrong passwords locked them out."""
        return _auth.member_states(self)

    def reset_password(self, member_id: int) -> None:
        """Chair/coordinator: a forgotten password is cleared; the member sets a new one
        (and gets a new key) at next sign-in."""
        _auth.reset_password(self, member_id)

    def bind_os_account(self, member_id: int, login: str | None) -> None:
        """Chair/coordinator: bind (or unbind, with None) an operating-system login."""
        _auth.bind_os_account(self, member_id, login)

    def import_certificate(self, pkcs12: bytes, pkcs12_password: str | None,
                           password: str) -> str:
        """The signed-in member replaces their key with a hospital-issued PKCS#12."""
        return _auth.import_certificate(self, pkcs12, pkcs12_password, password)

    def settings(self) -> Settings:
        return _auth.get_settings(self.db)

    def setting_values(self) -> dict[str, str]:
        return _auth.setting_values(self.db)

    def set_setting(self, key: str, value: str) -> str:
        """Chair/coordinator; ValidationError names the setting and the rule."""
        return _auth.set_setting(self, key, value)

    # ---- audit ---------------------------------------------------------------------------

    def patient_history(self, patient_id: str) -> list[AuditRecord]:
        """Every audit event about this patient (and its reviews), oldest first."""
        return _impl.patient_history(self, patient_id)

    def audit_events(self, limit: int | None = None,
                     include_seals: bool = False) -> list[AuditRecord]:
        """Newest first.  ``data.seal`` events (the content hashes of the rows each
        transaction wrote, ``mdt.store.seal``) only with ``include_seals``."""
        return _impl.audit_events(self, limit, include_seals)

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


def sign_in(db: Database, name: str, password: str) -> Actor:
    """The member, authenticated by password; AuthenticationError otherwise."""
    return _auth.sign_in(db, name, password)


def set_first_password(db: Database, name: str, password: str) -> Actor:
    """First sign-in of a member who has no password yet: sets it, makes their key pair."""
    return _auth.set_first_password(db, name, password)


def sign_in_os(db: Database, login: str | None = None) -> Actor | None:
    """In ``os_account`` mode, the member bound to this operating-system login."""
    return _auth.sign_in_os(db, login)


def signin_states(db: Database) -> list[SignInState]:
    """Active members with whether each has a password yet (for the sign-in dialog)."""
    return _auth.signin_states(db)


def signin_state(db: Database, name: str) -> SignInState:
    return _auth.signin_state(db, name)


def get_settings(db: Database) -> Settings:
    return _auth.get_settings(db)


_ACTIONS = {
    "import_cases": "importing case files", "save_review": "saving a review",
    "add_review": "adding a review", "create_patient": "creating a patient",
    "update_patient": "editing a patient", "archive_patient": "archiving a patient",
    "set_treatment": "recording treatment", "sign_meeting": "signing minutes",
    "amend_meeting": "amending minutes", "set_agenda": "editing an agenda",
    "create_meeting": "creating a meeting", "update_meeting": "editing a meeting",
    "add_member": "adding a member", "update_member": "editing a member",
    "seed_demo_if_empty": "adding the demo data",
    "cast_vote": "recording a rating", "withdraw_vote": "withdrawing a rating",
    "record_decision": "recording a decision", "set_follow_up": "recording follow-up",
}


class _Calls:
    """Each call of the implementation as one unit of work: named (for the message another
    workstation sees while it waits: who, doing what) and run again, a bounded number of
    times, when the database server broke its transaction off (``run_with_retry``)."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self._wrapped: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self._module, name)
        if not callable(fn) or name in self._wrapped:
            return self._wrapped.get(name, fn)
        action = _ACTIONS.get(name, name.replace("_", " "))

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            first = args[0] if args else None
            who = first.actor.name if isinstance(first, MdtService) else (
                args[1].name if len(args) > 1 and isinstance(args[1], Actor) else None)
            with activity(who, action):
                return run_with_retry(lambda: fn(*args, **kwargs))

        self._wrapped[name] = call
        return call


_impl: Any = _Calls(_service_impl)
_panel: Any = _Calls(_panel_impl)
_fu: Any = _Calls(_followup_store)
