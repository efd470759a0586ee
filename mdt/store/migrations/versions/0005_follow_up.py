"""Follow-up of each patient: local treatments, progressions, last follow-up and death.

The ``follow_up`` row holds the canonical ``mdt-case/1`` ``follow_up`` object (authoritative)
with typed columns for queries; ``local_treatment_event`` and ``progression_event`` are its
typed projections (like ``treatment_cycle`` for the treatment course).

Revision ID: 0005_follow_up
Revises: 0003_enrolment_date
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_follow_up"
down_revision = "0009_dicom_frames"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("last_follow_up", sa.Date(), nullable=True),
        sa.Column("death_date", sa.Date(), nullable=True),
        sa.Column("end", sa.String(32), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], ondelete="CASCADE",
                                name="fk_follow_up_patient_id_patient"),
        sa.PrimaryKeyConstraint("id", name="pk_follow_up"),
        sa.UniqueConstraint("patient_id", name="uq_follow_up_patient_id"),
    )
    op.create_table(
        "local_treatment_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("margin", sa.String(2), nullable=True),
        sa.Column("clavien_dindo_30d", sa.String(4), nullable=True),
        sa.Column("clavien_dindo_90d", sa.String(4), nullable=True),
        sa.ForeignKeyConstraint(["follow_up_id"], ["follow_up.id"], ondelete="CASCADE",
                                name="fk_local_treatment_event_follow_up_id_follow_up"),
        sa.PrimaryKeyConstraint("id", name="pk_local_treatment_event"),
    )
    op.create_index("ix_local_treatment_event_follow_up_id", "local_treatment_event", ["follow_up_id"])
    op.create_table(
        "progression_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("site", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["follow_up_id"], ["follow_up.id"], ondelete="CASCADE",
                                name="fk_progression_event_follow_up_id_follow_up"),
        sa.PrimaryKeyConstraint("id", name="pk_progression_event"),
    )
    op.create_index("ix_progression_event_follow_up_id", "progression_event", ["follow_up_id"])


def downgrade() -> None:
    op.drop_index("ix_progression_event_follow_up_id", table_name="progression_event")
    op.drop_table("progression_event")
    op.drop_index("ix_local_treatment_event_follow_up_id", table_name="local_treatment_event")
    op.drop_table("local_treatment_event")
    op.drop_table("follow_up")
