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

# Argon2 at RFC 9106 parameters costs ~85 ms a hash; in-process tests sign in hundreds of
# times, so they use the cheapest Argon2id parameters (bench/bench_signin.py measures the
# real ones).  Hashes carry their parameters, so verification is unaffected.
from argon2 import Parameters, Type  # noqa: E402

import mdt.auth  # noqa: E402

mdt.auth.PARAMETERS = Parameters(type=Type.ID, version=19, salt_len=16, hash_len=32,
                                 time_cost=1, memory_cost=8, parallelism=1)
