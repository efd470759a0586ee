"""What every area of the service implementation shares: the caller, time and JSON helpers,
the column limits, row lookups, the role check and the hospital settings as stored.

Every area of the implementation imports these from here rather than from another area's
private helpers; nothing here imports an area.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mdt import settings
from mdt.errors import FieldProblem, NotFound, PermissionDenied, ValidationError
from mdt.meeting import Member
from mdt.service_types import Actor
from mdt.store.models import (
    MemberModel,
    PatientModel,
    ReviewModel,
    ReviewVersionModel,
    SettingModel,
)

if TYPE_CHECKING:
    from mdt.store.db import Database


class Caller(Protocol):
    """Who calls an implementation function: the database and the acting user.
    ``mdt.services.MdtService`` is one; the implementation never needs more of it."""

    @property
    def db(self) -> Database: ...

    @property
    def actor(self) -> Actor: ...


EDITORS = ("chair", "coordinator")
"""Roles that may edit meetings (agenda, attendance) and the members registry."""



# --------------------------------------------------------------------------- helpers


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def text_problems(path: str, value: str | None, max_len: int) -> list[FieldProblem]:
    """Limits of the typed columns, checked the same way on SQLite and PostgreSQL."""
    if value is None:
        return []
    if len(value) > max_len:
        return [FieldProblem(path, f"at most {max_len} characters (got {len(value)})")]
    if "\x00" in value:
        return [FieldProblem(path, "must not contain NUL characters")]
    return []


def require_text(value: str | None, path: str, what: str) -> str:
    if value is None or not value.strip():
        raise ValidationError(FieldProblem(path, f"{what} is required"))
    return value.strip()


def integrity_error(exc: IntegrityError) -> ValidationError:
    return ValidationError(f"the change conflicts with existing data "
                           f"(another workstation may have saved the same record): {exc.orig}")



# --------------------------------------------------------------------------- lookups


def find_patient(s: Session, mrn: str, *, lock: bool = False) -> PatientModel:
    p = find_patient_or_none(s, mrn, lock=lock)
    if p is None:
        raise NotFound(f"no patient with hospital id {mrn!r}")
    return p


def find_patient_or_none(s: Session, mrn: str, *, lock: bool = False) -> PatientModel | None:
    if "\x00" in mrn:  # PostgreSQL cannot even compare such a string
        return None
    q = select(PatientModel).where(PatientModel.mrn == mrn)
    if lock:
        q = q.with_for_update()
        # Named in the message if the transaction ends in a conflict (mdt.store.db).
        s.info.setdefault("mdt_patients", []).append(mrn)
    return s.scalars(q).first()


def find_review(s: Session, review_id: int) -> ReviewModel:
    r = s.get(ReviewModel, review_id)
    if r is None:
        raise NotFound(f"no review with id {review_id}")
    return r


def find_version(s: Session, review_id: int, version: int) -> ReviewVersionModel:
    v = s.scalars(select(ReviewVersionModel).where(
        ReviewVersionModel.review_id == review_id,
        ReviewVersionModel.version == version)).one()
    return v


def member_of(s: Session, actor: Actor) -> MemberModel | None:
    if actor.member_id is not None:
        m = s.get(MemberModel, actor.member_id)
        if m is not None and m.name == actor.name:
            return m
        return None
    return s.scalars(select(MemberModel).where(MemberModel.name == actor.name)).first()


def require_role(s: Session, actor: Actor, roles: Sequence[str], action: str) -> MemberModel:
    # A role is only as good as the sign-in behind it: a name typed on the command line
    # or an Actor built from a registry entry is not the member (mdt.store.auth_impl).
    if not actor.authenticated:
        raise PermissionDenied(f"{actor.name!r} has not signed in; only a signed-in "
                               f"{' or '.join(roles)} may {action}")
    m = member_of(s, actor)
    if m is None or not m.active:
        raise PermissionDenied(f"{actor.name!r} is not an active member of the panel registry; "
                               f"only a {' or '.join(roles)} may {action}")
    if m.role not in roles:
        raise PermissionDenied(f"{m.name} is a {m.role}; only a {' or '.join(roles)} may {action}")
    return m


def to_member(m: MemberModel) -> Member:
    return Member(name=m.name, specialty=m.specialty, role=m.role, id=m.id, active=m.active)



def hospital_settings(s: Session) -> settings.Settings:
    """The hospital settings as stored (defaults for those never set)."""
    return settings.Settings.from_values(
        {row.key: row.value for row in s.scalars(select(SettingModel))})
