"""The protocol engine: protocols as versioned data files, rules in code, one evaluation per review.

Public API (API.md):

* :func:`load_protocols` / :func:`get_protocol` (id, version) / :func:`default_protocol_id`
* :func:`lookup` (case, id, version) -> :class:`ProtocolLookup`: the protocol that governs a case
  or a decision, or why it cannot be loaded, with each reader's fallback and its note in words
  (every caller uses it); :func:`protocol_for` (case): the same, raising NotFound instead
* :func:`load_protocol_versions` / :func:`protocol_versions`: every shipped version
* :func:`evaluate` (case, review index, protocol id) -> :class:`~mdt.evaluation.Evaluation`
* :func:`evaluation_to_dict` -> the ``mdt-evaluation/1`` object
* :func:`render_report` -> the readable terminal report
"""

from __future__ import annotations

from mdt.protocols.engine import evaluate
from mdt.protocols.governing import CANNOT_LOAD, ProtocolLookup, lookup, protocol_for
from mdt.protocols.loader import (
    get_protocol,
    load_protocol_file,
    load_protocol_versions,
    load_protocols,
    parse_protocol,
    protocol_versions,
)
from mdt.protocols.model import Outcome, Protocol, Rule, Settings, default_protocol_id
from mdt.protocols.report import render_report
from mdt.protocols.serialize import EVALUATION_FORMAT, evaluation_to_dict

__all__ = [
    "CANNOT_LOAD", "EVALUATION_FORMAT", "Outcome", "Protocol", "ProtocolLookup", "Rule", "Settings",
    "default_protocol_id", "evaluate", "evaluation_to_dict", "get_protocol", "load_protocol_file", "load_protocol_versions",
    "load_protocols", "lookup", "parse_protocol", "protocol_for", "protocol_versions", "render_report",
]
