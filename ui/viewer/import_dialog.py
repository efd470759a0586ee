"""DICOM import with progress and Cancel, and the confirmation before creating a patient."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mdt.case import Patient
from mdt.services import MdtService


def ask_create_patient(parent: QWidget | None, patient: Patient, titles: Sequence[str]) -> bool:
    """The confirmation shown before a patient is created from a DICOM header."""
    born = patient.birth_date.isoformat() if patient.birth_date else "unknown"
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("New patient from DICOM")
    box.setText(f"Patient ID {patient.id} is not in the patient list.")
    shown = list(titles)[:6]
    box.setInformativeText(
        f"Name: {(patient.name or 'unknown').replace('^', ', ')}\nSex: {patient.sex or 'unknown'}\n"
        f"Born: {born}\nSeries: {'; '.join(shown)}{' …' if len(titles) > 6 else ''}\n\n"
        "Create this patient? If not, the images are indexed but not linked to a patient.")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes


class _Asker(QObject):
    """Lives on the main thread: the import worker asks through it and waits for the answer."""
    ask = Signal(object, object, object)
    progress = Signal(int, int, str)

    def __init__(self, dialog: DicomImportDialog) -> None:
        super().__init__(dialog)
        self.dialog = dialog
        self.ask.connect(self._answer)
        self.progress.connect(dialog._progress)

    @Slot(object, object, object)
    def _answer(self, patient: Patient, titles: Sequence[str], reply: list) -> None:
        reply.append(bool(self.dialog.confirm_patient(self.dialog, patient, titles)))
        reply[0].set()

    def __call__(self, patient: Patient, titles: Sequence[str]) -> bool:
        done = threading.Event()
        reply: list = [done]
        self.ask.emit(patient, list(titles), reply)
        while not done.wait(0.1):
            if self.dialog.handle is not None and self.dialog.handle.cancelled:
                return False
        return bool(reply[1])


class DicomImportDialog(QDialog):
    """Choose a folder, DICOMDIR or zip; import with a progress bar and Cancel; show what was skipped."""

    imported = Signal(object)
    """The ImportReport after a finished (or cancelled) import."""

    def __init__(self, service: MdtService, tasks: object | None = None, parent: QWidget | None = None,
                 path: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import DICOM images")
        self.resize(720, 480)
        self.service = service
        self.tasks = tasks
        self.handle = None
        self.report = None
        self._finished = True
        self.confirm_patient = ask_create_patient
        self.path_edit = QLineEdit(path or "")
        self.path_edit.setPlaceholderText("A folder, a DICOMDIR file or a .zip")
        self.path_edit.setAccessibleName("DICOM source")
        folder_btn = QPushButton("Folder…")
        file_btn = QPushButton("DICOMDIR or zip…")
        folder_btn.clicked.connect(self._choose_folder)
        file_btn.clicked.connect(self._choose_file)
        top = QHBoxLayout()
        top.addWidget(self.path_edit, 1)
        top.addWidget(folder_btn)
        top.addWidget(file_btn)
        self.status = QLabel("Headers only are read; unchanged files are not read again.")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.start_button = QPushButton("Import")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel import")
        self.cancel_button.setEnabled(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.log, 1)
        layout.addWidget(self.buttons)
        self._asker = _Asker(self)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "DICOM folder")
        if folder:
            self.path_edit.setText(folder)

    def _choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "DICOMDIR or zip", "", "DICOMDIR or zip (DICOMDIR *.zip);;All (*)")
        if name:
            self.path_edit.setText(name)

    # ---- running
    def start(self) -> None:
        source = self.path_edit.text().strip()
        if not source or not Path(source).exists():
            self.status.setText(f"Source: {'nothing chosen' if not source else 'does not exist: ' + source}")
            return
        from ui.tasks import TaskRunner

        # A worker thread gets its own service (sessions are per call; see MdtService.fork).
        worker = self.service.fork()
        asker = self._asker

        progress_signal = self._asker.progress

        def work(handle) -> object:
            def progress(done: int, total: int, text: str) -> None:
                handle.progress(done, total, text)  # the main window's status bar
                progress_signal.emit(done, total, text)  # this dialog's bar (queued to the GUI thread)

            return worker.import_dicom(source, progress=progress, cancelled=lambda: handle.cancelled,
                                       confirm=asker)

        if self.tasks is None:
            self.tasks = TaskRunner(self)
        self.log.clear()
        self.report = None
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Importing {source} …")
        self.bar.setRange(0, 0)
        self._finished = False
        handle = self.tasks.run("Import DICOM", work, self._done, self._failed)  # type: ignore[attr-defined]
        self.handle = None if self._finished else handle  # a synchronous runner has already finished

    def _progress(self, done: int, total: int, text: str) -> None:
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
        else:
            self.bar.setRange(0, 0)
        self.status.setText(f"{text} {done}/{total}" if total else text)

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.status.setText("Cancelling: the series being written is finished, nothing half-written …")

    def _done(self, report: object) -> None:
        self.report = report
        self._finished = True
        self.handle = None
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        lines = report.summary_lines()  # type: ignore[attr-defined]
        self.status.setText("Import cancelled." if report.cancelled else "Import finished.")  # type: ignore[attr-defined]
        self.log.setPlainText("\n".join(lines))
        self.imported.emit(report)

    def _failed(self, exc: BaseException, _tb: str) -> None:
        self.handle = None
        self._finished = True
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        problems = getattr(exc, "problems", None)
        text = "\n".join(str(p) for p in problems) if problems else str(exc)
        self.status.setText("Import failed; nothing half-written.")
        self.log.setPlainText(text)

    def reject(self) -> None:
        if self.handle is not None:
            self.cancel()
        super().reject()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Escape cancels a running import first
        if event.key() == Qt.Key.Key_Escape and self.handle is not None:
            self.cancel()
            return
        super().keyPressEvent(event)
