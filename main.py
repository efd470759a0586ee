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
from collections.abc import Callable

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


REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = [
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
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(main())
