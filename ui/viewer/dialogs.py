"""Small dialogs of the viewer: which lesion a caliper measures, SEG volumetry results."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mdt.case import Review
from mdt.imaging.volumetry import VolumetryResult


class LesionPicker(QDialog):
    """"Use 23.4 mm, measured on the study of 2025-12-01, as the diameter of which lesion of the
    review of 2025-12-03?" — lists that review's lesions, the editor's selected one preselected."""

    def __init__(self, review: Review, length_mm: float, parent: QWidget | None = None, *,
                 study: str = "", target: str = "", preselect: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Attach measurement to a lesion")
        self.list = QListWidget()
        self.list.setAccessibleName("Lesions")
        for les in review.lesions:
            now = f"{les.diameter_mm} mm" if les.diameter_mm is not None else "no diameter yet"
            item = QListWidgetItem(f"{les.id}  ·  segments {', '.join(les.segments) or '?'}  ·  {now}")
            item.setData(256, les.id)
            self.list.addItem(item)
        ids = [les.id for les in review.lesions]
        if self.list.count():
            self.list.setCurrentRow(ids.index(preselect) if preselect in ids else 0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        layout = QVBoxLayout(self)
        self.where = QLabel(f"Line drawn on <b>{study or 'a study of unknown date'}</b>; it is recorded in "
                            f"<b>{target or 'the open review'}</b>.")
        self.where.setWordWrap(True)
        self.where.setAccessibleName("Study of the line")
        layout.addWidget(self.where)
        layout.addWidget(QLabel(f"Record {length_mm:.1f} mm as the diameter of:"))
        layout.addWidget(self.list)
        layout.addWidget(buttons)

    def lesion_id(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(256))


class ReviewForStudyPicker(QDialog):
    """No review records the study a line was drawn on: the user chooses the review, seeing the
    study's date and each review's (only reviews on or after the study can rest on it)."""

    def __init__(self, study: str, reviews: list[tuple[int, str, bool]], parent: QWidget | None = None,
                 with_imaging: frozenset[int] = frozenset()) -> None:
        super().__init__(parent)
        self.setWindowTitle("Which review is this study for?")
        self.list = QListWidget()
        self.list.setAccessibleName("Reviews")
        for index, text, allowed in reviews:
            item = QListWidgetItem(text if allowed else f"{text}  (before this study)")
            item.setData(256, index)
            if not allowed:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled & ~Qt.ItemFlag.ItemIsSelectable)
            self.list.addItem(item)
        self.remember = QCheckBox("Record this study as the chosen review's imaging (later lines on it go there)")
        self.remember.setChecked(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setEnabled(False)  # the user chooses: nothing is preselected
        self.list.currentItemChanged.connect(lambda cur, _prev: self._chosen(cur))
        self._with_imaging = with_imaging
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        text = QLabel(f"The line is on <b>{study}</b>. No review records this study as its imaging. "
                      f"Choose the review the measurement belongs to:")
        text.setWordWrap(True)
        layout.addWidget(text)
        layout.addWidget(self.list)
        layout.addWidget(self.remember)
        layout.addWidget(buttons)

    def _chosen(self, item: QListWidgetItem | None) -> None:
        self.ok.setEnabled(item is not None)
        if item is not None:
            # A review that already names its imaging keeps it unless the user asks otherwise.
            self.remember.setChecked(int(item.data(256)) not in self._with_imaging)

    def review_index(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None or not self.ok.isEnabled() else int(item.data(256))


class VolumetryDialog(QDialog):
    """Segment volumes of a DICOM SEG, with the button that fills the open review's remnant."""

    def __init__(self, result: VolumetryResult, can_apply: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Volumetry from segmentation")
        self.resize(620, 420)
        self.result = result
        table = QTableWidget(len(result.segments), 5)
        table.setHorizontalHeaderLabels(["#", "Label", "Recognised as", "Voxels", "Volume (mL)"])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        for r, s in enumerate(result.segments):
            what = f"Couinaud {s.couinaud}" if s.couinaud else s.kind
            for c, value in enumerate((str(s.number), s.label, what, f"{s.voxels:,}", f"{s.volume_ml:.1f}")):
                table.setItem(r, c, QTableWidgetItem(value))
        self.table = table
        info = (f"Voxel {result.pixel_spacing_mm[0]:g} × {result.pixel_spacing_mm[1]:g} mm × "
                f"{result.slice_spacing_mm:g} mm between slices ({result.spacing_source}).")
        notes = "\n".join(result.notes)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.apply_button = buttons.addButton("Fill remnant volumes of the open review",
                                              QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setEnabled(can_apply)
        if not can_apply:
            self.apply_button.setToolTip("Open a patient's review first")
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(table, 1)
        layout.addWidget(QLabel(info))
        if notes:
            layout.addWidget(QLabel(notes))
        layout.addWidget(buttons)
