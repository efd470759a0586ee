"""PgUp / PgDn belong to the widget that edits, not to the agenda.

Meeting mode steps through the agenda with PgUp/PgDn (window shortcuts, which Qt fires before
the focused widget sees the key).  Inside a widget that edits or pages (a table cell, a line,
a combo, a spin box, a text, the image stack) the key must do what it does there and the patient
must stay: :func:`keeps_page_keys` says which widgets keep them, :func:`deliver_page_key` hands
the key back to such a widget.  A widget can claim the keys with the dynamic property
``keeps_page_keys`` (the DICOM series pane pages through its slices with them).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

PAGE_PROPERTY = "keeps_page_keys"


def _edits(widget: QWidget) -> bool:
    if isinstance(widget, QLineEdit | QAbstractSpinBox):
        return not widget.isReadOnly()
    if isinstance(widget, QTextEdit | QPlainTextEdit):
        return not widget.isReadOnly()
    if isinstance(widget, QComboBox):
        return widget.isEnabled()
    if isinstance(widget, QAbstractItemView):
        # (A cell being edited has its own editor widget, a line or a combo, with the focus.)
        if widget.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers:
            return False
        model = widget.model()
        index = widget.currentIndex()
        if model is None:
            return False
        if not index.isValid() and model.rowCount() and model.columnCount():
            index = model.index(0, model.columnCount() - 1)
        return index.isValid() and bool(model.flags(index) & Qt.ItemFlag.ItemIsEditable)
    return False


def keeps_page_keys(widget: QWidget | None) -> bool:
    """True when PgUp/PgDn should stay with ``widget`` (it, or an ancestor, edits or pages)."""
    w = widget
    while w is not None:
        if bool(w.property(PAGE_PROPERTY)) or _edits(w):
            return True
        if w.isWindow():
            return False
        w = w.parentWidget()
    return False


def deliver_page_key(widget: QWidget, forward: bool) -> None:
    """Give PgDn (``forward``) or PgUp to ``widget`` as if the window had not taken it."""
    key = Qt.Key.Key_PageDown if forward else Qt.Key.Key_PageUp
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier))
