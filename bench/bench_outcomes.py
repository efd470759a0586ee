"""Benchmark: the whole outcomes table and the three figures for 5,000 patients.

Target (issue "Outcomes"): under 1 s for the endpoint table (every endpoint per arm and
overall, with the odds ratios, Kaplan-Meier, log-rank and Cox fits, Fleiss' kappa) and the
three figures (Kaplan-Meier of PFS, hepatic PFS and OS with numbers at risk, the waterfall,
the swimmer plot) built as geometry, for 5,000 followed patients of one protocol in two arms.

Two figures are printed: from the patients' facts (what a filter change in the Outcomes view
costs; the facts are derived once per load) and end to end from the cases (facts included:
RECIST best response of every patient, events, ratings).  The baseline, measured in the same
run on the same cases, is the previous product's cohort summary (``mdt.cohort``: one line per
patient with RECIST and the totals), so figures from different machines compare by ratio.
Libraries are imported before timing (a warm window).

    .venv/bin/python bench/bench_outcomes.py [--patients 5000] [--repeat 3]

Prints the figures and exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mdt.case import Patient  # noqa: E402
from mdt.cohort import cohort_rows, summarise  # noqa: E402
from mdt.demo import DEMO_MEETING_DATE  # noqa: E402
from mdt.demo_followup import followed_cases  # noqa: E402
from mdt.outcomes import figures as fg  # noqa: E402
from mdt.outcomes.facts import cohort_facts  # noqa: E402
from mdt.outcomes.report import OVERALL, Filters, build_report  # noqa: E402

TARGET_S = 1.0


def make_cases(n: int) -> list:
    """``n`` NCT05103020 patients: the demo cohort's courses repeated with their own ids and
    shifted dates (every event shifted alike, so every case stays valid)."""
    base = [c for c in followed_cases(DEMO_MEETING_DATE) if c.protocol.id == "NCT05103020"]
    out = []
    for i in range(n):
        src = base[i % len(base)]
        shift = timedelta(days=-(i // len(base)) % 97)
        out.append(replace(src, patient=Patient(f"B{i:05d}", src.patient.name),
                           protocol=replace(src.protocol, enrolment_date=src.protocol.enrolment_date - shift),
                           reviews=tuple(replace(r, date=r.date - shift) for r in src.reviews)))
    return out


def table_and_figures(facts: list) -> tuple[int, int]:
    report = build_report(facts, Filters(protocol="NCT05103020"))
    (section,) = report.sections
    figs = [fg.km_figure(sv, section.groups) for sv in section.survival]
    figs.append(fg.waterfall_figure(section.patients[OVERALL]))
    figs.append(fg.swimmer_figure(section.patients[OVERALL]))
    return len(section.rows), sum(len(f.items) for f in figs)


def timed(fn, repeat: int) -> float:  # noqa: ANN001
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cases = make_cases(args.patients)
    facts, _ = cohort_facts(cases[:50])
    table_and_figures(facts)  # imports scipy, lifelines, pandas: a warm window
    facts, _ = cohort_facts(cases)
    rows, items = table_and_figures(facts)
    base = timed(lambda: summarise(cohort_rows(cases, DEMO_MEETING_DATE)[0]), args.repeat)
    from_facts = timed(lambda: table_and_figures(facts), args.repeat)
    end_to_end = timed(lambda: table_and_figures(cohort_facts(cases)[0]), args.repeat)
    print(f"patients: {len(cases)}; endpoint rows: {rows}; figure primitives: {items}")
    print(f"baseline  cohort summary (mdt.cohort, RECIST per patient): {base:.3f} s")
    print(f"outcomes  table + 3 figures from the patients' facts:      {from_facts:.3f} s "
          f"(target < {TARGET_S:.0f} s)")
    print(f"outcomes  end to end from the cases (facts included):     {end_to_end:.3f} s")
    ok = from_facts < TARGET_S
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
