"""Helpers for tests that start the project in another process."""

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG")


def process_env(**overrides: str) -> dict[str, str]:
    """This environment without the service variables, with the real settings module and
    ``overrides`` on top (so each test says exactly which services its process uses)."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env["DJANGO_SETTINGS_MODULE"] = "collabhub.settings"
    env.update(overrides)
    return env


def run_python(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", script]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def free_port() -> int:
    """A loopback port nothing listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def celery_pools_reset() -> None:
    """Forget Celery's cached connection and producer pools and result backend, after a test
    changed the broker or backend: they are made lazily for the configuration at first use,
    and kept."""
    import kombu.pools

    from collabhub.celery import app

    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)  # the result backend, chosen at first use too


def wait_until_up(url: str, timeout: float = 40) -> None:
    """Poll ``url`` until it answers (a server started by a test)."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")
