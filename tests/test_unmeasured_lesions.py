"""Lesions recorded without a diameter in the rules that do arithmetic on diameters.

The type checker found two places where a diameter that may be missing is cubed (E3's sphere
estimate) or compared with a limit (RECIST measurability).  Both were guarded by an earlier
test; these cases pin the behaviour the guards give: a missing diameter is "unknown" and
named, never a crash and never a pass.
"""

from __future__ import annotations

import pytest

from tests.engine_fixtures import evaluate_review, finding, les, review


@pytest.mark.parametrize(("lesions", "expected", "missing"), [
    ([les("L1", "VI", d=12), les("L2", "VII", d=None)], "met", ()),
    ([les("L1", "VI", d=8), les("L2", "VII", d=None)], "unknown", ("reviews[0].lesions[1].diameter_mm",)),
    ([les("L1", "VI", d=None), les("L2", "VII", d=None)], "unknown",
     ("reviews[0].lesions[0].diameter_mm", "reviews[0].lesions[1].diameter_mm")),
    ([les("L1", "VI", d=8), les("L2", "VII", d=9.9)], "not_met", ()),
])
def test_measurable_disease_with_unmeasured_lesions(lesions: list, expected: str,
                                                    missing: tuple[str, ...]) -> None:
    f = finding(evaluate_review(review(lesions), "SULTAN"), "measurable_disease")
    assert (f.status, f.missing) == (expected, missing), f.explanation
    if expected == "met":
        assert "L1 12 mm" in f.explanation and "L2" not in f.explanation


@pytest.mark.parametrize("unmeasured", [0, 1, 2])
def test_e3_estimate_with_an_unmeasured_lesion_names_it(unmeasured: int) -> None:
    lesions = [les("L1", "V", d=40), les("L2", "III", d=20), les("L3", "VI", d=15)]
    lesions[unmeasured] = les(lesions[unmeasured].id, *lesions[unmeasured].segments, d=None)
    f = finding(evaluate_review(review(lesions)), "e3_bilobar_burden")
    assert f.status == "unknown", f.explanation
    assert f"reviews[0].lesions[{unmeasured}].diameter_mm" in f.missing


def test_e3_estimate_with_every_lesion_measured_decides() -> None:
    f = finding(evaluate_review(review([les("L1", "V", d=40), les("L2", "III", d=20)])),
                "e3_bilobar_burden")
    assert f.status == "not_met", f.explanation
