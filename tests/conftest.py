"""Suite-wide test settings.

Every test runs with Qt offscreen and with the application's data directory
pointed at a temporary folder, so no test can touch a real user's database.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["MDT_DATA_DIR"] = tempfile.mkdtemp(prefix="mdt-test-data-")
os.environ.pop("MDT_DATABASE_URL", None)

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
