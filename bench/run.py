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
    the baseline) vs ``DB_CONN_MAX_AGE=60`` (persistent connections with health checks);
(c) ours vs bare DRF (issue 18, goal 1): the startups list and detail and bare DRF's views of
    the same rows and fields (``bench/rest.py``'s, mounted by the bench-only URLconf
    ``bench/bare_urls.py`` through ``DJANGO_SETTINGS_MODULE=bare_settings``), signed in, on one
    gunicorn server with 1 sync worker; prints the ratio with PASS/FAIL against 1.5x;
(d) a mixed read/write load from several signed-in users under the production shape
    (docker-compose.yml's gunicorn and Celery worker commands; ``bench/mixed.py``), with
    requests/s, p50/p99 and errors per kind and the CPU split between the app server, the
    Celery worker, PostgreSQL, Redis, the load generator and everything else.

``--cases servers,bare,mixed`` picks some of them: (a) and (b) are ``servers``.

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
import math
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


def http_get(
    port: int, path: str, timeout: float = 5.0, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
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
        return {pid for pid in (self.postgres_pid(), self.redis_pid()) if pid is not None}

    def postgres_pid(self) -> int | None:
        return self._pid(self.directory / "pg" / "data" / "postmaster.pid")

    def redis_pid(self) -> int | None:
        return self._pid(self.directory / "redis.pid")

    @staticmethod
    def _pid(pid_file: Path) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(pid_file.read_text().split()[0])
        return None


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


def child_on_postgres(
    script: str, args: Sequence[str], what: str, *, redis: bool = False
) -> dict[str, Any]:
    """Run ``script --child args`` (a benchmark's measuring half) against a throwaway
    PostgreSQL (and Redis, for the cache and the channel layer, with ``redis``), as a
    production process (``production_env``) with the worker's statement deadline -- loading a
    million rows is a batch job, not a 3 s request -- and return the JSON object it prints
    last."""
    from common import production_env

    with services() as running:
        urls = {k: v for k, v in running.urls.items() if redis or k != "REDIS_URL"}
        out = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, script, "--child", *args],
            env={**production_env(), **urls, "DB_STATEMENT_TIMEOUT_MS": "600000"},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    if out.returncode != 0:
        raise SystemExit(f"{what} benchmark failed:\n{out.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def proc_table(with_children: bool = False) -> ProcTable | None:
    """Every process's CPU time so far, from /proc (Linux; None elsewhere); ``with_children``
    adds that of its children that exited and were waited for (cutime, cstime), so that a
    short-lived child (a PostgreSQL parallel worker, wrk) still counts, in its parent."""
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
        if with_children:
            utime += int(fields[13]) + int(fields[14])
        table[int(entry.name)] = (ppid, pgid, (utime + stime) / ticks)
    return table


def subtrees(table: ProcTable, roots: set[int]) -> set[int]:
    """The roots present in ``table`` and every process below them."""
    import mixed

    return mixed.descendants(table, roots)


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
        if self.kind == "gunicorn-deployed":
            return deployed_gunicorn_command(port, self.processes)
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


def deployed_gunicorn_command(port: int, workers: int | None = None) -> list[str]:
    """docker-compose.yml's ``web`` command (gunicorn, sync workers, ``./gunicorn.conf.py``,
    no gunicorn access log: the app writes its own), bound to ``port`` on loopback, with
    ``workers`` instead of the file's count if given."""
    import shlex

    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    argv = shlex.split(compose["services"]["web"]["command"])
    argv[argv.index("--bind") + 1] = f"{HOST}:{port}"
    if workers is not None:
        argv[argv.index("--workers") + 1] = str(workers)
    return [sys.executable, "-m", *argv]


def deployed_celery_command() -> list[str]:
    """docker-compose.yml's ``worker`` command (Celery, prefork, one process per CPU)."""
    import shlex

    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return [sys.executable, "-m", *shlex.split(compose["services"]["worker"]["command"])]


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


def wrk_load(
    url: str,
    seconds: float,
    connections: int,
    threads: int,
    lua: Path,
    headers: Sequence[str] = (),
) -> LoadResult:
    command = [
        "wrk",
        *(f"--header={header}" for header in headers),
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


def python_load(
    port: int, path: str, seconds: float, connections: int, headers: Sequence[str] = ()
) -> LoadResult:
    """Fallback: one thread per keep-alive connection (http.client), for ``seconds``."""
    tallies = [_WorkerTally() for _ in range(connections)]
    start = time.perf_counter()
    deadline = start + seconds

    def worker(tally: _WorkerTally) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            try:
                conn.request("GET", path, headers=dict(h.split(": ", 1) for h in headers))
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

    def run(self, port: int, path: str, seconds: float, headers: Sequence[str] = ()) -> LoadResult:
        if self.use_wrk:
            url = f"http://{HOST}:{port}{path}"
            return wrk_load(url, seconds, self.connections, self.threads, self.lua, headers)
        return python_load(port, path, seconds, self.connections, headers)


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


# --- Signed-in requests ------------------------------------------------------------------------


def http_call(
    port: int, method: str, path: str, body: str | None = None, token: str | None = None
) -> tuple[int, bytes]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def sign_in(port: int, email: str, password: str) -> str:
    """An access token from ``POST /api/v1/auth/login/``, as an API client gets one."""
    body = json.dumps({"email": email, "password": password})
    status, answer = http_call(port, "POST", "/api/v1/auth/login/", body)
    if status != 200:
        raise RuntimeError(f"signing in as {email} answered {status}: {answer[:300]!r}")
    token: str = json.loads(answer)["access"]
    return token


# --- Ours vs bare DRF (issue 18, goal 1) ---------------------------------------------------------

BARE_GOAL = 1.5
BUSY_OTHERS = 15.0  # % of a CPU used by other processes that marks a busy machine
BARE_USER = "talent@collabhub.dev"  # signed in, as bench/rest.py measures
GUNICORN_BARE = ServerSpec(
    "gunicorn-1-bare", "gunicorn WSGI, 1 sync worker, bench URLconf", "gunicorn", 1, 60
)
# endpoint: (ours, bare DRF's view of the same rows and fields, from bench/rest.py)
BARE_PATHS = {
    "list": (LIST_PATH, "/api/v1/_bare/startups/"),
    "detail": (DETAIL_PATH, "/api/v1/_bare/startups/{id}/"),
}


@dataclass
class BareCase:
    endpoint: str
    ours_path: str
    bare_path: str
    ours: LoadResult
    bare: LoadResult
    same_output: bool

    @property
    def ratio(self) -> float | None:
        return self.ours.rps / self.bare.rps if self.bare.rps else None

    @property
    def passed(self) -> bool:
        return self.same_output and self.ratio is not None and self.ratio >= BARE_GOAL


def comparable_body(body: bytes, listing: bool) -> Any:
    data = json.loads(body)
    return {"count": data.get("count"), "results": data["results"]} if listing else data


# --- The mixed read/write case (issue 18, goal 4) ------------------------------------------------


@dataclass
class MixedResult:
    server: str
    users: int
    connections: int
    loadgen: str
    stats: list[Any]  # mixed.KindStats
    cpu: dict[str, float]  # % of one CPU
    machine_busy: float | None  # % of one CPU, all processes and the kernel (/proc/stat)
    interrupts: float | None  # % of one CPU in irq + softirq (/proc/stat), no process's
    wraps: int
    queue_after: int | None  # Celery tasks still queued right after the load
    applications_left: int
    wrk_p50_ms: float | None = None  # wrk's own figures for every request (a cross-check)
    wrk_p99_ms: float | None = None

    @property
    def errors(self) -> int:
        return int(self.stats[-1].errors) + (1 if self.wraps else 0)


def proc_stat_cpu() -> list[int]:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("cpu "):
                return [int(value) for value in line.split()[1:]]
    return []


def celery_queue_length(redis_url: str) -> int | None:
    try:
        import redis

        return int(redis.Redis.from_url(redis_url, socket_timeout=5).llen("celery"))
    except Exception:  # a diagnostic only
        return None


def wait_for_queue(redis_url: str, timeout: float = 60.0) -> None:
    """Until the Celery worker has taken every queued task (what set-up and warm-up sent)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not celery_queue_length(redis_url):
            return
        time.sleep(0.5)
    log("  the Celery queue did not drain: measuring anyway")


@contextlib.contextmanager
def celery_worker(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """docker-compose.yml's Celery worker, in its own process group; stopped at the end."""
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 (fixed argument list, no shell)
            deployed_celery_command(),
            cwd=ROOT,
            env={**env, "DB_STATEMENT_TIMEOUT_MS": "600000"},  # as docker-compose.yml
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def measure_bare(bench: Bench, rounds: int) -> list[BareCase]:
    """Our startups list and detail and bare DRF's, signed in, on one gunicorn server (1 sync
    worker, PostgreSQL, every middleware) whose URLconf adds bare DRF's views
    (``bench/bare_settings.py``); interleaved in rounds, alternating which goes first."""
    bench_dir = str(ROOT / "bench")
    # bench/ after the project: its search.py, feed.py... must not shadow the apps.
    python_path = os.pathsep.join(
        p for p in (str(ROOT), bench.env.get("PYTHONPATH"), bench_dir) if p
    )
    env = {**bench.env, "DJANGO_SETTINGS_MODULE": "bare_settings", "PYTHONPATH": python_path}
    server = Server(GUNICORN_BARE, env, bench.log_dir)
    try:
        log(f"starting {GUNICORN_BARE.name} (ours vs bare DRF) on port {server.port}")
        server.start()
        token = sign_in(server.port, BARE_USER, env["DEMO_PASSWORD"])
        headers = [f"Authorization: Bearer {token}", "Accept: application/json"]
        status, body = http_call(server.port, "GET", LIST_PATH, token=token)
        if status != 200:
            raise RuntimeError(f"GET {LIST_PATH} answered {status}")
        rows = json.loads(body)["results"]
        startup_id = rows[len(rows) // 2]["id"]
        paths = {
            name: (ours.format(id=startup_id), bare.format(id=startup_id))
            for name, (ours, bare) in BARE_PATHS.items()
        }
        same: dict[str, bool] = {}
        for name, (ours_path, bare_path) in paths.items():
            bodies = []
            for path in (ours_path, bare_path):
                status, body = http_call(server.port, "GET", path, token=token)
                if status != 200:
                    raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
                bodies.append(comparable_body(body, listing=name == "list"))
            same[name] = bodies[0] == bodies[1]
            if not same[name]:
                log(f"  WARNING: ours and bare DRF answer different JSON on {name}")
        measured: dict[tuple[str, str], list[LoadResult]] = {}
        for number in range(rounds):
            for name, (ours_path, bare_path) in paths.items():
                sides = [("ours", ours_path), ("bare", bare_path)]
                if number % 2:
                    sides.reverse()
                for side, path in sides:
                    if bench.quiet_wait > 0:
                        wait_for_quiet(bench.own_daemons, bench.quiet_wait)
                    bench.loadgen.run(server.port, path, bench.warmup, headers)  # discarded
                    watch = CpuWatch(bench.own_daemons)
                    result = bench.loadgen.run(server.port, path, bench.duration, headers)
                    result.others_cpu = watch.others_percent()
                    log(
                        f"  {name} {side}: {result.rps:6.1f} req/s, {result.requests} requests, "
                        f"{result.errors} errors, others used {format_pct(result.others_cpu)} CPU"
                    )
                    measured.setdefault((name, side), []).append(result)
    finally:
        server.stop()
    return [
        BareCase(
            endpoint=name,
            ours_path=paths[name][0],
            bare_path=paths[name][1],
            ours=combine(measured[(name, "ours")]),
            bare=combine(measured[(name, "bare")]),
            same_output=same[name],
        )
        for name in paths
    ]


def run_mix(
    bench: Bench, port: int, plan: Any, seconds: float, connections: int
) -> Any:  # mixed.MixRun
    """One run of the mix for ``seconds``: wrk with the Lua script, else the Python one."""
    import mixed

    requests = plan.requests(math.ceil(mixed.LIST_RATE * seconds))
    if not bench.loadgen.use_wrk:
        return mixed.python_mixed_load(HOST, port, requests, plan.users, seconds, connections)
    lines = bench.log_dir / "mix-requests.txt"
    out = bench.log_dir / "mix-samples.txt"
    script = bench.log_dir / "mix.lua"
    lines.write_text(mixed.request_lines(requests, plan.users))
    script.write_text(mixed.mix_lua(out))
    out.unlink(missing_ok=True)
    command = [
        "wrk",
        f"--threads={connections}",  # one connection per thread: each request timed by kind
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        f"--script={script}",
        f"http://{HOST}:{port}/",
        "--",
        str(lines),
        str(connections),
    ]
    result = subprocess.run(  # noqa: S603 (fixed argument list, no shell)
        command, capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    if result.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk failed:\n{result.stdout}\n{result.stderr}")
    return mixed.parse_wrk_output(out.read_text())


def measure_mixed(
    bench: Bench, running: Services, users: int, workers: int | None, connections: int
) -> MixedResult:
    import mixed

    log(f"preparing the mixed case: {users} talent users, connected in a ring")
    script = mixed.PREPARE.format(users=users)
    output = run_checked(
        [sys.executable, "manage.py", "shell", "-c", script], bench.env, "the mix's set-up"
    )
    data = json.loads(output.strip().splitlines()[-1])
    people = [mixed.MixUser(**user) for user in data["users"]]
    if len(people) < 2:
        raise RuntimeError("the mix needs at least two talent users: seeding failed?")
    plan = mixed.MixPlan(people, data["startups"], data["terms"])
    if workers is None:
        argv = deployed_gunicorn_command(0)
        workers = int(argv[argv.index("--workers") + 1])
    metrics_dir = bench.log_dir / "prometheus"
    metrics_dir.mkdir(exist_ok=True)
    env = {**bench.env, "LOG_LEVEL": "INFO", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    spec = ServerSpec(
        "gunicorn-deployed",
        f"gunicorn as deployed ({workers} sync workers, gunicorn.conf.py) + Celery worker",
        "gunicorn-deployed",
        workers,
        60,  # docker-compose.yml's DB_CONN_MAX_AGE
    )
    server = Server(spec, env, bench.log_dir)
    with celery_worker(env, bench.log_dir / "celery.log") as worker:
        try:
            log(f"starting {spec.name} on port {server.port}")
            server.start()
            for person in people:
                person.token = sign_in(server.port, person.email, env["DEMO_PASSWORD"])
            for kind, _ in mixed.MIX:  # one of each, checked before any load
                request = plan.request(kind)
                status, body = http_call(
                    server.port,
                    request.method,
                    request.path,
                    request.body or None,
                    people[request.user].token,
                )
                if status != mixed.EXPECTED_STATUS.get(kind, 200):
                    raise RuntimeError(
                        f"{request.method} {request.path} answered {status}: {body[:300]!r}"
                    )
            if bench.quiet_wait > 0:
                wait_for_quiet(bench.own_daemons, bench.quiet_wait)
            run_mix(bench, server.port, plan, bench.warmup, connections)  # discarded
            wait_for_queue(bench.env["REDIS_URL"])
            groups = {
                "app server (gunicorn)": {server.process.pid} if server.process else set(),
                "Celery worker": {worker.pid},
                "PostgreSQL": {pid for pid in (running.postgres_pid(),) if pid},
                "Redis": {pid for pid in (running.redis_pid(),) if pid},
                # wrk (this script's child, waited for) or this script's threads.
                "load generator": {os.getpid()},
            }
            before, stat_before = proc_table(with_children=True), proc_stat_cpu()
            started = time.monotonic()
            run = run_mix(bench, server.port, plan, bench.duration, connections)
            after, stat_after = proc_table(with_children=True), proc_stat_cpu()
            elapsed = time.monotonic() - started
            queue_after = celery_queue_length(bench.env["REDIS_URL"])
        finally:
            server.stop()
    cpu: dict[str, float] = {}
    if before is not None and after is not None:
        cpu = mixed.cpu_split(before, after, groups, elapsed)
    busy = mixed.machine_busy(stat_before, stat_after)
    interrupts = mixed.interrupt_share(stat_before, stat_after)
    cpus = 100 * (os.cpu_count() or 1)
    stats = mixed.kind_stats(run, [kind for kind, _ in mixed.MIX])
    total = stats[-1]
    log(
        f"  mixed: {total.rps:6.1f} req/s, {total.requests} requests, {total.errors} errors, "
        f"{plan.applications_left()} fresh applications left"
    )
    return MixedResult(
        server=spec.name,
        users=len(people),
        connections=connections,
        loadgen="wrk + Lua (one connection per thread)"
        if bench.loadgen.use_wrk
        else "Python threads (http.client)",
        stats=stats,
        cpu=cpu,
        machine_busy=None if busy is None else busy * cpus,
        interrupts=None if interrupts is None else interrupts * cpus,
        wraps=run.wraps,
        queue_after=queue_after,
        applications_left=plan.applications_left(),
        wrk_p50_ms=run.wrk_p50_ms,
        wrk_p99_ms=run.wrk_p99_ms,
    )


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
            # The mixed case signs in, applies and sends messages: their scopes too.
            "RATE_LIMIT_AUTH": UNLIMITED_RATE,
            "RATE_LIMIT_APPLY": UNLIMITED_RATE,
            "RATE_LIMIT_MESSAGES": UNLIMITED_RATE,
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


def print_bare(cases: list[BareCase], rounds: int, duration: float) -> None:
    print(
        f"\n(c) Ours vs bare DRF (issue 18, goal 1: ours >= {BARE_GOAL}x): {GUNICORN_BARE.name}, "
        f"signed in ({BARE_USER}, JWT), {rounds} x {duration:.0f}s per case, interleaved\n"
    )
    print(
        "| Endpoint | Ours | Bare DRF | Ours req/s | Bare req/s | Ours p50 / p99 ms "
        "| Bare p50 / p99 ms | Errors | Others' CPU | Same JSON | Ours ÷ bare | Goal |\n"
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---|"
    )
    for case in cases:
        ours, bare = case.ours, case.bare
        print(
            f"| {case.endpoint} | `{case.ours_path}` | `{case.bare_path}` | {ours.rps:.1f} | "
            f"{bare.rps:.1f} | {format_float(ours.p50_ms, 1)} / {format_float(ours.p99_ms, 1)} | "
            f"{format_float(bare.p50_ms, 1)} / {format_float(bare.p99_ms, 1)} | "
            f"{ours.errors + bare.errors} | "
            f"{format_pct(ours.others_cpu)} / {format_pct(bare.others_cpu)} | "
            f"{'yes' if case.same_output else '**no**'} | "
            f"**{format_float(case.ratio)}x** | {'PASS' if case.passed else 'FAIL'} |"
        )


def print_mixed(result: MixedResult, duration: float) -> None:
    print(
        f"\n(d) Mixed read/write load: {result.server}; PostgreSQL + Redis, DEBUG=0; "
        f"{result.users} signed-in talent users (JWT), {result.connections} connections, "
        f"{result.loadgen}, {duration:.0f}s after a warm-up\n"
    )
    print(
        "| Kind | Share | Requests | Requests/s | p50 ms | p99 ms | Errors |\n"
        "|---|---:|---:|---:|---:|---:|---:|"
    )
    total = result.stats[-1].requests or 1
    for stats in result.stats:
        name = "**all**" if stats.kind == "all" else stats.kind
        unexpected = ", ".join(f"{n}x {code}" for code, n in sorted(stats.statuses.items()))
        errors = f"{stats.errors} ({unexpected})" if unexpected else str(stats.errors)
        print(
            f"| {name} | {100 * stats.requests / total:.0f}% | {stats.requests} | "
            f"{stats.rps:.1f} | {format_float(stats.p50_ms, 1)} | {format_float(stats.p99_ms, 1)} "
            f"| {errors} |"
        )
    if result.wrk_p50_ms is not None:
        print(
            f"\n(wrk's own latency over every request, as a check of the per-kind timing: "
            f"p50 {result.wrk_p50_ms:.1f} ms, p99 {format_float(result.wrk_p99_ms, 1)} ms.)"
        )
    if result.cpu:
        print("\nCPU during the mixed case, in % of one CPU (from /proc):\n")
        print("| Process | CPU |\n|---|---:|")
        for name, share in result.cpu.items():
            print(f"| {name} | {share:.0f}% |")
        print(f"| all these processes | {sum(result.cpu.values()):.0f}% |")
        if result.interrupts is not None:
            print(f"| interrupts (irq + softirq: no process's) | {result.interrupts:.0f}% |")
        if result.machine_busy is not None:
            rest = result.machine_busy - sum(result.cpu.values()) - (result.interrupts or 0)
            print(f"| not attributed (see below) | {rest:.0f}% |")
            print(
                f"| **machine busy** (/proc/stat, of {100 * (os.cpu_count() or 1)}%) "
                f"| {result.machine_busy:.0f}% |"
            )
        print(
            "\nEach process counts with the children it waited for (wrk in the load generator, "
            "PostgreSQL's parallel workers). Not attributed: the CPU of processes that exited "
            "and were not waited for by a process still running, mostly other jobs' short "
            "commands."
        )
    others = result.cpu.get("others", 0.0)
    if others > BUSY_OTHERS:
        print(
            f"\nWARNING: other processes used {others:.0f}% of a CPU meanwhile: the machine was "
            "busy and these figures are low (see --quiet-wait)."
        )
    print(
        "\nErrors: responses other than the kind's expected status (201 for apply and message, "
        "200 otherwise) plus socket errors. Every application is a fresh opportunity/applicant "
        f"pair ({result.applications_left} fresh pairs were left). Celery tasks still queued "
        f"right after the load: {result.queue_after if result.queue_after is not None else 'n/a'}."
    )
    if result.wraps:
        print(
            f"WARNING: the request list wrapped {result.wraps} times (its writes were skipped "
            "then): raise mixed.LIST_RATE."
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
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help="which cases, comma-separated: servers ((a) and (b): gunicorn vs Daphne, DB "
        "connections), bare ((c) ours vs bare DRF), mixed ((d) the mixed read/write load and "
        "its CPU split); all by default",
    )
    parser.add_argument(
        "--mixed-users", type=int, default=8, help="signed-in users of the mixed case (8)"
    )
    parser.add_argument(
        "--mixed-workers",
        type=int,
        help="gunicorn workers of the mixed case (default: docker-compose.yml's)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.warmup < 0 or args.connections < 1 or args.rounds < 1:
        parser.error("need --duration >= 1, --warmup >= 0, --connections >= 1, --rounds >= 1")
    args.cases = [case.strip() for case in args.cases.split(",") if case.strip()]
    if not args.cases or set(args.cases) - set(CASES):
        parser.error(f"--cases takes some of {', '.join(CASES)}")
    if args.mixed_users < 2:
        parser.error("need --mixed-users >= 2 (they message each other)")
    return args


CASES = ("servers", "bare", "mixed")


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
    rounds: dict[str, list[dict[str, LoadResult]]] = {spec.key: [] for spec in SERVERS}
    bare: list[BareCase] = []
    mixed_result: MixedResult | None = None
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
            for number in range(args.rounds if "servers" in args.cases else 0):
                if args.rounds > 1:
                    log(f"round {number + 1} of {args.rounds}")
                # Every other round in reverse order, so that drift does not favour one server.
                order = SERVERS if number % 2 == 0 else tuple(reversed(SERVERS))
                for spec in order:
                    rounds[spec.key].append(bench.measure(spec))
            if "bare" in args.cases:
                bare = measure_bare(bench, args.rounds)
            if "mixed" in args.cases:
                mixed_result = measure_mixed(
                    bench,
                    started_services,
                    users=args.mixed_users,
                    workers=args.mixed_workers,
                    connections=args.connections,
                )
    print(
        f"\nCollabHub HTTP benchmark: {loadgen.name}, {args.rounds} x {args.duration:.0f}s "
        f"per case after a {args.warmup:.0f}s warm-up; {os.cpu_count()} CPUs; "
        f"whole run {time.monotonic() - started:.0f}s"
    )
    total_errors = 0
    payload: dict[str, Any] = {}
    if "servers" in args.cases:
        measured = {
            key: {name: combine([run[name] for run in runs]) for name in endpoints}
            for key, runs in rounds.items()
        }
        cases = collect(measured, endpoints)
        print_tables(cases)
        payload["servers"] = [
            {
                **asdict(case),
                "rps": case.result.rps,
                "errors": case.result.errors,
                "db_connections_per_request": case.result.db_connections_per_request,
            }
            for case in cases
        ]
        total_errors += sum(r.errors for results in measured.values() for r in results.values())
    if bare:
        print_bare(bare, args.rounds, args.duration)
        payload["bare"] = [
            {**asdict(case), "ratio": case.ratio, "passed": case.passed} for case in bare
        ]
        total_errors += sum(case.ours.errors + case.bare.errors for case in bare)
    if mixed_result is not None:
        print_mixed(mixed_result, args.duration)
        payload["mixed"] = asdict(mixed_result)
        total_errors += mixed_result.errors
    if args.json:
        args.json.write_text(json.dumps(payload, indent=2))
    if total_errors:
        log(f"WARNING: {total_errors} errors (unexpected responses or socket errors), see above")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
