"""PostgreSQL stopped and frozen under the production shape (gunicorn, persistent
connections): the API answers 503 ``service_unavailable`` within its deadline, /live/ stays
200, /ready/ says 503 within its timeout, and when the database is back the next request
succeeds -- no restart of gunicorn.

Runs in the service-backed run (CI's PostgreSQL + Redis pass), against a cluster of its own.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.support import (
    PRODUCTION_ON_LOOPBACK,
    ROOT,
    PostgresServer,
    free_port,
    process_env,
    wait_until_up,
)

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(
        settings.DATABASE_VENDOR != "postgresql",
        reason="production shape on PostgreSQL: runs in the service-backed run",
    ),
]


def get(url: str, timeout: float = 20) -> tuple[int, dict[str, Any], dict[str, str], float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status, raw, headers = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        status, raw, headers = exc.code, exc.read(), dict(exc.headers)
    return status, json.loads(raw or b"{}"), headers, time.perf_counter() - started


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    # Not under pytest's tmp_path: the server runs as the postgres user, who cannot enter it.
    pg = PostgresServer(Path(tempfile.mkdtemp(prefix="collabhub-faults-pg-")))
    pg.create()
    env = process_env(**PRODUCTION_ON_LOOPBACK, SECRET_KEY="faults-secret-key", DATABASE_URL=pg.url,
                      LOG_LEVEL="WARNING", HEALTH_CHECK_TIMEOUT="2")  # fmt: skip
    migrate = [sys.executable, "manage.py", "migrate", "--no-input"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, capture_output=True, timeout=180)
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "collabhub.wsgi:application",
               "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60",
               "--no-control-socket"]  # fmt: skip
    log = (Path(pg.directory) / "gunicorn.log").open("wb")
    web = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stdout=log,
                           stderr=subprocess.STDOUT)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/live/")
        yield {"base": base, "pg": pg, "log": Path(pg.directory) / "gunicorn.log"}
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=20)
        pg.stop()
        shutil.rmtree(pg.directory, ignore_errors=True)


def assert_fails_fast_with_503(base: str, deadline: float) -> None:
    for path in ("/api/v1/startups/", "/api/v1/opportunities/?search=python"):
        status, body, headers, seconds = get(base + path)
        assert status == 503, (path, status, body)
        assert body["error"]["code"] == "service_unavailable"
        assert headers["Retry-After"] == "5"
        assert seconds <= deadline, (path, seconds)
        print(f"{path}: 503 in {seconds:.2f}s")
    status, body, _, seconds = get(base + "/live/")
    assert (status, seconds < 0.5) == (200, True), seconds
    status, body, _, seconds = get(base + "/ready/")
    assert status == 503 and body["status"] == "not_ready"
    assert seconds < 3, seconds  # HEALTH_CHECK_TIMEOUT (2 s): a probe never hangs


def assert_serves_again(base: str) -> None:
    statuses = [get(base + "/api/v1/startups/")[0] for _ in range(4)]  # both workers
    assert statuses == [200] * 4
    assert get(base + "/ready/")[0] == 200


def test_a_stopped_database_is_a_fast_503_and_its_return_needs_no_restart(
    stack: dict[str, Any],
) -> None:
    base, pg = stack["base"], stack["pg"]
    assert_serves_again(base)  # persistent connections open in both workers

    pg.stop()
    try:
        assert_fails_fast_with_503(base, deadline=3)
    finally:
        pg.start()

    assert_serves_again(base)
    log = stack["log"].read_bytes()
    assert b'"status_code": 500' not in log and b"server_error" not in log


def test_a_frozen_database_is_a_503_within_the_deadline_not_a_hang(
    stack: dict[str, Any],
) -> None:
    base, pg = stack["base"], stack["pg"]
    assert_serves_again(base)

    pg.freeze()
    try:
        # Connection check (1 s) + connect timeout (2 s), or the query deadline (3.25 s).
        assert_fails_fast_with_503(base, deadline=5)  # the bound, with room for a busy CI
    finally:
        pg.thaw()

    assert_serves_again(base)


def test_a_commit_to_a_frozen_database_fails_at_the_deadline(
    stack: dict[str, Any], django_db_blocker: Any
) -> None:
    """COMMIT and ROLLBACK reach psycopg without Django's execute wrappers: they get the
    deadline too, so a write whose server freezes before its commit cannot hang a worker."""
    from django.db import OperationalError
    from django.db.utils import ConnectionHandler

    handler = ConnectionHandler(
        {"default": {"ENGINE": "core.db.postgresql", "NAME": "collabhub",
                     "USER": "collabhub", "HOST": "127.0.0.1", "PORT": stack["pg"].port}}
    )  # fmt: skip
    database = handler["default"]  # a connection of its own to the test's cluster
    with django_db_blocker.unblock():
        database.set_autocommit(False)
        with database.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS t (x int)")
            cursor.execute("INSERT INTO t VALUES (1)")
        stack["pg"].freeze()
        try:
            started = time.perf_counter()
            with pytest.raises(OperationalError):
                database.commit()
            seconds = time.perf_counter() - started
        finally:
            stack["pg"].thaw()
            database.close()
    assert seconds < 3.25 + 1, seconds  # the deadline (statement timeout 3 s + 0.25 s)
    assert_serves_again(stack["base"])
