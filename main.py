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
def _service(args: argparse.Namespace, *, existing: bool = False,
             sign_in: bool = False) -> Iterator[tuple[Any, Any]]:
    """The database and a service, closed on the way out.

    ``existing``: a command that only reads refuses to create an empty database (exit 2);
    a database that cannot be opened exits 1.  ``sign_in``: the command changes the
    record, so it acts as a member only after sign-in (``mdt.cli_signin``: a prompt on
    a terminal, else ``--password-file``/``MDT_PASSWORD``); a failed sign-in exits 1
    (2 when the credentials were not given at all).  Commands that only read run as
    the unauthenticated ``--user`` name, which only labels nothing: they write nothing.
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
    db.on_wait = _WaitNotice()
    try:
        actor = Actor.from_environment(args.user)
        if sign_in and db.read_only:
            # Say what matters first: nothing can be saved here, whoever signs in.
            print(f"error: the database {db.where()} is read-only (a read-only file, disk or "
                  f"mount): copy it to a writable place to change it; nothing was "
                  f"{getattr(args, 'nothing_done', 'changed')}", file=sys.stderr)
            raise _CommandExit(EXIT_FAIL)
        if sign_in:
            from mdt.cli_signin import SignInFailed, sign_in_cli

            try:
                actor = sign_in_cli(db, args.user, args.password_file)
            except SignInFailed as exc:
                print(f"error: {exc}", file=sys.stderr)
                raise _CommandExit(EXIT_USAGE if exc.usage else EXIT_FAIL) from exc
        yield db, MdtService(db, actor)
    finally:
        db.close()


class _WaitNotice:
    """While a write waits for another workstation: say who holds the database, then how
    long it has waited, every few seconds (stderr; stdout stays the command's output)."""

    def __init__(self) -> None:
        self.next_at = 0.0

    def __call__(self, wait: Any) -> None:
        if wait.elapsed_s >= self.next_at:
            print(f"note: {wait.words()}", file=sys.stderr, flush=True)
            self.next_at = wait.elapsed_s + 5


def _add_import(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="store patients and reviews from mdt-case/1 files")
    p.add_argument("files", nargs="+", metavar="CASE.json",
                   help="a case file (one case or a JSON array of cases)")
    p.set_defaults(func=cmd_import, nothing_done="imported")


def cmd_import(args: argparse.Namespace) -> int:
    from mdt.caseformat import read_imports
    from mdt.errors import LockedFieldsError, MdtError, ValidationError

    cases = []
    invalid = False
    for name in args.files:  # validate every file before touching the database
        try:
            cases.extend(read_imports(name))
        except ValidationError as exc:
            invalid = True
            for problem in exc.problems:
                print(f"error: {_printable(name)}: {problem}", file=sys.stderr)
    ids = [c.case.patient.id for c in cases]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        invalid = True
        print(f"error: the same patient appears in more than one file: {', '.join(dupes)}",
              file=sys.stderr)
    if invalid:
        print("nothing was imported", file=sys.stderr)
        return EXIT_USAGE
    with _service(args, sign_in=True) as (db, svc):
        try:
            summary = svc.import_cases(cases)
        except (ValidationError, LockedFieldsError) as exc:  # refused input: exit 2
            _print_problems(exc)
            print("nothing was imported", file=sys.stderr)
            return EXIT_USAGE
        except MdtError as exc:
            print(f"error: {exc}", file=sys.stderr)
            print("nothing was imported", file=sys.stderr)
            return EXIT_FAIL
    print(f"imported {len(cases)} case(s): {summary.patients_created} patient(s) created, "
          f"{summary.patients_updated} updated; reviews: {summary.reviews_added} added, "
          f"{summary.reviews_revised} revised, {summary.reviews_unchanged} unchanged")
    if summary.cleared:
        print(f"cleared by an explicit null in the file ({len(summary.cleared)}):")
        for line in summary.cleared:
            print(f"  {line}")
    from mdt.minutes.fonts import print_warning

    for c in cases:
        note = print_warning(c.case.patient.name or "", f"the name of {c.case.patient.id}")
        if note:
            print(f"note: {note}", file=sys.stderr)
    return EXIT_OK


def _printable(text: str) -> str:
    """A file name as the terminal can print it (undecodable bytes shown escaped)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


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
        from mdt.atomic import WriteError, atomic_write

        try:
            # All or nothing: a full disk never leaves a truncated export over a good one.
            atomic_write(args.out, text)
        except WriteError as exc:
            print(f"error: {exc}", file=sys.stderr)
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
    log.add_argument("--seals", action="store_true",
                     help="also the data.seal events (content hashes of the rows written)")
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
            events = svc.patient_history(args.patient) if args.patient else \
                svc.audit_events(args.limit, include_seals=args.seals)
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
    from mdt.errors import MdtError

    try:
        info = backup(db, args.out)
    except BackupError as exc:  # a file of that name exists, an in-memory database
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except MdtError as exc:  # cannot write there (full, read-only, no permission...)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    finally:
        db.close()
    print(f"backup written to {info.path}: {info.rows} rows in {info.tables} tables; "
          f"{info.audit_message}")
    return EXIT_OK


def _add_restore(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("restore", help="restore a backup file into the database (--db)")
    p.add_argument("file", metavar="BACKUP")
    p.add_argument("--force", action="store_true",
                   help="replace an SQLite database that holds data (a copy is kept first, in "
                        "backups/ beside it; MDT_RESTORE_COPIES_KEPT copies are kept, default 5)")
    p.set_defaults(func=cmd_restore)


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mdt.backup import restore
    from mdt.errors import MdtError

    if not Path(args.file).is_file():  # invalid input, like every other command: exit 2
        print(f"error: no backup file {args.file}", file=sys.stderr)
        return EXIT_USAGE
    try:
        info = restore(args.file, args.db, force=args.force)
    except MdtError as exc:
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
    from mdt.demo import demo_members

    print("demo members (none has a password yet: each chooses one at first sign-in, in the "
          "window or with `main.py --user NAME set-password`):")
    for m in demo_members():
        print(f"  {m.name} ({m.role})")
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

    def progress(done: int, total: int, what: str) -> None:
        if not args.quiet and total:
            print(f"\r{what}: {done}/{total}   ", end="", file=sys.stderr, flush=True)

    with _service(args, sign_in=True) as (_db, svc):
        try:
            report = svc.import_dicom(args.path, progress=progress,
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
    if report.missing:
        print(f"error: {len(report.missing)} file(s) listed in the DICOMDIR are missing; the import is "
              "incomplete", file=sys.stderr)
        return EXIT_USAGE
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
        with _service(args, sign_in=True) as (db, svc):
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
    from mdt.protocols import evaluate, evaluation_to_dict, render_report
    from mdt.protocols.governing import CRITERIA, lookup

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
        for case in cases:
            # No criteria without the protocol: refused, saying why (mdt.protocols.governing).
            found = lookup(case, args.protocol)
            if not found.loaded:
                who = "" if args.protocol is not None else f"{case.patient.id}: "
                print(f"error: {who}{found.note_for(CRITERIA)}", file=sys.stderr)
                return EXIT_USAGE
            results.append((case, evaluate(case, args.review, protocol=found.protocol)))
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


def _add_outcomes(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("outcomes", help="endpoints per protocol and arm: conversion, response, "
                                        "survival, complications, panel agreement")
    p.add_argument("files", nargs="*", metavar="CASE.json",
                   help="mdt-case/1 files (default: the patients in the database)")
    p.add_argument("--patient", action="append", metavar="ID", default=[],
                   help="only this patient (repeat for several)")
    p.add_argument("--protocol", metavar="ID", default=None, help="only this protocol")
    p.add_argument("--arm", metavar="ARM", default=None, help="only this arm")
    p.add_argument("--from", dest="enrolled_from", metavar="YYYY-MM-DD", default=None,
                   help="only patients enrolled on or after this date")
    p.add_argument("--to", dest="enrolled_to", metavar="YYYY-MM-DD", default=None,
                   help="only patients enrolled on or before this date")
    p.add_argument("--by", choices=("arm",), default=None,
                   help="one column per arm, with the between-arm comparisons")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the mdt-outcomes/1 JSON")
    fmt.add_argument("--csv", action="store_true", help="print one line per patient (what every figure counts)")
    fmt.add_argument("--pdf", metavar="FILE.pdf", default=None, help="write the outcomes report PDF")
    p.set_defaults(func=cmd_outcomes)


def cmd_outcomes(args: argparse.Namespace) -> int:
    import json
    from datetime import date

    from mdt.outcomes.export import facts_to_csv, report_to_dict, report_to_text
    from mdt.outcomes.facts import cohort_facts
    from mdt.outcomes.report import Filters, build_report

    dates = {}
    for name in ("enrolled_from", "enrolled_to"):
        text = getattr(args, name)
        try:
            dates[name] = date.fromisoformat(text) if text else None
        except ValueError:
            option = "--from" if name == "enrolled_from" else "--to"
            print(f"error: {option}: {text!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
            return EXIT_USAGE
    cases = _load_cases_for(args)
    if isinstance(cases, int):
        return cases
    filters = Filters(protocol=args.protocol, arm=args.arm, by_arm=args.by == "arm", **dates)
    facts, notes = cohort_facts(cases)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    report = build_report(facts, filters, notes)
    if args.protocol is not None and not report.sections:
        print(f"error: no patient under protocol {args.protocol!r} matches the filters", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(report_to_dict(report), indent=2, ensure_ascii=False))
    elif args.csv:
        sys.stdout.write(facts_to_csv([f for f in facts if filters.keeps(f)]))
    elif args.pdf:
        from mdt.outcomes.pdf import render_outcomes_report

        try:
            render_outcomes_report(report, [f for f in facts if filters.keeps(f)], args.pdf)
        except OSError as exc:
            print(f"error: cannot write {args.pdf}: {exc}", file=sys.stderr)
            return EXIT_FAIL
        print(f"outcomes report written to {args.pdf}")
    else:
        sys.stdout.write(report_to_text(report))
    return EXIT_OK


def _add_startup_probe(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("startup-probe",
                       help="open the main window (offscreen in CI), print the start-up time as "
                            "JSON and exit; used by bench/bench_startup_frozen.py")
    p.set_defaults(func=cmd_startup_probe)


def cmd_startup_probe(args: argparse.Namespace) -> int:
    from selftest import run_startup_probe

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


def _add_outcome_sheet(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("outcome-sheet",
                       help="write the one-page outcome sheet of a patient, or of every patient of a meeting")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--meeting", metavar="ID", help="one page per patient on this meeting's agenda")
    which.add_argument("--patient", metavar="ID", help="this patient's latest decided review (or --review)")
    p.add_argument("--review", metavar="YYYY-MM-DD", type=_iso_date, default=None,
                   help="with --patient: the review of this date")
    p.add_argument("--out", metavar="FILE.pdf", required=True, help="where to write the PDF")
    p.add_argument("--pdfa", action="store_true", help="write the archival PDF/A-2b variant")
    p.set_defaults(func=cmd_outcome_sheet)


def _iso_date(text: str):  # noqa: ANN202 - an argparse type
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def cmd_outcome_sheet(args: argparse.Namespace) -> int:
    from mdt.minutes import protocol_notes, write_outcome_sheets

    if args.review is not None and args.patient is None:
        print("error: --review goes with --patient", file=sys.stderr)
        return EXIT_USAGE

    def write(svc: Any, key: str, out: str, *, pdfa: bool) -> object:
        if args.meeting:
            return write_outcome_sheets(svc, out, meeting_id=key, pdfa=pdfa)
        return write_outcome_sheets(svc, out, patient_id=key, review_date=args.review, pdfa=pdfa)

    return _write_pdf(args, write, args.meeting or args.patient, "outcome sheet",
                      lambda svc: protocol_notes(svc, meeting_id=args.meeting, patient_id=args.patient))


def _write_pdf(args: argparse.Namespace, write: Callable[..., object], key: str, what: str,
               notes: Callable[[Any], list[str]] | None = None) -> int:
    """Open the database, render one PDF; unknown ids exit 2, unwritable files exit 1.
    ``notes``: what the PDF says of a patient's protocol that cannot be loaded, as ``note:``."""
    from mdt.atomic import WriteError
    from mdt.errors import MdtError, NotFound

    with _service(args, existing=True) as (db, svc):
        try:
            path = write(svc, key, args.out, pdfa=args.pdfa)
            for note in notes(svc) if notes is not None else ():
                print(f"note: {note}", file=sys.stderr)
        except NotFound as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except (WriteError, MdtError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAIL
    print(f"{what} of {key} written to {path}")
    return EXIT_OK


def cmd_minutes(args: argparse.Namespace) -> int:
    from mdt.minutes import protocol_notes, write_minutes

    return _write_pdf(args, write_minutes, args.meeting, "minutes",
                      lambda svc: protocol_notes(svc, meeting_id=args.meeting))


def cmd_report(args: argparse.Namespace) -> int:
    from mdt.minutes import protocol_notes, write_course_report

    return _write_pdf(args, write_course_report, args.patient, "course report",
                      lambda svc: protocol_notes(svc, patient_id=args.patient))


# ---- sign-in and signing commands: set-password, sign, verify-minutes, members, settings,
# import-certificate (the sign-in rules are in mdt/cli_signin.py and docs/SECURITY.md)

def _signin_exit(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return EXIT_USAGE if getattr(exc, "usage", False) else EXIT_FAIL


def _add_set_password(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("set-password",
                       help="first sign-in of --user (choose a password), or change it")
    p.add_argument("--new-password-file", metavar="FILE", default=None,
                   help="scripted change: the new password is the first line of FILE "
                        "(the current one comes from --password-file or MDT_PASSWORD)")
    p.set_defaults(func=cmd_set_password)


def cmd_set_password(args: argparse.Namespace) -> int:
    import os

    from mdt.cli_signin import SignInFailed, choose_password, read_password_file, sign_in_cli
    from mdt.errors import MdtError
    from mdt.services import MdtService, signin_state

    if not args.user and not os.environ.get("MDT_USER"):
        print("error: give --user NAME (the member whose password this is)", file=sys.stderr)
        return EXIT_USAGE
    name = args.user or os.environ["MDT_USER"]
    with _service(args, existing=True) as (db, _svc):
        try:
            state = signin_state(db, name)
            actor = sign_in_cli(db, state.name, args.password_file)
            if state.has_password:  # a change: signed in with the current one above
                if not args.new_password_file and not sys.stdin.isatty():
                    print(f"{state.name} already has a password (signed in with it); give "
                          f"--new-password-file to change it", file=sys.stderr)
                    return EXIT_OK
                new = (read_password_file(args.new_password_file) if args.new_password_file
                       else choose_password(state.name))
                current = (read_password_file(args.password_file) if args.password_file
                           else os.environ.get("MDT_PASSWORD"))
                if current is None:
                    import getpass

                    current = getpass.getpass("Current password again: ")
                MdtService(db, actor).change_password(current, new)
                print(f"password of {state.name} changed; the signing key was re-encrypted")
            else:
                print(f"password of {state.name} set; a signing key and certificate were made")
        except (SignInFailed, MdtError) as exc:
            return _signin_exit(exc)
    return EXIT_OK


def _add_sign(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sign", help="the chair signs a meeting's minutes (password asked again)")
    p.add_argument("--meeting", metavar="ID", required=True)
    p.add_argument("--out", metavar="FILE.pdf", default=None,
                   help="also write the signed minutes PDF here")
    p.set_defaults(func=cmd_sign)


def cmd_sign(args: argparse.Namespace) -> int:
    from mdt.cli_signin import SignInFailed, ask_password
    from mdt.errors import ConflictError, MdtError, NotFound

    with _service(args, existing=True, sign_in=True) as (db, svc):
        try:
            # Two components at signing (21 CFR 11.200): the password again, even right
            # after sign-in, because it is what unlocks the signing key.
            password = ask_password(f"Password of {svc.actor.name} to sign {args.meeting}: ",
                                    args.password_file)
            sig = svc.sign_meeting(args.meeting, password)
        except NotFound as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except ConflictError as exc:
            print(f"conflict: {exc}", file=sys.stderr)
            return EXIT_FAIL
        except (SignInFailed, MdtError) as exc:
            return _signin_exit(exc)
        if args.out:
            from mdt.atomic import WriteError, atomic_write

            try:
                atomic_write(args.out, svc.signed_minutes(args.meeting) or b"")
            except WriteError as exc:
                print(f"error: the minutes were signed, but {exc}", file=sys.stderr)
                return EXIT_FAIL
    print(f"{args.meeting} signed by {sig.signer} at {sig.at.isoformat(timespec='seconds')}; "
          f"audit event #{sig.audit_event_id}, certificate SHA-256 {sig.certificate_sha256}")
    if args.out:
        print(f"signed minutes written to {args.out}")
    return EXIT_OK


def _add_verify_minutes(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify-minutes",
        help="who signed a minutes PDF, when, and whether it and the database still agree "
             "(exit 0 valid and agrees; 1 broken or disagrees; 2 no file/not a PDF; 3 unsigned)")
    p.add_argument("file", metavar="FILE.pdf")
    p.set_defaults(func=cmd_verify_minutes)


def cmd_verify_minutes(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mdt.signing import verify_minutes

    try:
        pdf = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    with _service(args, existing=True) as (db, svc):
        result = verify_minutes(svc, pdf)
    out = sys.stdout if result.agrees else sys.stderr
    for line in result.lines:
        print(line, file=out)
    return result.code


def _add_members(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("members", help="the members registry: list, add, reset a password, "
                                       "bind an operating-system login")
    msub = p.add_subparsers(dest="members_command", metavar="ACTION", required=True)
    ls = msub.add_parser("list", help="members with sign-in status (no sign-in needed)")
    ls.set_defaults(func=cmd_members_list)
    add = msub.add_parser("add", help="add a member (chair/coordinator, signed in)")
    add.add_argument("name")
    add.add_argument("--specialty", required=True)
    add.add_argument("--role", default="member")
    add.set_defaults(func=cmd_members_add)
    reset = msub.add_parser("reset-password", help="clear a forgotten password "
                                                   "(chair/coordinator, signed in)")
    reset.add_argument("name")
    reset.set_defaults(func=cmd_members_reset)
    bind = msub.add_parser("bind-os", help="bind a member to an operating-system login "
                                           "(chair/coordinator, signed in)")
    bind.add_argument("name")
    bind.add_argument("login", nargs="?", default=None, help="omit to unbind")
    bind.set_defaults(func=cmd_members_bind)


def cmd_members_list(args: argparse.Namespace) -> int:
    from mdt.services import signin_states

    with _service(args, existing=True) as (db, _svc):
        for st in signin_states(db):
            key = f"key {st.key_source} {st.certificate_sha256[:16]}…" if st.certificate_sha256 else "no key"
            print(f"{st.name}\t{st.role}\t{'password set' if st.has_password else 'no password yet'}"
                  f"\t{key}\t{('os: ' + st.os_account) if st.os_account else ''}"
                  + (f"\tlocked out until {st.locked_out_until.astimezone():%H:%M} (wrong passwords)"
                     if st.locked_out_until else ""))
    return EXIT_OK


def _member_id(svc: Any, name: str) -> int:
    from mdt.errors import NotFound

    found = next((m for m in svc.list_members(include_inactive=True)
                  if m.name.casefold() == name.casefold()), None)
    if found is None or found.id is None:
        raise NotFound(f"no member named {name!r}")
    return found.id


def _members_action(args: argparse.Namespace, action: Callable[[Any], str]) -> int:
    from mdt.cli_signin import SignInFailed
    from mdt.errors import MdtError, NotFound, ValidationError

    with _service(args, existing=True, sign_in=True) as (db, svc):
        try:
            print(action(svc))
        except SignInFailed as exc:
            return _signin_exit(exc)
        except (NotFound, ValidationError) as exc:
            _print_problems(exc)
            return EXIT_USAGE
        except MdtError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAIL
    return EXIT_OK


def cmd_members_add(args: argparse.Namespace) -> int:
    from mdt.meeting import Member

    return _members_action(args, lambda svc: "added " + svc.add_member(Member(
        name=args.name, specialty=args.specialty, role=args.role)).name
        + " (they choose a password at first sign-in)")


def cmd_members_reset(args: argparse.Namespace) -> int:
    def act(svc: Any) -> str:
        svc.reset_password(_member_id(svc, args.name))
        return f"password of {args.name} cleared: they choose a new one at next sign-in"
    return _members_action(args, act)


def cmd_members_bind(args: argparse.Namespace) -> int:
    def act(svc: Any) -> str:
        svc.bind_os_account(_member_id(svc, args.name), args.login)
        return (f"{args.name} bound to login {args.login}" if args.login
                else f"{args.name} unbound from any login")
    return _members_action(args, act)


def _add_settings(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("settings", help="hospital settings (sign-in mode, screen lock, amendments)")
    ssub = p.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    show = ssub.add_parser("show", help="every setting with its value")
    show.set_defaults(func=cmd_settings_show)
    st = ssub.add_parser("set", help="change one (chair/coordinator, signed in)")
    st.add_argument("key")
    st.add_argument("value")
    st.set_defaults(func=cmd_settings_set)


def cmd_settings_show(args: argparse.Namespace) -> int:
    from mdt.settings import DESCRIPTIONS

    with _service(args, existing=True) as (db, svc):
        for key, value in svc.setting_values().items():
            print(f"{key} = {value}\t# {DESCRIPTIONS.get(key, '')}")
    return EXIT_OK


def cmd_settings_set(args: argparse.Namespace) -> int:
    return _members_action(args, lambda svc: f"{args.key} = {svc.set_setting(args.key, args.value)}")


def _add_import_certificate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import-certificate",
                       help="sign with a hospital-issued certificate (PKCS#12) from now on")
    p.add_argument("file", metavar="FILE.p12")
    p.add_argument("--p12-password-file", metavar="FILE", default=None,
                   help="the PKCS#12 file's own password (first line); else prompted")
    p.set_defaults(func=cmd_import_certificate)


def cmd_import_certificate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mdt.cli_signin import ask_password, read_password_file

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE

    def act(svc: Any) -> str:
        if args.p12_password_file:
            p12 = read_password_file(args.p12_password_file)
        else:
            import getpass

            p12 = getpass.getpass("Password of the PKCS#12 file: ") if sys.stdin.isatty() else None
        password = ask_password(f"Your password, {svc.actor.name}: ", args.password_file)
        fp = svc.import_certificate(data, p12, password)
        return f"{svc.actor.name} now signs with the imported certificate (SHA-256 {fp})"
    return _members_action(args, act)



# ---- review: read and correct one review from the command line (the window's operations:
# mdt.review_edits for the field, mdt.review_ops for the save, amendment and conflict rules)

def _add_review(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="show one review, or correct fields of it as a new version")
    rsub = p.add_subparsers(dest="review_command", metavar="ACTION", required=True)
    show = rsub.add_parser("show", help="the review's fields and its current version")
    show.add_argument("patient", metavar="PATIENT_ID")
    show.add_argument("--review", metavar="DATE|latest", default="latest",
                      help="the review's date (YYYY-MM-DD); default: the latest")
    show.set_defaults(func=cmd_review)
    st = rsub.add_parser("set", help="change fields (FIELD=VALUE; empty VALUE = not recorded), "
                                     "saved as one new version (signed in)")
    st.add_argument("patient", metavar="PATIENT_ID")
    st.add_argument("assignments", nargs="+", metavar="FIELD=VALUE",
                    help="e.g. labs.bilirubin=25 lesions.L1.diameter_mm=40 ecog=1 "
                         "(review fields lists them)")
    st.add_argument("--review", metavar="DATE|latest", default="latest")
    st.add_argument("--reason", default=None, help="why (kept with the version in the history)")
    st.add_argument("--amendment", metavar="REASON", default=None,
                    help="the amendment's reason when the review belongs to signed minutes")
    st.set_defaults(func=cmd_review, nothing_done="saved")
    fields = rsub.add_parser("fields", help="every FIELD that review set takes, with its limits")
    fields.set_defaults(func=cmd_review_fields)


def cmd_review_fields(args: argparse.Namespace) -> int:
    from mdt import review_edits

    paths = review_edits.field_paths()
    width = max(len(p) for p in paths)
    for path in paths:
        print(f"{path:<{width}}  {review_edits.field_help(path)}".rstrip())
    return EXIT_OK


def _pick_review(svc: Any, patient: str, which: str) -> Any:
    from datetime import date

    records = svc.list_reviews(patient)
    if not records:
        print(f"error: patient {patient} has no review", file=sys.stderr)
        raise _CommandExit(EXIT_USAGE)
    if which == "latest":
        return records[-1]
    try:
        on = date.fromisoformat(which)
    except ValueError:
        print(f"error: --review: {which!r} is not a date (YYYY-MM-DD) or 'latest'", file=sys.stderr)
        raise _CommandExit(EXIT_USAGE) from None
    found = [r for r in records if r.review.date == on]
    if len(found) != 1:
        dates = ", ".join(r.review.date.isoformat() for r in records)
        print(f"error: patient {patient} has {len(found) or 'no'} review(s) on {on} "
              f"(reviews: {dates})", file=sys.stderr)
        raise _CommandExit(EXIT_USAGE)
    return found[0]


def cmd_review(args: argparse.Namespace) -> int:
    from mdt import review_diff, review_ops
    from mdt.errors import ConflictError, NotFound, ValidationError
    from mdt.review_edits import Edit, edit_for, field_name, typed_values

    changing = args.review_command == "set"
    with _service(args, existing=True, sign_in=changing) as (db, svc):
        try:
            record = _pick_review(svc, args.patient, args.review)
        except NotFound as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        head = (f"{args.patient}, review {record.review.date.isoformat()}: version {record.version} "
                f"saved by {record.saved_by}" + (f" (signed meeting {record.meeting_id})" if record.locked else ""))
        if not changing:
            print(head)
            rows = typed_values(record.review)
            width = max((len(f"{p} = {v or '(not recorded)'}") for p, v in rows), default=0)
            for path, value in rows:
                name = field_name(path)
                said = f"{path} = {value or '(not recorded)'}"
                unit = f", {name.unit}" if name is not None and name.unit else ""
                print(f"  {said:<{width}}  {name.label}{unit}" if name is not None else f"  {said}")
            return EXIT_OK
        review, reasons = record.review, []
        try:
            for text in args.assignments:
                path, eq, value = text.partition("=")
                if not eq:
                    print(f"error: {text!r}: write FIELD=VALUE (e.g. labs.bilirubin=25)", file=sys.stderr)
                    return EXIT_USAGE
                edit = edit_for(review, path, value)
                review = edit.review
                reasons.append(edit.reason)
        except ValidationError as exc:
            print(f"error: {review_ops.problem_words(exc, review)}; nothing was saved", file=sys.stderr)
            return EXIT_USAGE
        if review == record.review:
            print(f"{head}: nothing to change")
            return EXIT_OK
        words = "; ".join(reasons)
        reason = f"{args.reason.strip()}: {words}" if args.reason and args.reason.strip() else words
        try:
            saved = review_ops.apply_edit(svc, record, Edit(review, reason), amendment=args.amendment)
        except review_ops.AmendmentNeeded as exc:
            print(f"error: {exc}: give --amendment REASON; nothing was saved", file=sys.stderr)
            return EXIT_FAIL
        except ValidationError as exc:
            print(f"error: {review_ops.problem_words(exc, review)}; nothing was saved", file=sys.stderr)
            return EXIT_USAGE
        except ConflictError as exc:
            print(f"conflict: {exc}; nothing was saved (run it again on the new version)", file=sys.stderr)
            return EXIT_FAIL
        print(f"{args.patient}, review {saved.review.date.isoformat()}: saved as version {saved.version} "
              f"by {saved.saved_by}" + (" (an amendment to the signed minutes)" if args.amendment else ""))
        for line in review_diff.change_lines(record.review, saved.review):
            print(f"  {line}")
    return EXIT_OK



REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_set_password, _add_sign, _add_verify_minutes, _add_members, _add_settings,
    _add_import_certificate,
    _add_import, _add_export, _add_audit, _add_backup, _add_restore, _add_demo,
    _add_import_dicom, _add_volumetry,
    _add_review, _add_evaluate, _add_protocols,
    _add_response, _add_cohort, _add_outcomes,
    _add_minutes, _add_report, _add_outcome_sheet,
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
                        help="the member who acts (default: MDT_USER); commands that change "
                             "the record sign this member in first: a password prompt on a "
                             "terminal, else --password-file or MDT_PASSWORD")
    parser.add_argument("--password-file", metavar="FILE", default=None,
                        help="scripted sign-in: the member's password is the first line of "
                             "FILE (keep it readable by you only); MDT_PASSWORD also works")
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
        from selftest import run_self_test

        return run_self_test(db_url=args.db)
    func: Command = getattr(args, "func", cmd_gui)
    from mdt.errors import MdtError

    try:
        return func(args)
    except _CommandExit as stop:
        return stop.code
    except MdtError as exc:
        # A fault the command did not expect (the database went read-only, busy, away; a
        # disk filled): its message, never a traceback.  Input problems were exit 2 above.
        _print_problems(exc)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(main())
