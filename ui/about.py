"""Help → About: version, database, protocols, and the DICOM decoders of this build."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import mdt


def about_text(db_label: str = "") -> str:
    from mdt.protocols import load_protocols

    try:
        protocols = ", ".join(f"{p.id} v{p.version}" for p in load_protocols().values())
    except Exception as exc:  # noqa: BLE001 - About must open even with a broken protocol file
        protocols = f"not loaded ({exc})"
    lines = [
        f"<h2>{mdt.APP_NAME} {mdt.__version__}</h2>",
        "<p>Tumour-board tool for colorectal liver metastases: protocol criteria, panel votes "
        "and decisions, treatment course, minutes.</p>",
        f"<p>Python {platform.python_version()} · Qt for Python {pyside_version}</p>",
        f"<p>Protocols: {protocols}</p>",
    ]
    if db_label:
        lines.append(f"<p>Database: {db_label}</p>")
    return "".join(lines)


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"About {mdt.APP_NAME}")
        from mdt.imaging.decoders import syntax_support, undecodable_syntaxes

        db_label = getattr(parent, "db_label", "")
        text = QLabel(about_text(db_label))
        text.setWordWrap(True)
        # Every transfer syntax, one row per decoder; a syntax nothing here decodes says so.
        self.syntaxes = syntax_support()
        rows: list[tuple[str, str, str]] = []
        for support in self.syntaxes:
            if not support.decoders:
                rows.append((support.name, "none: images in this syntax cannot be shown", ""))
            rows.extend((support.name, dec, lic) for dec, lic in support.decoders)
        self.rows = rows
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Transfer syntax", "Decoder", "Licence"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                if row[1].startswith("none"):
                    item.setForeground(QColor("#b00020"))
                self.table.setItem(r, c, item)
        self.table.setColumnWidth(0, 430)
        self.table.setColumnWidth(1, 330)
        missing = undecodable_syntaxes()
        self.missing = QLabel("Cannot decode in this build: " + (", ".join(missing) if missing else "none"))
        self.missing.setWordWrap(True)
        self.missing.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The list is long (video syntaxes): it scrolls rather than squeezing the table.
        missing_box = QScrollArea()
        missing_box.setWidget(self.missing)
        missing_box.setWidgetResizable(True)
        missing_box.setFrameShape(QFrame.Shape.NoFrame)
        missing_box.setMaximumHeight(84)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(QLabel("<b>DICOM transfer syntaxes and their decoders in this build</b>"))
        layout.addWidget(self.table, 1)
        layout.addWidget(missing_box)
        layout.addWidget(buttons)
        self.resize(1000, 640)
