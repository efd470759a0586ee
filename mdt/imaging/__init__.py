"""DICOM for the board: indexing and import, series loading with rescale and
windowing, caliper maths, DICOM SEG volumetry and the list of pixel decoders.

Submodules are imported by their users (``from mdt.imaging.headers import ...``)
so that importing this package stays cheap: pydicom and highdicom load only
when a DICOM feature is used.
"""
