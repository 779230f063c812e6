"""WebSocket fan-out benchmark: 1,000 sockets on the Redis channel layer, ours against a bare
Channels consumer measured in the same run.

    .venv/bin/python bench/ws_fanout.py                # or: make bench-ws  (about two minutes)
    .venv/bin/python bench/ws_fanout.py --servers 2 --server daphne

Starts a throwaway PostgreSQL 15 + Redis (``scripts/services.sh``). First the baseline:
``--servers`` uvicorn processes (uvloop, httptools, websockets) serving ``bench/ws_bare.py``, a
bare Channels consumer that joins the ``everyone`` group and the user's group and forwards what
they receive; then the same number of ``--server`` processes (uvicorn, as deployed, or Daphne)
serving the ASGI application. Each time it creates the users and opens one socket per user
(ours with single-use tickets, as real clients do), spread over the servers, from this process.
Then, sending through the channel layer as the fan-out task does:

* 50 broadcasts to every socket (``realtime.services.socket_broadcast``): the time until
  *all* sockets have each one -- p50 / p99 over the 50;
* 100 messages to one user while all sockets stay open (``realtime.services.socket_push``):
  the time until that socket has it -- p50 / p99.

Goals (issue 18): broadcast p99 <= 1.2x the bare consumer's in the same run, one user p99 <=
50 ms.
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
    tag = "bare" if args.bare else "ours"
    users = await sync_to_async(
        lambda: User.objects.bulk_create(
            User(
                email=f"ws{i}-{tag}@bench.invalid",
                name=f"WS {i}",
                password=UNUSABLE_PASSWORD_PREFIX,
            )
            for i in range(args.clients)
        )
    )()
    if args.bare:  # the bare consumer authenticates nobody: it is told the user
        queries = [f"user={u.pk}" for u in users]
    else:
        tickets = [await sync_to_async(realtime.ticket_issue)(user_id=u.pk) for u in users]
        queries = [f"ticket={ticket}" for ticket in tickets]
    sockets = []
    started = time.perf_counter()
    for n, query in enumerate(queries):  # one by one, spread over the servers
        port = ports[n % len(ports)]
        url, origin = f"ws://127.0.0.1:{port}/ws/?{query}", f"http://127.0.0.1:{port}"
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


def run_child(args: argparse.Namespace, env: dict[str, str], ports: list[int], bare: bool) -> dict:
    command = [sys.executable, __file__, "--child", "--ports", ",".join(map(str, ports))]
    command += ["--clients", str(args.clients), "--broadcasts", str(args.broadcasts)]
    command += ["--singles", str(args.singles)] + (["--bare"] if bare else [])
    out = subprocess.run(  # noqa: S603 - our own script
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"ws benchmark failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(name: str, result: dict) -> tuple[float, float, float]:
    b, o = result["broadcast_ms"], result["one_ms"]
    print(f"{name}: {result['clients']} sockets open "
          f"(connected one by one in {result['connect_seconds']} s)")  # fmt: skip
    print(f"  broadcast to all ({len(b)}x): p50 {statistics.median(b):.0f} ms, "
          f"p99 {percentile(b, 99):.0f} ms, max {max(b):.0f} ms")  # fmt: skip
    print(f"  one user        ({len(o)}x): p50 {statistics.median(o):.1f} ms, "
          f"p99 {percentile(o, 99):.1f} ms, max {max(o):.1f} ms")  # fmt: skip
    return percentile(b, 99), percentile(o, 99), statistics.median(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--broadcasts", type=int, default=50)
    parser.add_argument("--singles", type=int, default=100)
    parser.add_argument("--servers", type=int, default=1, help="server processes (1)")
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--no-baseline", action="store_true", help="ours only")
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ports", default="", help=argparse.SUPPRESS)
    args = arguments_or_child(parser, child)
    if args is None:
        return
    from run import asgi_servers, services

    print(machine_line())
    with services() as running:
        env = production_env(DB_CONN_MAX_AGE="0", **running.urls)
        bare = None
        if not args.no_baseline:
            with asgi_servers(env, args.servers, "bench.ws_bare:application", "uvicorn") as ports:
                bare = run_child(args, env, ports, bare=True)
        with asgi_servers(env, args.servers, "collabhub.asgi:application", args.server) as ports:
            ours = run_child(args, env, ports, bare=False)
    processes = f"{args.servers} process{'es' if args.servers > 1 else ''}"
    if bare is not None:
        bare_p99, _, bare_p50 = report(f"bare Channels consumer, uvicorn ({processes})", bare)
    ours_p99, one_p99, ours_p50 = report(f"CollabHub /ws/, {args.server} ({processes})", ours)
    if bare is not None:
        ratio = ours_p99 / bare_p99
        verdict = "PASS" if ratio <= 1.2 else "FAIL"
        print(f"broadcast p99 ours / bare: {ratio:.2f}x  (goal <= 1.20x: {verdict}); "
              f"p50 {ours_p50 / bare_p50:.2f}x")  # fmt: skip
    verdict = "PASS" if one_p99 <= 50 else "FAIL"
    print(f"one user p99: {one_p99:.1f} ms  (goal <= 50 ms: {verdict})")


if __name__ == "__main__":
    main()
