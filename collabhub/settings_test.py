"""Test settings: the same module, with a fast hasher and per-worker isolation."""

import os

os.environ.setdefault("SECRET_KEY", "collabhub-test-secret-key-not-for-production")
# Required with DEBUG off, as in production; tests send it to /metrics/ and /health/.
os.environ.setdefault("METRICS_TOKEN", "collabhub-test-metrics-token")

from collabhub.settings import *  # noqa: F403
from collabhub.settings import (
    CACHES,
    CHANNEL_LAYERS,
    DATABASES,
    REDIS_AVAILABLE,
    REDIS_URL,
    STORAGES,
)

# The test client speaks plain HTTP: no redirect to HTTPS (tests of it override this).
SECURE_SSL_REDIRECT = False

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each pytest-xdist worker gets its own Redis database, so cache.clear() in one worker never
# wipes another's keys.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0"
if REDIS_AVAILABLE:
    _redis_db = 1 + int(_worker) % 15
    _base = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.count("/") > 2 else REDIS_URL
    CACHES["default"]["LOCATION"] = f"{_base}/{_redis_db}"
    # ... and its own channel layer: a group (everyone, analytics) reaches one worker's sockets.
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"asgi-test-{_worker}"  # type: ignore[index]

# Connections opened by ASGI worker threads (WebSocket tests) must not outlive their use, or
# the test database cannot be dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0

# Analytics counts are flushed by the caller (tests/analytics checks the background thread
# on its own): a thread writing outside each test's transaction would leak rows between tests.
ANALYTICS_BACKGROUND_FLUSH = False

# Webhook deliveries in tests go to receivers on 127.0.0.1, and are sent by the caller (the
# background thread of the embedded defaults is checked on its own in tests/webhooks).
WEBHOOKS_ALLOW_PRIVATE = True
WEBHOOKS_BACKGROUND = False

# Tests run tasks in-process; the broker itself is exercised by the service-backed checks.
CELERY_TASK_ALWAYS_EAGER = True

# No collectstatic in tests: WhiteNoise looks files up per request instead of at start-up.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True  # a server started by a test serves the apps' files too
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# seed_demo refuses the public demo password when DEBUG is off (as it is in tests).
DEMO_PASSWORD = "collabhub-test-demo-password"  # noqa: S105
