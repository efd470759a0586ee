"""Migration scripts; revision ids are "0001", "0002_dicom_index", ..."""
