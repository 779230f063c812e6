"""WebSocket fan-out benchmark: 1,000 sockets on the Redis channel layer.

    .venv/bin/python bench/ws_fanout.py                # or: make bench-ws  (about a minute)
    .venv/bin/python bench/ws_fanout.py --clients 300

Starts a throwaway PostgreSQL 15 + Redis (``scripts/services.sh``) and ``--servers`` Daphne
processes (2: one per core here, as the realtime Deployment runs 2 replicas) serving the ASGI
application with the channels-redis layer, creates the users, and opens one authenticated
socket per user, spread over the servers (single-use tickets, as real clients do) from this process.
Then, sending through the channel layer as the fan-out task does:

* 20 broadcasts to every socket (``realtime.services.socket_broadcast``): the time until
  *all* sockets have each one -- p50 / p99 over the 20;
* 100 messages to one user while all sockets stay open (``realtime.services.socket_push``):
  the time until that socket has it -- p50 / p99.
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


async def measure(args: argparse.Namespace, ports: list[int]) -> dict[str, Any]:
    from asgiref.sync import sync_to_async
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.core.management import call_command
    from websockets.asyncio.client import connect

    from accounts.models import User
    from realtime import services as realtime

    await sync_to_async(call_command)("migrate", verbosity=0)
    users = await sync_to_async(
        lambda: User.objects.bulk_create(
            User(email=f"ws{i}@bench.invalid", name=f"WS {i}", password=UNUSABLE_PASSWORD_PREFIX)
            for i in range(args.clients)
        )
    )()
    tickets = [await sync_to_async(realtime.ticket_issue)(user_id=u.pk) for u in users]
    sockets = []
    started = time.perf_counter()
    for n, ticket in enumerate(tickets):  # one by one, spread over the servers
        port = ports[n % len(ports)]
        url, origin = f"ws://127.0.0.1:{port}/ws/?ticket={ticket}", f"http://127.0.0.1:{port}"
        sockets.append(await connect(url, origin=origin))
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(1)

    async def receive(socket: Any) -> float:
        await socket.recv()
        return time.perf_counter()

    broadcast_ms = []
    for n in range(args.broadcasts):
        waiting = [asyncio.create_task(receive(socket)) for socket in sockets]
        await asyncio.sleep(0.05)  # every receiver is waiting
        sent = time.perf_counter()
        await sync_to_async(realtime.socket_broadcast)(message={"type": "announcement", "id": n})
        done = await asyncio.gather(*waiting)
        broadcast_ms.append((max(done) - sent) * 1000)

    one_ms = []
    for n in range(args.singles):
        index = (n * 37) % len(sockets)
        waiting = asyncio.create_task(receive(sockets[index]))
        await asyncio.sleep(0.005)
        sent = time.perf_counter()
        await sync_to_async(realtime.socket_push)(
            user_ids=[users[index].pk], message={"type": "message", "id": n}
        )
        one_ms.append((await waiting - sent) * 1000)

    for socket in sockets:
        await socket.close()
    return {
        "clients": len(sockets),
        "connect_seconds": round(connect_seconds, 1),
        "broadcast_ms": broadcast_ms,
        "one_ms": one_ms,
    }


def child(args: argparse.Namespace) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")
    django.setup()
    ports = [int(port) for port in args.ports.split(",")]
    print(json.dumps(asyncio.run(measure(args, ports))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--broadcasts", type=int, default=20)
    parser.add_argument("--singles", type=int, default=100)
    parser.add_argument("--servers", type=int, default=2, help="Daphne processes (2).")
    parser.add_argument("--ports", default="", help=argparse.SUPPRESS)
    args = arguments_or_child(parser, child)
    if args is None:
        return
    from run import daphne_servers, services

    print(machine_line())
    with services() as running:
        env = production_env(DB_CONN_MAX_AGE="0", **running.urls)
        with daphne_servers(env, args.servers) as ports:
            command = [sys.executable, __file__, "--child", "--ports", ",".join(map(str, ports))]
            command += ["--clients", str(args.clients), "--broadcasts", str(args.broadcasts)]
            command += ["--singles", str(args.singles)]
            out = subprocess.run(  # noqa: S603 - our own script
                command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
            )
    if out.returncode != 0:
        raise SystemExit(f"ws benchmark failed:\n{out.stderr[-4000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    b, o = result["broadcast_ms"], result["one_ms"]
    print(f"Daphne ({args.servers} process(es)) + channels-redis: {result['clients']} sockets open "
          f"(connected one by one in {result['connect_seconds']} s)")  # fmt: skip
    print(f"  broadcast to all ({len(b)}x): p50 {statistics.median(b):.0f} ms, "
          f"p99 {percentile(b, 99):.0f} ms, max {max(b):.0f} ms  (goal p99 <= 300 ms)")  # fmt: skip
    print(f"  one user        ({len(o)}x): p50 {statistics.median(o):.1f} ms, "
          f"p99 {percentile(o, 99):.1f} ms, max {max(o):.1f} ms  (goal p99 <= 50 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
