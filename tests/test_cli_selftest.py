"""``main.py --self-test``: the headless start-up check the packaged executable runs,
here from the checkout as a separate process (Qt offscreen, as on CI)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_fixtures import BACKENDS, Cli, new_database, snapshot
from tests.pg_fixtures import pg_server_url  # noqa: F401

pytestmark = pytest.mark.xdist_group("cli_selftest")


def test_self_test_passes_and_leaves_the_data_dir_alone(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "data")
    res = cli.run("--self-test")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["format"] == "mdt-self-test/1"
    assert report["ok"] is True and report["failed_step"] is None
    steps = {s["name"]: s for s in report["steps"]}
    assert all(s["ok"] for s in steps.values())
    for name in ("migrate", "load_demo", "evaluate", "minutes_pdf", "main_window"):
        assert name in steps
    assert steps["load_demo"]["detail"]["patients"] > 0
    assert list(cli.data_dir.iterdir()) == []  # the user's database is never touched


@pytest.fixture(params=BACKENDS)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from new_database(request, tmp_path)


def test_self_test_on_a_new_database_then_refuses_one_with_data(empty_db: str,
                                                                tmp_path: Path) -> None:
    """--db checks a new (e.g. department PostgreSQL) database; a database holding patients
    fails the demo step and is left exactly as it was."""
    cli = Cli(tmp_path / "data")
    res = cli.run("--self-test", db=empty_db)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["ok"] is True
    before = snapshot(empty_db)
    res = cli.run("--self-test", db=empty_db)
    assert res.returncode == 1
    report = json.loads(res.stdout)
    assert report["ok"] is False and report["failed_step"] == "load_demo"
    assert "not empty" in res.stderr
    assert snapshot(empty_db) == before
