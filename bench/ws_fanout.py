"""WebSocket fan-out benchmark: 1,000 sockets on the Redis channel layer, ours against a bare
Channels consumer measured in the same run.

    .venv/bin/python bench/ws_fanout.py                # or: make bench-ws  (about three minutes)
    .venv/bin/python bench/ws_fanout.py --servers 2 --server daphne --rounds 1

Starts a throwaway PostgreSQL 15 + Redis (``scripts/services.sh``), then measures in
``--rounds`` rounds (3), each measuring the baseline and ours, in turns (bare then ours, ours
then bare, ...: neither always goes first). The baseline: ``--servers`` uvicorn processes
(uvloop, httptools, websockets) serving ``bench/ws_bare.py``, a bare Channels consumer that
joins the ``everyone`` group and the user's group and forwards what they receive; ours: the same
number of ``--server`` processes (uvicorn, as deployed, or Daphne) serving the ASGI application.
Each time it starts the servers, creates the users and opens one socket per user (ours with
single-use tickets, as real clients do), spread over the servers, from this process. Then,
sending through the channel layer as the fan-out task does:

* 50 broadcasts to every socket (``realtime.services.socket_broadcast``): the time until
  *all* sockets have each one -- p50 / p99 over the 50;
* 100 messages to one user while all sockets stay open (``realtime.services.socket_push``):
  the time until that socket has it -- p50 / p99.

The figures compared are the medians over the rounds of each round's p50 and p99. This
process, the load generator, freezes its garbage collector's view of the open sockets before
measuring (``gc.freeze``): scanning them took 100-140 ms at a time, in either consumer's figures.

Goals (issue 18): broadcast p99 <= 1.2x the bare consumer's in the same run, one user p99 <=
50 ms (the worst round's).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
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
    tag = ("bare" if args.bare else "ours") + str(args.round)
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
    gc.collect()
    gc.freeze()  # the load generator's sockets stay: no rescanning them while measuring
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


def run_child(
    args: argparse.Namespace, env: dict[str, str], ports: list[int], bare: bool, number: int
) -> dict:
    command = [sys.executable, __file__, "--child", "--ports", ",".join(map(str, ports))]
    command += ["--clients", str(args.clients), "--broadcasts", str(args.broadcasts)]
    command += ["--round", str(number)]
    command += ["--singles", str(args.singles)] + (["--bare"] if bare else [])
    out = subprocess.run(  # noqa: S603 - our own script
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"ws benchmark failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(name: str, result: dict) -> dict[str, float]:
    b, o = result["broadcast_ms"], result["one_ms"]
    figures = {"p50": statistics.median(b), "p99": percentile(b, 99), "one_p99": percentile(o, 99)}
    print(f"{name}: {result['clients']} sockets open "
          f"(connected one by one in {result['connect_seconds']} s)")  # fmt: skip
    print(f"  broadcast to all ({len(b)}x): p50 {figures['p50']:.0f} ms, "
          f"p99 {figures['p99']:.0f} ms, max {max(b):.0f} ms")  # fmt: skip
    print(f"  one user        ({len(o)}x): p50 {statistics.median(o):.1f} ms, "
          f"p99 {figures['one_p99']:.1f} ms, max {max(o):.1f} ms")  # fmt: skip
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--broadcasts", type=int, default=50)
    parser.add_argument("--singles", type=int, default=100)
    parser.add_argument("--servers", type=int, default=1, help="server processes (1)")
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of bare + ours (3)")
    parser.add_argument("--no-baseline", action="store_true", help="ours only")
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ports", default="", help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    args = arguments_or_child(parser, child)
    if args is None:
        return
    from run import asgi_servers, services

    print(machine_line())
    processes = f"{args.servers} process{'es' if args.servers > 1 else ''}"
    names = {
        True: f"bare Channels consumer, uvicorn ({processes})",
        False: f"CollabHub /ws/, {args.server} ({processes})",
    }
    apps = {True: ("bench.ws_bare:application", "uvicorn"),
            False: ("collabhub.asgi:application", args.server)}  # fmt: skip
    figures: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    with services() as running:
        env = production_env(DB_CONN_MAX_AGE="0", **running.urls)
        for number in range(1, args.rounds + 1):
            order = [False] if args.no_baseline else [True, False]
            for bare in order if number % 2 else order[::-1]:  # in turns: neither always first
                with asgi_servers(env, args.servers, *apps[bare]) as ports:
                    result = run_child(args, env, ports, bare, number)
                figures[bare].append(report(f"round {number}, {names[bare]}", result))

    def median(bare: bool, figure: str) -> float:
        return statistics.median(each[figure] for each in figures[bare])

    print(f"medians over {args.rounds} round{'s' if args.rounds > 1 else ''}:")
    for bare in [True, False][args.no_baseline :]:
        print(f"  {names[bare]}: broadcast p50 {median(bare, 'p50'):.0f} ms, "
              f"p99 {median(bare, 'p99'):.0f} ms")  # fmt: skip
    if not args.no_baseline:
        ratio = median(False, "p99") / median(True, "p99")
        verdict = "PASS" if ratio <= 1.2 else "FAIL"
        print(f"broadcast p99 ours / bare: {ratio:.2f}x  (goal <= 1.20x: {verdict}); "
              f"p50 {median(False, 'p50') / median(True, 'p50'):.2f}x")  # fmt: skip
    one_p99 = max(each["one_p99"] for each in figures[False])
    verdict = "PASS" if one_p99 <= 50 else "FAIL"
    print(f"one user p99 (worst round): {one_p99:.1f} ms  (goal <= 50 ms: {verdict})")


if __name__ == "__main__":
    main()
