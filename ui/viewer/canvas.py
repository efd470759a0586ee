"""The image area: one windowed slice, zoom/pan, window/level by mouse, caliper drawing.

Mouse: wheel scrolls slices (Ctrl+wheel zooms); left drag = window/level
(or draws a caliper in caliper mode); middle or Shift+left drag = pan; right
drag = zoom.  Keys are handled by the pane (arrows, Page Up/Down, Home/End).
The uint8 buffer behind the QImage is kept on the canvas for as long as Qt may
paint it (a QImage over numpy memory does not own that memory).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget


class SliceCanvas(QWidget):
    wheel_steps = Signal(int)
    """Slices to move (+1 = next) from the wheel."""
    window_dragged = Signal(float, float)
    """(delta level, delta width) from a left drag."""
    line_drawn = Signal(QPointF, QPointF)
    """A caliper line finished: start and end in image pixel coordinates (x = column, y = row)."""
    hovered = Signal(float, float)
    """Mouse at this image coordinate."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(240, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._buffer: np.ndarray | None = None  # keeps the QImage's memory alive
        self._image: QImage | None = None
        self.zoom = 1.0
        self.pan = QPointF(0, 0)
        self.caliper_mode = False
        self.pixel_aspect = 1.0  # row spacing / column spacing: non-square pixels drawn true to size
        self.lines: list[tuple[QPointF, QPointF, str]] = []
        self._drag_start: QPointF | None = None
        self._drag_button = Qt.MouseButton.NoButton
        self._draft: tuple[QPointF, QPointF] | None = None
        self.overlay_top_left = ""
        self.overlay_top_right = ""
        self.overlay_bottom_left = ""
        self.placeholder = "No series open"

    # ---- image
    def set_image(self, pixels: np.ndarray | None) -> None:
        """Show a 2-D array: uint8 grey levels, or uint32 0xFFRRGGBB (painted without conversion).

        The array is kept on the canvas until the next call: the QImage only
        borrows its memory.
        """
        if pixels is None:
            self._buffer = None
            self._image = None
        else:
            if pixels.dtype == np.uint32:
                buf = np.ascontiguousarray(pixels)
                fmt = QImage.Format.Format_RGB32
            else:
                buf = np.ascontiguousarray(pixels, dtype=np.uint8)
                fmt = QImage.Format.Format_Grayscale8
            h, w = buf.shape
            self._buffer = buf
            self._image = QImage(buf.data, w, h, buf.strides[0], fmt)
        self.update()

    @property
    def image_size(self) -> tuple[int, int] | None:
        return None if self._buffer is None else (self._buffer.shape[1], self._buffer.shape[0])

    def reset_view(self) -> None:
        self.zoom = 1.0
        self.pan = QPointF(0, 0)
        self.update()

    def transform(self) -> QTransform:
        """Image pixel coordinates → widget coordinates (fit to the widget, then zoom and pan)."""
        size = self.image_size
        t = QTransform()
        if size is None:
            return t
        w, h = size[0], size[1] * self.pixel_aspect
        fit = min(self.width() / max(w, 1), self.height() / max(h, 1)) * self.zoom
        t.translate(self.width() / 2 + self.pan.x(), self.height() / 2 + self.pan.y())
        t.scale(fit, fit * self.pixel_aspect)
        t.translate(-size[0] / 2, -size[1] / 2)
        return t

    def to_image(self, p: QPointF) -> QPointF:
        inv, _ok = self.transform().inverted()
        return inv.map(p)

    # ---- painting
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0))
        if self._image is None:
            painter.setPen(QColor(200, 200, 200))
            font = QFont(self.font())
            font.setPointSize(max(14, font.pointSize()))
            painter.setFont(font)
            painter.drawText(QRectF(self.rect()).adjusted(24, 24, -24, -24),
                             int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap), self.placeholder)
            painter.end()
            return
        painter.save()
        painter.setTransform(self.transform())
        painter.drawImage(QPointF(0, 0), self._image)
        painter.restore()
        t = self.transform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # Yellow over a black edge: visible on bright liver, dark air and a projector alike.
        halo, ink = QPen(QColor(0, 0, 0), 5), QPen(QColor(255, 210, 0), 2.5)
        label_font = QFont(self.font())
        label_font.setPointSize(max(12, label_font.pointSize()))
        label_font.setBold(True)
        painter.setFont(label_font)
        label_metrics = QFontMetrics(label_font)
        for a, b, label in self.lines + ([(*self._draft, "")] if self._draft else []):
            pa, pb = t.map(a), t.map(b)
            for pen in (halo, ink):
                painter.setPen(pen)
                painter.drawLine(pa, pb)
                for end in (pa, pb):
                    painter.drawEllipse(end, 3, 3)
            if label:
                box = QRectF(pb + QPointF(8, -label_metrics.height() - 4),
                             label_metrics.size(0, label).toSizeF()).adjusted(-4, -1, 4, 1)
                painter.fillRect(box, QColor(0, 0, 0, 190))
                painter.setPen(QColor(255, 210, 0))
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        painter.setPen(QColor(230, 230, 230))
        font = QFont(self.font())
        font.setPointSize(max(11, font.pointSize()))
        painter.setFont(font)
        r = QRectF(self.rect()).adjusted(8, 6, -8, -6)
        metrics = QFontMetrics(font)
        right_w = max((metrics.horizontalAdvance(t) for t in self.overlay_top_right.split("\n")), default=0)
        room = max(int(r.width() - right_w - 16), 40)
        # Narrow panes (side by side): elide the left text rather than overprint the right.
        left = "\n".join(metrics.elidedText(t, Qt.TextElideMode.ElideRight, room)
                         for t in self.overlay_top_left.split("\n"))
        painter.drawText(r, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, left)
        painter.drawText(r, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, self.overlay_top_right)
        if self.overlay_bottom_left:
            painter.setPen(QColor(255, 170, 60))
            painter.drawText(r, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                             self.overlay_bottom_left)
        painter.end()

    # ---- mouse
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120
        if not steps:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom = float(np.clip(self.zoom * (1.15 ** steps), 0.2, 20))
            self.update()
        else:
            self.wheel_steps.emit(-int(np.sign(steps) * max(1, abs(round(steps)))))
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus()
        self._drag_start = event.position()
        self._drag_button = event.button()
        if self.caliper_mode and event.button() == Qt.MouseButton.LeftButton and self._image is not None:
            start = self.to_image(event.position())
            self._draft = (start, start)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        img = self.to_image(pos)
        self.hovered.emit(img.x(), img.y())
        if self._drag_start is None:
            return
        delta = pos - self._drag_start
        button = self._drag_button
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if self._draft is not None:
            self._draft = (self._draft[0], img)
            self.update()
            return
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and shift):
            self.pan += delta
            self.update()
        elif button == Qt.MouseButton.RightButton:
            self.zoom = float(np.clip(self.zoom * (1.01 ** -delta.y()), 0.2, 20))
            self.update()
        elif button == Qt.MouseButton.LeftButton:
            # Usual convention: vertical drag moves the level, horizontal the width.
            self.window_dragged.emit(float(delta.y()), float(delta.x()))
        self._drag_start = pos

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._draft is not None:
            start, _ = self._draft
            end = self.to_image(event.position())
            self._draft = None
            if (end - start).manhattanLength() > 0.5:
                self.line_drawn.emit(start, end)
            self.update()
        self._drag_start = None
        self._drag_button = Qt.MouseButton.NoButton
