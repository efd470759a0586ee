"""The one place that resolves paths of shipped data files (``resources/``).

Works from a checkout and from the frozen PyInstaller bundle, where
``sys._MEIPASS`` holds the collected ``resources`` folder.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """Path of a file under ``resources/``, e.g. ``resource_path("protocols", "x.json")``."""
    return resources_dir().joinpath(*parts)
