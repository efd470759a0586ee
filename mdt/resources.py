"""The one place that resolves paths of shipped data files (``resources/``).

Works from a checkout and from the frozen PyInstaller bundle, where
``sys._MEIPASS`` holds the collected ``resources`` folder, and from an installed
wheel, which carries the folder as data files under ``<prefix>/share/liver-mdt``
(``pyproject.toml``).
"""

from __future__ import annotations

import site
import sys
from pathlib import Path

from mdt import APP_ID


def _installed_dirs() -> list[Path]:
    """Where a wheel's data files land: the environment's prefix, or the user's base."""
    bases = [sys.prefix, getattr(site, "USER_BASE", None) or ""]
    return [Path(base) / "share" / APP_ID / "resources" for base in bases if base]


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    checkout = Path(__file__).resolve().parent.parent / "resources"
    if checkout.is_dir():
        return checkout
    return next((d for d in _installed_dirs() if d.is_dir()), checkout)


def resource_path(*parts: str) -> Path:
    """Path of a file under ``resources/``, e.g. ``resource_path("protocols", "x.json")``."""
    return resources_dir().joinpath(*parts)
