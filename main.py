"""Liver MDT: entry point and command line.

Without a command it opens the window.  Every command accepts the global
options before it (``python main.py --db sqlite:///x.db import CASE.json``).
Argument errors print a usage message and exit 2; invalid input files exit 2
with each offending field named; nothing is written to the database then.

Each command is a small function here that parses its arguments and calls
``mdt`` functions: no clinical rule, query or report lives in this file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

Command = Callable[[argparse.Namespace], int]


# --------------------------------------------------------------------------- registration
# Each ``_add_*`` function adds one command's sub-parser and sets ``func``.
# Imports of mdt/ui modules happen inside the command functions so that
# ``--help`` and start-up stay fast.

def _add_gui(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the window (the default)")
    p.set_defaults(func=cmd_gui)


def cmd_gui(args: argparse.Namespace) -> int:
    from ui.app import run_app

    return run_app(db_url=args.db, user=args.user)


# ---- storage commands: import, export, audit, backup, restore, demo

def _print_problems(exc: Exception) -> None:
    problems = getattr(exc, "problems", None)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
    else:
        print(f"error: {exc}", file=sys.stderr)


def _missing_database(args: argparse.Namespace) -> str | None:
    """The path of the SQLite file named by --db (or the environment, or the default) when it
    does not exist.  Opening creates an empty database, which is right for ``import`` but
    would let ``audit verify`` or ``export`` on a mistyped path report an empty, intact
    database instead of saying there is none."""
    from pathlib import Path

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from mdt.config import database_url

    try:
        url = make_url(database_url(args.db))
    except ArgumentError:
        return None  # open_database reports a malformed URL
    name = url.database or ""
    if url.get_backend_name() != "sqlite" or name in ("", ":memory:") or name.startswith("file:"):
        return None
    return None if Path(name).exists() else name


class _CommandExit(Exception):
    """Ends a command with ``code`` after its message was printed (caught in main())."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


@contextmanager
def _service(args: argparse.Namespace, *, existing: bool = False) -> Iterator[tuple[Any, Any]]:
    """The database and a service acting as ``--user``, closed on the way out.

    ``existing``: a command that only reads refuses to create an empty database (exit 2);
    a database that cannot be opened exits 1.
    """
    from mdt.services import Actor, MdtService
    from mdt.store.db import DatabaseError, open_database

    missing = _missing_database(args) if existing else None
    if missing:
        print(f"error: no database at {missing} (check --db or MDT_DATABASE_URL)",
              file=sys.stderr)
        raise _CommandExit(EXIT_USAGE)
    try:
        db = open_database(args.db)
    except DatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise _CommandExit(EXIT_FAIL) from exc
    try:
        yield db, MdtService(db, Actor.from_environment(args.user))
    finally:
        db.close()


def _add_import(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="store patients and reviews from mdt-case/1 files")
    p.add_argument("files", nargs="+", metavar="CASE.json",
                   help="a case file (one case or a JSON array of cases)")
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    from mdt.caseformat import read_cases
    from mdt.errors import MdtError, ValidationError

    cases = []
    invalid = False
    for name in args.files:  # validate every file before touching the database
        try:
            cases.extend(read_cases(name))
        except ValidationError as exc:
            invalid = True
            for problem in exc.problems:
                print(f"error: {name}: {problem}", file=sys.stderr)
    ids = [c.patient.id for c in cases]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        invalid = True
        print(f"error: the same patient appears in more than one file: {', '.join(dupes)}",
              file=sys.stderr)
    if invalid:
        print("nothing was imported", file=sys.stderr)
        return EXIT_USAGE
    with _service(args) as (db, svc):
        try:
            summary = svc.import_cases(cases)
        except ValidationError as exc:
            _print_problems(exc)
            print("nothing was imported", file=sys.stderr)
            return EXIT_USAGE
        except MdtError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAIL
    print(f"imported {len(cases)} case(s): {summary.patients_created} patient(s) created, "
          f"{summary.patients_updated} updated; reviews: {summary.reviews_added} added, "
          f"{summary.reviews_revised} revised, {summary.reviews_unchanged} unchanged")
    return EXIT_OK


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write patients as mdt-case/1 JSON")
    p.add_argument("--patient", action="append", metavar="ID", default=[],
                   help="hospital identifier (repeat for several: writes a JSON array)")
    p.add_argument("--all", action="store_true", help="every patient (a JSON array)")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from mdt.caseformat import dump_case, dump_cases
    from mdt.errors import NotFound

    if not args.patient and not args.all:
        print("error: give --patient ID (or --all)", file=sys.stderr)
        return EXIT_USAGE
    with _service(args, existing=True) as (db, svc):
        try:
            ids = args.patient or [r.patient_id for r in svc.list_patients(include_archived=True)]
            cases = [svc.export_case(pid) for pid in ids]
        except NotFound as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    text = dump_case(cases[0]) if len(cases) == 1 and not args.all else dump_cases(cases)
    if args.out:
        from pathlib import Path

        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:  # missing folder, no permission: a message, not a traceback
            print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_FAIL
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _add_audit(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="check or show the audit trail")
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = asub.add_parser("verify", help="walk the SHA-256 chain; exit 0 when whole")
    v.set_defaults(func=cmd_audit_verify)
    log = asub.add_parser("log", help="print audit events (newest first)")
    log.add_argument("--patient", metavar="ID", help="only this patient's events (oldest first)")
    log.add_argument("--limit", type=int, default=50)
    log.set_defaults(func=cmd_audit_log)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    with _service(args, existing=True) as (db, svc):
        result = svc.verify_audit()
    print(result.message, file=sys.stdout if result.ok else sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAIL


def cmd_audit_log(args: argparse.Namespace) -> int:
    from mdt.errors import NotFound

    with _service(args, existing=True) as (db, svc):
        try:
            events = svc.patient_history(args.patient) if args.patient else svc.audit_events(args.limit)
        except NotFound as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    for e in events:
        print(f"#{e.id}\t{e.at.isoformat(timespec='seconds')}\t{e.actor}\t{e.action}\t"
              f"{e.entity} {e.entity_id}\t{e.hash[:12]}")
    return EXIT_OK


def _add_backup(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="consistent online copy of the database (an SQLite file)")
    p.add_argument("--out", metavar="FILE", required=True)
    p.set_defaults(func=cmd_backup)


def cmd_backup(args: argparse.Namespace) -> int:
    from mdt.backup import BackupError, backup
    from mdt.store.db import DatabaseError, open_database

    missing = _missing_database(args)
    if missing:
        print(f"error: no database at {missing} (check --db or MDT_DATABASE_URL)",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        db = open_database(args.db)
    except DatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    try:
        info = backup(db, args.out)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        db.close()
    print(f"backup written to {info.path}: {info.rows} rows in {info.tables} tables; "
          f"{info.audit_message}")
    return EXIT_OK


def _add_restore(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("restore", help="restore a backup file into the database (--db)")
    p.add_argument("file", metavar="BACKUP")
    p.add_argument("--force", action="store_true",
                   help="replace an SQLite database that holds data (a copy is kept first)")
    p.set_defaults(func=cmd_restore)


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mdt.backup import BackupError, restore
    from mdt.store.db import DatabaseError

    if not Path(args.file).is_file():  # invalid input, like every other command: exit 2
        print(f"error: no backup file {args.file}", file=sys.stderr)
        return EXIT_USAGE
    try:
        info = restore(args.file, args.db, force=args.force)
    except (BackupError, DatabaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    print(f"restored {info.rows} rows; {info.audit_message}")
    return EXIT_OK if info.audit_ok else EXIT_FAIL


def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="fill an empty database with demo patients, members, meeting")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from mdt.services import seed_demo_if_empty

    with _service(args) as (db, svc):
        seeded = seed_demo_if_empty(db, svc.actor)
        count = len(svc.list_patients(include_archived=True))
    if not seeded:
        print("error: the database is not empty; demo data was not added", file=sys.stderr)
        return EXIT_FAIL
    print(f"demo data added: {count} patients")
    return EXIT_OK


# ---- imaging commands: import-dicom, volumetry

def _add_import_dicom(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import-dicom", help="index DICOM images from a folder, a DICOMDIR or a zip")
    p.add_argument("path", metavar="PATH", help="folder, DICOMDIR file or .zip")
    p.add_argument("--create-patients", action="store_true",
                   help="create patients whose PatientID is not in the database (else they are listed)")
    p.add_argument("--json", action="store_true", help="print the import report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_import_dicom)


def cmd_import_dicom(args: argparse.Namespace) -> int:
    import json

    from mdt.errors import MdtError, ValidationError
    from mdt.imaging.index import ServicePatients, import_dicom

    def progress(done: int, total: int, what: str) -> None:
        if not args.quiet and total:
            print(f"\r{what}: {done}/{total}   ", end="", file=sys.stderr, flush=True)

    with _service(args) as (db, svc):
        try:
            report = import_dicom(db, args.path, progress=progress, patients=ServicePatients(svc),
                                  confirm=(lambda patient, titles: True) if args.create_patients else None)
        except ValidationError as exc:
            _print_problems(exc)
            return EXIT_USAGE
        except MdtError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAIL
    if not args.quiet:
        print(file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(report.summary_lines()))
    return EXIT_OK if report.series or report.unchanged or not report.skipped else EXIT_USAGE


def _add_volumetry(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("volumetry", help="segment volumes (mL) from a DICOM SEG")
    p.add_argument("seg", metavar="SEG.dcm", help="a DICOM Segmentation file")
    p.add_argument("--json", action="store_true",
                   help='print {"segments": [{"number", "label", "voxels", "volume_ml"}], ...}')
    p.add_argument("--patient", metavar="MRN",
                   help="also save the liver and remnant volumes into this patient's review")
    p.add_argument("--review", type=int, metavar="INDEX", default=None,
                   help="which review (0 = oldest; default the latest)")
    p.add_argument("--reason", default=None, help="reason recorded with the new review version")
    p.set_defaults(func=cmd_volumetry)


def cmd_volumetry(args: argparse.Namespace) -> int:
    import json

    from mdt.errors import MdtError, NotFound, ValidationError
    from mdt.imaging.volumetry import apply_to_review, read_volumes

    try:
        result = read_volumes(args.seg)
    except ValidationError as exc:
        _print_problems(exc)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        for s in result.segments:
            what = s.couinaud or s.kind
            print(f"{s.number:>3}  {s.label:<28} {what:<9} {s.voxels:>10} voxels  {s.volume_ml:10.1f} mL")
        print(f"voxel: {result.pixel_spacing_mm[0]:g} x {result.pixel_spacing_mm[1]:g} mm, "
              f"{result.slice_spacing_mm:g} mm between slices ({result.spacing_source})")
        for note in result.notes:
            print(f"note: {note}")
    if args.patient:
        with _service(args) as (db, svc):
            try:
                saved, notes = apply_to_review(svc, args.patient, result, args.review, args.reason)
            except ValidationError as exc:
                _print_problems(exc)
                return EXIT_USAGE
            except NotFound as exc:  # an unknown patient or review is a wrong argument, as everywhere
                print(f"error: {exc}", file=sys.stderr)
                return EXIT_USAGE
            except MdtError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return EXIT_FAIL
        for note in notes:
            print(f"review: {note}", file=sys.stderr)
        print(f"saved review {saved.index} of {args.patient} as version {saved.version}", file=sys.stderr)
    return EXIT_OK


# ---- protocol engine commands: evaluate, protocols

def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="evaluate a case file against its protocol")
    p.add_argument("case_file", metavar="CASE.json", help="an mdt-case/1 file")
    p.add_argument("--protocol", metavar="ID", default=None,
                   help="protocol id (default: the case's protocol.id, else the default protocol)")
    p.add_argument("--review", metavar="N", type=int, default=None,
                   help="review index to evaluate (default: the latest)")
    p.add_argument("--json", action="store_true", help="print the mdt-evaluation/1 JSON object")
    p.add_argument("--details", action="store_true",
                   help="under each criterion, its explanation, its wording in the source and the source")
    p.set_defaults(func=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from mdt.caseformat import loads_json, parse_cases
    from mdt.errors import NotFound, ValidationError
    from mdt.protocols import evaluate, evaluation_to_dict, get_protocol, render_report

    try:
        # Read the file itself (a name starting with "[" is still a file name), and keep
        # the top-level shape: an array of cases, even of one, prints an array.
        raw = loads_json(Path(args.case_file).read_bytes())
        cases = parse_cases(raw)
    except ValidationError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"{args.case_file}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    results = []
    try:
        if args.protocol is not None:
            get_protocol(args.protocol)
        for case in cases:
            results.append((case, evaluate(case, args.review, args.protocol)))
    except NotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValidationError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        docs = [evaluation_to_dict(ev) for _, ev in results]
        out = docs if isinstance(raw, list) else docs[0]
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write("\n\n".join(render_report(ev, case.patient.id, details=args.details)
                                       for case, ev in results))
    return EXIT_OK


def _add_protocols(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("protocols", help="list the protocols with versions and sources")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(func=cmd_protocols)


def cmd_protocols(args: argparse.Namespace) -> int:
    import json

    from mdt.errors import ValidationError
    from mdt.protocols import default_protocol_id, load_protocols

    try:
        protocols = load_protocols()
    except ValidationError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        return EXIT_FAIL
    if args.json:
        sys.stdout.write(json.dumps([
            {"id": p.id, "version": p.version, "title": p.title, "sources": list(p.sources),
             "rules": len(p.rules), "default": p.id == default_protocol_id()}
            for p in protocols.values()], ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    for p in protocols.values():
        mark = " (default)" if p.id == default_protocol_id() else ""
        print(f"{p.id}  v{p.version}{mark}  {p.title}")
        print(f"    {len(p.rules)} criteria; assessment every "
              + ", ".join(f"{v} {k}" for k, v in p.assessment_interval.items()))
        for source in p.sources:
            print(f"    source: {source}")
    return EXIT_OK


# ---- response commands: response, cohort

def _load_cases_for(args: argparse.Namespace):  # -> list[Case] | int
    """Cases from the files given, else the patients in the database (``--patient`` or all)."""
    from mdt.caseformat import read_cases
    from mdt.errors import NotFound, ValidationError

    if args.files:
        cases = []
        for name in args.files:
            try:
                cases.extend(read_cases(name))
            except ValidationError as exc:
                for problem in exc.problems:
                    print(f"error: {name}: {problem}", file=sys.stderr)
                return EXIT_USAGE
        wanted = set(args.patient or [])
        return [c for c in cases if not wanted or c.patient.id in wanted]
    with _service(args, existing=True) as (db, svc):
        try:
            ids = args.patient or [r.patient_id for r in svc.list_patients()]
            return [svc.get_case(pid) for pid in ids]
        except NotFound as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE


def _add_response(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("response", help="RECIST 1.1 response at every review of each patient")
    p.add_argument("files", nargs="*", metavar="CASE.json",
                   help="mdt-case/1 files (default: the patients in the database)")
    p.add_argument("--patient", action="append", metavar="ID", default=[],
                   help="only this patient (repeat for several)")
    p.add_argument("--target-limit", type=int, metavar="N", default=None,
                   help="target lesions allowed (default: the case's protocol, else 2)")
    p.add_argument("--confirm-days", type=int, metavar="DAYS", default=None,
                   help="best response counts CR/PR only when confirmed DAYS later "
                        "(RECIST: 28, for non-randomised trials)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=cmd_response)


def cmd_response(args: argparse.Namespace) -> int:
    import json

    from mdt.cohort import protocol_settings
    from mdt.recist import best_overall_response, render_timeline, summary_to_dict, timeline

    if args.target_limit is not None and args.target_limit < 1:
        print("error: --target-limit must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if args.confirm_days is not None and args.confirm_days < 1:
        print("error: --confirm-days must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    cases = _load_cases_for(args)
    if isinstance(cases, int):
        return cases
    out = []
    for case in cases:
        limit, _interval, note = protocol_settings(case.protocol.id)
        if args.target_limit is not None:
            limit = args.target_limit
        elif note:
            print(f"note: {case.patient.id}: {note}", file=sys.stderr)
        if args.json:
            out.append({"patient": case.patient.id, "target_limit": limit,
                        "reviews": [summary_to_dict(s) for s in timeline(case.reviews, limit)],
                        "best_overall_response": best_overall_response(
                            case.reviews, limit, confirm_days=args.confirm_days),
                        "confirm_days": args.confirm_days})
        else:
            print(f"{case.patient.id}  (protocol {case.protocol.id or '-'}, "
                  f"at most {limit} targets)")
            print(render_timeline(case.reviews, limit, args.confirm_days) if case.reviews
                  else "no reviews\n")
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    return EXIT_OK


def _add_cohort(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cohort", help="one line per patient (response, decision, next review) "
                                      "and cohort totals")
    p.add_argument("files", nargs="*", metavar="CASE.json",
                   help="mdt-case/1 files (default: the patients in the database)")
    p.add_argument("--patient", action="append", metavar="ID", default=[],
                   help="only this patient (repeat for several)")
    p.add_argument("--today", metavar="YYYY-MM-DD", default=None,
                   help="date for the overdue check (default: today)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="print CSV")
    fmt.add_argument("--json", action="store_true", help="print JSON (rows and totals)")
    p.set_defaults(func=cmd_cohort)


def cmd_cohort(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict
    from datetime import date

    from mdt.cohort import cohort_rows, row_to_dict, rows_to_csv, rows_to_text, summarise, summary_lines

    try:
        today = date.fromisoformat(args.today) if args.today else date.today()
    except ValueError:
        print(f"error: --today: {args.today!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return EXIT_USAGE
    cases = _load_cases_for(args)
    if isinstance(cases, int):
        return cases
    rows, notes = cohort_rows(cases, today)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    summary = summarise(rows)
    if args.csv:
        sys.stdout.write(rows_to_csv(rows))
    elif args.json:
        print(json.dumps({"today": today.isoformat(), "rows": [row_to_dict(r) for r in rows],
                          "summary": asdict(summary)}, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(rows_to_text(rows))
        print()
        print("\n".join(summary_lines(summary)))
    return EXIT_OK


def _add_startup_probe(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("startup-probe",
                       help="open the main window (offscreen in CI), print the start-up time as "
                            "JSON and exit; used by bench/bench_startup_frozen.py")
    p.set_defaults(func=cmd_startup_probe)


def cmd_startup_probe(args: argparse.Namespace) -> int:
    from mdt.selftest import run_startup_probe

    return run_startup_probe(db_url=args.db, user=args.user)


def _add_pdf_command(sub: argparse._SubParsersAction, name: str, help_text: str, func: Command,
                     target: str, target_help: str) -> None:
    p = sub.add_parser(name, help=help_text)
    p.add_argument(f"--{target}", metavar="ID", required=True, help=target_help)
    p.add_argument("--out", metavar="FILE.pdf", required=True, help="where to write the PDF")
    p.add_argument("--pdfa", action="store_true", help="write the archival PDF/A-2b variant")
    p.set_defaults(func=func)


def _add_minutes(sub: argparse._SubParsersAction) -> None:
    _add_pdf_command(sub, "minutes", "write the PDF minutes of a meeting", cmd_minutes,
                     "meeting", "meeting identifier, e.g. LIV-2026-11-20")


def _add_report(sub: argparse._SubParsersAction) -> None:
    _add_pdf_command(sub, "report", "write the PDF course report of a patient", cmd_report,
                     "patient", "the patient's hospital identifier")


def _write_pdf(args: argparse.Namespace, write: Callable[..., object], key: str, what: str) -> int:
    """Open the database, render one PDF; unknown ids exit 2, unwritable files exit 1."""
    from mdt.errors import NotFound

    with _service(args, existing=True) as (db, svc):
        try:
            path = write(svc, key, args.out, pdfa=args.pdfa)
        except NotFound as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except OSError as exc:
            print(f"error: cannot write {args.out}: {exc}", file=sys.stderr)
            return EXIT_FAIL
    print(f"{what} of {key} written to {path}")
    return EXIT_OK


def cmd_minutes(args: argparse.Namespace) -> int:
    from mdt.minutes import write_minutes

    return _write_pdf(args, write_minutes, args.meeting, "minutes")


def cmd_report(args: argparse.Namespace) -> int:
    from mdt.minutes import write_course_report

    return _write_pdf(args, write_course_report, args.patient, "course report")


REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_import, _add_export, _add_audit, _add_backup, _add_restore, _add_demo,
    _add_import_dicom, _add_volumetry,
    _add_evaluate, _add_protocols,
    _add_response, _add_cohort,
    _add_minutes, _add_report,
    _add_startup_probe,
    _add_gui,
]


# --------------------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Liver MDT: tumour-board tool for colorectal liver metastases.",
    )
    parser.add_argument("--db", metavar="URL", default=None,
                        help="database URL (default: MDT_DATABASE_URL, else the embedded "
                             "SQLite file in the user's data directory); "
                             "e.g. sqlite:///x.db or postgresql+psycopg://user@host/db")
    parser.add_argument("--user", metavar="NAME", default=None,
                        help="who is acting, for the audit trail (default: MDT_USER or the login name)")
    parser.add_argument("--self-test", action="store_true",
                        help="run the headless start-up self-test, print a JSON summary and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for registrar in REGISTRARS:
        registrar(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        from mdt.selftest import run_self_test

        return run_self_test(db_url=args.db)
    func: Command = getattr(args, "func", cmd_gui)
    try:
        return func(args)
    except _CommandExit as stop:
        return stop.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(main())
