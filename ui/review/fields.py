"""Small keyboard-first input widgets shared by the review panels.

:class:`NumberField` is a line edit with its unit beside it: Enter or leaving
the field commits, Esc restores the saved value, an empty field means "not
recorded".  :class:`ChoiceField` is a combo whose first entry is "not
recorded".  Both report commits through a callback that returns whether the
value was accepted; a refused value stays visible, outlined in red, until it
is corrected or the saved value is shown again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from mdt import field_names
from mdt import review_edits as edits

INVALID_STYLE = "QLineEdit { border: 2px solid #b3261e; background: #fdecea; }"
NOT_RECORDED = "not recorded"


def caption(path: str, mnemonic: str | None = None, *, short: bool = False) -> str:
    """A form row's caption: the field's one name (``mdt.field_names``), as the History tab, the
    messages and the minutes name it.  ``mnemonic``: the word whose first letter takes the
    Alt-key (``&``); ``short``: the short form follows in brackets ("Total liver volume (TLV)")."""
    name = field_names.name_for(path)
    text = name.label if name is not None else path
    if short and name is not None and name.short:
        text = f"{text} ({name.short})"
    if mnemonic:
        at = text.find(mnemonic)
        if at < 0:
            at = text.lower().find(mnemonic.lower())
        if at >= 0:
            text = text[:at] + "&" + text[at:]
    return text + ":"


def set_style(widget: QWidget, css: str) -> None:
    """Apply a style sheet only when it changes (re-applying one costs a style recalculation)."""
    if widget.styleSheet() != css:
        widget.setStyleSheet(css)


class _Line(QLineEdit):
    def __init__(self, owner: NumberField) -> None:
        super().__init__(owner)
        self._owner = owner

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._owner.revert()
            return
        super().keyPressEvent(event)


class _Unit(QLabel):
    """A unit beside a value: at least 48 px (short units line up) and never narrower than its
    text ("×10⁹/L" read whole): a fixed minimum width let the layout cut the long ones."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        return QSize(max(hint.width(), 48) if self.text() else 0, hint.height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().sizeHint()
        return QSize(max(hint.width(), 48) if self.text() else 0, hint.height())


class NumberField(QWidget):
    """A number with its unit; ``commit(text) -> bool`` decides whether it is accepted."""

    def __init__(self, unit: str, commit: Callable[[str], bool], parent: QWidget | None = None,
                 placeholder: str = "") -> None:
        super().__init__(parent)
        self._commit = commit
        self._saved_text = ""
        self.edit = _Line(self)
        self.edit.setPlaceholderText(placeholder or "—")
        self.edit.setMinimumWidth(80)
        self.edit.setMaximumWidth(110)
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.unit = _Unit(unit)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.edit)
        lay.addWidget(self.unit)
        lay.addStretch(1)
        self.setFocusProxy(self.edit)
        self.edit.editingFinished.connect(self._finished)

    def set_value(self, value: edits.Number | None) -> None:
        self.set_saved_text(edits.fmt_num(value))

    def set_saved_text(self, text: str) -> None:
        """Show the saved value (as text: numbers, or a date in the imaging date field)."""
        self._saved_text = text
        if self.edit.text() != text:
            self.edit.setText(text)
        self.set_invalid(False)

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def commit_text(self, text: str) -> bool:
        """Type ``text`` and press Enter (tests and the editor's API use this)."""
        self.edit.setText(text)
        return self._finished()

    def revert(self) -> None:
        self.edit.setText(self._saved_text)
        self.set_invalid(False)

    def set_invalid(self, invalid: bool) -> None:
        # Style sheets are costly to re-apply; every refresh calls this for every field.
        if bool(self.edit.property("invalid")) != invalid:
            self.edit.setStyleSheet(INVALID_STYLE if invalid else "")
            self.edit.setProperty("invalid", invalid)

    def _finished(self) -> bool:
        text = self.edit.text().strip()
        if text == self._saved_text:
            was_invalid = bool(self.edit.property("invalid"))
            self.set_invalid(False)
            if was_invalid:
                # Put back to what is saved: nothing to save, but the editor must drop its
                # "Not saved — … is not a date" about this field (it would mislead).
                self._commit(text)
            return True
        ok = self._commit(text)
        self.set_invalid(not ok)
        if ok:
            self._saved_text = text
        return ok


class ChoiceField(QComboBox):
    """A vocabulary choice; index 0 is "not recorded" (None) unless ``required``."""

    def __init__(self, values: Sequence[str], commit: Callable[[str | None], bool],
                 parent: QWidget | None = None, labels: dict[str, str] | None = None,
                 required: bool = False) -> None:
        super().__init__(parent)
        self._commit = commit
        self._saved: str | None = None
        if not required:
            self.addItem(NOT_RECORDED, None)
        for v in values:
            self.addItem((labels or {}).get(v, edits.label(v)), v)
        self.activated.connect(self._activated)
        # Long labels must not widen the panel: the popup still shows them in full.
        # Never narrower than its longest choice ("after chemotherapy", "moderate or severe"):
        # a choice is read whole (the form scrolls rather than cut it).
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    def set_value(self, value: str | None) -> None:
        self._saved = value
        idx = self.findData(value)
        self.blockSignals(True)
        self.setCurrentIndex(max(0, idx))
        self.blockSignals(False)

    def value(self) -> str | None:
        return self.currentData()

    def choose(self, value: str | None) -> bool:
        """Select ``value`` as a user would (tests and the editor's API use this)."""
        idx = self.findData(value)
        if idx < 0:
            return False
        self.setCurrentIndex(idx)
        return self._activated(idx)

    def _activated(self, index: int) -> bool:
        value = self.itemData(index)
        if value == self._saved:
            return True
        ok = self._commit(value)
        if not ok:
            self.set_value(self._saved)
        else:
            self._saved = value
        return ok
