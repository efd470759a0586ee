"""The command line's global options and argument errors, as a user meets them in a shell.

``--db URL`` (else ``MDT_DATABASE_URL``, else the SQLite file in the data directory) is
accepted before every command; argument errors print a usage message and exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from main import build_parser
from tests.cli_fixtures import Cli, cli_env, spec_case, write_json

pytestmark = pytest.mark.xdist_group("cli_args")


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[arg-type]


# What README.md promises on the command line.
README_COMMANDS = {"gui", "import", "export", "evaluate", "protocols", "minutes", "report",
                   "import-dicom", "volumetry", "audit", "backup", "restore"}


def test_main_help_lists_every_promised_command(tmp_path: Path) -> None:
    res = Cli(tmp_path / "data").ok("--help")
    assert res.stdout.startswith("usage: main.py")
    for option in ("--db URL", "--user NAME", "--self-test"):
        assert option in res.stdout
    for command in README_COMMANDS:
        assert command in res.stdout
    assert README_COMMANDS <= set(_commands())


@pytest.mark.parametrize("command", _commands())
def test_db_is_accepted_before_every_command(command: str, tmp_path: Path) -> None:
    res = Cli(tmp_path / "data").run("--db", f"sqlite:///{tmp_path / 'x.sqlite3'}",
                                     "--user", "A. Martin", command, "--help")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"usage: main.py {command}")
    assert not (tmp_path / "x.sqlite3").exists()  # --help touches no database


def test_database_url_from_the_environment(tmp_path: Path) -> None:
    """MDT_DATABASE_URL is used when --db is absent; --db wins over it."""
    cli = Cli(tmp_path / "data")
    env_db = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    case = write_json(tmp_path / "case.json", spec_case())
    res = cli.run("import", case, env=cli_env(cli.data_dir, MDT_DATABASE_URL=env_db))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "env.sqlite3").exists()
    res = cli.run("export", "--patient", "MRN-000123", db=env_db)
    assert res.returncode == 0 and json.loads(res.stdout)["patient"]["id"] == "MRN-000123"
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    res = cli.run("export", "--patient", "MRN-000123", db=other,
                  env=cli_env(cli.data_dir, MDT_DATABASE_URL=env_db))
    assert res.returncode == 2 and "no database at" in res.stderr and "other.sqlite3" in res.stderr
    # Without either, the embedded file in the data directory.
    res = cli.run("import", case)
    assert res.returncode == 0, res.stderr
    assert (cli.data_dir / "liver-mdt.sqlite3").exists()


USAGE_ERRORS = [
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["minutes", "--out", "x.pdf"], "the following arguments are required: --meeting"),
    (["report", "--patient", "MRN-1"], "the following arguments are required: --out"),
    (["backup"], "the following arguments are required: --out"),
    (["audit"], "the following arguments are required: ACTION"),
    (["evaluate", "CASE", "--review", "latest"], "argument --review: invalid int value: 'latest'"),
    (["evaluate"], "the following arguments are required: CASE.json"),
    (["import", "CASE", "--db", "sqlite:///x.db"], "unrecognized arguments: --db"),
    (["export", "--patient"], "argument --patient: expected one argument"),
    (["--db"], "argument --db: expected one argument"),
]


@pytest.mark.parametrize(("argv", "message"), USAGE_ERRORS,
                         ids=["-".join(a).strip("-") for a, _ in USAGE_ERRORS])
def test_argument_errors_print_usage_and_exit_2(argv: list[str], message: str,
                                                tmp_path: Path) -> None:
    case = write_json(tmp_path / "case.json", spec_case())
    res = Cli(tmp_path / "data").run(*[str(case) if a == "CASE" else a for a in argv])
    assert res.returncode == 2
    assert res.stdout == ""
    assert "usage: main.py" in res.stderr
    assert message in res.stderr
    assert "Traceback" not in res.stderr


def test_unusable_database_url_is_a_clear_error(tmp_path: Path) -> None:
    res = Cli(tmp_path / "data").run("export", "--all", db="nonsense://nowhere")
    assert res.returncode == 1
    assert "nonsense://nowhere" in res.stderr and "Traceback" not in res.stderr


READ_ONLY = [["export", "--all"], ["audit", "verify"], ["audit", "log"],
             ["minutes", "--meeting", "LIV-2026-01-01", "--out", "OUT"],
             ["report", "--patient", "MRN-1", "--out", "OUT"], ["backup", "--out", "OUT"],
             ["response"], ["cohort"]]


@pytest.mark.parametrize("argv", READ_ONLY, ids=["-".join(a[:2]) for a in READ_ONLY])
def test_reading_a_database_that_does_not_exist_is_an_error(argv: list[str],
                                                            tmp_path: Path) -> None:
    """A mistyped --db must not be reported as an empty, intact database (nor created)."""
    missing = tmp_path / "typo" / "mdt.sqlite3"
    res = Cli(tmp_path / "data").run(*[str(tmp_path / "out") if a == "OUT" else a for a in argv],
                                     db=f"sqlite:///{missing}")
    assert res.returncode == 2
    assert f"no database at {missing}" in res.stderr
    assert res.stdout == ""
    assert not missing.exists() and not (tmp_path / "out").exists()
