"""Bad input on every write endpoint: a 4xx with the error envelope, and nothing written."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from startups.models import Opportunity, Startup
from tests.startups.factories import ApplicationFactory, OpportunityFactory, SaveFactory
from tests.startups.helpers import (
    OPPORTUNITIES,
    STARTUPS,
    application_url,
    assert_error,
    assert_validation_error,
    db_state,
    opportunity_url,
    startup_url,
)

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], APIClient]

FUTURE = (timezone.localdate() + timedelta(days=30)).isoformat()
MISSING = object()  # drop this key from the valid payload


@pytest.fixture
def priced_opportunity(startup: Startup) -> Opportunity:
    return OpportunityFactory(
        startup=startup, title="Backend Engineer", compensation_min=50_000, compensation_max=90_000
    )


@pytest.fixture
def world(startup: Startup, priced_opportunity: Opportunity, talent: User) -> None:
    """Existing rows: the refused requests must leave them, and the counts, as they were."""
    ApplicationFactory(opportunity=OpportunityFactory(startup=startup), applicant=talent)
    SaveFactory(user=talent, startup=startup)


@pytest.fixture
def send(
    client_for: ClientFor,
    founder: User,
    talent: User,
    startup: Startup,
    priced_opportunity: Opportunity,
    world: None,
) -> Callable[..., Any]:
    """Send a request to a named write endpoint as the user allowed to call it."""

    def call(endpoint: str, **kwargs: Any) -> Any:
        method, url, user = {
            "startup-create": ("post", STARTUPS, founder),
            "startup-update": ("patch", startup_url(startup.pk), founder),
            "opportunity-create": ("post", OPPORTUNITIES, founder),
            "opportunity-update": ("patch", opportunity_url(priced_opportunity.pk), founder),
            "apply": ("post", f"{opportunity_url(priced_opportunity.pk)}apply/", talent),
        }[endpoint]
        return getattr(client_for(user), method)(url, **kwargs)

    return call


def _payload(base: dict[str, Any], changes: dict[str, Any], startup: Startup) -> dict[str, Any]:
    data = {**base, **changes}
    if data.get("startup") == "<startup>":
        data["startup"] = startup.pk
    return {key: value for key, value in data.items() if value is not MISSING}


VALID_STARTUP = {"name": "Quiet Quasar", "industry": "ai"}
VALID_OPPORTUNITY = {"startup": "<startup>", "title": "Platform Engineer", "kind": "contract"}

# (endpoint, changes to a valid payload, the field the error names)
FIELD_CASES = [
    # --- POST /startups/
    ("startup-create", {"team_size": "many"}, "team_size"),
    ("startup-create", {"team_size": 0}, "team_size"),
    ("startup-create", {"team_size": 1.5}, "team_size"),
    ("startup-create", {"remote_friendly": "perhaps"}, "remote_friendly"),
    ("startup-create", {"skills": "python"}, "skills"),
    ("startup-create", {"skills": [1, {}]}, "skills"),
    ("startup-create", {"skills": ["  "]}, "skills"),
    ("startup-create", {"skills": ["x" * 51]}, "skills"),
    ("startup-create", {"skills": [f"skill {i}" for i in range(51)]}, "skills"),
    ("startup-create", {"name": MISSING}, "name"),
    ("startup-create", {"industry": MISSING}, "industry"),
    ("startup-create", {"name": None}, "name"),
    ("startup-create", {"name": "   "}, "name"),
    ("startup-create", {"name": "x" * 121}, "name"),
    ("startup-create", {"name": "nul\x00byte"}, "name"),
    ("startup-create", {"tagline": "x" * 201}, "tagline"),
    ("startup-create", {"description": "x" * 10001}, "description"),
    ("startup-create", {"industry": "crypto-x"}, "industry"),
    ("startup-create", {"industry": ["ai"]}, "industry"),
    ("startup-create", {"stage": "series-z"}, "stage"),
    ("startup-create", {"founded_on": FUTURE}, "founded_on"),
    ("startup-create", {"founded_on": "last spring"}, "founded_on"),
    ("startup-create", {"founded_on": "1066-10-14"}, "founded_on"),
    ("startup-create", {"website": "not a url"}, "website"),
    ("startup-create", {"website": "javascript:alert(1)"}, "website"),
    ("startup-create", {"funding_raised": -1}, "funding_raised"),
    ("startup-create", {"funding_raised": "1e20"}, "funding_raised"),
    ("startup-create", {"funding_raised": "NaN"}, "funding_raised"),
    ("startup-create", {"growth_rate": 10001}, "growth_rate"),
    ("startup-create", {"monthly_active_users": -5}, "monthly_active_users"),
    # --- PATCH /startups/{id}/
    ("startup-update", {"team_size": "many"}, "team_size"),
    ("startup-update", {"remote_friendly": "perhaps"}, "remote_friendly"),
    ("startup-update", {"skills": "python"}, "skills"),
    ("startup-update", {"skills": [1, {}]}, "skills"),
    ("startup-update", {"name": ""}, "name"),
    ("startup-update", {"name": "x" * 121}, "name"),
    ("startup-update", {"description": "x" * 10001}, "description"),
    ("startup-update", {"industry": "crypto-x"}, "industry"),
    ("startup-update", {"industry": None}, "industry"),
    ("startup-update", {"stage": "series-z"}, "stage"),
    ("startup-update", {"founded_on": FUTURE}, "founded_on"),
    # --- POST /opportunities/
    ("opportunity-create", {"title": MISSING}, "title"),
    ("opportunity-create", {"kind": MISSING}, "kind"),
    ("opportunity-create", {"startup": MISSING}, "startup"),
    ("opportunity-create", {"startup": "abc"}, "startup"),
    ("opportunity-create", {"startup": 0}, "startup"),
    ("opportunity-create", {"startup": 999_999}, "startup"),
    ("opportunity-create", {"title": "x" * 161}, "title"),
    ("opportunity-create", {"description": "x" * 10001}, "description"),
    ("opportunity-create", {"kind": "gig"}, "kind"),
    ("opportunity-create", {"status": "archived"}, "status"),
    ("opportunity-create", {"remote": "perhaps"}, "remote"),
    ("opportunity-create", {"skills": "python"}, "skills"),
    ("opportunity-create", {"skills": [1, {}]}, "skills"),
    ("opportunity-create", {"compensation_min": "lots"}, "compensation_min"),
    ("opportunity-create", {"compensation_min": -1}, "compensation_min"),
    ("opportunity-create", {"compensation_max": 2**31}, "compensation_max"),
    ("opportunity-create", {"compensation_min": 100, "compensation_max": 50}, "compensation_max"),
    ("opportunity-create", {"equity_min": "2.5", "equity_max": "1.0"}, "equity_max"),
    ("opportunity-create", {"equity_max": 101}, "equity_max"),
    # --- PATCH /opportunities/{id}/
    ("opportunity-update", {"title": ""}, "title"),
    ("opportunity-update", {"title": "x" * 161}, "title"),
    ("opportunity-update", {"kind": "gig"}, "kind"),
    ("opportunity-update", {"status": "archived"}, "status"),
    ("opportunity-update", {"remote": "perhaps"}, "remote"),
    ("opportunity-update", {"skills": [1, {}]}, "skills"),
    ("opportunity-update", {"compensation_min": 100, "compensation_max": 50}, "compensation_max"),
    # above the stored maximum of 90 000: the range is checked against what is saved
    ("opportunity-update", {"compensation_min": 150_000}, "compensation_max"),
    ("opportunity-update", {"compensation_max": 10_000}, "compensation_max"),
    # --- POST /opportunities/{id}/apply/
    ("apply", {"cover_letter": "x" * 5001}, "cover_letter"),
    ("apply", {"cover_letter": {"text": "hi"}}, "cover_letter"),
    ("apply", {"cover_letter": ["hi"]}, "cover_letter"),
    ("apply", {"cover_letter": None}, "cover_letter"),
]

BASE = {
    "startup-create": VALID_STARTUP,
    "startup-update": {},
    "opportunity-create": VALID_OPPORTUNITY,
    "opportunity-update": {},
    "apply": {},
}


def _case_id(case: tuple[str, dict[str, Any], str]) -> str:
    endpoint, changes, _ = case
    shown = {k: ("<missing>" if v is MISSING else repr(v)[:20]) for k, v in changes.items()}
    return f"{endpoint}-{shown}"


@pytest.mark.parametrize(
    ("endpoint", "changes", "field"), FIELD_CASES, ids=map(_case_id, FIELD_CASES)
)
def test_bad_field_is_400_naming_the_field_and_writes_nothing(
    send: Callable[..., Any],
    startup: Startup,
    endpoint: str,
    changes: dict[str, Any],
    field: str,
) -> None:
    # Given the database as it is
    before = db_state()

    # When the allowed user sends a payload with one bad field
    response = send(endpoint, data=_payload(BASE[endpoint], changes, startup), format="json")

    # Then it is a 400 validation error naming that field, and nothing changed
    assert_validation_error(response, field)
    assert db_state() == before


def test_empty_startup_body_names_every_required_field(send: Callable[..., Any]) -> None:
    before = db_state()

    response = send("startup-create", data={}, format="json")

    body = assert_validation_error(response, "name", "industry")
    assert set(body["error"]["fields"]) == {"name", "industry"}
    assert db_state() == before


def test_empty_opportunity_body_names_every_required_field(send: Callable[..., Any]) -> None:
    before = db_state()

    response = send("opportunity-create", data={}, format="json")

    body = assert_validation_error(response, "title", "kind", "startup")
    assert set(body["error"]["fields"]) == {"title", "kind", "startup"}
    assert db_state() == before


def test_valid_fields_alongside_a_bad_one_are_not_applied(
    send: Callable[..., Any], startup: Startup
) -> None:
    name = startup.name

    response = send("startup-update", data={"name": "Renamed", "team_size": "many"}, format="json")

    assert_validation_error(response, "team_size")
    startup.refresh_from_db()
    assert startup.name == name


def test_failed_model_check_on_patch_leaves_stored_range(
    send: Callable[..., Any], priced_opportunity: Opportunity
) -> None:
    response = send(
        "opportunity-update", data={"title": "Renamed", "compensation_min": 150_000}, format="json"
    )

    assert_validation_error(response, "compensation_max")
    priced_opportunity.refresh_from_db()
    assert (priced_opportunity.title, priced_opportunity.compensation_min) == (
        "Backend Engineer",
        50_000,
    )


# --- Bodies that are not a JSON object --------------------------------------------------------

ENDPOINTS = [
    "startup-create",
    "startup-update",
    "opportunity-create",
    "opportunity-update",
    "apply",
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_malformed_json_is_400_parse_error(send: Callable[..., Any], endpoint: str) -> None:
    before = db_state()

    response = send(endpoint, data="{bad", content_type="application/json")

    assert_error(response, 400, "parse_error")
    assert db_state() == before


@pytest.mark.parametrize("body", ["[]", "42", '"a string"', "null"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_json_that_is_not_an_object_is_400(
    send: Callable[..., Any], endpoint: str, body: str
) -> None:
    before = db_state()

    response = send(endpoint, data=body, content_type="application/json")

    assert_validation_error(response, "non_field_errors")
    assert db_state() == before


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_non_json_content_type_is_415(
    send: Callable[..., Any], endpoint: str, content_type: str
) -> None:
    before = db_state()

    response = send(endpoint, data="name=Quiet+Quasar&industry=ai", content_type=content_type)

    assert_error(response, 415, "unsupported_media_type")
    assert db_state() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_five_megabyte_body_is_413(send: Callable[..., Any], endpoint: str) -> None:
    before = db_state()
    body = json.dumps({"name": "Big", "industry": "ai", "description": "x" * (5 * 1024 * 1024)})

    response = send(endpoint, data=body, content_type="application/json")

    assert_error(response, 413, "request_too_large")
    assert db_state() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_deeply_nested_json_is_400_parse_error(send: Callable[..., Any], endpoint: str) -> None:
    # Given a small (20 kB) but deeply nested JSON document
    before = db_state()
    body = '{"name": "Deep", "industry": "ai", "skills": ' + "[" * 10_000 + "]" * 10_000 + "}"

    # When it is sent to a write endpoint
    response = send(endpoint, data=body, content_type="application/json")

    # Then it is refused as unparseable, not a 500 from a RecursionError in the JSON decoder
    assert_error(response, 400, "parse_error")
    assert db_state() == before


@pytest.mark.parametrize("endpoint", ["startup-create", "startup-update", "opportunity-create"])
def test_skill_longer_than_50_once_normalised_is_refused(
    send: Callable[..., Any], startup: Startup, endpoint: str
) -> None:
    # Given a 50-character skill that lower-cases to 100 characters ("İ" -> "i" + U+0307)
    before = db_state()
    changes = {"skills": ["İ" * 50]}

    # When it is sent
    response = send(endpoint, data=_payload(BASE[endpoint], changes, startup), format="json")

    # Then it is a 400 on skills (Skill.name is max 50: PostgreSQL would raise a DataError)
    assert_validation_error(response, "skills")
    assert db_state() == before


# --- Actions that take no body ----------------------------------------------------------------


@pytest.mark.parametrize(
    "body", ["{bad", json.dumps({"x": "y" * (5 * 1024 * 1024)})], ids=["malformed", "5MB"]
)
@pytest.mark.parametrize("action", ["accept", "reject", "withdraw", "save-startup", "unsave"])
def test_garbage_body_on_bodyless_action_is_never_a_server_error(
    client_for: ClientFor,
    founder: User,
    talent: User,
    startup: Startup,
    priced_opportunity: Opportunity,
    action: str,
    body: str,
) -> None:
    application = ApplicationFactory(opportunity=priced_opportunity, applicant=talent)
    method, url, user = {
        "accept": ("post", f"{application_url(application.pk)}accept/", founder),
        "reject": ("post", f"{application_url(application.pk)}reject/", founder),
        "withdraw": ("post", f"{application_url(application.pk)}withdraw/", talent),
        "save-startup": ("post", f"{startup_url(startup.pk)}save/", talent),
        "unsave": ("delete", f"{startup_url(startup.pk)}save/", talent),
    }[action]

    response = getattr(client_for(user), method)(url, data=body, content_type="application/json")

    assert response.status_code < 500, response.content
