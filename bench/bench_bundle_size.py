"""Size of the packaged bundle by component, beside the installed size of the same packages.

    bash scripts/build-bundle.sh && .venv/bin/python bench/bench_bundle_size.py

The total is counted as ``tests/test_portable.py`` counts it for the size budget (bytes of
every file, a symbolic link as a link, MB of 10^6 bytes).  The baseline column is what the
same distributions occupy installed in this venv (their RECORD files): what the build
makes of them.  BENCHMARKS.md ("Packaged bundle") keeps the figures.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# component -> (top-level names in _internal/, distributions installed in the venv)
COMPONENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Qt (PySide6 bindings, Qt libraries and plugins, ICU)": (("PySide6", "shiboken6"),
                                                             ("PySide6-Essentials", "shiboken6")),
    "scipy (with its 32-bit-integer OpenBLAS)": (("scipy", "scipy.libs"), ("scipy",)),
    "numpy (with its 64-bit-integer OpenBLAS)": (("numpy", "numpy.libs"), ("numpy",)),
    "pandas (lifelines' data frames)": (("pandas",), ("pandas",)),
    "cryptography (OpenSSL in Rust bindings)": (("cryptography",), ("cryptography",)),
    "PostgreSQL driver (psycopg, libpq, OpenSSL, Kerberos)": (("psycopg", "psycopg_binary", "psycopg_binary.libs"),
                                                              ("psycopg", "psycopg-binary")),
    "DICOM codecs (GDCM, OpenJPEG, CharLS, RLE, libjpeg-turbo)": (
        ("_gdcm", "python_gdcm.libs", "gdcm", "_openjpeg", "openjpeg", "_CharLS", "jpeg_ls", "rle",
         "imagecodecs", "imagecodecs.libs", "pylibjpeg"),
        ("python-gdcm", "pylibjpeg-openjpeg", "pyjpegls", "pylibjpeg-rle", "pylibjpeg")),
    "PDF (pikepdf/qpdf, lxml, reportlab, Pillow)": (("pikepdf", "pikepdf.libs", "lxml", "reportlab", "PIL",
                                                    "pillow.libs"),
                                                   ("pikepdf", "lxml", "reportlab", "pillow")),
    "SQLAlchemy and Alembic (plain .pyc, for start-up)": (("sqlalchemy", "alembic"), ("SQLAlchemy", "alembic")),
    "resources (fonts, protocols, diagram)": (("resources",), ()),
    "the application (mdt, ui)": (("mdt", "ui"), ()),
}


def _size(path: Path) -> int:
    if path.is_symlink() or not path.is_dir():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_symlink() or not p.is_dir())


def _installed(distributions: tuple[str, ...]) -> int | None:
    total = 0
    for name in distributions:
        try:
            files = md.files(name) or []
        except md.PackageNotFoundError:
            return None
        total += sum(f.size or 0 for f in files)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "liver-mdt")
    args = parser.parse_args(argv)
    internal = args.bundle / "_internal"
    if not internal.is_dir():
        print(f"no bundle at {args.bundle}: run bash scripts/build-bundle.sh", file=sys.stderr)
        return 2
    sizes = {entry.name: _size(entry) for entry in internal.iterdir()}
    rows: list[tuple[str, int, int | None]] = []
    for label, (names, distributions) in COMPONENTS.items():
        rows.append((label, sum(sizes.pop(n, 0) for n in names), _installed(distributions) if distributions else None))
    executable = (args.bundle / "liver-mdt").lstat().st_size
    rows.append(("executable (bootloader + compressed archive of pure-Python modules)", executable, None))
    rows.append(("everything else (Python runtime, system libraries, small packages)", sum(sizes.values()), None))
    total = sum(r[1] for r in rows)
    width = max(len(r[0]) for r in rows)
    print(f"{'component':<{width}}  {'bundle':>9}  {'installed':>9}")
    for label, size, installed in sorted(rows, key=lambda r: -r[1]):
        base = f"{installed / 1e6:7.1f} MB" if installed is not None else f"{'-':>9}"
        print(f"{label:<{width}}  {size / 1e6:6.1f} MB  {base}")
    print(f"{'total (as tests/test_portable.py counts it)':<{width}}  {total / 1e6:6.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
