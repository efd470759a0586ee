"""The patient's follow-up editor: local treatments, progressions, last follow-up, death."""

from ui.followup.editor import FollowUpEditor

__all__ = ["FollowUpEditor"]
