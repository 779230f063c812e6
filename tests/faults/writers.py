"""Concurrent writers against a running server: founders create and edit startups and
opportunities, talent apply, save, follow, like and message. Each writer is a thread with its
own account; every response is recorded, and the ids of acknowledged creations are kept so a
test can check that each is really in the database.

Run by hand against any server (``make run`` in another shell)::

    python -m tests.faults.writers http://127.0.0.1:8000 --writers 8 --writes 200
"""

import argparse
import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Report:
    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[tuple[str, int]] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)  # "POST /path -> 500 body…"
    locked: int = 0  # answers that mention "database is locked"
    created: dict[str, list[int]] = field(default_factory=dict)  # table -> acknowledged ids
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, operation: str, status: int, body: bytes, line: str) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.by_operation[(operation, status)] += 1
            if status >= 500:
                self.server_errors.append(f"{line} -> {status} {body[:300]!r}")
            if b"database is locked" in body:
                self.locked += 1

    def created_add(self, table: str, pk: int) -> None:
        with self.lock:
            self.created.setdefault(table, []).append(pk)

    @property
    def writes(self) -> int:
        return sum(self.statuses.values())


class Api:
    def __init__(self, base: str, report: Report | None = None) -> None:
        self.base = base.rstrip("/")
        self.report = report
        self.token = ""

    def call(self, method: str, path: str, body: Any = None, operation: str = "") -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base}/api/v1{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        if self.report is not None and operation:
            self.report.record(operation, status, raw, f"{method} {path}")
        elif status >= 400:
            raise AssertionError(f"setup {method} {path}: {status} {raw[:300]!r}")
        return status, (json.loads(raw) if raw else None)


def _account(base: str, role: str, run: str, index: int) -> Api:
    api = Api(base)
    email = f"{role}-{index}-{run}@writers.example"
    password = "a-long-writers-passphrase"
    api.call(
        "POST",
        "/auth/register/",
        {"email": email, "password": password, "name": f"{role} {index}", "role": role},
    )
    _, body = api.call("POST", "/auth/login/", {"email": email, "password": password})
    api.token = body["access"]
    return api


@dataclass
class World:
    founders: list[Api]
    talent: list[Api]
    startups: dict[int, list[int]]  # founder index -> startup ids
    own_opportunities: dict[int, list[int]]  # founder index -> opportunity ids
    opportunities: list[int]
    talent_ids: list[int]
    founder_ids: list[int]


def world_create(base: str, writers: int) -> World:
    """Half founders (each with a startup and an opportunity), half talent, each talent
    connected to one founder so they can message."""
    run = uuid.uuid4().hex[:8]
    founders = [_account(base, "founder", run, i) for i in range(max(1, writers // 2))]
    talent = [_account(base, "talent", run, i) for i in range(max(1, writers - len(founders)))]
    startups: dict[int, list[int]] = {}
    own: dict[int, list[int]] = {}
    opportunities = []
    for index, founder in enumerate(founders):
        _, startup = founder.call(
            "POST",
            "/startups/",
            {"name": f"Writers {run} {index}", "industry": "ai", "skills": ["python"]},
        )
        startups[index] = [startup["id"]]
        _, opportunity = founder.call(
            "POST",
            "/opportunities/",
            {
                "startup": startup["id"],
                "title": "Engineer",
                "kind": "full-time",
                "skills": ["python"],
            },
        )
        opportunities.append(opportunity["id"])
        own[index] = [opportunity["id"]]
    founder_ids = [f.call("GET", "/auth/me/")[1]["id"] for f in founders]
    talent_ids = [t.call("GET", "/auth/me/")[1]["id"] for t in talent]
    for index, person in enumerate(talent):
        founder = founders[index % len(founders)]
        _, connection = person.call(
            "POST", "/connections/", {"user_id": founder_ids[index % len(founders)]}
        )
        founder.call("POST", f"/connections/{connection['id']}/accept/")
    return World(founders, talent, startups, own, opportunities, talent_ids, founder_ids)


def _founder_loop(world: World, index: int, writes: int, report: Report, seed: int) -> None:
    api = Api(world.founders[index].base, report)
    api.token = world.founders[index].token
    rng = random.Random(seed)
    mine = world.startups[index]
    for step in range(writes):
        kind = step % 5
        skills = rng.sample(["python", "django", "go", "rust", "sql", "react", "ml"], 3)
        if kind == 0:
            status, body = api.call(
                "POST",
                "/startups/",
                {
                    "name": f"W{index}-{step}-{rng.random():.6f}",
                    "industry": "fintech",
                    "skills": skills,
                },
                "startup_create",
            )
            if status == 201:
                mine.append(body["id"])
                report.created_add("startups_startup", body["id"])
        elif kind == 1:
            api.call(
                "PATCH",
                f"/startups/{rng.choice(mine)}/",
                {"tagline": f"step {step}", "skills": skills},
                "startup_update",
            )
        elif kind == 2:
            status, body = api.call(
                "POST",
                "/opportunities/",
                {
                    "startup": rng.choice(mine),
                    "title": f"Role {step}",
                    "kind": "contract",
                    "skills": skills,
                },
                "opportunity_create",
            )
            if status == 201:
                with report.lock:
                    world.opportunities.append(body["id"])
                world.own_opportunities[index].append(body["id"])
                report.created_add("startups_opportunity", body["id"])
        elif kind == 3:
            api.call(
                "PATCH",
                f"/opportunities/{rng.choice(world.own_opportunities[index])}/",
                {"description": f"edited at {step}", "skills": skills},
                "opportunity_update",
            )
        else:
            connected = world.talent_ids[index :: len(world.founders)]  # talent i: founder i % n
            peer = rng.choice(connected)
            status, body = api.call(
                "POST", f"/conversations/{peer}/messages/", {"body": f"hello {step}"}, "message"
            )
            if status == 201:
                report.created_add("messaging_message", body["id"])


def _talent_loop(world: World, index: int, writes: int, report: Report, seed: int) -> None:
    api = Api(world.talent[index].base, report)
    api.token = world.talent[index].token
    rng = random.Random(seed)
    founder_id = world.founder_ids[index % len(world.founder_ids)]
    for step in range(writes):
        kind = step % 6
        with report.lock:
            opportunity = rng.choice(world.opportunities)
            startup = rng.choice([pk for ids in world.startups.values() for pk in ids])
        if kind == 0:
            status, body = api.call(
                "POST", f"/opportunities/{opportunity}/apply/", {"cover_letter": "Hello"}, "apply"
            )
            if status == 201:
                report.created_add("startups_application", body["id"])
        elif kind == 1:
            api.call("POST", f"/startups/{startup}/save/", None, "save")
        elif kind == 2:
            api.call("POST", f"/startups/{startup}/follow/", None, "follow")
        elif kind == 3:
            api.call(
                "POST",
                "/interactions/",
                {"kind": "like", "item_type": "startup", "item_id": startup},
                "interaction",
            )
        elif kind == 4:
            status, body = api.call(
                "POST", f"/conversations/{founder_id}/messages/", {"body": f"hi {step}"}, "message"
            )
            if status == 201:
                report.created_add("messaging_message", body["id"])
        else:
            api.call("DELETE", f"/startups/{startup}/save/", None, "unsave")


def writers_run(base: str, *, writers: int = 8, writes: int = 200, seed: int = 7) -> Report:
    """Set up accounts, then run ``writers`` threads of ``writes`` writes each, together."""
    world = world_create(base, writers)
    report = Report()
    threads = [
        threading.Thread(target=_founder_loop, args=(world, i, writes, report, seed + i))
        for i in range(len(world.founders))
    ] + [
        threading.Thread(target=_talent_loop, args=(world, i, writes, report, seed + 100 + i))
        for i in range(len(world.talent))
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.seconds = time.perf_counter() - started
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base", help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    report = writers_run(args.base, writers=args.writers, writes=args.writes)
    print(
        f"{report.writes} writes in {report.seconds:.1f}s "
        f"({report.writes / report.seconds:.0f}/s): {dict(sorted(report.statuses.items()))}"
    )
    print(f"5xx: {len(report.server_errors)}, 'database is locked': {report.locked}")
    for (operation, status), count in sorted(report.by_operation.items()):
        print(f"  {operation:20} {status}: {count}")
    for line in report.server_errors[:10]:
        print("  ", line)


if __name__ == "__main__":
    main()
