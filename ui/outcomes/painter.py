"""QPainter renderer of ``mdt.outcomes.figures``: the same geometry the PDF draws."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from mdt.outcomes import figures as fg


def paint_figure(p: QPainter, fig: fg.Figure) -> None:
    for it in fig.items:
        if isinstance(it, fg.Line):
            pen = QPen(QColor(it.colour), it.width)
            if it.dash:
                pen.setDashPattern([d / max(it.width, 0.1) for d in it.dash])
            p.setPen(pen)
            p.drawLine(QPointF(it.x1, it.y1), QPointF(it.x2, it.y2))
        elif isinstance(it, fg.Polyline):
            p.setPen(QPen(QColor(it.colour), it.width))
            p.drawPolyline(QPolygonF([QPointF(x, y) for x, y in it.points]))
        elif isinstance(it, fg.Rect):
            p.setPen(QPen(QColor(it.stroke), 0.5) if it.stroke else Qt.PenStyle.NoPen)
            p.setBrush(QBrush(QColor(it.fill)) if it.fill else Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(it.x, it.y, it.w, it.h))
        elif isinstance(it, fg.Text):
            font = QFont(p.font())
            font.setPixelSize(max(1, round(it.size * 1.0)))
            font.setBold(it.bold)
            p.setFont(font)
            p.setPen(QColor(it.colour))
            w = p.fontMetrics().horizontalAdvance(it.text)
            x = it.x - (w / 2 if it.anchor == "middle" else w if it.anchor == "end" else 0)
            p.drawText(QPointF(x, it.y), it.text)
        elif isinstance(it, fg.Marker):
            _marker(p, it)


def _marker(p: QPainter, m: fg.Marker) -> None:
    c = QColor(m.colour)
    x, y, s = m.x, m.y, m.size
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(c))
    if m.shape == "circle":
        p.setPen(QPen(QColor("white"), 0.4))
        p.drawEllipse(QPointF(x, y), s, s)
    elif m.shape in ("triangle", "diamond", "arrow"):
        pts = {"triangle": [(x - s, y + s), (x + s, y + s), (x, y - s)],
               "diamond": [(x, y - s), (x + s, y), (x, y + s), (x - s, y)],
               "arrow": [(x - s, y - s), (x + s, y), (x - s, y + s)]}[m.shape]
        path = QPainterPath()
        path.addPolygon(QPolygonF([QPointF(a, b) for a, b in pts]))
        p.drawPath(path)
    elif m.shape == "cross":
        p.setPen(QPen(c, 1.2))
        p.drawLine(QPointF(x - s, y - s), QPointF(x + s, y + s))
        p.drawLine(QPointF(x - s, y + s), QPointF(x + s, y - s))
    else:
        p.setPen(QPen(c, 1.0))
        p.drawLine(QPointF(x, y - s), QPointF(x, y + s))


class FigureWidget(QWidget):
    """Draws one figure scaled to the widget's width; a click on a patient's mark emits its id."""

    patient_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.figure: fg.Figure | None = None
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_figure(self, figure: fg.Figure | None) -> None:
        self.figure = figure
        self.updateGeometry()
        self.setFixedHeight(self._height_for(self.width()))
        self.update()

    def _scale(self, width: int | None = None) -> float:
        if self.figure is None:
            return 1.0
        return max(0.5, (width or self.width()) / self.figure.width)

    def _height_for(self, width: int) -> int:
        return 40 if self.figure is None else int(self.figure.height * self._scale(width)) + 2

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().resizeEvent(event)
        h = self._height_for(self.width())
        if h != self.height():
            self.setFixedHeight(h)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(700, self._height_for(700))

    def to_figure(self, pos: QPointF) -> tuple[float, float]:
        s = self._scale()
        return pos.x() / s, pos.y() / s

    def patient_at(self, pos: QPointF) -> str | None:
        return None if self.figure is None else self.figure.hit(*self.to_figure(pos))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pid = self.patient_at(event.position())
        self.setCursor(Qt.CursorShape.PointingHandCursor if pid else Qt.CursorShape.ArrowCursor)
        self.setToolTip(f"{pid}: click to open the patient" if pid else "")

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pid = self.patient_at(event.position())
        if pid is not None and event.button() == Qt.MouseButton.LeftButton:
            self.patient_clicked.emit(pid)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        if self.figure is not None:
            s = self._scale()
            p.scale(s, s)
            paint_figure(p, self.figure)
        p.end()
