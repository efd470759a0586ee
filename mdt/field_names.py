"""The one name of every field of a case: the words a clinician reads for it, its unit, and a
short form where a line is narrow.

Every reader takes a field's name from here, so one change reads the same everywhere: the
review editor's labels and its validation messages, the History tab's diff and the saved
version's reason, the engine's "missing" words, the minutes PDF, the command line
(``main.py review show/set``, ``evaluate --details``), the case-format parser's messages and
the generated tables of ``docs/case-format.md``.  ``mdt.limits`` (ranges), ``mdt.glossary``
(words), ``mdt.review_diff``, ``mdt.review_edits`` and ``mdt.review_ops`` read this table;
it reads nothing of the project (a leaf), so every import stays one-way.

Paths are templates of the case format (``reviews[].labs.bilirubin`` stands for every
``reviews[i].labs.bilirubin``); a path inside one review (``labs.bilirubin``, as the editor,
the diff and the command line name it) finds the same entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class FieldName:
    """How a person reads one field: ``label`` ("Total bilirubin"), its ``unit`` ("µmol/L", empty
    when it has none) and ``short`` ("Bilirubin"), the compact form of the same name where a line
    is narrow (the minutes' one-line clinical status); empty = the label itself."""

    label: str
    unit: str = ""
    short: str = ""

    @property
    def brief(self) -> str:
        """The short form, or the label when the field has no shorter name."""
        return self.short or self.label


N = FieldName
R = "reviews[]."

_LABS: dict[str, FieldName] = {
    "anc": N("Neutrophils (ANC)", "×10⁹/L", "ANC"),
    "wbc": N("White cells (WBC)", "×10⁹/L", "WBC"),
    "hb": N("Haemoglobin", "g/dL", "Hb"),
    "plt": N("Platelets", "×10⁹/L"),
    "ast": N("AST", "U/L"),
    "alt": N("ALT", "U/L"),
    "alp": N("ALP", "U/L"),
    "bilirubin": N("Total bilirubin", "µmol/L", "Bilirubin"),
    "creatinine": N("Creatinine", "µmol/L"),
    "albumin": N("Albumin", "g/L"),
    "inr": N("INR"),
    "proteinuria": N("Dipstick proteinuria", "", "Dipstick"),
    "proteinuria_g_24h": N("24-hour proteinuria", "g/24 h", "24-h proteinuria"),
}
ULN_LABS: tuple[str, ...] = ("ast", "alt", "alp", "bilirubin", "creatinine")
"""The labs judged as multiples of a local upper limit of normal (``labs.uln``)."""


def _uln(lab: FieldName) -> FieldName:
    # Derived, never restated: "Total bilirubin upper limit of normal" / "Bilirubin ULN".
    return N(f"{lab.label} upper limit of normal", lab.unit, f"{lab.brief} ULN")


_CLINICAL: dict[str, FieldName] = {
    "prior_systemic_lines": N("Prior lines for metastases", "", "Prior lines"),
    "neuropathy_grade": N("Neuropathy grade (CTCAE)", "", "Neuropathy grade"),
    "life_expectancy_months": N("Life expectancy", "months"),
    "cea": N("CEA", "ng/mL"),
    "ca19_9": N("CA 19-9", "U/mL"),
    "lvef_pct": N("LVEF", "%"),
    "fev1_fvc_pct": N("FEV1/FVC", "%"),
    "disease_free_interval_months": N("Disease-free interval", "months"),
    "ascites": N("Ascites"),
    "encephalopathy": N("Encephalopathy"),
    "node_positive_primary": N("Node-positive primary tumour", "", "Node-positive primary"),
    "synchronous": N("Synchronous liver metastases", "", "Synchronous"),
    "prior_adjuvant": N("Adjuvant chemotherapy", "", "Adjuvant"),
    "prior_systemic_response": N("Outcome of prior systemic treatment", "", "Prior response"),
    "prior_liver_treatment": N("Earlier resection, ablation or radiation of liver metastases", "",
                               "Earlier liver treatment"),
}

NAMES: dict[str, FieldName] = {
    # -- the patient, the protocol and the treatment course
    "patient.id": N("Hospital ID"),
    "patient.name": N("Name"),
    "patient.sex": N("Sex"),
    "patient.birth_date": N("Date of birth"),
    "protocol": N("Protocol"),
    "protocol.id": N("Protocol"),
    "protocol.arm": N("Arm"),
    "protocol.enrolment_date": N("Enrolment date"),
    "treatment": N("Treatment course"),
    "treatment.regimen": N("Regimen"),
    "treatment.start_date": N("Treatment start date"),
    "treatment.outcome": N("Treatment outcome"),
    "treatment.outcome_date": N("Outcome date"),
    "treatment.cycles": N("Treatment cycles"),
    "treatment.cycles[].number": N("Cycle number"),
    "treatment.cycles[].date": N("Cycle date"),
    "treatment.cycles[].note": N("Cycle note"),
    "treatment.cycles[].dose_reduction_pct": N("Dose reduction", "%"),
    "treatment.cycles[].toxicity_grade": N("Toxicity (CTCAE grade)", "", "Toxicity grade"),
    # -- a review
    "reviews": N("Reviews"),
    R + "date": N("Review date"),
    R + "reason": N("Reason for discussion"),
    R + "cycle": N("Cycles completed", "", "Cycle"),
    R + "height_cm": N("Height", "cm"),
    R + "weight_kg": N("Weight", "kg"),
    R + "ecog": N("ECOG performance status", "", "ECOG"),
    R + "tumour_burden_pct": N("Tumour share of the liver", "%", "Tumour share"),
    R + "extrahepatic_disease": N("Extrahepatic disease"),
    R + "notes": N("Notes"),
    R + "imaging.modality": N("Imaging modality"),
    R + "imaging.date": N("Imaging date"),
    R + "imaging.study_uid": N("Imaging study UID"),
    # -- lesions: "L2 diameter" through lesion_label()
    R + "lesions": N("Lesions"),
    R + "lesions[].id": N("Lesion id", "", "id"),
    R + "lesions[].segments": N("Lesion segments", "", "segments"),
    R + "lesions[].diameter_mm": N("Lesion diameter", "mm", "diameter"),
    R + "lesions[].status": N("Lesion status", "", "status"),
    R + "lesions[].target": N("Target lesion", "", "target lesion"),
    R + "lesions[].measurement": N("Caliper measurement", "", "caliper measurement"),
    R + "lesions[].measurement.slice_index": N("Slice of the measurement"),
    R + "lesions[].measurement.frame_number": N("Frame of the measurement"),
    R + "lesions[].measurement.start_xy[]": N("Caliper start point", "pixels"),
    R + "lesions[].measurement.end_xy[]": N("Caliper end point", "pixels"),
    # -- vessels
    R + "vessels": N("Vessel relations"),
    R + "vessels[].structure": N("Vessel"),
    R + "vessels[].relation": N("Vessel relation"),
    R + "vessels[].lesion": N("Lesion of the vessel relation"),
    # -- the remnant plan
    R + "remnant": N("Remnant plan"),
    R + "remnant.resection": N("Planned resection"),
    R + "remnant.segments": N("Remnant segments"),
    R + "remnant.flr_ml": N("Future remnant volume (FLR)", "mL", "FLR"),
    R + "remnant.flr_segments": N("Segments of the measured remnant volume"),
    R + "remnant.tlv_ml": N("Total liver volume", "mL", "TLV"),
    R + "remnant.liver_condition": N("Liver condition"),
    R + "remnant.pve": N("Portal vein embolisation", "", "PVE"),
    R + "remnant.pve.date": N("Portal vein embolisation date", "", "PVE date"),
    R + "remnant.pve.flr_before_ml": N("Future remnant volume before PVE", "mL", "FLR before PVE"),
    R + "remnant.pve.flr_after_ml": N("Future remnant volume after PVE", "mL", "FLR after PVE"),
    R + "remnant.pve.days_between": N("Days between the PVE volumetries", "days"),
    R + "remnant.local_treatment": N("Locally treated lesions"),
    R + "remnant.local_treatment[].lesion": N("Locally treated lesion"),
    R + "remnant.local_treatment[].method": N("Local treatment"),
    # -- clinical and labs
    **{R + "clinical." + k: v for k, v in _CLINICAL.items()},
    **{R + "labs." + k: v for k, v in _LABS.items()},
    R + "labs.uln": N("Local upper limits of normal", "", "ULN"),
    **{R + "labs.uln." + k: _uln(_LABS[k]) for k in ULN_LABS},
    # -- the panel
    R + "panel.votes": N("Votes"),
    R + "panel.votes[].member": N("Panellist"),
    R + "panel.votes[].role": N("Panellist's role"),
    R + "panel.votes[].rating": N("Rating"),
    R + "panel.votes[].comment": N("Vote comment"),
    R + "panel.votes[].round": N("Voting round"),
    R + "panel.decision.resectability": N("Decision: resectability"),
    R + "panel.decision.plan": N("Decision: plan"),
    R + "panel.decision.rationale": N("Decision: rationale"),
    R + "panel.decision.next_review": N("Decision: next review date"),
    R + "panel.decision.dissent": N("Decision: dissent"),
    R + "panel.decision.responsible": N("Decision: responsible clinician"),
    R + "panel.decision.rule": N("Decision: rule"),
    R + "panel.decision.protocol": N("Decision: protocol"),
    R + "panel.decision.protocol_version": N("Decision: protocol version"),
}
"""Every named field of ``mdt-case/1``, keyed by its template path."""

LAB_NAMES: dict[str, FieldName] = dict(_LABS)
"""The labs by their key in ``labs`` (the same entries as ``NAMES``)."""
CLINICAL_NAMES: dict[str, FieldName] = dict(_CLINICAL)
"""The clinical fields by their key in ``clinical`` (the same entries as ``NAMES``)."""



_INDEX = re.compile(r"\[\d+\]")
_ARRAY_FILE = re.compile(r"^\[\]\.")


@lru_cache(maxsize=8192)
def template(path: str) -> str:
    """``[2].reviews[1].labs.inr`` → ``reviews[].labs.inr`` (the key of the case's tables)."""
    return _ARRAY_FILE.sub("", _INDEX.sub("[]", path))


def lookup(table: dict[str, _T], path: str) -> _T | None:
    """The entry of ``path`` in a table keyed by template paths.  A path inside one review
    (``labs.inr``, as the editor, the diff and the command line name it) is looked up as
    ``reviews[].labs.inr``; a leading ``review.`` (an editor problem's path) is dropped."""
    t = template(path.removeprefix("review."))
    found = table.get(t)
    return found if found is not None or not t else table.get(R + t)


@lru_cache(maxsize=8192)
def name_for(path: str) -> FieldName | None:
    """The name of the field at ``path``, or None when the table has none."""
    return lookup(NAMES, path)


def label(path: str) -> str | None:
    """"Total bilirubin" for ``labs.bilirubin`` (any index, inside a review or a case)."""
    found = name_for(path)
    return found.label if found is not None else None


def unit(path: str) -> str:
    found = name_for(path)
    return found.unit if found is not None else ""


def lesion_label(lesion: str, leaf: str) -> str:
    """One lesion's field as the board reads it: ("L2", "diameter_mm") → "L2 diameter"."""
    found = NAMES.get(f"{R}lesions[].{leaf}")
    part = found.short if found is not None and found.short else leaf.replace("_", " ")
    return f"{lesion} {part}"


__all__ = ["CLINICAL_NAMES", "LAB_NAMES", "NAMES", "ULN_LABS", "FieldName", "label", "lesion_label",
           "lookup", "name_for", "template", "unit"]
