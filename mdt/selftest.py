"""The Qt-free checks of ``--self-test``: the start-up path a packaged build runs, headless.

Each step exercises something a frozen bundle can silently lose: Alembic
migration scripts shipped as files, the demo data and the protocol files under
``resources/``, reportlab's fonts, the outcome statistics (scipy,
lifelines), signed minutes (argon2-cffi, cryptography, pyHanko) and the DICOM codec
plugins found through package metadata.  The summary is one JSON object on standard output; on
failure the exit status is 1 and the failing step is named (in the JSON and on
standard error).

The step that builds the main window, and the start-up probe, live above the
core, in the top-level ``selftest`` module beside ``main.py``: it runs these
steps and its own through :func:`run_self_test` (``steps=``).  This module
never names the ``ui`` package or Qt, directly or dynamically.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import mdt
from mdt import config

SELF_TEST_FORMAT = "mdt-self-test/1"
SELF_TEST_ACTOR = "self-test"
VALID_RESECTABILITY = ("resectable", "convertible", "permanently_unresectable", "indeterminate")


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: Any = None
    error: str | None = None


@dataclass
class SelfTestState:
    """What the steps hand to each other."""
    workdir: Path
    db_url: str
    target_url: str | None = None
    """``--db``: a real database to check (connect and migrate only, never demo data)."""
    db: Any = None
    cases: list[Any] = field(default_factory=list)
    members: list[Any] = field(default_factory=list)
    meeting: Any = None


class StepFailed(Exception):
    """A check inside a step did not hold (the message says which)."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


# --------------------------------------------------------------------------- steps

def step_environment(state: SelfTestState) -> dict[str, Any]:
    from mdt.resources import resources_dir

    res = resources_dir()
    check(res.is_dir(), f"resources folder missing: {res}")
    # A department's shared server is reached through psycopg's compiled driver:
    # prove it is in the bundle even though the self-test itself uses SQLite.
    import psycopg

    check(psycopg.pq.__impl__ in ("binary", "c"),
           f"PostgreSQL driver implementation is {psycopg.pq.__impl__!r}, not the compiled one")
    return {
        "version": mdt.__version__, "frozen": bool(getattr(sys, "frozen", False)),
        "python": platform.python_version(), "platform": platform.platform(),
        "executable": sys.executable, "resources": str(res),
        "portable": config.is_portable(), "app_dir": str(config.app_dir()),
        "postgresql_driver": f"psycopg {psycopg.__version__} ({psycopg.pq.__impl__})",
    }


def step_migrate(state: SelfTestState) -> dict[str, Any]:
    from mdt.store.db import current_revision, open_database, pending_revisions

    state.db = open_database(state.db_url)
    revision = current_revision(state.db.engine)
    check(revision is not None, "no Alembic revision after migrating")
    check(pending_revisions(state.db.engine) == [], "migrations still pending after upgrade")
    return {"database": state.db.dialect, "revision": revision}


def step_target_database(state: SelfTestState) -> dict[str, Any]:
    """With ``--db``: the department's database opens and is migrated to this version.

    Nothing else is written there: demo patients must never reach a production
    server, so every other step runs on the temporary database.
    """
    from mdt.services import Actor, MdtService
    from mdt.store.db import current_revision, open_database

    if state.target_url is None:
        return {"checked": False, "reason": "no --db given"}
    db = open_database(state.target_url)
    try:
        patients = len(MdtService(db, Actor(SELF_TEST_ACTOR)).list_patients(include_archived=True))
        return {"checked": True, "database": db.dialect, "revision": current_revision(db.engine),
                "patients": patients}
    finally:
        db.close()


def step_load_demo(state: SelfTestState) -> dict[str, Any]:
    from mdt.demo import seed_cases
    from mdt.services import Actor, MdtService, seed_demo_if_empty

    actor = Actor(SELF_TEST_ACTOR, "coordinator")
    check(seed_demo_if_empty(state.db, actor), "the self-test database is not empty")
    service = MdtService(state.db, actor)
    expected = seed_cases()
    rows = service.list_patients(include_archived=True)
    check(len(rows) == len(expected), f"{len(rows)} patients stored, {len(expected)} expected")
    # Storage must be lossless: what comes back is what went in.
    for case in expected:
        stored = service.get_case(case.patient.id)
        check(stored.reviews == case.reviews and stored.patient == case.patient,
               f"patient {case.patient.id} changed on the way through the database")
        state.cases.append(stored)
    state.members = service.list_members()
    meetings = service.list_meetings()
    if meetings:
        state.meeting = service.get_meeting(meetings[0].id)
    return {"patients": len(rows), "reviews": sum(len(c.reviews) for c in state.cases),
            "members": len(state.members), "meetings": len(meetings)}


def step_evaluate(state: SelfTestState) -> dict[str, Any]:
    from mdt.protocols import evaluate, evaluation_to_dict, load_protocols

    protocols = load_protocols()
    check(bool(protocols), "no protocol file shipped")
    verdicts: dict[str, str] = {}
    for pid in sorted(protocols):
        # A patient treated under that protocol when there is one, else the first.
        case = next((c for c in state.cases if c.protocol.id == pid), state.cases[0])
        ev = evaluate(case, protocol_id=pid)
        doc = evaluation_to_dict(ev)
        check(doc.get("format") == "mdt-evaluation/1", f"{pid}: not an mdt-evaluation/1 object")
        check(doc.get("resectability") in VALID_RESECTABILITY,
               f"{pid}: resectability {doc.get('resectability')!r}")
        check(bool(doc.get("criteria")), f"{pid}: no criterion evaluated")
        verdicts[pid] = f"{case.patient.id}: {doc['resectability']}"
    return verdicts


def step_minutes_pdf(state: SelfTestState) -> dict[str, Any]:
    from datetime import UTC, datetime

    from mdt.minutes import minutes_items, render_minutes

    check(state.meeting is not None, "no demo meeting stored")
    by_id = {c.patient.id: c for c in state.cases}
    # The shortest minutes that still show a patient (the liver drawing, the
    # tables and an accented name): one agenda item, the patient with the
    # fewest reviews.  The minutes always end on their own sign-off page.
    item = min((i for i in state.meeting.agenda if i.patient_id in by_id),
               key=lambda i: len(by_id[i.patient_id].reviews))
    meeting = _replace(state.meeting, agenda=(_replace(item, position=0),))
    items = minutes_items(meeting, {item.patient_id: by_id[item.patient_id]})
    pdf = _render(render_minutes, meeting, items, datetime.now(UTC))
    return {"patient": item.patient_id, **_check_pdf(pdf, meeting.id)}


def _render(render: Callable[..., None], meeting: Any, items: list[Any], now: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    render(meeting, items, buffer, printed_at=now)
    pdf = buffer.getvalue()
    check(pdf[:5] == b"%PDF-", "the minutes are not a PDF")
    check(b"%%EOF" in pdf[-1024:], "the minutes PDF is truncated")
    return pdf


def _replace(obj: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(obj, **changes)


def _check_pdf(pdf: bytes, meeting_id: str, pages: int | None = None) -> dict[str, Any]:
    import io

    import pikepdf

    fonts: set[str] = set()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        count = len(doc.pages)
        title = str(doc.docinfo.get("/Title", ""))
        for page in doc.pages:
            resources = page.obj.get("/Resources")
            font_dict = resources.get("/Font") if resources is not None else None
            if font_dict is None:
                continue
            for key in font_dict.keys():
                font = font_dict[key]
                fonts.add(str(font.get("/BaseFont", "")))
                descriptor = font.get("/FontDescriptor")
                # Unembedded standard-14 fonts cannot print accented names reliably.
                check(descriptor is not None and "/FontFile2" in descriptor,
                       f"font {font.get('/BaseFont')} is not embedded")
    check(count >= 1, "the minutes PDF has no page")
    check(pages is None or count == pages, f"expected {pages} page(s), got {count}")
    check(meeting_id in title, f"the PDF title {title!r} does not name the meeting")
    check(bool(fonts), "the minutes PDF uses no font")
    return {"bytes": len(pdf), "pages": count, "title": title, "fonts": sorted(fonts)}


def step_dicom_decode(state: SelfTestState) -> dict[str, Any]:
    from mdt.imaging.selftest import decode_check

    lines = decode_check()
    # DICOM SEG (volumetry) needs highdicom's tables of the standard, which the
    # bundle ships compressed behind a runtime hook: prove they still load.
    from highdicom._standard_utils import get_iod_module_map, get_module_attribute_map

    modules = get_module_attribute_map()
    check("segmentation-image" in modules and "segmentation" in get_iod_module_map(),
           "highdicom's DICOM standard tables are missing or incomplete")
    return {"codecs": lines.split("; "), "highdicom_modules": len(modules)}


Step = tuple[str, Callable[[SelfTestState], Any], tuple[str, ...]]


def step_outcomes(state: SelfTestState) -> dict[str, Any]:
    """Every statistic of the outcomes report runs in this build and the report prints:
    the demo's two NCT05103020 arms give Clopper-Pearson intervals and a Fisher/Woolf odds
    ratio (scipy), Kaplan-Meier curves, a log-rank p and a Cox hazard ratio (lifelines,
    pandas, autograd, formulaic), a kappa's t quantile (scipy), then the report's PDF."""
    import io

    from mdt.outcomes.facts import cohort_facts
    from mdt.outcomes.pdf import render_outcomes_report
    from mdt.outcomes.report import Filters, build_report

    facts, _ = cohort_facts(state.cases)
    report = build_report(facts, Filters(protocol="NCT05103020"))
    check(len(report.sections) == 1, "no NCT05103020 patients among the demo data")
    section = report.sections[0]
    rows = {r.id: r for r in section.rows}
    conversion = rows["conversion"]
    odds = conversion.comparison_values.get("estimate")
    fisher = conversion.comparison_values.get("fisher_p")
    overall = conversion.cells.get("overall")
    os_row = rows["os"].comparison_values
    logrank, hazard, cox_p = os_row.get("logrank_p"), os_row.get("estimate"), os_row.get("cox_p")
    check(overall is not None and overall.low is not None and overall.high is not None,
          "no exact (Clopper-Pearson) interval for the conversion rate")
    check(odds is not None and fisher is not None, "no odds ratio or Fisher p between the arms")
    check(logrank is not None, "no log-rank p between the arms")
    check(hazard is not None and cox_p is not None, "no Cox hazard ratio between the arms")
    kappa = rows["fleiss_kappa"].cells.get("overall")
    check(kappa is not None and kappa.low is not None, "no interval for the panel's Fleiss kappa")
    curves = [c for s in section.survival for c in s.curves.values() if c is not None]
    check(bool(curves) and all(c.survival[0] == 1.0 for c in curves), "no Kaplan-Meier curve")
    buffer = io.BytesIO()
    render_outcomes_report(report, facts, buffer)
    pdf = buffer.getvalue()
    check(pdf[:5] == b"%PDF-" and b"%%EOF" in pdf[-1024:], "the outcomes report is not a whole PDF")
    return {"patients": len(facts), "conversion_odds_ratio": _rounded(odds),
            "fisher_p": _rounded(fisher), "os_logrank_p": _rounded(logrank),
            "os_hazard_ratio": _rounded(hazard), "km_curves": len(curves), "pdf_bytes": len(pdf)}


def _rounded(value: Any) -> float:
    """A figure the step has checked is there, rounded for the JSON summary."""
    return round(float(value), 3)


SELF_TEST_PASSWORD = "self-test-password"


def step_signing(state: SelfTestState) -> dict[str, Any]:
    """The chair's first sign-in (Argon2id, a new key pair and certificate: argon2-cffi,
    cryptography), a PAdES signature on the demo meeting's minutes (pyHanko), its offline
    validation against the registry, and a one-byte change that breaks it."""
    from mdt.services import MdtService, set_first_password
    from mdt.signing import EXIT_AGREES, EXIT_BROKEN, verify_minutes

    check(state.meeting is not None, "no demo meeting stored")
    chair = next((m for m in state.members if m.role == "chair"), None)
    check(chair is not None, "no chair among the demo members")
    assert chair is not None
    service = MdtService(state.db, set_first_password(state.db, chair.name, SELF_TEST_PASSWORD))
    meeting_id = state.meeting.id
    service.sign_meeting(meeting_id, SELF_TEST_PASSWORD)
    pdf = service.signed_minutes(meeting_id)
    check(pdf is not None and pdf[:5] == b"%PDF-", "no signed minutes stored")
    assert pdf is not None
    result = verify_minutes(service, pdf)
    check(result.code == EXIT_AGREES, "the signed minutes do not verify: " + "; ".join(result.lines))
    tampered = bytearray(pdf)
    tampered[pdf.index(b"stream", len(pdf) // 4) + 20] ^= 0x01
    broken = verify_minutes(service, bytes(tampered))
    check(broken.code == EXIT_BROKEN, "a changed byte in the signed minutes went unnoticed")
    return {"meeting": meeting_id, "signer": chair.name, "bytes": len(pdf),
            "signature": result.lines[1] if len(result.lines) > 1 else ""}


STEPS: tuple[Step, ...] = (
    ("environment", step_environment, ()),
    ("target_database", step_target_database, ()),
    ("migrate", step_migrate, ()),
    ("load_demo", step_load_demo, ("migrate",)),
    ("evaluate", step_evaluate, ("load_demo",)),
    ("minutes_pdf", step_minutes_pdf, ("load_demo",)),
    ("outcomes", step_outcomes, ("load_demo",)),
    ("signing", step_signing, ("load_demo",)),
    ("dicom_decode", step_dicom_decode, ()),
)
"""(name, function, steps it needs).  A step whose needs failed is reported as skipped.
The top-level ``selftest`` module adds the main-window step after these."""


# --------------------------------------------------------------------------- runner

def run_steps(db_url: str | None = None, workdir: Path | None = None,
              only: tuple[str, ...] | None = None,
              steps: Sequence[Step] | None = None) -> tuple[bool, list[StepResult]]:
    """Run ``steps`` (default: :data:`STEPS`) in order; returns (all ok, results)."""
    own_dir = workdir is None
    work = Path(workdir or tempfile.mkdtemp(prefix="liver-mdt-selftest-"))
    url = f"sqlite:///{work / 'self-test.sqlite3'}"
    state = SelfTestState(workdir=work, db_url=url, target_url=db_url)
    results: list[StepResult] = []
    failed: set[str] = set()
    try:
        for name, func, needs in (STEPS if steps is None else steps):
            if only is not None and name not in only:
                continue
            missing = [n for n in needs if n in failed]
            if missing:
                failed.add(name)
                results.append(StepResult(name, False, 0.0,
                                          error=f"skipped: needs {', '.join(missing)}"))
                continue
            started = time.perf_counter()
            try:
                detail = func(state)
                results.append(StepResult(name, True, time.perf_counter() - started, detail))
            except Exception as exc:  # noqa: BLE001 - every failure is reported, by step
                failed.add(name)
                results.append(StepResult(
                    name, False, time.perf_counter() - started,
                    error=f"{type(exc).__name__}: {exc}",
                    detail={"traceback": traceback.format_exc(limit=8)}))
    finally:
        if state.db is not None:
            state.db.close()
        if own_dir:
            _remove_tree(work)
    return not failed, results


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def summary(ok: bool, results: list[StepResult], total_s: float) -> dict[str, Any]:
    failed = next((r.name for r in results if not r.ok), None)
    return {
        "format": SELF_TEST_FORMAT,
        "ok": ok,
        "failed_step": failed,
        "seconds": round(total_s, 3),
        "steps": [
            {"name": r.name, "ok": r.ok, "seconds": round(r.seconds, 3),
             **({"detail": r.detail} if r.detail is not None else {}),
             **({"error": r.error} if r.error else {})}
            for r in results
        ],
    }


def run_self_test(db_url: str | None = None, out: TextIO | None = None,
                  err: TextIO | None = None, steps: Sequence[Step] | None = None) -> int:
    """Run every step, print the JSON summary; 0 when all passed, 1 otherwise.

    The steps run on a fresh temporary SQLite database, removed afterwards; the
    user's data directory is never touched (``MDT_DATA_DIR`` is pointed at the
    temporary folder for the duration).  With ``--db`` the given database (a
    department's PostgreSQL server, say) is also opened and migrated by the
    ``target_database`` step, which writes nothing else: demo patients never
    reach a real database.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="liver-mdt-selftest-"))
    saved = os.environ.get(config.ENV_DATA_DIR)
    os.environ[config.ENV_DATA_DIR] = str(work / "data")
    try:
        ok, results = run_steps(db_url, workdir=work, steps=steps)
    finally:
        if saved is None:
            os.environ.pop(config.ENV_DATA_DIR, None)
        else:
            os.environ[config.ENV_DATA_DIR] = saved
        _remove_tree(work)
    report = summary(ok, results, time.perf_counter() - started)
    _write(out, json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    if not ok:
        for r in results:
            if not r.ok:
                _write(err, f"self-test failed at step {r.name}: {r.error}\n")
                break
    return 0 if ok else 1


def _write(stream: TextIO | None, text: str) -> None:
    # A windowed frozen build on Windows has no console: sys.stdout is None there.
    if stream is not None:
        stream.write(text)
        stream.flush()
