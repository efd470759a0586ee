"""Remnant panel: the resection plan, local treatment, volumes and the remnant's adequacy.

Pick a named resection (Brisbane 2000) or tick the segments that stay (also by
clicking the diagram in remnant mode); each lesion left in the remnant gets
wedge, ablation or "untreated".  A measured remnant volume remembers the segments
it was measured for: when the plan changes it shows "stale — measured for I–IVb"
and is not used until measured again.  The share, its threshold and the adequacy
are the engine's (``Evaluation.remnant``, from :mod:`mdt.protocols.volume`): the
panel computes nothing itself, so it can never disagree with the verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from mdt import anatomy
from mdt import review_edits as edits
from mdt.case import LIVER_CONDITIONS, LOCAL_METHODS, Review
from mdt.evaluation import Evaluation
from mdt.glossary import EFFECT_COLOURS, MARKS, units_range
from mdt.glossary import EXCLUDES as EXCLUDES_EFFECT
from mdt.glossary import OK as OK_EFFECT
from mdt.glossary import UNKNOWN as UNKNOWN_EFFECT
from mdt.review_edits import EditFn

from .fields import ChoiceField, NumberField, set_style
from .fields import caption as _caption

Request = Callable[[EditFn], bool]
CUSTOM = "__custom__"
UNKNOWN_COLOUR = EFFECT_COLOURS[UNKNOWN_EFFECT]
CONDITION_LABELS = {
    "normal": "normal liver",
    "chemotherapy": "after chemotherapy",
    "steatosis": "steatosis",
    "fibrosis": "fibrosis",
    "cirrhosis": "cirrhosis",
    "unknown": "unknown",
}
"""Condition names only: the threshold each leads to is the engine's, shown below."""


class RemnantPanel(QWidget):
    def __init__(self, request: Request, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._request = request
        self._review: Review | None = None
        outer = QVBoxLayout(self)

        plan_box = QGroupBox("Plan")
        plan = QFormLayout(plan_box)
        # In a narrow column the labels go above their fields rather than clip them.
        plan.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.resection = QComboBox()
        self.resection.setAccessibleName("Named resection")
        self.resection.addItem("— no plan recorded —", None)
        for name in anatomy.RESECTIONS:
            self.resection.addItem(anatomy.RESECTION_LABELS[name], name)
        self.resection.addItem("Custom remnant", CUSTOM)
        self.resection.setItemData(self.resection.count() - 1, "Tick the segments that stay below",
                                   Qt.ItemDataRole.ToolTipRole)
        self.resection.activated.connect(self._resection_chosen)
        # As wide as its longest entry (a named resection): the choice is never shown cut (the
        # form puts the label above it in a narrow column).
        self.resection.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        # The names are long ("Extended right hepatectomy (right trisectionectomy)"): the list
        # opens wide enough to read them whole, and the chosen one is in the tooltip.
        self.resection.view().setMinimumWidth(self.resection.view().sizeHintForColumn(0) + 32)
        self.resection.currentTextChanged.connect(self.resection.setToolTip)
        plan.addRow(_caption("remnant.resection", "ion"), self.resection)

        keep = QWidget()
        keep_lay = QGridLayout(keep)
        keep_lay.setContentsMargins(0, 0, 0, 0)
        self.keep_boxes: dict[str, QCheckBox] = {}
        for i, unit in enumerate(anatomy.UNITS):
            box = QCheckBox(unit)
            box.setToolTip(f"Segment {unit} stays (future remnant)")
            box.clicked.connect(partial(self._keep_clicked, unit))
            keep_lay.addWidget(box, i // 5, i % 5)  # two rows: fits a narrow column
            self.keep_boxes[unit] = box
        plan.addRow(_caption("remnant.segments", "gments"), keep)
        outer.addWidget(plan_box)

        self.local_box = QGroupBox("Lesions left in the remnant")
        self.local_grid = QGridLayout(self.local_box)
        self.local_combos: dict[str, QComboBox] = {}
        self.local_empty = QLabel("No lesion lies in the remnant.")
        self.local_grid.addWidget(self.local_empty, 0, 0, 1, 2)
        outer.addWidget(self.local_box)

        vol_box = QGroupBox("Volumes and liver")
        vol = QFormLayout(vol_box)
        vol.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.flr = NumberField("mL", partial(self._number, "flr_ml"), placeholder="measured")
        self.flr_note = QLabel()
        self.flr_note.setWordWrap(True)
        self.flr_note.setAccessibleName("Segments the remnant volume was measured for")
        self.tlv = NumberField("mL", partial(self._number, "tlv_ml"), placeholder="estimated if empty")
        self.condition = ChoiceField(LIVER_CONDITIONS, self._condition, labels=CONDITION_LABELS)
        self.pve_flr = NumberField("mL", self._pve_volume, placeholder="after PVE")
        self.pve_date = NumberField("", self._pve_date, placeholder="yyyy-mm-dd")
        self.pve_date.edit.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.pve_date.edit.setMaximumWidth(140)
        vol.addRow(_caption("remnant.flr_ml", "ant volume"), self.flr)
        vol.addRow(self.flr_note)  # the whole width: "stale — 390 mL measured for I–III, IVb; …"
        vol.addRow(_caption("remnant.tlv_ml", "Total", short=True), self.tlv)
        vol.addRow(_caption("remnant.liver_condition", "condition"), self.condition)
        vol.addRow(_caption("remnant.pve.flr_after_ml"), self.pve_flr)
        vol.addRow(_caption("remnant.pve.date"), self.pve_date)
        outer.addWidget(vol_box)

        res_box = QGroupBox("Remnant volume against its threshold")
        res = QVBoxLayout(res_box)
        self.sflr = QLabel()
        f = QFont(self.font())
        f.setPointSize(max(16, f.pointSize() + 4))
        f.setBold(True)
        self.sflr.setFont(f)
        self.sflr.setWordWrap(True)
        self.tlv_note = QLabel()
        self.tlv_note.setWordWrap(True)
        self.threshold_note = QLabel()
        self.threshold_note.setWordWrap(True)
        res.addWidget(self.sflr)
        res.addWidget(self.threshold_note)
        res.addWidget(self.tlv_note)
        outer.addWidget(res_box)
        outer.addStretch(1)

    # -- edits
    def _resection_chosen(self, index: int) -> None:
        name = self.resection.itemData(index)
        if name == CUSTOM:
            # Keep the current remnant as a custom one and hand the keyboard to the checkboxes.
            self.keep_boxes[anatomy.UNITS[0]].setFocus()
            return
        if not self._request(partial(edits.choose_resection, name=name)):
            self.set_state(self._review, None)

    def _keep_clicked(self, unit: str, _checked: bool) -> None:
        if not self._request(partial(edits.toggle_remnant_segment, unit=unit)):
            self.set_state(self._review, None)

    def _number(self, name: str, text: str) -> bool:
        from mdt.errors import ValidationError

        spec = edits.REMNANT_FIELDS[name]
        try:
            value = spec.parse(text)
        except ValidationError as exc:
            return self._request(partial(_raise, exc))
        return self._request(partial(edits.set_remnant_value, name=name, value=value))

    def _condition(self, value: str | None) -> bool:
        return self._request(partial(edits.set_liver_condition, condition=value))

    def _pve_volume(self, text: str) -> bool:
        from mdt.errors import ValidationError

        try:
            value = edits.REMNANT_FIELDS["flr_ml"].parse(text)
        except ValidationError as exc:
            return self._request(partial(_raise, exc))
        pve = self._review.remnant.pve if self._review is not None and self._review.remnant else None
        return self._request(partial(edits.set_pve, flr_after_ml=value, on=pve.date if pve else None))

    def _pve_date(self, text: str) -> bool:
        from datetime import date

        from mdt.errors import FieldProblem, ValidationError

        text = text.strip()
        on = None
        if text:
            try:
                on = date.fromisoformat(text)
            except ValueError:
                exc = ValidationError([FieldProblem("remnant.pve.date",
                                                    f"{text!r} is not a date (yyyy-mm-dd)")])
                return self._request(partial(_raise, exc))
        pve = self._review.remnant.pve if self._review is not None and self._review.remnant else None
        return self._request(partial(edits.set_pve, flr_after_ml=pve.flr_after_ml if pve else None,
                                     on=on))

    def _local(self, lesion_id: str, combo: QComboBox, _index: int) -> None:
        method = combo.currentData()
        if not self._request(partial(edits.set_local_treatment, lesion_id=lesion_id, method=method)):
            self.set_state(self._review, None)

    # -- display
    def set_state(self, review: Review | None, evaluation: Evaluation | None,
                  *, evaluated: bool = True) -> None:
        self._review = review
        if review is None:
            return
        plan = review.remnant
        units = edits.remnant_units(review)
        self.resection.blockSignals(True)
        if plan is not None and plan.resection in anatomy.RESECTIONS:
            self.resection.setCurrentIndex(self.resection.findData(plan.resection))
        elif units:
            self.resection.setCurrentIndex(self.resection.findData(CUSTOM))
        else:
            self.resection.setCurrentIndex(0)
        self.resection.blockSignals(False)
        for unit, box in self.keep_boxes.items():
            box.setChecked(bool(units) and unit in units)
        self._show_local(review)
        measured = edits.volume_segments(review)
        stale = plan is not None and plan.flr_ml is not None and measured is not None \
            and measured != units
        # The field holds the volume of THIS plan: empty while the one on record is stale (the
        # note beside it shows that one), so typing the new measurement always records it.
        self.flr.set_value(None if stale else plan.flr_ml if plan else None)
        self.flr.edit.setPlaceholderText("measure for this plan" if stale else "measured")
        self.tlv.set_value(plan.tlv_ml if plan else None)
        self.condition.set_value(plan.liver_condition if plan else None)
        pve = plan.pve if plan else None
        self.pve_flr.set_value(pve.flr_after_ml if pve else None)
        self.pve_date.set_saved_text(pve.date.isoformat() if pve and pve.date else "")
        self._show_measured_for(review, units)
        if evaluated:
            self._show_summary(review, evaluation)

    def _show_measured_for(self, review: Review, units: frozenset[str] | None) -> None:
        """Which segments the recorded volume belongs to; "stale" when the plan keeps others."""
        measured = edits.volume_segments(review)
        if measured is None:
            plan = review.remnant
            has = plan is not None and plan.flr_ml is not None
            self.flr_note.setText("recorded without a plan: it cannot be used" if has else "")
            set_style(self.flr_note, f"color: {UNKNOWN_COLOUR};" if has else "")
            return
        if units and measured == units:
            self.flr_note.setText(f"measured for {units_range(measured)} (this plan)")
            set_style(self.flr_note, "color: #444444;")
        else:
            now = units_range(units) if units else "no plan"
            plan = review.remnant
            vol = f"{edits.fmt_num(plan.flr_ml)} mL " if plan is not None and plan.flr_ml else ""
            self.flr_note.setText(f"stale — {vol}measured for {units_range(measured)}; this plan "
                                  f"keeps {now}: not used until measured again")
            set_style(self.flr_note, f"color: {UNKNOWN_COLOUR}; font-weight: bold;")

    def _show_local(self, review: Review) -> None:
        inside = edits.lesions_in_remnant(review)
        ids = [les.id for les in inside]
        if ids != list(self.local_combos):
            for combo in self.local_combos.values():
                combo.hide()  # gone at once, not only when the deferred delete runs
                combo.deleteLater()
            while self.local_grid.count():
                item = self.local_grid.takeAt(0)
                w = item.widget()
                if w is not None and w is not self.local_empty:
                    w.hide()
                    w.deleteLater()
            self.local_combos = {}
            self.local_grid.addWidget(self.local_empty, 0, 0, 1, 2)
            self.local_empty.setVisible(not ids)
            for row, les in enumerate(inside, start=1):
                where = ", ".join(les.segments)
                self.local_grid.addWidget(QLabel(f"{les.id} ({where}, {edits.fmt_num(les.diameter_mm) or '?'} mm)"),
                                          row, 0)
                combo = QComboBox()
                combo.setAccessibleName(f"Local treatment of {les.id}")
                combo.addItem("untreated (stays in place)", None)
                for m in LOCAL_METHODS:
                    combo.addItem(m, m)
                combo.activated.connect(partial(self._local, les.id, combo))
                self.local_grid.addWidget(combo, row, 1)
                self.local_combos[les.id] = combo
        methods = {lt.lesion: lt.method for lt in (review.remnant.local_treatment if review.remnant else ())}
        for lid, combo in self.local_combos.items():
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(methods.get(lid))))
            combo.blockSignals(False)

    def _show_summary(self, review: Review, evaluation: Evaluation | None) -> None:
        """The engine's remnant summary, word for word: threshold, share and adequacy come
        from the evaluation (one function, mdt.protocols.volume), never recomputed here."""
        summary = evaluation.remnant if evaluation is not None else None
        if evaluation is None:
            self.sflr.setText(f"{MARKS[UNKNOWN_EFFECT]} Remnant volume: not evaluated")
            set_style(self.sflr, f"color: {UNKNOWN_COLOUR};")
            self.threshold_note.setText("")
            self.tlv_note.setText("")
            return
        if summary is None:
            self.sflr.setText(f"{MARKS[UNKNOWN_EFFECT]} Remnant volume: no plan"
                              + (" (no lesion recorded)"
                                 if evaluation.resectability_reason == "no lesions recorded" else ""))
            set_style(self.sflr, f"color: {UNKNOWN_COLOUR};")
            self.threshold_note.setText("")
            self.tlv_note.setText("")
            return
        effect = {"met": OK_EFFECT, "not_met": EXCLUDES_EFFECT}.get(summary.status, UNKNOWN_EFFECT)
        self.sflr.setText(f"{MARKS[effect]} {summary.summary[:1].upper()}{summary.summary[1:]}")
        colour = {OK_EFFECT: EFFECT_COLOURS[OK_EFFECT], EXCLUDES_EFFECT: EFFECT_COLOURS[EXCLUDES_EFFECT]
                  }.get(effect, UNKNOWN_COLOUR)
        set_style(self.sflr, f"color: {colour};")
        self.sflr.setToolTip(summary.explanation)
        notes = []
        if summary.threshold_note:
            needs = f"{summary.threshold_pct:g} % — " if summary.threshold_pct is not None else ""
            notes.append(f"Threshold: {needs}{summary.threshold_note}.")
        if summary.volume_source == "post_embolisation":
            notes.append("The post-embolisation remnant volume is used.")
        if summary.kgr_pct_per_week is not None:
            notes.append(f"Kinetic growth rate after embolisation {summary.kgr_pct_per_week:g} %/week "
                         f"({'≥' if summary.kgr_pct_per_week >= 2 else 'below'} 2 %/week).")
        if summary.volumetry_advised:
            notes.append("Four segments or fewer stay: volumetry is advised before surgery.")
        self.threshold_note.setText(" ".join(notes))
        if summary.tlv_source is None:
            self.tlv_note.setText("Total liver volume: unknown — enter a measured TLV, or height and "
                                  "weight for the Vauthey estimate.")
        elif summary.tlv_source == "measured":
            self.tlv_note.setText(f"Total liver volume {edits.fmt_num(summary.tlv_ml)} mL (measured): "
                                  "the share is FLR / TLV, not standardised.")
        else:
            self.tlv_note.setText(
                f"Total liver volume {edits.fmt_num(summary.tlv_ml)} mL, ESTIMATED (Vauthey from "
                "body surface area, Mosteller) — no measured volume: the share is the "
                "standardised FLR (sFLR).")


def _raise(exc: Exception, _review: Review) -> edits.Edit:
    raise exc
