"""DICOM viewer widgets: series browser, slice view with window/level and calipers,
side-by-side comparison, import dialog with progress/cancel, volumetry dialog."""

from __future__ import annotations

from ui.viewer.browser import SeriesBrowser
from ui.viewer.canvas import SliceCanvas
from ui.viewer.dialogs import LesionPicker, VolumetryDialog
from ui.viewer.import_dialog import DicomImportDialog, ask_create_patient
from ui.viewer.pane import SeriesPane
from ui.viewer.widget import CompareView, ViewerWidget

__all__ = [
    "CompareView", "DicomImportDialog", "LesionPicker", "SeriesBrowser", "SeriesPane", "SliceCanvas",
    "VolumetryDialog", "ViewerWidget", "ask_create_patient",
]
