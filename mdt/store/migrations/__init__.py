"""Alembic migrations (a package so PyInstaller collects the scripts)."""
