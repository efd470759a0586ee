"""Series browser: the patient's studies (newest first) and their series."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from mdt.imaging.series import SeriesInfo


class SeriesBrowser(QTreeWidget):
    series_activated = Signal(object)
    """A series was double-clicked or Enter pressed (SeriesInfo)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Series", "Images"])  # studies are the parent rows
        self.setAccessibleName("Series")
        self.setRootIsDecorated(True)
        self.setColumnWidth(0, 230)
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, self.header().ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, self.header().ResizeMode.ResizeToContents)
        self._series: dict[str, SeriesInfo] = {}
        self.itemActivated.connect(self._activated)

    def set_series(self, series: list[SeriesInfo]) -> None:
        self.clear()
        self._series = {s.key: s for s in series}
        studies: dict[str, QTreeWidgetItem] = {}
        for s in series:
            study = studies.get(s.study_uid)
            if study is None:
                when = s.study_date.isoformat() if s.study_date else "date unknown"
                study = QTreeWidgetItem([f"{when}  {s.study_description or s.modality}", ""])
                # Descriptions are long ("CT abdomen portal venous"): the full text on hover.
                study.setToolTip(0, study.text(0))
                study.setFirstColumnSpanned(False)
                self.addTopLevelItem(study)
                studies[s.study_uid] = study
            label = " ".join(b for b in (f"#{s.series_number}" if s.series_number is not None else "",
                                         s.modality, s.description or "(no description)", s.part_label) if b)
            item = QTreeWidgetItem([label, str(len(s.slices))])
            item.setData(0, Qt.ItemDataRole.UserRole, s.key)
            item.setToolTip(0, label)
            if s.flags:
                item.setToolTip(0, "\n".join((label, *s.flags)))
                item.setText(0, "⚠ " + label)
            study.addChild(item)
        self.expandAll()

    def selected_series(self) -> SeriesInfo | None:
        item = self.currentItem()
        key = None if item is None else item.data(0, Qt.ItemDataRole.UserRole)
        return self._series.get(key) if key else None

    def all_series(self) -> list[SeriesInfo]:
        return list(self._series.values())

    def select(self, key: str) -> None:
        for i in range(self.topLevelItemCount()):
            study = self.topLevelItem(i)
            for j in range(study.childCount()):
                if study.child(j).data(0, Qt.ItemDataRole.UserRole) == key:
                    self.setCurrentItem(study.child(j))
                    return

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        key = item.data(0, Qt.ItemDataRole.UserRole)
        if key in self._series:
            self.series_activated.emit(self._series[key])
