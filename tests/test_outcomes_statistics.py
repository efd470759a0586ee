"""The endpoint statistics reproduce published figures and the libraries' own results from
patient-level records built to match them."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from scipy.stats import binomtest, fisher_exact
from scipy.stats.contingency import odds_ratio

from mdt.outcomes.facts import cohort_facts
from mdt.outcomes.report import Filters, build_report
from mdt.outcomes.stats import fleiss_kappa, proportion
from tests.outcomes_fixtures import ENROLLED, trial_case, two_by_two


def _row(cases, protocol, row_id):
    facts, _ = cohort_facts(cases)
    (section,) = build_report(facts, Filters(protocol=protocol)).sections
    return section, next(r for r in section.rows if r.id == row_id)


def test_sultan_conversion_to_resection_or_ablation_gives_the_published_odds_ratio_and_p():
    """SULTAN abstract (Ann Surg Oncol 2025): CTR 7/11 (arm A) vs 2/9 (arm B), OR 0.16,
    95 % CI 0.02-1.2, p = 0.09; conversion counts resection or ablation."""
    cases = two_by_two("SULTAN", (7, 11), (2, 9))
    # One of arm A's conversions is an ablation alone: SULTAN counts it.
    cases[0] = trial_case("A-0", "SULTAN", "A", converted=True, kind="ablation", alive_day=200)
    section, row = _row(cases, "SULTAN", "conversion")
    assert (row.cells["A"].k, row.cells["A"].n, row.cells["B"].k, row.cells["B"].n) == (7, 11, 2, 9)
    cmp = row.comparison_values
    assert (cmp["reference"], cmp["compared"]) == ("A", "B")
    assert round(cmp["estimate"], 2) == 0.16
    assert round(cmp["low"], 2) == 0.02 and round(cmp["high"], 1) == 1.2
    assert round(cmp["fisher_p"], 2) == 0.09
    assert "OR B vs A 0.16" in row.comparison


def test_nct05103020_does_not_count_ablation_alone_as_conversion():
    cases = two_by_two("NCT05103020", (3, 5), (1, 5))
    cases[0] = trial_case("A-0", "NCT05103020", "A", converted=True, kind="ablation", alive_day=200)
    _, row = _row(cases, "NCT05103020", "conversion")
    assert row.cells["A"].k == 2


@pytest.mark.parametrize("ref,other", [((7, 11), (2, 9)), ((12, 30), (20, 31)), ((5, 40), (9, 38))])
def test_odds_ratio_woolf_interval_and_fisher_p_equal_scipy(ref, other):
    _, row = _row(two_by_two("SULTAN", ref, other), "SULTAN", "conversion")
    table = [[other[0], other[1] - other[0]], [ref[0], ref[1] - ref[0]]]
    res = odds_ratio(table, kind="sample")
    ci = res.confidence_interval(0.95)
    cmp = row.comparison_values
    assert cmp["estimate"] == pytest.approx(res.statistic)
    assert (cmp["low"], cmp["high"]) == pytest.approx((ci.low, ci.high))
    assert cmp["fisher_p"] == pytest.approx(fisher_exact(table).pvalue)
    # Woolf by hand: exp(log OR +- 1.96 sqrt(sum 1/cells))
    se = np.sqrt(sum(1 / x for row_ in table for x in row_))
    assert cmp["low"] == pytest.approx(np.exp(np.log(res.statistic) - 1.959964 * se), rel=1e-5)


@pytest.mark.parametrize("k,n", [(0, 10), (7, 11), (10, 10), (13, 57)])
def test_rates_carry_exact_clopper_pearson_intervals(k, n):
    ci = binomtest(k, n).proportion_ci(method="exact")
    got = proportion(k, n)
    assert (got.low, got.high) == pytest.approx((ci.low, ci.high))


def test_lifelines_waltons_gives_lifelines_medians_and_log_rank_through_the_case_records():
    from lifelines import KaplanMeierFitter
    from lifelines.datasets import load_waltons
    from lifelines.statistics import logrank_test

    df = load_waltons()
    cases = []
    for i, (t, e, group) in enumerate(zip(df["T"], df["E"], df["group"], strict=True)):
        arm = "control" if group == "control" else "miR-137"
        day = int(t)
        cases.append(trial_case(f"W{i}", "SULTAN", arm, death_day=day if e else None,
                                alive_day=None if e else day))
    section, row = _row(cases, "SULTAN", "os")
    for arm in ("control", "miR-137"):
        sub = df[df.group == arm]
        kmf = KaplanMeierFitter().fit(sub["T"], sub["E"])
        curve = next(s for s in section.survival if s.endpoint == "os").curves[arm]
        assert curve.median == pytest.approx(kmf.median_survival_time_)
        assert curve.n == len(sub) and curve.events == int(sub["E"].sum())
    a, b = df[df.group == "control"], df[df.group == "miR-137"]
    expected = logrank_test(a["T"], b["T"], a["E"], b["E"]).p_value
    assert row.comparison_values["logrank_p"] == pytest.approx(expected)
    assert row.comparison_values["reference"] == "control"
    assert row.comparison_values["estimate"] > 1  # miR-137 dies faster


def test_numbers_at_risk_count_patients_still_followed():
    cases = [trial_case(f"P{i}", "SULTAN", "A", alive_day=d) for i, d in enumerate((30, 200, 400, 800))]
    facts, _ = cohort_facts(cases)
    (section,) = build_report(facts).sections
    os_ = next(s for s in section.survival if s.endpoint == "os")
    assert os_.at_risk["A"][0] == 4 and os_.at_risk["A"][1] == 3  # at 6 months: 200, 400, 800 days


def test_fleiss_kappa_of_the_published_example():
    """Fleiss' kappa worked example (10 subjects, 14 raters, 5 categories): kappa = 0.210."""
    table = np.array([[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
                      [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]])
    k = fleiss_kappa(table)
    assert round(k.kappa, 3) == 0.210
    assert k.low < k.kappa < k.high
    perfect = fleiss_kappa(np.array([[3, 0, 0], [0, 3, 0], [0, 0, 3]]))
    assert perfect.kappa == pytest.approx(1.0) and perfect.agreement == 1.0


def test_every_row_says_what_it_counts_and_leaves_out():
    facts, _ = cohort_facts(two_by_two("SULTAN", (3, 5), (1, 4)))
    (section,) = build_report(facts).sections
    for row in section.rows:
        assert row.counts and row.leaves_out, row.id


def test_patients_without_follow_up_are_left_out_of_survival_and_said_so():
    cases = [trial_case("P1", "SULTAN", "A", alive_day=100), trial_case("P2", "SULTAN", "A")]
    cases[1] = cases[1].__class__(cases[1].patient, cases[1].protocol, (), None, None)  # nothing after enrolment
    _, row = _row(cases, "SULTAN", "os")
    assert row.cells["overall"].left_out == 1 and "1 without follow-up" in row.leaves_out


def test_period_filter_keeps_patients_enrolled_in_it():
    cases = two_by_two("SULTAN", (1, 2), (1, 2))
    facts, _ = cohort_facts(cases)
    assert build_report(facts, Filters(enrolled_from=ENROLLED + timedelta(days=1))).sections == ()
    assert len(build_report(facts, Filters(enrolled_to=ENROLLED)).sections) == 1


def test_cox_hazard_ratio_equals_lifelines_default_fit():
    """The Cox fit runs lifelines in batch mode (fast with tied times): the same estimate as
    lifelines' default fit."""
    import pandas as pd
    from lifelines import CoxPHFitter
    from lifelines.datasets import load_waltons

    from mdt.outcomes.stats import compare_survival

    df = load_waltons()
    ref, other = df[df.group == "control"], df[df.group == "miR-137"]
    got = compare_survival(list(ref["T"]), list(ref["E"].astype(bool)), list(other["T"]),
                           list(other["E"].astype(bool)))
    frame = pd.DataFrame({"T": df["T"], "E": df["E"], "arm": (df.group == "miR-137").astype(float)})
    s = CoxPHFitter().fit(frame, "T", "E").summary.loc["arm"]
    assert got.hazard_ratio == pytest.approx(s["exp(coef)"], rel=1e-6)
    assert (got.low, got.high) == pytest.approx((s["exp(coef) lower 95%"], s["exp(coef) upper 95%"]), rel=1e-6)
