"""The Outcomes view and the follow-up editor, driven through the real main window."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from tests.ui_shell_fixtures import *  # noqa: F401,F403
from ui.main_window import TAB_NAMES


def _show_outcomes(qtbot, w):
    w.show_tab(TAB_NAMES.index("Outcomes"))
    qtbot.waitUntil(lambda: w.outcomes.report is not None, timeout=20000)
    return w.outcomes


def test_outcomes_table_per_arm_and_filters(qtbot, main_window):
    view = _show_outcomes(qtbot, main_window)
    assert view.protocol.currentData() == "NCT05103020"
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    assert headers == ["Endpoint", "A", "B", "Overall", "Between arms"]
    labels = [view.table.item(r, 0).text() for r in range(view.table.rowCount())]
    assert "Conversion to local treatment" in labels and any("Overall survival" in x for x in labels)
    assert "OR B vs A" in view.table.item(labels.index("Conversion to local treatment"), 4).text()
    assert "Counts:" in view.table.item(0, 1).toolTip() and "Leaves out:" in view.table.item(0, 1).toolTip()
    # Filter by arm: one arm and the overall column, no comparison.
    view.arm.setCurrentIndex(view.arm.findData("B"))
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    assert headers == ["Endpoint", "B", "Overall", "Between arms"]
    # Filter by protocol.
    view.protocol.setCurrentIndex(view.protocol.findData("CAIRO5"))
    assert view.section.protocol_id == "CAIRO5"
    # Filter by period: a bad date is explained, a late one leaves nobody.
    view.enrolled_from.setText("2026-02-31")
    view.enrolled_from.editingFinished.emit()
    assert "not a date" in view.error.text()
    view.enrolled_from.setText("2030-01-01")
    view.enrolled_from.editingFinished.emit()
    assert view.section is None and "No patient" in view.notes.text()


def test_every_protocol_keeps_each_protocol_in_its_own_section(qtbot, main_window):
    view = _show_outcomes(qtbot, main_window)
    assert not view.section_choice.isVisibleTo(view)          # one protocol: nothing to choose
    view.protocol.setCurrentIndex(view.protocol.findData(""))  # "every protocol"
    assert view.protocol.currentText() == "every protocol"
    sections = [view.section_choice.itemData(i) for i in range(view.section_choice.count())]
    assert len(sections) >= 2 and view.section_choice.isVisibleTo(view)
    assert {"NCT05103020", "CAIRO5"} <= set(sections)
    assert "more protocol" in view.notes.text()
    for i, pid in enumerate(sections):
        view.section_choice.setCurrentIndex(i)
        assert view.section.protocol_id == pid
        assert view.notes.text().startswith(f"{pid}:")
        n = len(view.section.patients["overall"])
        assert view.section_choice.currentText().startswith(f"{pid} ({n} patient")
    # the section shown stays when the filters change
    view.section_choice.setCurrentIndex(sections.index("CAIRO5"))
    view.enrolled_from.setText("2020-01-01")
    view.enrolled_from.editingFinished.emit()
    assert view.section.protocol_id == "CAIRO5"


def test_clicking_a_waterfall_bar_opens_that_patient(qtbot, main_window):
    w = main_window
    view = _show_outcomes(qtbot, w)
    view.figures.setCurrentIndex(1)
    fig = view.waterfall.figure
    hit = fig.hits[0]
    s = view.waterfall._scale()
    pos = QPointF((hit.x + hit.w / 2) * s, (hit.y + hit.h / 2) * s).toPoint()
    with qtbot.waitSignal(w.patient_opened, timeout=5000) as opened:
        QTest.mouseClick(view.waterfall, Qt.MouseButton.LeftButton, pos=pos)
    assert opened.args == [hit.patient_id]
    assert w.current_case.patient.id == hit.patient_id
    assert w.tabs.currentIndex() == TAB_NAMES.index("Timeline")


def test_clicking_a_swimmer_lane_opens_that_patient(qtbot, main_window):
    w = main_window
    view = _show_outcomes(qtbot, w)
    view.figures.setCurrentIndex(2)
    hit = view.swimmer.figure.hits[3]
    s = view.swimmer._scale()
    with qtbot.waitSignal(w.patient_opened, timeout=5000) as opened:
        QTest.mouseClick(view.swimmer, Qt.MouseButton.LeftButton,
                         pos=QPointF(300 * s, (hit.y + hit.h / 2) * s).toPoint())
    assert opened.args == [hit.patient_id]


def test_figures_are_drawn(qtbot, main_window):
    view = _show_outcomes(qtbot, main_window)
    image = view.km["os"].grab().toImage()
    blue = sum(1 for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
               if image.pixelColor(x, y).name() == "#1f5fa8")
    assert blue > 20


def test_follow_up_editor_records_a_progression_and_the_end_follows(qtbot, main_window):
    w = main_window
    assert w.open_patient("MRN-200000", select=True)
    w.show_tab(TAB_NAMES.index("Follow-up"))
    ed = w.followup
    before = w.service.get_case("MRN-200000").follow_up
    ed.pr_date.setText("2026-11-01")
    ed.pr_site.setCurrentIndex(ed.pr_site.findData("extrahepatic"))
    assert ed.add_progression()
    case = w.service.get_case("MRN-200000")
    assert case.follow_up.progressions[-1].site == "extrahepatic"
    assert w.service.get_patient("MRN-200000").outcome == "progressed"
    qtbot.waitUntil(lambda: "progressed" in w.followup.end_label.text(), timeout=5000)
    w.undo_stack.undo()
    assert w.service.get_case("MRN-200000").follow_up == before


def test_follow_up_editor_explains_a_refusal_in_clinical_words(qtbot, main_window):
    w = main_window
    assert w.open_patient("MRN-200000", select=True)
    w.show_tab(TAB_NAMES.index("Follow-up"))
    ed = w.followup
    before = w.service.get_case("MRN-200000")
    ed.lt_date.setText("2026-10-01")
    ed.lt_lesions.setText("L1, L99")
    assert not ed.add_treatment()
    assert "Local treatment" in ed.error.text() and "lesion L99 is in no review" in ed.error.text()
    assert "follow_up." not in ed.error.text()
    ed.death.setText("yesterday")
    assert not ed.save_status()
    assert "not a date" in ed.error.text()
    assert w.service.get_case("MRN-200000") == before
