"""What a person at the screen can actually read: clipped table headers, cut combo texts, table
cells and one-line labels cut short, widgets scrolled or pushed out of sight, and every string
shown.

``scripts/screenshots.py`` runs these checks on each screen of the real window at 1366×768 and
1920×1080 and the tests assert on them; they measure with the widgets' own fonts and styles, as Qt
paints them, so a check fails exactly where the user sees "Rese…" or "gme".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollArea,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionComboBox,
    QStyleOptionHeader,
    QStyleOptionViewItem,
    QTabBar,
    QTableView,
    QTreeView,
    QWidget,
)

SLACK = 1
"""Pixels of rounding a text may exceed its room by before it counts as cut."""


@dataclass(frozen=True)
class Problem:
    kind: str
    """``header``, ``combo``, ``cell``, ``label``, ``tab``, ``hidden`` or ``sideways`` (a form's
    scroll area scrolls sideways)."""
    where: str
    """The widget, as a person would name it (its accessible name, else its class and place)."""
    text: str
    need: int
    room: int

    def __str__(self) -> str:
        return f"{self.kind} cut in {self.where}: “{self.text}” needs {self.need} px, has {self.room}"


def widget_name(w: QWidget) -> str:
    """Accessible name, object name, else the class and the chain of named ancestors."""
    own = w.accessibleName() or w.objectName()
    if own:
        return own
    chain = []
    p = w.parentWidget()
    while p is not None and len(chain) < 3:
        n = p.accessibleName() or p.objectName()
        if n:
            chain.append(n)
        p = p.parentWidget()
    return type(w).__name__ + (f" in {' / '.join(chain)}" if chain else "")


def shown(w: QWidget) -> bool:
    """Visible on screen: itself and every ancestor shown, and not scrolled or clipped away."""
    return w.isVisible() and visible_rect(w).isValid() and not visible_rect(w).isEmpty()


def visible_rect(w: QWidget) -> QRect:
    """The part of ``w`` (in its window's coordinates) that its ancestors do not clip: scroll
    area viewports, splitter panes and the window's own edge."""
    window = w.window()
    rect = QRect(w.mapTo(window, w.rect().topLeft()), w.size())
    p = w.parentWidget()
    while p is not None:
        rect = rect.intersected(QRect(p.mapTo(window, p.rect().topLeft()), p.size()))
        if p is window:
            break
        p = p.parentWidget()
    return rect


def fully_visible(w: QWidget, min_height: int | None = None) -> bool:
    """All of ``w`` is in sight (``min_height``: at least that much of it, for a tall table)."""
    if not w.isVisible():
        return False
    seen = visible_rect(w)
    if seen.width() < w.width():
        return False
    return seen.height() >= (min_height if min_height is not None else w.height())


# --------------------------------------------------------------------------- measurements

def _header_problems(view: QAbstractItemView, header: QHeaderView, where: str) -> Iterator[Problem]:
    model = header.model()
    if model is None or not header.isVisible():
        return
    horizontal = header.orientation() == Qt.Orientation.Horizontal
    if not horizontal:
        return
    fm = QFontMetrics(header.font())
    style = header.style()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    for logical in range(header.count()):
        if header.isSectionHidden(logical):
            continue
        text = model.headerData(logical, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        if not text:
            continue
        room = header.sectionSize(logical)
        if header.sectionViewportPosition(logical) + room <= 0 or \
                header.sectionViewportPosition(logical) >= header.viewport().width():
            continue  # scrolled out of sight: the "hidden" check reports that where it matters
        need = 2 * margin
        lines = str(text).split("\n")
        need += max(fm.horizontalAdvance(line) for line in lines)
        if header.isSortIndicatorShown() and header.sortIndicatorSection() == logical:
            need += margin + style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header)
        if need > room + SLACK:
            yield Problem("header", where, str(text).replace("\n", " "), need, room)
        opt = QStyleOptionHeader()
        opt.initFrom(header)
        if len(lines) * fm.height() > header.height() + SLACK:
            yield Problem("header", where, str(text).replace("\n", " "), len(lines) * fm.height(),
                          header.height())


def _cell_problems(view: QTableView | QTreeView, where: str) -> Iterator[Problem]:
    model = view.model()
    if model is None:
        return
    style = view.style()
    pad = 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1)
    viewport = view.viewport().rect()
    rows = model.rowCount(view.rootIndex())
    cols = model.columnCount(view.rootIndex())
    wrap = isinstance(view, QTableView) and view.wordWrap()
    for r in range(rows):
        for c in range(cols):
            ix = model.index(r, c, view.rootIndex())
            if view.isIndexHidden(ix) if isinstance(view, QTableView) else False:
                continue
            rect = view.visualRect(ix)
            if not rect.isValid() or not viewport.intersects(rect):
                continue
            if view.indexWidget(ix) is not None:
                continue
            delegate = view.itemDelegateForIndex(ix)
            if type(delegate).sizeHint is not QStyledItemDelegate.sizeHint:
                # A delegate that lays its own text out (rich text, wrapped): its size hint says
                # what it needs at this column width.
                option = QStyleOptionViewItem()
                option.initFrom(view)
                option.rect = rect
                option.font = view.font()
                hint = delegate.sizeHint(option, ix)
                if hint.height() > rect.height() + SLACK or hint.width() > rect.width() + SLACK:
                    yield Problem("cell", where, str(ix.data() or ""), hint.width(), rect.width())
                continue
            text = ix.data(Qt.ItemDataRole.DisplayRole)
            if text is None or text == "":
                continue
            text = str(text)
            if text.lstrip().startswith("<"):
                continue  # rich text drawn by a delegate that wraps it
            font = ix.data(Qt.ItemDataRole.FontRole) or view.font()
            fm = QFontMetrics(font)
            need = max(fm.horizontalAdvance(line) for line in text.split("\n")) + pad
            need += _decoration_width(view, ix)
            room = rect.width()
            if need <= room + SLACK:
                continue
            if wrap and _wraps_within(fm, text, room - pad, rect.height()):
                continue
            yield Problem("cell", where, text, need, room)


def _decoration_width(view: QAbstractItemView, ix: QModelIndex) -> int:
    deco = ix.data(Qt.ItemDataRole.DecorationRole)
    check = ix.data(Qt.ItemDataRole.CheckStateRole)
    extra = 0
    if deco is not None:
        extra += view.iconSize().width() if view.iconSize().width() > 0 else 16
        extra += 4
    if check is not None:
        extra += view.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth, None, view) + 4
    return extra


def _wraps_within(fm: QFontMetrics, text: str, width: int, height: int) -> bool:
    """Word-wrapped ``text`` fits ``width`` × ``height`` with no word cut."""
    if width <= 0:
        return False
    flags = int(Qt.TextFlag.TextWordWrap)
    bound = fm.boundingRect(QRect(0, 0, width, 100000), flags, text)
    longest_word = max((fm.horizontalAdvance(word) for word in text.split()), default=0)
    return bound.height() <= height + SLACK and longest_word <= width + SLACK


def _combo_problem(combo: QComboBox) -> Problem | None:
    text = combo.currentText()
    if not text:
        return None
    opt = QStyleOptionComboBox()
    opt.initFrom(combo)
    opt.editable = combo.isEditable()
    opt.currentText = text
    room_rect = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                             QStyle.SubControl.SC_ComboBoxEditField, combo)
    room = room_rect.width()
    if combo.isEditable() and combo.lineEdit() is not None:
        room = combo.lineEdit().width() - 4
    need = QFontMetrics(combo.font()).horizontalAdvance(text)
    if not combo.itemIcon(combo.currentIndex()).isNull():
        need += combo.iconSize().width() + 4
    if need > room + SLACK:
        return Problem("combo", widget_name(combo), text, need, room)
    return None


def _label_problem(lab: QLabel) -> Problem | None:
    """A one-line label whose text is wider than the label (Qt clips it silently)."""
    if lab.wordWrap() or lab.textFormat() == Qt.TextFormat.RichText or not lab.text():
        return None
    if lab.pixmap() is not None and not lab.pixmap().isNull():
        return None
    text = lab.text()
    if GuiQt.mightBeRichText(text) and lab.textFormat() != Qt.TextFormat.PlainText:
        return None
    plain = text.replace("&&", "\0").replace("&", "").replace("\0", "&")
    fm = QFontMetrics(lab.font())
    need = max(fm.horizontalAdvance(line) for line in plain.split("\n"))
    room = lab.contentsRect().width() - 2 * lab.margin() - (2 * lab.indent() if lab.indent() > 0 else 0)
    if need > room + SLACK:
        return Problem("label", widget_name(lab), plain, need, room)
    return None


def _tab_problems(bar: QTabBar) -> Iterator[Problem]:
    fm = QFontMetrics(bar.font())
    for i in range(bar.count()):
        if not bar.isTabVisible(i):
            continue
        text = bar.tabText(i).replace("&&", "\0").replace("&", "").replace("\0", "&")
        rect = bar.tabRect(i)
        hpad = bar.style().pixelMetric(QStyle.PixelMetric.PM_TabBarTabHSpace, None, bar)
        need = fm.horizontalAdvance(text) + hpad
        if need > rect.width() + SLACK:
            yield Problem("tab", widget_name(bar), text, need, rect.width())


def _button_problem(button: QAbstractButton) -> Problem | None:
    text = button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    if not text:
        return None
    hint = button.sizeHint().width()
    if hint > button.width() + SLACK:
        return Problem("button", widget_name(button), text, hint, button.width())
    return None


# --------------------------------------------------------------------------- walks

def _visible_children(root: QWidget, kind: type) -> Iterator:
    for w in root.findChildren(kind):
        if shown(w):
            yield w
    if isinstance(root, kind) and shown(root):
        yield root


def cut_texts(root: QWidget, *, cells: bool = True) -> list[Problem]:
    """Every cut text in sight under ``root``: headers, combos, tabs, buttons, one-line labels and
    (``cells``) table cells."""
    out: list[Problem] = []
    for view in _visible_children(root, QAbstractItemView):
        where = widget_name(view)
        if isinstance(view, QTableView):
            out.extend(_header_problems(view, view.horizontalHeader(), where))
            if cells:
                out.extend(_cell_problems(view, where))
        elif isinstance(view, QTreeView):
            out.extend(_header_problems(view, view.header(), where))
    for combo in _visible_children(root, QComboBox):
        p = _combo_problem(combo)
        if p is not None:
            out.append(p)
    for bar in _visible_children(root, QTabBar):
        out.extend(_tab_problems(bar))
    for button in _visible_children(root, QAbstractButton):
        if button.parentWidget() is not None and isinstance(button.parentWidget(), QTabBar):
            continue
        p = _button_problem(button)
        if p is not None:
            out.append(p)
    for lab in _visible_children(root, QLabel):
        p = _label_problem(lab)
        if p is not None:
            out.append(p)
    for area in _visible_children(root, QScrollArea):
        # A form that fits its width scrolls up and down only: sideways, its units and choices hide.
        if area.widgetResizable() and area.horizontalScrollBar().isVisible():
            inner = area.widget()
            out.append(Problem("sideways", widget_name(area), "the form scrolls sideways",
                               inner.minimumSizeHint().width() if inner is not None else 0,
                               area.viewport().width()))
    return out


def shown_strings(root: QWidget) -> list[str]:
    """Every string a person sees under ``root`` now: labels, buttons, tab titles, combos, line
    edits, table headers and visible cells, tooltips of what is in sight."""
    out: list[str] = []

    def add(text: object) -> None:
        if text is not None and str(text).strip():
            out.append(str(text))

    for w in root.findChildren(QWidget):
        if not shown(w):
            continue
        add(w.toolTip())
        if isinstance(w, QLabel):
            add(w.text())
        elif isinstance(w, QAbstractButton):
            add(w.text())
        elif isinstance(w, QComboBox):
            for i in range(w.count()):
                add(w.itemText(i))
        elif isinstance(w, QLineEdit):
            add(w.text())
            add(w.placeholderText())
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                add(w.tabText(i))
                add(w.tabToolTip(i))
        elif isinstance(w, QAbstractItemView) and w.model() is not None:
            out.extend(_model_strings(w))
        elif isinstance(w, QAbstractScrollArea) and hasattr(w, "toPlainText"):
            add(w.toPlainText())
    return out


def _model_strings(view: QAbstractItemView) -> Iterable[str]:
    model = view.model()

    def columns(parent: QModelIndex) -> int:
        try:
            return model.columnCount(parent)
        except TypeError:  # a list model keeps its column count private: one column
            return 1

    cols = columns(QModelIndex())
    for c in range(cols):
        text = model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        if text:
            yield str(text)

    def walk(parent: QModelIndex) -> Iterator[str]:
        for r in range(model.rowCount(parent)):
            for c in range(max(1, columns(parent))):
                ix = model.index(r, c, parent)
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                    value = ix.data(role)
                    if value:
                        yield str(value)
            first = model.index(r, 0, parent)
            if model.rowCount(first) > 0:
                yield from walk(first)

    yield from walk(QModelIndex())
