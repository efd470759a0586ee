"""Sign-in, passwords, signing keys and hospital settings in the database.

The service API is in ``mdt.services`` (``sign_in``, ``set_first_password``,
``MdtService.change_password`` ...); this module does the work.  Passwords are checked
with ``mdt.auth`` (Argon2id), keys made and unlocked with ``mdt.keys``.  Every change
writes its audit event (never the password, nor its hash) in the same transaction.
"""

from __future__ import annotations

import dataclasses
import getpass
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from mdt import auth, keys, settings
from mdt.errors import AuthenticationError, FieldProblem, NotFound, ValidationError
from mdt.service_types import Actor, SignInState
from mdt.store import audit
from mdt.store.common import EDITORS, Caller, hospital_settings, now, require_role
from mdt.store.db import DatabaseError
from mdt.store.models import AuditEventModel, MemberCredentialModel, MemberModel, SettingModel

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from mdt.store.db import Database


def _member_by_name(s: Session, name: str) -> MemberModel:
    m = s.scalars(select(MemberModel).where(MemberModel.name == name.strip())).first()
    if m is None:
        # Case-insensitive fallback: people type their name as they say it.
        wanted = name.strip().casefold()
        m = next((x for x in s.scalars(select(MemberModel)) if x.name.casefold() == wanted), None)
    if m is None:
        raise AuthenticationError(f"{name!r} is not in the members registry")
    return m


def _credential(s: Session, member_id: int) -> MemberCredentialModel | None:
    return s.get(MemberCredentialModel, member_id)


def _state(m: MemberModel, c: MemberCredentialModel | None) -> SignInState:
    return SignInState(
        name=m.name, member_id=m.id, role=m.role, active=m.active,
        has_password=bool(c and c.password_hash), os_account=c.os_account if c else None,
        certificate_sha256=keys.fingerprint(c.certificate_pem) if c and c.certificate_pem else None,
        key_source=c.key_source if c else None)


def _actor(m: MemberModel, via: str) -> Actor:
    return Actor(name=m.name, role=m.role, member_id=m.id, authenticated=True, via=via)


# --------------------------------------------------------------------------- sign-in


def signin_state(db: Database, name: str) -> SignInState:
    with db.read() as s:
        m = _member_by_name(s, name)
        return _state(m, _credential(s, m.id))


def member_states(svc: Caller) -> list[SignInState]:
    """Every member of the registry, active or not, with how they sign in and whether they
    are locked out: what a chair or coordinator looks after (no secret in it)."""
    with svc.db.read() as s:
        require_role(s, svc.actor, EDITORS, "look after members")
        members = s.scalars(select(MemberModel).order_by(MemberModel.name)).all()
        creds = {c.member_id: c for c in s.scalars(select(MemberCredentialModel))}
        out = []
        for m in members:
            st = _state(m, creds.get(m.id))
            until, _run = _locked_out_until(s, m.id)
            out.append(dataclasses.replace(st, locked_out_until=until))
        return out


def signin_states(db: Database) -> list[SignInState]:
    with db.read() as s:
        members = s.scalars(select(MemberModel).where(MemberModel.active.is_(True))
                            .order_by(MemberModel.name)).all()
        creds = {c.member_id: c for c in s.scalars(select(MemberCredentialModel))}
        return [dataclasses.replace(_state(m, creds.get(m.id)),
                                    locked_out_until=_locked_out_until(s, m.id)[0])
                for m in members]


# --------------------------------------------------------------------------- wrong passwords
# Each wrong password is an audit event (never the password typed); a right one after wrong
# ones, a new password or a reset closes the run.  ``signin.max_failures`` wrong passwords in a
# row lock the member out for ``signin.lockout_minutes`` after the last one (mdt.settings).

FAILED = "member.signin_failed"
_CLOSES_RUN = ("member.signin_ok", "member.password", "member.password_reset")
_RUN_CAP = 101
"""More wrong passwords in a row than ``signin.max_failures`` can ask for (at most 100)."""


def _failure_run(s: Session, member_id: int, cap: int) -> tuple[int, datetime | None]:
    """Wrong passwords in a row for this member (counted up to ``cap``), and when the last
    one was typed."""
    rows = s.execute(
        select(AuditEventModel.action, AuditEventModel.occurred_at)
        .where(AuditEventModel.entity == "member",
               AuditEventModel.entity_id == str(member_id),
               AuditEventModel.action.in_((FAILED, *_CLOSES_RUN)))
        .order_by(AuditEventModel.id.desc()).limit(cap)).all()
    run = 0
    for action, _at in rows:
        if action != FAILED:
            break
        run += 1
    last = datetime.fromisoformat(rows[0][1]) if run else None
    return run, last


def _locked_out_until(s: Session, member_id: int) -> tuple[datetime | None, int]:
    """When a lock-out ends (None: not locked out), and the wrong passwords behind it."""
    cfg = hospital_settings(s)
    if cfg.max_failures <= 0:
        return None, 0
    run, last = _failure_run(s, member_id, cfg.max_failures)
    if run < cfg.max_failures or last is None:
        return None, run
    until = last + timedelta(minutes=cfg.lockout_minutes)
    return (until if until > now() else None), run


def _refuse_if_locked_out(s: Session, m: MemberModel) -> None:
    until, run = _locked_out_until(s, m.id)
    if until is None:
        return
    left = until - now()
    if left.total_seconds() > 0:
        minutes = max(1, -(-int(left.total_seconds()) // 60))
        raise AuthenticationError(
            f"{m.name} cannot sign in for {minutes} more minute{'s' if minutes != 1 else ''}: "
            f"{run} wrong passwords in a row. A chair or coordinator can reset the password "
            "(main.py members reset-password) to lift this at once")


def _note_attempt(db: Database, member_id: int, name: str, ok: bool, why: str) -> None:
    """Append the attempt to the audit trail: every wrong one, a right one only when it closes
    a run of wrong ones.  A database that cannot take it (read-only) does not change the
    answer the member gets."""
    try:
        if ok:
            with db.read() as s:  # the common case writes nothing, so waits for no writer
                if not _failure_run(s, member_id, 1)[0]:
                    return
        with db.write() as s:
            if ok:
                run, _last = _failure_run(s, member_id, _RUN_CAP)
                if not run:
                    return
                audit.record(s, actor=name, action="member.signin_ok", entity="member",
                             entity_id=member_id, before=None, after={"after_wrong": run})
            else:
                audit.record(s, actor=name, action=FAILED, entity="member",
                             entity_id=member_id, before=None, after={"during": why})
    except DatabaseError as exc:
        _log.warning("sign-in attempt of %s not recorded: %s", name, exc)


def _check_password(db: Database, m_id: int, name: str, stored: str, password: str,
                    why: str) -> None:
    if not auth.verify_password(stored, password):
        _note_attempt(db, m_id, name, False, why)
        raise AuthenticationError(f"the password of {name} is not right")
    _note_attempt(db, m_id, name, True, why)


def sign_in(db: Database, name: str, password: str) -> Actor:
    """The member, authenticated; AuthenticationError says why not (never which hash)."""
    with db.read() as s:
        m = _member_by_name(s, name)
        c = _credential(s, m.id)
        if not m.active:
            raise AuthenticationError(f"{m.name} is no longer an active member")
        if c is None or not c.password_hash:
            raise AuthenticationError(f"{m.name} has no password yet: set one at first sign-in")
        _refuse_if_locked_out(s, m)
        stored, member = c.password_hash, m
        actor = _actor(member, "password")
    _check_password(db, member.id, actor.name, stored, password, "sign-in")
    return actor


def set_first_password(db: Database, name: str, password: str,
                       institution: str | None = None) -> Actor:
    """First sign-in: the member chooses a password; a key pair is made under it."""
    auth.check_new_password(password, name)
    with db.write() as s:
        m = _member_by_name(s, name)
        if not m.active:
            raise AuthenticationError(f"{m.name} is no longer an active member")
        c = _credential(s, m.id)
        if c is not None and c.password_hash:
            raise AuthenticationError(f"{m.name} already has a password: sign in with it")
        member_key = keys.new_member_key(m.name, password, institution)
        if c is None:
            c = MemberCredentialModel(member_id=m.id)
            s.add(c)
        c.password_hash = auth.hash_password(password)
        c.password_set_at = now()
        c.encrypted_key, c.certificate_pem = member_key.encrypted_key, member_key.certificate_pem
        c.key_source = member_key.source
        audit.record(s, actor=m.name, action="member.password", entity="member", entity_id=m.id,
                     before=None, after={"first_sign_in": True,
                                         "certificate_sha256": keys.fingerprint(c.certificate_pem),
                                         "key_source": c.key_source})
        return _actor(m, "password")


def os_login() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return None


def sign_in_os(db: Database, login: str | None = None) -> Actor | None:
    """In ``os_account`` mode, the member bound to this operating-system login (else None)."""
    login = login if login is not None else os_login()
    if not login:
        return None
    with db.read() as s:
        if hospital_settings(s).signin_mode != "os_account":
            return None
        c = s.scalars(select(MemberCredentialModel)
                      .where(MemberCredentialModel.os_account == login)).first()
        if c is None:
            return None
        m = s.get(MemberModel, c.member_id)
        if m is None or not m.active:
            return None
        return _actor(m, "os_account")


def _require_self(s: Session, actor: Actor) -> tuple[MemberModel, MemberCredentialModel]:
    if not actor.authenticated or actor.member_id is None:
        raise AuthenticationError("sign in first")
    m = s.get(MemberModel, actor.member_id)
    if m is None or m.name != actor.name:
        raise AuthenticationError(f"{actor.name!r} is not in the members registry")
    c = _credential(s, m.id)
    if c is None or not c.password_hash:
        raise AuthenticationError(f"{m.name} has no password yet")
    return m, c


def change_password(svc: Caller, old: str, new: str) -> None:
    auth.check_new_password(new, svc.actor.name)
    with svc.db.write() as s:
        m, c = _require_self(s, svc.actor)
        if not auth.verify_password(c.password_hash, old):
            raise AuthenticationError("the current password is not right")
        if c.encrypted_key:
            c.encrypted_key = keys.rekey(c.encrypted_key, old, new)
        c.password_hash = auth.hash_password(new)
        c.password_set_at = now()
        audit.record(s, actor=m.name, action="member.password", entity="member", entity_id=m.id,
                     before=None, after={"changed": True})


def unlock_signing_key(svc: Caller, password: str) -> tuple[keys.PrivateKey, str]:
    """The signed-in member's private key and certificate (the second component at signing)."""
    with svc.db.read() as s:
        m, c = _require_self(s, svc.actor)
        if not m.active:
            raise AuthenticationError(f"{m.name} is no longer an active member")
        if not c.encrypted_key or not c.certificate_pem:
            raise AuthenticationError(f"{m.name} has no signing key: set a password again")
        _refuse_if_locked_out(s, m)
        blob, cert, member_id = c.encrypted_key, c.certificate_pem, m.id
    try:
        key = keys.unlock_key(blob, password)
    except keys.WrongPassword as exc:
        _note_attempt(svc.db, member_id, svc.actor.name, False, "signing")
        raise AuthenticationError(f"the password of {svc.actor.name} is not right") from exc
    _note_attempt(svc.db, member_id, svc.actor.name, True, "signing")
    return key, cert


def import_certificate(svc: Caller, pkcs12: bytes, pkcs12_password: str | None,
                       password: str) -> str:
    """Replace the signed-in member's key with a hospital-issued one; returns its fingerprint."""
    with svc.db.write() as s:
        m, c = _require_self(s, svc.actor)
        if not auth.verify_password(c.password_hash, password):
            raise AuthenticationError(f"the password of {m.name} is not right")
        member_key = keys.import_pkcs12(pkcs12, pkcs12_password, password)
        c.encrypted_key, c.certificate_pem = member_key.encrypted_key, member_key.certificate_pem
        c.key_source = member_key.source
        fp = keys.fingerprint(c.certificate_pem)
        audit.record(s, actor=m.name, action="member.certificate", entity="member",
                     entity_id=m.id, before=None,
                     after={"certificate_sha256": fp, "key_source": c.key_source,
                            "subject": keys.subject_name(c.certificate_pem)})
        return fp


def _require_editor(s: Session, actor: Actor, action: str) -> MemberModel:
    return require_role(s, actor, EDITORS, action)


def reset_password(svc: Caller, member_id: int) -> None:
    """A forgotten password: clear it (and the key it protected); the member sets a new one
    at next sign-in and gets a new key.  Earlier signatures keep verifying: each stores the
    certificate it was made with."""
    with svc.db.write() as s:
        _require_editor(s, svc.actor, "reset a member's password")
        m = s.get(MemberModel, member_id)
        if m is None:
            raise NotFound(f"no member with id {member_id}")
        c = _credential(s, m.id)
        if c is None or not c.password_hash:
            return
        c.password_hash = c.encrypted_key = c.certificate_pem = c.key_source = None
        c.password_set_at = None
        audit.record(s, actor=svc.actor.name, action="member.password_reset", entity="member",
                     entity_id=m.id, before=None, after={"member": m.name})


def bind_os_account(svc: Caller, member_id: int, login: str | None) -> None:
    login = (login or "").strip() or None
    with svc.db.write() as s:
        _require_editor(s, svc.actor, "bind a member to an operating-system account")
        m = s.get(MemberModel, member_id)
        if m is None:
            raise NotFound(f"no member with id {member_id}")
        if login:
            other = s.scalars(select(MemberCredentialModel)
                              .where(MemberCredentialModel.os_account == login)).first()
            if other is not None and other.member_id != m.id:
                raise ValidationError(FieldProblem("os_account", f"{login!r} is bound to another member"))
        c = _credential(s, m.id)
        if c is None:
            c = MemberCredentialModel(member_id=m.id)
            s.add(c)
        before = c.os_account
        c.os_account = login
        audit.record(s, actor=svc.actor.name, action="member.os_account", entity="member",
                     entity_id=m.id, before={"os_account": before}, after={"os_account": login})


# --------------------------------------------------------------------------- settings


def get_settings(db: Database) -> settings.Settings:
    with db.read() as s:
        return hospital_settings(s)


def setting_values(db: Database) -> dict[str, str]:
    with db.read() as s:
        return {**settings.DEFAULTS, **{r.key: r.value for r in s.scalars(select(SettingModel))}}


def set_setting(svc: Caller, key: str, value: str) -> str:
    value = settings.validate(key, value)
    with svc.db.write() as s:
        _require_editor(s, svc.actor, "change the hospital settings")
        row = s.get(SettingModel, key)
        before = row.value if row else settings.DEFAULTS[key]
        if row is None:
            s.add(SettingModel(key=key, value=value))
        else:
            row.value = value
        if before != value:
            audit.record(s, actor=svc.actor.name, action="setting.set", entity="setting",
                         entity_id=key, before={"value": before}, after={"value": value})
    return value
