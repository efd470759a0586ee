"""Database tables of the DICOM index (migrations ``0002_dicom_index``, ``0009_dicom_frames``).

One row per file seen (images and skipped files alike, so a re-scan reads only
new or changed files, judged by size and modification time), one row per
displayable series (a DICOM series, or one orientation/size/phase part of it)
and one row per slice of a series: a single-frame file, or one frame of a
multi-frame file with that frame's own position.  Series-level facts
(patient, study, description) live on the series row.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from mdt.store.models import Base


class DicomSeriesModel(Base):
    __tablename__ = "dicom_series"
    __table_args__ = (UniqueConstraint("series_uid", "part", name="uq_dicom_series_series_uid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_uid: Mapped[str] = mapped_column(String(64))
    part: Mapped[int] = mapped_column(Integer, default=0)
    """0 for a whole DICOM series; 1, 2, ... when it was split by orientation or acquisition."""
    part_label: Mapped[str] = mapped_column(String(120), default="")
    study_uid: Mapped[str] = mapped_column(String(64), index=True)
    study_date: Mapped[date | None] = mapped_column(Date)
    study_description: Mapped[str] = mapped_column(String(200), default="")
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    """DICOM PatientID; matches ``patient.mrn`` of the application."""
    patient_name: Mapped[str] = mapped_column(String(200), default="")
    patient_sex: Mapped[str] = mapped_column(String(16), default="")
    patient_birth_date: Mapped[date | None] = mapped_column(Date)
    modality: Mapped[str] = mapped_column(String(16), default="")
    series_number: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(200), default="")
    is_seg: Mapped[bool] = mapped_column(Boolean, default=False)
    instance_count: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    columns: Mapped[int] = mapped_column(Integer, default=0)
    pixel_spacing_row: Mapped[float | None] = mapped_column(Float)
    pixel_spacing_col: Mapped[float | None] = mapped_column(Float)
    slice_spacing_mm: Mapped[float | None] = mapped_column(Float)
    tilt_deg: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[str] = mapped_column(Text, default="")
    """Geometry warnings (missing slices, uneven spacing, tilt), one per line."""
    indexed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DicomFileModel(Base):
    __tablename__ = "dicom_file"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(1024), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    """``image`` (indexed into a series) or ``skipped`` (with ``reason``)."""
    reason: Mapped[str | None] = mapped_column(Text)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("dicom_series.id", ondelete="CASCADE"), index=True)
    slice_index: Mapped[int | None] = mapped_column(Integer)
    """Place of this file's first frame in its series (every frame: ``dicom_slice``)."""
    sop_instance_uid: Mapped[str | None] = mapped_column(String(64), index=True)
    sop_class_uid: Mapped[str | None] = mapped_column(String(64))
    series_uid: Mapped[str | None] = mapped_column(String(64), index=True)
    study_uid: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[str | None] = mapped_column(String(64))
    instance_number: Mapped[int | None] = mapped_column(Integer)
    position_x: Mapped[float | None] = mapped_column(Float)
    position_y: Mapped[float | None] = mapped_column(Float)
    position_z: Mapped[float | None] = mapped_column(Float)
    orientation: Mapped[str | None] = mapped_column(String(200))
    """ImageOrientationPatient as six backslash-separated numbers."""
    pixel_spacing_row: Mapped[float | None] = mapped_column(Float)
    pixel_spacing_col: Mapped[float | None] = mapped_column(Float)
    slice_thickness: Mapped[float | None] = mapped_column(Float)
    acquisition: Mapped[str | None] = mapped_column(String(64))
    rows: Mapped[int | None] = mapped_column(Integer)
    columns: Mapped[int | None] = mapped_column(Integer)
    frames: Mapped[int | None] = mapped_column(Integer)
    transfer_syntax: Mapped[str | None] = mapped_column(String(64))


class DicomSliceModel(Base):
    __tablename__ = "dicom_slice"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("dicom_series.id", ondelete="CASCADE"), index=True)
    slice_index: Mapped[int] = mapped_column(Integer)
    """Place of this slice in its series, sorted along the slice normal."""
    file_id: Mapped[int] = mapped_column(ForeignKey("dicom_file.id", ondelete="CASCADE"), index=True)
    frame: Mapped[int] = mapped_column(Integer, default=0)
    """0-based frame inside the file."""
    position_x: Mapped[float | None] = mapped_column(Float)
    position_y: Mapped[float | None] = mapped_column(Float)
    position_z: Mapped[float | None] = mapped_column(Float)
    orientation: Mapped[str | None] = mapped_column(String(200))
    pixel_spacing_row: Mapped[float | None] = mapped_column(Float)
    pixel_spacing_col: Mapped[float | None] = mapped_column(Float)
    phase: Mapped[str] = mapped_column(String(255), default="", server_default="")
    """What tells repeated acquisitions apart, as ``key=value`` pairs joined by ``|``."""
