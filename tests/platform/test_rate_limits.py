"""Rate limits (seed 004): 100/min per address, 200/min per person, tighter scopes for the
writes where abuse is likely, headers on every API response, a 429 envelope with Retry-After,
counters that hold under concurrent requests (Redis in the service-backed run)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from core.api import ratelimit
from messaging.services import connection_accept, connection_request
from tests.accounts.factories import UserFactory
from tests.startups.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

STARTUPS = "/api/v1/startups/"


def limited(settings, **rates: str) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, **rates}


def refused(metric_scope: str) -> float:
    value = REGISTRY.get_sample_value("collabhub_rate_limited_total", {"scope": metric_scope})
    return value or 0.0


def test_defaults_are_the_seeds() -> None:
    rates = ratelimit.rates()
    assert (rates["anon"].limit, rates["anon"].window) == (100, 60)
    assert (rates["user"].limit, rates["user"].window) == (200, 60)
    assert {"auth", "apply", "messages", "connections", "interactions"} <= set(rates)


def test_an_address_gets_100_a_minute_with_headers_then_a_429(api_client: APIClient) -> None:
    before = refused("anon")
    responses = [api_client.get(STARTUPS) for _ in range(101)]

    assert [r.status_code for r in responses[:100]] == [200] * 100
    assert [r["X-RateLimit-Limit"] for r in responses[:3]] == ["100"] * 3
    assert [r["X-RateLimit-Remaining"] for r in responses[:3]] == ["99", "98", "97"]
    window_end = (int(time.time()) // 60 + 1) * 60
    assert abs(int(responses[0]["X-RateLimit-Reset"]) - window_end) <= 60
    last = responses[100]
    assert last.status_code == 429
    assert last.json()["error"]["code"] == "throttled"
    assert last["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(last["Retry-After"]) <= 60
    assert refused("anon") == before + 1


def test_a_signed_in_person_gets_200_a_minute_and_nobody_else_is_slowed(client_for) -> None:
    busy, other = client_for(UserFactory()), client_for(UserFactory())
    statuses = [busy.get(STARTUPS).status_code for _ in range(201)]

    assert statuses == [200] * 200 + [429]
    assert other.get(STARTUPS)["X-RateLimit-Remaining"] == "199"
    assert APIClient().get(STARTUPS)["X-RateLimit-Limit"] == "100"  # same address, anonymous


def test_every_api_response_carries_the_headers_and_only_api_responses(
    client_for, api_client: APIClient, client: Client
) -> None:
    answers = [
        api_client.get("/api/v1/auth/me/"),  # 401
        api_client.get("/api/v1/no-such-thing/"),  # 404 without a view
        api_client.post("/api/v1/auth/login/", {"email": "x"}, format="json"),  # 400
        client_for(UserFactory()).get("/api/v1/startups/999999/"),  # 404 from the view
    ]
    assert [r.status_code for r in answers] == [401, 404, 400, 404]
    assert all("X-RateLimit-Remaining" in r for r in answers)
    assert "X-RateLimit-Limit" not in client.get("/live/")
    assert "X-RateLimit-Limit" not in client.get("/admin/login/")


def test_refused_requests_count_too_so_401s_cannot_be_hammered(api_client: APIClient) -> None:
    statuses = [api_client.get("/api/v1/auth/me/").status_code for _ in range(101)]
    assert statuses == [401] * 100 + [429]


def test_scoped_writes_have_their_own_tighter_limit_and_the_tightest_is_shown(
    client_for, settings
) -> None:
    limited(settings, messages="3/min")
    me, friend = UserFactory(), UserFactory()
    connection_accept(connection=connection_request(requester=me, addressee=friend)[0], by=friend)
    api = client_for(me)
    url = f"/api/v1/conversations/{friend.pk}/messages/"
    before = refused("messages")

    sent = [api.post(url, {"body": f"hello {n}"}, format="json") for n in range(4)]
    read = api.get(url)

    assert [r.status_code for r in sent] == [201, 201, 201, 429]
    assert [r["X-RateLimit-Limit"] for r in sent[:3]] == ["3"] * 3  # tighter than 200/min
    assert [r["X-RateLimit-Remaining"] for r in sent[:3]] == ["2", "1", "0"]
    assert read.status_code == 200  # reading is not sending
    assert read["X-RateLimit-Limit"] == "200"
    assert refused("messages") == before + 1


def _scoped_write(scope: str, api: APIClient) -> Any:
    """One write to the endpoint that names ``scope``."""
    if scope == "auth":
        return api.post("/api/v1/auth/login/", {"email": "a@b.c", "password": "x"})
    if scope == "apply":
        return api.post(f"/api/v1/opportunities/{OpportunityFactory().pk}/apply/", {})
    if scope == "connections":
        return api.post("/api/v1/connections/", {"user_id": UserFactory().pk})
    item = {"kind": "view", "item_type": "opportunity", "item_id": OpportunityFactory().pk}
    return api.post("/api/v1/interactions/", item)


@pytest.mark.parametrize("scope", ["auth", "apply", "connections", "interactions"])
def test_each_abuse_prone_endpoint_names_its_scope(client_for, settings, scope: str) -> None:
    limited(settings, **{scope: "1/min"})
    api = client_for(UserFactory())

    first, second = _scoped_write(scope, api), _scoped_write(scope, api)

    assert first.status_code != 429
    assert second.status_code == 429, second.content
    assert second["X-RateLimit-Limit"] == "1"


def test_sign_in_is_limited_per_address_across_accounts(api_client: APIClient, settings) -> None:
    """So many attempts a minute from one address, whichever accounts they name (5 here:
    below the 10 failures that lock an address, tests/accounts/test_lockout.py)."""
    limited(settings, auth="5/min")
    statuses = [
        api_client.post(
            "/api/v1/auth/login/", {"email": f"p{n}@example.com", "password": "x"}
        ).status_code
        for n in range(6)
    ]
    elsewhere = APIClient(REMOTE_ADDR="10.9.9.9").post(
        "/api/v1/auth/login/", {"email": "p0@example.com", "password": "x"}
    )
    assert statuses == [401] * 5 + [429]
    assert elsewhere.status_code == 401


def test_switched_off_it_neither_counts_nor_refuses(api_client: APIClient, settings) -> None:
    settings.RATE_LIMIT_ENABLED = False
    responses = [api_client.get(STARTUPS) for _ in range(120)]
    assert {r.status_code for r in responses} == {200}
    assert "X-RateLimit-Limit" not in responses[-1]


def test_rates_come_from_the_environment_and_a_typo_stops_the_start(settings) -> None:
    assert ratelimit.rate_parse("20/hour") == ratelimit.Rate(20, 3600)
    assert ratelimit.rate_parse("5/10s") == ratelimit.Rate(5, 10)
    assert ratelimit.rate_parse("1000/day") == ratelimit.Rate(1000, 86400)
    limited(settings, anon="100/fortnight")
    with pytest.raises(ImproperlyConfigured, match="fortnight"):
        ratelimit.RateLimitMiddleware(lambda request: None)


def test_counters_are_exact_under_concurrent_requests(settings) -> None:
    """Eight threads, 25 requests each, against 100 a minute: exactly 100 get through (DRF's
    read-then-write history let more through). In the service-backed run this is Redis."""
    barrier = threading.Barrier(8)

    def burst(_: int) -> list[int]:
        client = APIClient()
        barrier.wait()
        return [client.get("/api/v1/no-such-thing/").status_code for _ in range(25)]

    with ThreadPoolExecutor(8) as pool:
        statuses = [status for run in pool.map(burst, range(8)) for status in run]

    assert statuses.count(404) == 100
    assert statuses.count(429) == 100


def test_counter_increments_are_atomic() -> None:
    """The counter itself: 8 threads and 400 increments are 400 distinct counts, none lost."""
    key = f"test-atomic-{time.time_ns()}"
    expires = int(time.time()) + 60
    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(lambda _: ratelimit.counters.incr(key, expires), range(400)))
    assert sorted(counts) == list(range(1, 401))


def test_staff_see_the_limits_in_force(client_for, settings) -> None:
    limited(settings, apply="7/hour")
    staff = UserFactory(is_staff=True)

    assert APIClient().get("/api/v1/ratelimits/").status_code == 401
    assert client_for(UserFactory()).get("/api/v1/ratelimits/").status_code == 403
    body = client_for(staff).get("/api/v1/ratelimits/").json()

    assert body["enabled"] is True
    assert body["counting"] in {"redis", "per-process"}
    limits = {limit["scope"]: limit for limit in body["limits"]}
    assert limits["apply"]["rate"] == "7/hour"
    assert (limits["apply"]["limit"], limits["apply"]["window_seconds"]) == (7, 3600)
    assert limits["apply"]["applies_to"] == ["POST /api/v1/opportunities/{pk}/apply/"]
    assert "POST /api/v1/auth/login/" in limits["auth"]["applies_to"]
    assert limits["messages"]["applies_to"] == ["POST /api/v1/conversations/{user_id}/messages/"]


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer not-a-jwt", "Bearer " + "x" * 8000, "Basic Zm9vOmJhcg=="],
)
def test_a_malformed_authorization_header_is_a_401_counted_by_address(
    api_client: APIClient, header: str
) -> None:
    response = api_client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["X-RateLimit-Limit"] == "100"  # anonymous: the address's budget


def test_a_token_of_ones_own_does_not_buy_more_sign_ups(client_for, settings) -> None:
    """``auth`` counts per address even when the request carries a valid token (sign-up and
    sign-in ignore it): otherwise each new account's token would open a fresh budget."""
    limited(settings, auth="3/min")
    api = client_for(UserFactory())
    statuses = [
        api.post(
            "/api/v1/auth/register/",
            {"email": f"n{n}@example.com", "password": "a-long-enough-pass-2026", "name": "N",
             "role": "talent"},
        ).status_code
        for n in range(4)
    ]  # fmt: skip
    assert statuses == [201, 201, 201, 429]


def test_every_scope_a_view_names_has_a_rate() -> None:
    assert set(ratelimit.scoped_endpoints()) <= set(ratelimit.rates())
