"""Sign-in and role checks, as specifications.

Passwords: set by the member at first sign-in, stored only as an Argon2id hash, checked
on every sign-in.  Roles: every role-limited action is tried by every kind of actor,
and only the roles in the table succeed; a name alone (as ``--user`` once was) never
acts as anyone.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from mdt.errors import AuthenticationError, PermissionDenied, ValidationError
from mdt.meeting import AgendaItem, Meeting, Member
from mdt.services import (
    Actor,
    MdtService,
    set_first_password,
    sign_in,
    sign_in_os,
    signin_state,
)
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.signin_fixtures import TEST_PASSWORD, as_member, signed_in
from tests.store_fixtures import CHAIR, MEMBER, Workstation, make_case, open_workstation, ws  # noqa: F401

DAY = date(2026, 3, 12)


# --------------------------------------------------------------------------- passwords


def test_first_sign_in_sets_the_password_and_makes_a_signing_key(ws: Workstation) -> None:  # noqa: F811
    ws.coordinator.add_member(Member("New Radiologist", "diagnostic_radiologist"))
    state = signin_state(ws.db, "new radiologist")
    assert not state.has_password and state.certificate_sha256 is None
    with pytest.raises(AuthenticationError, match="no password yet"):
        sign_in(ws.db, "New Radiologist", "anything-at-all")
    with pytest.raises(ValidationError, match="at least 10"):
        set_first_password(ws.db, "New Radiologist", "short")
    actor = set_first_password(ws.db, "New Radiologist", "a good long password")
    assert actor.authenticated and actor.name == "New Radiologist" and actor.via == "password"
    state = signin_state(ws.db, "New Radiologist")
    assert state.has_password and state.key_source == "self" and len(state.certificate_sha256) == 64
    # The first-sign-in door closes once used: nobody else can set it again.
    with pytest.raises(AuthenticationError, match="already has a password"):
        set_first_password(ws.db, "New Radiologist", "an attacker's password")


@pytest.mark.parametrize(("name", "password", "accepted"), [
    (CHAIR.name, TEST_PASSWORD, True),
    (CHAIR.name.upper(), TEST_PASSWORD, True),          # names as people type them
    (CHAIR.name, TEST_PASSWORD + "x", False),
    (CHAIR.name, TEST_PASSWORD.upper(), False),
    (CHAIR.name, "", False),
    (MEMBER.name, TEST_PASSWORD, True),
    ("Someone Else", TEST_PASSWORD, False),            # not in the registry
])
def test_sign_in_with_wrong_and_right_passwords(ws: Workstation, name: str, password: str,  # noqa: F811
                                                accepted: bool) -> None:
    if accepted:
        actor = sign_in(ws.db, name, password)
        assert actor.authenticated and actor.name.casefold() == name.casefold()
    else:
        with pytest.raises(AuthenticationError):
            sign_in(ws.db, name, password)


def test_only_an_argon2id_hash_is_stored_and_no_audit_event_holds_a_secret(ws: Workstation) -> None:  # noqa: F811
    from sqlalchemy import select

    from mdt.store.models import MemberCredentialModel

    with ws.db.read() as s:
        creds = list(s.scalars(select(MemberCredentialModel)))
    assert len(creds) == 3
    for c in creds:
        assert c.password_hash.startswith("$argon2id$") and TEST_PASSWORD not in c.password_hash
        assert TEST_PASSWORD not in c.encrypted_key and "PRIVATE KEY" not in c.encrypted_key
    for event in ws.chair.audit_events(include_seals=True):
        text = json.dumps([event.before, event.after])
        assert TEST_PASSWORD not in text and "$argon2" not in text


def test_inactive_members_cannot_sign_in(ws: Workstation) -> None:  # noqa: F811
    member = next(m for m in ws.chair.list_members() if m.name == MEMBER.name)
    ws.coordinator.update_member(dataclasses.replace(member, active=False))
    with pytest.raises(AuthenticationError, match="no longer an active member"):
        sign_in(ws.db, MEMBER.name, TEST_PASSWORD)


def test_changing_the_password_keeps_the_key_and_retires_the_old_password(ws: Workstation) -> None:  # noqa: F811
    before = signin_state(ws.db, MEMBER.name).certificate_sha256
    with pytest.raises(AuthenticationError):
        ws.member.change_password("not the password", "a brand new password")
    ws.member.change_password(TEST_PASSWORD, "a brand new password")
    with pytest.raises(AuthenticationError):
        sign_in(ws.db, MEMBER.name, TEST_PASSWORD)
    assert sign_in(ws.db, MEMBER.name, "a brand new password").authenticated
    assert signin_state(ws.db, MEMBER.name).certificate_sha256 == before


def test_a_reset_password_is_chosen_again_at_next_sign_in(ws: Workstation) -> None:  # noqa: F811
    with pytest.raises(PermissionDenied):
        ws.member.reset_password(ws.ids[CHAIR.name])
    ws.coordinator.reset_password(ws.ids[MEMBER.name])
    assert not signin_state(ws.db, MEMBER.name).has_password
    assert set_first_password(ws.db, MEMBER.name, "my new password 2").authenticated


def _wrong(ws: Workstation, n: int, name: str = MEMBER.name) -> None:  # noqa: F811
    for _ in range(n):
        with pytest.raises(AuthenticationError, match="not right"):
            sign_in(ws.db, name, "a wrong password")


def _minutes_later(monkeypatch: pytest.MonkeyPatch, minutes: float) -> None:
    from datetime import UTC, datetime, timedelta

    import mdt.store.auth_impl as impl

    monkeypatch.setattr(impl, "now", lambda: datetime.now(UTC) + timedelta(minutes=minutes))


def test_five_wrong_passwords_in_a_row_lock_the_member_out_even_with_the_right_one(
        ws: Workstation, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    _wrong(ws, 4)
    assert sign_in(ws.db, MEMBER.name, TEST_PASSWORD).authenticated   # the right one closes the run
    _wrong(ws, 5)
    with pytest.raises(AuthenticationError, match=r"cannot sign in for 15 more minutes: "
                                                  r"5 wrong passwords in a row.*reset"):
        sign_in(ws.db, MEMBER.name, TEST_PASSWORD)
    assert sign_in(ws.db, CHAIR.name, TEST_PASSWORD).authenticated    # nobody else is locked out
    _minutes_later(monkeypatch, 10)
    with pytest.raises(AuthenticationError, match="for 5 more minutes"):
        sign_in(ws.db, MEMBER.name, TEST_PASSWORD)
    _minutes_later(monkeypatch, 16)
    assert sign_in(ws.db, MEMBER.name, TEST_PASSWORD).authenticated
    events = sorted((e for e in ws.chair.audit_events() if e.entity == "member"
                     and e.entity_id == str(ws.ids[MEMBER.name])), key=lambda e: e.id)
    assert [e.action for e in events][-11:] == (
        ["member.signin_failed"] * 4 + ["member.signin_ok"]
        + ["member.signin_failed"] * 5 + ["member.signin_ok"])
    assert ws.chair.verify_audit().ok


def test_a_reset_lifts_a_lockout_and_the_setting_can_turn_it_off(ws: Workstation) -> None:  # noqa: F811
    _wrong(ws, 5)
    with pytest.raises(AuthenticationError, match="cannot sign in"):
        sign_in(ws.db, MEMBER.name, TEST_PASSWORD)
    ws.coordinator.reset_password(ws.ids[MEMBER.name])
    assert set_first_password(ws.db, MEMBER.name, "my new password 2").authenticated
    ws.coordinator.set_setting("signin.max_failures", "0")
    _wrong(ws, 8)
    assert sign_in(ws.db, MEMBER.name, "my new password 2").authenticated


def test_wrong_passwords_at_signing_count_too(ws: Workstation) -> None:  # noqa: F811
    from mdt.store.auth_impl import unlock_signing_key

    ws.coordinator.set_setting("signin.max_failures", "2")
    for _ in range(2):
        with pytest.raises(AuthenticationError, match="not right"):
            unlock_signing_key(ws.chair, "a wrong password")
    with pytest.raises(AuthenticationError, match="cannot sign in"):
        unlock_signing_key(ws.chair, TEST_PASSWORD)
    with pytest.raises(AuthenticationError, match="cannot sign in"):
        sign_in(ws.db, CHAIR.name, TEST_PASSWORD)


def test_os_account_mode_signs_in_the_bound_login_only(ws: Workstation) -> None:  # noqa: F811
    ws.coordinator.bind_os_account(ws.ids[MEMBER.name], "jdoe")
    assert sign_in_os(ws.db, "jdoe") is None                     # the hospital has not chosen it
    ws.coordinator.set_setting("signin.mode", "os_account")
    actor = sign_in_os(ws.db, "jdoe")
    assert actor is not None and actor.name == MEMBER.name and actor.via == "os_account"
    assert sign_in_os(ws.db, "someone") is None
    with pytest.raises(ValidationError, match="bound to another member"):
        ws.coordinator.bind_os_account(ws.ids[CHAIR.name], "jdoe")


@pytest.mark.parametrize(("key", "value", "ok"), [
    ("signin.mode", "os_account", True), ("signin.mode", "fingerprint", False),
    ("signin.lock_minutes", "5", True), ("signin.lock_minutes", "-1", False),
    ("signin.lock_minutes", "ten", False), ("signin.lock_minutes", "²", False),
    ("signin.max_failures", "3", True), ("signin.max_failures", "0", True),
    ("signin.max_failures", "101", False), ("signin.lockout_minutes", "0", False),
    ("signin.lockout_minutes", "30", True), ("amend.roles", "chair, coordinator", True),
    ("amend.roles", "chair,janitor", False), ("no.such", "1", False),
])
def test_settings_are_validated_and_named(ws: Workstation, key: str, value: str, ok: bool) -> None:  # noqa: F811
    if ok:
        ws.coordinator.set_setting(key, value)
        assert ws.member.setting_values()[key] == value.replace(" ", "")
    else:
        with pytest.raises(ValidationError, match=key.replace(".", r"\.")):
            ws.coordinator.set_setting(key, value)


# --------------------------------------------------------------------------- every role-limited action


def _prepare(ws: Workstation) -> None:  # noqa: F811
    ws.chair.import_cases([make_case("P1"), make_case("P2")])
    ws.chair.create_meeting(Meeting(id="M-OPEN", date=DAY, attendees=(Member(CHAIR.name, ""),),
                                    agenda=(AgendaItem("P1", DAY),)))
    ws.chair.create_meeting(Meeting(id="M-SIGNED", date=DAY, agenda=(AgendaItem("P2", DAY),)))
    ws.chair.sign_meeting("M-SIGNED", TEST_PASSWORD)


_TEMPLATE: list[Path] = []


@pytest.fixture
def board(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[tuple[Workstation, dict]]:
    """A registry of three signed-in members, patients, an open and a signed meeting: built
    once (SQLite; role checks do not depend on the back end), copied for each case."""
    if not _TEMPLATE:
        path = tmp_path_factory.mktemp("roles") / "template.sqlite3"
        station = open_workstation(f"sqlite:///{path}")
        _prepare(station)
        station.db.close()
        _TEMPLATE.append(path)
    copy = tmp_path / "roles.sqlite3"
    shutil.copy(_TEMPLATE[0], copy)
    station = open_workstation(f"sqlite:///{copy}")
    locked = station.chair.list_reviews("P2")[-1]
    assert locked.locked
    yield station, {"locked": locked}
    station.db.close()


ACTIONS: dict[str, Callable[[MdtService, dict[str, object], Workstation], object]] = {
    "add member": lambda s, f, w: s.add_member(Member("Extra Person", "pathologist")),
    "update member": lambda s, f, w: s.update_member(Member(
        MEMBER.name, MEMBER.specialty, role="coordinator", id=w.ids[MEMBER.name])),
    "reset password": lambda s, f, w: s.reset_password(w.ids[MEMBER.name]),
    "bind os account": lambda s, f, w: s.bind_os_account(w.ids[MEMBER.name], "someone"),
    "change a setting": lambda s, f, w: s.set_setting("signin.lock_minutes", "7"),
    "create meeting": lambda s, f, w: s.create_meeting(Meeting(id="M-NEW", date=DAY)),
    "update meeting": lambda s, f, w: s.update_meeting(Meeting(id="M-OPEN", date=DAY, board="B")),
    "set agenda": lambda s, f, w: s.set_agenda("M-OPEN", [AgendaItem("P2", DAY)]),
    "sign minutes": lambda s, f, w: s.sign_meeting("M-OPEN", TEST_PASSWORD),
    "amend minutes": lambda s, f, w: s.amend_meeting("M-SIGNED", "late arrival", "B came at 9"),
    "amend signed review": lambda s, f, w: s.amend_review(
        f["locked"].review_id, dataclasses.replace(f["locked"].review, ecog=2),  # type: ignore[attr-defined]
        f["locked"].version, "ECOG corrected"),  # type: ignore[attr-defined]
}

ALLOWED: dict[str, set[str]] = {
    "add member": {"chair", "coordinator"},
    "update member": {"chair", "coordinator"},
    "reset password": {"chair", "coordinator"},
    "bind os account": {"chair", "coordinator"},
    "change a setting": {"chair", "coordinator"},
    "create meeting": {"chair", "coordinator"},
    "update meeting": {"chair", "coordinator"},
    "set agenda": {"chair", "coordinator"},
    "sign minutes": {"chair"},
    "amend minutes": {"chair", "coordinator"},
    "amend signed review": {"chair", "coordinator", "member"},   # setting amend.roles
}

ACTORS = ["chair", "coordinator", "member", "chair's name, not signed in", "unregistered name"]


def _service(ws: Workstation, who: str) -> MdtService:  # noqa: F811
    return {"chair": ws.chair, "coordinator": ws.coordinator, "member": ws.member,
            # what `--user "dr chair"` used to be: a registry entry without a password
            "chair's name, not signed in": MdtService(ws.db, Actor(
                CHAIR.name, "chair", member_id=ws.ids[CHAIR.name])),
            "unregistered name": MdtService(ws.db, Actor("Someone Else", "chair",
                                                         authenticated=True))}[who]


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_role_limited_action_as_every_role(board, action: str, who: str) -> None:
    ws, facts = board  # noqa: F811
    svc = _service(ws, who)
    before = len(ws.chair.audit_events(include_seals=True))
    if who in ALLOWED[action]:
        ACTIONS[action](svc, facts, ws)
        assert len(ws.chair.audit_events(include_seals=True)) > before
    else:
        with pytest.raises(PermissionDenied):
            ACTIONS[action](svc, facts, ws)
        assert len(ws.chair.audit_events(include_seals=True)) == before  # nothing written
    assert ws.chair.verify_audit().ok


def test_amend_roles_follow_the_hospital_setting(board) -> None:
    ws, facts = board  # noqa: F811
    ws.coordinator.set_setting("amend.roles", "chair")
    with pytest.raises(PermissionDenied, match="amend a review of signed minutes"):
        ACTIONS["amend signed review"](ws.member, facts, ws)
    ACTIONS["amend signed review"](ws.chair, facts, ws)


def test_the_very_first_member_bootstraps_an_empty_registry(db_url: str) -> None:  # noqa: F811
    from mdt.store.db import open_database

    db = open_database(db_url)
    try:
        first = MdtService(db, Actor("Anyone")).add_member(Member("First Coordinator", "coordinator",
                                                                  role="coordinator"))
        assert first.role == "coordinator"
        with pytest.raises(PermissionDenied):                       # but only the first
            MdtService(db, Actor("Anyone")).add_member(Member("Second", "other"))
        as_member(db, "First Coordinator").add_member(Member("Second", "other"))
        assert signed_in(db, "Second").authenticated
    finally:
        db.close()


def test_members_list_on_the_command_line_says_who_is_locked_out(
        ws: Workstation, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    import main

    _wrong(ws, 5)
    capsys.readouterr()
    assert main.main(["--db", ws.db.url, "members", "list"]) == 0
    lines = {line.split("\t")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "locked out until" in lines[MEMBER.name]
    assert "locked out" not in lines[CHAIR.name]
