"""Sign-in on the command line: the same check as the window, for a person or a script.

A command that changes the record acts as a member only after that member proved
who they are:

- interactively (standard input is a terminal): ``--user NAME`` (or ``MDT_USER``, or a
  prompt) and a password prompt; a member without a password yet chooses one (twice);
- scripted: ``--user NAME`` with ``--password-file FILE`` (first line) or the
  ``MDT_PASSWORD`` environment variable;
- in ``os_account`` mode (a hospital setting), the member bound to the operating-system
  login is signed in without a password (``--user`` must then name that member or be
  left out).

On a database whose registry is still empty nobody can sign in: writing commands act
under the given name, unauthenticated, until the first member exists (that is how a
new installation imports its first patients and adds its first coordinator).
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import TextIO

from mdt.auth import ENV_PASSWORD
from mdt.errors import AuthenticationError, MdtError
from mdt.services import (
    Actor,
    MdtService,
    set_first_password,
    sign_in,
    sign_in_os,
    signin_state,
)
from mdt.store.db import Database


class SignInFailed(MdtError):
    """Raised with a message for the user; ``usage`` True when an argument is missing."""

    def __init__(self, message: str, usage: bool = False):
        super().__init__(message)
        self.usage = usage


def _interactive(stdin: TextIO | None = None) -> bool:
    stream = stdin or sys.stdin
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        return False


def read_password_file(path: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SignInFailed(f"cannot read --password-file {path}: {exc.strerror or exc}",
                           usage=True) from exc
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise SignInFailed(f"--password-file {path} is empty", usage=True)
    return lines[0]


def scripted_password(password_file: str | None) -> str | None:
    if password_file:
        return read_password_file(password_file)
    return os.environ.get(ENV_PASSWORD) or None


def registry_empty(db: Database) -> bool:
    return not MdtService(db, Actor("sign-in")).list_members(include_inactive=True)


def sign_in_cli(db: Database, user: str | None, password_file: str | None) -> Actor:
    """The acting member, signed in (or, on an empty registry, the unauthenticated name)."""
    if registry_empty(db):
        return Actor.from_environment(user)
    os_actor = sign_in_os(db)
    name = user or os.environ.get("MDT_USER")
    if os_actor is not None and (not name or name.casefold() == os_actor.name.casefold()):
        return os_actor
    if not name:
        if not _interactive():
            raise SignInFailed("this command changes the record: sign in with --user NAME and "
                               "--password-file FILE (or MDT_PASSWORD)", usage=True)
        name = input("Member name: ").strip()
    try:
        state = signin_state(db, name)
    except AuthenticationError as exc:
        raise SignInFailed(str(exc)) from exc
    password = scripted_password(password_file)
    if not state.has_password:
        if password is None and not _interactive():
            raise SignInFailed(f"{state.name} has no password yet: run "
                               f"`main.py --user \"{state.name}\" set-password` in a terminal, "
                               f"or give the new password with --password-file")
        if password is None:
            password = choose_password(state.name)
        try:
            return set_first_password(db, state.name, password)
        except MdtError as exc:
            raise SignInFailed(str(exc)) from exc
    if password is None:
        if not _interactive():
            raise SignInFailed(f"no password for {state.name}: give --password-file FILE or "
                               f"set {ENV_PASSWORD} (standard input is not a terminal)",
                               usage=True)
        password = getpass.getpass(f"Password for {state.name}: ")
    try:
        return sign_in(db, state.name, password)
    except AuthenticationError as exc:
        raise SignInFailed(str(exc)) from exc


def choose_password(name: str) -> str:
    if not _interactive():
        raise SignInFailed(f"{name}: give the new password with a file (standard input is "
                           f"not a terminal)", usage=True)
    print(f"{name}: first sign-in. Choose a password (at least 10 characters); it also "
          f"protects your signing key.", file=sys.stderr)
    first = getpass.getpass("New password: ")
    again = getpass.getpass("Repeat it: ")
    if first != again:
        raise SignInFailed("the two passwords differ; nothing was changed")
    return first


def ask_password(prompt: str, password_file: str | None) -> str:
    """A password for a second check (signing): the file/variable, else a prompt."""
    password = scripted_password(password_file)
    if password is not None:
        return password
    if not _interactive():
        raise SignInFailed(f"give the password with --password-file FILE or {ENV_PASSWORD}",
                           usage=True)
    return getpass.getpass(prompt)
