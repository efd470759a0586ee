"""Passwords: memory-hard hashes (Argon2id through argon2-cffi) and the rules a password meets.

A member's password is never stored: only its Argon2id hash (PHC string, parameters
included), so verifying always uses the parameters the hash was made with and stronger
parameters later apply to new passwords without breaking old ones.

``PARAMETERS`` are RFC 9106's second recommended set ("low memory"): Argon2id,
3 passes over 64 MiB with 4 lanes, 16-byte salt, 32-byte tag: about 85 ms on the
project's 2-core reference machine (``bench/bench_signin.py``).  The same parameters
derive the key that encrypts each member's private signing key (``mdt.keys``).
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

from mdt.errors import FieldProblem, ValidationError

PARAMETERS = RFC_9106_LOW_MEMORY
"""Argon2id, time_cost=3, memory_cost=65536 KiB, parallelism=4, hash_len=32, salt_len=16."""

MIN_PASSWORD_LENGTH = 10
"""NIST SP 800-63B §3.1.1.2 asks at least 8 characters; we ask 10 for signing keys."""

ENV_PASSWORD = "MDT_PASSWORD"
"""Scripted command-line use: the acting member's password (see README, SECURITY.md)."""


def _hasher() -> PasswordHasher:
    # Built per call so a test (or a future setting) that replaces PARAMETERS takes effect.
    return PasswordHasher.from_parameters(PARAMETERS)


def hash_password(password: str) -> str:
    """The Argon2id PHC string of ``password`` (after the length rule)."""
    check_new_password(password)
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; False for a wrong password or no/garbled hash."""
    if not stored_hash or not password:
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_new_password(password: str, name: str | None = None) -> None:
    """ValidationError naming the rule a new password breaks."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(FieldProblem("password", f"at least {MIN_PASSWORD_LENGTH} characters"))
    elif password.strip() != password:
        problems.append(FieldProblem("password", "must not start or end with a space"))
    elif name and password.casefold() == name.casefold():
        problems.append(FieldProblem("password", "must not be your name"))
    if problems:
        raise ValidationError(problems)


def describe_parameters() -> str:
    p = PARAMETERS
    kind = {Type.ID: "Argon2id", Type.I: "Argon2i", Type.D: "Argon2d"}[p.type]
    return (f"{kind} t={p.time_cost} m={p.memory_cost} KiB p={p.parallelism} "
            f"salt={p.salt_len} B tag={p.hash_len} B")
