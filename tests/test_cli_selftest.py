"""``main.py --self-test``: the headless start-up check the packaged executable runs,
here from the checkout as a separate process (Qt offscreen, as on CI)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_fixtures import BACKENDS, Cli, cli_env, new_database, snapshot
from tests.pg_fixtures import pg_server_url  # noqa: F401

pytestmark = pytest.mark.xdist_group("cli_selftest")


@pytest.fixture(scope="session")
def headless_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, subprocess.CompletedProcess[str]]:
    """One ``--self-test`` in an environment without QT_QPA_PLATFORM, DISPLAY or
    WAYLAND_DISPLAY (a server, CI): the tests below read it (a run costs several seconds).
    Session scope: under xdist other modules' tests can come between these two, which
    would tear a module-scoped fixture down and run the self-test again."""
    cli = Cli(tmp_path_factory.mktemp("selftest") / "data")
    env = {k: v for k, v in cli_env(cli.data_dir).items()
           if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    return cli, cli.run("--self-test", env=env)


def test_self_test_passes_and_leaves_the_data_dir_alone(
        headless_run: tuple[Cli, subprocess.CompletedProcess[str]]) -> None:
    cli, res = headless_run
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["format"] == "mdt-self-test/1"
    assert report["ok"] is True and report["failed_step"] is None
    steps = {s["name"]: s for s in report["steps"]}
    assert all(s["ok"] for s in steps.values())
    for name in ("migrate", "load_demo", "evaluate", "minutes_pdf", "outcomes", "signing", "main_window"):
        assert name in steps
    assert steps["load_demo"]["detail"]["patients"] > 0
    assert list(cli.data_dir.iterdir()) == []  # the user's database is never touched


@pytest.fixture(params=BACKENDS)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from new_database(request, tmp_path)


def test_self_test_checks_a_given_database_but_never_writes_demo_data(empty_db: str,
                                                                     tmp_path: Path) -> None:
    """--db checks a (e.g. department PostgreSQL) database: it opens and migrates, and
    no demo patient ever reaches it; a second run changes nothing."""
    cli = Cli(tmp_path / "data")
    res = cli.run("--self-test", db=empty_db)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["ok"] is True
    target = {s["name"]: s for s in report["steps"]}["target_database"]["detail"]
    assert target["checked"] is True and target["patients"] == 0
    before = snapshot(empty_db)
    res = cli.run("--self-test", db=empty_db)
    assert res.returncode == 0, res.stderr
    assert snapshot(empty_db) == before


def test_self_test_without_a_display_runs_offscreen(
        headless_run: tuple[Cli, subprocess.CompletedProcess[str]]) -> None:
    _cli, res = headless_run
    assert res.returncode == 0, res.stderr[-2000:]
    report = json.loads(res.stdout)
    assert report["ok"] is True
    window = {s["name"]: s for s in report["steps"]}["main_window"]["detail"]
    assert window["qt_platform"] == "offscreen"
