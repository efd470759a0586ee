"""Errors raised by the domain core.  Each names the field and the reason."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FieldProblem:
    path: str
    """JSON-style path of the offending field, e.g. ``reviews[1].lesions[0].diameter_mm``."""
    reason: str
    label: str | None = field(default=None, compare=False)
    """The field in words a clinician reads (``Lesion diameter (mm)``), from ``mdt.limits``."""

    def __str__(self) -> str:
        words = f"{self.label} {self.reason}" if self.label else self.reason
        return f"{self.path}: {words}" if self.path else words


class MdtError(Exception):
    """Base class of every error the core raises on purpose."""


class ValidationError(MdtError):
    """Invalid input.  ``problems`` lists every offending field with its reason."""

    def __init__(self, problems: list[FieldProblem] | FieldProblem | str):
        if isinstance(problems, str):
            problems = [FieldProblem("", problems)]
        elif isinstance(problems, FieldProblem):
            problems = [problems]
        self.problems: list[FieldProblem] = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class NotFound(MdtError):
    """A patient, review, meeting or member that does not exist."""


class PermissionDenied(MdtError):
    """The acting user's role does not allow the action."""


class ConflictError(MdtError):
    """Optimistic-locking conflict: someone else saved the same record first.

    ``current`` carries the other workstation's saved version so the user can compare.
    """

    def __init__(self, message: str, current: object | None = None):
        super().__init__(message)
        self.current = current


class LockedError(MdtError):
    """The record belongs to a signed meeting; change it through an amendment."""


class AuthenticationError(PermissionDenied):
    """Sign-in or signing failed: unknown member, wrong password, or no password set yet."""


class LockedFieldsError(LockedError):
    """An import would change records of a signed meeting: each one named with its path."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems: list[FieldProblem] = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))
