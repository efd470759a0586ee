"""Liver MDT domain core.  Never imports Qt or ``ui``: a test enforces it."""

__version__ = "0.1.0"
APP_NAME = "Liver MDT"
APP_ID = "liver-mdt"
