"""The domain core never imports Qt or the ui package (ARCHITECTURE.md), not even dynamically.

import-linter (``pyproject.toml``) sees ``import`` statements only; these tests also read
every ``importlib.import_module(...)`` and ``__import__(...)`` call in ``mdt`` (AST), and
import the whole package in a fresh interpreter.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "ui")

DYNAMIC_IMPORTS_BY_NAME = {
    "mdt/store/migrations/env.py": "MODEL_MODULES",
}
"""Dynamic imports in mdt whose module name is not written in the call, by file: the name
of the list they import from (checked below to hold only mdt modules)."""


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _constant_text(node: ast.expr) -> str | None:
    """The text of a string written in the source (literal, concatenation, f-string without
    fields); None when it is computed at run time."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _constant_text(node.left), _constant_text(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = [_constant_text(v) for v in node.values]
        return None if None in parts else "".join(p for p in parts if p is not None)
    return None


def _dynamic_imports(source: str, filename: str = "<test>") -> list[tuple[int, str | None]]:
    """(line, module name or None when computed) of every dynamic import call: through
    ``importlib`` (any alias), ``from importlib import import_module`` (any alias),
    ``__import__`` and ``builtins.__import__``."""
    tree = ast.parse(source, filename=filename)
    module_aliases = {"importlib"}
    function_aliases = {"__import__"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "importlib":
                    module_aliases.add(alias.asname or "importlib")
        elif isinstance(node, ast.ImportFrom) and node.module in ("importlib", "builtins"):
            for alias in node.names:
                if alias.name in ("import_module", "__import__"):
                    function_aliases.add(alias.asname or alias.name)
    found: list[tuple[int, str | None]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not (node.args or node.keywords):
            continue
        func = node.func
        dynamic = (isinstance(func, ast.Name) and func.id in function_aliases) or (
            isinstance(func, ast.Attribute) and func.attr in ("import_module", "__import__")
            and isinstance(func.value, ast.Name) and func.value.id in module_aliases | {"builtins"})
        if dynamic:
            arg = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg == "name"), node.keywords[0].value)
            found.append((node.lineno, _constant_text(arg)))
    return found


def _forbidden(name: str) -> bool:
    return name.split(".")[0] in FORBIDDEN


def test_mdt_sources_import_no_qt_and_no_ui() -> None:
    offenders = []
    for path in sorted((ROOT / "mdt").rglob("*.py")):
        for lineno, name in _imports(path):
            if _forbidden(name):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno} imports {name}")
    assert offenders == []


def test_mdt_sources_import_no_qt_and_no_ui_dynamically() -> None:
    """``importlib.import_module("ui.app")`` is as much an import of ui as ``import ui.app``."""
    offenders = []
    for path in sorted((ROOT / "mdt").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for lineno, name in _dynamic_imports(path.read_text(encoding="utf-8"), rel):
            if name is None and rel not in DYNAMIC_IMPORTS_BY_NAME:
                offenders.append(f"{rel}:{lineno} imports a module whose name is computed; "
                                 "write the name, or list the file in DYNAMIC_IMPORTS_BY_NAME")
            elif name is not None and _forbidden(name):
                offenders.append(f"{rel}:{lineno} imports {name} dynamically")
    assert offenders == []


def test_names_imported_dynamically_in_mdt_are_mdt_modules() -> None:
    import mdt.store

    assert DYNAMIC_IMPORTS_BY_NAME == {"mdt/store/migrations/env.py": "MODEL_MODULES"}
    assert mdt.store.MODEL_MODULES and all(m.startswith("mdt.") for m in mdt.store.MODEL_MODULES)


@pytest.mark.parametrize(("source", "expected"), [
    # the back door the self-test once used to build the window from mdt
    ('import importlib\nimportlib.import_module("ui.app")', [(2, "ui.app")]),
    ('import importlib as il\nil.import_module("PySide6.QtWidgets")', [(2, "PySide6.QtWidgets")]),
    ('from importlib import import_module\nimport_module("ui" + ".app")', [(2, "ui.app")]),
    ('from importlib import import_module as load\nload(name=f"ui.app")', [(2, "ui.app")]),
    ('__import__("shiboken6")', [(1, "shiboken6")]),
    ('import builtins\nbuiltins.__import__("ui")', [(2, "ui")]),
    ('import importlib\nimportlib.import_module(NAME)', [(2, None)]),
    ('import importlib.metadata\nimportlib.metadata.version("pydicom")', []),
    ('import pydicom', []),
])
def test_dynamic_imports_are_found_however_they_are_written(source: str,
                                                            expected: list[tuple[int, str | None]]) -> None:
    assert _dynamic_imports(source) == expected


def test_importing_every_mdt_module_loads_no_qt() -> None:
    """Catches indirect imports too: import all of mdt in a fresh interpreter."""
    code = (
        "import importlib, pkgutil, sys, mdt\n"
        "for m in pkgutil.walk_packages(mdt.__path__, 'mdt.'):\n"
        "    if '.migrations' in m.name: continue\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('PySide6','shiboken6','ui'))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------------------- one door (issue 16)

UI_DATABASE_NAMES = ("Database", "open_database", "MdtService")
"""Names ui code may not call or name as a value: the window holds a ``Door`` and the services
it hands out (``door.service``, ``service.fork``, ``service.acting_as``), never the database,
and never builds a service over a database of its own.  (Annotations may name MdtService.)"""


def _database_touches(source: str, filename: str = "<test>") -> list[tuple[int, str]]:
    """(line, what) of every place that reaches the database past the service: reading or
    writing an attribute called ``db`` (``service.db``, ``self.db``), calling ``Database`` /
    ``open_database`` / ``MdtService`` (however imported), or importing the store."""
    tree = ast.parse(source, filename=filename)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "db":
            found.append((node.lineno, f"{ast.unparse(node)}"))
        elif isinstance(node, ast.Call):
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
            if name in UI_DATABASE_NAMES:
                found.append((node.lineno, f"{name}(…)"))
        elif isinstance(node, ast.ImportFrom) and node.module and (
                node.module.startswith("mdt.store") or node.module.startswith("sqlalchemy")):
            found.append((node.lineno, f"from {node.module} import …"))
        elif isinstance(node, ast.ImportFrom) and node.module == "mdt.services":
            found += [(node.lineno, f"import {a.name}") for a in node.names
                      if a.name in ("Database", "open_database")]
    return found


def test_ui_never_touches_the_database_past_the_service() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{line}: {what}"
                 for path in sorted((ROOT / "ui").rglob("*.py"))
                 for line, what in _database_touches(path.read_text(encoding="utf-8"), str(path))]
    assert offenders == []


@pytest.mark.parametrize("source, found", [
    ("rows = list_series(self.service.db, pid)", ["self.service.db"]),
    ("db, actor = service.db, service.actor", ["service.db"]),
    ("self.db = db", ["self.db"]),
    ("svc = MdtService(db, actor)", ["MdtService(…)"]),
    ("svc = services.MdtService(door, actor)", ["MdtService(…)"]),
    ("d = open_database(url)", ["open_database(…)"]),
    ("from mdt.store.db import open_database", ["from mdt.store.db import …"]),
    ("from sqlalchemy.engine import make_url", ["from sqlalchemy.engine import …"]),
    ("worker = self.service.fork()", []),
    ("self.service = self.service.acting_as(actor)", []),
    ("def load(service: MdtService) -> None: ...", []),
    ("dialog = SignInDialog(self.service.door)", []),
])
def test_database_touches_are_found_however_they_are_written(source: str, found: list[str]) -> None:
    assert [what for _line, what in _database_touches(source)] == found


# --------------------------------------------------------------------------- the imaging index

SQL_KEYWORD = re.compile(r"^\s*(select|insert|update|delete|create|drop|alter|pragma|with)\b", re.IGNORECASE)
TABLE_NAME = re.compile(r"\b(dicom_\w+|patients?|reviews?|review_versions?|meetings?|members?|audit_\w+)\b",
                        re.IGNORECASE)
"""A string holds SQL when it opens with a statement and names a table of the schema."""
RAW_SQL_CALLS = ("text", "exec_driver_sql", "literal_column", "TextClause")


def _untyped_store_access(source: str, filename: str = "<test>") -> list[tuple[int, str]]:
    """(line, what) of every way a module can reach the database untyped: SQL written as text
    (``text(...)``, ``exec_driver_sql``, a string that reads as a statement), a ``type: ignore``
    comment, or a ``db`` / ``session`` parameter that is not annotated with a type."""
    found: list[tuple[int, str]] = []
    for lineno, line in enumerate(source.splitlines(), 1):
        if "type: ignore" in line:
            found.append((lineno, "type: ignore"))
    tree = ast.parse(source, filename=filename)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
            if name in RAW_SQL_CALLS:
                found.append((node.lineno, f"{name}(…)"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                SQL_KEYWORD.search(node.value) and TABLE_NAME.search(node.value):
            found.append((node.lineno, "SQL in a string"))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for a in node.args.args + node.args.kwonlyargs:
                if a.arg in ("db", "session", "s") and a.annotation is None:
                    found.append((node.lineno, f"untyped {a.arg}"))
    return found


def test_imaging_index_reaches_the_database_typed_and_through_its_models() -> None:
    """The DICOM index is one implementation area behind the service (``MdtService.list_series``,
    ``find_instance``, ``import_dicom``): typed ``Database`` and mapped models, no SQL text and
    no silenced type errors."""
    path = ROOT / "mdt" / "imaging" / "index.py"
    assert _untyped_store_access(path.read_text(encoding="utf-8"), str(path)) == []


@pytest.mark.parametrize("source, found", [
    ('session.execute(text("SELECT path FROM dicom_file"))', ["text(…)", "SQL in a string"]),
    ('conn.exec_driver_sql("delete from dicom_file where 1")', ["exec_driver_sql(…)", "SQL in a string"]),
    ("with db.read() as session:  # type: ignore[attr-defined]\n    pass", ["type: ignore"]),
    ("def list_series(db, patient_id: str) -> list: ...", ["untyped db"]),
    ("def list_series(db: Database, patient_id: str) -> list: ...", []),
    ("session.execute(select(DicomFileModel.path).where(DicomFileModel.size > 0))", []),
    ('QUERY = "select path, size from dicom_file"', ["SQL in a string"]),
    ('label = QLabel("Select a series from the list")', []),
    ('"""Series are deleted and rewritten whole; an unknown patient is created on request."""', []),
])
def test_untyped_store_access_is_found_however_it_is_written(source: str, found: list[str]) -> None:
    assert [what for _line, what in _untyped_store_access(source)] == found


# --------------------------------------------------------------------------- writes go through Ops

SERVICE_READS = frozenset({
    "acting_as", "audit_events", "audit_head", "export_case", "find_instance", "fork", "get_case",
    "get_meeting", "get_member", "get_patient", "get_review", "list_meetings", "list_members",
    "list_patients", "list_reviews", "list_series", "member_states", "on_database_wait",
    "panel_context", "patient_history", "review_history", "setting_values", "settings",
    "signed_minutes", "verify_audit"})
SERVICE_WRITES = frozenset({
    "add_member", "add_review", "amend_meeting", "amend_review", "archive_patient", "bind_os_account",
    "cast_vote", "change_password", "create_meeting", "create_patient", "import_cases",
    "import_certificate", "import_dicom", "record_decision", "reset_password", "save_review",
    "set_agenda", "set_follow_up", "set_setting", "set_treatment", "sign_meeting", "unarchive_patient",
    "update_meeting", "update_member", "update_patient", "withdraw_vote"})
BACKGROUND_WRITES = {"ui/viewer/import_dialog.py": {"import_dicom"}}
"""Writes that run as a cancellable background task with progress (ui.tasks), by file."""


def test_every_service_method_is_known_as_a_read_or_a_write() -> None:
    """A new method of the service is classified here, so the check below cannot miss a write."""
    from mdt.services import MdtService

    public = {n for n, v in vars(MdtService).items() if not n.startswith("_") and callable(v)}
    assert public == SERVICE_READS | SERVICE_WRITES
    assert not SERVICE_READS & SERVICE_WRITES


def _direct_writes(source: str, filename: str = "<test>") -> list[tuple[int, str]]:
    """(line, method) of every service write called outside an ``ops.call``/``ops.run`` operation:
    a write must be written inside a lambda (or a nested function) handed to ``.call(`` or ``.run(``."""
    tree = ast.parse(source, filename=filename)
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("call", "run"):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if isinstance(arg, ast.Lambda):
                    inside.update(id(n) for n in ast.walk(arg))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in SERVICE_WRITES and id(node) not in inside and \
                not (isinstance(node.func.value, ast.Name) and node.func.value.id == "review_ops"):
            # mdt.review_ops functions are the operations themselves (handed to Ops by the editor).
            found.append((node.lineno, node.func.attr))
    return found


def test_the_window_writes_only_through_ops() -> None:
    """Every write from ui/ runs as an operation of ``ui.ops.Ops`` (off the GUI thread, one failure
    display, one typed signal), or as a named background task."""
    offenders = []
    for path in sorted((ROOT / "ui").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        allowed = BACKGROUND_WRITES.get(rel, set())
        offenders += [f"{rel}:{line}: {name}" for line, name in
                      _direct_writes(path.read_text(encoding="utf-8"), str(path)) if name not in allowed]
    assert offenders == []


@pytest.mark.parametrize("source, found", [
    ("row = self.service.create_patient(p, proto)", [(1, "create_patient")]),
    ("rec = service.save_review(1, r, 2, 'why')", [(1, "save_review")]),
    ("self.ops.call('x', lambda s: s.save_review(1, r, 2, 'why'))", []),
    ("ops.run('x', lambda s: s.set_agenda(m, items), shown_in=say)", []),
    ("apply_and_push(stack, 't', lambda: ops.call('x', lambda s: s.set_agenda(m, new)),\n"
     "               lambda: self.service.set_agenda(m, old))", [(2, "set_agenda")]),
    ("rows = self.service.list_patients()", []),
    ("return review_ops.record_decision(service, base, d, reason)", []),
])
def test_direct_writes_are_found_however_they_are_written(source: str, found: list[tuple[int, str]]) -> None:
    assert _direct_writes(source) == found
