"""HTTP benchmark: gunicorn (WSGI) vs Daphne (ASGI), and per-request vs persistent DB connections.

    .venv/bin/python bench/run.py          # or: make bench

Everything runs on this machine, in one run, against a throwaway PostgreSQL 15 + Redis started
with ``scripts/services.sh`` (migrated and filled with ``manage.py seed_demo``):

(a) the same two read endpoints, ``GET /api/v1/startups/?page_size=20`` and
    ``GET /api/v1/startups/{id}/``, served by 1 Daphne process (ASGI, the baseline) and by
    gunicorn with 1 sync worker (WSGI, the same process count), both with the settings'
    default ``DB_CONN_MAX_AGE=60``; also gunicorn with 2 sync workers, and both servers with
    ``DB_CONN_MAX_AGE=0`` (under ASGI, Django opens a connection per request either way);
(b) gunicorn with 1 sync worker, ``DB_CONN_MAX_AGE=0`` (a PostgreSQL connection per request,
    the baseline) vs ``DB_CONN_MAX_AGE=60`` (persistent connections with health checks).

Servers run as in production (``DEBUG=0``), with the rate limits raised so that the load
test measures the views, not 429s: every response that is not a 200 counts as an error. Both
servers write their access log, as deployed. The table also shows how many PostgreSQL
connections each request opened and how busy the rest of the machine was. The
load generator is ``wrk`` (``apt-get install wrk``) when installed, else a small Python one.
Every server and service started here is stopped at the end, even on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.metadata
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the load only ever targets loopback
LIST_PATH = "/api/v1/startups/?page_size=20"
DETAIL_PATH = "/api/v1/startups/{id}/"
# Rate limits stay on (their counter is part of every request's cost), raised out of reach.
UNLIMITED_RATE = "1000000000/min"
READY_TIMEOUT = 60.0  # seconds for a server to answer its first 200
WRK_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non200 = 0 end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
function done(summary, latency, requests)
  local non200_total = 0
  for _, thread in ipairs(threads) do non200_total = non200_total + thread:get("non200") end
  local errors = summary.errors
  io.write(string.format(
    "BENCH_RESULT %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    non200_total, errors.connect, errors.read, errors.write, errors.timeout))
end
"""


# --- Small helpers ---------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def run_checked(args: Sequence[str], env: dict[str, str], what: str) -> str:
    """Run a short command to completion; its output is shown only if it fails."""
    result = subprocess.run(  # noqa: S603 (fixed argument lists, no shell)
        list(args), cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise RuntimeError(f"{what} failed (exit {result.returncode})")
    return result.stdout


def http_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


# --- Services: throwaway PostgreSQL + Redis --------------------------------------------------


@dataclass(frozen=True)
class Services:
    urls: dict[str, str]  # DATABASE_URL, REDIS_URL
    directory: Path

    def pids(self) -> set[int]:
        """The postmaster and Redis (both daemons, so not among this script's descendants)."""
        pids: set[int] = set()
        for pid_file in (
            self.directory / "pg" / "data" / "postmaster.pid",
            self.directory / "redis.pid",
        ):
            with contextlib.suppress(OSError, ValueError, IndexError):
                pids.add(int(pid_file.read_text().split()[0]))
        return pids


@contextlib.contextmanager
def services() -> Iterator[Services]:
    """Start PostgreSQL 15 + Redis on free loopback ports (``scripts/services.sh``)."""
    services_dir = tempfile.mkdtemp(prefix="collabhub-bench-services-")
    env = {**os.environ, "SERVICES_DIR": services_dir}
    script = str(ROOT / "scripts" / "services.sh")
    bash = shutil.which("bash") or "/bin/bash"
    try:
        output = run_checked([bash, script, "start"], env, "scripts/services.sh start")
        urls: dict[str, str] = {}
        for line in output.splitlines():
            if line.startswith("export ") and "=" in line:
                name, _, value = line.removeprefix("export ").partition("=")
                urls[name.strip()] = value.strip()
        if not {"DATABASE_URL", "REDIS_URL"} <= urls.keys():
            raise RuntimeError(f"unexpected output from scripts/services.sh start: {output!r}")
        yield Services(urls, Path(services_dir))
    finally:
        subprocess.run(  # noqa: S603 (fixed argument list, no shell)
            [bash, script, "stop"],
            env=env,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(services_dir, ignore_errors=True)


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


@contextlib.contextmanager
def asgi_servers(
    env: dict[str, str], count: int, app: str = "collabhub.asgi:application", server: str = "daphne"
) -> Iterator[list[int]]:
    """``count`` processes of ``server`` (Daphne, or uvicorn with uvloop, httptools and
    websockets, as deployed for /ws/) serving the ASGI ``app`` with ``env``; yields their
    ports once each answers ``/live/`` (stderr to ``$WS_BENCH_LOG``, if set)."""
    ports = [free_port() for _ in range(count)]
    log = open(os.environ.get("WS_BENCH_LOG", os.devnull), "w")  # noqa: SIM115 - closed below

    def command(port: int) -> list[str]:
        if server == "daphne":
            return [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), app]
        # uvicorn exactly as docker-compose.yml runs /ws/, serving ``app`` on ``port``.
        import shlex

        import yaml

        compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        argv = shlex.split(compose["services"]["realtime"]["command"])
        argv[1] = app
        argv[argv.index("--host") + 1] = HOST
        argv[argv.index("--port") + 1] = str(port)
        return [sys.executable, "-m", *argv, "--log-level", "warning"]

    servers = [
        subprocess.Popen(  # noqa: S603 - fixed argument list
            command(port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log
        )
        for port in ports
    ]
    try:
        for port in ports:
            wait_until_up(f"http://127.0.0.1:{port}/live/")
        yield ports
    finally:
        for server_process in servers:
            server_process.terminate()
        for server_process in servers:
            try:
                server_process.wait(timeout=15)
            except subprocess.TimeoutExpired:  # sockets a failed run left open
                server_process.kill()
                server_process.wait(timeout=15)
        log.close()


# --- Other processes' CPU use: is the machine quiet? ----------------------------------------

ProcTable = dict[int, tuple[int, int, float]]  # pid -> (parent pid, process group, CPU seconds)


def child_on_postgres(script: str, args: Sequence[str], what: str) -> dict[str, Any]:
    """Run ``script --child args`` (a benchmark's measuring half) against a throwaway
    PostgreSQL, as a production process (``production_env``) with the worker's statement
    deadline -- loading a million rows is a batch job, not a 3 s request -- and return the
    JSON object it prints last."""
    from common import production_env

    with services() as running:
        out = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, script, "--child", *args],
            env={
                **production_env(),
                "DATABASE_URL": running.urls["DATABASE_URL"],
                "DB_STATEMENT_TIMEOUT_MS": "600000",
            },
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    if out.returncode != 0:
        raise SystemExit(f"{what} benchmark failed:\n{out.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def proc_table() -> ProcTable | None:
    """Every process's CPU time so far, from /proc (Linux; None elsewhere)."""
    proc = Path("/proc")
    if not (proc / "stat").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    table: ProcTable = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
        ppid, pgid, utime, stime = int(fields[1]), int(fields[2]), int(fields[11]), int(fields[12])
        table[int(entry.name)] = (ppid, pgid, (utime + stime) / ticks)
    return table


def subtrees(table: ProcTable, roots: set[int]) -> set[int]:
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


class CpuWatch:
    """CPU used by processes that are not the benchmark's, while a case runs.

    The benchmark's processes are this script's descendants (servers, wrk) and the
    PostgreSQL and Redis daemons it started, with their children. Anything else busy on the
    machine (another test run...) competes for the same CPUs and lowers the figures.
    """

    def __init__(self, own_daemons: set[int]) -> None:
        self.roots = {os.getpid(), *own_daemons}
        self.before = proc_table()
        self.started = time.monotonic()

    def others_percent(self) -> float | None:
        """Others' CPU time since the start, in % of one CPU (200 = two CPUs fully busy)."""
        after = proc_table()
        elapsed = time.monotonic() - self.started
        if self.before is None or after is None or elapsed <= 0:
            return None
        ours = subtrees(self.before, self.roots) | subtrees(after, self.roots)
        used = 0.0
        for pid, (_, _, cpu) in after.items():
            if pid in ours:
                continue
            previous = self.before.get(pid)
            # A process new since the start (or a reused pid) used all its time meanwhile.
            used += cpu - previous[2] if previous and previous[2] <= cpu else cpu
        return 100 * used / elapsed


def wait_for_quiet(own_daemons: set[int], budget: float, threshold: float = 15.0) -> None:
    """Wait (at most ``budget`` seconds) until other processes use under ``threshold``% CPU."""
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        watch = CpuWatch(own_daemons)
        time.sleep(1.0)
        others = watch.others_percent()
        if others is None or others < threshold:
            return
        log(f"  waiting for a quiet machine: other processes use {others:.0f}% of a CPU")
    log("  the machine is still busy: measuring anyway (see the Others' CPU column)")


# --- Servers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSpec:
    key: str
    label: str
    kind: str  # "gunicorn" or "daphne"
    processes: int
    conn_max_age: int

    @property
    def name(self) -> str:
        return f"{self.label}, DB_CONN_MAX_AGE={self.conn_max_age}"

    def command(self, port: int) -> list[str]:
        python = sys.executable
        if self.kind == "daphne":
            return [
                python,
                "-m",
                "daphne",
                # Access log to stdout (Daphne's default, as docker-compose.yml runs it).
                "--verbosity",
                "1",
                "-b",
                HOST,
                "-p",
                str(port),
                "collabhub.asgi:application",
            ]
        return [
            python,
            "-m",
            "gunicorn",
            "collabhub.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(self.processes),
            "--worker-class",
            "sync",
            # Access log to stdout, as the Dockerfile and docker-compose.yml run it.
            "--access-logfile",
            "-",
            # A control socket at a shared default path would clash with other gunicorns.
            "--no-control-socket",
            # Ignore any ./gunicorn.conf.py: only the flags above apply.
            "--config",
            os.devnull,
        ]


class Server:
    """One server process group on a free port; stopped (whole group) by ``stop()``."""

    def __init__(self, spec: ServerSpec, env: dict[str, str], log_dir: Path) -> None:
        self.spec = spec
        self.port = free_port()
        self.log_path = log_dir / f"{spec.key}.log"
        self.env = {**env, "DB_CONN_MAX_AGE": str(spec.conn_max_age)}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(  # noqa: S603 (fixed argument list, no shell)
                self.spec.command(self.port),
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() kills the workers too
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._fail(f"exited with code {self.process.returncode} while starting")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if http_get(self.port, LIST_PATH, timeout=2.0)[0] == 200:
                    return
            time.sleep(0.2)
        self._fail(f"did not answer 200 on {LIST_PATH} within {READY_TIMEOUT:.0f}s")

    def _fail(self, reason: str) -> NoReturn:
        tail = self.log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{self.spec.name} {reason}. End of its log:\n{tail}")

    def served(self) -> int:
        """Requests handled so far: lines of the access log."""
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace").count('"GET ')
        return 0

    def wait_idle(self, timeout: float = 15.0) -> int:
        """Wait for the requests still queued when the load stopped; returns ``served()``."""
        deadline = time.monotonic() + timeout
        count = self.served()
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = self.served()
            if now == count:
                break
            count = now
        return count

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        # Workers that outlived their master would still be in the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


# --- Load generation -------------------------------------------------------------------------


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float | None
    p99_ms: float | None
    non_200: int
    socket_errors: int
    others_cpu: float | None = None  # % of one CPU used by other processes meanwhile
    db_connections: int | None = None  # PostgreSQL connections opened meanwhile
    served: int | None = None  # requests the server handled (its access log), with the backlog

    @property
    def db_connections_per_request(self) -> float | None:
        handled = self.served or self.requests
        if self.db_connections is None or not handled:
            return None
        return self.db_connections / handled

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.non_200 + self.socket_errors


def wrk_load(url: str, seconds: float, connections: int, threads: int, lua: Path) -> LoadResult:
    command = [
        "wrk",
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        f"--script={lua}",
        url,
    ]
    result = subprocess.run(  # noqa: S603 (fixed argument list, no shell)
        command, capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            values = [float(value) for value in line.split()[1:]]
            requests, duration_us, p50_us, p99_us, non_200, *socket_errors = values
            return LoadResult(
                requests=int(requests),
                seconds=duration_us / 1e6,
                p50_ms=p50_us / 1000,
                p99_ms=p99_us / 1000,
                non_200=int(non_200),
                socket_errors=int(sum(socket_errors)),
            )
    raise RuntimeError(f"unexpected wrk output:\n{result.stdout}\n{result.stderr}")


@dataclass
class _WorkerTally:
    latencies: list[float] = field(default_factory=list)
    non_200: int = 0
    socket_errors: int = 0


def python_load(port: int, path: str, seconds: float, connections: int) -> LoadResult:
    """Fallback: one thread per keep-alive connection (http.client), for ``seconds``."""
    tallies = [_WorkerTally() for _ in range(connections)]
    start = time.perf_counter()
    deadline = start + seconds

    def worker(tally: _WorkerTally) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                tally.socket_errors += 1
                conn.close()  # reconnects on the next request
                continue
            tally.latencies.append(time.perf_counter() - sent)
            if response.status != 200:
                tally.non_200 += 1
        conn.close()

    workers = [threading.Thread(target=worker, args=(tally,)) for tally in tallies]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - start
    latencies = sorted(latency for tally in tallies for latency in tally.latencies)
    percentiles = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else None
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=percentiles[49] * 1000 if percentiles else None,
        p99_ms=percentiles[98] * 1000 if percentiles else None,
        non_200=sum(tally.non_200 for tally in tallies),
        socket_errors=sum(tally.socket_errors for tally in tallies),
    )


@dataclass(frozen=True)
class LoadGenerator:
    use_wrk: bool
    connections: int
    threads: int
    lua: Path

    @property
    def name(self) -> str:
        if self.use_wrk:
            return f"wrk {self.threads} threads, {self.connections} connections"
        return f"Python http.client, {self.connections} keep-alive connections"

    def run(self, port: int, path: str, seconds: float) -> LoadResult:
        if self.use_wrk:
            url = f"http://{HOST}:{port}{path}"
            return wrk_load(url, seconds, self.connections, self.threads, self.lua)
        return python_load(port, path, seconds, self.connections)


# --- The benchmark ---------------------------------------------------------------------------


DAPHNE = ServerSpec("daphne-1", "Daphne ASGI, 1 process", "daphne", 1, 60)
DAPHNE_CONN0 = ServerSpec("daphne-1-conn0", "Daphne ASGI, 1 process", "daphne", 1, 0)
GUNICORN = ServerSpec("gunicorn-1", "gunicorn WSGI, 1 sync worker", "gunicorn", 1, 60)
GUNICORN_CONN0 = ServerSpec("gunicorn-1-conn0", "gunicorn WSGI, 1 sync worker", "gunicorn", 1, 0)
GUNICORN_2 = ServerSpec("gunicorn-2", "gunicorn WSGI, 2 sync workers", "gunicorn", 2, 60)
SERVERS = (DAPHNE, GUNICORN, GUNICORN_2, DAPHNE_CONN0, GUNICORN_CONN0)


@dataclass(frozen=True)
class Section:
    title: str
    baseline: ServerSpec
    specs: tuple[ServerSpec, ...]


SECTIONS = (
    Section(
        "(a) WSGI vs ASGI, same endpoint; baseline = Daphne, 1 process, "
        "DB_CONN_MAX_AGE=60 (the settings' default)",
        DAPHNE,
        (DAPHNE, GUNICORN, GUNICORN_2, DAPHNE_CONN0, GUNICORN_CONN0),
    ),
    Section(
        "(b) PostgreSQL connections under gunicorn, 1 sync worker; "
        "baseline = DB_CONN_MAX_AGE=0 (a connection per request)",
        GUNICORN_CONN0,
        (GUNICORN_CONN0, GUNICORN),
    ),
)


@dataclass
class Bench:
    """What every case shares."""

    env: dict[str, str]
    log_dir: Path
    loadgen: LoadGenerator
    endpoints: dict[str, str]
    warmup: float
    duration: float
    own_daemons: set[int]
    quiet_wait: float

    def measure(self, spec: ServerSpec) -> dict[str, LoadResult]:
        server = Server(spec, self.env, self.log_dir)
        results: dict[str, LoadResult] = {}
        try:
            load = " ".join(f"{value:.2f}" for value in os.getloadavg())
            log(f"starting {spec.name} on port {server.port} (load average {load})")
            server.start()
            if not self.endpoints["detail"]:
                self.endpoints["detail"] = detail_path_for(server.port)
            for name, path in self.endpoints.items():
                check_endpoint(server.port, path)
                if self.quiet_wait > 0:
                    wait_for_quiet(self.own_daemons, self.quiet_wait)
                self.loadgen.run(server.port, path, self.warmup)  # warm-up, discarded
                served_before = server.wait_idle()
                sessions_before = pg_sessions(self.env["DATABASE_URL"])
                watch = CpuWatch(self.own_daemons)
                result = self.loadgen.run(server.port, path, self.duration)
                result.others_cpu = watch.others_percent()
                result.served = server.wait_idle() - served_before
                result.db_connections = pg_sessions_since(self.env["DATABASE_URL"], sessions_before)
                check_endpoint(server.port, path)
                log(
                    f"  {name}: {result.rps:6.1f} req/s, {result.requests} requests, "
                    f"{result.errors} errors, {format_float(result.db_connections_per_request)} "
                    f"DB connections/request, others used {format_pct(result.others_cpu)} CPU"
                )
                results[name] = result
        finally:
            server.stop()
        return results


def pg_sessions(database_url: str) -> int | None:
    """PostgreSQL's count of sessions (connections) opened so far to the bench database."""
    try:
        import psycopg  # the project's driver; only this diagnostic needs it

        with psycopg.connect(database_url, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            ).fetchone()
    except Exception:  # a diagnostic only: never fail the benchmark over it
        return None
    return int(row[0]) if row else None


def pg_sessions_since(database_url: str, before: int | None) -> int | None:
    """Sessions opened since ``before``, not counting the two made to ask."""
    if before is None:
        return None
    time.sleep(0.6)  # statistics of ended sessions reach pg_stat_database within ~0.5 s
    after = pg_sessions(database_url)
    return None if after is None else max(0, after - before - 1)


def build_env(urls: dict[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DB_CONN_MAX_AGE", "SQLITE_PATH", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(urls)
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": f"bench-only-{secrets.token_urlsafe(32)}",
            "METRICS_TOKEN": secrets.token_urlsafe(24),
            "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
            # seed_demo refuses the published demo password when DEBUG is off.
            "DEMO_PASSWORD": secrets.token_urlsafe(24),
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "RATE_LIMIT_ANON": UNLIMITED_RATE,
            "RATE_LIMIT_USER": UNLIMITED_RATE,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def prepare_database(env: dict[str, str], startups: int) -> None:
    manage = [sys.executable, "manage.py"]
    log("migrating the bench database")
    run_checked([*manage, "migrate", "--no-input"], env, "manage.py migrate")
    log(f"seeding {startups} startups (manage.py seed_demo)")
    run_checked(
        [
            *manage,
            "seed_demo",
            f"--users={max(10, startups // 2)}",
            f"--startups={startups}",
            f"--opportunities={startups * 2}",
            f"--applications={startups * 2}",
            f"--saves={startups}",
        ],
        env,
        "manage.py seed_demo",
    )
    # Fresh planner statistics, and no autovacuum of the new rows during the first case.
    vacuum = "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')"
    run_checked([*manage, "shell", "-c", vacuum], env, "VACUUM ANALYZE")


def check_endpoint(port: int, path: str) -> None:
    status, body = http_get(port, path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    json.loads(body)


def detail_path_for(port: int) -> str:
    status, body = http_get(port, LIST_PATH)
    if status != 200:
        raise RuntimeError(f"GET {LIST_PATH} answered {status}")
    results = json.loads(body)["results"]
    if not results:
        raise RuntimeError("the startup list is empty: seeding failed?")
    return DETAIL_PATH.format(id=results[len(results) // 2]["id"])


def combine(results: list[LoadResult]) -> LoadResult:
    """Several rounds of one case: their overall rate, the median of their percentiles."""
    if len(results) == 1:
        return results[0]

    def median(values: list[float | None]) -> float | None:
        present = [value for value in values if value is not None]
        return statistics.median(present) if present else None

    connections = [r.db_connections for r in results]
    return LoadResult(
        requests=sum(r.requests for r in results),
        seconds=sum(r.seconds for r in results),
        p50_ms=median([r.p50_ms for r in results]),
        p99_ms=median([r.p99_ms for r in results]),
        non_200=sum(r.non_200 for r in results),
        socket_errors=sum(r.socket_errors for r in results),
        others_cpu=median([r.others_cpu for r in results]),
        db_connections=None if None in connections else sum(c or 0 for c in connections),
        served=sum(r.served or r.requests for r in results),
    )


@dataclass
class CaseResult:
    section: int
    server: str
    endpoint: str
    path: str
    result: LoadResult
    baseline: bool
    ratio: float | None


def collect(
    measured: dict[str, dict[str, LoadResult]], endpoints: dict[str, str]
) -> list[CaseResult]:
    cases: list[CaseResult] = []
    for number, section in enumerate(SECTIONS):
        for endpoint, path in endpoints.items():
            base = measured[section.baseline.key][endpoint]
            for spec in section.specs:
                result = measured[spec.key][endpoint]
                cases.append(
                    CaseResult(
                        section=number,
                        server=spec.name,
                        endpoint=endpoint,
                        path=path,
                        result=result,
                        baseline=spec is section.baseline,
                        ratio=result.rps / base.rps if base.rps else None,
                    )
                )
    return cases


def format_float(value: float | None, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if value is not None else "n/a"


def format_pct(value: float | None) -> str:
    return f"{value:.0f}%" if value is not None else "n/a"


def print_tables(cases: list[CaseResult]) -> None:
    header = (
        "| Case | Endpoint | Requests/s | p50 ms | p99 ms | Requests | Errors "
        "| DB conns/request | Others' CPU | vs baseline |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for number, section in enumerate(SECTIONS):
        print(f"\n{section.title}\n")
        print(header)
        for case in (c for c in cases if c.section == number):
            r = case.result
            ratio = "n/a" if case.ratio is None else f"{case.ratio:.2f}x"
            if case.baseline:
                ratio = f"**{ratio}** (baseline)"
            print(
                f"| {case.server} | `{case.path}` | {r.rps:.1f} | {format_float(r.p50_ms, 1)} | "
                f"{format_float(r.p99_ms, 1)} | {r.requests} | {r.errors} | "
                f"{format_float(r.db_connections_per_request)} | {format_pct(r.others_cpu)} | "
                f"{ratio} |"
            )
    print(
        "\nErrors: responses other than 200 plus socket errors. DB conns/request: PostgreSQL "
        "connections opened during the case (pg_stat_database.sessions) per request the server "
        "handled (its access log). "
        "Others' CPU: CPU time used meanwhile by processes that are not the benchmark's, in % "
        "of one CPU; well above 0% means the machine was busy and the figures are low."
    )


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def print_machine(loadgen: LoadGenerator) -> None:
    log(
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
        f"Django {version('django')}, DRF {version('djangorestframework')}, "
        f"gunicorn {version('gunicorn')}, daphne {version('daphne')}, "
        f"psycopg {version('psycopg')}"
    )
    log(f"load generator: {loadgen.name}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else "")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per case (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds (2)")
    parser.add_argument("--connections", type=int, default=16, help="connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat every case this many times, alternating the order (1)",
    )
    parser.add_argument("--startups", type=int, default=3000, help="startups to seed (3000)")
    parser.add_argument(
        "--loadgen",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="wrk if installed (auto), or force one",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="before each case, wait up to this many seconds for other processes to use "
        "under 15%% of a CPU (0: do not wait)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.warmup < 0 or args.connections < 1 or args.rounds < 1:
        parser.error("need --duration >= 1, --warmup >= 0, --connections >= 1, --rounds >= 1")
    return args


def choose_loadgen(args: argparse.Namespace, lua: Path) -> LoadGenerator:
    has_wrk = shutil.which("wrk") is not None
    if args.loadgen == "wrk" and not has_wrk:
        raise SystemExit("wrk is not installed: sudo apt-get update && sudo apt-get install wrk")
    if args.loadgen == "auto" and not has_wrk:
        log(
            "wrk not found: install it for accurate figures "
            "(Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y wrk). "
            "Falling back to the built-in Python load generator, which shares the CPU and the "
            "GIL with itself and so under-reports the fastest cases."
        )
    use_wrk = has_wrk and args.loadgen != "python"
    return LoadGenerator(use_wrk, args.connections, args.threads, lua)


def _terminate(signum: int, frame: Any) -> NoReturn:
    log(f"stopped by signal {signum}: stopping the servers and services")
    raise SystemExit(128 + signum)  # unwinds through every finally: servers, services


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    started = time.monotonic()
    endpoints = {"list": LIST_PATH, "detail": ""}  # the detail id is read from the list
    with tempfile.TemporaryDirectory(prefix="collabhub-bench-") as tmp:
        work = Path(tmp)
        lua = work / "status.lua"
        lua.write_text(WRK_LUA)
        loadgen = choose_loadgen(args, lua)
        print_machine(loadgen)
        log("starting PostgreSQL 15 + Redis (scripts/services.sh)")
        with services() as started_services:
            env = build_env(started_services.urls)
            prepare_database(env, args.startups)
            bench = Bench(
                env=env,
                log_dir=work,
                loadgen=loadgen,
                endpoints=endpoints,
                warmup=args.warmup,
                duration=args.duration,
                own_daemons=started_services.pids(),
                quiet_wait=args.quiet_wait,
            )
            rounds: dict[str, list[dict[str, LoadResult]]] = {spec.key: [] for spec in SERVERS}
            for number in range(args.rounds):
                if args.rounds > 1:
                    log(f"round {number + 1} of {args.rounds}")
                # Every other round in reverse order, so that drift does not favour one server.
                order = SERVERS if number % 2 == 0 else tuple(reversed(SERVERS))
                for spec in order:
                    rounds[spec.key].append(bench.measure(spec))
    measured = {
        key: {name: combine([run[name] for run in runs]) for name in endpoints}
        for key, runs in rounds.items()
    }
    cases = collect(measured, endpoints)
    print(
        f"\nCollabHub HTTP benchmark: {loadgen.name}, {args.rounds} x {args.duration:.0f}s "
        f"per case after a {args.warmup:.0f}s warm-up; {os.cpu_count()} CPUs; "
        f"whole run {time.monotonic() - started:.0f}s"
    )
    print_tables(cases)
    if args.json:
        payload = [
            {
                **asdict(case),
                "rps": case.result.rps,
                "errors": case.result.errors,
                "db_connections_per_request": case.result.db_connections_per_request,
            }
            for case in cases
        ]
        args.json.write_text(json.dumps(payload, indent=2))
    total_errors = sum(r.errors for results in measured.values() for r in results.values())
    if total_errors:
        log(f"WARNING: {total_errors} errors (non-200 responses or socket errors), see the table")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
