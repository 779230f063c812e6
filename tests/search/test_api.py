"""Search through the API: ?search= on the lists, the one-box endpoint, hostile input, the
cache and its invalidation, the run-time fallback, and the backend report."""

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from startups.search import get_search_backend_info
from tests.accounts.factories import FounderFactory, UserFactory
from tests.startups.factories import OpportunityFactory, StartupFactory
from tests.startups.helpers import OPPORTUNITIES, STARTUPS, assert_error, ids

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/search/"
USERS = "/api/v1/users/"

HOSTILE = [
    "",
    " ",
    '"',
    '""',
    '"unclosed phrase',
    "((",
    "(a OR b",
    ")",
    "& | ! : *",
    "a & b | !c",
    "*",
    "-",
    "--",
    "- -x",
    "or",
    "OR OR AND NOT",
    "NEAR(a b)",
    "name:acme",
    "^acme",
    "acme*",
    "'; DROP TABLE startups_startup; --",
    "1 OR 1=1",
    "%_%",
    "\\",
    "\\x00",
    "acme\x00corp",
    "\x00",
    "😀🚀",
    "acme 😀",
    "שלום עולם",  # right-to-left
    "مرحبا بالعالم",
    "\u202eemca",  # a right-to-left override
    "a" * 200,
    "word " * 40,
    "<script>alert(1)</script>",
    "{{7*7}}",
]


@pytest.fixture
def data() -> None:
    acme = StartupFactory(name="Acme Quorvex", tagline="Rockets", description="We build rockets.")
    OpportunityFactory(startup=acme, title="Quorvex Engineer", description="Rockets.")
    UserFactory(name="Ada Quorvex", headline="Rocket scientist", bio="")


@pytest.mark.parametrize("path", [STARTUPS, OPPORTUNITIES, USERS])
@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_fail(client: APIClient, data: None, path: str, query: str) -> None:
    response = client.get(path, {"search": query})
    if "\x00" in query:  # Django's form fields refuse NUL bytes outright: a clear 400
        body = assert_error(response, 400, "validation_error")
        assert body["error"]["fields"]["search"] == ["Null characters are not allowed."]
        return
    assert response.status_code == 200, response.content
    assert isinstance(response.json()["results"], list)


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_in_the_search_box(client: APIClient, data: None, query: str) -> None:
    response = client.get(SEARCH, {"q": query})
    if "\x00" in query:
        assert_error(response, 400, "validation_error")
        return
    assert response.status_code == 200, response.content
    assert set(response.json()["results"]) == {"startups", "opportunities", "people"}


def test_a_query_of_words_finds_through_hostile_punctuation(client: APIClient, data: None) -> None:
    for query in ['"acme', "acme)", "(acme OR", "acme*", "acme:", "-rockets acme"]:
        names = [r["name"] for r in client.get(STARTUPS, {"search": query}).json()["results"]]
        expected = [] if query.startswith("-rockets") else ["Acme Quorvex"]
        assert names == expected, query


@pytest.mark.parametrize("path", [STARTUPS, OPPORTUNITIES, USERS])
def test_an_overlong_query_is_a_clear_400(client: APIClient, path: str) -> None:
    body = assert_error(client.get(path, {"search": "x" * 10_000}), 400, "validation_error")
    assert "200" in body["error"]["fields"]["search"][0]

    body = assert_error(client.get(SEARCH, {"q": "x" * 201}), 400, "validation_error")
    assert "200" in body["error"]["fields"]["q"][0]


def test_list_search_is_ranked_and_combines_with_filters(client: APIClient) -> None:
    desc = StartupFactory(name="Other", tagline="", description="quorvex inside", industry="ai")
    name = StartupFactory(name="Quorvex", tagline="", description="", industry="ai")
    StartupFactory(name="Quorvex Health", tagline="", description="", industry="healthtech")

    response = client.get(STARTUPS, {"search": "quorvex", "industry": "ai"})

    assert ids(response) == [name.pk, desc.pk]
    first = response.json()["results"][0]
    assert first["search_snippet"] == "<mark>Quorvex</mark>"
    assert first["search_score"] > response.json()["results"][1]["search_score"]
    assert response.json()["count"] == 2


def test_ordering_overrides_relevance(client: APIClient) -> None:
    b = StartupFactory(name="Beta Quorvex", tagline="", description="")
    a = StartupFactory(name="Alpha", tagline="", description="quorvex")
    StartupFactory(name="Gamma", tagline="", description="")

    assert ids(client.get(STARTUPS, {"search": "quorvex", "ordering": "name"})) == [a.pk, b.pk]


def test_search_pages_are_stable_and_complete(client: APIClient) -> None:
    made = {StartupFactory(name=f"Quorvex {i}", tagline="", description="").pk for i in range(25)}

    first = client.get(STARTUPS, {"search": "quorvex", "page_size": 10})
    pages = [ids(first)]
    pages += [ids(client.get(STARTUPS, {"search": "quorvex", "page_size": 10, "page": p}))
              for p in (2, 3)]  # fmt: skip
    assert first.json()["count"] == 25
    assert [len(p) for p in pages] == [10, 10, 5]
    assert {pk for page in pages for pk in page} == made


def test_search_box_groups_results_with_counts(client: APIClient, data: None) -> None:
    StartupFactory(name="Quorvex Two", tagline="", description="")
    OpportunityFactory(title="Closed Quorvex", description="", status="closed")

    body = client.get(SEARCH, {"q": "quorvex", "limit": 1}).json()

    assert body["query"] == "quorvex"
    assert body["results"]["startups"]["count"] == 2
    assert len(body["results"]["startups"]["results"]) == 1
    assert body["results"]["opportunities"]["count"] == 1  # open ones only
    assert body["results"]["opportunities"]["results"][0]["title"] == "Quorvex Engineer"
    assert body["results"]["people"]["results"][0]["name"] == "Ada Quorvex"
    assert "email" in body["results"]["people"]["results"][0]  # the public profile shape

    only = client.get(SEARCH, {"q": "quorvex", "type": "people"}).json()
    assert set(only["results"]) == {"people"}
    assert_error(client.get(SEARCH, {"q": "x", "type": "planets"}), 400, "validation_error")


def test_a_new_startup_is_found_at_once_despite_the_cache(client_for) -> None:
    founder = FounderFactory()
    api = client_for(founder)
    assert ids(api.get(STARTUPS, {"search": "zentrifuge"})) == []

    created = api.post(STARTUPS, {"name": "Zentrifuge", "industry": "ai"}, format="json")
    assert created.status_code == 201, created.content

    assert ids(api.get(STARTUPS, {"search": "zentrifuge"})) == [created.json()["id"]]


def test_repeated_searches_are_served_from_the_cache(client: APIClient, data: None) -> None:
    client.get(STARTUPS, {"search": "quorvex rockets"})
    with CaptureQueriesContext(connection) as first:
        client.get(STARTUPS, {"search": "quorvex rockets"})
    with CaptureQueriesContext(connection) as other:
        client.get(STARTUPS, {"search": "quorvex  ROCKETS"})  # the same, normalised

    search_sql = [q for q in first.captured_queries if "_fts" in q["sql"] or "@@" in q["sql"]]
    ranked = [q for q in search_sql if "ORDER BY strict" in q["sql"]]
    assert ranked == [], "the ranking came from the cache"
    assert len(other.captured_queries) == len(first.captured_queries)


def test_a_failing_full_text_query_falls_back_to_a_plain_match(
    client: APIClient, data: None, caplog: pytest.LogCaptureFixture
) -> None:
    # Break the index for real (inside the test's transaction, rolled back afterwards).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE startups_startup RENAME COLUMN search_vector TO broken")
        else:
            cursor.execute("DROP TABLE startups_startup_fts")

    with caplog.at_level(logging.WARNING, logger="collabhub.search"):
        response = client.get(STARTUPS, {"search": "quorvex"})

    assert response.status_code == 200
    assert [r["name"] for r in response.json()["results"]] == ["Acme Quorvex"]
    assert any("falling back" in r.getMessage() for r in caplog.records)


def test_backend_info_tells_the_truth(client: APIClient) -> None:
    info = client.get("/api/v1/search/backend/").json()

    assert info == get_search_backend_info()
    assert info["backend"] == connection.vendor
    assert info["fts_available"] is True
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            assert cursor.fetchone() == (1,)
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'startups_startup' "
                "AND indexdef LIKE '%%USING gin%%'"
            )
            assert {row[0] for row in cursor.fetchall()} >= {
                "startups_startup_search_gin",
                "startups_startup_trgm_gin",
            }
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name LIKE 'startups_startup_%'")
            ddl = " ".join(row[0] or "" for row in cursor.fetchall())
            assert "fts5" in ddl and "tokenize='trigram'" in ddl


def test_following_a_startup_refreshes_a_cached_followed_by_search(client_for) -> None:
    me = UserFactory()
    first, second = (StartupFactory(name=f"Quorvex {i}", tagline="", description="") for i in "AB")
    api = client_for(me)
    api.post(f"/api/v1/startups/{first.pk}/follow/")
    assert ids(api.get(STARTUPS, {"search": "quorvex", "followed_by": me.pk})) == [first.pk]

    api.post(f"/api/v1/startups/{second.pk}/follow/")
    assert set(ids(api.get(STARTUPS, {"search": "quorvex", "followed_by": me.pk}))) == {
        first.pk,
        second.pk,
    }
    api.delete(f"/api/v1/startups/{first.pk}/follow/")
    found = api.get(STARTUPS, {"search": "quorvex", "followed_by": me.pk}).json()
    assert [r["id"] for r in found["results"]] == [second.pk] and found["count"] == 1


def test_nothing_to_look_for_matches_nothing_with_or_without_ordering(
    client: APIClient, data: None
) -> None:
    assert ids(client.get(STARTUPS, {"search": "-rockets"})) == []
    assert ids(client.get(STARTUPS, {"search": "-rockets", "ordering": "name"})) == []


def test_searching_an_empty_queryset_finds_nothing(data: None) -> None:
    from startups.models import Startup
    from startups.search import search_startups

    assert list(search_startups(Startup.objects.none(), "quorvex")) == []
    assert list(search_startups(Startup.objects.filter(pk__in=[]), "quorvex")) == []
