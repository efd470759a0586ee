"""Three-valued logic as properties over generated cases, for every shipped protocol:
an unknown always names what is missing, and taking a recorded value away can turn a
criterion unknown but never turn it from met to not_met or back (missing data never passes)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace

import pytest

from mdt.case import Case
from mdt.protocols import evaluate, load_protocols
from tests.engine_fixtures import random_case

PROTOCOLS = sorted(load_protocols())


def _without(c: Case) -> Iterator[tuple[str, Case]]:
    """The case with one recorded value of its latest review (or patient) taken away.

    Left out on purpose, because docs/clinical/conventions.md gives them a defined fallback rather than
    "unknown": remnant.tlv_ml (Vauthey estimate), tumour_burden_pct (sphere estimate), a
    target's diameter (5 mm when present but too small to measure) and remnant.flr_ml (with no
    volume measured for the plan the segment test decides alone and volumetry is advised:
    docs/clinical/conventions.md#volume-is-part-of-adequate).  A volume that IS measured but
    cannot be judged is unknown: tests/test_readings_properties.py checks that every value the
    missing liver condition or weeks of chemotherapy could take agrees with a decided answer."""
    r = c.reviews[-1]

    def with_review(**kw: object) -> Case:
        return replace(c, reviews=c.reviews[:-1] + (replace(r, **kw),))

    for name in ("height_cm", "weight_kg", "extrahepatic_disease", "ecog"):
        if getattr(r, name) is not None:
            yield name, with_review(**{name: None})
    for name in ("anc", "hb", "plt", "ast", "alt", "alp", "bilirubin", "creatinine",
                 "proteinuria", "wbc", "albumin", "inr"):
        if getattr(r.labs, name) is not None:
            yield f"labs.{name}", with_review(labs=replace(r.labs, **{name: None}))
    for name in ("ast", "bilirubin", "creatinine"):
        yield f"uln.{name}", with_review(labs=replace(r.labs, uln=replace(r.labs.uln,
                                                                          **{name: None})))
    for name in ("prior_systemic_lines", "neuropathy_grade", "life_expectancy_months", "cea",
                 "ca19_9", "lvef_pct", "ascites"):
        if getattr(r.clinical, name) is not None:
            yield f"clinical.{name}", with_review(clinical=replace(r.clinical, **{name: None}))
    if r.remnant is not None:
        for name in ("liver_condition",):
            yield f"remnant.{name}", with_review(remnant=replace(r.remnant, **{name: None}))
    yield "birth_date", replace(c, patient=replace(c.patient, birth_date=None))
    yield "sex", replace(c, patient=replace(c.patient, sex=None))


CASES = [random_case(random.Random(seed)) for seed in range(40)]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_unknown_names_the_missing_field(protocol: str) -> None:
    for c in CASES:
        for i in range(len(c.reviews)):
            ev = evaluate(c, i, protocol)
            for f in ev.criteria:
                if f.status == "unknown":
                    assert f.missing, (protocol, f.id, f.explanation)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_taking_data_away_never_decides_differently(protocol: str) -> None:
    for c in CASES:
        ev = evaluate(c, None, protocol)
        before = {f.id: f.status for f in ev.criteria}
        for name, less in _without(c):
            ev2 = evaluate(less, None, protocol)
            for f in ev2.criteria:
                assert f.status in (before[f.id], "unknown"), (name, f.id, f.explanation)
            for axis in ("resectability", "eligibility"):
                a, b = getattr(ev, axis), getattr(ev2, axis)
                assert b in (a, "indeterminate"), (name, axis, a, b)
