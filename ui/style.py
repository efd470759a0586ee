"""Look of the window: bundled font, a high-contrast palette, status colours.

The board reads the screen from across a room on a projector, so the base font
is at least 12 pt, colours never carry meaning alone (every status also has a
word), and the palette is a plain light Fusion one that survives projectors.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication, QHeaderView, QLabel, QTableView, QWidget

from mdt import glossary
from mdt.resources import resource_path

BASE_POINT_SIZE = 12
"""Base font size (pt) for the whole window; the brief asks for >= 11 pt."""
LARGE_POINT_SIZE = 20
"""Verdicts and headings."""
PRESENTATION_POINT_SIZE = 26
"""Presentation mode: legible on the room's screen."""

FALLBACK_FAMILY = "DejaVu Sans"
CJK_FAMILY = "WenQuanYi Micro Hei"
"""Bundled glyphs for Chinese, Japanese and Korean names (DejaVu has none), the PDFs' fallback too."""

STATUS_COLOURS: dict[str, str] = dict(glossary.EFFECT_COLOURS)
"""Colours of a criterion's effect (ok, unresectable, excludes, unknown): mdt.glossary's legend,
the same in the window and the PDF."""
RESECTABILITY_COLOURS: dict[str, str] = {
    code: glossary.verdict_colour(code) for code in glossary.VERDICT_EFFECT}
OVERDUE_COLOUR = "#b3261e"
DUE_SOON_COLOUR = "#8a6d00"

_loaded_family: str | None = None


def load_bundled_fonts() -> str | None:
    """Register every TTF under ``resources/fonts``; return the sans family to use.

    Offscreen and minimal containers have no system fonts (boxes instead of
    text), so the window always uses a font it ships.
    """
    global _loaded_family
    if _loaded_family is not None:
        return _loaded_family
    folder = resource_path("fonts")
    families: list[str] = []
    if folder.is_dir():
        for path in sorted([*folder.glob("*.ttf"), *folder.glob("*.ttc")]):
            font_id = QFontDatabase.addApplicationFont(str(path))
            if font_id >= 0:
                families.extend(QFontDatabase.applicationFontFamilies(font_id))
    if not families:
        return None
    # Prefer the proportional sans face over Mono/Serif/Condensed variants.
    plain = [f for f in families if f == FALLBACK_FAMILY]
    others = [f for f in families if "Mono" not in f and "Serif" not in f and "Condensed" not in f
              and not f.startswith("WenQuanYi")]
    _loaded_family = (plain or others or families)[0]
    if CJK_FAMILY in families:
        # Glyphs the main family lacks (CJK names) come from the bundled fallback,
        # also for fonts built from a family name elsewhere.
        QFont.insertSubstitution(_loaded_family, CJK_FAMILY)
    return _loaded_family


def ui_font(point_size: int = BASE_POINT_SIZE, bold: bool = False) -> QFont:
    font = QFont(_loaded_family or FALLBACK_FAMILY, point_size)
    font.setFamilies([_loaded_family or FALLBACK_FAMILY, CJK_FAMILY])
    font.setBold(bold)
    return font


ROLE_COLOURS: dict[str, str] = {"error": "#b3261e", "hint": "#555555", "verdict": "#111111",
                                "warning": "#7a4a00"}
"""Labels carry a ``role`` property (error, hint, verdict, warning); :func:`apply_roles` styles them.

A palette and fonts rather than an application style sheet: a style sheet makes Qt
polish every widget through QStyleSheetStyle, which cost 0.2 s of start-up here."""


def style_label(widget: QWidget, role: str | None = None) -> None:
    """Colour and weight of a label for its role (``error`` red bold, ``hint`` grey, ``verdict`` bold)."""
    role = role if role is not None else widget.property("role")
    if role is not None:
        widget.setProperty("role", role)
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor(ROLE_COLOURS.get(role or "", "#111111")))
    widget.setPalette(palette)
    font = widget.font()
    font.setBold(role in ("error", "verdict"))
    widget.setFont(font)


def apply_roles(root: QWidget) -> None:
    """Style every label under ``root`` that has a ``role`` property (once, after building)."""
    for child in root.findChildren(QLabel):
        if child.property("role"):
            style_label(child)


def apply_style(app: QApplication) -> None:
    """Fusion style, bundled font at the base size, light high-contrast palette."""
    app.setStyle("Fusion")
    load_bundled_fonts()
    app.setFont(ui_font())
    palette = app.style().standardPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#f4f4f4"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#eef2f7"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#111111"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#111111"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#1f5fa8"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    app.setPalette(palette)
    # Class-specific fonts cost nothing at polish time (unlike a style sheet).
    app.setFont(ui_font(bold=True), "QHeaderView")


def label(text: str | None) -> str:
    """A vocabulary code in the board's words (mdt.glossary), in the short form the glossary gives
    ratings and plans for lists and cells: ``convertible`` -> ``convertible``,
    ``pve_then_resection`` -> ``PVE, then resection``, ``two_stage`` -> ``two-stage hepatectomy``."""
    return glossary.short_words(text, missing="")


def fit_columns(view: QTableView, *, stretch: int | None = None) -> None:
    """Size every shown column of ``view`` to its header and cells now; ``stretch`` takes the rest.

    Called after each fill rather than using ``ResizeToContents`` mode: that mode does not
    re-measure when rows are appended to a hidden tab, which left figures cut ("+41.…").
    Qt measures at most ``resizeContentsPrecision`` rows, so long lists stay cheap.
    """
    model = view.model()
    if model is None:
        return
    header = view.horizontalHeader()
    if stretch is not None:
        header.setStretchLastSection(False)
    for col in range(model.columnCount()):
        if view.isColumnHidden(col):
            continue
        if col == stretch:
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
            continue
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        view.resizeColumnToContents(col)
