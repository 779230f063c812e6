"""The mixed read/write scenario of ``bench/run.py`` (issue 18, goal 4), and its CPU split.

    .venv/bin/python bench/run.py --cases mixed

Several signed-in talent users (JWT from ``POST /api/v1/auth/login/``) send a fixed mix of
requests to gunicorn started with docker-compose.yml's ``web`` command (sync workers,
``gunicorn.conf.py``, the app's own access log, ``DEBUG=0``) on PostgreSQL + Redis, with the
Celery worker of docker-compose.yml consuming what the writes enqueue (``MIX`` below):
startups list and detail, a search, a feed page, recommendations, applying to an opportunity
(every application a fresh opportunity/applicant pair, so each is a 201) and sending a
message to a connected person. Every response that is not the kind's expected status
(200, or 201 for the writes) is an error.

The load generator is ``wrk`` with one connection per thread and the Lua script below, which
replays a request list (each line a method, path, bearer token and body) and times each
request by its kind; without wrk a Python one (threads, ``http.client``) replays the same
list. While the case runs, the CPU time of the app server, the Celery worker, PostgreSQL,
Redis, the load generator and every other process is read from /proc (``cpu_split``).

This module holds the pure parts (the mix, the request file, the Lua script, parsing and
statistics, the CPU arithmetic); ``run.py`` starts the processes.
"""

from __future__ import annotations

import http.client
import itertools
import json
import random
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# (kind, weight): what one signed-in talent's session looks like, reads first. The writes
# are a fifth of the requests.
MIX: tuple[tuple[str, int], ...] = (
    ("list", 25),
    ("detail", 20),
    ("search", 10),
    ("feed", 20),
    ("recommendations", 10),
    ("apply", 5),
    ("message", 10),
)
WRITES = frozenset({"apply", "message"})
EXPECTED_STATUS = {"apply": 201, "message": 201}  # every other kind: 200
# Requests written per second of load, per wrk run: far above what this stack serves on a
# small machine, so that the list never wraps (a wrapped list would repeat applications;
# the Lua script then skips the writes and reports the wrap).
LIST_RATE = 800

# Prints, as JSON, what the mix needs from the seeded database, and connects the users in a
# ring (through the services, as a person would) so that each can message two others.
PREPARE = """
import json, random
from django.db.models import Exists, OuterRef
from accounts.models import Role, User
from demo.vocabulary import VOCABULARY
from messaging import selectors as messaging_selectors
from messaging import services as messaging_services
from startups.models import Application, Opportunity, Startup

USERS = {users}
rng = random.Random(7)
people = list(User.objects.filter(role=Role.TALENT, is_active=True).order_by("id")[:USERS])
for a, b in zip(people, people[1:] + people[:1]):
    if a.pk != b.pk and not messaging_selectors.connection_is_accepted(a=a, b=b):
        connection, _ = messaging_services.connection_request(requester=a, addressee=b)
        messaging_services.connection_accept(connection=connection, by=b)
open_ids = list(Opportunity.objects.filter(status="open").values_list("id", "startup__owner_id"))
users = []
for person in people:
    applied = set(Application.objects.filter(applicant=person).values_list("opportunity_id",
                                                                           flat=True))
    mine = [pk for pk, owner in open_ids if owner != person.pk and pk not in applied]
    rng.shuffle(mine)
    peers = [other.pk for other in people
             if other.pk != person.pk
             and messaging_selectors.connection_is_accepted(a=person, b=other)]
    users.append({{"id": person.pk, "email": person.email, "peers": peers,
                   "opportunities": mine}})
startups = list(Startup.objects.values_list("id", flat=True))
rng.shuffle(startups)
terms = []
for vocabulary in VOCABULARY.values():
    terms += [vocabulary.roots[0].lower(), vocabulary.products[0][0]]
print(json.dumps({{"users": users, "startups": startups[:500], "terms": terms}}))
"""


# --- The request list ------------------------------------------------------------------------


@dataclass(frozen=True)
class MixRequest:
    kind: str
    method: str
    path: str
    user: int  # index into the plan's users
    body: str = ""


@dataclass
class MixUser:
    id: int
    email: str
    peers: list[int]
    opportunities: list[int]  # open, not the user's own, not applied to: each used once
    token: str = ""


class MixPlan:
    """Draws requests of the mix for the users; hands out each application pair once."""

    def __init__(
        self,
        users: Sequence[MixUser],
        startups: Sequence[int],
        terms: Sequence[str],
        mix: Sequence[tuple[str, int]] = MIX,
        seed: int = 18,
    ) -> None:
        if not users or not startups or not terms:
            raise ValueError("the mix needs users, startups and search terms")
        self.users = list(users)
        self.startups = list(startups)
        self.terms = list(terms)
        self.kinds = [kind for kind, _ in mix]
        self.weights = [weight for _, weight in mix]
        self.rng = random.Random(seed)
        self.sent = itertools.count(1)  # numbers the messages

    def applications_left(self) -> int:
        return sum(len(user.opportunities) for user in self.users)

    def requests(self, count: int) -> list[MixRequest]:
        return [self._draw() for _ in range(count)]

    def _draw(self) -> MixRequest:
        return self.request(self.rng.choices(self.kinds, self.weights)[0])

    def request(self, kind: str) -> MixRequest:
        """One request of ``kind``, by a user drawn at random."""
        index = self.rng.randrange(len(self.users))
        if kind == "list":
            page = self.rng.choice((1, 1, 1, 2, 3))
            return MixRequest(kind, "GET", f"/api/v1/startups/?page_size=20&page={page}", index)
        if kind == "detail":
            return MixRequest(kind, "GET", f"/api/v1/startups/{self.rng.choice(self.startups)}/",
                              index)  # fmt: skip
        if kind == "search":
            term = self.rng.choice(self.terms).replace(" ", "+")
            return MixRequest(kind, "GET", f"/api/v1/startups/?search={term}&page_size=20", index)
        if kind == "feed":
            return MixRequest(kind, "GET", "/api/v1/feed/?page_size=20", index)
        if kind == "recommendations":
            return MixRequest(kind, "GET", "/api/v1/recommendations/", index)
        if kind == "apply":
            return self._apply(index)
        if kind == "message":
            return self._message(index)
        raise ValueError(f"unknown kind {kind!r}")

    def _apply(self, index: int) -> MixRequest:
        # The drawn user, or the next one with an opportunity left.
        for offset in range(len(self.users)):
            candidate = (index + offset) % len(self.users)
            if self.users[candidate].opportunities:
                opportunity = self.users[candidate].opportunities.pop()
                body = json.dumps({"cover_letter": f"Benchmark application {opportunity}."})
                path = f"/api/v1/opportunities/{opportunity}/apply/"
                return MixRequest("apply", "POST", path, candidate, body)
        raise RuntimeError("no fresh opportunity/applicant pair left: seed more opportunities")

    def _message(self, index: int) -> MixRequest:
        for offset in range(len(self.users)):
            candidate = (index + offset) % len(self.users)
            if self.users[candidate].peers:
                peer = self.rng.choice(self.users[candidate].peers)
                body = json.dumps({"body": f"Benchmark message {next(self.sent)}."})
                path = f"/api/v1/conversations/{peer}/messages/"
                return MixRequest("message", "POST", path, candidate, body)
        raise RuntimeError("no user has a connection to message")


def request_lines(requests: Iterable[MixRequest], users: Sequence[MixUser]) -> str:
    """The list wrk's Lua script reads: kind, method, path, token, body; tab-separated."""
    lines = []
    for request in requests:
        fields = (request.kind, request.method, request.path, users[request.user].token,
                  request.body)  # fmt: skip
        if any("\t" in value or "\n" in value for value in fields):
            raise ValueError(f"a tab or newline in {request!r}")
        lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


# --- wrk -----------------------------------------------------------------------------------

# One connection per thread (wrk --threads = --connections), so that each thread's request()
# and response() strictly alternate and a request can be timed by its kind (LuaJIT's FFI
# reads the monotonic clock). Each thread replays every n-th line of the list (n = threads).
MIX_LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec_t;
int clock_gettime(int clk_id, bench_timespec_t *tp);
]]
local clock = ffi.new("bench_timespec_t")
local function now_us()
  ffi.C.clock_gettime(1, clock)  -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local threads = {}
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local queue = {}
local position = 0
wraps = 0
kinds, statuses, latencies = {}, {}, {}
local answered = 0
local sent_kind, sent_at = nil, nil

function init(args)
  local path, total = args[1], tonumber(args[2])
  local line_number = 0
  for line in io.lines(path) do
    if line_number % total == tid then
      local kind, method, target, token, body = line:match(
        "^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json"}
      if body == "" then
        body = nil
      else
        headers["Content-Type"] = "application/json"
      end
      local write = method ~= "GET"
      table.insert(queue, {kind = kind, write = write,
                           raw = wrk.format(method, target, headers, body)})
    end
    line_number = line_number + 1
  end
end

function request()
  for _ = 1, #queue do
    position = position + 1
    if position > #queue then
      position = 1
      wraps = wraps + 1
    end
    local item = queue[position]
    if wraps == 0 or not item.write then  -- never repeat a write
      sent_kind, sent_at = item.kind, now_us()
      return item.raw
    end
  end
  error("the request list holds only writes and has wrapped")
end

function response(status, headers, body)
  answered = answered + 1
  kinds[answered] = sent_kind
  statuses[answered] = status
  latencies[answered] = now_us() - sent_at
end

function done(summary, latency, requests)
  local out = assert(io.open("__OUT__", "w"))
  local errors = summary.errors
  out:write(string.format("SUMMARY %d %d %d %d %d %d %d %d\n", summary.requests,
                          summary.duration, errors.connect, errors.read, errors.write,
                          errors.timeout, latency:percentile(50), latency:percentile(99)))
  for _, thread in ipairs(threads) do
    local thread_kinds = thread:get("kinds")
    local thread_statuses = thread:get("statuses")
    local thread_latencies = thread:get("latencies")
    out:write(string.format("WRAPS %d\n", thread:get("wraps")))
    for i = 1, #thread_kinds do
      out:write(string.format("%s %d %.0f\n", thread_kinds[i], thread_statuses[i],
                              thread_latencies[i]))
    end
  end
  out:close()
end
"""


def mix_lua(out: Path) -> str:
    return MIX_LUA.replace("__OUT__", str(out))


@dataclass
class Sample:
    kind: str
    status: int
    latency_ms: float


@dataclass
class MixRun:
    seconds: float
    samples: list[Sample]
    socket_errors: int = 0
    wraps: int = 0
    wrk_p50_ms: float | None = None
    wrk_p99_ms: float | None = None


def parse_wrk_output(text: str) -> MixRun:
    """What the Lua script's ``done()`` wrote."""
    run = MixRun(seconds=0.0, samples=[])
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "SUMMARY":
            run.seconds = int(parts[2]) / 1e6
            run.socket_errors = sum(int(value) for value in parts[3:7])
            if len(parts) >= 9:  # wrk's own latency percentiles, all kinds (a cross-check)
                run.wrk_p50_ms, run.wrk_p99_ms = int(parts[7]) / 1000, int(parts[8]) / 1000
        elif parts[0] == "WRAPS":
            run.wraps += int(parts[1])
        else:
            run.samples.append(Sample(parts[0], int(parts[1]), float(parts[2]) / 1000))
    return run


# --- The Python load generator (no wrk) ------------------------------------------------------


def python_mixed_load(
    host: str,
    port: int,
    requests: Sequence[MixRequest],
    users: Sequence[MixUser],
    seconds: float,
    connections: int,
) -> MixRun:
    """One thread per keep-alive connection, all taking the next request of the list."""
    taken = itertools.count()  # next() is atomic under the GIL
    lock = threading.Lock()
    run = MixRun(seconds=0.0, samples=[])
    start = time.perf_counter()
    deadline = start + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        while time.perf_counter() < deadline:
            number = next(taken)
            if number >= len(requests):
                with lock:
                    run.wraps += 1
                break
            request = requests[number]
            headers = {"Authorization": f"Bearer {users[request.user].token}",
                       "Accept": "application/json"}  # fmt: skip
            if request.body:
                headers["Content-Type"] = "application/json"
            sent = time.perf_counter()
            try:
                conn.request(request.method, request.path, request.body or None, headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                with lock:
                    run.socket_errors += 1
                conn.close()
                continue
            sample = Sample(request.kind, response.status, (time.perf_counter() - sent) * 1000)
            with lock:
                run.samples.append(sample)
        conn.close()

    workers = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    run.seconds = time.perf_counter() - start
    return run


# --- Statistics ----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile (as ``bench/common.py``)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


@dataclass
class KindStats:
    kind: str
    requests: int
    errors: int
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    statuses: dict[int, int] = field(default_factory=dict)  # the unexpected ones


def kind_stats(run: MixRun, kinds: Sequence[str]) -> list[KindStats]:
    """Per kind, then ``all``: rate, p50/p99 and errors (unexpected statuses; socket errors
    count in ``all`` only, as wrk cannot tell which request they hit)."""
    stats = []
    for kind in [*kinds, "all"]:
        mine = [s for s in run.samples if kind in ("all", s.kind)]
        unexpected: dict[int, int] = {}
        for sample in mine:
            if sample.status != EXPECTED_STATUS.get(sample.kind, 200):
                unexpected[sample.status] = unexpected.get(sample.status, 0) + 1
        errors = sum(unexpected.values()) + (run.socket_errors if kind == "all" else 0)
        latencies = [s.latency_ms for s in mine]
        stats.append(
            KindStats(
                kind=kind,
                requests=len(mine),
                errors=errors,
                rps=len(mine) / run.seconds if run.seconds else 0.0,
                p50_ms=percentile(latencies, 50),
                p99_ms=percentile(latencies, 99),
                statuses=unexpected,
            )
        )
    return stats


# --- CPU split -----------------------------------------------------------------------------

ProcTable = dict[int, tuple[int, int, float]]  # pid -> (parent pid, process group, CPU seconds)


def descendants(table: ProcTable, roots: set[int]) -> set[int]:
    """The roots present in ``table`` and every process below them."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    stack = [pid for pid in roots if pid in table]
    while stack:
        pid = stack.pop()
        if pid not in found:
            found.add(pid)
            stack.extend(children.get(pid, []))
    return found


def cpu_seconds(before: ProcTable, after: ProcTable, pids: Iterable[int]) -> float:
    """CPU time the processes used between the two readings (a process new since the first,
    or a reused pid, used all of its time meanwhile; one that exited is not counted)."""
    used = 0.0
    for pid in pids:
        if pid not in after:
            continue
        now = after[pid][2]
        previous = before.get(pid)
        used += now - previous[2] if previous and previous[2] <= now else now
    return used


def cpu_split(
    before: ProcTable,
    after: ProcTable,
    groups: Mapping[str, set[int]],
    seconds: float,
    reaped: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Each group's CPU time, in % of one CPU over ``seconds``, then ``others``.

    ``groups`` maps a name to the root pids of its process trees; a process belongs to the
    first group whose trees hold it (so list a parent's own group after its children's:
    the servers before the benchmark script that started them). ``reaped`` adds CPU seconds
    known otherwise, such as a child's that exited and was waited for (its rusage).
    """
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    claimed: set[int] = set()
    split: dict[str, float] = {}
    for name, roots in groups.items():
        pids = (descendants(before, roots) | descendants(after, roots)) - claimed
        claimed |= pids
        used = cpu_seconds(before, after, pids) + (reaped or {}).get(name, 0.0)
        split[name] = 100 * used / seconds
    others = set(after) - claimed
    split["others"] = 100 * cpu_seconds(before, after, others) / seconds
    return split


def machine_busy(before: Sequence[int], after: Sequence[int]) -> float | None:
    """The busy fraction (0-1) of all CPUs between two readings of ``/proc/stat``'s ``cpu``
    line (jiffies; idle and iowait are not busy); None if unknown."""
    if len(before) < 5 or len(after) < 5:
        return None
    total = sum(after[:8]) - sum(before[:8])  # up to steal (guest time is inside user)
    idle = (after[3] + after[4]) - (before[3] + before[4])
    return (total - idle) / total if total > 0 else None


def interrupt_share(before: Sequence[int], after: Sequence[int]) -> float | None:
    """The fraction (0-1) of all CPU time spent in interrupts (irq + softirq: loopback
    traffic is partly handled there), which no process is charged for; None if unknown."""
    if len(before) < 7 or len(after) < 7:
        return None
    total = sum(after[:8]) - sum(before[:8])
    irq = (after[5] + after[6]) - (before[5] + before[6])
    return irq / total if total > 0 else None
