"""Ops surfaces with DEBUG off: /metrics/ needs the token, /health/ and /ready/ show their
detail only with it, the API's schema and Swagger UI are for staff (unless PUBLIC_API_DOCS),
and the probes stay reachable over plain HTTP while everything else is redirected to HTTPS."""

import json
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from observability import health
from tests.accounts.factories import UserFactory
from tests.support import process_env, run_python

pytestmark = pytest.mark.django_db

PROMETHEUS = {"HTTP_ACCEPT": "text/plain;version=0.0.4"}


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def assert_envelope(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert body["request_id"] == response["X-Request-ID"]


# --- /metrics/ ------------------------------------------------------------------------------
def test_metrics_without_or_with_a_wrong_token_is_a_401_envelope(client: Client) -> None:
    for headers in ({}, bearer("wrong"), bearer(""), {"HTTP_AUTHORIZATION": "Basic abc"}):
        response = client.get("/metrics/", **headers)

        assert_envelope(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_metrics_with_the_token_are_served(client: Client) -> None:
    response = client.get("/metrics/", **PROMETHEUS, **bearer(django_settings.METRICS_TOKEN))

    assert response.status_code == 200
    assert b"collabhub_http_requests_total" in response.content


def test_metrics_are_refused_with_debug_off_even_when_no_token_is_configured(
    client: Client, settings
) -> None:
    """Settings refuse such a start; should one happen anyway, the door stays shut."""
    settings.METRICS_TOKEN = ""

    assert_envelope(client.get("/metrics/"), 401, "not_authenticated")
    assert client.get("/metrics/", **bearer("")).status_code == 401


def test_in_debug_without_a_token_metrics_are_open(client: Client, settings) -> None:
    settings.DEBUG, settings.METRICS_TOKEN = True, ""

    assert client.get("/metrics/").status_code == 200


PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "production-like-" + "k" * 50}


def test_a_production_start_without_metrics_token_is_refused(tmp_path: Path) -> None:
    env = process_env(**PRODUCTION, SQLITE_PATH=str(tmp_path / "db"))

    result = run_python("import django; django.setup()", env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: METRICS_TOKEN is not set" in result.stderr


def test_a_production_start_with_metrics_token_succeeds(tmp_path: Path) -> None:
    env = process_env(**PRODUCTION, METRICS_TOKEN="m" * 32, SQLITE_PATH=str(tmp_path / "db"))

    result = run_python("import django; django.setup(); print('started')", env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("started")


# --- /health/ and /ready/ -------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)  # the checks run on their own connections
def test_health_shows_only_the_status_without_the_token(client: Client) -> None:
    for headers in ({}, bearer("wrong")):
        response = client.get("/health/", **headers)

        assert response.status_code == 200
        assert response.json() == {"status": "healthy"}


@pytest.mark.django_db(transaction=True)
def test_health_shows_every_check_and_the_backends_with_the_token(client: Client) -> None:
    response = client.get("/health/", **bearer(django_settings.METRICS_TOKEN))

    body = response.json()
    assert body["status"] == "healthy"
    assert body["checks"]["database"]["status"] == "ok"
    assert "backends" in body


def test_a_failing_check_keeps_its_status_code_but_not_its_reason_without_the_token(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("connection to server at 10.0.0.5 port 5432 refused")

    monkeypatch.setitem(health._checks, "broken", health.HealthCheck(broken, True))

    anonymous = client.get("/health/")
    with_token = client.get("/health/", **bearer(django_settings.METRICS_TOKEN))

    assert anonymous.status_code == with_token.status_code == 503
    assert anonymous.json() == {"status": "unhealthy"}
    assert b"10.0.0.5" not in anonymous.content
    assert "10.0.0.5" in with_token.json()["checks"]["broken"]["error"]


def test_health_detail_is_open_in_debug_without_a_token(client: Client, settings) -> None:
    settings.DEBUG, settings.METRICS_TOKEN = True, ""

    assert "checks" in client.get("/health/").json()


def test_health_detail_needs_the_token_in_debug_when_one_is_configured(
    client: Client, settings
) -> None:
    settings.DEBUG = True

    assert "checks" not in client.get("/health/").json()


def test_ready_hides_why_it_is_not_ready_without_the_token(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down() -> None:
        raise RuntimeError("could not connect to db.internal:5432")

    monkeypatch.setitem(health._checks, "database", health.HealthCheck(down, True))

    anonymous = client.get("/ready/")
    with_token = client.get("/ready/", **bearer(django_settings.METRICS_TOKEN))

    assert anonymous.status_code == with_token.status_code == 503
    assert anonymous.json() == {"status": "not_ready"}
    assert "db.internal" in with_token.json()["checks"]["database"]["error"]


# --- /api/schema/ and /api/docs/ ------------------------------------------------------------
DOCS = ("/api/schema/", "/api/docs/", "/api/docs/?script")


def test_api_docs_are_a_401_envelope_for_anonymous_clients(api_client: APIClient) -> None:
    for path in DOCS:
        assert_envelope(api_client.get(path), 401, "not_authenticated")
    # Whatever the client accepts (a browser asks for HTML, the schema is YAML by default).
    browser = api_client.get("/api/docs/", HTTP_ACCEPT="text/html")
    assert_envelope(browser, 401, "not_authenticated")


def test_api_docs_are_a_403_envelope_for_people_who_are_not_staff(
    client_for, api_client: APIClient
) -> None:
    person = UserFactory(is_staff=False)
    by_session = api_client
    by_session.force_login(person)

    for client in (client_for(person), by_session):
        for path in DOCS:
            assert_envelope(client.get(path), 403, "permission_denied")


def test_api_docs_are_served_to_staff_by_jwt_or_session(client_for, client: Client) -> None:
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    for signed_in in (client_for(staff), client):
        schema = signed_in.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        assert schema.status_code == 200
        assert schema.json()["info"]["title"] == "CollabHub API"
        page = signed_in.get("/api/docs/")
        assert page.status_code == 200
        assert b'id="swagger-ui"' in page.content
        script = signed_in.get("/api/docs/?script")
        assert script.status_code == 200
        assert script["Content-Type"].startswith("application/javascript")


def test_public_api_docs_opens_them_to_everyone(api_client: APIClient, settings) -> None:
    settings.PUBLIC_API_DOCS = True

    for path in DOCS:
        assert api_client.get(path).status_code == 200, path


def test_in_debug_the_api_docs_stay_public(api_client: APIClient, settings) -> None:
    settings.DEBUG = True

    for path in DOCS:
        assert api_client.get(path).status_code == 200, path


def test_a_jwt_of_a_person_who_lost_staff_no_longer_opens_the_docs(client_for) -> None:
    staff = UserFactory(is_staff=True)
    client = client_for(staff)
    assert client.get("/api/schema/").status_code == 200

    staff.is_staff = False
    staff.save(update_fields=["is_staff"])

    assert client.get("/api/schema/").status_code == 403


# --- TLS redirect: production defaults in a fresh process -----------------------------------
SECURITY_PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.test import Client
c = Client()
https = {"HTTP_X_FORWARDED_PROTO": "https"}
out = {
    "hsts_seconds": settings.SECURE_HSTS_SECONDS,
    "hsts_subdomains": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "hsts_preload": settings.SECURE_HSTS_PRELOAD,
    "redirect": settings.SECURE_SSL_REDIRECT,
    "plain": {p: [c.get(p).status_code, c.get(p).get("Location")]
              for p in ("/live/", "/ready/", "/health/", "/metrics/", "/api/schema/")},
    "behind_proxy": c.get("/api/schema/", **https).status_code,
    "hsts_header": c.get("/live/", **https).get("Strict-Transport-Security"),
}
print(json.dumps(out))
"""


def production_security(tmp_path: Path, **env_vars: str) -> dict:
    env = process_env(**PRODUCTION, METRICS_TOKEN="m" * 32, SQLITE_PATH=str(tmp_path / "db"))
    env.update(env_vars)
    result = run_python(SECURITY_PROBE, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_redirects_to_https_except_the_probes_and_never_loops(tmp_path: Path) -> None:
    started = time.monotonic()
    config = production_security(tmp_path)

    assert config["redirect"] is True
    for path in ("/live/", "/ready/", "/health/", "/metrics/"):
        status, location = config["plain"][path]
        assert status != 301 and location is None, (path, status, location)
    assert config["plain"]["/api/schema/"] == [301, "https://testserver/api/schema/"]
    # Behind the TLS-terminating proxy (X-Forwarded-Proto: https) the request is served.
    assert config["behind_proxy"] == 401  # the docs' own answer (staff only), not a redirect
    assert config["hsts_seconds"] == 365 * 24 * 3600
    assert config["hsts_subdomains"] is True
    assert config["hsts_preload"] is False
    assert config["hsts_header"] == "max-age=31536000; includeSubDomains"
    assert time.monotonic() - started < 60


def test_hsts_and_the_redirect_are_configurable(tmp_path: Path) -> None:
    config = production_security(
        tmp_path, SECURE_HSTS_SECONDS="600", SECURE_HSTS_PRELOAD="1", SECURE_SSL_REDIRECT="0"
    )

    assert config["redirect"] is False
    assert config["plain"]["/api/schema/"][0] == 401
    assert config["hsts_header"] == "max-age=600; includeSubDomains; preload"
