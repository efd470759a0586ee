"""Meeting mode: meetings, attendance, quorum, agenda, signing."""
