"""DICOM index: one row per file seen, one per displayable series.

Revision ID: 0002_dicom_index
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_dicom_index"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dicom_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_uid", sa.String(64), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("part_label", sa.String(120), nullable=False),
        sa.Column("study_uid", sa.String(64), nullable=False),
        sa.Column("study_date", sa.Date(), nullable=True),
        sa.Column("study_description", sa.String(200), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("patient_name", sa.String(200), nullable=False),
        sa.Column("patient_sex", sa.String(16), nullable=False),
        sa.Column("patient_birth_date", sa.Date(), nullable=True),
        sa.Column("modality", sa.String(16), nullable=False),
        sa.Column("series_number", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("is_seg", sa.Boolean(), nullable=False),
        sa.Column("instance_count", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("columns", sa.Integer(), nullable=False),
        sa.Column("pixel_spacing_row", sa.Float(), nullable=True),
        sa.Column("pixel_spacing_col", sa.Float(), nullable=True),
        sa.Column("slice_spacing_mm", sa.Float(), nullable=True),
        sa.Column("tilt_deg", sa.Float(), nullable=True),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dicom_series"),
        sa.UniqueConstraint("series_uid", "part", name="uq_dicom_series_series_uid"),
    )
    op.create_index("ix_dicom_series_study_uid", "dicom_series", ["study_uid"])
    op.create_index("ix_dicom_series_patient_id", "dicom_series", ["patient_id"])
    op.create_table(
        "dicom_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("slice_index", sa.Integer(), nullable=True),
        sa.Column("sop_instance_uid", sa.String(64), nullable=True),
        sa.Column("sop_class_uid", sa.String(64), nullable=True),
        sa.Column("series_uid", sa.String(64), nullable=True),
        sa.Column("study_uid", sa.String(64), nullable=True),
        sa.Column("patient_id", sa.String(64), nullable=True),
        sa.Column("instance_number", sa.Integer(), nullable=True),
        sa.Column("position_x", sa.Float(), nullable=True),
        sa.Column("position_y", sa.Float(), nullable=True),
        sa.Column("position_z", sa.Float(), nullable=True),
        sa.Column("orientation", sa.String(200), nullable=True),
        sa.Column("pixel_spacing_row", sa.Float(), nullable=True),
        sa.Column("pixel_spacing_col", sa.Float(), nullable=True),
        sa.Column("slice_thickness", sa.Float(), nullable=True),
        sa.Column("acquisition", sa.String(64), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("columns", sa.Integer(), nullable=True),
        sa.Column("frames", sa.Integer(), nullable=True),
        sa.Column("transfer_syntax", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(["series_id"], ["dicom_series.id"], ondelete="CASCADE",
                                name="fk_dicom_file_series_id_dicom_series"),
        sa.PrimaryKeyConstraint("id", name="pk_dicom_file"),
        sa.UniqueConstraint("path", name="uq_dicom_file_path"),
    )
    op.create_index("ix_dicom_file_series_id", "dicom_file", ["series_id"])
    op.create_index("ix_dicom_file_sop_instance_uid", "dicom_file", ["sop_instance_uid"])
    op.create_index("ix_dicom_file_series_uid", "dicom_file", ["series_uid"])


def downgrade() -> None:
    op.drop_table("dicom_file")
    op.drop_table("dicom_series")
