"""One series on screen: canvas, slice slider, window/level, background loading, calipers."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QVBoxLayout, QWidget

from mdt.case import Measurement
from mdt.imaging.calipers import length_mm, measurement
from mdt.imaging.pixels import SeriesVolume
from mdt.imaging.series import SeriesInfo
from ui.viewer.canvas import SliceCanvas


class SeriesPane(QWidget):
    slice_changed = Signal(int)
    caliper_measured = Signal(object, float)
    """(Measurement, length in mm) when a caliper line is finished."""
    caliper_failed = Signal(str)
    window_changed = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # PgUp/PgDn page through the slices here, never to the next agenda patient (ui.page_keys).
        self.setProperty("keeps_page_keys", True)
        self.series: SeriesInfo | None = None
        self.volume: SeriesVolume | None = None
        self.index = 0
        self.center, self.width = 40.0, 400.0
        self._positions: np.ndarray | None = None
        self._lines: dict[int, list[tuple[QPointF, QPointF, str]]] = {}
        self._loader: threading.Thread | None = None
        self._stop = threading.Event()
        self.canvas = SliceCanvas(self)
        self.slider = QSlider(Qt.Orientation.Vertical, self)
        self.slider.setInvertedAppearance(True)
        self.slider.setAccessibleName("Slice")
        self.slider.setEnabled(False)
        self.info = QLabel(self)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The label's text changes on every slice; a width that follows the text
        # would re-layout the whole window each time (10 ms instead of 1).
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._info_timer = QTimer(self)
        self._info_timer.setSingleShot(True)
        self._info_timer.setInterval(30)
        self._info_timer.timeout.connect(self._write_info)
        self._hover_text = ""
        self.warning = QLabel(self)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b35900;")
        self.warning.setVisible(False)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.canvas, 1)
        row.addWidget(self.slider)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row, 1)
        layout.addWidget(self.warning)
        layout.addWidget(self.info)
        self.slider.valueChanged.connect(self.show_slice)
        self.canvas.wheel_steps.connect(lambda n: self.step(n))
        self.canvas.window_dragged.connect(self._drag_window)
        self.canvas.line_drawn.connect(self._caliper)
        self.canvas.hovered.connect(self._hover)
        self._poll = QTimer(self)
        self._poll.setInterval(150)
        self._poll.timeout.connect(self._loading_progress)
        self.setFocusProxy(self.canvas)
        self.canvas.installEventFilter(self)

    # ---- opening
    def open_series(self, series: SeriesInfo, slice_index: int | None = None, load_all: bool = True) -> None:
        """Show ``series`` at once (first image read synchronously), then read the rest in the background."""
        self.stop_loading()
        self.series = series
        self.volume = SeriesVolume(series)
        self._lines = {}
        n = len(series.slices)
        self._positions = self._slice_positions(series)
        start = slice_index if slice_index is not None and 0 <= slice_index < n else n // 2
        self.center, self.width = self.volume.default_window(start)
        self.canvas.pixel_aspect = (series.pixel_spacing[0] / series.pixel_spacing[1]
                                    if series.pixel_spacing and series.pixel_spacing[1] > 0 else 1.0)
        self.canvas.reset_view()
        flags = list(series.flags)
        if series.pixel_spacing is None:
            flags.append("no pixel spacing: calipers cannot give millimetres")
        self.warning.setText("\n".join(f"⚠ {f}" for f in flags))
        self.warning.setVisible(bool(flags))
        self.canvas.overlay_bottom_left = ""
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(n - 1, 0))
        self.slider.setValue(start)
        self.slider.setEnabled(n > 1)
        self.slider.blockSignals(False)
        self.index = -1
        self.show_slice(start)
        if load_all and n > 1:
            self._start_loader(start)

    def clear(self) -> None:
        """Show nothing (another patient was opened)."""
        self.stop_loading()
        self.series = None
        self.volume = None
        self.index = -1
        self._positions = None
        self._lines = {}
        self.canvas.lines = []
        self.canvas.set_image(None)
        self.slider.setEnabled(False)
        self.warning.setVisible(False)
        self.info.setText("")

    @staticmethod
    def _slice_positions(series: SeriesInfo) -> np.ndarray | None:
        first = series.slices[0] if series.slices else None
        if first is None or any(s.position is None for s in series.slices):
            return None
        # Orientation is not kept on SliceRef; the stack direction is enough for
        # syncing: the projection on the first-to-last axis.
        pos = np.array([s.position for s in series.slices], dtype=float)
        axis = pos[-1] - pos[0]
        norm = np.linalg.norm(axis)
        if norm == 0:
            return None
        return pos @ (axis / norm)

    def _start_loader(self, start: int) -> None:
        assert self.volume is not None
        volume, stop = self.volume, threading.Event()
        self._stop = stop
        n = volume.n
        order = sorted(range(n), key=lambda i: abs(i - start))  # nearby slices first

        def run() -> None:
            volume.load_all(cancelled=stop.is_set, order=order)

        self._loader = threading.Thread(target=run, name="series-loader", daemon=True)
        self._loader.start()
        self._poll.start()

    def stop_loading(self) -> None:
        self._stop.set()
        if self._loader is not None:
            self._loader.join(timeout=5)
            self._loader = None
        self._poll.stop()

    def wait_loaded(self, timeout: float = 30.0) -> bool:
        """Block until the background read finished (tests and the benchmark)."""
        if self._loader is not None:
            self._loader.join(timeout)
        self._loading_progress()
        return self.volume is not None and self.volume.complete

    def _loading_progress(self) -> None:
        if self.volume is None:
            return
        done = int(self.volume.loaded.sum())
        if done >= self.volume.n:
            self._poll.stop()
        self._update_info()

    # ---- display
    def show_slice(self, i: int) -> None:
        if self.volume is None or not 0 <= i < self.volume.n:
            return
        changed = i != self.index
        self.index = i
        self.canvas.set_image(self.volume.windowed_rgb32(i, self.center, self.width))
        self.canvas.lines = self._lines.get(i, [])
        self._update_info()  # also moves the slider, coalesced: the image comes first
        if changed:
            self.slice_changed.emit(i)

    def refresh(self) -> None:
        if self.volume is not None and self.index >= 0:
            self.canvas.set_image(self.volume.windowed_rgb32(self.index, self.center, self.width))
            self._update_info()

    def step(self, n: int) -> None:
        if self.volume is not None:
            self.show_slice(int(np.clip(self.index + n, 0, self.volume.n - 1)))

    def set_window(self, center: float, width: float) -> None:
        self.center, self.width = float(center), max(float(width), 1.0)
        self.refresh()
        self.window_changed.emit(self.center, self.width)

    def _drag_window(self, d_level: float, d_width: float) -> None:
        # Scale with the current width so both narrow and wide windows are easy to tune.
        gain = max(self.width / 300.0, 0.5)
        self.set_window(self.center + d_level * gain, self.width + d_width * gain)

    def _update_info(self, hover: str = "") -> None:
        """Overlay now (painted with the image); the text line below at most every 30 ms."""
        s, v = self.series, self.volume
        self._hover_text = hover
        if s is None or v is None:
            self.info.setText("")
            return
        when = s.study_date.isoformat() if s.study_date else "date unknown"
        what = s.description or s.modality
        if s.part_label:
            what += f" · {s.part_label}"  # which phase / orientation of a split series
        self.canvas.overlay_top_left = (f"{(s.patient_name or s.patient_id).replace('^', ', ')}\n"
                                        f"{what}\n{when}")
        self.canvas.overlay_top_right = f"{self.index + 1}/{v.n}\nW {self.width:.0f} L {self.center:.0f}"
        if not self._info_timer.isActive():
            self._info_timer.start()

    def _write_info(self) -> None:
        v = self.volume
        if v is None or self.index < 0:
            return
        if self.slider.value() != self.index:
            self.slider.blockSignals(True)
            self.slider.setValue(self.index)
            self.slider.blockSignals(False)
        loaded = int(v.loaded.sum())
        pos = f"  z {self._positions[self.index]:.1f} mm" if self._positions is not None else ""
        hover = self._hover_text
        text = (f"Image {self.index + 1}/{v.n}{pos}   W {self.width:.0f} / L {self.center:.0f}"
                + (f"   loading {loaded}/{v.n}" if loaded < v.n else "") + (f"   {hover}" if hover else ""))
        error = v.errors.get(self.index)
        if error:
            text += f"   ⚠ cannot show this image: {error}"
        self.info.setText(text)

    def info_text(self) -> str:
        """The status line as it will read once written (tests)."""
        self._write_info()
        return self.info.text()

    def _hover(self, x: float, y: float) -> None:
        if self.volume is None or self.index < 0:
            return
        value = self.volume.value_at(self.index, int(np.floor(y)), int(np.floor(x)))
        unit = " HU" if self.series is not None and self.series.modality == "CT" else ""
        self._update_info("" if value is None else f"({int(x)}, {int(y)}) = {value:.0f}{unit}")

    # ---- position sync (compare)
    def position(self) -> float | None:
        return None if self._positions is None or self.index < 0 else float(self._positions[self.index])

    def goto_position(self, z: float) -> None:
        if self._positions is not None:
            self.show_slice(int(np.argmin(np.abs(self._positions - z))))

    # ---- calipers
    def set_caliper_mode(self, on: bool) -> None:
        self.canvas.caliper_mode = on
        self.canvas.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def _caliper(self, start: QPointF, end: QPointF) -> None:
        if self.series is None:
            return
        a, b = (start.x(), start.y()), (end.x(), end.y())
        mm = length_mm(a, b, self.series.spacing_at(self.index))
        if mm is None:
            self.caliper_failed.emit("This series has no pixel spacing: a length in mm cannot be measured.")
            return
        where = measurement(self.series, self.index, a, b)
        self.draw_line(self.index, a, b, f"{mm:.1f} mm")
        self.caliper_measured.emit(where, mm)

    def draw_line(self, index: int, a: tuple[float, float], b: tuple[float, float], label: str) -> None:
        self._lines.setdefault(index, []).append((QPointF(*a), QPointF(*b), label))
        if index == self.index:
            self.canvas.lines = self._lines[index]
            self.canvas.update()

    def relabel_last(self, index: int, label: str) -> None:
        """Name the newest caliper on image ``index`` (e.g. "L2 · 15.0 mm" once a lesion is chosen)."""
        lines = self._lines.get(index)
        if lines:
            a, b, _old = lines[-1]
            lines[-1] = (a, b, label)
            if index == self.index:
                self.canvas.update()

    def show_measurement(self, where: Measurement, label: str = "") -> bool:
        """Jump to the image a stored caliper was drawn on and draw it again.  False if not in this series."""
        if self.series is None or where.series_uid != self.series.series_uid:
            return False
        i = self.series.index_of(where.sop_instance_uid, where.frame_number)
        if i is None:
            return False
        if where.start_xy and where.end_xy:
            a = (float(where.start_xy[0]), float(where.start_xy[1]))
            b = (float(where.end_xy[0]), float(where.end_xy[1]))
            mm = length_mm(a, b, self.series.spacing_at(i))
            self.draw_line(i, a, b, label or (f"{mm:.1f} mm" if mm is not None else ""))
        self.show_slice(i)
        return True

    # ---- keys
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        page = max(1, (self.volume.n // 10) if self.volume else 1)
        moves = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1,
                 Qt.Key.Key_PageUp: -page, Qt.Key.Key_PageDown: page}
        if key in moves:
            self.step(moves[key])
        elif key == Qt.Key.Key_Home:
            self.show_slice(0)
        elif key == Qt.Key.Key_End and self.volume is not None:
            self.show_slice(self.volume.n - 1)
        else:
            super().keyPressEvent(event)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - keys typed on the canvas reach the pane
        from PySide6.QtCore import QEvent

        if obj is self.canvas and event.type() == QEvent.Type.KeyPress:
            before = self.index
            self.keyPressEvent(event)
            return self.index != before or event.key() in (Qt.Key.Key_Home, Qt.Key.Key_End)
        return super().eventFilter(obj, event)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.stop_loading()
        super().closeEvent(event)

