"""Schema-driven fuzzing of the live API: no input may give a server error.

Serves the project with gunicorn (2 workers) on the database and Redis named by the
environment (DATABASE_URL / REDIS_URL; unset: a throwaway SQLite file and in-memory layers),
loads demo data, then runs schemathesis against /api/schema/ -- every operation, with two
concurrent workers, signed in as a founder and anonymous -- within a time budget. The verdict
comes from the server's own access log (one JSON line per request): any 5xx fails the run.

    .venv/bin/python scripts/fuzz.py --seconds 60     # .ci/run runs it on both backends

It writes demo data into the database it is given: use a throwaway one.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD = "fuzz-demo-passphrase-2026"  # noqa: S105 (a throwaway database's demo accounts)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def token(base: str) -> str:
    body = json.dumps({"email": "founder@collabhub.dev", "password": PASSWORD}).encode()
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(f"{base}/api/v1/auth/login/", data=body, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        return str(json.loads(response.read())["access"])


def schemathesis(base: str, seconds: int, workdir: Path, headers: list[str]) -> int:
    command = [str(BIN / "schemathesis"), "run", f"{base}/api/schema/", "--workers", "2",
               "--max-time", str(seconds), "--checks", "not_a_server_error",
               "--suppress-health-check", "all", "--warnings", "off"]  # fmt: skip
    for header in headers:
        command += ["--header", header]
    run = subprocess.run(command, cwd=workdir, capture_output=True, text=True,
                         timeout=seconds + 120)  # fmt: skip
    print(run.stdout[-3000:])
    return run.returncode


RATE_LIMIT_SCOPES = ("ANON", "USER", "AUTH", "APPLY", "MESSAGES", "CONNECTIONS", "INTERACTIONS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="budget per pass (60)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="collabhub-fuzz-"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "collabhub.settings", "DEBUG": "0",
           "SECRET_KEY": "fuzz-secret-key-not-for-production", "LOG_LEVEL": "INFO",
           "METRICS_TOKEN": "fuzz-metrics-token", "SECURE_SSL_REDIRECT": "0",
           "PUBLIC_API_DOCS": "1", "DEMO_PASSWORD": PASSWORD,
           "ALLOWED_HOSTS": "127.0.0.1,localhost",
           # Rate limits and sign-in lockouts run on every request (hostile input goes through
           # them too) but are raised out of reach, or the fuzz would mostly read 429s.
           "SIGN_IN_FAILURE_LIMIT": "1000000",
           **{f"RATE_LIMIT_{scope}": "1000000/min" for scope in RATE_LIMIT_SCOPES}}  # fmt: skip
    if not env.get("DATABASE_URL"):
        env["SQLITE_PATH"] = str(workdir / "fuzz.sqlite3")
    manage = [sys.executable, "manage.py"]
    seed = ["seed_demo", "--users", "60", "--startups", "40", "--opportunities", "60"]
    for step in (["migrate", "--no-input"], seed):
        subprocess.run([*manage, *step], cwd=ROOT, env=env, check=True, capture_output=True,
                       timeout=300)  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "collabhub.wsgi:application", "--bind",
             f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60", "--no-control-socket"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_until_up(f"{base}/live/")
            signed_in = [f"Authorization: Bearer {token(base)}"]
            print(f"== schemathesis, signed in as a founder ({args.seconds}s, 2 workers)")
            schemathesis(base, args.seconds, workdir, signed_in)
            print(f"== schemathesis, anonymous ({args.seconds // 2}s, 2 workers)")
            schemathesis(base, args.seconds // 2, workdir, [])
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    requests, errors = 0, []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("logger") == "collabhub.access":
            requests += 1
            if int(entry.get("status_code", 0)) >= 500:
                errors.append(
                    f"{entry.get('method')} {entry.get('path')} -> {entry['status_code']}"
                )
        elif (
            entry.get("level") in ("ERROR", "CRITICAL") and entry.get("logger") != "django.request"
        ):
            errors.append(f"{entry.get('logger')}: {entry.get('message')}")
    print(f"fuzz: {requests} requests served, {len(errors)} server errors (log: {log_path})")
    for error in errors[:30]:
        print("  ", error)
    if requests < 200:
        print("fuzz: too few requests reached the server: the run did not happen")
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
