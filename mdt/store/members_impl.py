"""The members registry: list, add and edit members (chair or coordinator; anyone while the
registry is empty).  Sign-in and credentials are in ``auth_impl``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mdt.errors import FieldProblem, NotFound, ValidationError
from mdt.meeting import ROLES, SPECIALTIES, Member
from mdt.service_types import Actor
from mdt.store import audit
from mdt.store.common import (
    EDITORS,
    Caller,
    integrity_error,
    require_role,
    text_problems,
    to_member,
)
from mdt.store.models import MemberModel

# --------------------------------------------------------------------------- members


def list_members(svc: Caller, include_inactive: bool) -> list[Member]:
    q = select(MemberModel).order_by(MemberModel.name)
    if not include_inactive:
        q = q.where(MemberModel.active.is_(True))
    with svc.db.read() as s:
        return [to_member(m) for m in s.scalars(q)]


def get_member(svc: Caller, member_id: int) -> Member:
    with svc.db.read() as s:
        m = s.get(MemberModel, member_id)
        if m is None:
            raise NotFound(f"no member with id {member_id}")
        return to_member(m)


def _validate_member(member: Member) -> None:
    problems = []
    if not member.name or not member.name.strip():
        problems.append(FieldProblem("name", "required"))
    problems += text_problems("name", member.name, 200)
    if member.specialty not in SPECIALTIES:
        problems.append(FieldProblem("specialty", f"must be one of {', '.join(SPECIALTIES)}"))
    if member.role not in ROLES:
        problems.append(FieldProblem("role", f"must be one of {', '.join(ROLES)}"))
    if problems:
        raise ValidationError(problems)


def _member_dict(m: MemberModel) -> dict[str, Any]:
    return {"id": m.id, "name": m.name, "specialty": m.specialty, "role": m.role,
            "active": m.active}


def insert_member(s: Session, actor: Actor, member: Member, check: bool = True) -> MemberModel:
    _validate_member(member)
    if check and s.scalars(select(MemberModel.id).limit(1)).first() is not None:
        require_role(s, actor, EDITORS, "edit the members registry")
    if s.scalars(select(MemberModel.id).where(MemberModel.name == member.name.strip())).first():
        raise ValidationError(FieldProblem("name", f"{member.name!r} is already registered"))
    m = MemberModel(name=member.name.strip(), specialty=member.specialty, role=member.role,
                    active=member.active)
    s.add(m)
    s.flush()
    audit.record(s, actor=actor.name, action="member.add", entity="member", entity_id=m.id,
                 before=None, after=_member_dict(m))
    return m


def add_member(svc: Caller, member: Member) -> Member:
    try:
        with svc.db.write() as s:
            return to_member(insert_member(s, svc.actor, member))
    except IntegrityError as exc:
        raise integrity_error(exc) from exc


def update_member(svc: Caller, member: Member) -> Member:
    if member.id is None:
        raise ValidationError(FieldProblem("id", "required to update a member"))
    _validate_member(member)
    with svc.db.write() as s:
        require_role(s, svc.actor, EDITORS, "edit the members registry")
        m = s.get(MemberModel, member.id)
        if m is None:
            raise NotFound(f"no member with id {member.id}")
        before = _member_dict(m)
        m.name, m.specialty, m.role, m.active = (member.name.strip(), member.specialty,
                                                 member.role, member.active)
        if _member_dict(m) != before:
            audit.record(s, actor=svc.actor.name, action="member.update", entity="member",
                         entity_id=m.id, before=before, after=_member_dict(m))
        s.flush()
        return to_member(m)
