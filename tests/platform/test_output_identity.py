"""The REST hot paths answer exactly what the serializers answer (issue 18, goal 1).

Lists and details of startups, opportunities, users and applications, and the feed, read on
the demo data by several people (a founder, a talent, an investor, anonymous where allowed),
are compared with a reference: the serializer classes (``StartupSerializer``,
``OpportunitySerializer``, ``UserSerializer``, ``ApplicationSerializer``, ``EventSerializer``)
over the selectors' querysets, rendered by DRF's ``JSONRenderer``. The comparison is of the
JSON text, so a changed field, value, format (datetimes, decimals, nulls) or key order fails.
"""

import json
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from accounts import selectors as account_selectors
from accounts.models import User
from accounts.serializers import UserSerializer
from feed import selectors as feed_selectors
from feed.serializers import EventSerializer
from startups import selectors
from startups.models import OpportunityStatus
from startups.search import search_opportunities, search_people, search_startups
from startups.serializers import ApplicationSerializer, OpportunitySerializer, StartupSerializer

pytestmark = pytest.mark.django_db

PEOPLE = ["founder@collabhub.dev", "talent@collabhub.dev", "investor@collabhub.dev", None]


@pytest.fixture
def demo() -> None:
    call_command("seed_demo", stdout=StringIO())


def text(data: Any) -> str:
    """JSON as DRF renders it, re-encoded keeping the key order (so order counts)."""
    return json.dumps(json.loads(JSONRenderer().render(data)))


def get(api: APIClient, path: str) -> Any:
    response = api.get(path)
    assert response.status_code == 200, (path, response.content[:300])
    return json.loads(response.content)


def viewers() -> list[User | None]:
    return [None if email is None else User.objects.get(email=email) for email in PEOPLE]


def check_list(api: APIClient, path: str, expected: list[Any], count: int) -> None:
    body = get(api, path)
    assert body["count"] == count, path
    assert json.dumps(body["results"]) == text(expected), path


def test_startups(demo: None, client_for: Any) -> None:
    flags = set()
    for user in viewers():
        api, viewer = client_for(user), user or AnonymousUser()
        reference = selectors.startup_list(viewer=viewer)
        for query, rows in (
            ("page_size=20", reference),
            ("page_size=5&page=2", reference[5:10]),
            ("ordering=name", reference.order_by("name", "-id")),
            (
                "industry=fintech&industry=health",
                reference.filter(industry__in=["fintech", "health"]),
            ),
        ):
            expected = StartupSerializer(list(rows[:20]), many=True).data
            count = rows.count() if query != "page_size=5&page=2" else reference.count()
            check_list(api, f"/api/v1/startups/?{query}", expected, count)
            flags |= {(row["is_saved"], row["is_following"]) for row in expected}
        for startup in reference:
            body = get(api, f"/api/v1/startups/{startup.pk}/")
            assert json.dumps(body) == text(StartupSerializer(startup).data)
    assert (True, True) in flags or {(True, False), (False, True)} <= flags  # flags seen set


def test_opportunities(demo: None, client_for: Any) -> None:
    for user in viewers():
        api, viewer = client_for(user), user or AnonymousUser()
        reference = selectors.opportunity_list(viewer=viewer)
        open_ones = reference.filter(status=OpportunityStatus.OPEN)
        for query, rows in (
            ("page_size=20", open_ones),
            ("status=any&page_size=50", reference),
            ("ordering=-compensation_max", open_ones.order_by("-compensation_max", "-id")),
        ):
            expected = OpportunitySerializer(list(rows[:50]), many=True).data
            size = 50 if "50" in query else 20
            expected = expected[:size]
            check_list(api, f"/api/v1/opportunities/?{query}", expected, rows.count())
        for opportunity in reference:
            body = get(api, f"/api/v1/opportunities/{opportunity.pk}/")
            assert json.dumps(body) == text(OpportunitySerializer(opportunity).data)


def test_users(demo: None, client_for: Any) -> None:
    for user in viewers():
        api = client_for(user)
        reference = account_selectors.user_list()
        context = {"viewer": user}
        for query, rows in (
            ("page_size=20", reference),
            ("page_size=50&ordering=name", reference.order_by("name", "-id")),
        ):
            size = 50 if "50" in query else 20
            expected = UserSerializer(list(rows[:size]), many=True, context=context).data
            check_list(api, f"/api/v1/users/?{query}", expected, rows.count())
        for person in reference:
            body = get(api, f"/api/v1/users/{person.pk}/")
            assert json.dumps(body) == text(UserSerializer(person, context=context).data)


def test_applications(demo: None, client_for: Any) -> None:
    for user in viewers():
        if user is None:
            continue  # signed in only
        api = client_for(user)
        reference = selectors.application_list(viewer=user)
        for query, rows in (
            ("page_size=50", reference),
            ("role=owner&page_size=50", reference.filter(opportunity__startup__owner=user)),
        ):
            expected = ApplicationSerializer(list(rows[:50]), many=True).data
            check_list(api, f"/api/v1/applications/?{query}", expected, rows.count())
        for application in reference:
            body = get(api, f"/api/v1/applications/{application.pk}/")
            assert json.dumps(body) == text(ApplicationSerializer(application).data)


def orm_feed_page(user: User, share: float, size: int = 20) -> list[Any]:
    """The feed's first page from its sources as querysets (the reference: the API reads
    them as prepared queries, ``core/db/prepared.py``), mixed by ``feed_mix`` as the page is."""
    fetched = {
        key: list(source(user=user).order_by("-created_at", "-id")[: size + 1])
        for key, source in (
            ("personal", feed_selectors.personal_event_list),
            ("interest", feed_selectors.interest_event_list),
        )
    }
    return feed_selectors.feed_mix(fetched=fetched, size=size, personal_share=share)[0]


def test_feed(demo: None, client_for: Any) -> None:
    seen_actors = set()
    for user in viewers():
        if user is None:
            continue
        api = client_for(user)
        share = feed_selectors.feed_share_get(user=user)
        events = orm_feed_page(user, share)
        body = get(api, "/api/v1/feed/?page_size=20")
        assert json.dumps(body["results"]) == text(EventSerializer(events, many=True).data)
        seen_actors |= {event["actor"] is None for event in body["results"]}
    assert False in seen_actors  # actors were shown (their names come from a join)


@pytest.mark.parametrize(
    ("path", "serializer", "reference", "search"),
    [
        ("startups", StartupSerializer, selectors.startup_list, search_startups),
        (
            "opportunities",
            OpportunitySerializer,
            lambda viewer: selectors.opportunity_list(viewer=viewer).filter(
                status=OpportunityStatus.OPEN
            ),
            search_opportunities,
        ),
        ("users", UserSerializer, lambda viewer: account_selectors.user_list(), search_people),
    ],
)
def test_search_pages(
    demo: None, client_for: Any, path: str, serializer: Any, reference: Any, search: Any
) -> None:
    """``?search=`` pages (ranked, with scores and snippets) equal the serializer over the
    search results of the selectors' querysets."""
    scored = False
    for user in viewers():
        api, viewer = client_for(user), user or AnonymousUser()
        for query in ("teams", "health", "python developer", "data"):
            found = search(reference(viewer=viewer), query)
            page = found[0:20]
            expected = serializer(page, many=True, context={"viewer": user}).data
            check_list(api, f"/api/v1/{path}/?search={query}&page_size=20", expected, len(found))
            scored |= any(item["search_snippet"] for item in expected)
    assert scored  # snippets were compared, not only nulls
