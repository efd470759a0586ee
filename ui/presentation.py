"""Presentation mode for the room's screen: the current patient's diagram,
lesions, criteria and votes in large type.  F5 (or Esc) switches back; PgUp /
PgDn step through the meeting's agenda without leaving it.

It only shows; every edit still happens in the main window (or by the
coordinator's keyboard while this is up on the projector).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from mdt import glossary
from mdt.case import Case, Review
from mdt.errors import MdtError
from mdt.evaluation import Evaluation
from mdt.protocols.governing import CRITERIA, lookup
from ui.patients.model import display_name
from ui.style import PRESENTATION_POINT_SIZE, RESECTABILITY_COLOURS, label, ui_font

if TYPE_CHECKING:
    from ui.main_window import MainWindow

DECISIVE_GROUPS = ("unresectability", "technical", "biological")
"""Groups whose every criterion is shown: they make the resectability verdict."""


def _legend() -> str:
    return " &nbsp; ".join(f"<span style='color:{colour}'>{mark} {_esc(word)}</span>"
                           for mark, word, colour, _m in glossary.LEGEND)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class PresentationWindow(QWidget):
    def __init__(self, window: MainWindow):
        super().__init__(None, Qt.WindowType.Window)
        self.window_ = window
        self.setWindowTitle("Liver MDT — presentation")
        self.setStyleSheet("background: #ffffff; color: #111111;")
        big = PRESENTATION_POINT_SIZE
        self.title = QLabel("")
        self.title.setFont(ui_font(big + 6, bold=True))
        self.title.setWordWrap(True)
        self.subtitle = QLabel("")
        self.subtitle.setFont(ui_font(big - 6))
        self.subtitle.setWordWrap(True)  # never wider than the screen (a 1366-px projector)
        self.verdict = QLabel("")
        self.verdict.setFont(ui_font(big + 2, bold=True))
        self.verdict.setWordWrap(True)
        from ui.review.diagram_widget import LiverDiagramWidget

        self.diagram = LiverDiagramWidget(self, read_only=True)
        self.lesions = QLabel("")
        self.lesions.setFont(ui_font(big - 4))
        self.lesions.setTextFormat(Qt.TextFormat.RichText)
        self.lesions.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.lesions.setWordWrap(True)
        self.criteria = QLabel("")
        self.criteria.setFont(ui_font(big - 4))
        self.criteria.setTextFormat(Qt.TextFormat.RichText)
        self.criteria.setWordWrap(True)
        self.criteria.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.votes = QLabel("")
        self.votes.setFont(ui_font(big - 4))
        self.votes.setTextFormat(Qt.TextFormat.RichText)
        self.votes.setWordWrap(True)
        self.votes.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.footer = QLabel("F5 / Esc: back to the editor    PgUp / PgDn: agenda")
        self.footer.setFont(ui_font(14))
        self.footer.setStyleSheet("color: #555555;")

        # Two columns that both run to the bottom: the diagram with its lesions under it, and the
        # criteria with the votes under them.  (A three-column grid left an empty band under the
        # lesions and squeezed the criteria into the right third.)
        left = QVBoxLayout()
        left.addWidget(self.diagram, 1)
        left.addWidget(self.lesions)
        right = QVBoxLayout()
        right.addWidget(self.criteria)
        right.addSpacing(18)
        right.addWidget(self.votes)
        right.addStretch(1)
        body = QHBoxLayout()
        body.setSpacing(40)
        body.addLayout(left, 5)
        body.addLayout(right, 6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(30, 20, 30, 12)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.verdict)
        layout.addSpacing(10)
        layout.addLayout(body, 1)
        layout.addWidget(self.footer)

        for key in ("F5", "Esc"):
            QShortcut(QKeySequence(key), self, self.close)
        QShortcut(QKeySequence("PgDown"), self, lambda: window.meeting.step(1))
        QShortcut(QKeySequence("PgUp"), self, lambda: window.meeting.step(-1))
        QShortcut(QKeySequence("Alt+Right"), self, lambda: window._step_review(1))
        QShortcut(QKeySequence("Alt+Left"), self, lambda: window._step_review(-1))
        self.resize(1600, 900)

    def present(self) -> None:
        """Full screen on the second screen when there is one (the projector), else this one."""
        screens = QGuiApplication.screens()
        screen = screens[1] if len(screens) > 1 else (self.window_.screen() or screens[0])
        self.setScreen(screen)
        self.fit_fonts(screen.geometry().height())
        self.setGeometry(screen.geometry())  # also right without a window manager (kiosk, Xvfb)
        self.showFullScreen()
        self.raise_()
        self.activateWindow()

    def fit_fonts(self, screen_height: int) -> None:
        """The room's type sizes are for a 1080-line projector; on a shorter one (768 lines) every
        size shrinks in proportion, never below 14 pt, so the diagram, the criteria and the votes
        still fit on the screen rather than run off its bottom."""
        scale = min(1.0, screen_height / 1080)
        big = max(16, round(PRESENTATION_POINT_SIZE * scale))
        for widget, delta, bold in ((self.title, 6, True), (self.subtitle, -6, False), (self.verdict, 2, True),
                                   (self.lesions, -4, False), (self.criteria, -4, False), (self.votes, -4, False)):
            widget.setFont(ui_font(max(14, big + delta), bold=bold))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().closeEvent(event)
        self.window_._update_actions()

    def set_review(self, case: Case | None, index: int | None, agenda_text: str = "",
                   votes_revealed: bool = True, votes_progress: str = "") -> None:
        """``votes_revealed`` False keeps the ratings hidden on the room's screen while the
        panel is still rating independently (only who has rated is shown); ``votes_progress``
        says how many of the expected ratings are in ("3 of 6 ratings recorded")."""
        if case is None:
            self.title.setText("No patient open")
            self.subtitle.setText(agenda_text)
            for w in (self.verdict, self.lesions, self.criteria, self.votes):
                w.setText("")
            self.diagram.set_review(None)
            return
        p = case.patient
        self.title.setText(f"{display_name(p.name) or p.id}    {p.id}")
        review: Review | None = case.reviews[index] if index is not None and 0 <= index < len(case.reviews) \
            else None
        sub = [agenda_text] if agenda_text else []
        if case.protocol.id:
            sub.append(f"{case.protocol.id}" + (f" arm {case.protocol.arm}" if case.protocol.arm else ""))
        if review is not None:
            sub.append(f"review {review.date.isoformat()}, cycle "
                       f"{review.cycle if review.cycle is not None else 'not recorded'}")
        self.subtitle.setText("   ·   ".join(sub))
        self.diagram.set_review(review)
        if review is None:
            self.verdict.setText("No review recorded yet")
            for w in (self.lesions, self.criteria, self.votes):
                w.setText("")
            return
        ev = self._evaluate(case, index)
        self._show_verdict(review, ev)
        self.lesions.setText(self._lesions_html(review, ev))
        self.criteria.setText(self._criteria_html(ev, lookup(case).note_for(CRITERIA)))
        self.votes.setText(self._votes_html(review, votes_revealed or review.panel.decision is not None,
                                            votes_progress))

    @staticmethod
    def _evaluate(case: Case, index: int | None) -> Evaluation | None:
        from mdt.protocols import evaluate

        try:
            return evaluate(case, index)
        except MdtError:
            return None

    def _show_verdict(self, review: Review, ev: Evaluation | None) -> None:
        engine = ev.resectability if ev else "indeterminate"
        decision = review.panel.decision
        parts = [f"{glossary.PROTOCOL_VERDICT}: <span style='color:{glossary.verdict_colour(engine)}'>"
                 f"{_esc(glossary.verdict_text(engine))}</span>"]
        if ev is not None and ev.eligibility:
            when = "" if ev.eligibility_judged_here else f" (at enrolment {ev.eligibility_review_date})"
            parts.append(f"trial: <span style='color:{glossary.eligibility_colour(ev.eligibility)}'>"
                         f"{_esc(glossary.eligibility_text(ev.eligibility))}</span>{_esc(when)}")
        if decision and decision.resectability:
            colour = RESECTABILITY_COLOURS.get(decision.resectability, "#111")
            parts.append(f"Panel: <span style='color:{colour}'>{_esc(label(decision.resectability).upper())}"
                         f"</span>" + (f" — {_esc(label(decision.plan))}" if decision.plan else ""))
        else:
            parts.append("Panel: not decided")
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.verdict.setText("&nbsp;&nbsp;&nbsp;".join(parts))

    @staticmethod
    def _lesions_html(review: Review, ev: Evaluation | None) -> str:
        rows = ["<b>Lesions</b>"]
        for les in review.lesions:
            size = f"{les.diameter_mm:g} mm" if les.diameter_mm is not None else "size not recorded"
            target = " (target)" if les.target else ""
            status = "" if les.status == "present" else f", {les.status}"
            rows.append(f"{_esc(les.id)}: {_esc(', '.join(les.segments))} — {size}{target}{status}")
        if not review.lesions:
            rows.append("none recorded")
        if ev is not None and ev.recist is not None:
            r = ev.recist
            sld = f"{r.sld_mm:g} mm" if r.sld_mm is not None else "not measurable"
            rows.append(f"<br><b>Target sum</b> {sld} · <b>{_esc(r.response)}</b>")
        if ev is not None and ev.remnant is not None:
            rows.append(f"<b>Remnant</b> {_esc(ev.remnant.summary)}")
        return "<br>".join(rows)

    @staticmethod
    def _criteria_html(ev: Evaluation | None, unavailable: str | None = None) -> str:
        """The criteria that decide the verdict in full; for the other groups only what fails or is
        unknown.  ``unavailable``: why the patient's protocol cannot be loaded (said instead)."""
        if ev is None:
            return "<b>Criteria</b><br>" + (_esc(unavailable) if unavailable else "not evaluated (no protocol)")
        rows = [f"<b>Criteria — {_esc(ev.protocol_id)}</b>"]
        groups: dict[str, list] = {}
        for f in ev.criteria:
            groups.setdefault(f.group, []).append(f)
        table = []
        for group, findings in groups.items():
            decisive = group in DECISIVE_GROUPS
            # Trial criteria that need no discussion (effect OK) are counted, not listed.
            shown = findings if decisive else [f for f in findings if f.effect != glossary.OK]
            ok = len(findings) - len(shown)
            head = f"<i>{_esc(glossary.group_title(group))}</i>"
            if not decisive:
                head += f" — {ok} of {len(findings)} OK"
            table.append(f"<tr><td colspan='2' style='padding-top:8px'>{head}</td></tr>")
            for f in shown:
                colour = glossary.effect_colour(f.effect)
                word = _esc(glossary.effect_label(f.effect))
                table.append(f"<tr><td style='padding-right:18px; white-space:nowrap'>"
                             f"<span style='color:{colour}'><b>{word}</b></span></td>"
                             f"<td width='100%'>{_esc(f.label or f.id)} — "
                             f"{_esc(f.summary)}</td></tr>")
        rows.append("<table cellspacing='0' cellpadding='1'>" + "".join(table) + "</table>")
        rows.append(f"<br><span style='font-size:small'>{_legend()}</span>")
        return "".join(rows)

    @staticmethod
    def _votes_html(review: Review, revealed: bool = True, progress: str = "") -> str:
        rows = ["<b>Votes</b>" + ("" if revealed else " — hidden until every rating is in")]
        if progress:
            rows.append(f"<i>{_esc(progress)}</i>")
        for v in review.panel.votes:
            rnd = f" (round {v.round})" if v.round != 1 else ""
            changed = f" (changed {len(v.changes)}×)" if v.changes and not v.withdrawn else ""
            if v.withdrawn:
                was = f" (was {_esc(label(v.rating))})" if revealed else ""
                rows.append(f"{_esc(v.member)}{rnd}: <s>withdrawn</s>{was}")
                continue
            if not revealed:
                rows.append(f"{_esc(v.member)}{rnd}: ● recorded{changed}")
                continue
            colour = RESECTABILITY_COLOURS.get(v.rating, "#111")
            rows.append(f"{_esc(v.member)}{rnd}: <span style='color:{colour}'>{_esc(label(v.rating))}</span>"
                        + changed)
        if not review.panel.votes:
            rows.append("none yet")
        d = review.panel.decision
        if d is not None and d.next_review is not None:
            rows.append(f"<br>Next review {d.next_review.isoformat()}")
        return "<br>".join(rows)
