"""Live dashboard benchmark: how long after a ``metric_update`` is published it reaches the
staff's sockets, on Daphne + channels-redis + PostgreSQL, with ordinary sockets open too.

    .venv/bin/python bench/analytics_live.py            # or: make bench-analytics-live
    .venv/bin/python bench/analytics_live.py --staff 5 --members 200 --seconds 10

Starts a throwaway PostgreSQL 15 + Redis (``scripts/services.sh``) and one Daphne process
publishing every 0.5 s (``ANALYTICS_LIVE_INTERVAL``), creates the users and opens their
sockets (single-use tickets); the staff's subscribe to ``analytics`` as the dashboard does.
For ``--seconds`` it then reads every ``metric_update`` on the staff's sockets: delivery =
the moment a socket has it - the ``published_at`` the publisher stamped just before sending
(one clock: one machine). The goal: p99 <= 100 ms.

Baseline, same run: a bare push of a tiny message to the same group from this process
(``realtime.services.socket_group_push``), timed from just before the send to its arrival on
every staff socket -- the channel layer and the socket alone; the update's own cost is the
difference. Also timed here: building one snapshot (``analytics.live.live_snapshot``) on this
database, which the publishing process pays every period.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from common import arguments_or_child, machine_line, percentile, production_env  # noqa: E402

INTERVAL = 0.5  # seconds between metric updates in the server


async def measure(args: argparse.Namespace, port: int) -> dict[str, Any]:
    from asgiref.sync import sync_to_async
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from websockets.asyncio.client import connect

    from accounts.models import User
    from analytics.live import live_snapshot
    from realtime.messages import ANALYTICS_GROUP, socket_message
    from realtime.services import socket_group_push, ticket_issue

    def make_users() -> list[User]:
        return User.objects.bulk_create(
            User(email=f"live{i}@bench.invalid", name=f"Live {i}", is_staff=i < args.staff,
                 password=UNUSABLE_PASSWORD_PREFIX)
            for i in range(args.staff + args.members)
        )  # fmt: skip

    users = await sync_to_async(make_users)()
    origin = f"http://127.0.0.1:{port}"
    sockets = []
    # Staff last, and only updates published after the reading starts count: an update that
    # waited in a socket's buffer while the others connected is not a slow delivery.
    for user in reversed(users):
        ticket = await sync_to_async(ticket_issue)(user_id=user.pk)
        sockets.append(await connect(f"ws://127.0.0.1:{port}/ws/?ticket={ticket}", origin=origin))
    staff = sockets[-args.staff :]
    for socket in staff:  # as the dashboard does
        await socket.send(json.dumps({"type": "subscribe", "group": ANALYTICS_GROUP}))
        while json.loads(await socket.recv())["type"] != "subscribed":
            pass

    # Metric updates as they come, for --seconds.
    delivery_ms: list[float] = []

    async def read(socket: Any, until: float) -> None:
        while (left := until - time.monotonic()) > 0:
            try:
                raw = await asyncio.wait_for(socket.recv(), left)
            except TimeoutError:
                return
            arrived = time.time()
            message = json.loads(raw)
            if message["type"] == "metric_update" and message["data"]["published_at"] > start:
                delivery_ms.append((arrived - message["data"]["published_at"]) * 1000)

    start = time.time()
    until = time.monotonic() + args.seconds
    await asyncio.gather(*(read(socket, until) for socket in staff))
    updates = len(delivery_ms) // max(1, len(staff))

    # The baseline: a bare push to the group, between two updates.
    bare_ms: list[float] = []

    async def bare_arrival(socket: Any, n: int) -> float:
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == "bench_probe" and message["data"] == n:
                return time.time()

    for n in range(args.probes):
        waiting = [asyncio.create_task(bare_arrival(socket, n)) for socket in staff]
        await asyncio.sleep(0.01)
        sent = time.time()
        message = socket_message(type="bench_probe", id=None, data=n)
        await sync_to_async(socket_group_push)(group=ANALYTICS_GROUP, message=message)
        arrived = await asyncio.gather(*waiting)
        bare_ms += [(at - sent) * 1000 for at in arrived]

    for socket in sockets:
        await socket.close()

    snapshot_ms = []
    for _ in range(20):
        started = time.perf_counter()
        await sync_to_async(live_snapshot)()
        snapshot_ms.append((time.perf_counter() - started) * 1000)
    return {
        "sockets": len(sockets),
        "updates_per_socket": updates,
        "delivery_ms": delivery_ms,
        "bare_ms": bare_ms,
        "snapshot_ms": snapshot_ms,
    }


def child(args: argparse.Namespace) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")
    django.setup()
    print(json.dumps(asyncio.run(measure(args, int(args.port)))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--staff", type=int, default=10, help="staff sockets (10)")
    parser.add_argument("--members", type=int, default=500, help="other sockets open (500)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--probes", type=int, default=40, help="bare pushes (40)")
    parser.add_argument("--port", default="", help=argparse.SUPPRESS)
    args = arguments_or_child(parser, child)
    if args is None:
        return
    from run import asgi_servers, run_checked, services

    print(machine_line())
    with services() as running:
        env = production_env(
            DB_CONN_MAX_AGE="0", ANALYTICS_LIVE_INTERVAL=str(INTERVAL), **running.urls
        )
        manage = [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"]
        run_checked(manage, {**env, "DB_STATEMENT_TIMEOUT_MS": "0"}, "migrate")
        with asgi_servers(env, 1) as (port,):
            command = [sys.executable, __file__, "--child", "--port", str(port)]
            for name in ("staff", "members", "seconds", "probes"):
                command += [f"--{name}", str(getattr(args, name))]
            out = subprocess.run(  # noqa: S603 - our own script
                command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
            )
    if out.returncode != 0:
        raise SystemExit(f"live analytics benchmark failed:\n{out.stderr[-4000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    d, b, s = result["delivery_ms"], result["bare_ms"], result["snapshot_ms"]
    p99 = percentile(d, 99)
    print(f"Daphne (1 process) + channels-redis + PostgreSQL: {result['sockets']} sockets open, "
          f"{args.staff} of them staff; a metric_update every {INTERVAL} s")  # fmt: skip
    print(f"  metric_update delivery ({len(d)}: {result['updates_per_socket']} per staff socket): "
          f"p50 {statistics.median(d):.1f} ms, p99 {p99:.1f} ms, max {max(d):.1f} ms "
          f"({'meets' if p99 <= 100 else 'MISSES'} 100 ms)")  # fmt: skip
    print(f"  baseline, a bare group push ({len(b)}): p50 {statistics.median(b):.1f} ms, "
          f"p99 {percentile(b, 99):.1f} ms; update p50 = "
          f"{statistics.median(d) / statistics.median(b):.2f}x the bare push")  # fmt: skip
    print(f"  building one snapshot: p50 {statistics.median(s):.1f} ms, "
          f"p95 {percentile(s, 95):.1f} ms (paid each period)")  # fmt: skip


if __name__ == "__main__":
    main()
