"""Packaging: pyproject.toml declares the same pinned dependencies as the requirements files
(which scripts/setup.sh installs from), builds with setuptools, and an installed wheel finds
the resources it carries as data files."""

from __future__ import annotations

import sys
import tomllib
import warnings
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from mdt import resources

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirements_file(name: str) -> list[str]:
    """The requirement lines of a pip requirements file (comments, blanks and -r dropped)."""
    lines = []
    for raw in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            lines.append(line)
    return lines


def _normalised(lines: list[str]) -> dict[str, tuple[frozenset[str], str]]:
    out: dict[str, tuple[frozenset[str], str]] = {}
    for line in lines:
        req = Requirement(line)
        name = req.name.lower().replace("_", "-").replace(".", "-")
        assert name not in out, f"{name} is listed twice"
        out[name] = (frozenset(req.extras), str(req.specifier))
    return out


@pytest.mark.parametrize(("declared", "requirements_file"), [
    (PYPROJECT["project"]["dependencies"], "requirements.txt"),
    (PYPROJECT["project"]["optional-dependencies"]["dev"], "requirements-dev.txt"),
])
def test_pyproject_and_requirements_files_pin_the_same_versions(declared: list[str],
                                                                 requirements_file: str) -> None:
    assert _normalised(declared) == _normalised(_requirements_file(requirements_file))


def test_every_dependency_is_pinned_to_one_version() -> None:
    for line in [*_requirements_file("requirements.txt"), *_requirements_file("requirements-dev.txt")]:
        specs = list(Requirement(line).specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{line} is not pinned"


def test_dev_requirements_include_the_runtime_ones() -> None:
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()


def test_build_configuration_is_valid_and_ships_code_entry_point_and_resources(
        monkeypatch: pytest.MonkeyPatch) -> None:
    setuptools_config = pytest.importorskip("setuptools.config.pyprojecttoml")
    monkeypatch.chdir(ROOT)  # setuptools expands the data-file globs from the working directory
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "[tool.setuptools] is beta" on older setuptools
        config = setuptools_config.read_configuration(ROOT / "pyproject.toml")
    assert PYPROJECT["build-system"]["build-backend"] == "setuptools.build_meta"
    project, tool = config["project"], config["tool"]["setuptools"]
    import mdt

    assert project["version"] == mdt.__version__
    assert project["scripts"] == {"liver-mdt": "main:main"}
    for module in tool["py-modules"]:
        assert (ROOT / f"{module}.py").is_file()
    assert set(tool["py-modules"]) == {"main", "selftest"}
    assert "script.py.mako" in tool["package-data"]["mdt.store.migrations"]
    shipped = {Path(f).as_posix() for _dest, files in tool["data-files"] for f in files}
    for dest, files in tool["data-files"]:
        for f in files:
            assert dest == "share/liver-mdt/" + Path(f).parent.as_posix()
    # Every data file the application reads; the script that generated the diagram stays out.
    expected = {p.relative_to(ROOT).as_posix() for p in (ROOT / "resources").rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"}
    assert shipped == expected


def test_an_installed_wheel_finds_its_resources_under_the_prefix(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    installed = tmp_path / "venv" / "share" / "liver-mdt" / "resources"
    (installed / "protocols").mkdir(parents=True)
    monkeypatch.setattr(resources, "__file__", str(tmp_path / "site-packages" / "mdt" / "resources.py"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    assert resources.resources_dir() == installed
    assert resources.resource_path("protocols", "x.json") == installed / "protocols" / "x.json"


def test_a_checkout_uses_its_own_resources_folder() -> None:
    assert resources.resources_dir() == ROOT / "resources"
