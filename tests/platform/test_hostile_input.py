"""Input nobody should send still gets a 4xx envelope: lone surrogates, crafted cursors."""

import base64
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from startups.models import Startup
from tests.accounts.factories import UserFactory
from tests.messaging.factories import ConnectionFactory
from tests.platform.test_errors import assert_envelope

pytestmark = pytest.mark.django_db

LONE = "\\ud800"  # the JSON escape of a lone surrogate: valid JSON, not valid text
PAIR = "\\ud83d\\ude80"  # a surrogate pair: one emoji, valid

ClientFor = Callable[[User | None], APIClient]


def raw_json(client: APIClient, method: str, url: str, body: str) -> Any:
    return getattr(client, method)(url, data=body.encode(), content_type="application/json")


# (who, method, url, JSON body with {} where the hostile string goes)
CHOICE_FIELDS = [
    (
        None,
        "post",
        "/api/v1/auth/register/",
        '{"email": "s@example.com", "password": "a-long-passphrase", "name": "S", "role": "%s"}',
    ),
    ("founder", "post", "/api/v1/startups/", '{"name": "Acme", "industry": "%s"}'),
    ("founder", "post", "/api/v1/startups/", '{"name": "Acme", "industry": "ai", "stage": "%s"}'),
    (
        "founder",
        "post",
        "/api/v1/opportunities/",
        '{"startup": <startup>, "title": "Engineer", "kind": "%s"}',
    ),
    ("talent", "patch", "/api/v1/auth/me/", '{"availability": "%s"}'),
    ("talent", "patch", "/api/v1/auth/me/", '{"interests": ["ai", "%s"]}'),
    (
        "talent",
        "post",
        "/api/v1/interactions/",
        '{"kind": "%s", "item_type": "startup", "item_id": <startup>}',
    ),
    (
        "talent",
        "post",
        "/api/v1/interactions/",
        '{"kind": "like", "item_type": "%s", "item_id": <startup>}',
    ),
    ("founder", "patch", "/api/v1/startups/<startup>/", '{"name": "Acme %s"}'),
    ("talent", "post", "/api/v1/auth/login/", '{"email": "x%s@example.com", "password": "x"}'),
    ("talent", "patch", "/api/v1/auth/me/", '{"%s": 1}'),  # a key
]


@pytest.mark.parametrize(("who", "method", "url", "body"), CHOICE_FIELDS)
def test_a_lone_surrogate_anywhere_in_a_body_is_a_400(
    who: str | None,
    method: str,
    url: str,
    body: str,
    client_for: ClientFor,
    founder: User,
    talent: User,
    startup: Startup,
) -> None:
    user = {"founder": founder, "talent": talent, None: None}[who]
    url = url.replace("<startup>", str(startup.pk))
    body = body.replace("<startup>", str(startup.pk))
    before = (User.objects.count(), Startup.objects.count(), Startup.objects.get().name)

    response = raw_json(client_for(user), method, url, body % LONE)

    assert_envelope(response, 400, "parse_error")
    assert "surrogate" in response.json()["error"]["message"]
    assert (User.objects.count(), Startup.objects.count(), Startup.objects.get().name) == before


def test_a_surrogate_pair_is_an_ordinary_character(client_for: ClientFor, founder: User) -> None:
    response = raw_json(
        client_for(founder),
        "post",
        "/api/v1/startups/",
        '{"name": "Rocket ' + PAIR + '", "industry": "ai"}',
    )

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Rocket \U0001f680"


def cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


CRAFTED = [
    cursor("p=garbage&r=0&o=0"),
    cursor("p=99999999999999999999999999&r=0&o=0"),
    cursor("p=-99999999999999999999999999&r=1&o=0"),
    cursor("p=1.5&r=0&o=0"),
    cursor("p=&r=0&o=0"),
    cursor("p=1&r=x&o=0"),
    cursor("p=1&r=0&o=-5"),
    "!!!not-base64!!!",
    "%ED%A0%80",
]


@pytest.fixture
def conversation(talent: User) -> str:
    other = UserFactory()
    ConnectionFactory(requester=talent, addressee=other)
    return f"/api/v1/conversations/{other.pk}/messages/"


@pytest.mark.parametrize("crafted", CRAFTED)
@pytest.mark.parametrize(
    "list_url",
    ["<conversation>", "/api/v1/notifications/", "/api/v1/feed/", "/api/v1/users/<me>/activity/"],
)
def test_every_cursor_list_answers_400_invalid_cursor_to_a_crafted_cursor(
    crafted: str, list_url: str, client_for: ClientFor, talent: User, conversation: str
) -> None:
    url = list_url.replace("<conversation>", conversation).replace("<me>", str(talent.pk))

    response = client_for(talent).get(url, {"cursor": crafted})

    assert_envelope(response, 400, "invalid_cursor")


@pytest.mark.parametrize("depth", [400, 900, 5000])
def test_deeply_nested_json_is_a_400_not_a_crash(
    depth: int, client_for: ClientFor, founder: User
) -> None:
    body = '{"name": ' + "[" * depth + "]" * depth + ', "industry": "ai"}'

    response = raw_json(client_for(founder), "post", "/api/v1/startups/", body)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in {"parse_error", "validation_error"}


@pytest.mark.parametrize("kind", ["startups", "opportunities", "users", "applications"])
@pytest.mark.parametrize(
    "pk", ["99999999999999999999", "9223372036854775808", "-9223372036854775809"]
)
def test_an_id_past_the_databases_integers_is_a_404(
    client_for: ClientFor, founder: User, kind: str, pk: str
) -> None:
    """The detail reads rows by id: a number no integer column can hold is no row (not an
    overflow in the driver)."""
    response = client_for(founder).get(f"/api/v1/{kind}/{pk}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"]
