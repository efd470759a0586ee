"""Enrolment (or randomisation) date of a patient in its protocol.

Revision ID: 0003_enrolment_date
Revises: 0002_dicom_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_enrolment_date"
down_revision = "0002_dicom_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patient") as batch:
        batch.add_column(sa.Column("enrolment_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("enrolment_date")
