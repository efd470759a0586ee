#!/usr/bin/env bash
# Sets up everything the tests need (system packages, PostgreSQL, .venv with
# requirements-dev.txt) and runs the whole suite: lint, type check of mdt, architecture contracts,
# unit/property/UI tests on SQLite and a temporary PostgreSQL cluster, and (on
# CI, or with MDT_BUILD_BUNDLE=1) the packaged-executable build and its self-test.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev

export QT_QPA_PLATFORM=offscreen
export PYTHONDONTWRITEBYTECODE=1
if [ "${CI:-}" = "true" ]; then export MDT_BUILD_BUNDLE="${MDT_BUILD_BUNDLE:-1}"; fi

echo "== ruff"
.venv/bin/ruff check .
echo "== mypy (mdt and the window's write seam)"
.venv/bin/mypy
echo "== import contract"
.venv/bin/lint-imports --no-cache
echo "== pytest"
exec .venv/bin/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider "$@"
