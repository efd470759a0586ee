"""Clinical and labs panel: units beside every value, the local upper limits of normal,
the value as a multiple of its ULN, and the computed creatinine clearance
(Cockcroft–Gault) and Child–Pugh class.  Missing inputs are shown as unknown,
naming what is missing, never as a pass.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from mdt import review_edits as edits
from mdt import scores
from mdt.case import ASCITES, ENCEPHALOPATHY, EXTRAHEPATIC, MODALITIES, PROTEINURIA, Case, Review
from mdt.errors import FieldProblem, ValidationError
from mdt.review_edits import Edit, EditFn, FieldSpec

from .fields import ChoiceField, NumberField, caption

Request = Callable[[EditFn], bool]



def _grid_caption(path: str) -> QLabel:
    return QLabel(caption(path))


def _fail(exc: ValidationError, _review: Review) -> Edit:
    raise exc


class ClinicalPanel(QWidget):
    """Review-level clinical data (left column) and labs with ULN (right column)."""

    def __init__(self, request: Request, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._request = request
        self._case: Case | None = None
        self._review: Review | None = None
        self.fields: dict[str, NumberField] = {}
        self.choices: dict[str, QComboBox] = {}
        # Side by side when there is room, stacked in a narrow column (the main window's list open).
        outer = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._outer = outer

        left = QVBoxLayout()
        img_box = QGroupBox("Imaging this review is based on")
        img = QFormLayout(img_box)
        self.modality = ChoiceField(MODALITIES, self._imaging_modality, labels={m: m for m in MODALITIES})
        # A NumberField is a line edit with commit/Esc/invalid handling; here it holds a date.
        self.imaging_date = NumberField("", self._imaging_date, placeholder="yyyy-mm-dd")
        self.imaging_date.edit.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.imaging_date.edit.setMaximumWidth(140)
        self.study_uid = QLabel("—")
        self.study_uid.setWordWrap(True)
        self.study_uid.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A 60-character UID has no place to wrap: it must not widen the panel past the column
        # (sideways scrolling); the full UID is in the tooltip and still selectable.
        self.study_uid.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.study_uid.setMinimumWidth(0)
        img.addRow(caption("imaging.modality"), self.modality)
        img.addRow(caption("imaging.date"), self.imaging_date)
        img.addRow(caption("imaging.study_uid"), self.study_uid)
        left.addWidget(img_box)
        clin_box = QGroupBox("Patient at this review")
        clin = QFormLayout(clin_box)
        for name in ("cycle", "height_cm", "weight_kg", "ecog", "tumour_burden_pct"):
            spec = edits.REVIEW_FIELDS[name]
            field = NumberField(spec.unit, partial(self._commit, spec, partial(edits.set_review_value, name=name)))
            self.fields[name] = field
            clin.addRow(caption(spec.path), field)
        extra = ChoiceField(EXTRAHEPATIC, partial(self._choice, partial(edits.set_review_value,
                                                                         name="extrahepatic_disease")))
        self.choices["extrahepatic_disease"] = extra
        clin.addRow(caption("extrahepatic_disease"), extra)
        for name in ("prior_systemic_lines", "neuropathy_grade", "life_expectancy_months", "cea", "ca19_9"):
            spec = edits.CLINICAL_FIELDS[name]
            field = NumberField(spec.unit, partial(self._commit, spec, partial(edits.set_clinical, name=name)))
            self.fields[name] = field
            clin.addRow(caption(spec.path), field)
        for name, values in (("ascites", ASCITES), ("encephalopathy", ENCEPHALOPATHY)):
            combo = ChoiceField(values, partial(self._choice, partial(edits.set_clinical, name=name)))
            self.choices[name] = combo
            clin.addRow(caption(f"clinical.{name}"), combo)
        self.bsa = QLabel()
        clin.addRow("Body surface area:", self.bsa)
        left.addWidget(clin_box)
        left.addStretch(1)
        outer.addLayout(left, 1)

        right = QVBoxLayout()
        labs_box = QGroupBox("Labs (value · unit · local ULN · × ULN)")
        grid = QGridLayout(labs_box)
        self.ratio: dict[str, QLabel] = {}
        self.uln_fields: dict[str, NumberField] = {}
        for col, head in enumerate(("", "Value", "ULN", "× ULN")):
            if head:
                h = QLabel(f"<b>{head}</b>")
                grid.addWidget(h, 0, col)
        row = 1
        for name in ("anc", "wbc", "hb", "plt", "ast", "alt", "alp", "bilirubin", "creatinine", "albumin", "inr"):
            spec = edits.LAB_FIELDS[name]
            field = NumberField(spec.unit, partial(self._commit, spec, partial(edits.set_lab, name=name)))
            self.fields[f"labs.{name}"] = field
            grid.addWidget(_grid_caption(spec.path), row, 0)
            grid.addWidget(field, row, 1)
            if name in edits.ULN_FIELDS:
                uspec = edits.ULN_FIELDS[name]
                # The unit is the value's, written once beside the value.
                ufield = NumberField("", partial(self._commit, uspec, partial(edits.set_uln, name=name)))
                ufield.unit.setMinimumWidth(0)
                ufield.setToolTip(f"{uspec.label} (local), {uspec.unit}")
                self.uln_fields[name] = ufield
                self.fields[f"labs.uln.{name}"] = ufield
                grid.addWidget(ufield, row, 2)
                ratio = QLabel("—")
                self.ratio[name] = ratio
                grid.addWidget(ratio, row, 3)
            row += 1
        prot = ChoiceField(PROTEINURIA, partial(self._choice, partial(edits.set_lab, name="proteinuria")))
        self.choices["proteinuria"] = prot
        grid.addWidget(_grid_caption("labs.proteinuria"), row, 0)
        grid.addWidget(prot, row, 1)
        row += 1
        spec = edits.LAB_FIELDS["proteinuria_g_24h"]
        p24 = NumberField(spec.unit, partial(self._commit, spec, partial(edits.set_lab, name="proteinuria_g_24h")))
        self.fields["labs.proteinuria_g_24h"] = p24
        grid.addWidget(_grid_caption(spec.path), row, 0)
        grid.addWidget(p24, row, 1)
        right.addWidget(labs_box)

        comp_box = QGroupBox("Computed")
        comp = QFormLayout(comp_box)
        comp.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.crcl = QLabel()
        self.crcl.setWordWrap(True)
        self.child_pugh = QLabel()
        self.child_pugh.setWordWrap(True)
        comp.addRow("Creatinine clearance (Cockcroft–Gault):", self.crcl)
        comp.addRow("Child–Pugh:", self.child_pugh)
        right.addWidget(comp_box)
        right.addStretch(1)
        outer.addLayout(right, 1)

    def fit_width(self, width: int) -> None:
        """Called by the enclosing scroll area with the width it can show."""
        wide = width >= 860
        want = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self._outer.direction() != want:
            self._outer.setDirection(want)

    # -- edits
    def _commit(self, spec: FieldSpec, build: Callable[..., Edit], text: str) -> bool:
        try:
            value = spec.parse(text)
        except ValidationError as exc:
            return self._request(partial(_fail, exc))
        return self._request(partial(_apply_value, build, value))

    def _choice(self, build: Callable[..., Edit], value: str | None) -> bool:
        return self._request(partial(_apply_value, build, value))

    def _imaging_modality(self, value: str | None) -> bool:
        return self._request(partial(_with_imaging, modality=value))

    def _imaging_date(self, text: str) -> bool:
        text = text.strip()
        if not text:
            return self._request(partial(_with_imaging, on=None))
        try:
            on = date.fromisoformat(text)
        except ValueError:
            exc = ValidationError([FieldProblem("imaging.date", f"{text!r} is not a date (yyyy-mm-dd)")])
            return self._request(partial(_fail, exc))
        return self._request(partial(_with_imaging, on=on))

    # -- display
    def set_state(self, case: Case | None, review: Review | None) -> None:
        self._case, self._review = case, review
        if review is None:
            return
        values: dict[str, object] = {
            "cycle": review.cycle, "height_cm": review.height_cm, "weight_kg": review.weight_kg,
            "ecog": review.ecog, "tumour_burden_pct": review.tumour_burden_pct,
        }
        for name in edits.CLINICAL_FIELDS:
            values[name] = getattr(review.clinical, name)
        for name in edits.LAB_FIELDS:
            values[f"labs.{name}"] = getattr(review.labs, name)
        for name in edits.ULN_FIELDS:
            values[f"labs.uln.{name}"] = getattr(review.labs.uln, name)
        for key, field in self.fields.items():
            field.set_value(values.get(key))  # type: ignore[arg-type]
        self.choices["extrahepatic_disease"].set_value(review.extrahepatic_disease)  # type: ignore[attr-defined]
        self.choices["ascites"].set_value(review.clinical.ascites)  # type: ignore[attr-defined]
        self.choices["encephalopathy"].set_value(review.clinical.encephalopathy)  # type: ignore[attr-defined]
        self.choices["proteinuria"].set_value(review.labs.proteinuria)  # type: ignore[attr-defined]
        img = review.imaging
        self.modality.set_value(img.modality if img else None)
        self.imaging_date.set_saved_text(img.date.isoformat() if img and img.date else "")
        self.study_uid.setText(img.study_uid if img and img.study_uid else "—")
        self.study_uid.setToolTip(img.study_uid if img and img.study_uid else "")
        self._show_computed(case, review)

    def _show_computed(self, case: Case | None, review: Review) -> None:
        from mdt import remnant

        bsa = remnant.bsa_mosteller(review.height_cm, review.weight_kg)
        self.bsa.setText(f"{bsa:.2f} m² (Mosteller)" if bsa is not None else "unknown (height or weight missing)")
        for name, label in self.ratio.items():
            value = getattr(review.labs, name)
            uln = getattr(review.labs.uln, name)
            if value is None or uln is None or uln <= 0:
                label.setText("unknown" if value is not None else "—")
            else:
                label.setText(f"{value / uln:.2f}×")
        patient = case.patient if case is not None else None
        age = scores.age_at(patient.birth_date if patient else None, review.date)
        sex = patient.sex if patient else None
        missing = [n for n, v in (("age", age), ("weight", review.weight_kg),
                                  ("creatinine", review.labs.creatinine)) if v is None]
        if missing:
            self.crcl.setText(f"unknown ({', '.join(missing)} missing)")
        else:
            value = scores.cockcroft_gault_ml_min(age, review.weight_kg, review.labs.creatinine, sex)
            if value is not None:
                self.crcl.setText(f"{value:.1f} mL/min (age {age}, sex {sex})")
            else:
                bounds = scores.cockcroft_gault_exact(age, review.weight_kg, review.labs.creatinine, sex)
                if bounds is None:
                    self.crcl.setText("unknown")
                else:
                    lo, hi = (float(b) for b in bounds)
                    self.crcl.setText(f"{lo:.1f}–{hi:.1f} mL/min (sex not F/M: female to male range)")
        cp = scores.child_pugh(review.labs.bilirubin, review.labs.albumin, review.labs.inr,
                               review.clinical.ascites, review.clinical.encephalopathy)
        if cp.points is not None:
            self.child_pugh.setText(f"class {cp.grade} ({cp.points} points)")
        elif cp.grade is not None:
            self.child_pugh.setText(f"class {cp.grade} ({cp.min_points}–{cp.max_points} points; "
                                    f"missing {', '.join(cp.missing)})")
        else:
            self.child_pugh.setText(f"unknown (missing {', '.join(cp.missing)})")


def _apply_value(build: Callable[..., Edit], value: object, review: Review) -> Edit:
    return build(review, value=value)


_KEEP = object()


def _with_imaging(review: Review, modality: object = _KEEP, on: object = _KEEP) -> Edit:
    """Change one imaging field and keep the others."""
    img = review.imaging
    return edits.set_imaging(
        review,
        modality=(img.modality if img else None) if modality is _KEEP else modality,  # type: ignore[arg-type]
        on=(img.date if img else None) if on is _KEEP else on,  # type: ignore[arg-type]
        study_uid=img.study_uid if img else None)
