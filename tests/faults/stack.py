"""The production shape on loopback ports, for fault tests: gunicorn (WSGI) for HTTP, Daphne
for ``/ws/``, a Celery worker and Celery beat, each its own process, on the test database
(PostgreSQL) and on Redis servers the test owns -- one for the cache and channel layer, one
for the broker -- so a test can stop, freeze or kill any of them."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from startups.models import Startup
from tests.support import (
    PRODUCTION_ON_LOOPBACK,
    ROOT,
    RedisServer,
    free_port,
    process_env,
    processes_stop,
    realtime_command,
    wait_until_up,
)


def tests_database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Stack:
    def __init__(
        self, directory: Path, redis: RedisServer, broker: RedisServer, concurrency: int = 2
    ) -> None:
        self.directory = directory
        self.concurrency = concurrency  # the worker's pool processes
        self.redis = redis
        self.broker = broker
        self.web_port, self.ws_port = free_port(), free_port()
        self.web = f"http://127.0.0.1:{self.web_port}"
        self.ws = f"ws://127.0.0.1:{self.ws_port}"
        self.env = process_env(
            **PRODUCTION_ON_LOOPBACK,
            SECRET_KEY=settings.SECRET_KEY,  # tokens minted by the test are checked there
            DATABASE_URL=tests_database_url(),
            REDIS_URL=redis.url,
            CELERY_BROKER_URL=broker.url,
            DB_CONN_MAX_AGE="0",
            LOG_LEVEL="INFO",
            # Short clocks, so recovery happens within a test: a dead worker's tasks come back
            # after 5 s, the outbox sweep runs every 2 s for events 3 s old (never queued) or
            # 60 s (queued, not run: a task the broker lost), a failing dependency is skipped
            # for 1 s.
            CELERY_VISIBILITY_TIMEOUT="5",
            FEED_REDISPATCH_INTERVAL="2",
            FEED_REDISPATCH_AFTER="3",
            FEED_LOST_AFTER="60",
            CIRCUIT_BREAKER_COOLDOWN="1",
            # Webhooks to receivers on loopback; their sweep every 2 s, retries after ~1 s.
            WEBHOOKS_ALLOW_PRIVATE="1",
            WEBHOOKS_REDISPATCH_INTERVAL="2",
            WEBHOOKS_RETRY_BASE="1",
            # Rate limits count (in Redis, per process while it is away) but never refuse.
            **{
                f"RATE_LIMIT_{scope}": "100000/min"
                for scope in (
                    "ANON",
                    "USER",
                    "AUTH",
                    "APPLY",
                    "MESSAGES",
                    "CONNECTIONS",
                    "INTERACTIONS",
                )
            },
        )
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def _start(self, name: str, command: list[str]) -> None:
        log = (self.directory / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, start_new_session=True, stdout=log, stderr=log
        )

    def start(self) -> "Stack":
        python = sys.executable
        self._start("web", [python, "-m", "gunicorn", "collabhub.wsgi:application",
                            "--bind", f"127.0.0.1:{self.web_port}", "--workers", "2",
                            "--no-control-socket"])  # fmt: skip
        self._start("ws", realtime_command(self.ws_port))  # uvicorn, as deployed
        self.worker_start()
        self.beat_start()
        wait_until_up(f"{self.web}/live/")
        wait_until_up(f"http://127.0.0.1:{self.ws_port}/live/")
        return self

    def worker_start(self) -> None:
        self._start("worker", [sys.executable, "-m", "celery", "-A", "collabhub", "worker",
                               "--pool", "prefork", "--concurrency", str(self.concurrency),
                               "--without-mingle",
                               "--without-gossip", "--loglevel", "INFO"])  # fmt: skip

    def beat_start(self) -> None:
        self._start("beat", [sys.executable, "-m", "celery", "-A", "collabhub", "beat",
                             "--loglevel", "INFO",
                             "--schedule", str(self.directory / "beat-schedule")])  # fmt: skip

    def beat_stop(self) -> None:
        processes_stop([self.processes.pop("beat")])

    def worker_kill(self) -> None:
        """SIGKILL the worker and its pool: no warm shutdown, nothing acknowledged."""
        process = self.processes.pop("worker")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        processes_stop(self.processes.values())
        self.processes.clear()


def post(base: str, token: str, path: str, body: dict[str, Any]) -> tuple[int, float]:
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


def post_jobs(stack: Stack, founder: User, startup: Startup, count: int) -> list[tuple[int, float]]:
    """``count`` opportunities posted from 4 client threads; (status, seconds) of each."""
    token = str(RefreshToken.for_user(founder).access_token)
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def client(share: int) -> None:
        for index in range(share):
            body = {"startup": startup.pk, "title": f"Role {index}", "kind": "contract"}
            outcome = post(stack.web, token, "/opportunities/", body)
            with lock:
                results.append(outcome)

    shares = [count // 4 + (1 if i < count % 4 else 0) for i in range(4)]
    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
