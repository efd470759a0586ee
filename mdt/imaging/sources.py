"""Where DICOM files come from: a folder, a DICOMDIR (nested ones too) or a zip.

Only regular files are read: a device (``/dev/zero``), a pipe or a socket is
refused by name before a byte is read, so an import can neither grow without
end nor block forever.  A zip is unpacked into the managed store with limits
on its total size and on each member's compression ratio (a zip bomb is
refused before anything is written); a DICOMDIR's references are resolved the
way CDs spell them (any letter case, ISO 9660 ``;1`` suffixes), a referenced
DICOMDIR (Philips ``DIRFILE``) is read in turn, and references to files that
are not there are reported, never silently dropped.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from mdt.errors import ValidationError
from mdt.imaging import limits
from mdt.imaging.headers import DICOMDIR_SOP_CLASS, _file_kind, _open_regular, iter_files


@dataclass
class Source:
    kind: str
    """``folder``, ``zip``, ``dicomdir`` or ``file``."""
    files: list[str]
    folder: Path | None
    """The folder scanned whole (files gone from it are removed from the index), or None."""
    missing: list[str] = field(default_factory=list)
    """Files a DICOMDIR references that are not there."""
    extracted: Path | None = None
    """For a zip: the managed folder it was unpacked into (pruned to what was indexed)."""


def _zip_target(zip_path: Path, store: Path) -> Path:
    st = zip_path.stat()
    digest = hashlib.sha1(f"{zip_path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:12]
    return store / f"{zip_path.stem}-{digest}"


def _gib(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB" if n >= 1024**3 else f"{n / 1024**2:.1f} MiB"


def check_zip(zf: zipfile.ZipFile, zip_path: Path, free_bytes: int | None) -> list[zipfile.ZipInfo]:
    """The members to unpack; ValidationError for a zip that would exhaust the disk."""
    members = [i for i in zf.infolist() if not i.is_dir()]
    if len(members) > limits.ZIP_MAX_MEMBERS:
        raise ValidationError(f"{zip_path}: {len(members)} files in the zip; at most {limits.ZIP_MAX_MEMBERS} "
                              "are unpacked")
    total = sum(i.file_size for i in members)
    if total > limits.ZIP_MAX_TOTAL_BYTES:
        raise ValidationError(f"{zip_path}: would unpack to {_gib(total)}, more than the limit of "
                              f"{_gib(limits.ZIP_MAX_TOTAL_BYTES)}; unpack it yourself and import the folder")
    if free_bytes is not None and total > free_bytes:
        raise ValidationError(f"{zip_path}: would unpack to {_gib(total)} but only {_gib(free_bytes)} "
                              "are free on the disk")
    for info in members:
        if info.file_size > limits.ZIP_RATIO_FLOOR_BYTES and (
                info.compress_size == 0 or info.file_size / info.compress_size > limits.ZIP_MAX_RATIO):
            ratio = info.file_size / max(info.compress_size, 1)
            raise ValidationError(
                f"{zip_path}: {info.filename} unpacks to {_gib(info.file_size)} from "
                f"{info.compress_size} bytes ({ratio:.0f}:1); more than {limits.ZIP_MAX_RATIO}:1 is refused "
                "as a zip bomb")
    return members


def extract_zip(zip_path: Path, store: Path) -> Path:
    """Unpack once into the managed store (the index points at files that must stay).

    Nothing is left behind when unpacking fails; a member that unpacks to more
    than it declared stops the unpacking (the declared sizes were checked first).
    """
    target = _zip_target(zip_path, store)
    done = target / ".complete"
    if done.exists():
        return target
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)  # a partial unpack from an interrupted import
    store.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as zf:
        members = check_zip(zf, zip_path, shutil.disk_usage(store).free)
        target.mkdir(parents=True, exist_ok=True)
        root = target.resolve()
        try:
            written_total = 0
            budget = sum(i.file_size for i in members)
            for info in members:
                if stat.S_ISLNK(info.external_attr >> 16):
                    continue  # a link in a zip points anywhere: not unpacked
                dest = (target / info.filename).resolve()
                if root not in dest.parents:
                    continue  # "../" or absolute names: never write outside the store
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(dest, "wb") as out:
                    written = 0
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        written_total += len(chunk)
                        if written > info.file_size or written_total > budget:
                            raise ValidationError(f"{zip_path}: {info.filename} unpacks to more than the "
                                                  f"{info.file_size} bytes it declares; the zip is refused")
                        out.write(chunk)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
    done.write_text("ok", encoding="utf-8")
    return target


def prune_extracted(folder: Path, keep: set[str]) -> None:
    """Delete every unpacked file not in ``keep``; the whole folder when nothing is kept."""
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for path in list(iter_files(folder)):
        if path not in keep:
            try:
                os.remove(path)
            except OSError:
                pass
    for dirpath, _dirs, _files in sorted(os.walk(folder), key=lambda t: -len(t[0])):
        if Path(dirpath) != folder:
            try:
                os.rmdir(dirpath)  # only succeeds when empty
            except OSError:
                pass


# --------------------------------------------------------------------------- DICOMDIR


def _is_dicomdir(p: Path) -> bool:
    try:
        fp, _st = _open_regular(str(p))
    except OSError:
        return False
    with fp:
        head = fp.read(1024)
    return DICOMDIR_SOP_CLASS.encode() in head


def _resolve(roots: list[Path], parts: list[str]) -> Path | None:
    """A referenced file under one of ``roots``, matching names as CDs write them."""
    for root in roots:
        current = root
        for part in parts:
            nxt = current / part
            if not nxt.exists():
                matched = _match_name(current, part)
                if matched is None:
                    break
                nxt = matched
            current = nxt
        else:
            return current
    return None


def _match_name(folder: Path, name: str) -> Path | None:
    want = name.upper().rstrip(".").split(";")[0]
    try:
        for entry in os.scandir(folder):
            if entry.name.upper().rstrip(".").split(";")[0] == want:
                return Path(entry.path)
    except OSError:
        return None
    return None


def read_dicomdir(path: Path, outer_roots: tuple[Path, ...] = (), seen: set[Path] | None = None
                  ) -> tuple[list[str], list[str]]:
    """(files referenced, references not found) of a DICOMDIR and the DICOMDIRs it references."""
    import pydicom

    seen = set() if seen is None else seen
    real = path.resolve()
    if real in seen:
        return [], []
    seen.add(real)
    try:
        fp, _st = _open_regular(str(path))
        with fp:
            ds = pydicom.dcmread(fp, force=True)
        records = ds.get("DirectoryRecordSequence")
    except Exception as exc:  # a damaged DICOMDIR is a user-facing error, not a crash
        raise ValidationError(f"{path}: unreadable DICOMDIR ({type(exc).__name__}: {exc})") from exc
    if records is None:
        raise ValidationError(f"{path}: not a DICOMDIR (no directory records)")
    roots = [path.parent, *outer_roots]
    files: list[str] = []
    missing: list[str] = []
    for rec in records:
        if rec.get("RecordInUseFlag", 0xFFFF) == 0:
            continue  # a deleted record
        fid = rec.get("ReferencedFileID")
        if not fid:
            continue
        parts = [str(fid)] if isinstance(fid, str) else [str(x) for x in fid]
        parts = [x for x in (p.strip() for p in parts) if x]
        target = _resolve(roots, parts)
        if target is None:
            missing.append(str(path.parent.joinpath(*parts)))
            continue
        if str(rec.get("ReferencedSOPClassUIDInFile", "")) == DICOMDIR_SOP_CLASS or _is_dicomdir(target):
            more, gone = read_dicomdir(target, tuple(roots), seen)  # a nested directory (Philips DIRFILE)
            files += more
            missing += gone
        else:
            files.append(str(target))
    return list(dict.fromkeys(files)), list(dict.fromkeys(missing))


# --------------------------------------------------------------------------- any source


def list_source(path: str | os.PathLike[str], store: Path | None = None) -> Source:
    """What to read for a folder, a DICOMDIR, a zip or one file.  ValidationError if none."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise ValidationError(f"{p}: no such file or folder") from None
    except OSError as exc:
        raise ValidationError(f"{p}: cannot be read ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(st.st_mode):
        return Source("folder", list(iter_files(p)), p.resolve())
    if not stat.S_ISREG(st.st_mode):
        raise ValidationError(f"{p}: {_file_kind(st.st_mode)}, not a file; import reads a folder, a DICOMDIR, "
                              "a zip or a DICOM file")
    if zipfile.is_zipfile(p):
        if store is None:
            from mdt.config import data_dir

            store = data_dir() / "dicom-imports"
        try:
            folder = extract_zip(p, store)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError) as exc:
            raise ValidationError(f"{p}: cannot unpack zip ({exc})") from exc
        return Source("zip", list(iter_files(folder)), folder.resolve(), extracted=folder)
    if p.name.upper() in ("DICOMDIR", "DIRFILE") or _is_dicomdir(p):
        files, missing = read_dicomdir(p)
        return Source("dicomdir", files, None, missing)
    return Source("file", [str(p)], None)
