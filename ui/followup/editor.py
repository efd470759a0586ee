"""Follow-up editor (patient level): local treatments (date, resection/ablation/both, lesions
treated, R0/R1/R2, Clavien-Dindo at 30 and 90 days), progressions (date, hepatic or
extrahepatic), last follow-up, death and why follow-up stopped.

The end of the course is shown, never typed: it follows from these events and the panel's
decisions.  Each accepted change builds a new ``FollowUp`` and hands it to the window's
``apply`` callback (saved at once, undoable); refused changes are explained in clinical words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mdt.case import (
    CLAVIEN_DINDO,
    LOCAL_TREATMENT_KINDS,
    MARGINS,
    PROGRESSION_SITES,
    Case,
    FollowUp,
    LocalTreatmentEvent,
    ProgressionEvent,
)
from mdt.caseformat import follow_up_problems
from mdt.caseformat_followup import clinical_words, with_derived_end
from mdt.errors import FieldProblem, MdtError, ValidationError
from ui.patients.dialogs import parse_optional_date
from ui.style import label

ApplyFn = Callable[[FollowUp | None, FollowUp | None, str], None]
KIND_WORDS = {"resection": "resection", "ablation": "ablation", "resection_ablation": "resection + ablation"}
SITE_WORDS = {"hepatic": "hepatic", "extrahepatic": "extrahepatic", "hepatic_extrahepatic": "hepatic + extrahepatic"}


def _combo(items: list[tuple[str, object]], name: str) -> QComboBox:
    box = QComboBox()
    for text, data in items:
        box.addItem(text, data)
    box.setAccessibleName(name)
    return box


class FollowUpEditor(QWidget):
    def __init__(self, apply: ApplyFn, parent: QWidget | None = None):
        super().__init__(parent)
        self._apply = apply
        self.case: Case | None = None

        self.end_label = QLabel("")
        self.end_label.setWordWrap(True)
        self.end_label.setProperty("role", "verdict")
        self.end_label.setAccessibleName("End of the course")

        # Local treatments
        self.lt_table = QTableWidget(0, 6)
        self.lt_table.setHorizontalHeaderLabels(["Date", "Kind", "Lesions", "Margin", "CD 30 d", "CD 90 d"])
        self.lt_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lt_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.lt_table.verticalHeader().setVisible(False)
        self.lt_table.cellActivated.connect(lambda r, _c: self._load_treatment(r))
        self.lt_date = QLineEdit()
        self.lt_date.setPlaceholderText("YYYY-MM-DD")
        self.lt_date.setAccessibleName("Local treatment date")
        self.lt_kind = _combo([(KIND_WORDS[k], k) for k in LOCAL_TREATMENT_KINDS], "Local treatment kind")
        self.lt_lesions = QLineEdit()
        self.lt_lesions.setPlaceholderText("e.g. L1, L2")
        self.lt_lesions.setAccessibleName("Lesions treated")
        self.lt_margin = _combo([("not recorded", None), *[(m, m) for m in MARGINS]], "Resection margin")
        grades = [("not recorded", None), *[("no complication" if g == "none" else f"grade {g}", g)
                                             for g in CLAVIEN_DINDO]]
        self.lt_cd30 = _combo(grades, "Clavien-Dindo at 30 days")
        self.lt_cd90 = _combo(grades, "Clavien-Dindo at 90 days")
        self.lt_note = QLineEdit()
        self.lt_note.setAccessibleName("Local treatment note")
        self.lt_add = QPushButton("Add / update &treatment")
        self.lt_add.clicked.connect(self.add_treatment)
        self.lt_remove = QPushButton("Remove treatment")
        self.lt_remove.clicked.connect(self.remove_treatment)
        # Four rows of two fields: the tab must fit a 1366-pixel laptop beside the patient list.
        grid = QGridLayout()
        pairs = ((("Date", self.lt_date), ("Kind", self.lt_kind)),
                 (("Lesions", self.lt_lesions), ("Margin", self.lt_margin)),
                 (("Clavien-Dindo 30 d", self.lt_cd30), ("90 d", self.lt_cd90)))
        for r, row in enumerate(pairs):
            for i, (text, w) in enumerate(row):
                grid.addWidget(QLabel(text), r, 2 * i)
                grid.addWidget(w, r, 2 * i + 1)
        grid.addWidget(QLabel("Note"), 3, 0)
        grid.addWidget(self.lt_note, 3, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.lt_add)
        buttons.addWidget(self.lt_remove)
        grid.addLayout(buttons, 3, 2, 1, 2)
        for col in (1, 3):
            grid.setColumnStretch(col, 1)
        lt_box = QGroupBox("Local treatments")
        lt_layout = QVBoxLayout(lt_box)
        lt_layout.addWidget(self.lt_table, 1)
        lt_layout.addLayout(grid)

        # Progressions
        self.pr_table = QTableWidget(0, 3)
        self.pr_table.setHorizontalHeaderLabels(["Date", "Site", "Note"])
        self.pr_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.pr_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.pr_table.verticalHeader().setVisible(False)
        self.pr_date = QLineEdit()
        self.pr_date.setPlaceholderText("YYYY-MM-DD")
        self.pr_date.setAccessibleName("Progression date")
        self.pr_site = _combo([(SITE_WORDS[s], s) for s in PROGRESSION_SITES], "Progression site")
        self.pr_note = QLineEdit()
        self.pr_note.setAccessibleName("Progression note")
        self.pr_add = QPushButton("Add &progression")
        self.pr_add.clicked.connect(self.add_progression)
        self.pr_remove = QPushButton("Remove progression")
        self.pr_remove.clicked.connect(self.remove_progression)
        pr_row = QGridLayout()
        for i, (text, w) in enumerate((("Date", self.pr_date), ("Site", self.pr_site))):
            pr_row.addWidget(QLabel(text), 0, 2 * i)
            pr_row.addWidget(w, 0, 2 * i + 1)
        pr_row.addWidget(QLabel("Note"), 1, 0)
        pr_row.addWidget(self.pr_note, 1, 1)
        pr_buttons = QHBoxLayout()
        pr_buttons.addWidget(self.pr_add)
        pr_buttons.addWidget(self.pr_remove)
        pr_row.addLayout(pr_buttons, 1, 2, 1, 2)
        for col in (1, 3):
            pr_row.setColumnStretch(col, 1)
        pr_box = QGroupBox("Progressions")
        pr_layout = QVBoxLayout(pr_box)
        pr_layout.addWidget(self.pr_table, 1)
        pr_layout.addLayout(pr_row)

        # Status
        self.last_fu = QLineEdit()
        self.last_fu.setPlaceholderText("YYYY-MM-DD")
        self.last_fu.setAccessibleName("Last follow-up")
        self.death = QLineEdit()
        self.death.setPlaceholderText("YYYY-MM-DD")
        self.death.setAccessibleName("Date of death")
        self.end = _combo([("not stopped early", None), ("withdrawn", "withdrawn"),
                           ("lost to follow-up", "lost_to_follow_up")], "End of follow-up")
        self.status_save = QPushButton("&Save status")
        self.status_save.clicked.connect(self.save_status)
        status_box = QGroupBox("Status")
        form = QFormLayout(status_box)
        form.addRow("&Last follow-up (known alive)", self.last_fu)
        form.addRow("Date of &death", self.death)
        form.addRow("Follow-up", self.end)
        form.addRow("", self.status_save)

        self.error = QLabel("")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Error message")
        layout = QVBoxLayout(self)
        layout.addWidget(self.end_label)
        layout.addWidget(lt_box, 2)
        layout.addWidget(pr_box, 1)
        layout.addWidget(status_box)
        layout.addWidget(self.error)
        self.setEnabled(False)

    # ---- content ---------------------------------------------------------------------
    def follow_up(self) -> FollowUp:
        return (self.case.follow_up if self.case and self.case.follow_up else None) or FollowUp()

    def set_case(self, case: Case | None) -> None:
        self.case = case
        self.setEnabled(case is not None)
        fu = self.follow_up()
        self.lt_table.setRowCount(len(fu.local_treatments))
        for r, t in enumerate(fu.local_treatments):
            for c, text in enumerate((t.date.isoformat(), KIND_WORDS[t.kind], ", ".join(t.lesions),
                                      t.margin or "–", t.clavien_dindo_30d or "–", t.clavien_dindo_90d or "–")):
                self.lt_table.setItem(r, c, QTableWidgetItem(text))
        self.pr_table.setRowCount(len(fu.progressions))
        for r, p in enumerate(fu.progressions):
            for c, text in enumerate((p.date.isoformat(), SITE_WORDS[p.site], p.note or "")):
                self.pr_table.setItem(r, c, QTableWidgetItem(text))
        self.last_fu.setText(fu.last_follow_up.isoformat() if fu.last_follow_up else "")
        self.death.setText(fu.death_date.isoformat() if fu.death_date else "")
        self.end.setCurrentIndex(max(0, self.end.findData(fu.end)))
        self.error.clear()
        self._show_end()

    def _show_end(self) -> None:
        from mdt.course_end import course_end

        end = course_end(self.case) if self.case else None
        if end is None:
            self.end_label.setText("End of the course: nothing recorded yet.")
            return
        when = f" on {end.date.isoformat()}" if end.date else ""
        why = (f"follows from {end.source.replace('follow_up.', '').replace('_', ' ')}" if end.derived
               else "recorded in an older file without events: record the local treatment, progression or "
                    "death below and the end will follow from them")
        self.end_label.setText(f"End of the course: {label(end.code)}{when} ({why}).")

    # ---- edits -----------------------------------------------------------------------
    def _commit(self, new: FollowUp, text: str) -> bool:
        if self.case is None:
            return False
        old = self.case.follow_up
        if new == old:
            return True
        # The end follows from the events: check the case as it will be stored.
        problems = follow_up_problems(with_derived_end(replace(self.case, follow_up=new)))
        if problems:
            self.error.setText("\n".join(clinical_words(p) for p in problems))
            return False
        try:
            self._apply(new, old, text)
        except MdtError as exc:
            probs = getattr(exc, "problems", None) or [FieldProblem("", str(exc))]
            self.error.setText("\n".join(clinical_words(p) for p in probs))
            return False
        self.error.clear()
        return True

    def _date(self, edit: QLineEdit, path: str, required: bool) -> object:
        when = parse_optional_date(edit.text(), path)
        if when is None and required:
            raise ValidationError(FieldProblem(path, "the date is required"))
        return when

    def treatment_from_form(self) -> LocalTreatmentEvent:
        when = self._date(self.lt_date, "follow_up.local_treatments[].date", True)
        lesions = tuple(x.strip() for x in self.lt_lesions.text().replace(";", ",").split(",") if x.strip())
        return LocalTreatmentEvent(date=when, kind=self.lt_kind.currentData(), lesions=lesions,  # type: ignore[arg-type]
                                   margin=self.lt_margin.currentData(), clavien_dindo_30d=self.lt_cd30.currentData(),
                                   clavien_dindo_90d=self.lt_cd90.currentData(),
                                   note=self.lt_note.text().strip() or None)

    def add_treatment(self) -> bool:
        try:
            event = self.treatment_from_form()
        except ValidationError as exc:
            self.error.setText("\n".join(clinical_words(p) for p in exc.problems))
            return False
        fu = self.follow_up()
        others = [t for t in fu.local_treatments if t.date != event.date]
        items = tuple(sorted([*others, event], key=lambda t: t.date))
        ok = self._commit(replace(fu, local_treatments=items),
                          f"local treatment {event.date.isoformat()} ({KIND_WORDS[event.kind]})")
        if ok:
            for w in (self.lt_date, self.lt_lesions, self.lt_note):
                w.clear()
        return ok

    def remove_treatment(self) -> bool:
        row = self.lt_table.currentRow()
        fu = self.follow_up()
        if not 0 <= row < len(fu.local_treatments):
            return False
        gone = fu.local_treatments[row]
        return self._commit(replace(fu, local_treatments=tuple(t for t in fu.local_treatments if t != gone)),
                            f"remove local treatment {gone.date.isoformat()}")

    def _load_treatment(self, row: int) -> None:
        t = self.follow_up().local_treatments[row]
        self.lt_date.setText(t.date.isoformat())
        self.lt_kind.setCurrentIndex(self.lt_kind.findData(t.kind))
        self.lt_lesions.setText(", ".join(t.lesions))
        for box, value in ((self.lt_margin, t.margin), (self.lt_cd30, t.clavien_dindo_30d),
                           (self.lt_cd90, t.clavien_dindo_90d)):
            box.setCurrentIndex(max(0, box.findData(value)))
        self.lt_note.setText(t.note or "")

    def add_progression(self) -> bool:
        try:
            when = self._date(self.pr_date, "follow_up.progressions[].date", True)
        except ValidationError as exc:
            self.error.setText("\n".join(clinical_words(p) for p in exc.problems))
            return False
        fu = self.follow_up()
        event = ProgressionEvent(date=when, site=self.pr_site.currentData(),  # type: ignore[arg-type]
                                 note=self.pr_note.text().strip() or None)
        items = tuple(sorted([*fu.progressions, event], key=lambda p: p.date))
        ok = self._commit(replace(fu, progressions=items), f"progression {event.date.isoformat()}")
        if ok:
            self.pr_date.clear()
            self.pr_note.clear()
        return ok

    def remove_progression(self) -> bool:
        row = self.pr_table.currentRow()
        fu = self.follow_up()
        if not 0 <= row < len(fu.progressions):
            return False
        gone = fu.progressions[row]
        return self._commit(replace(fu, progressions=tuple(p for p in fu.progressions if p != gone)),
                            f"remove progression {gone.date.isoformat()}")

    def save_status(self) -> bool:
        try:
            last = self._date(self.last_fu, "follow_up.last_follow_up", False)
            death = self._date(self.death, "follow_up.death_date", False)
        except ValidationError as exc:
            self.error.setText("\n".join(clinical_words(p) for p in exc.problems))
            return False
        fu = replace(self.follow_up(), last_follow_up=last, death_date=death, end=self.end.currentData())
        return self._commit(fu, "follow-up status")
