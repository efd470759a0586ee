"""Hospital-wide settings (stored in the database, shared by every workstation).

Each setting is a reading chosen where no source fixes it; the defaults are the
product's, and a chair or coordinator changes them with ``main.py settings set``.

| key | default | meaning |
| --- | --- | --- |
| ``signin.mode`` | ``password`` | ``password``: every member signs in with a password; ``os_account``: a member bound to the operating-system login (``main.py members bind-os``) is signed in by that login, and still needs the password to unlock the screen and to sign |
| ``signin.lock_minutes`` | ``15`` | the window locks after this many minutes without keyboard or mouse input (0 = never) |
| ``signin.max_failures`` | ``5`` | after this many wrong passwords in a row a member cannot sign in (nor unlock, nor sign) for ``signin.lockout_minutes``, even with the right password (0 = never); a chair or coordinator's password reset lifts it at once |
| ``signin.lockout_minutes`` | ``15`` | how long that lasts, counted from the last wrong password |
| ``amend.roles`` | ``chair,coordinator,member`` | registry roles allowed to amend a review of signed minutes (always signed in, always with a reason) |
"""

from __future__ import annotations

from dataclasses import dataclass

from mdt.errors import FieldProblem, ValidationError
from mdt.meeting import ROLES

SIGNIN_MODES = ("password", "os_account")

DEFAULTS: dict[str, str] = {
    "signin.mode": "password",
    "signin.lock_minutes": "15",
    "signin.max_failures": "5",
    "signin.lockout_minutes": "15",
    "amend.roles": "chair,coordinator,member",
}
DESCRIPTIONS: dict[str, str] = {
    "signin.mode": "how members sign in: password, or os_account (bound operating-system login)",
    "signin.lock_minutes": "minutes without input before the window locks (0 = never)",
    "signin.max_failures": "wrong passwords in a row before a member is locked out (0 = never)",
    "signin.lockout_minutes": "minutes a locked-out member waits after the last wrong password",
    "amend.roles": "roles that may amend a review of signed minutes (comma-separated)",
}

LABELS: dict[str, str] = {
    "signin.mode": "How members sign in",
    "signin.lock_minutes": "Lock the window after (minutes without input)",
    "signin.max_failures": "Wrong passwords in a row before a lock-out",
    "signin.lockout_minutes": "A lock-out lasts (minutes)",
    "amend.roles": "Roles that may amend signed minutes",
}
"""Each setting as the window names it (and as a refusal names it)."""


@dataclass(frozen=True, slots=True)
class Settings:
    signin_mode: str = "password"
    lock_minutes: int = 15
    max_failures: int = 5
    lockout_minutes: int = 15
    amend_roles: tuple[str, ...] = ROLES

    @staticmethod
    def from_values(values: dict[str, str]) -> Settings:
        merged = {**DEFAULTS, **values}
        return Settings(signin_mode=merged["signin.mode"],
                        lock_minutes=int(merged["signin.lock_minutes"]),
                        max_failures=int(merged["signin.max_failures"]),
                        lockout_minutes=int(merged["signin.lockout_minutes"]),
                        amend_roles=tuple(r.strip() for r in merged["amend.roles"].split(",")
                                          if r.strip()))


def _whole(value: str) -> bool:
    # str.isdigit() is also true of "²" and other digits int() refuses
    return value.isascii() and value.isdigit() and len(value) <= 6


def validate(key: str, value: str) -> str:
    """The value in canonical form; ValidationError naming the setting and the rule."""
    value = value.strip()
    if key not in DEFAULTS:
        raise ValidationError(FieldProblem(key, f"no such setting (known: {', '.join(DEFAULTS)})"))
    if key == "signin.mode" and value not in SIGNIN_MODES:
        raise ValidationError(FieldProblem(key, f"must be one of {', '.join(SIGNIN_MODES)}"))
    if key == "signin.lock_minutes":
        if not _whole(value) or int(value) > 24 * 60:
            raise ValidationError(FieldProblem(key, "a whole number of minutes, 0 to 1440"))
        value = str(int(value))
    if key == "signin.max_failures":
        if not _whole(value) or int(value) > 100:
            raise ValidationError(FieldProblem(key, "a whole number of wrong passwords, 0 to 100"))
        value = str(int(value))
    if key == "signin.lockout_minutes":
        if not _whole(value) or not 1 <= int(value) <= 24 * 60:
            raise ValidationError(FieldProblem(key, "a whole number of minutes, 1 to 1440"))
        value = str(int(value))
    if key == "amend.roles":
        roles = [r.strip() for r in value.split(",") if r.strip()]
        bad = [r for r in roles if r not in ROLES]
        if not roles or bad:
            raise ValidationError(FieldProblem(key, f"comma-separated roles among {', '.join(ROLES)}"))
        value = ",".join(roles)
    return value
