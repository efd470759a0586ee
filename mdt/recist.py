"""RECIST 1.1 response across a patient's reviews, plus early shrinkage and depth of response.

Rules (Eisenhauer EA et al., Eur J Cancer 2009;45:228-247; clarifications Schwartz LH et al.,
Eur J Cancer 2016;62:132-137) as the project applies them
(``docs/clinical/conventions.md#lesions-over-time``):

* The first review is the baseline.  Its lesions marked ``target`` are the target lesions for
  the whole course; its other lesions are the non-target lesions.  The same id at a later review
  is the same lesion; an id first seen after baseline is a new lesion (=> PD).
* A target counts its diameter; present but too small to measure (diameter null) counts 5 mm; a
  disappeared one 0 mm; a measured value under 5 mm counts as measured.
* A baseline lesion missing from a later review (or resected / ablated there) was not assessed:
  the target response is NE, unless the lesions that were measured already show PD (the missing
  ones can only add to the sum).
* PR: sum at least 30 % below the baseline sum.  PD: sum at least 20 % and at least 5 mm above
  the nadir, the smallest *complete* sum of the earlier reviews (baseline included).  After a
  complete response (every lesion gone) any reappearing lesion is PD (RECIST 1.1 FAQ); after a
  target CR with non-targets left, a reappearing target joins the sum (PD from +5 mm).
  Boundaries are compared on exact rationals, never binary floats: 42 mm over a 60 mm
  baseline is PR, 72 mm over a 60 mm nadir is PD.
* Non-target lesions: all gone CR, any present NON-CR/NON-PD, else NE.  Unequivocal
  non-target progression is a reader's judgement the format does not hold, so it is never
  inferred; tumour markers do not enter the non-target CR.
* Every review is scored against all earlier ones, also after a progression.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import lru_cache

from mdt.case import Lesion, Review
from mdt.evaluation import RecistSummary
from mdt.exact import exact, pct_change, to_float

# --- constants of the rule, one place each ----------------------------------------------------

PR_SHRINKAGE = Fraction(30, 100)
"""PR: sum decreased by at least 30 % from baseline (RECIST 1.1 §4.3.1)."""
PD_GROWTH = Fraction(20, 100)
"""PD: sum increased by at least 20 % over the nadir (RECIST 1.1 §4.3.1) ..."""
PD_ABSOLUTE_MM = Fraction(5)
"""... and by at least 5 mm in absolute terms (RECIST 1.1 §4.3.1)."""
TOO_SMALL_MM = Fraction(5)
"""Present but too small to measure counts 5 mm (RECIST 1.1 §4.3.1 note; CDISC guidance)."""
MEASURABLE_MM = Fraction(10)
"""Smallest measurable non-nodal lesion on CT/MRI with slices <= 5 mm (RECIST 1.1 §3.1.1)."""
DEFAULT_TARGET_LIMIT = 2
"""At most 2 target lesions per organ, so 2 in liver-only disease (RECIST 1.1 §3.3.1)."""
DEFAULT_ASSESSMENT_INTERVAL: dict[str, int] = {"weeks": 8, "cycles": 4}
"""When the next review is due if a protocol gives no interval (NCT05103020: tumour assessment
every 8 weeks, i.e. 4 two-weekly cycles).  The one default: protocols, the cohort, the panel's
scheduling and the window read it from here."""
ETS_SHRINKAGE = Fraction(20, 100)
"""Early tumour shrinkage: >= 20 % decrease of the target sum (Piessevaux H et al.,
J Clin Oncol 2013;31:3764-3775, week 8)."""
ETS_WINDOW_DAYS = (42, 70)
"""The first complete review 6 to 10 weeks after baseline is the ETS review (week-8 scan in
CRYSTAL/OPUS, week-6 in AIO KRK 0104); the week used is reported."""
SD_MIN_DAYS = 42
"""SD counts as best overall response only when met at least 6 weeks after baseline
(RECIST 1.1 §4.4.1; the protocol may set 6-8 weeks)."""

CR, PR, SD, PD, NE, NON_CR_NON_PD = "CR", "PR", "SD", "PD", "NE", "NON-CR/NON-PD"
LOCALLY_TREATED = ("ablated", "resected")


@dataclass(frozen=True, slots=True)
class _Sum:
    """A target sum at one review: the measured part and the targets not assessed."""
    measured: Fraction
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def diameter_words(lesion: Lesion, *, in_mm_column: bool = False) -> str:
    """What a lesion's recorded diameter means to the sums, in the words every screen and paper
    uses for it (a null diameter is not one thing): "24 mm"; a present target without a diameter
    is too small to measure and counts 5 mm; a present non-target is not measured (RECIST
    follows non-targets without sizes); a disappeared lesion counts 0 mm; a treated one is not
    measured."""
    unit = "" if in_mm_column else " mm"  # a column headed "(mm)" says the unit once
    if lesion.diameter_mm is not None:
        value = lesion.diameter_mm
        text = str(int(value)) if float(value).is_integer() else str(value)
        return f"{text}{unit}"
    if lesion.status == "disappeared":
        return f"0{unit} (gone)" if in_mm_column else "gone (0 mm)"
    if lesion.status in LOCALLY_TREATED:
        return "not measured" if in_mm_column else f"{lesion.status}, not measured"
    if lesion.target:
        return f"{int(TOO_SMALL_MM)} (too small)" if in_mm_column else f"too small ({int(TOO_SMALL_MM)} mm)"
    return "not measured"


def _lesion_value(lesion: Lesion | None) -> Fraction | None:
    """The length a target lesion adds to the sum, or None when it was not assessed."""
    if lesion is None or lesion.status in LOCALLY_TREATED:
        return None
    if lesion.status == "disappeared":
        return Fraction(0)
    if lesion.diameter_mm is None:
        return TOO_SMALL_MM
    return exact(lesion.diameter_mm)


def _target_sum(review: Review, target_ids: Sequence[str]) -> _Sum:
    whole = 0  # the whole-millimetre values, summed as integers (exact, and much faster)
    rest: list[Fraction] = []
    missing: list[str] = []
    for lesion_id in target_ids:
        value = _lesion_value(review.lesion(lesion_id))
        if value is None:
            missing.append(lesion_id)
        elif value.denominator == 1:
            whole += value.numerator
        else:
            rest.append(value)
    measured = Fraction(whole)
    for value in rest:
        measured += value
    return _Sum(measured, tuple(missing))


def _is_pd(current: Fraction, nadir: Fraction) -> bool:
    """PD against the nadir, exact: +20 % and +5 mm (over a 0 mm nadir: +5 mm)."""
    return current - nadir >= PD_ABSOLUTE_MM and current - nadir >= PD_GROWTH * nadir


def _all_gone(review: Review, target_ids: Sequence[str], non_target_ids: Sequence[str],
              baseline_ids: set[str]) -> bool:
    """Complete response at this review: every baseline lesion assessed and gone, nothing new."""
    if not target_ids and not non_target_ids:
        return False
    if any(_lesion_value(review.lesion(i)) != 0 for i in target_ids):
        return False
    for lesion_id in non_target_ids:
        lesion = review.lesion(lesion_id)
        if lesion is None or lesion.status != "disappeared":
            return False
    return not any(les.id not in baseline_ids and les.status != "disappeared"
                   for les in review.lesions)


def _is_pr(current: Fraction, baseline: Fraction) -> bool:
    return baseline > 0 and baseline - current >= PR_SHRINKAGE * baseline


def _mm(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _pct(new: Fraction, old: Fraction | None) -> float | None:
    if old is None or old == 0:
        return None
    return to_float(pct_change(new, old), 1)


def _ids(lesions: Sequence[Lesion]) -> list[str]:
    return [les.id for les in lesions]


@lru_cache(maxsize=4096)
def _natural(lesion_id: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting L2 before L10."""
    parts = re.split(r"(\d+)", lesion_id)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def _sorted_ids(ids: Sequence[str]) -> tuple[str, ...]:
    # Lesion order in a review never matters: every id list we use or report is sorted.
    return tuple(sorted(ids, key=_natural))


def _baseline_warnings(baseline: Review, target_ids: Sequence[str], target_limit: int) -> list[str]:
    warnings: list[str] = []
    if len(target_ids) > target_limit:
        warnings.append(
            f"{len(target_ids)} target lesions at baseline; the protocol allows {target_limit} "
            f"(RECIST 1.1: at most 2 per organ); the sums use all lesions marked as targets"
        )
    for lesion_id in target_ids:
        lesion = baseline.lesion(lesion_id)
        assert lesion is not None
        if lesion.status in LOCALLY_TREATED or lesion.status == "disappeared":
            warnings.append(f"baseline target {lesion_id} is recorded as {lesion.status}")
        elif lesion.diameter_mm is None:
            warnings.append(
                f"baseline target {lesion_id} has no diameter: not measurable, counted 5 mm"
            )
        elif exact(lesion.diameter_mm) < MEASURABLE_MM:
            warnings.append(
                f"baseline target {lesion_id} measures {lesion.diameter_mm} mm, under the "
                f"10 mm RECIST measurability limit"
            )
    return warnings


def _duplicate_warnings(review: Review, label: str) -> list[str]:
    ids = _ids(review.lesions)
    dups = sorted({i for i in ids if ids.count(i) > 1})
    return [f"lesion id {i} appears more than once at {label}; the first entry is used"
            for i in dups]


def _non_target_response(review: Review, non_target_ids: Sequence[str]) -> tuple[str | None, list[str]]:
    """CR, NON-CR/NON-PD or NE; None when the baseline had no non-target lesion.

    Unequivocal non-target progression is a reader's judgement the case format does not record,
    so it is never inferred here; tumour markers are not part of this check either.
    """
    if not non_target_ids:
        return None, []
    present: list[str] = []
    not_assessed: list[str] = []
    for lesion_id in non_target_ids:
        lesion = review.lesion(lesion_id)
        if lesion is None or lesion.status in LOCALLY_TREATED:
            not_assessed.append(lesion_id)
        elif lesion.status != "disappeared":
            present.append(lesion_id)
    warnings = [f"non-target {i} not assessed at this review" for i in not_assessed]
    if present:
        return NON_CR_NON_PD, warnings
    if not_assessed:
        return NE, warnings
    return CR, warnings


def _new_lesions(review: Review, baseline_ids: set[str]) -> tuple[tuple[str, ...], list[str]]:
    new: list[str] = []
    warnings: list[str] = []
    for lesion in sorted(review.lesions, key=lambda les: _natural(les.id)):
        if lesion.id in baseline_ids or lesion.id in new:
            continue
        if lesion.status == "disappeared":
            warnings.append(f"lesion {lesion.id} is not in the baseline review and is recorded "
                            f"as disappeared: not counted as a new lesion")
            continue
        new.append(lesion.id)
    return _sorted_ids(new), warnings


def _early_tumour_shrinkage(
    reviews: Sequence[Review], index: int, sums: Sequence[_Sum], baseline: Fraction
) -> tuple[bool | None, int | None, list[str]]:
    """ETS at the first complete review 6-10 weeks after baseline, if reached by ``index``."""
    start = reviews[0].date
    low, high = ETS_WINDOW_DAYS
    in_window_incomplete: list[int] = []
    for j in range(1, index + 1):
        days = (reviews[j].date - start).days
        if low <= days <= high:
            if sums[j].complete:
                if baseline == 0:
                    return None, None, ["early tumour shrinkage unknown: baseline sum is 0 mm"]
                week = round(days / 7)
                shrunk = baseline - sums[j].measured >= ETS_SHRINKAGE * baseline
                return shrunk, week, []
            in_window_incomplete.append(j)
    if in_window_incomplete:
        return None, None, ["early tumour shrinkage unknown: the review 6-10 weeks after "
                            "baseline has targets not assessed"]
    if index == 0 or (reviews[index].date - start).days <= high:
        return None, None, []  # not yet due: no warning
    return None, None, ["early tumour shrinkage unknown: no review 6-10 weeks after baseline"]


def assess(reviews: Sequence[Review], index: int, target_limit: int = DEFAULT_TARGET_LIMIT
           ) -> RecistSummary:
    """RECIST 1.1 at ``reviews[index]`` against the earlier reviews (``reviews`` oldest first).

    Sums are reported in mm, percentages rounded to 0.1 for display; every decision is made on
    the exact values.  An incomplete sum (a target not assessed) is reported as the sum of the
    measured targets with a warning; its change from baseline is then not given, and its change
    from the nadir only when it already proves PD.
    """
    if not reviews:
        raise ValueError("RECIST needs at least the baseline review")
    if not 0 <= index < len(reviews):
        raise IndexError(f"review index {index} out of range 0..{len(reviews) - 1}")

    baseline_review = reviews[0]
    baseline_ids = set(_ids(baseline_review.lesions))
    # First entry wins for duplicated ids, like Review.lesion().
    first: dict[str, Lesion] = {}
    for les in baseline_review.lesions:
        first.setdefault(les.id, les)
    target_ids = _sorted_ids([i for i, les in first.items() if les.target])
    non_target_ids = _sorted_ids([i for i, les in first.items() if not les.target])
    warnings = _baseline_warnings(baseline_review, target_ids, target_limit)
    warnings += _duplicate_warnings(baseline_review, "baseline")

    sums = [_target_sum(r, target_ids) for r in reviews[: index + 1]]
    baseline_sum = sums[0].measured if sums[0].complete and target_ids else None
    current = sums[index]

    # Depth of response (FIRE-3 analyses, Mansmann / Heinemann): shrinkage at the nadir of the
    # complete follow-up sums so far (this review included) against baseline, positive for
    # shrinkage, negative when every follow-up sum grew; None at baseline.
    depth: float | None = None
    follow_up = [s.measured for s in sums[1:] if s.complete]
    if baseline_sum is not None and baseline_sum > 0 and follow_up:
        depth = to_float((baseline_sum - min(follow_up)) * 100 / baseline_sum, 1)

    ets: bool | None = None
    ets_week: int | None = None
    ets_warnings: list[str] = []
    if baseline_sum is not None:
        ets, ets_week, ets_warnings = _early_tumour_shrinkage(reviews, index, sums, baseline_sum)

    if index == 0:
        if not target_ids and not non_target_ids:
            warnings.append("no lesion recorded at baseline")
        return RecistSummary(
            sld_mm=_mm(baseline_sum) if target_ids else None,
            baseline_sld_mm=_mm(baseline_sum),
            nadir_sld_mm=_mm(baseline_sum),
            change_from_baseline_pct=0.0 if baseline_sum else None,
            change_from_nadir_pct=0.0 if baseline_sum else None,
            response=NE,
            target_response=None,
            non_target_response=None,
            new_lesions=(),
            early_tumour_shrinkage=None,
            depth_of_response_pct=depth,
            warnings=tuple(warnings),
            ets_week=None,
        )

    review = reviews[index]
    label = f"review {index}"
    if review.date < baseline_review.date:
        warnings.append(f"{label} ({review.date}) is dated before the baseline "
                        f"({baseline_review.date})")
    warnings += _duplicate_warnings(review, label)
    for lesion_id in target_ids:
        lesion = review.lesion(lesion_id)
        if lesion is None:
            warnings.append(f"target {lesion_id} not assessed at this review")
        elif lesion.status in LOCALLY_TREATED:
            warnings.append(f"target {lesion_id} was {lesion.status}: RECIST does not measure "
                            f"locally treated lesions, so it counts as not assessed")
        elif not lesion.target:
            warnings.append(f"{lesion_id} is a baseline target but is not marked as target here; "
                            f"the baseline designation is kept")
        if lesion is not None and lesion.status == "present" and lesion.diameter_mm is None:
            # 5 mm stands for "too small to measure"; after a measurable size it more likely
            # means "not measured", which would fake a deep response: say so on the review.
            earlier = reviews[index - 1].lesion(lesion_id)
            if earlier is not None and earlier.diameter_mm is not None and \
                    exact(earlier.diameter_mm) >= MEASURABLE_MM:
                warnings.append(f"target {lesion_id} has no diameter here and counts 5 mm (too "
                                f"small to measure), after {earlier.diameter_mm} mm at the "
                                f"previous review: check that it was measured")
    for lesion_id in non_target_ids:
        lesion = review.lesion(lesion_id)
        if lesion is not None and lesion.target:
            warnings.append(f"{lesion_id} is a baseline non-target but is marked as target here; "
                            f"the baseline designation is kept")

    # Nadir: smallest complete sum at an earlier review, baseline included, current excluded.
    earlier_complete = [s.measured for s in sums[:index] if s.complete]
    nadir = min(earlier_complete) if target_ids and earlier_complete else None

    # After a complete response any reappearing lesion is PD (RECIST 1.1 FAQ; Schwartz 2016);
    # after a target CR with non-targets left, a reappearing target joins the sum instead.
    after_cr = any(_all_gone(reviews[j], target_ids, non_target_ids, baseline_ids)
                   for j in range(1, index))
    reappeared = after_cr and current.measured > 0

    target_response: str | None = None
    if target_ids:
        if baseline_sum is None:
            target_response = NE
        elif reappeared or (nadir is not None and _is_pd(current.measured, nadir)):
            target_response = PD  # valid even with targets missing: they only add to the sum
        elif not current.complete:
            target_response = NE
        elif current.measured == 0:
            target_response = CR
        elif _is_pr(current.measured, baseline_sum):
            target_response = PR
        else:
            target_response = SD
    if target_response == PD and reappeared:
        warnings.append("target progression: a target lesion reappeared after complete "
                        "response")
    if target_ids and not current.complete:
        warnings.append("target sum incomplete: " + ", ".join(current.missing) + " not assessed")

    non_target_response, nt_warnings = _non_target_response(review, non_target_ids)
    warnings += nt_warnings
    if after_cr and non_target_response == NON_CR_NON_PD:
        non_target_response = PD
        warnings.append("non-target progression: a non-target lesion reappeared after "
                        "complete response")
    new_lesions, new_warnings = _new_lesions(review, baseline_ids)
    warnings += new_warnings
    if new_lesions:
        warnings.append("new lesion(s) since baseline: " + ", ".join(new_lesions))
    warnings += ets_warnings

    response = _overall(target_ids, target_response, non_target_response, new_lesions)
    if not target_ids and not non_target_ids and not new_lesions:
        warnings.append("no lesion recorded at baseline: response not evaluable")

    change_baseline: float | None = None
    change_nadir: float | None = None
    if target_ids:
        if current.complete:
            change_baseline = _pct(current.measured, baseline_sum)
            change_nadir = _pct(current.measured, nadir)
        elif target_response == PD:
            change_nadir = _pct(current.measured, nadir)

    return RecistSummary(
        sld_mm=_mm(current.measured) if target_ids else None,
        baseline_sld_mm=_mm(baseline_sum),
        nadir_sld_mm=_mm(nadir),
        change_from_baseline_pct=change_baseline,
        change_from_nadir_pct=change_nadir,
        response=response,
        target_response=target_response,
        non_target_response=non_target_response,
        new_lesions=new_lesions,
        early_tumour_shrinkage=ets,
        depth_of_response_pct=depth,
        warnings=tuple(warnings),
        ets_week=ets_week,
    )


def _overall(target_ids: Sequence[str], target: str | None, non_target: str | None,
             new_lesions: Sequence[str]) -> str:
    """Overall response per time point (RECIST 1.1 Tables 1 and 2)."""
    if new_lesions or target == PD or non_target == PD:
        return PD
    if target_ids:
        if target == CR:
            return CR if non_target in (None, CR) else PR
        return target or NE  # PR, SD or NE, whatever the non-target lesions do short of PD
    if non_target is None:
        return NE  # no disease recorded at baseline
    return non_target  # CR, NON-CR/NON-PD or NE


# --- best overall response ---------------------------------------------------------------------

_BOR_RANK = {CR: 5, PR: 4, SD: 3, NON_CR_NON_PD: 3, PD: 1, NE: 0}


def best_overall_response(reviews: Sequence[Review], target_limit: int = DEFAULT_TARGET_LIMIT,
                          min_sd_days: int = SD_MIN_DAYS, confirm_days: int | None = None) -> str:
    """Best response recorded from baseline until the first progression (RECIST 1.1 §4.4.1).

    SD (or NON-CR/NON-PD) counts only from ``min_sd_days`` after baseline; earlier it counts as
    NE, so SD too early followed by PD gives PD.  ``NE`` when there is no follow-up review.

    By default CR and PR are taken as recorded (randomised trials need no confirmation).  With
    ``confirm_days`` (RECIST: 28, for non-randomised trials with response as primary endpoint)
    a CR needs a CR, and a PR a CR or PR, at a review at least that many days later and before
    any progression; an unconfirmed one counts as SD (NON-CR/NON-PD without target lesions)
    when the SD interval is met, else NE.
    """
    if not reviews:
        return NE
    start: date = reviews[0].date
    dated: list[tuple[date, str]] = []
    for i in range(1, len(reviews)):
        response = assess(reviews, i, target_limit).response
        dated.append((reviews[i].date, response))
        if response == PD:
            break
    stable = SD if any(les.target for les in reviews[0].lesions) else NON_CR_NON_PD
    best = NE
    for k, (on, response) in enumerate(dated):
        if confirm_days is not None and response in (CR, PR):
            confirming = (CR,) if response == CR else (CR, PR)
            if not any((later - on).days >= confirm_days and r in confirming
                       for later, r in dated[k + 1:]):
                response = stable
        if response in (SD, NON_CR_NON_PD) and (on - start).days < min_sd_days:
            response = NE
        if _BOR_RANK[response] > _BOR_RANK[best]:
            best = response
    return best


def timeline(reviews: Sequence[Review], target_limit: int = DEFAULT_TARGET_LIMIT
             ) -> list[RecistSummary]:
    """The assessment of every review, oldest first (for the follow-up table and the chart)."""
    return [assess(reviews, i, target_limit) for i in range(len(reviews))]


def summary_to_dict(summary: RecistSummary) -> dict[str, object]:
    """JSON-ready fields of a summary (tuples as lists)."""
    out: dict[str, object] = {}
    for name in RecistSummary.__dataclass_fields__:
        value = getattr(summary, name)
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def _fmt(value: float | None, suffix: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:+.1f}{suffix}" if suffix == " %" else f"{value:g}{suffix}"


def render_timeline(reviews: Sequence[Review], target_limit: int = DEFAULT_TARGET_LIMIT,
                    confirm_days: int | None = None) -> str:
    """The follow-up table of one patient as plain text, warnings under each review."""
    lines = [f"{'#':>2}  {'date':10}  {'cycle':>5}  {'SLD mm':>7}  {'vs BL':>8}  {'vs nadir':>8}  "
             f"{'target':6}  {'non-target':13}  {'new':8}  {'ETS':9}  {'DpR':>7}  response"]
    shown: tuple[str, ...] = ()
    for i, s in enumerate(timeline(reviews, target_limit)):
        review = reviews[i]
        ets = "-" if s.early_tumour_shrinkage is None else (
            ("yes" if s.early_tumour_shrinkage else "no") + f" (w{s.ets_week})")
        lines.append(
            f"{i:>2}  {review.date.isoformat():10}  "
            f"{'-' if review.cycle is None else review.cycle:>5}  {_fmt(s.sld_mm):>7}  "
            f"{_fmt(s.change_from_baseline_pct, ' %'):>8}  {_fmt(s.change_from_nadir_pct, ' %'):>8}  "
            f"{s.target_response or '-':6}  {s.non_target_response or '-':13}  "
            f"{','.join(s.new_lesions) or '-':8}  {ets:9}  "
            f"{'-' if s.depth_of_response_pct is None else f'{s.depth_of_response_pct:.1f} %':>7}  "
            f"{s.response}")
        # A warning repeated from the previous review (e.g. too many targets) is shown once.
        lines += [f"    ! {w}" for w in s.warnings if w not in shown]
        shown = s.warnings
    best = best_overall_response(reviews, target_limit, confirm_days=confirm_days)
    confirmed = f" (CR/PR confirmed after >= {confirm_days} days)" if confirm_days else ""
    lines.append(f"Best overall response: {best}{confirmed}")
    return "\n".join(lines) + "\n"
