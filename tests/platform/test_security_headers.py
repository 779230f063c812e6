"""Production headers: on an HTML page and an API response, a deploy check that is clean with
the README's production settings, and no Server banner from the real gunicorn and uvicorn
started as docker-compose.yml (and the Kubernetes manifests) start them."""

import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import urllib.request
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from django.test import Client

from tests.accounts.factories import UserFactory
from tests.support import (
    PRODUCTION_ON_LOOPBACK,
    ROOT,
    free_port,
    process_env,
    realtime_command,
    wait_until_up,
)

pytestmark = pytest.mark.django_db

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def assert_security_headers(response) -> None:
    for name, value in COMMON.items():
        assert response.get(name) == value, (name, response.get(name))
    policy = csp(response)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions, permissions


def test_an_html_page_carries_the_security_headers(client: Client) -> None:
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert_security_headers(response)


def test_an_api_response_carries_the_security_headers(client: Client) -> None:
    response = client.get("/api/v1/startups/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert_security_headers(response)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_swagger_ui_has_no_inline_script_and_its_style_carries_the_nonce(client: Client) -> None:
    client.force_login(UserFactory(is_staff=True))

    response = client.get("/api/docs/")

    parser = _Tags()
    parser.feed(response.content.decode())
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert len(scripts) == 3
    assert all(attrs.get("src") for attrs in scripts), scripts
    assert any(attrs["src"] == "/api/docs/?script=" for attrs in scripts), scripts
    (nonce,) = re.findall(r"'nonce-([^']+)'", " ".join(csp(response)["style-src"]))
    styles = [attrs for tag, attrs in parser.tags if tag == "style"]
    assert styles and all(attrs.get("nonce") == nonce for attrs in styles), styles
    assert_security_headers(response)


# --- check --deploy -------------------------------------------------------------------------
def production_example_env() -> dict[str, str]:
    """README "Production settings": the least a production start sets."""
    return process_env(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="collabhub.example.com",
        METRICS_TOKEN=secrets.token_urlsafe(32),
    )


def test_the_deploy_check_is_clean_with_the_production_settings() -> None:
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = subprocess.run(command, cwd=ROOT, env=production_example_env(),
                            capture_output=True, text=True, timeout=90)  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_readme_documents_that_environment_and_command() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Security") :]
    for name in ("DEBUG=0", "SECRET_KEY=", "ALLOWED_HOSTS=", "METRICS_TOKEN="):
        assert name in section, name
    assert "manage.py check --deploy --fail-level WARNING" in section
    assert "manage.py check --deploy --fail-level WARNING" in (ROOT / ".ci" / "run").read_text()


# --- the app servers send no Server header --------------------------------------------------
def compose_command(service: str) -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return shlex.split(compose["services"][service]["command"])


def _with_option(argv: list[str], option: str, value: str) -> list[str]:
    index = argv.index(option)
    return [*argv[: index + 1], value, *argv[index + 2 :]]


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    return process_env(**PRODUCTION_ON_LOOPBACK, SECRET_KEY="server-header-" + "x" * 40,
                       SQLITE_PATH=str(tmp_path / "db.sqlite3"), LOG_LEVEL="WARNING")  # fmt: skip


def served_headers(argv: list[str], port: int, env: dict[str, str]) -> Message:
    """Start the server, read one response's headers, stop it."""
    server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/live/"
        wait_until_up(url)
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.headers
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def test_gunicorn_as_deployed_sends_no_server_header(server_env: dict[str, str]) -> None:
    argv = compose_command("web")  # the image's CMD and Kubernetes run the same
    assert argv[0] == "gunicorn"
    port = free_port()
    argv = _with_option(argv, "--bind", f"127.0.0.1:{port}")
    argv = _with_option(argv, "--workers", "1")
    command = [sys.executable, "-m", *argv, "--no-control-socket"]

    headers = served_headers(command, port, server_env)

    assert headers.get_all("Server") is None, headers.get_all("Server")
    assert headers["X-Content-Type-Options"] == "nosniff"  # the app answered


def test_the_realtime_server_as_deployed_sends_no_server_header(
    server_env: dict[str, str],
) -> None:
    port = free_port()
    command = realtime_command(port)

    headers = served_headers(command, port, server_env)

    assert headers.get_all("Server") is None, headers.get_all("Server")
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_kubernetes_runs_the_realtime_server_as_compose_does() -> None:
    documents = yaml.safe_load_all((ROOT / "deploy/k8s/realtime-deployment.yaml").read_text())
    (deployment,) = [doc for doc in documents if doc and doc["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]

    assert container["command"] == compose_command("realtime")
    assert "--no-server-header" in container["command"]
