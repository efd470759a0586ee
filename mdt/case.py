"""Domain types for one patient and the panel's reviews of that patient.

Plain, immutable dataclasses mirroring the ``mdt-case/1`` format
(``docs/case-format.md``).  They hold facts only; anything computed from them
(criteria, remnant percentages, RECIST response) lives in other modules and is
never stored on these objects.

Numbers are kept as the ``int`` or ``float`` that was read; rules that compare
at a boundary convert them with :func:`mdt.exact.exact` (a ``Fraction`` of the
decimal text), never with binary floating point.

Every field that is not required may be ``None``: ``None`` means *not recorded*
and the rules treat it as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Number = int | float

# --- vocabularies (the single source for the format, the rules and the UI) ---

SEGMENTS: tuple[str, ...] = ("I", "II", "III", "IVa", "IVb", "IV", "V", "VI", "VII", "VIII")
"""Segment codes accepted in a case.  ``IV`` means segment IV without saying a or b."""

SEXES: tuple[str, ...] = ("F", "M", "O")
LESION_STATUSES: tuple[str, ...] = ("present", "disappeared", "ablated", "resected")
VESSEL_STRUCTURES: tuple[str, ...] = (
    "MPV", "RPV", "LPV", "RAPV", "RPPV",
    "RHV", "MHV", "LHV", "IRHV", "IVC",
    "PHA", "RHA", "LHA",
    "BC", "RHD", "LHD",
)
VESSEL_NAMES: dict[str, str] = {
    "MPV": "main portal vein", "RPV": "right portal vein", "LPV": "left portal vein",
    "RAPV": "right anterior portal vein", "RPPV": "right posterior portal vein",
    "RHV": "right hepatic vein", "MHV": "middle hepatic vein", "LHV": "left hepatic vein",
    "IRHV": "inferior right hepatic vein", "IVC": "retrohepatic vena cava",
    "PHA": "proper hepatic artery", "RHA": "right hepatic artery", "LHA": "left hepatic artery",
    "BC": "biliary confluence", "RHD": "right hepatic duct", "LHD": "left hepatic duct",
}
VESSEL_RELATIONS: tuple[str, ...] = ("contact", "encasement", "invasion", "thrombus")
LOCAL_METHODS: tuple[str, ...] = ("wedge", "ablation")
LIVER_CONDITIONS: tuple[str, ...] = (
    "normal", "chemotherapy", "steatosis", "fibrosis", "cirrhosis", "unknown",
)
EXTRAHEPATIC: tuple[str, ...] = ("none", "indeterminate", "confirmed")
PROTEINURIA: tuple[str, ...] = ("neg", "trace", "1+", "2+", "3+", "4+")
RATINGS: tuple[str, ...] = ("resectable", "convertible", "permanently_unresectable")
PLANS: tuple[str, ...] = (
    "resection", "resection_ablation", "ablation", "two_stage", "pve_then_resection",
    "continue_induction", "intensify_hai", "palliative", "best_supportive_care", "rediscuss",
)
MODALITIES: tuple[str, ...] = ("CT", "MR", "PET-CT", "US", "other")
ASCITES: tuple[str, ...] = ("none", "mild", "moderate_severe")
ENCEPHALOPATHY: tuple[str, ...] = ("none", "grade_1_2", "grade_3_4")
PRIOR_SYSTEMIC_RESPONSES: tuple[str, ...] = ("not_treated", "refused", "progressed", "controlled")
"""What became of systemic treatment for metastatic disease before this protocol:
never given, refused by the patient, progressed on it, or disease controlled (response or
stable disease).  NCT06988852 enrols patients who refused or progressed."""
OUTCOMES: tuple[str, ...] = (
    "on_treatment", "converted", "resected", "progressed", "palliative", "died",
    "withdrawn", "lost_to_follow_up", "ablated",
)
"""Ends of a patient's course.  With a ``follow_up`` record they are derived from its events
(``mdt.course_end``); ``ablated`` (local treatment by ablation alone) exists only as a
derived end."""
LOCAL_TREATMENT_KINDS: tuple[str, ...] = ("resection", "ablation", "resection_ablation")
MARGINS: tuple[str, ...] = ("R0", "R1", "R2")
CLAVIEN_DINDO: tuple[str, ...] = ("none", "I", "II", "IIIa", "IIIb", "IVa", "IVb", "V")
"""Clavien-Dindo grades, mildest first; ``none`` = no complication (Dindo D et al.,
Ann Surg 2004;240:205-213)."""
PROGRESSION_SITES: tuple[str, ...] = ("hepatic", "extrahepatic", "hepatic_extrahepatic")
FOLLOW_UP_ENDS: tuple[str, ...] = ("withdrawn", "lost_to_follow_up")

Sex = Literal["F", "M", "O"]


@dataclass(frozen=True, slots=True)
class Patient:
    id: str
    """The hospital's identifier (MRN); required, non-empty."""
    name: str | None = None
    """DICOM person-name style ``FAMILY^GIVEN`` as recorded."""
    sex: str | None = None
    birth_date: date | None = None


@dataclass(frozen=True, slots=True)
class ProtocolRef:
    id: str | None = None
    arm: str | None = None
    enrolment_date: date | None = None
    """Date of enrolment (or randomisation) in the protocol.  The enrolment review, at
    which trial eligibility is judged, is the latest review on or before it (the first
    review when it is None or earlier than every review); survival and time-to-event
    outcomes count from it."""


@dataclass(frozen=True, slots=True)
class CycleGiven:
    """One chemotherapy cycle given (extension of mdt-case/1: ``treatment.cycles``)."""
    number: int
    date: date
    dose_reduction_pct: Number | None = None
    toxicity_grade: int | None = None
    """Worst CTCAE grade recorded for this cycle, 0-5."""
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Treatment:
    """The patient's systemic treatment course (extension: top-level ``treatment``)."""
    regimen: str | None = None
    start_date: date | None = None
    cycles: tuple[CycleGiven, ...] = ()
    outcome: str | None = None
    """One of OUTCOMES; ``None`` while not recorded."""
    outcome_date: date | None = None


@dataclass(frozen=True, slots=True)
class Imaging:
    modality: str | None = None
    date: date | None = None
    study_uid: str | None = None


@dataclass(frozen=True, slots=True)
class Measurement:
    """Where a caliper measurement was taken (extension: ``lesions[].measurement``)."""
    series_uid: str
    sop_instance_uid: str
    slice_index: int | None = None
    start_xy: tuple[Number, Number] | None = None
    end_xy: tuple[Number, Number] | None = None
    frame_number: int | None = None
    """1-based frame of a multi-frame image (DICOM Referenced Frame Number); None for single-frame images."""


@dataclass(frozen=True, slots=True)
class Lesion:
    id: str
    segments: tuple[str, ...]
    diameter_mm: Number | None = None
    target: bool = False
    status: str = "present"
    measurement: Measurement | None = None


@dataclass(frozen=True, slots=True)
class VesselContact:
    structure: str
    relation: str
    lesion: str | None = None


@dataclass(frozen=True, slots=True)
class LocalTreatment:
    lesion: str
    method: str  # "wedge" or "ablation"


@dataclass(frozen=True, slots=True)
class PortalVeinEmbolisation:
    """Extension: ``remnant.pve``.  For the kinetic growth rate."""
    date: date | None = None
    flr_before_ml: Number | None = None
    flr_after_ml: Number | None = None
    days_between: int | None = None


@dataclass(frozen=True, slots=True)
class RemnantPlan:
    resection: str | None = None
    """A named resection (``mdt.anatomy.RESECTIONS``) or None."""
    segments: tuple[str, ...] | None = None
    """The segments that stay; give either this or ``resection``, or neither."""
    local_treatment: tuple[LocalTreatment, ...] = ()
    flr_ml: Number | None = None
    tlv_ml: Number | None = None
    liver_condition: str | None = None
    pve: PortalVeinEmbolisation | None = None
    flr_segments: tuple[str, ...] | None = None
    """Extension: the remnant segments the volumes (``flr_ml`` and the PVE volumes) were
    measured for.  A volume belongs to its segments: when the plan keeps other segments it is
    stale and the evaluation does not use it.  None on a volume recorded before this field
    existed: it is taken as measured for the plan recorded beside it (and the evaluation says
    so)."""


@dataclass(frozen=True, slots=True)
class Clinical:
    prior_systemic_lines: int | None = None
    """Lines of systemic treatment given for METASTATIC disease before this review's protocol;
    adjuvant chemotherapy after resection of the primary is recorded apart
    (``prior_adjuvant``)."""
    neuropathy_grade: int | None = None
    life_expectancy_months: Number | None = None
    cea: Number | None = None
    """ng/mL"""
    ca19_9: Number | None = None
    """U/mL"""
    # extensions (NCT06988852, Child-Pugh, Fong score):
    lvef_pct: Number | None = None
    fev1_fvc_pct: Number | None = None
    ascites: str | None = None
    encephalopathy: str | None = None
    node_positive_primary: bool | None = None
    disease_free_interval_months: Number | None = None
    synchronous: bool | None = None
    prior_adjuvant: bool | None = None
    """Extension: adjuvant chemotherapy was given after resection of the primary (NCT05103020
    allows it and stratifies on it; it is not a line for metastatic disease)."""
    prior_systemic_response: str | None = None
    """Extension: one of PRIOR_SYSTEMIC_RESPONSES."""
    prior_liver_treatment: bool | None = None
    """Extension: liver metastases were already treated by resection, ablation or radiation."""


@dataclass(frozen=True, slots=True)
class Uln:
    """Local upper limits of normal for the labs that are judged against one."""
    ast: Number | None = None
    alt: Number | None = None
    alp: Number | None = None
    bilirubin: Number | None = None
    creatinine: Number | None = None


@dataclass(frozen=True, slots=True)
class Labs:
    anc: Number | None = None          # 10^9/L
    wbc: Number | None = None          # 10^9/L
    hb: Number | None = None           # g/dL
    plt: Number | None = None          # 10^9/L
    ast: Number | None = None          # U/L
    alt: Number | None = None          # U/L
    alp: Number | None = None          # U/L
    bilirubin: Number | None = None    # µmol/L
    creatinine: Number | None = None   # µmol/L
    albumin: Number | None = None      # g/L
    inr: Number | None = None
    proteinuria: str | None = None     # PROTEINURIA
    proteinuria_g_24h: Number | None = None  # extension: needed when dipstick >= 2+
    uln: Uln = field(default_factory=Uln)




@dataclass(frozen=True, slots=True)
class VoteChange:
    """One change of a recorded rating (extension: ``panel.votes[].changes``): a second rating
    by the same member in the same round, or a withdrawal, always with its reason."""
    from_rating: str | None
    """The rating before the change (one of RATINGS); None when it had been withdrawn."""
    to_rating: str | None
    """The rating after the change; None when the rating was withdrawn."""
    reason: str
    at: datetime | None = None
    """When the change was recorded (UTC); None when a file does not say."""
    by: str | None = None
    """Who recorded the change (the acting user)."""


@dataclass(frozen=True, slots=True)
class Vote:
    member: str
    role: str | None
    rating: str  # RATINGS
    round: int = 1
    """Extension: CAIRO5 asks two more surgeons in round 2 when round 1 has no consensus."""
    comment: str | None = None
    changes: tuple[VoteChange, ...] = ()
    """Extension: every change since the first rating, oldest first (the minutes print them)."""
    withdrawn: bool = False
    """Extension: the rating was withdrawn (the last change says why); it is not counted.
    ``rating`` keeps the rating that was withdrawn."""


@dataclass(frozen=True, slots=True)
class Decision:
    resectability: str | None = None   # RATINGS
    plan: str | None = None            # PLANS
    rationale: str | None = None
    next_review: date | None = None
    # extensions:
    dissent: str | None = None
    responsible: str | None = None
    rule: str | None = None
    """How the panel reached it: ``consensus``, ``majority``, ``chair``."""
    protocol: str | None = None
    """Id of the protocol the decision was made under (its criteria as shown then)."""
    protocol_version: str | None = None
    """That protocol's version: a later version must not silently re-judge a signed decision."""


@dataclass(frozen=True, slots=True)
class Panel:
    votes: tuple[Vote, ...] = ()
    decision: Decision | None = None


@dataclass(frozen=True, slots=True)
class Review:
    date: date
    cycle: int | None = None
    height_cm: Number | None = None
    weight_kg: Number | None = None
    imaging: Imaging | None = None
    lesions: tuple[Lesion, ...] = ()
    vessels: tuple[VesselContact, ...] | None = None
    """None: vessel relations NOT ASSESSED (every vessel criterion is unknown); ``()``:
    assessed, no vascular contact.  A new review starts not assessed."""
    remnant: RemnantPlan | None = None
    tumour_burden_pct: Number | None = None
    extrahepatic_disease: str | None = None
    ecog: int | None = None
    clinical: Clinical = field(default_factory=Clinical)
    labs: Labs = field(default_factory=Labs)
    panel: Panel = field(default_factory=Panel)
    reason: str | None = None
    """Extension: reason for discussion (baseline, re-assessment, progression, post-op...)."""

    def lesion(self, lesion_id: str) -> Lesion | None:
        for les in self.lesions:
            if les.id == lesion_id:
                return les
        return None


@dataclass(frozen=True, slots=True)
class LocalTreatmentEvent:
    """One local treatment of the liver metastases (extension: ``follow_up.local_treatments``)."""
    date: date
    kind: str
    """One of LOCAL_TREATMENT_KINDS."""
    lesions: tuple[str, ...] = ()
    """Ids of the lesions treated, as named in the reviews."""
    margin: str | None = None
    """R0, R1 or R2 (resection); None when not recorded (or ablation alone)."""
    clavien_dindo_30d: str | None = None
    """Worst Clavien-Dindo grade within 30 days; None when not recorded."""
    clavien_dindo_90d: str | None = None
    """Worst Clavien-Dindo grade within 90 days (includes the first 30)."""
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ProgressionEvent:
    """Progression of the disease (extension: ``follow_up.progressions``)."""
    date: date
    site: str
    """One of PROGRESSION_SITES."""
    note: str | None = None


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What happened to the patient after the board's decisions (extension: ``follow_up``).

    The end of the course (``treatment.outcome``) follows from these events and the panel's
    decisions (``mdt.course_end.derive_end``); it is never a second free field."""
    local_treatments: tuple[LocalTreatmentEvent, ...] = ()
    progressions: tuple[ProgressionEvent, ...] = ()
    last_follow_up: date | None = None
    """Last date the patient was known to be alive."""
    death_date: date | None = None
    end: str | None = None
    """Why follow-up stopped before death (FOLLOW_UP_ENDS), dated ``last_follow_up``."""


@dataclass(frozen=True, slots=True)
class Case:
    """One patient, their protocol and their reviews, oldest first."""
    patient: Patient
    protocol: ProtocolRef = field(default_factory=ProtocolRef)
    reviews: tuple[Review, ...] = ()
    treatment: Treatment | None = None
    follow_up: FollowUp | None = None


def enrolment_review_index(case: Case) -> int | None:
    """The review at which trial eligibility is judged: the latest review on or before
    ``protocol.enrolment_date``; the first review when there is no enrolment date or it is
    earlier than every review; None when the case has no review."""
    if not case.reviews:
        return None
    on = case.protocol.enrolment_date
    if on is None:
        return 0
    found = 0
    for i, review in enumerate(case.reviews):
        if review.date <= on:
            found = i
    return found


FORMAT_ID = "mdt-case/1"
