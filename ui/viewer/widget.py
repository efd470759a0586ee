"""The Images tab: series browser, one or two series side by side, presets, calipers, volumetry.

``ViewerWidget.open_series(series)`` shows a series; ``compare(current, prior)``
puts a prior study beside it with synchronised scrolling (the offset between
the two stacks is kept from the moment sync is switched on, since two scans of
one patient rarely share a coordinate origin).  A caliper line emits
``caliper_measured(Measurement, length_mm)``; with a review open
(``set_context``) the user picks the lesion and the diameter is saved as a new
review version with its reason, then ``review_saved(ReviewRecord)`` is emitted.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mdt import review_ops
from mdt.case import MODALITIES, Case, Imaging, Measurement, Review
from mdt.errors import MdtError
from mdt.imaging.series import SeriesInfo, choose_prior, names_match
from mdt.imaging.windowing import PRESETS, WindowPreset
from mdt.review_edits import Edit, set_imaging, set_measurement
from mdt.services import MdtService, ReviewRecord
from mdt.study_match import review_for_study
from ui.ops import Ops
from ui.viewer.browser import SeriesBrowser
from ui.viewer.dialogs import LesionPicker, ReviewForStudyPicker, VolumetryDialog
from ui.viewer.pane import SeriesPane


class CompareView(QWidget):
    """Two panes side by side; scrolling one scrolls the other when sync is on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.current = SeriesPane(self)
        self.prior = SeriesPane(self)
        self.prior.setVisible(False)
        self.current_title = QLabel("Current")
        self.prior_title = QLabel("Prior")
        self.prior_title.setVisible(False)
        self.sync = QCheckBox("Synchronised scroll")
        self.sync.setChecked(True)
        self.sync.setVisible(False)
        self._offset: float | None = None
        self._index_offset = 0
        self._syncing = False
        left, right = QWidget(), QWidget()
        for box, title, pane in ((left, self.current_title, self.current), (right, self.prior_title, self.prior)):
            lay = QVBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.addWidget(title)
            lay.addWidget(pane, 1)
        self._right = right
        right.setVisible(False)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split, 1)
        self.current.slice_changed.connect(lambda _i: self._follow(self.current, self.prior))
        self.prior.slice_changed.connect(lambda _i: self._follow(self.prior, self.current))
        self.sync.toggled.connect(self._sync_toggled)

    @property
    def comparing(self) -> bool:
        return self._right.isVisible() or not self._right.isHidden()

    def show_prior(self, series: SeriesInfo | None) -> None:
        if series is None:
            self.prior.stop_loading()
            self._right.setVisible(False)
            self.prior.setVisible(False)
            self.prior_title.setVisible(False)
            self.sync.setVisible(False)
            return
        self._right.setVisible(True)
        self.prior.setVisible(True)
        self.prior_title.setVisible(True)
        self.sync.setVisible(True)
        when = series.study_date.isoformat() if series.study_date else "date unknown"
        self.prior_title.setText(f"Prior: {when}")
        # Start the prior at the same relative height as the current slice.
        rel = self.current.index / max(len(self.current.series.slices) - 1, 1) if self.current.series else 0.5
        self._syncing = True  # opening must not scroll the current pane
        try:
            self.prior.open_series(series, round(rel * (len(series.slices) - 1)))
        finally:
            self._syncing = False
        self._sync_toggled(self.sync.isChecked())

    def _sync_toggled(self, on: bool) -> None:
        if not on:
            return
        a, b = self.current.position(), self.prior.position()
        self._offset = None if a is None or b is None else a - b
        self._index_offset = self.current.index - self.prior.index

    def _follow(self, source: SeriesPane, target: SeriesPane) -> None:
        if self._syncing or not self.sync.isChecked() or target.series is None or target.isHidden():
            return
        self._syncing = True
        try:
            z = source.position()
            sign = 1 if source is self.current else -1
            if z is not None and self._offset is not None:
                target.goto_position(z - sign * self._offset)
            else:
                target.show_slice(source.index - sign * self._index_offset)
        finally:
            self._syncing = False


class ViewerWidget(QWidget):
    caliper_measured = Signal(object, float)
    """(Measurement, length in mm) for every finished caliper line."""
    review_saved = Signal(object)
    """ReviewRecord after a caliper diameter or SEG volumes were saved into the open review."""
    series_opened = Signal(object)

    def __init__(self, service: MdtService | None = None, parent: QWidget | None = None, *,
                 ops: Ops | None = None) -> None:
        super().__init__(parent)
        self.service = service if service is not None else getattr(parent, "service", None)
        # The window's writes (off the GUI thread, one failure display); a viewer on its own runs its own.
        self._own_ops = ops is None
        self.ops = ops if ops is not None else Ops(self.service, self)
        self.case: Case | None = None
        self.review_record: ReviewRecord | None = None
        self.tasks = getattr(parent, "tasks", None)
        self.ask_lesion = self._ask_lesion  # replaceable in tests
        self.ask_review = self._ask_review  # replaceable in tests
        self._with_imaging: frozenset[int] = frozenset()
        self.selected_lesion: Callable[[], str | None] = lambda: None
        """Set by the main window: the lesion selected in the review editor (the picker's default)."""
        self.measurement_sink: Callable[[object, Callable[[Review], Edit]], object | None] | None = None
        """Set by the main window: hands a caliper edit of a review (the record it is for, and the
        edit) to the review editor, so it is saved as one undoable edit like any other; returns
        the saved record, or None."""
        self.browser = SeriesBrowser(self)
        self.browser.series_activated.connect(self.open_series)
        import_btn = QPushButton("Import DICOM…")
        import_btn.clicked.connect(self.import_dialog)
        self.compare_btn = QPushButton("Compare with prior")
        self.compare_btn.setToolTip("Show the previous study's matching series beside this one")
        self.compare_btn.clicked.connect(self.compare_with_prior)
        seg_btn = QPushButton("Volumetry from SEG…")
        seg_btn.clicked.connect(self.volumetry_from_selection)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.browser, 1)
        for b in (import_btn, self.compare_btn, seg_btn):
            lv.addWidget(b)

        self.view = CompareView(self)
        tools = QHBoxLayout()
        self.preset_buttons: dict[str, QToolButton] = {}
        for preset in PRESETS:
            btn = QToolButton()
            btn.setText(f"{preset.name} {preset.width:g}/{preset.center:g}")
            btn.setToolTip(f"Window {preset.width:g} / level {preset.center:g} (key {preset.shortcut})")
            btn.clicked.connect(lambda _c=False, p=preset: self.apply_preset(p))
            tools.addWidget(btn)
            self.preset_buttons[preset.name] = btn
            QShortcut(QKeySequence(preset.shortcut), self, activated=lambda p=preset: self.apply_preset(p))
        self.caliper_btn = QToolButton()
        self.caliper_btn.setText("Caliper")
        self.caliper_btn.setCheckable(True)
        self.caliper_btn.setToolTip("Draw a line to measure a diameter in mm (key C)")
        self.caliper_btn.toggled.connect(self.set_caliper_mode)
        # "On" must be obvious from across the room: filled yellow and bold while measuring.
        self.caliper_btn.setStyleSheet("QToolButton:checked { background: #ffd200; color: #111111; "
                                       "font-weight: bold; border: 2px solid #7a5c00; }")
        QShortcut(QKeySequence("C"), self, activated=self.caliper_btn.toggle)
        fit = QToolButton()
        fit.setText("Fit")
        fit.clicked.connect(lambda: (self.view.current.canvas.reset_view(), self.view.prior.canvas.reset_view()))
        tools.addSpacing(12)
        tools.addWidget(self.caliper_btn)
        tools.addWidget(fit)
        tools.addWidget(self.view.sync)
        tools.addStretch(1)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addLayout(tools)
        rv.addWidget(self.view, 1)
        rv.addWidget(self.message)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([380, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)
        for pane in (self.view.current, self.view.prior):
            # Each line keeps the pane (and so the study) it was drawn on.
            pane.caliper_measured.connect(partial(self._on_pane_caliper, pane))
            pane.caliper_failed.connect(self.message.setText)

    # ---- context
    def set_context(self, service: MdtService | None, case: Case | None = None,
                    review_record: ReviewRecord | None = None) -> None:
        """The service, the open patient and the open review (calipers and volumes are saved into it)."""
        if service is not None:
            self.service = service
            if self._own_ops:
                self.ops.set_service(service)
        shown = self.view.current.series
        if shown is not None and (case is None or shown.patient_id != case.patient.id):
            # Never leave another patient's images on screen.
            self.view.show_prior(None)
            self.view.current.clear()
            self.view.prior.clear()
        self.case = case
        self.review_record = review_record
        self.refresh()

    def set_review(self, review_record: object | None) -> None:
        self.review_record = review_record

    def refresh(self) -> None:
        """Reload the series list of the open patient (all indexed series when none is open)."""
        if self.service is None:
            self.browser.set_series([])
            return
        pid = self.case.patient.id if self.case is not None else None
        try:
            series = self.service.list_series(pid)
        except MdtError as exc:
            self.message.setText(f"Cannot list images: {exc}")
            return
        self.browser.set_series(series)
        # An empty black pane says what to do next rather than just "No series open".
        canvas = self.view.current.canvas
        if not series:
            who = f" for {pid}" if pid else ""
            canvas.placeholder = (f"No images indexed{who}.\n\nImport DICOM… (Ctrl+Shift+I) reads a folder, "
                                  "a DICOMDIR or a zip.")
        else:
            canvas.placeholder = "Double-click a series on the left (or select it and press Enter) to open it."
        canvas.update()
        self.compare_btn.setEnabled(len(series) > 1)

    # ---- opening
    def open_series(self, series: SeriesInfo, slice_index: int | None = None) -> None:
        if series.is_seg:
            self.volumetry(series.slices[0].path)
            return
        self.view.current.open_series(series, slice_index)
        self.view.current_title.setText(f"Current: {series.study_date or 'date unknown'}")
        self.browser.select(series.key)
        self.message.setText(self.identity_warning(series))
        self.series_opened.emit(series)

    def identity_warning(self, series: SeriesInfo) -> str:
        """A plain warning when the images do not carry the open patient's identity."""
        if self.case is None:
            return ""
        patient = self.case.patient
        if series.patient_id and series.patient_id != patient.id:
            return (f"⚠ These images belong to patient ID {series.patient_id}, "
                    f"not to the open patient {patient.id}.")
        if names_match(series.patient_name, patient.name) is False:
            return (f"⚠ The images are labelled {series.patient_name.replace('^', ', ')}; the open patient "
                    f"is {(patient.name or '').replace('^', ', ')}. Check the identity before measuring.")
        return ""

    def compare(self, current: SeriesInfo, prior: SeriesInfo | None) -> None:
        if self.view.current.series is None or self.view.current.series.key != current.key:
            self.open_series(current)
        self.view.show_prior(prior)

    def compare_with_prior(self) -> None:
        current = self.view.current.series or self.browser.selected_series()
        if current is None:
            self.message.setText("Open a series first.")
            return
        prior = choose_prior(current, self.browser.all_series())
        if prior is None:
            self.message.setText("No earlier study of this patient with the same modality is indexed.")
            return
        self.compare(current, prior)

    def apply_preset(self, preset: WindowPreset) -> None:
        for pane in (self.view.current, self.view.prior):
            if pane.series is not None:
                pane.set_window(preset.center, preset.width)

    def set_caliper_mode(self, on: bool) -> None:
        for pane in (self.view.current, self.view.prior):
            pane.set_caliper_mode(on)
        if self.caliper_btn.isChecked() != on:
            self.caliper_btn.setChecked(on)

    # ---- calipers
    def show_measurement(self, where: Measurement) -> bool:
        """Jump to the image where a lesion was measured and redraw the caliper."""
        for pane in (self.view.current, self.view.prior):
            if pane.show_measurement(where):
                return True
        if self.service is None:
            return False
        try:
            series, index = self.service.find_instance(where.sop_instance_uid, where.frame_number)
        except MdtError:
            self.message.setText("The image of this measurement is not in the DICOM index.")
            return False
        self.view.current.open_series(series, index)
        return self.view.current.show_measurement(where)

    def _ask_lesion(self, length: float, *, review: Review | None = None, study: str = "",
                    target: str = "", preselect: str | None = None) -> str | None:
        review = review if review is not None else self.review_record.review  # type: ignore[union-attr]
        if not review.lesions:
            self.message.setText(f"{length:.1f} mm measured; {target or 'the open review'} has no lesion "
                                 f"to attach it to.")
            return None
        picker = LesionPicker(review, length, self, study=study, target=target, preselect=preselect)
        return picker.lesion_id() if picker.exec() else None

    def _ask_review(self, study: str, choices: list[tuple[int, str, bool]]) -> tuple[int, bool] | None:
        """(review index, record the study as its imaging) chosen by the user, or None."""
        picker = ReviewForStudyPicker(study, choices, self, with_imaging=self._with_imaging)
        if not picker.exec() or picker.review_index() is None:
            return None
        return picker.review_index(), picker.remember.isChecked()  # type: ignore[return-value]

    def _series_of(self, pane: SeriesPane | None, where: Measurement) -> SeriesInfo | None:
        """The series (and so the study) a line was drawn on."""
        for candidate in (pane, self.view.current, self.view.prior):
            if candidate is not None and candidate.series is not None \
                    and candidate.series.series_uid == where.series_uid:
                return candidate.series
        if self.service is None:
            return None
        try:
            series, _index = self.service.find_instance(where.sop_instance_uid)
        except MdtError:
            return None
        return series

    @staticmethod
    def _study_text(series: SeriesInfo | None) -> str:
        if series is None:
            return "a study that is not in the image index"
        when = series.study_date.isoformat() if series.study_date else "unknown date"
        return f"the {series.modality or ''} study of {when}".replace("the  study", "the study")

    def _target(self, series: SeriesInfo | None, study: str) -> tuple[object, Imaging | None] | None:
        """The review record the line belongs to (the review of its study, or the user's choice),
        and the imaging to record on it when the user chose and asked to remember the study."""
        assert self.case is not None and self.service is not None
        # As stored now (an earlier line may have recorded a study as a review's imaging).
        case = self.service.get_case(self.case.patient.id)  # type: ignore[attr-defined]
        records = {r.index: r for r in self.service.list_reviews(case.patient.id)}  # type: ignore[attr-defined]
        match = review_for_study(case, series.study_uid if series else None,
                                 series.study_date if series else None)
        if match.index is not None and match.index in records:
            return records[match.index], None
        order = [*match.candidates, *(i for i in range(len(case.reviews) - 1, -1, -1)
                                      if i not in match.candidates)]
        choices = [(i, _review_words(case.reviews[i]), i in match.candidates) for i in order]
        self._with_imaging = frozenset(i for i, r in enumerate(case.reviews) if r.imaging is not None)
        answer = self.ask_review(study, choices)
        if answer is None or answer[0] not in records:
            self.message.setText(f"Not recorded: no review was chosen for {study}.")
            return None
        index, remember = answer
        imaging = None
        if remember and series is not None:
            modality = series.modality if series.modality in MODALITIES else "other"
            imaging = Imaging(modality=modality, date=series.study_date, study_uid=series.study_uid or None)
        return records[index], imaging

    def _on_pane_caliper(self, pane: SeriesPane, where: Measurement, length: float) -> None:
        self._on_caliper(where, length, pane)

    def _on_caliper(self, where: Measurement, length: float, pane: SeriesPane | None = None) -> None:
        self.caliper_measured.emit(where, length)
        self.message.setText(f"Caliper: {length:.1f} mm on image {(where.slice_index or 0) + 1}")
        if self.review_record is None or self.service is None or self.case is None:
            return
        series = self._series_of(pane, where)
        study = self._study_text(series)
        target = self._target(series, study)
        if target is None:
            return
        record, imaging = target
        review = record.review  # type: ignore[attr-defined]
        target_text = f"the review of {review.date.isoformat()}"
        lesion_id = self.ask_lesion(length, review=review, study=study, target=target_text,
                                    preselect=self.selected_lesion())
        if not lesion_id:
            return
        edit_fn = partial(_measure, lesion_id=lesion_id, where=where, length=length, imaging=imaging,
                          study=study)
        if self.measurement_sink is not None:
            saved = self.measurement_sink(record, edit_fn)
            if saved is None:
                return  # the editor said why (invalid value, conflict, signed meeting)
        else:
            saved = self.ops.run("Measurement not saved",
                                 lambda service: review_ops.apply_edit(service, record, edit_fn),
                                 shown_in=self.message.setText, review=review)
            if saved is None:
                return
            self.review_saved.emit(saved)
        if saved.review_id == self.review_record.review_id:  # type: ignore[attr-defined]
            self.review_record = saved
        self._label_measurement(where, lesion_id, length)
        self.message.setText(f"Lesion {lesion_id} of {target_text}: diameter {round(length, 1)} mm "
                             f"measured on {study} saved.")

    def _label_measurement(self, where: Measurement, lesion_id: str, length: float) -> None:
        # The line on the image now says which lesion it measured, as the review does.
        for pane in (self.view.current, self.view.prior):
            if pane.series is not None and pane.series.series_uid == where.series_uid:
                pane.relabel_last(where.slice_index or 0, f"{lesion_id} · {length:.1f} mm")

    # ---- volumetry and import
    def volumetry_from_selection(self) -> None:
        selected = self.browser.selected_series()
        if selected is not None and selected.is_seg:
            self.volumetry(selected.slices[0].path)
            return
        path, _ = QFileDialog.getOpenFileName(self, "DICOM SEG file", "", "DICOM (*.dcm);;All (*)")
        if path:
            self.volumetry(path)

    def volumetry(self, path: str, dialog_exec: bool = True) -> VolumetryDialog | None:
        from mdt.imaging.volumetry import apply_to_review, read_volumes

        try:
            result = read_volumes(path)
        except MdtError as exc:
            self.message.setText(f"Volumetry: {exc}")
            return None
        dialog = VolumetryDialog(result, can_apply=self.review_record is not None and self.case is not None,
                                 parent=self)

        def apply() -> None:
            assert self.case is not None and self.review_record is not None
            pid, index = self.case.patient.id, self.review_record.index
            done = self.ops.run("Volumes not saved",
                                lambda service: apply_to_review(service, pid, result, index),
                                shown_in=self.message.setText)
            if done is None:
                return
            saved, notes = done
            self.ops.announce(saved)
            self.review_record = saved
            self.message.setText("; ".join(notes))
            self.review_saved.emit(saved)

        dialog.accepted.connect(apply)
        if dialog_exec:
            dialog.exec()
        return dialog

    def import_dialog(self):
        if self.service is None:
            self.message.setText("No database open.")
            return None
        from ui.viewer.import_dialog import DicomImportDialog

        dialog = DicomImportDialog(self.service, tasks=self.tasks, parent=self)
        dialog.imported.connect(lambda _r: self.refresh())
        dialog.show()
        return dialog

    def closeEvent(self, event) -> None:  # noqa: N802
        self.view.current.stop_loading()
        self.view.prior.stop_loading()
        super().closeEvent(event)


def _review_words(review: Review) -> str:
    img = review.imaging
    imaging = (f"imaging {img.modality or ''} {img.date.isoformat() if img and img.date else 'date not recorded'}"
               if img is not None else "imaging not recorded")
    cycle = f" · cycle {review.cycle}" if review.cycle is not None else ""
    return f"Review of {review.date.isoformat()}{cycle} · {imaging}"


def _measure(review: Review, lesion_id: str, where: Measurement, length: float, imaging: Imaging | None,
             study: str) -> Edit:
    """The caliper's diameter on ``review``; with ``imaging``, the study is recorded as the review's."""
    edit = set_measurement(review, lesion_id, where, length)
    reason = f"{edit.reason} on {study}"
    if imaging is None:
        return Edit(edit.review, reason)
    with_study = set_imaging(edit.review, imaging.modality, imaging.date, imaging.study_uid)
    return Edit(with_study.review, f"{reason}; {with_study.reason} (the study the line was drawn on)")
