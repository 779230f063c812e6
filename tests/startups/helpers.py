"""Assertions shared by the startups API tests: the error envelope and database snapshots."""

import json
from typing import Any

from accounts.models import Skill
from startups.models import Application, Opportunity, Save, Startup

STARTUPS = "/api/v1/startups/"
OPPORTUNITIES = "/api/v1/opportunities/"
APPLICATIONS = "/api/v1/applications/"
SAVED = "/api/v1/saved/"


def startup_url(pk: int) -> str:
    return f"{STARTUPS}{pk}/"


def opportunity_url(pk: int) -> str:
    return f"{OPPORTUNITIES}{pk}/"


def application_url(pk: int) -> str:
    return f"{APPLICATIONS}{pk}/"


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is ``status`` with the API's error envelope carrying ``code``."""
    assert response.status_code == status, response.content
    body = json.loads(response.content)
    assert set(body) == {"error", "request_id"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"], body
    assert body["request_id"] == response["X-Request-ID"]
    return body


def assert_validation_error(response: Any, *fields: str) -> dict[str, Any]:
    """A 400 ``validation_error`` whose ``error.fields`` has a message for each of ``fields``."""
    body = assert_error(response, 400, "validation_error")
    for field in fields:
        messages = body["error"]["fields"].get(field)
        assert messages, f"no message for {field!r} in {body['error']['fields']}"
    return body


def db_state() -> dict[str, list[dict[str, Any]]]:
    """Every row the startups app writes, so a refused request can be shown to change nothing."""
    return {
        "startups": list(Startup.objects.order_by("pk").values()),
        "startup_skills": list(Startup.skills.through.objects.order_by("pk").values()),
        "opportunities": list(Opportunity.objects.order_by("pk").values()),
        "opportunity_skills": list(Opportunity.skills.through.objects.order_by("pk").values()),
        "applications": list(Application.objects.order_by("pk").values()),
        "saves": list(Save.objects.order_by("pk").values()),
        "skills": list(Skill.objects.order_by("pk").values()),
    }


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(response: Any) -> list[int]:
    return [item["id"] for item in results(response)]
