"""DICOM index by frame: one row per displayed slice (a file, or one frame of a multi-frame file).

Enhanced multi-frame images carry a position per frame, a series may be spread
over several such files, and the frames of one file may belong to different
phases; ``dicom_slice`` holds each frame's place.  Existing single-frame rows
get their slice row; series holding multi-frame files, and every file
remembered as skipped, are forgotten so the next import of their folder reads
them again with the frame-aware reader.

Revision ID: 0009_dicom_frames
Revises: 0003_enrolment_date
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_dicom_frames"
down_revision = "0004_signin_signatures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dicom_slice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("slice_index", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("position_x", sa.Float(), nullable=True),
        sa.Column("position_y", sa.Float(), nullable=True),
        sa.Column("position_z", sa.Float(), nullable=True),
        sa.Column("orientation", sa.String(200), nullable=True),
        sa.Column("pixel_spacing_row", sa.Float(), nullable=True),
        sa.Column("pixel_spacing_col", sa.Float(), nullable=True),
        sa.Column("phase", sa.String(255), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["series_id"], ["dicom_series.id"], ondelete="CASCADE",
                                name="fk_dicom_slice_series_id_dicom_series"),
        sa.ForeignKeyConstraint(["file_id"], ["dicom_file.id"], ondelete="CASCADE",
                                name="fk_dicom_slice_file_id_dicom_file"),
        sa.PrimaryKeyConstraint("id", name="pk_dicom_slice"),
    )
    op.create_index("ix_dicom_slice_series_id", "dicom_slice", ["series_id"])
    op.create_index("ix_dicom_slice_file_id", "dicom_slice", ["file_id"])
    # Multi-frame files were indexed without their frames' geometry: forget
    # their series (rows only; the files stay) so the next import reads them again.
    op.execute("DELETE FROM dicom_file WHERE series_id IN (SELECT series_id FROM dicom_file "
               "WHERE status = 'image' AND frames > 1)")
    op.execute("DELETE FROM dicom_series WHERE id NOT IN (SELECT series_id FROM dicom_file "
               "WHERE series_id IS NOT NULL)")
    # Files skipped by the old reader (deflated, no file meta, implicit body) are read again.
    op.execute("DELETE FROM dicom_file WHERE status = 'skipped'")
    op.execute(
        "INSERT INTO dicom_slice (series_id, slice_index, file_id, frame, position_x, position_y, position_z, "
        "orientation, pixel_spacing_row, pixel_spacing_col, phase) "
        "SELECT series_id, slice_index, id, 0, position_x, position_y, position_z, orientation, "
        "pixel_spacing_row, pixel_spacing_col, "
        "CASE WHEN acquisition IS NULL OR acquisition = '' THEN '' ELSE 'acquisition=' || acquisition END "
        "FROM dicom_file WHERE status = 'image' AND series_id IS NOT NULL")


def downgrade() -> None:
    op.drop_index("ix_dicom_slice_file_id", table_name="dicom_slice")
    op.drop_index("ix_dicom_slice_series_id", table_name="dicom_slice")
    op.drop_table("dicom_slice")
