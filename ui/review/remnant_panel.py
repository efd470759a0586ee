"""Remnant panel: the resection plan, local treatment, volumes and the live standardised remnant.

Pick a named resection (Brisbane 2000) or tick the segments that stay (also by
clicking the diagram in remnant mode); each lesion left in the remnant gets
wedge, ablation or "untreated"; measured volumes and the liver condition set
the standardised future liver remnant and its threshold, which update on every
edit.  With no measured total volume the Vauthey estimate from body surface
area is used, and the panel says so.
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
from mdt import remnant as rem
from mdt.case import LIVER_CONDITIONS, LOCAL_METHODS, Review
from mdt.evaluation import Evaluation
from mdt.exact import exact, to_float

from . import edits
from .edits import EditFn
from .fields import ChoiceField, NumberField, set_style

Request = Callable[[EditFn], bool]
CUSTOM = "__custom__"
CONDITION_LABELS = {
    "normal": "normal liver (20 %)",
    "chemotherapy": "after chemotherapy > 12 weeks (30 %)",
    "steatosis": "steatosis (30 %)",
    "fibrosis": "fibrosis (40 %)",
    "cirrhosis": "cirrhosis (40 %)",
    "unknown": "unknown",
}


class RemnantPanel(QWidget):
    def __init__(self, request: Request, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._request = request
        self._review: Review | None = None
        outer = QVBoxLayout(self)

        plan_box = QGroupBox("Plan")
        plan = QFormLayout(plan_box)
        self.resection = QComboBox()
        self.resection.setAccessibleName("Named resection")
        self.resection.addItem("— no plan recorded —", None)
        for name in anatomy.RESECTIONS:
            self.resection.addItem(anatomy.RESECTION_LABELS[name], name)
        self.resection.addItem("Custom remnant (tick the segments that stay)", CUSTOM)
        self.resection.activated.connect(self._resection_chosen)
        self.resection.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.resection.setMinimumContentsLength(16)
        # The names are long ("Extended right hepatectomy (right trisectionectomy)"): the list
        # opens wide enough to read them whole, and the chosen one is in the tooltip.
        self.resection.view().setMinimumWidth(self.resection.view().sizeHintForColumn(0) + 32)
        self.resection.currentTextChanged.connect(self.resection.setToolTip)
        plan.addRow("Resect&ion:", self.resection)

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
        plan.addRow("Se&gments that stay:", keep)
        outer.addWidget(plan_box)

        self.local_box = QGroupBox("Lesions left in the remnant")
        self.local_grid = QGridLayout(self.local_box)
        self.local_combos: dict[str, QComboBox] = {}
        self.local_empty = QLabel("No lesion lies in the remnant.")
        self.local_grid.addWidget(self.local_empty, 0, 0, 1, 2)
        outer.addWidget(self.local_box)

        vol_box = QGroupBox("Volumes and liver")
        vol = QFormLayout(vol_box)
        self.flr = NumberField("mL", partial(self._number, "flr_ml"), placeholder="measured")
        self.tlv = NumberField("mL", partial(self._number, "tlv_ml"), placeholder="estimated if empty")
        self.condition = ChoiceField(LIVER_CONDITIONS, self._condition, labels=CONDITION_LABELS)
        vol.addRow("Future remn&ant volume (FLR):", self.flr)
        vol.addRow("&Total liver volume (TLV):", self.tlv)
        vol.addRow("Liver &condition:", self.condition)
        outer.addWidget(vol_box)

        res_box = QGroupBox("Standardised future liver remnant")
        res = QVBoxLayout(res_box)
        self.sflr = QLabel()
        f = QFont(self.font())
        f.setPointSize(max(16, f.pointSize() + 4))
        f.setBold(True)
        self.sflr.setFont(f)
        self.sflr.setWordWrap(True)
        self.tlv_note = QLabel()
        self.tlv_note.setWordWrap(True)
        res.addWidget(self.sflr)
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
        self.flr.set_value(plan.flr_ml if plan else None)
        self.tlv.set_value(plan.tlv_ml if plan else None)
        self.condition.set_value(plan.liver_condition if plan else None)
        if evaluated:
            self._show_summary(review, evaluation)

    def _show_local(self, review: Review) -> None:
        inside = edits.lesions_in_remnant(review)
        ids = [les.id for les in inside]
        if ids != list(self.local_combos):
            for combo in self.local_combos.values():
                combo.deleteLater()
            while self.local_grid.count():
                item = self.local_grid.takeAt(0)
                w = item.widget()
                if w is not None and w is not self.local_empty:
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
        plan = review.remnant
        flr = plan.flr_ml if plan else None
        total = rem.total_volume(plan.tlv_ml if plan else None, review.height_cm, review.weight_kg)
        threshold = rem.threshold_pct(plan.liver_condition if plan else None)
        summary = evaluation.remnant if evaluation is not None else None
        if total is None:
            self.tlv_note.setText("Total liver volume: unknown — enter a measured TLV, or height and weight "
                                  "for the Vauthey estimate.")
        elif total.source == "measured":
            self.tlv_note.setText(f"Total liver volume {edits.fmt_num(to_float(total.ml, 0))} mL (measured).")
        else:
            bsa = rem.bsa_mosteller(review.height_cm, review.weight_kg)
            self.tlv_note.setText(
                f"Total liver volume {edits.fmt_num(to_float(total.ml, 0))} mL, ESTIMATED "
                f"(Vauthey from BSA {bsa:.2f} m², Mosteller) — no measured volume.")
        if flr is None or total is None:
            missing = "FLR volume" if flr is None else "total liver volume"
            text = f"sFLR: unknown ({missing} missing)"
            colour = "#8a6d00"
        else:
            pct = to_float(exact(flr) * 100 / total.ml, 1)
            if threshold is None:
                text = f"sFLR {pct:.1f} % — threshold unknown (liver condition not recorded)"
                colour = "#8a6d00"
            else:
                adequate = summary.adequate if summary is not None and summary.adequate is not None \
                    else pct >= threshold
                at = summary.at_threshold if summary is not None else abs(pct - threshold) <= 0.5
                verdict = "ADEQUATE" if adequate else "INSUFFICIENT"
                near = " (at threshold)" if at else ""
                text = f"sFLR {pct:.1f} % vs threshold {threshold:g} %: {verdict}{near}"
                colour = "#1b5e20" if adequate else "#b3261e"
        self.sflr.setText(text)
        set_style(self.sflr, f"color: {colour};")
        self.sflr.setAlignment(Qt.AlignmentFlag.AlignLeft)


def _raise(exc: Exception, _review: Review) -> edits.Edit:
    raise exc
