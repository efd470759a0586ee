"""``--self-test`` and ``startup-probe``: the start-up path, main window included, headless.

Lives beside ``main.py``, above ``mdt`` and ``ui``, because it builds the window:
the Qt-free checks (database and migrations, demo data, protocols, minutes PDF,
DICOM codecs) are :mod:`mdt.selftest`'s steps, and this module adds the one that
builds and shows the main window, plus the start-up probe the benchmark times.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, TextIO

from mdt import selftest as core
from mdt.selftest import SelfTestState, Step, check


def step_main_window(state: SelfTestState) -> dict[str, Any]:
    from ui.app import create_window, ensure_application

    started = time.perf_counter()
    app = ensure_application([sys.argv[0] if sys.argv else "liver-mdt"])
    chair = next((m for m in state.members if m.role == "chair"), None)
    window = create_window(state.db, chair, synchronous_tasks=True)
    try:
        window.resize(1280, 800)
        window.show()
        app.processEvents()
        check(window.isVisible(), "the main window did not show")
        title = window.windowTitle()
        check(bool(title), "the main window has no title")
        platform_name = app.platformName()
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()
    return {"title": title, "qt_platform": platform_name,
            "seconds": round(time.perf_counter() - started, 3)}


def step_qt_locale_data(state: SelfTestState) -> dict[str, Any]:
    """Qt's text services that read ICU's data (the bundle ships it trimmed to what Qt reads:
    pyinstaller.spec): collation for sorting names, locale case mapping, text codecs and
    time-zone names.  Without the data Qt silently falls back to code-point order."""
    from PySide6.QtCore import QByteArray, QCollator, QLocale, QStringConverter, QStringDecoder, QTimeZone

    def before(locale: str, a: str, b: str) -> bool:
        return QCollator(QLocale(locale)).compare(a, b) < 0

    check(before("fr_FR", "e", "é") and before("fr_FR", "é", "f"), "French names sort in code-point order")
    check(before("de_DE", "ö", "z") and before("sv_SE", "z", "ö"), "German/Swedish collation is missing")
    check(QLocale("tr_TR").toUpper("i") == "İ", "Turkish case mapping is missing")
    codecs = len(QStringConverter.availableCodecs())
    check(QStringDecoder("Shift_JIS").isValid() and QStringDecoder("windows-1250").isValid(),
          f"Qt's text codecs are missing ({codecs} available)")
    paris = QTimeZone(QByteArray(b"Europe/Paris"))
    zone_name = None
    if paris.isValid():  # needs the host's tzdata; the name comes from ICU's data
        zone_name = paris.displayName(QTimeZone.TimeType.StandardTime, QTimeZone.NameType.LongName,
                                      QLocale("en_GB"))
        check("Central European" in zone_name, f"time-zone names are missing ({zone_name!r})")
    return {"codecs": codecs, "zone_name": zone_name}


STEPS: tuple[Step, ...] = (*core.STEPS, ("qt_locale_data", step_qt_locale_data, ()),
                           ("main_window", step_main_window, ("load_demo",)))
"""The core's Qt-free steps, Qt's locale data, then the main window (it needs the demo
members)."""


def run_self_test(db_url: str | None = None, out: TextIO | None = None,
                  err: TextIO | None = None) -> int:
    """Every step of :data:`STEPS` on a temporary database; JSON summary, 0 when all passed.

    See :func:`mdt.selftest.run_self_test` for what is (never) written where.
    """
    # Headless by definition: without this, Qt's xcb plugin aborts the process
    # on a machine with no display before any step can report.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return core.run_self_test(db_url, out, err, steps=STEPS)


def run_startup_probe(db_url: str | None = None, user: str | None = None,
                      out: TextIO | None = None) -> int:
    """The GUI start-up path up to a shown main window, then exit (for the benchmark).

    Prints ``{"window_shown_s": ...}``: seconds from the start of ``main`` to the
    window on screen, as a user waits for it (database opened and migrated, demo
    seeded when empty, window built and shown, first events processed).
    """
    out = out or sys.stdout
    started = time.perf_counter()
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        marks[name] = round(time.perf_counter() - started, 4)

    from mdt.services import Actor, MdtService, seed_demo_if_empty
    from mdt.store.db import open_database
    from ui.app import create_window, ensure_application, find_member

    mark("imports")
    app = ensure_application([sys.argv[0] if sys.argv else "liver-mdt"])
    mark("qapplication")
    db = open_database(db_url)
    try:
        seed_demo_if_empty(db)
        mark("database")
        service = MdtService(db, Actor.from_environment(user))
        members = service.list_members()
        member = find_member(service, user) or next(
            (m for m in members if m.role == "chair"), None)
        window = create_window(db, member)
        mark("window_built")
        window.resize(1600, 960)
        window.show()
        app.processEvents()
        shown = time.perf_counter() - started
        # CPU seconds of this process since it was launched (bootloader and
        # interpreter start-up included): the figure a busy machine inflates least.
        cpu = time.process_time()
        ok = window.isVisible()
        window.close()
        app.processEvents()
    finally:
        db.close()
    if out is not None:  # a windowed frozen build on Windows has no console
        out.write(json.dumps({"window_shown_s": round(shown, 4), "cpu_s": round(cpu, 4),
                              "ok": ok, "phases_s": marks,
                              "frozen": bool(getattr(sys, "frozen", False))}) + "\n")
        out.flush()
    return 0 if ok else 1
