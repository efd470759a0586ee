"""``main.py --self-test``: the headless start-up check the packaged executable runs,
here from the checkout as a separate process (Qt offscreen, as on CI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_fixtures import Cli

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
