"""The review editor: see :mod:`ui.review.editor` for the public API."""

from __future__ import annotations

from ui.review.editor import ReviewEditor

__all__ = ["ReviewEditor"]
