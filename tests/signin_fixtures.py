"""Signing test members in: the same service calls as the sign-in dialog and the CLI.

Tests act as a member only after that member signed in (role checks require it).  A
member without a password gets ``TEST_PASSWORD`` at first sign-in, as a person would
choose one.  The suite's conftest makes Argon2 cheap for in-process tests (the
parameters are stored in each hash, so nothing else changes); command-line tests in
subprocesses use the real parameters.
"""

from __future__ import annotations

from mdt.services import Actor, MdtService, set_first_password, sign_in, signin_state
from mdt.store.db import Database

TEST_PASSWORD = "test-password-1"


def signed_in(db: Database, name: str, password: str = TEST_PASSWORD) -> Actor:
    """The member, signed in (their first sign-in sets ``password``)."""
    state = signin_state(db, name)
    if not state.has_password:
        return set_first_password(db, state.name, password)
    return sign_in(db, state.name, password)


def as_member(db: Database, name: str, password: str = TEST_PASSWORD) -> MdtService:
    return MdtService(db, signed_in(db, name, password))


def cli_signin_args(db: Database, name: str, folder: object, password: str = TEST_PASSWORD) -> list[str]:
    """Global options that sign ``name`` in for an in-process ``main.main`` call (a password
    file, as a script would use); the member's first sign-in sets ``password``."""
    from pathlib import Path

    signed_in(db, name, password)
    path = Path(str(folder)) / f"password-{abs(hash(name))}.txt"
    path.write_text(password + "\n", encoding="utf-8")
    return ["--user", name, "--password-file", str(path)]
