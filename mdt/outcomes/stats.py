"""The statistics of the endpoints, through scipy and lifelines (pinned in requirements.txt).

* exact (Clopper-Pearson) binomial intervals: ``scipy.stats.binomtest(...).proportion_ci``;
* odds ratio with Woolf's (log-normal) interval and Fisher's exact two-sided p:
  ``scipy.stats.contingency.odds_ratio(kind="sample")`` and ``scipy.stats.fisher_exact``;
* Kaplan-Meier with Greenwood (exponential) intervals and the median's interval:
  ``lifelines.KaplanMeierFitter`` and ``lifelines.utils.median_survival_times``;
* log-rank: ``lifelines.statistics.logrank_test``; Cox hazard ratio: ``lifelines.CoxPHFitter``;
* Fleiss' kappa with Gwet's variance (Gwet KL, Handbook of Inter-Rater Reliability, 4th ed.
  2014, ch. 5; valid for a varying number of raters) and a t interval, in numpy.

Every function takes plain numbers and returns plain dataclasses; nothing here knows a case.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True)
class Proportion:
    k: int
    n: int
    p: float | None
    low: float | None
    high: float | None


def proportion(k: int, n: int) -> Proportion:
    """k of n with the exact Clopper-Pearson 95 % interval (None when n is 0)."""
    if n == 0:
        return Proportion(k, n, None, None, None)
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=CONFIDENCE, method="exact")
    return Proportion(k, n, k / n, float(ci.low), float(ci.high))


@dataclass(frozen=True, slots=True)
class OddsRatio:
    estimate: float | None
    low: float | None
    high: float | None
    p: float
    """Fisher's exact test, two-sided."""
    note: str = ""


def odds_ratio(k_ref: int, n_ref: int, k: int, n: int) -> OddsRatio:
    """Odds of the event in the compared group over the reference group.  The table is
    [[k, n-k], [k_ref, n_ref-k_ref]]; with a zero cell Woolf's interval is undefined and the
    note says so (the Fisher p stands)."""
    from scipy.stats import fisher_exact
    from scipy.stats.contingency import odds_ratio as scipy_or

    table = np.array([[k, n - k], [k_ref, n_ref - k_ref]])
    p = float(fisher_exact(table, alternative="two-sided").pvalue)
    if min(k, n - k, k_ref, n_ref - k_ref) == 0:
        return OddsRatio(None, None, None, p, "a cell of the 2x2 table is 0: no odds ratio or Woolf interval")
    res = scipy_or(table, kind="sample")
    ci = res.confidence_interval(confidence_level=CONFIDENCE, alternative="two-sided")
    return OddsRatio(float(res.statistic), float(ci.low), float(ci.high), p)


@dataclass(frozen=True, slots=True)
class KMCurve:
    times: tuple[float, ...]
    """Days, starting at 0, one per step."""
    survival: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    censored: tuple[float, ...]
    """Days of the censored observations (tick marks)."""
    n: int
    events: int
    median: float | None
    """Days; None when the curve does not reach 0.5 (not reached)."""
    median_low: float | None
    median_high: float | None


def kaplan_meier(days: Sequence[float], events: Sequence[bool]) -> KMCurve | None:
    """Kaplan-Meier estimate (lifelines) of times in days; None without observations."""
    if not days:
        return None
    from lifelines import KaplanMeierFitter  # type: ignore[import-untyped]  # lifelines: no stubs
    from lifelines.utils import median_survival_times  # type: ignore[import-untyped]  # lifelines: no stubs

    t = np.asarray(days, dtype=float)
    e = np.asarray(events, dtype=bool)
    kmf = KaplanMeierFitter(alpha=1 - CONFIDENCE).fit(t, e)
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_survival_function_
    med = float(kmf.median_survival_time_)
    med_ci = median_survival_times(kmf.confidence_interval_)
    lo, hi = (float(med_ci.iloc[0, 0]), float(med_ci.iloc[0, 1]))

    def finite(x: float) -> float | None:
        return None if math.isinf(x) or math.isnan(x) else x

    return KMCurve(
        times=tuple(float(x) for x in sf.index), survival=tuple(float(x) for x in sf.values),
        low=tuple(float(x) for x in ci.iloc[:, 0].values), high=tuple(float(x) for x in ci.iloc[:, 1].values),
        censored=tuple(float(x) for x in t[~e]), n=len(t), events=int(e.sum()),
        median=finite(med), median_low=finite(lo), median_high=finite(hi))


def at_risk(days: Sequence[float], at: Sequence[float]) -> list[int]:
    """Numbers at risk at each time: observations with a time >= it."""
    t = np.sort(np.asarray(days, dtype=float))
    return [int(len(t) - np.searchsorted(t, x, side="left")) for x in at]


@dataclass(frozen=True, slots=True)
class Comparison:
    hazard_ratio: float | None
    low: float | None
    high: float | None
    cox_p: float | None
    logrank_p: float | None
    note: str = ""


def compare_survival(days_ref: Sequence[float], ev_ref: Sequence[bool],
                     days: Sequence[float], ev: Sequence[bool]) -> Comparison:
    """Log-rank p and the Cox hazard ratio (compared group over reference) with its interval."""
    if not days_ref or not days:
        return Comparison(None, None, None, None, None, "an arm has no patient with follow-up")
    from lifelines.statistics import logrank_test  # type: ignore[import-untyped]  # lifelines: no stubs

    lr = logrank_test(np.asarray(days_ref, float), np.asarray(days, float),
                      event_observed_A=np.asarray(ev_ref, bool), event_observed_B=np.asarray(ev, bool))
    p = float(lr.p_value)
    if sum(ev_ref) + sum(ev) == 0:
        return Comparison(None, None, None, None, None if math.isnan(p) else p,
                          "no event in either arm: no hazard ratio")
    import pandas as pd
    from lifelines import CoxPHFitter

    frame = pd.DataFrame({"T": np.concatenate([np.asarray(days_ref, float), np.asarray(days, float)]),
                          "E": np.concatenate([np.asarray(ev_ref, bool), np.asarray(ev, bool)]),
                          "arm": np.r_[np.zeros(len(days_ref)), np.ones(len(days))]})
    try:
        # Batch mode computes Efron's tie correction per distinct time at once: the same fit,
        # many times faster when many patients share a time (a large cohort in days).
        cph = CoxPHFitter(alpha=1 - CONFIDENCE).fit(frame, "T", "E", batch_mode=True)
    except Exception as exc:  # noqa: BLE001 - lifelines raises several kinds on separation
        return Comparison(None, None, None, None, p, f"Cox model did not converge ({type(exc).__name__})")
    s = cph.summary.loc["arm"]
    return Comparison(float(s["exp(coef)"]), float(s["exp(coef) lower 95%"]),
                      float(s["exp(coef) upper 95%"]), float(s["p"]), p)


@dataclass(frozen=True, slots=True)
class Kappa:
    subjects: int
    kappa: float | None
    se: float | None
    low: float | None
    high: float | None
    agreement: float | None
    """Share of subjects on which every rating agrees."""


def fleiss_kappa(counts: np.ndarray) -> Kappa:
    """Fleiss' kappa of a subjects x categories table of rating counts, with Gwet's variance
    (irrCAC's ``fleiss.kappa.raw``, unweighted, no finite-population correction) and a
    95 % t interval with n-1 degrees of freedom.  Subjects need at least 2 ratings."""
    from scipy.stats import t as student_t

    r = np.asarray(counts, dtype=float)
    r = r[r.sum(axis=1) >= 2]
    n = len(r)
    if n == 0:
        return Kappa(0, None, None, None, None, None)
    ri = r.sum(axis=1)
    agree = float(np.mean(r.max(axis=1) == ri))
    pa_i = (r * (r - 1)).sum(axis=1) / (ri * (ri - 1))
    pa = float(pa_i.mean())
    pi_k = (r / ri[:, None]).mean(axis=0)
    pe = float((pi_k ** 2).sum())
    if pe >= 1:
        return Kappa(n, None, None, None, None, agree)
    kappa = (pa - pe) / (1 - pe)
    if n < 2:
        return Kappa(n, kappa, None, None, None, agree)
    kappa_i = (pa_i - pe) / (1 - pe)
    pe_i = (r @ pi_k) / ri
    kappa_star = kappa_i - 2 * (1 - kappa) * (pe_i - pe) / (1 - pe)
    var = float(((kappa_star - kappa) ** 2).sum() / (n * (n - 1)))
    se = math.sqrt(var)
    q = float(student_t.ppf(1 - (1 - CONFIDENCE) / 2, n - 1))
    return Kappa(n, kappa, se, kappa - q * se, kappa + q * se, agree)
