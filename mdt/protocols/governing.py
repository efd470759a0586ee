"""Which protocol governs a case, and what each reader does when it cannot be loaded.

One lookup and one exception policy for every caller (issue 16): a protocol id this
installation does not ship (a case imported from another centre), a version it does not ship
(a decision recorded under a later or withdrawn version), or protocol files that cannot be read
(:data:`CANNOT_LOAD`: NotFound, ValidationError) mean "cannot be loaded".  Anything else is a
bug and raises.

A caller that cannot refuse takes its documented fallback (the readings are in
``docs/clinical/conventions.md#when-a-protocol-cannot-be-loaded``) and shows
:meth:`ProtocolLookup.note_for` where the user sees the consequence: the window, the minutes,
the command line's stderr.  The fallbacks never let missing data pass: criteria stay
unknown, ratings need consensus.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mdt.case import Case
from mdt.errors import NotFound, ValidationError
from mdt.protocols.loader import get_protocol, load_protocols, protocol_versions
from mdt.protocols.model import DEFAULT_PROTOCOL_ID, Protocol
from mdt.recist import DEFAULT_ASSESSMENT_INTERVAL, DEFAULT_TARGET_LIMIT

CANNOT_LOAD: tuple[type[Exception], ...] = (NotFound, ValidationError)
"""The errors that mean "this protocol cannot be loaded" (the one policy; others are bugs)."""

# The fallbacks, each with the words a clinician reads (docs/clinical/conventions.md).
CRITERIA = "criteria"
AGGREGATION = "aggregation"
QUORUM = "quorum"
RECIST = "recist"
OUTCOMES = "outcomes"
DECISION = "decision"

FALLBACK_AGGREGATION: dict[str, Any] = {"kind": "consensus"}
"""Consensus: the safest way to count ratings (no majority can outvote a dissenting rater)."""

FALLBACK_WORDS: dict[str, str] = {
    CRITERIA: "its criteria cannot be evaluated (every criterion is unknown)",
    AGGREGATION: "ratings are counted by consensus, the safest rule (every rater must agree)",
    QUORUM: "the board's standing quorum applies",
    RECIST: (f"RECIST 1.1 defaults apply (at most {DEFAULT_TARGET_LIMIT} liver target lesions, "
             "assessment every " + " or ".join(f"{v} {k}" for k, v in DEFAULT_ASSESSMENT_INTERVAL.items())
             + ")"),
    OUTCOMES: "default outcome settings apply",
    DECISION: "a decision is recorded under the protocol id with no version",
}

PATIENT_FALLBACKS = (CRITERIA, AGGREGATION, QUORUM, RECIST)
"""What a patient's page (window, minutes) says when the patient's protocol cannot be loaded."""


@dataclass(frozen=True, slots=True)
class ProtocolLookup:
    """The protocol a case or a recorded decision names, or why it cannot be loaded."""

    protocol_id: str
    """The id asked for (the given one, else the case's, else the default protocol's)."""
    version: str | None
    """The version asked for (None: the newest shipped)."""
    protocol: Protocol | None
    problem: str | None = None
    """Why it cannot be loaded, in words (None when it loaded)."""

    @property
    def loaded(self) -> bool:
        return self.protocol is not None

    @property
    def note(self) -> str | None:
        """The problem and what a patient's page does instead (None when it loaded)."""
        return self.note_for(*PATIENT_FALLBACKS)

    def note_for(self, *fallbacks: str) -> str | None:
        """The problem and the named fallbacks in one sentence (None when it loaded)."""
        if self.problem is None:
            return None
        words = [FALLBACK_WORDS[f] for f in fallbacks]
        return f"{self.problem}: {'; '.join(words)}." if words else f"{self.problem}."

    def require(self) -> Protocol:
        """The protocol; NotFound with the problem in words when it cannot be loaded."""
        if self.protocol is None:
            raise NotFound(self.problem or f"protocol {self.protocol_id} cannot be loaded")
        return self.protocol

    # -- each setting with its fallback (one place for every reader)
    @property
    def aggregation(self) -> dict[str, Any]:
        return dict(self.protocol.aggregation) if self.protocol else dict(FALLBACK_AGGREGATION)

    @property
    def quorum(self) -> dict[str, Any]:
        """The protocol's quorum rule; {} (the board's standing rule) when it cannot be loaded."""
        return dict(self.protocol.quorum or {}) if self.protocol else {}

    @property
    def target_lesion_limit(self) -> int:
        return self.protocol.target_lesion_limit if self.protocol else DEFAULT_TARGET_LIMIT

    @property
    def assessment_interval(self) -> dict[str, Any]:
        return (dict(self.protocol.assessment_interval) if self.protocol
                else dict(DEFAULT_ASSESSMENT_INTERVAL))

    @property
    def ref(self) -> tuple[str, str | None]:
        """(id, version) a decision records: the loaded version, else the id alone."""
        if self.protocol is not None:
            return self.protocol.id, self.protocol.version
        return self.protocol_id, None


def _problem(pid: str, version: str | None, exc: Exception,
             directory: str | Path | None) -> str:
    if isinstance(exc, ValidationError):
        return f"The protocol files of this installation cannot be read ({exc})"
    try:
        protocols = load_protocols(directory)
    except ValidationError:  # pragma: no cover - the files were read a moment ago
        protocols = {}
    if pid not in protocols:
        known = ", ".join(sorted(protocols)) or "none"
        return f"Protocol {pid} is not shipped with this installation (shipped: {known})"
    shipped = ", ".join(protocol_versions(pid, directory)) or "none"
    return (f"Protocol {pid} version {version} is not shipped with this installation "
            f"(shipped versions: {shipped})")


def lookup(case: Case | None = None, protocol_id: str | None = None, version: str | None = None,
           directory: str | Path | None = None) -> ProtocolLookup:
    """The protocol that governs ``case`` (or ``protocol_id``, which wins), at ``version`` (None:
    the newest shipped); a case naming no protocol is governed by the default one.  Never raises
    for a protocol that cannot be loaded (:data:`CANNOT_LOAD`): the result says why."""
    pid = protocol_id or (case.protocol.id if case is not None else None) or DEFAULT_PROTOCOL_ID
    try:
        return ProtocolLookup(pid, version, get_protocol(pid, version, directory))
    except CANNOT_LOAD as exc:
        return ProtocolLookup(pid, version, None, _problem(pid, version, exc, directory))


def protocol_for(case: Case | None = None, protocol_id: str | None = None) -> Protocol:
    """The protocol that governs a case, newest version (see :func:`lookup`); one that cannot
    be loaded raises NotFound saying why (for callers that refuse rather than fall back)."""
    return lookup(case, protocol_id).require()
