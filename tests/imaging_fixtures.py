"""Synthetic DICOM for the imaging tests and the benchmark (no patient data).

``make_ct_series`` writes a CT stack with a known geometry: a water-like body
(0 HU) holding a denser "liver" disc (60 HU) and a bright "spine" (700 HU), so
windowing and rescale are visible.  ``make_seg`` writes a DICOM SEG over such a
stack with highdicom.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

ORG_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's example root, fine for test UIDs


def phantom_slice(rows: int, cols: int, z_index: int) -> np.ndarray:
    """HU image: air, a 0 HU body, a 60 HU liver disc that grows with z, a 700 HU spine."""
    yy, xx = np.mgrid[0:rows, 0:cols]
    cy, cx = rows / 2, cols / 2
    img = np.full((rows, cols), -1000, dtype=np.int16)
    body = ((yy - cy) / (0.42 * rows)) ** 2 + ((xx - cx) / (0.45 * cols)) ** 2 <= 1
    img[body] = 0
    r = 0.12 * rows + (z_index % 7)
    liver = (yy - cy) ** 2 + (xx - 0.38 * cols) ** 2 <= r * r
    img[liver] = 60
    spine = (yy - 0.75 * rows) ** 2 + (xx - cx) ** 2 <= (0.05 * rows) ** 2
    img[spine] = 700
    return img


def _ct_dataset(path: Path, *, patient_id: str, patient_name: str, study_uid: str, series_uid: str,
                index: int, position: Sequence[float], orientation: Sequence[float], rows: int, cols: int,
                pixel_spacing: float, thickness: float, spacing_between: float | None,
                acquisition: int, series_number: int, description: str, study_date: str,
                pixels: np.ndarray, monochrome1: bool = False) -> FileDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid(ORG_ROOT)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientID = patient_id
    ds.PatientName = patient_name
    ds.PatientBirthDate = "19600215"
    ds.PatientSex = "F"
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = study_date
    ds.StudyTime = "101500"
    ds.StudyID = "1"
    ds.AccessionNumber = "A1"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "CT abdomen portal venous"
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = series_number
    ds.SeriesDescription = description
    ds.Modality = "CT"
    ds.FrameOfReferenceUID = generate_uid(ORG_ROOT, entropy_srcs=[study_uid, "for"])
    ds.InstanceNumber = index + 1
    ds.AcquisitionNumber = acquisition
    ds.ImagePositionPatient = [f"{v:.4f}" for v in position]
    ds.ImageOrientationPatient = [f"{v:.6f}" for v in orientation]
    ds.PixelSpacing = [pixel_spacing, pixel_spacing]
    ds.SliceThickness = thickness
    if spacing_between is not None:
        ds.SpacingBetweenSlices = spacing_between
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1" if monochrome1 else "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.RescaleIntercept = -1024
    ds.RescaleSlope = 1
    ds.WindowCenter = 40
    ds.WindowWidth = 400
    ds.PixelData = (pixels.astype(np.int32) + 1024).clip(0, 65535).astype(np.uint16).tobytes()
    return ds


def make_ct_series(folder: Path, n: int = 12, *, rows: int = 64, cols: int = 64, pixel_spacing: float = 0.75,
                   spacing: float = 2.5, thickness: float | None = None, missing: Sequence[int] = (),
                   tilt_deg: float = 0.0, shuffle: bool = True, patient_id: str = "MRN-1001",
                   patient_name: str = "DOE^JANE", study_uid: str | None = None, series_uid: str | None = None,
                   acquisition: int = 1, series_number: int = 3, description: str = "Portal venous 2.5 mm",
                   study_date: str = "20260110", z0: float = -200.0, seed: int = 7,
                   monochrome1: bool = False, write_spacing_tag: bool = True) -> dict:
    """Write ``n`` axial CT slices (minus ``missing`` indices) to ``folder``.

    Returns the expected truth: ``{"study_uid", "series_uid", "sop_by_z": [...]}``
    with SOP UIDs in head-to-foot order of increasing z.  Files get random names
    and random InstanceNumbers are *not* used: instance numbers run backwards,
    so a sort by InstanceNumber would be wrong.
    """
    folder.mkdir(parents=True, exist_ok=True)
    study_uid = study_uid or generate_uid(ORG_ROOT)
    series_uid = series_uid or generate_uid(ORG_ROOT)
    rng = random.Random(seed)
    orientation = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    if tilt_deg:
        # Gantry tilt: the slice plane stays axial in the file but each slice
        # shifts along y as z advances (sheared stack).
        shear = math.tan(math.radians(tilt_deg))
    else:
        shear = 0.0
    thickness = spacing if thickness is None else thickness
    order = list(range(n))
    if shuffle:
        rng.shuffle(order)
    sops: dict[int, str] = {}
    for i in order:
        if i in missing:
            continue
        z = z0 + i * spacing
        pos = (-cols * pixel_spacing / 2, -rows * pixel_spacing / 2 + shear * i * spacing, z)
        name = f"IM{rng.randrange(10**8):08d}"
        path = folder / name
        ds = _ct_dataset(path, patient_id=patient_id, patient_name=patient_name, study_uid=study_uid,
                         series_uid=series_uid, index=n - 1 - i, position=pos, orientation=orientation,
                         rows=rows, cols=cols, pixel_spacing=pixel_spacing, thickness=thickness,
                         spacing_between=spacing if write_spacing_tag else None, acquisition=acquisition,
                         series_number=series_number, description=description, study_date=study_date,
                         pixels=phantom_slice(rows, cols, i), monochrome1=monochrome1)
        ds.save_as(path, enforce_file_format=True)
        sops[i] = str(ds.SOPInstanceUID)
    return {"study_uid": study_uid, "series_uid": series_uid,
            "sop_by_z": [sops[i] for i in sorted(sops)], "folder": folder}


def make_seg(ct_folder: Path, out: Path, masks: dict[int, np.ndarray], labels: dict[int, str],
             *, segmentation_type: str = "BINARY", property_codes: dict[int, object] | None = None) -> Path:
    """Write a DICOM SEG over the CT files in ``ct_folder``.

    ``masks[k]`` is a (slices, rows, cols) bool array in head-to-foot order of
    the CT stack; ``labels[k]`` the segment label.  Uses highdicom.
    """
    import highdicom as hd
    import pydicom
    from pydicom.sr.codedict import codes

    source = [pydicom.dcmread(p) for p in sorted(ct_folder.iterdir())]
    source.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    numbers = sorted(masks)
    stack = np.stack([masks[k] for k in numbers], axis=-1).astype(bool)
    if segmentation_type == "LABELMAP":
        label_img = np.zeros(stack.shape[:3], dtype=np.uint8)
        for j, k in enumerate(numbers):
            label_img[stack[..., j]] = k
        pixel_array = label_img
    else:
        pixel_array = stack
    descriptions = []
    for k in numbers:
        code = (property_codes or {}).get(k) or codes.SCT.Organ
        descriptions.append(hd.seg.SegmentDescription(
            segment_number=k, segment_label=labels[k],
            segmented_property_category=codes.SCT.Organ if code is not None else codes.SCT.Tissue,
            segmented_property_type=code,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        ))
    seg = hd.seg.Segmentation(
        source_images=source, pixel_array=pixel_array,
        segmentation_type=getattr(hd.seg.SegmentationTypeValues, segmentation_type),
        segment_descriptions=descriptions, series_instance_uid=generate_uid(ORG_ROOT), series_number=90,
        sop_instance_uid=generate_uid(ORG_ROOT), instance_number=1, manufacturer="Liver MDT tests",
        manufacturer_model_name="synthetic", software_versions="1", device_serial_number="0",
    )
    seg.save_as(out)
    return out


def write_junk(folder: Path) -> dict[str, str]:
    """A non-DICOM text file, a zero-byte file and a truncated copy are written by the tests themselves."""
    folder.mkdir(parents=True, exist_ok=True)
    notes = folder / "README.txt"
    notes.write_text("Scanner export notes: not an image.\n", encoding="utf-8")
    return {"text": str(notes)}


# --------------------------------------------------------------------------- enhanced multi-frame


def _seq(**items) -> list:
    from pydicom.dataset import Dataset

    ds = Dataset()
    for k, v in items.items():
        setattr(ds, k, v)
    return [ds]


def make_enhanced_series(folder: Path, n: int = 12, *, files: int = 1, phases: int = 1, modality: str = "CT",
                         rows: int = 32, cols: int = 32, pixel_spacing: float = 0.7, spacing: float = 2.5,
                         declared_spacing: float | None = None, seed: int = 11, z0: float = -100.0,
                         phase_key: str = "temporal", patient_id: str = "MRN-1001",
                         series_uid: str | None = None, window: tuple[float, float] = (60.0, 360.0)) -> dict:
    """An enhanced (multi-frame) CT or MR series: ``n`` positions × ``phases`` time points, spread
    over ``files`` files with the frames of each file in shuffled order, as scanners export them.

    Geometry lives only in the functional groups (no top-level ImagePositionPatient):
    shared PixelMeasures / PlaneOrientation / PixelValueTransformation / FrameVOILUT,
    per-frame PlanePosition and FrameContent (TemporalPositionIndex) or, for
    ``phase_key="trigger"``, CardiacSynchronization.  Returns the truth:
    ``order[phase]`` = [(sop, frame number 1-based)] in order of increasing z, and
    ``hu[(sop, frame)]`` the HU image of that frame.
    """
    from pydicom.uid import EnhancedCTImageStorage, EnhancedMRImageStorage

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    sop_class = EnhancedCTImageStorage if modality == "CT" else EnhancedMRImageStorage
    study_uid, series_uid = generate_uid(ORG_ROOT), series_uid or generate_uid(ORG_ROOT)
    frames_all = [(p, i) for p in range(phases) for i in range(n)]
    rng.shuffle(frames_all)
    per_file = [frames_all[k::files] for k in range(files)]
    order: dict[int, list[tuple[int, float, str, int]]] = {p: [] for p in range(phases)}
    hu: dict[tuple[str, int], np.ndarray] = {}
    for f_index, frames in enumerate(per_file):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = sop_class
        meta.MediaStorageSOPInstanceUID = generate_uid(ORG_ROOT)
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = folder / f"EN{f_index:03d}.dcm"
        ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
        ds.PatientID, ds.PatientName, ds.PatientSex, ds.PatientBirthDate = patient_id, "DOE^JANE", "F", "19600215"
        ds.StudyInstanceUID, ds.StudyDate, ds.StudyTime = study_uid, "20260110", "101500"
        ds.SeriesInstanceUID, ds.SeriesNumber, ds.Modality = series_uid, 5, modality
        ds.SeriesDescription = "Liver dynamic" if phases > 1 else "Portal venous enhanced"
        ds.InstanceNumber = f_index + 1
        ds.FrameOfReferenceUID = generate_uid(ORG_ROOT, entropy_srcs=[study_uid, "for"])
        ds.Rows, ds.Columns, ds.NumberOfFrames = rows, cols, len(frames)
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        pixel_measures = {"PixelSpacing": [pixel_spacing, pixel_spacing], "SliceThickness": spacing}
        if declared_spacing is not None:
            pixel_measures["SpacingBetweenSlices"] = declared_spacing
        shared = _seq(
            PixelMeasuresSequence=_seq(**pixel_measures),
            PlaneOrientationSequence=_seq(ImageOrientationPatient=[1, 0, 0, 0, 1, 0]),
            PixelValueTransformationSequence=_seq(RescaleIntercept=-1024, RescaleSlope=1, RescaleType="HU"),
            FrameVOILUTSequence=_seq(WindowCenter=window[0], WindowWidth=window[1]),
        )
        ds.SharedFunctionalGroupsSequence = shared
        per_frame, pixels = [], []
        for k, (p, i) in enumerate(frames):
            z = z0 + i * spacing
            content = {"FrameAcquisitionNumber": p + 1, "InStackPositionNumber": i + 1, "StackID": "1"}
            item = {"PlanePositionSequence": _seq(ImagePositionPatient=[-cols * pixel_spacing / 2,
                                                                        -rows * pixel_spacing / 2, z])}
            if phase_key == "temporal":
                content["TemporalPositionIndex"] = p + 1
            elif phase_key == "trigger":
                item["CardiacSynchronizationSequence"] = _seq(NominalCardiacTriggerDelayTime=100.0 * (p + 1))
            item["FrameContentSequence"] = _seq(**content)
            per_frame.append(_seq(**item)[0])
            img = phantom_slice(rows, cols, i) + 40 * p  # each phase enhances a little more
            pixels.append((img.astype(np.int32) + 1024).clip(0, 65535).astype(np.uint16))
            order[p].append((i, z, ds.SOPInstanceUID, k + 1))
            hu[(str(ds.SOPInstanceUID), k + 1)] = img.astype(np.float64)
        ds.PerFrameFunctionalGroupsSequence = per_frame
        ds.PixelData = np.stack(pixels).tobytes()
        ds.save_as(path, enforce_file_format=True)
    return {"series_uid": series_uid, "study_uid": study_uid, "folder": folder, "hu": hu,
            "order": {p: [(sop, fr) for _i, _z, sop, fr in sorted(v, key=lambda t: t[1])] for p, v in order.items()}}


def make_dynamic_series(folder: Path, n: int = 6, phases: int = 3, *, key: str = "trigger",
                        per_slice_times: bool = False, seed: int = 21) -> dict:
    """Single-frame slices of one series whose positions repeat once per phase (a dynamic liver MR).

    ``key`` is what tells the phases apart: ``temporal`` (TemporalPositionIdentifier),
    ``trigger`` (TriggerTime), ``time`` (AcquisitionTime) or ``echo`` (EchoTime);
    AcquisitionNumber is the same everywhere.  ``per_slice_times``: every slice of a
    phase has its own acquisition time (a 2-D acquisition).
    """
    import pydicom

    truth = make_ct_series(folder, n * phases, shuffle=False, seed=seed)
    files = sorted(folder.iterdir(), key=lambda p: float(pydicom.dcmread(p, stop_before_pixels=True)
                                                         .ImagePositionPatient[2]))
    by_phase: dict[int, list[str]] = {p: [] for p in range(phases)}
    for k, path in enumerate(files):
        ds = pydicom.dcmread(path)
        p, i = divmod(k, n)
        ds.ImagePositionPatient = [ds.ImagePositionPatient[0], ds.ImagePositionPatient[1], -100.0 + i * 2.5]
        ds.AcquisitionNumber = 1
        ds.Modality = "MR"
        if key == "temporal":
            ds.TemporalPositionIdentifier = p + 1
        elif key == "trigger":
            ds.TriggerTime = 150.0 * (p + 1)
        elif key == "time":
            seconds = 36000 + 30 * p + (i if per_slice_times else 0)
            ds.AcquisitionTime = f"{seconds // 3600:02d}{seconds % 3600 // 60:02d}{seconds % 60:02d}.000000"
        elif key == "echo":
            ds.EchoTime = [2.3, 4.6, 9.2][p]
        ds.save_as(path)
        by_phase[p].append(str(ds.SOPInstanceUID))
    return {"series_uid": truth["series_uid"], "by_phase": by_phase}


def edit(path: Path, **values) -> None:
    """Rewrite header values in a saved file; a ``str`` is written as raw text (even ``"NaN"``,
    which pydicom would refuse to write through the keyword); None deletes the element."""
    import pydicom
    from pydicom.datadict import dictionary_VR, tag_for_keyword
    from pydicom.dataelem import RawDataElement

    ds = pydicom.dcmread(path)
    for keyword, value in values.items():
        tag = tag_for_keyword(keyword)
        if value is None:
            del ds[tag]
        elif isinstance(value, str):
            raw = value.encode("ascii")
            raw += b" " * (len(raw) % 2)
            ds._dict[pydicom.tag.Tag(tag)] = RawDataElement(  # noqa: SLF001 - a deliberately broken value
                pydicom.tag.Tag(tag), dictionary_VR(tag), len(raw), raw, 0, False, True)
        else:
            setattr(ds, keyword, value)
    ds.save_as(path)
