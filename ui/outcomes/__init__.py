"""The Outcomes view: endpoints per protocol and arm, Kaplan-Meier curves, waterfall and
swimmer plot (``mdt.outcomes``), with filters and a click that opens the patient."""

from ui.outcomes.view import OutcomesView

__all__ = ["OutcomesView"]
