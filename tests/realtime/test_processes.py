"""Across processes, as deployed: the API served by gunicorn, the WebSocket by Daphne, the
fan-out by a Celery worker -- three processes sharing PostgreSQL and Redis (broker, channel
layer, cache). An API call in one process reaches a WebSocket client connected to another,
which the in-memory channel layer cannot do.

It needs Redis, so it runs in the service-backed run (where REQUIRE_SERVICES=1 makes Redis
mandatory: a missing Redis fails that run instead of skipping this).
"""

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken
from websockets.sync.client import connect

from tests.accounts.factories import UserFactory
from tests.support import (
    PRODUCTION_ON_LOOPBACK,
    ROOT,
    free_port,
    process_env,
    processes_stop,
    realtime_command,
    reply_of,
    wait_until_up,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_AVAILABLE, reason="needs Redis: runs in the service-backed run"
    ),
]


@pytest.fixture
def stack() -> Iterator[dict[str, Any]]:
    db = settings.DATABASES["default"]
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    # This test's own Redis database (as for the cache): nothing shared with other tests.
    redis_url = settings.CACHES["default"]["LOCATION"]
    env = process_env(
        **PRODUCTION_ON_LOOPBACK,
        SECRET_KEY=settings.SECRET_KEY,  # the tokens minted here are checked there
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DB_CONN_MAX_AGE="0",
        LOG_LEVEL="WARNING",
    )
    web, ws = free_port(), free_port()
    commands = [
        [sys.executable, "-m", "gunicorn", "collabhub.wsgi:application", "--bind",
         f"127.0.0.1:{web}", "--workers", "1", "--no-control-socket"],
        realtime_command(ws),  # uvicorn, as deployed
        [sys.executable, "-m", "celery", "-A", "collabhub", "worker", "--pool", "solo",
         "--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
    ]  # fmt: skip
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, **quiet)
        for command in commands
    ]
    try:
        wait_until_up(f"http://127.0.0.1:{web}/live/")
        wait_until_up(f"http://127.0.0.1:{ws}/live/")
        yield {"web": f"http://127.0.0.1:{web}", "ws": f"ws://127.0.0.1:{ws}", "ws_port": ws}
    finally:
        processes_stop(processes)


def post(url: str, token: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body or {}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "X-Request-ID": "req-cross-process-1"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def test_an_api_call_in_one_process_reaches_a_socket_in_another(stack: dict[str, Any]) -> None:
    ada, grace = UserFactory(name="Ada"), UserFactory(name="Grace")
    ada_token = str(RefreshToken.for_user(ada).access_token)
    grace_token = str(RefreshToken.for_user(grace).access_token)

    ticket = post(f"{stack['web']}/api/v1/realtime/ticket/", ada_token)["ticket"]
    origin = f"http://127.0.0.1:{stack['ws_port']}"
    with connect(f"{stack['ws']}/ws/?ticket={ticket}", origin=origin, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "ping"}))
        assert reply_of(json.loads(socket.recv(timeout=10))) == {"type": "pong"}

        # gunicorn commits the follow and queues the fan-out on Redis; the worker runs it and
        # pushes through the Redis channel layer to Daphne, which holds Ada's socket.
        post(f"{stack['web']}/api/v1/users/{ada.pk}/follow/", grace_token)

        message = json.loads(socket.recv(timeout=20))
    assert message["type"] == "notification"
    assert message["data"]["event"]["description"] == "Grace followed Ada"
    assert message["request_id"] == "req-cross-process-1"
