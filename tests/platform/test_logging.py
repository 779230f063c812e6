"""Every log line is one JSON object carrying the request ID; secrets never reach a log."""

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from startups import selectors
from tests.accounts.factories import UserFactory
from tests.conftest import Lines
from tests.support import ROOT, process_env, run_python

pytestmark = pytest.mark.django_db


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "collabhub.access"]


def test_one_access_line_per_request_with_every_field(client_for, log_lines: Lines) -> None:
    user = UserFactory()

    response = client_for(user).get(
        "/api/v1/users/?role=talent", HTTP_X_REQUEST_ID="req-1", HTTP_USER_AGENT="pytest-agent/1"
    )

    [line] = access_lines(log_lines())
    assert line["level"] == "INFO"
    assert line["request_id"] == "req-1" == response["X-Request-ID"]
    assert line["user_id"] == user.pk
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/users/"
    assert line["route"] == "api/v1/users/"
    assert line["status_code"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["remote_addr"] == "127.0.0.1"
    assert line["user_agent"] == "pytest-agent/1"
    assert line["response_bytes"] == len(response.content)
    assert line["timestamp"].endswith("+00:00")  # ISO 8601, UTC


def test_anonymous_request_has_no_user_id(api_client: APIClient, log_lines: Lines) -> None:
    api_client.get("/api/v1/startups/")

    [line] = access_lines(log_lines())
    assert line["user_id"] is None
    assert line["route"] == "api/v1/startups/"


def test_route_is_the_url_pattern_not_the_raw_path(api_client: APIClient, log_lines: Lines) -> None:
    api_client.get("/api/v1/startups/12345/")
    api_client.get("/no/such/page/")

    known, unknown = access_lines(log_lines())
    assert known["route"] == "api/v1/startups/{pk}/"
    assert known["path"] == "/api/v1/startups/12345/"
    assert unknown["route"] is None


def test_forwarded_for_is_trusted_only_behind_configured_proxies(
    api_client: APIClient,
    log_lines: Lines,
    settings,
) -> None:
    forged = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 10.1.2.3", "REMOTE_ADDR": "10.0.0.9"}

    api_client.get("/live/", **forged)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    api_client.get("/live/", **forged)

    direct, proxied = access_lines(log_lines())
    assert direct["remote_addr"] == "10.0.0.9"
    assert proxied["remote_addr"] == "10.1.2.3"


def test_slow_requests_are_warnings(api_client: APIClient, log_lines: Lines, settings) -> None:
    settings.SLOW_REQUEST_MS = 0

    api_client.get("/live/")

    [line] = access_lines(log_lines())
    assert line["level"] == "WARNING"
    assert line["message"] == "slow request"


def test_django_request_warnings_carry_the_request_id(
    api_client: APIClient, log_lines: Lines
) -> None:
    response = api_client.get("/api/v1/startups/999999/", HTTP_X_REQUEST_ID="trace-me-42")

    assert response.status_code == 404
    warnings = [line for line in log_lines() if line["logger"] == "django.request"]
    assert warnings
    assert {line["request_id"] for line in warnings} == {"trace-me-42"}


def test_unhandled_error_is_logged_once_at_error_with_traceback(
    api_client: APIClient, log_lines: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("boom in selector")

    monkeypatch.setattr(selectors, "startup_id_list", broken)  # the list reads ids first

    response = api_client.get("/api/v1/startups/", HTTP_X_REQUEST_ID="err-1")

    assert response.status_code == 500
    lines = log_lines()
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1, errors
    assert errors[0]["request_id"] == "err-1"
    assert "RuntimeError: boom in selector" in errors[0]["exc_info"]
    assert access_lines(lines)[0]["status_code"] == 500


def test_secrets_never_reach_the_logs(api_client: APIClient, log_lines: Lines) -> None:
    password, new_password = "first-Secret-pass-9471", "second-Secret-pass-2206"
    register = api_client.post(
        "/api/v1/auth/register/",
        {"email": "s@example.com", "password": password, "name": "S", "role": "talent"},
        format="json",
    ).json()
    api_client.post(
        "/api/v1/auth/login/", {"email": "s@example.com", "password": "wrong-pass"}, format="json"
    )
    tokens = api_client.post(
        "/api/v1/auth/login/", {"email": "s@example.com", "password": password}, format="json"
    ).json()
    rotated = api_client.post(
        "/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json"
    ).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated['access']}")
    api_client.get("/api/v1/auth/me/")
    changed = api_client.post(
        "/api/v1/auth/password/",
        {"old_password": password, "new_password": new_password},
        format="json",
    ).json()
    api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    api_client.post("/api/v1/auth/logout/", {"refresh": changed["refresh"]}, format="json")
    logging.getLogger("collabhub.test").info("careless", extra={"password": password})

    output = json.dumps(log_lines())
    secrets = [
        password,
        new_password,
        settings.SECRET_KEY,
        *register["tokens"].values(),
        *tokens.values(),
        *rotated.values(),
        *changed.values(),
    ]
    assert len(access_lines(log_lines())) == 8
    for secret in secrets:
        assert secret not in output
    assert "Bearer" not in output


def test_log_file_adds_rotating_files_with_errors_apart(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "collabhub.log"
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('collabhub.t').info('hello info'); "
        "logging.getLogger('collabhub.t').error('hello error')"
    )
    env = process_env(DEBUG="1", LOG_FILE=str(log_file), SQLITE_PATH=str(tmp_path / "db"))

    result = run_python(script, env)

    assert result.returncode == 0, result.stderr
    main = [json.loads(line)["message"] for line in log_file.read_text().splitlines()]
    errors = [
        json.loads(line)["message"]
        for line in (log_file.parent / "error.log").read_text().splitlines()
    ]
    assert "hello info" in main and "hello error" in main
    assert errors == ["hello error"]


def test_every_handler_writes_json() -> None:
    """No plain-text handler is left anywhere (Django's DEBUG console handler included)."""
    loggers = [logging.getLogger(), *map(logging.getLogger, logging.root.manager.loggerDict)]
    handlers = {
        handler
        for logger in loggers
        for handler in getattr(logger, "handlers", [])
        if not type(handler).__module__.startswith("_pytest")  # pytest's own capture
        and not isinstance(handler, logging.NullHandler)  # writes nothing
    }

    assert handlers
    for handler in handlers:
        assert type(handler.formatter).__name__ == "JsonFormatter", handler


AUTH_FLOW = r"""
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from accounts.models import User

c = Client()
def post(path, body, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = c.post(path, json.dumps(body), content_type="application/json", **headers)
    assert response.status_code < 300, (path, response.status_code, response.content)
    return response.json() if response.content else {}

secrets = ["first-long-passphrase-42", "second-long-passphrase-42"]
tokens = post("/api/v1/auth/register/", {"email": "flow@example.com", "password": secrets[0],
              "name": "Flow", "role": "talent"})["tokens"]
secrets += [tokens["access"], tokens["refresh"]]
pair = post("/api/v1/auth/login/", {"email": "flow@example.com", "password": secrets[0]})
secrets += [pair["access"], pair["refresh"]]
pair = post("/api/v1/auth/refresh/", {"refresh": pair["refresh"]})
secrets += [pair["access"], pair["refresh"]]
secrets.append(post("/api/v1/realtime/ticket/", {}, pair["access"])["ticket"])
pair = post("/api/v1/auth/password/", {"old_password": secrets[0], "new_password": secrets[1]},
            pair["access"])
secrets += [pair["access"], pair["refresh"]]
post("/api/v1/auth/logout/", {"refresh": pair["refresh"]})
guesses = ["a-wrong-but-secret-guess-77", "an-admin-form-secret-guess-88",
           "a-password-typed-as-the-email-99"]  # failed sign-ins
bad = c.post("/api/v1/auth/login/", json.dumps({"email": "flow@example.com",
             "password": guesses[0]}), content_type="application/json")
assert bad.status_code == 401, bad.content
swapped = c.post("/api/v1/auth/login/", json.dumps({"email": guesses[2],
                 "password": "flow@example.com"}), content_type="application/json")
assert swapped.status_code == 401, swapped.content
admin = c.post("/admin/login/", {"username": "flow@example.com", "password": guesses[1]})
assert admin.status_code == 200
secrets += guesses
user = User.objects.get(email="flow@example.com")
secrets.append(user.password)  # the hash
secrets.append(user.password.split("$")[-1])  # and its digest alone
with open(sys.argv[1], "w") as out:
    json.dump(secrets, out)
"""


def test_no_secret_reaches_any_log_line_even_at_debug(tmp_path: Path) -> None:
    """A whole auth flow at LOG_LEVEL=DEBUG (SQL lines included), failed sign-ins on the API
    and the admin too: no password, hash, token or ticket is written anywhere."""
    secrets_file = tmp_path / "secrets.json"
    env = process_env(DEBUG="1", LOG_LEVEL="DEBUG", SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    command = [sys.executable, "-c", AUTH_FLOW, str(secrets_file)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert "django.db.backends" in output and "SELECT" in output  # SQL was logged
    assert output.count('"message": "sign-in failed"') == 3  # the failures were logged
    for secret in json.loads(secrets_file.read_text()):
        assert secret not in output, f"a secret reached the logs: {secret[:12]}…"
