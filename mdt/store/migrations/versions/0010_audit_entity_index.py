"""An index on the audit trail's (entity, entity_id): a member's sign-in attempts (the
wrong-password lock-out reads them at every sign-in and for the sign-in list) are found
without reading the whole trail, which grows by a seal with every transaction.

Revision ID: 0010_audit_entity_index
Revises: 0005_follow_up
"""

from __future__ import annotations

from alembic import op

revision = "0010_audit_entity_index"
down_revision = "0005_follow_up"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not a batch operation: rebuilding the table would drop its append-only triggers.
    op.create_index("ix_audit_event_entity", "audit_event", ["entity", "entity_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_entity", table_name="audit_event")
