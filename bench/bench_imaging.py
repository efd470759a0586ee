"""Imaging benchmark: a synthetic 300-slice 512×512 CT series.

Prints the median of several runs for: indexing; first image shown; whole
series loaded; one slice change with windowing -- each beside a plain pydicom
loop over the same files in the same run, and checks the targets:
indexing ≤ 3× the header-only loop, whole series ≤ 1.5× the pixel loop, first
image < 100 ms, slice change < 5 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_imaging.py [--slices 300] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="write (or reuse) the synthetic series in DIR")
    parser.add_argument("--enhanced-files", type=int, default=3,
                        help="also measure the same stack as an enhanced multi-frame series in N files (0: skip)")
    args = parser.parse_args()

    import numpy as np
    import pydicom
    from PySide6.QtWidgets import QApplication

    from mdt.imaging.index import get_series, import_dicom
    from mdt.imaging.pixels import SeriesVolume
    from mdt.store.db import open_database
    from tests.imaging_fixtures import make_ct_series, make_enhanced_series
    from ui.viewer.pane import SeriesPane

    app = QApplication.instance() or QApplication([])
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="mdt-bench-imaging-"))
    folder = work / "ct"
    if folder.is_dir() and len(list(folder.iterdir())) == args.slices:
        truth = {"series_uid": pydicom.dcmread(next(folder.iterdir()), stop_before_pixels=True).SeriesInstanceUID}
        for old in work.glob("index*.sqlite3*"):
            old.unlink()
        print(f"synthetic CT: reusing {folder}")
    else:
        t0 = time.perf_counter()
        truth = make_ct_series(folder, args.slices, rows=args.size, cols=args.size, spacing=1.0)
        print(f"synthetic CT: {args.slices} slices {args.size}x{args.size} written in "
              f"{time.perf_counter() - t0:.1f} s ({work})")
    files = sorted(str(p) for p in folder.iterdir())

    # -- indexing: a fresh database each run, so every header is read and written.
    def plain_headers():
        for f in files:
            pydicom.dcmread(f, stop_before_pixels=True)

    dbs = []

    def ours_index():
        db = dbs[-1]
        report = import_dicom(db, folder)
        assert report.files_read == len(files) and len(report.series) == 1

    index_plain, index_ours = [], []
    for run in range(args.runs):
        dbs.append(open_database(f"sqlite:///{work / f'index{run}.sqlite3'}"))
        index_plain.append(median_time(plain_headers, 1))
        index_ours.append(median_time(ours_index, 1))
    db = dbs[-1]
    series = get_series(db, truth["series_uid"])

    # -- whole series: our volume vs a plain dcmread + pixel_array loop.
    def plain_pixels():
        for f in files:
            pydicom.dcmread(f).pixel_array  # noqa: B018 - the decode is the point

    def ours_pixels():
        vol = SeriesVolume(series)
        assert vol.load_all() and not vol.errors

    load_plain = [median_time(plain_pixels, 1) for _ in range(args.runs)]
    load_ours = [median_time(ours_pixels, 1) for _ in range(args.runs)]

    # -- first image shown: open the series in a pane and paint the first image.
    pane = SeriesPane()
    pane.resize(800, 800)
    pane.show()
    app.processEvents()

    def ours_first():
        pane.open_series(series, load_all=False)
        pane.canvas.repaint()

    def plain_first():
        ds = pydicom.dcmread(series.slices[len(files) // 2].path)
        pydicom.pixels.apply_voi_lut(pydicom.pixels.apply_rescale(ds.pixel_array, ds), ds)

    first_ours = median_time(ours_first, args.runs)
    first_plain = median_time(plain_first, args.runs)

    # -- one slice change with windowing (series loaded; repaint forced synchronously).
    pane.volume.load_all()
    pane.set_window(90, 150)
    order = list(range(0, len(files), 3))

    def per_change(fn, items) -> float:
        # Median over single changes: robust to other processes on a shared machine.
        times = []
        for _ in range(args.runs):
            for item in items:
                t0 = time.perf_counter()
                fn(item)
                times.append(time.perf_counter() - t0)
        return statistics.median(times)

    def ours_change(i):
        pane.show_slice(i)
        pane.canvas.repaint()

    ds_cache = [pydicom.dcmread(series.slices[i].path) for i in order[:20]]

    def plain_change(ds):
        # What a plain pydicom viewer does per change: rescale + window in float.
        hu = pydicom.pixels.apply_rescale(ds.pixel_array, ds)
        np.clip((hu - (90 - 75)) / 150 * 255, 0, 255).astype(np.uint8)

    change_ours = per_change(ours_change, order)
    change_plain = per_change(plain_change, ds_cache)
    pane.close()
    for d in dbs:
        d.close()

    # -- the same stack as enhanced multi-frame files (frames shuffled across the files).
    enhanced_rows = []
    if args.enhanced_files:
        efolder = work / f"enhanced{args.enhanced_files}"
        if not (efolder.is_dir() and len(list(efolder.iterdir())) == args.enhanced_files):
            make_enhanced_series(efolder, args.slices, files=args.enhanced_files, rows=args.size, cols=args.size,
                                 spacing=1.0)
        efiles = sorted(str(p) for p in efolder.iterdir())

        def e_plain_headers():
            # The least any reader does to place enhanced frames: each frame's position.
            for f in efiles:
                ds = pydicom.dcmread(f, stop_before_pixels=True)
                [item.PlanePositionSequence[0].ImagePositionPatient for item in ds.PerFrameFunctionalGroupsSequence]

        edbs = []

        def e_ours_index():
            report = import_dicom(edbs[-1], efolder)
            assert report.files_read == len(efiles) and len(report.series) == 1

        e_index_plain, e_index_ours = [], []
        for run in range(args.runs):
            edbs.append(open_database(f"sqlite:///{work / f'index-enhanced{run}.sqlite3'}"))
            e_index_plain.append(median_time(e_plain_headers, 1))
            e_index_ours.append(median_time(e_ours_index, 1))
        from mdt.imaging.index import list_series

        (eseries,) = list_series(edbs[-1])

        def e_plain_pixels():
            for f in efiles:
                pydicom.dcmread(f).pixel_array  # noqa: B018 - the decode is the point

        def e_ours_pixels():
            vol = SeriesVolume(eseries)
            assert vol.load_all() and not vol.errors

        e_load_plain = [median_time(e_plain_pixels, 1) for _ in range(args.runs)]
        e_load_ours = [median_time(e_ours_pixels, 1) for _ in range(args.runs)]
        epane = SeriesPane()
        epane.resize(800, 800)
        epane.show()

        def e_first():
            epane.open_series(eseries, load_all=False)
            epane.canvas.repaint()

        e_first_ours = median_time(e_first, args.runs)
        epane.close()
        for d in edbs:
            d.close()
        ei, ep = statistics.median(e_index_ours), statistics.median(e_index_plain)
        el, elp = statistics.median(e_load_ours), statistics.median(e_load_plain)
        enhanced_rows = [
            (f"enhanced ({args.enhanced_files} files): indexing", ei, "dcmread + each frame's position", ep,
             "<= 3x plain", ei <= 3 * ep),
            (f"enhanced ({args.enhanced_files} files): whole series", el, "plain dcmread().pixel_array loop", elp,
             "<= 1.5x plain", el <= 1.5 * elp),
            (f"enhanced ({args.enhanced_files} files): first image", e_first_ours, "plain read of one frame",
             first_plain, "< 100 ms", e_first_ours < 0.100),
        ]

    rows = [
        ("indexing (headers -> database)", statistics.median(index_ours), "plain dcmread(stop_before_pixels) loop",
         statistics.median(index_plain), "<= 3x plain", statistics.median(index_ours) <= 3 * statistics.median(index_plain)),
        ("first image shown", first_ours, "plain read+rescale+VOI of one file", first_plain, "< 100 ms",
         first_ours < 0.100),
        ("whole series loaded", statistics.median(load_ours), "plain dcmread().pixel_array loop",
         statistics.median(load_plain), "<= 1.5x plain", statistics.median(load_ours) <= 1.5 * statistics.median(load_plain)),
        ("one slice change with windowing", change_ours, "plain rescale+window in float (decoded)",
         change_plain, "< 5 ms", change_ours < 0.005),
        *enhanced_rows,
    ]
    print(f"\nmedian of {args.runs} runs, {args.slices} slices {args.size}x{args.size}, CPU count {os.cpu_count()}")
    print(f"{'measure':40} {'ours':>10} {'baseline':>10}  ratio  target         result  (baseline)")
    ok = True
    for name, ours, base_name, base, target, passed in rows:
        ok &= passed
        print(f"{name:40} {ours * 1000:8.1f}ms {base * 1000:8.1f}ms {ours / base:6.2f}  {target:14} "
              f"{'PASS' if passed else 'FAIL':6}  ({base_name})")
    return 0 if ok else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # PySide6 6.12.0 on CPython 3.11 drops a reference to None/True on many calls
    # (see the report in BENCHMARKS.md); after thousands of repaints the
    # interpreter aborts while finalising.  The figures are printed by then; leave
    # without finalisation so the exit code reflects the targets.
    os._exit(code)
