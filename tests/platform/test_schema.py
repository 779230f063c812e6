from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory

WRITE = {"post", "put", "patch"}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = Path(tmp_path_factory.mktemp("schema")) / "schema.yaml"
    # --fail-on-warn: a warning (an undocumented field, an unresolvable type) fails the test.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def test_schema_lists_every_endpoint(schema: dict) -> None:
    paths = set(schema["paths"])

    for expected in [
        "/api/v1/auth/register/",
        "/api/v1/auth/login/",
        "/api/v1/auth/refresh/",
        "/api/v1/auth/logout/",
        "/api/v1/auth/me/",
        "/api/v1/auth/password/",
        "/api/v1/users/",
        "/api/v1/users/{id}/",
        "/api/v1/startups/",
        "/api/v1/startups/{id}/",
        "/api/v1/startups/{id}/save/",
        "/api/v1/opportunities/",
        "/api/v1/opportunities/{id}/",
        "/api/v1/opportunities/{id}/apply/",
        "/api/v1/opportunities/{id}/save/",
        "/api/v1/applications/",
        "/api/v1/applications/{id}/",
        "/api/v1/applications/{id}/accept/",
        "/api/v1/applications/{id}/reject/",
        "/api/v1/applications/{id}/withdraw/",
        "/api/v1/saved/",
    ]:
        assert expected in paths


def test_every_operation_documents_its_errors(schema: dict) -> None:
    error_ref = "#/components/schemas/Error"
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        assert "401" in responses, (method, path)
        assert "429" in responses, (method, path)
        if method in WRITE:
            assert "400" in responses, (method, path)
            body = responses["400"]["content"]["application/json"]["schema"]
            assert body["$ref"] == error_ref
        if "{id}" in path or "{key}" in path:
            assert "404" in responses, (method, path)


def test_write_operations_document_their_request_bodies(schema: dict) -> None:
    for path, method, operation in operations(schema):
        bodyless = ("/accept/", "/reject/", "/withdraw/", "/save/", "/follow/", "/seen/", "/read/",
                    "/read-all/", "/ticket/", "/decline/", "/start/", "/stop/",
                    "/redeliver/")  # fmt: skip
        if method in WRITE and not path.endswith(bodyless):
            assert "requestBody" in operation, (method, path)


def test_conflicts_are_documented(schema: dict) -> None:
    assert "409" in schema["paths"]["/api/v1/opportunities/{id}/apply/"]["post"]["responses"]
    assert "409" in schema["paths"]["/api/v1/applications/{id}/accept/"]["post"]["responses"]
    assert "409" in schema["paths"]["/api/v1/auth/register/"]["post"]["responses"]


@pytest.mark.django_db
def test_schema_and_docs_are_served(api_client: APIClient) -> None:
    api_client.force_authenticate(UserFactory(is_staff=True))  # staff only with DEBUG off
    schema_response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs_response = api_client.get("/api/docs/")

    assert schema_response.status_code == 200
    assert schema_response.json()["info"]["title"] == "CollabHub API"
    assert docs_response.status_code == 200
    assert b"swagger-ui" in docs_response.content
    # Assets are served by the app itself (drf-spectacular-sidecar), not fetched from a CDN.
    assert b"cdn.jsdelivr.net" not in docs_response.content
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs_response.content
