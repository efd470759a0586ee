"""The liver diagram: Couinaud segments drawn from ``mdt.diagram`` (the geometry the PDF uses).

Each segment shows, at a glance and in words as well as colour: its numeral,
the plan's role (future remnant / resected, hatched), tumour (a red marker with
the lesion id per lesion), ablation, and the selected lesion's segments (thick
dashed orange border, a colour no vessel uses).  Hepatic veins are blue,
portal veins violet, and a vessel with a recorded relation is drawn thick red
with its code.  Markers, labels and line widths have a floor in screen pixels,
so the diagram stays legible from the back of the room when its column is
narrow; the legend follows the widget's font (larger in presentation mode).  Clicking a segment emits :attr:`LiverDiagramWidget.unit_clicked`; the
editor decides whether that assigns the segment to the selected lesion or
toggles it in the remnant.

With keyboard focus, the digit keys 1-8 (and ``a``/``b`` after 4) click a
segment, so the diagram is usable without a mouse too.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
    QTransform,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from mdt import diagram
from mdt.case import Review

_P = diagram.PALETTE
COLOURS = {
    # The colours of mdt.diagram.PALETTE, the ones the PDFs draw with (one legend, screen and paper).
    "liver": QColor(_P["no_plan"]),
    "remnant": QColor(_P["remnant"]),
    "resected": QColor(_P["resected"]),
    "hatch": QColor(_P["hatch"]),
    "border": QColor(_P["border"]),
    "tumour": QColor(_P["tumour"]),
    "ablated": QColor(_P["ablation"]),
    # Orange, dashed: blue is taken by the hepatic veins, red by tumour and involved vessels.
    "selected": QColor(_P["selected"]),
    "hover": QColor("#fff59d"),  # the pointer over a segment: the screen only
    "hepatic_vein": QColor(_P["hepatic_vein"]),
    "portal_vein": QColor(_P["portal_vein"]),
    "ivc": QColor(_P["ivc"]),
    "involved": QColor(_P["involved"]),
    "text": QColor(_P["text"]),
}
_SWATCH_KIND = {"fill": "box", "hatched": "hatched", "marker": "marker", "ring": "ring", "line": "line",
                "dashed": "dashed"}
LEGEND_ROW = 26.0
MIN_LESION_RADIUS_PX = 15.0
"""A lesion marker is never smaller than this on screen, so its id stays readable."""
MIN_LABEL_PX = {"unit": 18, "lesion": 14, "vessel": 15}
_KEY_UNITS = {"1": "I", "2": "II", "3": "III", "5": "V", "6": "VI", "7": "VII", "8": "VIII"}


class LiverDiagramWidget(QWidget):
    """Draws one review; emits ``unit_clicked(unit)`` on a click (unless read-only)."""

    unit_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, read_only: bool = False,
                 show_legend: bool = True) -> None:
        super().__init__(parent)
        self._geo = diagram.load_geometry()
        self._review: Review | None = None
        self._selected: str | None = None
        self._roles: dict[str, frozenset[str]] = {}
        self._positions: dict[str, tuple[float, float]] = {}
        self._positions_key: tuple[tuple[str, tuple[str, ...]], ...] | None = None
        self._involved: dict[str, str] = {}
        self._hover: str | None = None
        self._read_only = read_only
        self._show_legend = show_legend
        self._pending_four = False
        self._polys = {s.unit: QPolygonF([QPointF(x, y) for x, y in s.points]) for s in self._geo.segments}
        self._outline = QPolygonF([QPointF(x, y) for x, y in self._geo.outline])
        self._hatches = {s.unit: diagram.hatch_lines(s.points, 18.0) for s in self._geo.segments}
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus if read_only else Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(260, 220)
        self.setAccessibleName("Liver diagram")
        self.setToolTip("" if read_only else
                        "Click a segment (or type 1–8, 4a, 4b) to assign it to the selected lesion "
                        "or, in remnant mode, to keep or resect it")
        self._four_timer = QTimer(self)
        self._four_timer.setSingleShot(True)
        self._four_timer.setInterval(700)
        self._four_timer.timeout.connect(self._four_expired)

    # -- state
    def set_review(self, review: Review | None, selected_lesion: str | None = None) -> None:
        self._review = review
        self._selected = selected_lesion
        if review is None:
            self._roles, self._positions, self._involved = {}, {}, {}
            self._positions_key = None
        else:
            self._roles = diagram.segment_roles(review)
            shown = [les for les in review.lesions if les.segments]
            key = tuple((les.id, les.segments) for les in shown)
            if key != self._positions_key:  # placing markers is the costly part; most edits keep them
                self._positions = diagram.lesion_positions(shown, self._geo)
                self._positions_key = key
            involved: dict[str, str] = {}
            for v in review.vessels or ():
                involved.setdefault(v.structure, v.relation)
            self._involved = involved
        self.update()

    def set_selected_lesion(self, lesion_id: str | None) -> None:
        self._selected = lesion_id
        self.update()

    def roles(self) -> dict[str, frozenset[str]]:
        return dict(self._roles)

    def sizeHint(self) -> QSize:
        return QSize(620, 480)

    # -- geometry mapping
    def _transform(self) -> QTransform:
        legend = self._legend_height()
        w, h = float(self.width()), float(self.height()) - legend
        s = min(w / self._geo.width, h / self._geo.height) * 0.97
        dx = (w - self._geo.width * s) / 2
        dy = (h - self._geo.height * s) / 2
        t = QTransform()
        t.translate(dx, dy)
        t.scale(s, s)
        return t

    def unit_at(self, pos: QPointF) -> str | None:
        inv, ok = self._transform().inverted()
        if not ok:
            return None
        p = inv.map(pos)
        return self._geo.unit_at((p.x(), p.y()))

    def unit_centre(self, unit: str) -> QPointF:
        """Widget coordinates of a segment's numeral (tests click here)."""
        x, y = self._geo.segment(unit).label
        return self._transform().map(QPointF(x, y))

    # -- events
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        unit = self.unit_at(event.position())
        if unit != self._hover:
            self._hover = unit
            self.update()

    def leaveEvent(self, event) -> None:  # type: ignore[override]
        self._hover = None
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._read_only or event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        unit = self.unit_at(event.position())
        if unit is not None:
            self.unit_clicked.emit(unit)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._read_only:
            return super().keyPressEvent(event)
        text = event.text().lower()
        if self._pending_four and text in ("a", "b"):
            self._four_timer.stop()
            self._pending_four = False
            self.unit_clicked.emit("IVa" if text == "a" else "IVb")
            return
        if self._pending_four:
            self._four_expired()
        if text == "4":
            # "4" waits for a or b; alone it means both halves.
            self._pending_four = True
            self._four_timer.start()
            return
        if text in _KEY_UNITS:
            self.unit_clicked.emit(_KEY_UNITS[text])
            return
        super().keyPressEvent(event)

    def _four_expired(self) -> None:
        if self._pending_four:
            self._pending_four = False
            self.unit_clicked.emit("IVa")
            self.unit_clicked.emit("IVb")

    # -- painting
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        t = self._transform()
        scale = t.m11()
        p.save()
        p.setTransform(t)
        self._paint_segments(p, scale)
        self._paint_vessels(p, scale)
        self._paint_lesions(p, scale)
        p.restore()
        self._paint_labels(p, t, scale)
        if self._show_legend:
            self._paint_legend(p)
        if self.hasFocus():
            pen = QPen(COLOURS["selected"], 2, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.rect().adjusted(1, 1, -2, -2))
        p.end()

    def _selected_units(self) -> frozenset[str]:
        if self._review is None or self._selected is None:
            return frozenset()
        les = self._review.lesion(self._selected)
        if les is None:
            return frozenset()
        return diagram._units(les.segments)

    def _paint_segments(self, p: QPainter, scale: float) -> None:
        selected = self._selected_units()
        for unit, poly in self._polys.items():
            roles = self._roles.get(unit, frozenset())
            fill = COLOURS["liver"]
            if diagram.REMNANT in roles:
                fill = COLOURS["remnant"]
            elif diagram.RESECTED in roles:
                fill = COLOURS["resected"]
            if unit == self._hover and not self._read_only:
                fill = fill.lighter(108) if fill != COLOURS["liver"] else COLOURS["hover"]
            p.setPen(QPen(COLOURS["border"], 2.0 / scale * 1.2))
            p.setBrush(QBrush(fill))
            p.drawPolygon(poly)
            if diagram.RESECTED in roles:
                p.setPen(QPen(COLOURS["hatch"], 1.4 / scale))
                for (x1, y1), (x2, y2) in self._hatches[unit]:
                    p.drawLine(QPointF(x1, y1), QPointF(x2, y2))
        p.setPen(QPen(COLOURS["border"], 3.0 / scale))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPolygon(self._outline)
        for unit in selected:
            pen = QPen(COLOURS["selected"], max(5.0, 4.0 / scale), Qt.PenStyle.DashLine)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            p.setPen(pen)
            p.drawPolygon(self._polys[unit])

    def _paint_vessels(self, p: QPainter, scale: float) -> None:
        for v in self._geo.vessels:
            involved = v.name in self._involved
            colour = COLOURS["involved"] if involved else COLOURS.get(v.kind, COLOURS["hepatic_vein"])
            # At least 2 px (3.5 px when involved) on screen, whatever the diagram's scale.
            width = max(v.width * 0.55, 2.0 / scale) if not involved else max(v.width * 0.9, 3.5 / scale)
            pen = QPen(colour, width)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            if v.behind:
                pen.setStyle(Qt.PenStyle.DashLine)
                colour = QColor(colour)
                colour.setAlpha(120)
                pen.setColor(colour)
            p.setPen(pen)
            path = QPainterPath(QPointF(*v.points[0]))
            for pt in v.points[1:]:
                path.lineTo(QPointF(*pt))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)

    def _paint_lesions(self, p: QPainter, scale: float) -> None:
        if self._review is None:
            return
        for les in self._review.lesions:
            pos = self._positions.get(les.id)
            if pos is None:
                continue
            gone = les.status in ("disappeared", "resected")
            colour = COLOURS["ablated"] if les.status == "ablated" else COLOURS["tumour"]
            r = self._marker_radius(les, scale)
            centre = QPointF(*pos)
            if les.id == self._selected:
                p.setPen(QPen(COLOURS["selected"], 4.0 / scale))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawEllipse(centre, r + 5.0 / scale, r + 5.0 / scale)
            p.setPen(QPen(colour.darker(130), 2.0 / scale))
            p.setBrush(Qt.BrushStyle.NoBrush if gone else QBrush(colour))
            if gone:
                p.setPen(QPen(colour, 3.0 / scale, Qt.PenStyle.DashLine))
            p.drawEllipse(centre, r, r)

    @staticmethod
    def _marker_radius(les, scale: float) -> float:  # noqa: ANN001
        """Never smaller than the id drawn inside it (30 units of type), a little larger with size,
        and never below MIN_LESION_RADIUS_PX on screen."""
        r = 28.0
        if les.diameter_mm:
            r = max(26.0, min(38.0, 20.0 + float(les.diameter_mm) / 4))
        return max(r, MIN_LESION_RADIUS_PX / scale)

    def _tag_places(self, t: QTransform, scale: float, fm: QFontMetrics) -> dict[str, QRectF]:
        """Where each involved vessel's code tag goes: along its line, clear of lesion markers,
        segment numerals and the other tags (a tag over a marker hid the lesion)."""
        blocked: list[QRectF] = []
        if self._review is not None:
            for les in self._review.lesions:
                pos = self._positions.get(les.id)
                if pos is not None:
                    c = t.map(QPointF(*pos))
                    r = self._marker_radius(les, scale) * scale + 2
                    blocked.append(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r))
        unit_px = max(MIN_LABEL_PX["unit"], int(46 * scale))
        for seg in self._geo.segments:
            c = t.map(QPointF(*seg.label))
            blocked.append(QRectF(c.x() - unit_px * 0.9, c.y() - unit_px * 0.55, unit_px * 1.8, unit_px * 1.1))
        area = QRectF(self.rect())
        places: dict[str, QRectF] = {}
        for name in self._involved:
            paths = self._geo.vessel_paths(name)
            if not paths:
                continue
            pts = paths[0].points
            w, h = fm.horizontalAdvance(name) + 8, fm.height() + 2
            candidates: list[QRectF] = []
            for frac in (0.5, 0.35, 0.65, 0.2, 0.8, 0.1, 0.9):
                f = frac * (len(pts) - 1)
                i = min(int(f), len(pts) - 2)
                (x1, y1), (x2, y2) = pts[i], pts[i + 1]
                c = t.map(QPointF(x1 + (x2 - x1) * (f - i), y1 + (y2 - y1) * (f - i)))
                candidates += [QRectF(c.x() + 6, c.y() - h / 2, w, h), QRectF(c.x() - 6 - w, c.y() - h / 2, w, h)]
            place = next((b for b in candidates if area.contains(b) and not any(b.intersects(o) for o in blocked)),
                         candidates[0])
            places[name] = place
            blocked.append(place)
        return places

    def vessel_tag_rects(self) -> dict[str, QRectF]:
        """Widget rectangles of the involved-vessel tags (tests check they cover no lesion)."""
        t = self._transform()
        font = QFont(self.font())
        font.setBold(True)
        font.setPixelSize(max(MIN_LABEL_PX["vessel"], int(24 * t.m11())))
        return self._tag_places(t, t.m11(), QFontMetrics(font))

    def _paint_labels(self, p: QPainter, t: QTransform, scale: float) -> None:
        """Text is drawn untransformed so it stays crisp and at a legible point size."""
        base = QFont(self.font())
        unit_font = QFont(base)
        unit_font.setBold(True)
        unit_font.setPixelSize(max(MIN_LABEL_PX["unit"], int(46 * scale)))
        p.setFont(unit_font)
        fm = QFontMetrics(unit_font)
        halo = QPen(QColor(255, 255, 255, 230), max(3.0, unit_font.pixelSize() / 5))
        halo.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        for seg in self._geo.segments:
            pt = t.map(QPointF(*seg.label))
            roles = self._roles.get(seg.unit, frozenset())
            ink = COLOURS["text"] if diagram.RESECTED not in roles else QColor("#333333")
            # A white halo keeps the numeral readable over hatching and vessel lines.
            path = QPainterPath()
            path.addText(pt.x() - fm.horizontalAdvance(seg.unit) / 2, pt.y() + (fm.ascent() - fm.descent()) / 2,
                         unit_font, seg.unit)
            p.strokePath(path, halo)
            p.fillPath(path, ink)
        if self._review is not None:
            lesion_font = QFont(base)
            lesion_font.setBold(True)
            lesion_font.setPixelSize(max(MIN_LABEL_PX["lesion"], int(30 * scale)))
            p.setFont(lesion_font)
            for les in self._review.lesions:
                pos = self._positions.get(les.id)
                if pos is None:
                    continue
                pt = t.map(QPointF(*pos))
                gone = les.status in ("disappeared", "resected")
                p.setPen(QColor("#111111") if gone else QColor("#ffffff"))
                p.drawText(QRectF(pt.x() - 40, pt.y() - 16, 80, 32), Qt.AlignmentFlag.AlignCenter, les.id)
        if self._involved:
            vfont = QFont(base)
            vfont.setBold(True)
            vfont.setPixelSize(max(MIN_LABEL_PX["vessel"], int(24 * scale)))
            p.setFont(vfont)
            fm = QFontMetrics(vfont)
            for name, box in self._tag_places(t, scale, fm).items():
                # A white tag behind the code: red text over a red vessel on beige is hard to read.
                p.setPen(QPen(COLOURS["involved"], 1))
                p.setBrush(QColor(255, 255, 255, 225))
                p.drawRoundedRect(box, 3, 3)
                p.setPen(COLOURS["involved"])
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, name)

    def _legend_font(self) -> QFont:
        """The widget's own font, never below 15 px..."""
        font = QFont(self.font())
        px = font.pixelSize() if font.pixelSize() > 0 else round(font.pointSizeF() * self.logicalDpiY() / 72)
        # ...and it grows with the drawing (a full-screen diagram gets a legend read from the room).
        fit = min(self.width() / self._geo.width, self.height() / self._geo.height)
        font.setPixelSize(max(15, px, int(26 * fit)))
        return font

    def _legend_row(self) -> float:
        return max(LEGEND_ROW, QFontMetrics(self._legend_font()).height() + 8.0)

    def _legend_entries(self) -> list[tuple[str, str, QColor, QColor | None]]:
        """(kind, text, fill, edge) of every entry of ``mdt.diagram.LEGEND``, the legend the PDFs
        print: kind ``box``, ``hatched``, ``marker``, ``ring``, ``dashed`` or ``line``."""
        return [(_SWATCH_KIND[e.swatch], e.words, QColor(e.colour), QColor(e.edge) if e.edge else None)
                # Read-only (the room's screen) has no selection: the paper's legend.
                for e in diagram.legend(screen=not self._read_only)]

    def undrawn_involved(self) -> list[str]:
        """Involved structures the drawing has no line for (arteries, bile ducts): named in words
        under the drawing, so a recorded contact never disappears from the picture."""
        return [f"{name} {rel}" for name, rel in self._involved.items() if not self._geo.vessel_paths(name)]

    def legend_texts(self) -> list[str]:
        return [text for _kind, text, _fill, _edge in self._legend_entries()]

    def _legend_items(self) -> list[tuple[str, str, QColor, QColor | None, float, float]]:
        """(kind, text, fill, edge, x, y) per legend entry, wrapped onto as many rows as the width needs."""
        fm = QFontMetrics(self._legend_font())
        box = self._legend_box()
        row_h = self._legend_row()
        x, row = 8.0, 0
        out = []
        for kind, text, fill, edge in self._legend_entries():
            w = box + 6 + fm.horizontalAdvance(text) + 18
            if x + w > self.width() and x > 8.0:
                x, row = 8.0, row + 1
            out.append((kind, text, fill, edge, x, row * row_h))
            x += w
        # Wrapped over as many rows as needed: a recorded contact is never cut off.
        line, room = "Not drawn:", max(60, self.width() - 16)
        for item in self.undrawn_involved():
            candidate = f"{line} {item}" if line.endswith(":") else f"{line}, {item}"
            if fm.horizontalAdvance(candidate) > room and not line.endswith(":"):
                row += 1
                out.append(("note", line + ",", COLOURS["involved"], None, 8.0, row * row_h))
                candidate = item
            line = candidate
        if line != "Not drawn:":
            out.append(("note", line, COLOURS["involved"], None, 8.0, (row + 1) * row_h))
        return out

    def _legend_box(self) -> float:
        return max(18.0, QFontMetrics(self._legend_font()).ascent())

    def _legend_height(self) -> float:
        if not self._show_legend:
            return 0.0
        row_h = self._legend_row()
        rows = 1 + int(max(y for *_rest, y in self._legend_items()) / row_h)
        return rows * row_h + 8

    def _paint_legend(self, p: QPainter) -> None:
        font = self._legend_font()
        p.setFont(font)
        fm = QFontMetrics(font)
        box = self._legend_box()
        top = self.height() - self._legend_height() + 8
        for kind, text, fill, edge, x, dy in self._legend_items():
            y = top + dy
            if kind == "note":
                p.setPen(fill)
                p.drawText(QPointF(x, y + (box + fm.capHeight()) / 2), text)
                continue
            if kind == "line":
                pen = QPen(fill, 5)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                p.setPen(pen)
                p.drawLine(QPointF(x + 2, y + box / 2), QPointF(x + box - 2, y + box / 2))
            elif kind in ("marker", "ring"):
                # As the lesions are drawn: a filled disc, or a dashed empty ring for one gone.
                centre, r = QPointF(x + box / 2, y + box / 2), box / 2 - 1
                if kind == "marker":
                    p.setPen(QPen(fill.darker(130), 2))
                    p.setBrush(QBrush(fill))
                else:
                    p.setPen(QPen(fill, 2, Qt.PenStyle.DashLine))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawEllipse(centre, r, r)
            else:
                style = Qt.PenStyle.DashLine if kind == "dashed" else Qt.PenStyle.SolidLine
                p.setPen(QPen(edge or fill.darker(140), 2, style))
                p.setBrush(QBrush(fill))
                p.drawRect(QRectF(x, y, box, box))
                if kind == "hatched":
                    p.drawLine(QPointF(x, y + box), QPointF(x + box, y))
            p.setPen(COLOURS["text"])
            p.drawText(QPointF(x + box + 6, y + (box + fm.capHeight()) / 2), text)
