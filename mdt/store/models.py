"""SQLAlchemy 2 typed models of the application database.

The schema itself is created and evolved only by the Alembic migrations in
``mdt/store/migrations`` (never ``create_all`` in production paths); these
models must match them, and ``tests/test_store_migrations.py`` checks that
with ``alembic check``.

Review content is stored as the canonical ``mdt-case/1`` review JSON written
by ``mdt.caseformat`` (lossless by construction); a few typed columns beside it
(date, cycle, decision) serve queries.  Other helpers add tables to the same
``Base`` (e.g. the DICOM index of migration ``0002_dicom_index``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints so Alembic (and SQLite batch mode) can address them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


UtcDateTime = DateTime(timezone=True)


class AppMeta(Base):
    """Key/value facts about the database (schema version of the app that wrote it)."""
    __tablename__ = "app_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PatientModel(Base):
    __tablename__ = "patient"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mrn: Mapped[str] = mapped_column(String(64), unique=True)
    """The hospital identifier (``patient.id`` of the case format)."""
    name: Mapped[str | None] = mapped_column(String(200))
    name_search: Mapped[str] = mapped_column(String(200), default="", index=True)
    """Lower-cased name without the DICOM ``^``, for case-insensitive search."""
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    protocol_id: Mapped[str | None] = mapped_column(String(64), index=True)
    arm: Mapped[str | None] = mapped_column(String(32))
    enrolment_date: Mapped[date | None] = mapped_column(Date)
    """``protocol.enrolment_date`` of the case format (enrolment or randomisation)."""
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    archive_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Summary of the latest review, maintained on every review save so that the
    # patient list is one indexed query (5,000 patients) without reading reviews.
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    last_review_date: Mapped[date | None] = mapped_column(Date)
    last_cycle: Mapped[int | None] = mapped_column(Integer)
    resectability: Mapped[str | None] = mapped_column(String(32), index=True)
    plan: Mapped[str | None] = mapped_column(String(32))
    next_review: Mapped[date | None] = mapped_column(Date, index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    # No version column here: the summary changes with every review save, and two
    # workstations saving different reviews of one patient must not conflict.
    # Writers lock the patient row (SELECT ... FOR UPDATE) instead.


class TreatmentCourseModel(Base):
    """The patient's systemic treatment; ``content`` is the canonical case-format JSON."""
    __tablename__ = "treatment_course"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"),
                                            unique=True)
    regimen: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_date: Mapped[date | None] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text)


class TreatmentCycleModel(Base):
    """Typed projection of the cycles given (for queries; the course JSON is authoritative)."""
    __tablename__ = "treatment_cycle"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("treatment_course.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    given_on: Mapped[date] = mapped_column(Date)
    dose_reduction_pct: Mapped[float | None] = mapped_column(Float)
    toxicity_grade: Mapped[int | None] = mapped_column(Integer)


class ReviewModel(Base):
    """A review's stable identity; its content lives in versions."""
    __tablename__ = "review"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    review_date: Mapped[date] = mapped_column(Date)
    """Date of the current version (reviews are listed in date order)."""
    current_version: Mapped[int] = mapped_column(Integer)
    locked_by_meeting: Mapped[str | None] = mapped_column(ForeignKey("meeting.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    row_version: Mapped[int] = mapped_column(Integer)
    """Optimistic lock: the ORM adds ``AND row_version = :old`` to every UPDATE."""

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (Index("ix_review_patient_date", "patient_id", "review_date"),)


class ReviewVersionModel(Base):
    """One immutable version of a review."""
    __tablename__ = "review_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id"))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    """Canonical mdt-case/1 review JSON (``caseformat.review_to_dict``)."""
    review_date: Mapped[date] = mapped_column(Date)
    cycle: Mapped[int | None] = mapped_column(Integer)
    resectability: Mapped[str | None] = mapped_column(String(32))
    plan: Mapped[str | None] = mapped_column(String(32))
    next_review: Mapped[date | None] = mapped_column(Date)
    target_sum_mm: Mapped[float | None] = mapped_column(Float)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    saved_by: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    amendment: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("review_id", "version",
                                       name="uq_review_version_review_id_version"),)


class MemberModel(Base):
    __tablename__ = "member"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    specialty: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    row_version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": row_version}


class MeetingModel(Base):
    __tablename__ = "meeting"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    meeting_date: Mapped[date] = mapped_column(Date, index=True)
    start_time: Mapped[str | None] = mapped_column(String(5))
    institution: Mapped[str | None] = mapped_column(String(200))
    board: Mapped[str | None] = mapped_column(String(200))
    chair: Mapped[str | None] = mapped_column(String(200))
    minute_taker: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    row_version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": row_version}


class MeetingAttendeeModel(Base):
    __tablename__ = "meeting_attendee"
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"),
                                            primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)


class AgendaItemModel(Base):
    __tablename__ = "agenda_item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"),
                                            index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("review.id"))
    review_date: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(64))
    discussion_level: Mapped[str] = mapped_column(String(16), default="full")
    position: Mapped[int] = mapped_column(Integer)


class SignatureModel(Base):
    """The chair's signature of a meeting (migration 0004 added the key-signed fields).

    ``audit_head`` is the hash of the ``meeting.sign`` audit event (``audit_event_id``),
    i.e. the chain head *after* the sign event; ``payload`` (canonical JSON naming the
    meeting, signer, time, that event and the signed PDF's SHA-256) is signed with the
    signer's private key (``signed_value``, base64) and checks with ``certificate_pem``.
    Signatures made before 0004 have only the first four fields.
    """
    __tablename__ = "signature"
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id"), primary_key=True)
    signer: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    audit_head: Mapped[str] = mapped_column(String(64))
    audit_event_id: Mapped[int | None] = mapped_column(Integer)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    certificate_pem: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)
    signed_value: Mapped[str | None] = mapped_column(Text)
    minutes_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The minutes as signed (PAdES), byte for byte."""
    minutes_sha256: Mapped[str | None] = mapped_column(String(64))


class MemberCredentialModel(Base):
    """How a member signs in and signs: never the password itself (migration 0004).

    ``password_hash`` is an Argon2id PHC string (``mdt.auth``); ``encrypted_key`` the
    member's private signing key under their password (``mdt.keys``); ``certificate_pem``
    its public certificate.  ``os_account`` binds the member to an operating-system login
    for hospitals that sign in that way (setting ``signin.mode``).
    """
    __tablename__ = "member_credential"
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(Text)
    password_set_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    encrypted_key: Mapped[str | None] = mapped_column(Text)
    certificate_pem: Mapped[str | None] = mapped_column(Text)
    key_source: Mapped[str | None] = mapped_column(String(16))
    os_account: Mapped[str | None] = mapped_column(String(200), unique=True)
    row_version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": row_version}


class SettingModel(Base):
    """Hospital-wide settings shared by every workstation (``mdt.settings``)."""
    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AmendmentModel(Base):
    __tablename__ = "amendment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("review.id"))
    review_version: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    author: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)


class AuditEventModel(Base):
    """Append-only (database triggers refuse UPDATE and DELETE), SHA-256 chained.

    ``id`` is assigned by the writer as previous id + 1 under a lock, so the chain
    order is the id order and a deleted row shows as a gap.  ``occurred_at``,
    ``before`` and ``after`` are stored as the exact text that was hashed.
    """
    __tablename__ = "audit_event"
    # A member's sign-in attempts are read at every sign-in (migration 0010).
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(200))
    patient_mrn: Mapped[str | None] = mapped_column(String(64), index=True)
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class FollowUpModel(Base):
    """A patient's follow-up (migration ``0005_follow_up``); ``content`` is the canonical
    case-format ``follow_up`` JSON, the columns and the event tables its typed projection."""
    __tablename__ = "follow_up"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"),
                                            unique=True)
    last_follow_up: Mapped[date | None] = mapped_column(Date)
    death_date: Mapped[date | None] = mapped_column(Date)
    end: Mapped[str | None] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text)


class LocalTreatmentEventModel(Base):
    __tablename__ = "local_treatment_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_up.id", ondelete="CASCADE"),
                                              index=True)
    event_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    margin: Mapped[str | None] = mapped_column(String(2))
    clavien_dindo_30d: Mapped[str | None] = mapped_column(String(4))
    clavien_dindo_90d: Mapped[str | None] = mapped_column(String(4))


class ProgressionEventModel(Base):
    __tablename__ = "progression_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_up.id", ondelete="CASCADE"),
                                              index=True)
    event_date: Mapped[date] = mapped_column(Date)
    site: Mapped[str] = mapped_column(String(32))
