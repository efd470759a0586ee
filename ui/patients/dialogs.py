"""Create / edit / archive a patient.

The dialogs never close on invalid input: ``submit`` (the window's callback
that writes through the service) raises ``ValidationError`` and each problem is
shown inline under the form, naming the field.  The dialogs are opened with
``open()`` (window-modal, non-blocking) so keyboard flows and tests drive them
like any widget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from mdt import field_names
from mdt.case import SEXES, Patient, ProtocolRef
from mdt.errors import FieldProblem, MdtError, ValidationError
from ui.style import style_label

SEX_LABELS = {"": "not recorded", "F": "female", "M": "male", "O": "other"}

# The dialog's fields named as everywhere else (mdt.field_names): a bare key is the patient's
# or the protocol's field of that name.
FIELD_LABELS = {
    **{key: field_names.label(path) or key for key, path in (
        ("id", "patient.id"), ("patient.id", "patient.id"), ("name", "patient.name"),
        ("patient.name", "patient.name"), ("sex", "patient.sex"), ("birth_date", "patient.birth_date"),
        ("patient.birth_date", "patient.birth_date"), ("protocol", "protocol.id"),
        ("protocol.id", "protocol.id"), ("arm", "protocol.arm"), ("protocol.arm", "protocol.arm"))},
    "reason": "Reason",
}


def problems_text(exc: BaseException) -> str:
    """Every problem of an error on its own line, field first."""
    if isinstance(exc, ValidationError):
        lines = []
        for p in exc.problems:
            name = FIELD_LABELS.get(p.path, p.path)
            lines.append(f"{name}: {p.reason}" if name else p.reason)
        return "\n".join(lines)
    return str(exc)


def parse_optional_date(text: str, field: str) -> date | None:
    """ISO date or empty (not recorded); ValidationError naming the field otherwise."""
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(FieldProblem(field, f"'{text}' is not a date (use YYYY-MM-DD)")) from None


class _FormDialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.error = QLabel("")
        style_label(self.error, "error")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.error.setAccessibleName("Error message")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._try_accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _try_accept(self) -> None:
        try:
            self.submit_now()
        except MdtError as exc:
            self.show_error(problems_text(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a fault mdt did not name: said, the dialog stays open
            from ui.ops import failure_words

            self.show_error(failure_words("Not saved", exc))
            return
        self.show_error("")
        self.accept()

    def submit_now(self) -> None:
        raise NotImplementedError


class PatientDialog(_FormDialog):
    """New patient (``patient`` None) or edit of an existing one."""

    def __init__(self, submit: Callable[[Patient, ProtocolRef, str | None], object],
                 protocols: Sequence[str], arms: Sequence[str] = (),
                 patient: Patient | None = None, protocol: ProtocolRef | None = None,
                 parent: QWidget | None = None):
        super().__init__("Edit patient" if patient else "New patient", parent)
        self._submit = submit
        self.editing = patient is not None
        self.id_edit = QLineEdit(patient.id if patient else "")
        self.id_edit.setReadOnly(self.editing)
        family, given = _split_name(patient.name if patient else None)
        self.family_edit = QLineEdit(family)
        self.given_edit = QLineEdit(given)
        self.sex_combo = QComboBox()
        for code in ("", *SEXES):
            self.sex_combo.addItem(SEX_LABELS.get(code, code), code)
        if patient and patient.sex:
            self.sex_combo.setCurrentIndex(max(0, self.sex_combo.findData(patient.sex)))
        self.birth_edit = QLineEdit(patient.birth_date.isoformat() if patient and patient.birth_date else "")
        self.birth_edit.setPlaceholderText("YYYY-MM-DD")
        self.protocol_combo = QComboBox()
        self.protocol_combo.addItem("none", "")
        for pid in protocols:
            self.protocol_combo.addItem(pid, pid)
        if protocol and protocol.id:
            if self.protocol_combo.findData(protocol.id) < 0:
                self.protocol_combo.addItem(protocol.id, protocol.id)
            self.protocol_combo.setCurrentIndex(self.protocol_combo.findData(protocol.id))
        elif not patient and len(protocols) >= 1:
            self.protocol_combo.setCurrentIndex(1)
        self.arm_combo = QComboBox()
        self.arm_combo.setEditable(True)
        self.arm_combo.addItems(["", *arms])
        self.arm_combo.setCurrentText(protocol.arm if protocol and protocol.arm else "")
        enrolled = protocol.enrolment_date if protocol else None
        self.enrolment_edit = QLineEdit(enrolled.isoformat() if enrolled else "")
        self.enrolment_edit.setPlaceholderText("YYYY-MM-DD (enrolment or randomisation)")
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("why the record changes (audit trail)")
        self.form.addRow("Hospital &ID", self.id_edit)
        self.form.addRow("&Family name", self.family_edit)
        self.form.addRow("&Given name", self.given_edit)
        self.form.addRow("&Sex", self.sex_combo)
        self.form.addRow("&Date of birth", self.birth_edit)
        self.form.addRow("&Protocol", self.protocol_combo)
        self.form.addRow("&Arm", self.arm_combo)
        self.form.addRow("&Enrolment date", self.enrolment_edit)
        if self.editing:
            self.form.addRow("&Reason", self.reason_edit)
        # Said while typing, not discovered on printed minutes: characters no PDF font has.
        self.print_note = QLabel("")
        style_label(self.print_note, "warning")
        self.print_note.setWordWrap(True)
        self.print_note.setVisible(False)
        self.print_note.setAccessibleName("Printing note")
        self.form.addRow("", self.print_note)
        for edit in (self.family_edit, self.given_edit):
            edit.textChanged.connect(self._check_printable)
        self._check_printable()
        (self.family_edit if self.editing else self.id_edit).setFocus()
        self.setMinimumWidth(520)

    def _check_printable(self) -> None:
        from mdt.minutes.fonts import print_warning

        note = print_warning(self.family_edit.text() + self.given_edit.text())
        self.print_note.setText(note or "")
        self.print_note.setVisible(note is not None)

    def values(self) -> tuple[Patient, ProtocolRef, str | None]:
        pid = self.id_edit.text().strip()
        if not pid:
            raise ValidationError(FieldProblem("id", "a hospital ID is required"))
        family, given = self.family_edit.text().strip(), self.given_edit.text().strip()
        if "^" in family + given:
            raise ValidationError(FieldProblem("name", "'^' is not allowed in a name"))
        name = f"{family}^{given}" if given else (family or None)
        sex = self.sex_combo.currentData() or None
        birth = parse_optional_date(self.birth_edit.text(), "birth_date")
        if birth is not None and birth > date.today():
            raise ValidationError(FieldProblem("birth_date", "is in the future"))
        enrolled = parse_optional_date(self.enrolment_edit.text(), "enrolment_date")
        if enrolled is not None and birth is not None and enrolled < birth:
            raise ValidationError(FieldProblem("enrolment_date", "is before the birth date"))
        protocol = ProtocolRef(id=self.protocol_combo.currentData() or None,
                               arm=self.arm_combo.currentText().strip() or None,
                               enrolment_date=enrolled)
        reason = self.reason_edit.text().strip() or None
        return Patient(id=pid, name=name, sex=sex, birth_date=birth), protocol, reason

    def submit_now(self) -> None:
        patient, protocol, reason = self.values()
        self._submit(patient, protocol, reason)


class ReasonDialog(_FormDialog):
    """Asks for a required reason (archive a patient, amend a signed record)."""

    def __init__(self, title: str, prompt: str, submit: Callable[[str], object],
                 parent: QWidget | None = None):
        super().__init__(title, parent)
        self._submit = submit
        self.prompt = QLabel(prompt)
        self.prompt.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.form.addRow(self.prompt)
        self.form.addRow("&Reason", self.reason_edit)
        self.reason_edit.setFocus()
        self.setMinimumWidth(480)

    def submit_now(self) -> None:
        reason = self.reason_edit.text().strip()
        if not reason:
            raise ValidationError(FieldProblem("reason", "a reason is required"))
        self._submit(reason)


def _split_name(name: str | None) -> tuple[str, str]:
    if not name:
        return "", ""
    family, _, given = name.partition("^")
    return family, given.replace("^", " ").strip()


