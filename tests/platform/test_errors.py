"""Every error, DRF's own and ours, answers with one envelope carrying the request ID."""

import json

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from startups import selectors
from startups.models import Startup

pytestmark = pytest.mark.django_db


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"error", "request_id"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_validation_error_has_per_field_messages(client_for, founder: User) -> None:
    response = client_for(founder).post("/api/v1/startups/", {"industry": "fintech"}, format="json")

    body = assert_envelope(response, 400, "validation_error")
    assert body["error"]["fields"]["name"] == ["This field is required."]


def test_unauthenticated_write_is_401(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/startups/", {"name": "X"}, format="json")

    assert_envelope(response, 401, "not_authenticated")


def test_tampered_token_is_401(api_client: APIClient) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")

    body = assert_envelope(api_client.get("/api/v1/auth/me/"), 401, "token_not_valid")
    assert body["error"]["message"] == "Given token not valid for any token type"


def test_wrong_role_is_403(client_for, talent: User) -> None:
    response = client_for(talent).post(
        "/api/v1/startups/", {"name": "X", "industry": "ai"}, format="json"
    )

    assert_envelope(response, 403, "founders_only")


def test_missing_object_names_its_kind(api_client: APIClient) -> None:
    assert_envelope(api_client.get("/api/v1/startups/999999/"), 404, "startup_not_found")


def test_unknown_url_is_a_json_404(api_client: APIClient) -> None:
    assert_envelope(api_client.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_method_not_allowed_is_405(client_for, founder: User, startup: Startup) -> None:
    response = client_for(founder).put(f"/api/v1/startups/{startup.pk}/", {}, format="json")

    assert_envelope(response, 405, "method_not_allowed")


def test_conflict_is_409(client_for, talent: User, opportunity) -> None:
    client = client_for(talent)
    client.post(f"/api/v1/opportunities/{opportunity.pk}/apply/", {}, format="json")

    response = client.post(f"/api/v1/opportunities/{opportunity.pk}/apply/", {}, format="json")

    assert_envelope(response, 409, "application_exists")


def test_unsupported_media_type_is_415(client_for, founder: User) -> None:
    response = client_for(founder).post(
        "/api/v1/startups/", "name=X", content_type="application/x-www-form-urlencoded"
    )

    assert_envelope(response, 415, "unsupported_media_type")


def test_malformed_json_is_400(client_for, founder: User) -> None:
    response = client_for(founder).post(
        "/api/v1/startups/", "{bad json", content_type="application/json"
    )

    assert_envelope(response, 400, "parse_error")


def test_oversized_body_is_413_and_writes_nothing(client_for, founder: User) -> None:
    body = json.dumps({"name": "Big", "industry": "ai", "description": "x" * 5_000_000})

    response = client_for(founder).post("/api/v1/startups/", body, content_type="application/json")

    assert_envelope(response, 413, "request_too_large")
    assert not Startup.objects.exists()


def test_throttled_sign_in_is_429_with_retry_after(
    api_client: APIClient, talent: User, settings
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "5/min"}  # before any lockout
    credentials = {"email": talent.email, "password": "wrong-password"}
    statuses = [
        api_client.post("/api/v1/auth/login/", credentials, format="json").status_code
        for _ in range(5)
    ]
    assert set(statuses) == {401}

    response = api_client.post("/api/v1/auth/login/", credentials, format="json")

    assert_envelope(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_unhandled_error_is_500_without_traceback(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("database exploded: secret internals")

    monkeypatch.setattr(selectors, "startup_id_list", broken)  # the list reads ids first

    response = api_client.get("/api/v1/startups/")

    body = assert_envelope(response, 500, "server_error")
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["error"]["fields"] == {}


def test_client_request_id_is_kept_when_safe(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/startups/999999/", HTTP_X_REQUEST_ID="abc-123.DEF_4")

    assert response["X-Request-ID"] == "abc-123.DEF_4"
    assert response.json()["request_id"] == "abc-123.DEF_4"


@pytest.mark.parametrize("unsafe", ["has space", "x" * 65, "semi;colon", "new\\nline"])
def test_unsafe_request_id_is_replaced(api_client: APIClient, unsafe: str) -> None:
    response = api_client.get("/api/v1/startups/", HTTP_X_REQUEST_ID=unsafe)

    assert response["X-Request-ID"] != unsafe
    assert len(response["X-Request-ID"]) == 32


def test_only_an_unavailable_database_is_a_503() -> None:
    """Locked, unreachable, frozen or restarting: 503, retry later. Any other operational
    error (a missing table, too many variables) is a bug: it stays a 500 and is logged."""
    from django.db import InterfaceError, OperationalError, connection

    from core.api.exceptions import database_unavailable

    assert database_unavailable(InterfaceError("connection already closed"))
    assert not database_unavailable(OperationalError("no such table: startups_startup"))
    assert not database_unavailable(ValueError("not a database error"))
    if connection.vendor == "sqlite":
        assert database_unavailable(OperationalError("database is locked"))
    else:
        import psycopg

        canceled = OperationalError("canceling statement due to statement timeout")
        canceled.__cause__ = psycopg.errors.QueryCanceled()
        assert database_unavailable(canceled)
        connection.ensure_connection()
        assert not database_unavailable(OperationalError("too many SQL variables"))
