"""Storage: SQLAlchemy models, engine/session set-up, Alembic migrations, audit trail.

``MODEL_MODULES`` lists the modules that declare tables on ``models.Base``; the
Alembic environment imports them all so ``alembic check`` sees the whole schema.
A module adding tables appends its name here.
"""

from __future__ import annotations

MODEL_MODULES: list[str] = ["mdt.store.models", "mdt.imaging.index_models"]
