"""Alembic environment.

The application runs migrations through ``mdt.store.db.migrate`` which passes
its own connection in ``config.attributes["connection"]`` (one transaction,
SQLite foreign keys off).  A developer can also run Alembic from the command
line with ``-x url=sqlite:///file.db``.
"""

from __future__ import annotations

import importlib

from alembic import context

from mdt.store import MODEL_MODULES
from mdt.store.models import Base

for _name in MODEL_MODULES:
    # Needed only to compare models with the schema (alembic check/autogenerate);
    # an upgrade must never fail because another package's module moved.
    try:
        importlib.import_module(_name)
    except ImportError:  # pragma: no cover
        pass

target_metadata = Base.metadata


def _include_object(obj: object, name: str | None, type_: str, reflected: bool,
                    compare_to: object | None) -> bool:
    # Tables of a later migration whose model module is not imported
    # here are not "to be dropped".
    if type_ == "table" and reflected and compare_to is None:
        return False
    return True


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite ALTERs go through batch mode
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url")
    if not url:
        raise SystemExit("pass the database with: alembic -x url=sqlite:///file.db ...")
    from mdt.store.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


# Only run inside Alembic: a plain import (e.g. a test walking every module) does nothing.
if hasattr(context, "config"):
    if context.is_offline_mode():
        raise SystemExit("offline (SQL script) mode is not supported; run against a database")
    run_migrations_online()
