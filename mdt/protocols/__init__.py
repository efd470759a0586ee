"""The protocol engine: protocols as versioned data files, rules in code, one evaluation per review.

Public API (API.md):

* :func:`load_protocols` / :func:`get_protocol` (id, version) / :func:`default_protocol_id`
* :func:`protocol_for` (case): the protocol that governs a case (every caller uses it)
* :func:`load_protocol_versions` / :func:`protocol_versions`: every shipped version
* :func:`evaluate` (case, review index, protocol id) -> :class:`~mdt.evaluation.Evaluation`
* :func:`evaluation_to_dict` -> the ``mdt-evaluation/1`` object
* :func:`render_report` -> the readable terminal report
"""

from __future__ import annotations

from mdt.protocols.engine import evaluate
from mdt.protocols.loader import (
    get_protocol,
    load_protocol_file,
    load_protocol_versions,
    load_protocols,
    parse_protocol,
    protocol_for,
    protocol_versions,
)
from mdt.protocols.model import Outcome, Protocol, Rule, Settings, default_protocol_id
from mdt.protocols.report import render_report
from mdt.protocols.serialize import EVALUATION_FORMAT, evaluation_to_dict

__all__ = [
    "EVALUATION_FORMAT", "Outcome", "Protocol", "Rule", "Settings", "default_protocol_id",
    "evaluate", "evaluation_to_dict", "get_protocol", "load_protocol_file", "load_protocol_versions",
    "load_protocols", "parse_protocol", "protocol_for", "protocol_versions", "render_report",
]
