"""Helpers for tests that start the project in another process."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVICE_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DEBUG",
    "METRICS_TOKEN",
)
# What a production-shaped process started by a test needs besides its services: the ops
# token (settings refuse DEBUG off without one; requests to /metrics/ and for /health/'s
# detail send it) and plain HTTP on loopback (no redirect to HTTPS).
METRICS_TOKEN = "test-metrics-token"
PRODUCTION_ON_LOOPBACK = {"DEBUG": "0", "METRICS_TOKEN": METRICS_TOKEN, "SECURE_SSL_REDIRECT": "0"}


def process_env(**overrides: str) -> dict[str, str]:
    """This environment without the service variables, with the real settings module and
    ``overrides`` on top (so each test says exactly which services its process uses)."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env["DJANGO_SETTINGS_MODULE"] = "collabhub.settings"
    env.update(overrides)
    return env


def processes_stop(processes: Iterable[subprocess.Popen[Any]], timeout: float = 20) -> None:
    """SIGTERM each process's group (started with ``start_new_session=True``), wait for it,
    and SIGKILL a group that outlasts ``timeout`` seconds."""
    processes = list(processes)
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def run_python(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", script]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def free_port() -> int:
    """A loopback port nothing listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def celery_pools_reset() -> None:
    """Forget Celery's cached connection and producer pools and result backend, after a test
    changed the broker or backend: they are made lazily for the configuration at first use,
    and kept."""
    import kombu.pools

    from collabhub.celery import app

    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)  # the result backend, chosen at first use too


def wait_until_up(url: str, timeout: float = 40) -> None:
    """Poll ``url`` until it answers (a server started by a test)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


async def refusal_code(communicator: Any) -> int:
    """The close code of a socket the server accepted only to refuse (so the client can
    read why): connect, then the very next frame is the close."""
    connected, _ = await communicator.connect()
    assert connected is True
    output = await communicator.receive_output(timeout=2)
    assert output["type"] == "websocket.close", output
    await communicator.wait(timeout=2)  # and the consumer has stopped
    return int(output["code"])


class RedisServer:
    """A redis-server of one test's own on a loopback port, to stop, start, freeze and thaw
    (Debian's ``redis-server``; CI installs it)."""

    def __init__(self, data_dir: Path | None = None) -> None:
        """With ``data_dir`` the server keeps its data there (an fsynced append-only file)
        and finds it again when started after a stop; without it, every start is empty."""
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no"]  # fmt: skip
        if self.data_dir is not None:
            command += ["--dir", str(self.data_dir), "--appendonly", "yes",
                        "--appendfsync", "always"]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        import redis

        client = redis.Redis(port=self.port, socket_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not come up")

    def stop(self) -> None:
        if self.process is not None:
            self.thaw()
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def freeze(self) -> None:
        """Still accepting connections, never answering (SIGSTOP)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGCONT)


PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


class PostgresServer:
    """A throwaway PostgreSQL 15 cluster of one test's own on a loopback port, to stop,
    start, freeze and thaw (as scripts/services.sh, which CI uses, starts one)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.url = f"postgres://collabhub@127.0.0.1:{self.port}/collabhub"

    @staticmethod
    def available() -> bool:
        return (PG_BIN / "initdb").exists()

    def _run(self, *command: str) -> None:
        if os.getuid() == 0:  # PostgreSQL refuses to run as root
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def create(self) -> None:
        if os.getuid() == 0:
            if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
                subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
            subprocess.run(["chown", "-R", "postgres", str(self.directory)], check=True)
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "collabhub",
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8")  # fmt: skip
        self.start()
        self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "collabhub", "collabhub")  # fmt: skip

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")  # fmt: skip
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.directory / "server.log"), "-w", "-o", options, "start")  # fmt: skip

    def stop(self) -> None:
        self.thaw()
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _pids(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True,
                                  text=True).stdout.split()  # fmt: skip
        return [postmaster, *map(int, children)]

    def freeze(self) -> None:
        """Every server process stopped (SIGSTOP): connections accepted by the kernel, no
        answer ever."""
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):  # a backend that just exited
                os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if (self.data / "postmaster.pid").exists():
            for pid in self._pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)


def reply_of(message: dict) -> dict:
    """A socket's own reply (pong, error, resumed, session_ended, resync) checked for the one
    message shape -- ``type``, ``id`` (None), ``data``, ``request_id`` (the connection's ID) --
    and returned as ``{"type", "data"}`` (without ``data`` when it is None) to compare."""
    assert set(message) == {"type", "id", "data", "request_id"}, message
    assert message["id"] is None
    assert str(message["request_id"]).startswith("ws-")
    return {"type": message["type"], **({"data": message["data"]} if message["data"] else {})}


def realtime_command(port: int) -> list[str]:
    """The realtime server exactly as docker-compose.yml runs it (uvicorn for /ws/), on
    127.0.0.1:``port`` -- so the tests' processes serve sockets as production does."""
    import shlex

    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    argv = shlex.split(compose["services"]["realtime"]["command"])
    assert argv[0] == "uvicorn", argv
    argv[argv.index("--host") + 1] = "127.0.0.1"
    argv[argv.index("--port") + 1] = str(port)
    return [sys.executable, "-m", *argv]
