"""Reads and the shape of writes: lists, filters, ordering, viewer flags, slugs, query counts."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Skill, User
from startups.models import (
    Application,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    Save,
    Stage,
    Startup,
)
from tests.accounts.factories import FounderFactory, UserFactory
from tests.startups.factories import (
    ApplicationFactory,
    OpportunityFactory,
    OpportunitySaveFactory,
    SaveFactory,
    StartupFactory,
)
from tests.startups.helpers import (
    APPLICATIONS,
    OPPORTUNITIES,
    SAVED,
    STARTUPS,
    assert_error,
    ids,
    opportunity_url,
    results,
    startup_url,
)

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], APIClient]


def _plain_startup(**kwargs: object) -> Startup:
    """A startup whose free text cannot accidentally match a search term."""
    kwargs.setdefault("tagline", "")
    kwargs.setdefault("description", "")
    return StartupFactory(**kwargs)


# --- Startups: list and detail ----------------------------------------------------------------


def test_anonymous_lists_startups_newest_first(client_for: ClientFor) -> None:
    old, new = _plain_startup(), _plain_startup()
    Startup.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))

    response = client_for(None).get(STARTUPS)

    assert ids(response) == [new.pk, old.pk]
    assert response.json()["count"] == 2


def test_startup_detail_shows_owner_and_skills(client_for: ClientFor, startup: Startup) -> None:
    response = client_for(None).get(startup_url(startup.pk))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Acme Robotics"
    assert body["owner"]["id"] == startup.owner_id
    assert body["skills"] == ["django", "python"]
    assert body["is_saved"] is False


def test_missing_startup_is_404(client_for: ClientFor) -> None:
    assert_error(client_for(None).get(startup_url(999_999)), 404, "startup_not_found")


def test_open_opportunities_count_counts_only_open(client_for: ClientFor, startup: Startup) -> None:
    OpportunityFactory.create_batch(2, startup=startup)
    OpportunityFactory(startup=startup, status=OpportunityStatus.CLOSED)
    OpportunityFactory()  # another startup's

    detail = client_for(None).get(startup_url(startup.pk))
    listed = results(client_for(None).get(STARTUPS, {"owner": startup.owner_id}))

    assert detail.json()["open_opportunities_count"] == 2
    assert listed[0]["open_opportunities_count"] == 2


def test_open_opportunities_count_is_not_inflated_by_skill_filter(
    client_for: ClientFor, startup: Startup
) -> None:
    # Given a startup with two skills and three open opportunities
    OpportunityFactory.create_batch(3, startup=startup)

    # When the list is filtered on both skills (two joins on the skills table)
    listed = results(client_for(None).get(STARTUPS, {"skills": "python,django"}))

    # Then the count is still three
    assert [item["open_opportunities_count"] for item in listed] == [3]


# --- Startups: filters ------------------------------------------------------------------------


def test_filter_by_industry(client_for: ClientFor) -> None:
    ai = _plain_startup(industry="ai")
    _plain_startup(industry="health")

    assert ids(client_for(None).get(STARTUPS, {"industry": "ai"})) == [ai.pk]


def test_filter_by_several_stages(client_for: ClientFor) -> None:
    idea = _plain_startup(stage=Stage.IDEA)
    seed = _plain_startup(stage=Stage.SEED)
    _plain_startup(stage=Stage.SERIES_A)

    response = client_for(None).get(f"{STARTUPS}?stage=idea&stage=seed")

    assert set(ids(response)) == {idea.pk, seed.pk}


def test_unknown_stage_filter_is_400(client_for: ClientFor) -> None:
    response = client_for(None).get(STARTUPS, {"stage": "series-z"})

    body = assert_error(response, 400, "validation_error")
    assert "stage" in body["error"]["fields"]


def test_filter_by_skills_requires_all_case_insensitive(client_for: ClientFor) -> None:
    both = _plain_startup(skills=["python", "django"])
    _plain_startup(skills=["python"])
    _plain_startup(skills=["django", "go"])

    response = client_for(None).get(STARTUPS, {"skills": "PYTHON, Django"})

    assert ids(response) == [both.pk]


def test_filter_by_location_is_icontains(client_for: ClientFor) -> None:
    berlin = _plain_startup(location="Berlin, Germany")
    _plain_startup(location="Paris")

    assert ids(client_for(None).get(STARTUPS, {"location": "BERL"})) == [berlin.pk]


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("false", False)])
def test_filter_by_remote(client_for: ClientFor, value: str, expected: bool) -> None:
    remote = _plain_startup(remote_friendly=True)
    office = _plain_startup(remote_friendly=False)

    response = client_for(None).get(STARTUPS, {"remote": value})

    assert ids(response) == [remote.pk if expected else office.pk]


@pytest.mark.parametrize(
    "field", ["name", "tagline", "description"], ids=["name", "tagline", "description"]
)
def test_search_matches_name_tagline_or_description(client_for: ClientFor, field: str) -> None:
    hit = _plain_startup(**{field: "We breed Zebrafish at scale"})
    _plain_startup(name="Nothing to see")

    response = client_for(None).get(STARTUPS, {"search": "zebraFISH"})

    assert ids(response) == [hit.pk]


def test_search_does_not_match_other_fields(client_for: ClientFor) -> None:
    _plain_startup(location="Zebrafish Lane")

    assert ids(client_for(None).get(STARTUPS, {"search": "zebrafish"})) == []


def test_search_wildcards_are_literal(client_for: ClientFor) -> None:
    percent = _plain_startup(name="100% Juice")
    _plain_startup(name="Plain Water")

    # Full-text search matches words: LIKE wildcards are neither wildcards nor words.
    assert ids(client_for(None).get(STARTUPS, {"search": "%"})) == []
    assert ids(client_for(None).get(STARTUPS, {"search": "_"})) == []
    assert ids(client_for(None).get(STARTUPS, {"search": "100%"})) == [percent.pk]


def test_filtering_on_more_than_ten_skills_is_400(client_for: ClientFor) -> None:
    response = client_for(None).get(STARTUPS, {"skills": ",".join(f"s{i}" for i in range(11))})

    body = assert_error(response, 400, "validation_error")
    assert "skills" in body["error"]["fields"]


def test_order_by_name(client_for: ClientFor) -> None:
    b, c, a = (
        _plain_startup(name="Beta"),
        _plain_startup(name="Charlie"),
        _plain_startup(name="Alpha"),
    )

    assert ids(client_for(None).get(STARTUPS, {"ordering": "name"})) == [a.pk, b.pk, c.pk]
    assert ids(client_for(None).get(STARTUPS, {"ordering": "-name"})) == [c.pk, b.pk, a.pk]


def test_order_by_created_at(client_for: ClientFor) -> None:
    now = timezone.now()
    first, second, third = _plain_startup(), _plain_startup(), _plain_startup()
    for days, startup in ((3, second), (2, third), (1, first)):
        Startup.objects.filter(pk=startup.pk).update(created_at=now - timedelta(days=days))

    newest_first = client_for(None).get(STARTUPS, {"ordering": "-created_at"})
    oldest_first = client_for(None).get(STARTUPS, {"ordering": "created_at"})

    assert ids(newest_first) == [first.pk, third.pk, second.pk]
    assert ids(oldest_first) == [second.pk, third.pk, first.pk]


# --- Startups: writes shape -------------------------------------------------------------------


def test_slug_is_generated_from_name(client_for: ClientFor, founder: User) -> None:
    response = client_for(founder).post(STARTUPS, {"name": "Deep Blue Labs!", "industry": "ai"})

    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "deep-blue-labs"
    assert Startup.objects.get(pk=response.json()["id"]).slug == "deep-blue-labs"


def test_slug_is_unique_when_names_clash(
    client_for: ClientFor, founder: User, other_founder: User
) -> None:
    first = client_for(founder).post(STARTUPS, {"name": "Deep Blue", "industry": "ai"})
    second = client_for(other_founder).post(STARTUPS, {"name": "Deep Blue", "industry": "ai"})

    assert first.status_code == second.status_code == 201
    slugs = set(Startup.objects.filter(name="Deep Blue").values_list("slug", flat=True))
    assert len(slugs) == 2
    assert first.json()["slug"] == "deep-blue"
    assert second.json()["slug"].startswith("deep-blue-")


def test_slug_falls_back_when_name_has_no_slug_characters(
    client_for: ClientFor, founder: User
) -> None:
    response = client_for(founder).post(STARTUPS, {"name": "!!!", "industry": "ai"})

    assert response.status_code == 201, response.content
    assert Startup.objects.get(pk=response.json()["id"]).slug.startswith("startup")


def test_skills_are_normalised_on_create(client_for: ClientFor, founder: User) -> None:
    response = client_for(founder).post(
        STARTUPS, {"name": "Skillful", "industry": "ai", "skills": ["Python ", "python", "DJANGO"]}
    )

    assert response.status_code == 201, response.content
    assert response.json()["skills"] == ["django", "python"]
    startup = Startup.objects.get(pk=response.json()["id"])
    assert sorted(startup.skills.values_list("name", flat=True)) == ["django", "python"]
    assert Skill.objects.filter(name__iexact="python").count() == 1


def test_skills_are_replaced_on_patch(
    client_for: ClientFor, founder: User, startup: Startup
) -> None:
    response = client_for(founder).patch(startup_url(startup.pk), {"skills": ["Rust"]})

    assert response.status_code == 200, response.content
    assert response.json()["skills"] == ["rust"]
    assert list(startup.skills.values_list("name", flat=True)) == ["rust"]


def test_deleting_startup_deletes_its_opportunities_applications_and_saves(
    client_for: ClientFor, founder: User, startup: Startup, opportunity: Opportunity, talent: User
) -> None:
    ApplicationFactory(opportunity=opportunity, applicant=talent)
    SaveFactory(user=talent, startup=startup)
    OpportunitySaveFactory(user=talent, opportunity=opportunity)
    kept = OpportunityFactory()

    response = client_for(founder).delete(startup_url(startup.pk))

    assert response.status_code == 204
    assert list(Opportunity.objects.all()) == [kept]
    assert not Application.objects.exists()
    assert not Save.objects.exists()


# --- Opportunities ----------------------------------------------------------------------------


def test_opportunity_list_defaults_to_open(client_for: ClientFor, startup: Startup) -> None:
    open_one = OpportunityFactory(startup=startup)
    OpportunityFactory(startup=startup, status=OpportunityStatus.CLOSED)

    assert ids(client_for(None).get(OPPORTUNITIES)) == [open_one.pk]


def test_opportunity_list_status_closed(client_for: ClientFor, startup: Startup) -> None:
    OpportunityFactory(startup=startup)
    closed = OpportunityFactory(startup=startup, status=OpportunityStatus.CLOSED)

    assert ids(client_for(None).get(OPPORTUNITIES, {"status": "closed"})) == [closed.pk]


def test_opportunity_list_status_any(client_for: ClientFor, startup: Startup) -> None:
    open_one = OpportunityFactory(startup=startup)
    closed = OpportunityFactory(startup=startup, status=OpportunityStatus.CLOSED)

    response = client_for(None).get(OPPORTUNITIES, {"status": "any"})

    assert set(ids(response)) == {open_one.pk, closed.pk}


def test_opportunity_list_unknown_status_is_400(client_for: ClientFor) -> None:
    response = client_for(None).get(OPPORTUNITIES, {"status": "archived"})

    body = assert_error(response, 400, "validation_error")
    assert "status" in body["error"]["fields"]


def test_closed_opportunity_is_reachable_by_id(client_for: ClientFor, startup: Startup) -> None:
    closed = OpportunityFactory(startup=startup, status=OpportunityStatus.CLOSED)

    response = client_for(None).get(opportunity_url(closed.pk))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"


def test_owner_can_reopen_closed_opportunity(
    client_for: ClientFor, founder: User, startup: Startup
) -> None:
    closed = OpportunityFactory(startup=startup, status=OpportunityStatus.CLOSED)

    response = client_for(founder).patch(opportunity_url(closed.pk), {"status": "open"})

    assert response.status_code == 200, response.content
    closed.refresh_from_db()
    assert closed.status == OpportunityStatus.OPEN


def test_filter_opportunities_by_several_kinds(client_for: ClientFor, startup: Startup) -> None:
    contract = OpportunityFactory(startup=startup, kind=OpportunityKind.CONTRACT)
    advisor = OpportunityFactory(startup=startup, kind=OpportunityKind.ADVISOR)
    OpportunityFactory(startup=startup, kind=OpportunityKind.FULL_TIME)

    response = client_for(None).get(f"{OPPORTUNITIES}?kind=contract&kind=advisor")

    assert set(ids(response)) == {contract.pk, advisor.pk}


def test_filter_opportunities_by_remote(client_for: ClientFor, startup: Startup) -> None:
    remote = OpportunityFactory(startup=startup, remote=True)
    OpportunityFactory(startup=startup, remote=False)

    assert ids(client_for(None).get(OPPORTUNITIES, {"remote": "true"})) == [remote.pk]


def test_filter_opportunities_by_startup(client_for: ClientFor, startup: Startup) -> None:
    mine = OpportunityFactory(startup=startup)
    OpportunityFactory()

    assert ids(client_for(None).get(OPPORTUNITIES, {"startup": startup.pk})) == [mine.pk]


def test_filter_opportunities_by_skills(client_for: ClientFor, startup: Startup) -> None:
    both = OpportunityFactory(startup=startup, skills=["python", "postgresql"])
    OpportunityFactory(startup=startup, skills=["python"])

    response = client_for(None).get(OPPORTUNITIES, {"skills": " PostgreSQL ,python"})

    assert ids(response) == [both.pk]


def test_opportunity_skills_are_normalised_on_create(
    client_for: ClientFor, founder: User, startup: Startup
) -> None:
    response = client_for(founder).post(
        OPPORTUNITIES,
        {"startup": startup.pk, "title": "Dev", "kind": "contract", "skills": ["Go", " GO", "SQL"]},
    )

    assert response.status_code == 201, response.content
    assert response.json()["skills"] == ["go", "sql"]
    created = Opportunity.objects.get(pk=response.json()["id"])
    assert sorted(created.skills.values_list("name", flat=True)) == ["go", "sql"]


# --- Viewer flags -----------------------------------------------------------------------------


def test_is_saved_reflects_the_viewer_on_startups(
    client_for: ClientFor, talent: User, investor: User, startup: Startup
) -> None:
    SaveFactory(user=talent, startup=startup)

    mine = client_for(talent).get(startup_url(startup.pk)).json()
    theirs = client_for(investor).get(startup_url(startup.pk)).json()
    anonymous = client_for(None).get(startup_url(startup.pk)).json()
    listed = results(client_for(talent).get(STARTUPS))

    assert mine["is_saved"] is True
    assert theirs["is_saved"] is False
    assert anonymous["is_saved"] is False
    assert [item["is_saved"] for item in listed] == [True]


def test_opportunity_flags_reflect_the_viewer(
    client_for: ClientFor, talent: User, investor: User, opportunity: Opportunity
) -> None:
    OpportunitySaveFactory(user=talent, opportunity=opportunity)
    ApplicationFactory(opportunity=opportunity, applicant=talent)
    untouched = OpportunityFactory(startup=opportunity.startup)

    mine = {item["id"]: item for item in results(client_for(talent).get(OPPORTUNITIES))}
    theirs = client_for(investor).get(opportunity_url(opportunity.pk)).json()
    anonymous = client_for(None).get(opportunity_url(opportunity.pk)).json()

    assert (mine[opportunity.pk]["is_saved"], mine[opportunity.pk]["has_applied"]) == (True, True)
    assert (mine[untouched.pk]["is_saved"], mine[untouched.pk]["has_applied"]) == (False, False)
    assert (theirs["is_saved"], theirs["has_applied"]) == (False, False)
    assert (anonymous["is_saved"], anonymous["has_applied"]) == (False, False)


def test_has_applied_turns_true_after_applying(
    client_for: ClientFor, talent: User, opportunity: Opportunity
) -> None:
    client = client_for(talent)
    assert client.get(opportunity_url(opportunity.pk)).json()["has_applied"] is False

    client.post(f"{opportunity_url(opportunity.pk)}apply/", {})

    assert client.get(opportunity_url(opportunity.pk)).json()["has_applied"] is True


# --- Saved list -------------------------------------------------------------------------------


@pytest.fixture
def saves(talent: User, startup: Startup, opportunity: Opportunity) -> list[Save]:
    """Three of the talent's bookmarks, oldest first, and somebody else's."""
    now = timezone.now()
    rows = [
        SaveFactory(user=talent, startup=startup),
        OpportunitySaveFactory(user=talent, opportunity=opportunity),
        SaveFactory(user=talent, startup=_plain_startup()),
    ]
    for age, save in zip((3, 2, 1), rows, strict=True):
        Save.objects.filter(pk=save.pk).update(created_at=now - timedelta(hours=age))
    SaveFactory(startup=startup)  # another user's
    return rows


def test_saved_list_is_newest_first_and_only_mine(
    client_for: ClientFor, talent: User, saves: list[Save]
) -> None:
    response = client_for(talent).get(SAVED)

    assert ids(response) == [saves[2].pk, saves[1].pk, saves[0].pk]
    assert [item["type"] for item in results(response)] == ["startup", "opportunity", "startup"]


def test_saved_list_filters_startups(
    client_for: ClientFor, talent: User, saves: list[Save]
) -> None:
    response = client_for(talent).get(SAVED, {"type": "startup"})

    assert ids(response) == [saves[2].pk, saves[0].pk]


def test_saved_list_filters_opportunities(
    client_for: ClientFor, talent: User, saves: list[Save], opportunity: Opportunity
) -> None:
    listed = results(client_for(talent).get(SAVED, {"type": "opportunity"}))

    assert [item["id"] for item in listed] == [saves[1].pk]
    assert listed[0]["opportunity"]["id"] == opportunity.pk
    assert listed[0]["startup"] is None


def test_saved_list_needs_sign_in(client_for: ClientFor, saves: list[Save]) -> None:
    assert_error(client_for(None).get(SAVED), 401, "not_authenticated")


# --- Query counts -----------------------------------------------------------------------------


def _startups(n: int, viewer: User) -> None:
    for i in range(n):
        startup = StartupFactory(skills=[f"skill-a{i}", f"skill-b{i}"])
        OpportunityFactory(startup=startup)
        if i % 2:
            SaveFactory(user=viewer, startup=startup)


def _opportunities(n: int, viewer: User) -> None:
    for i in range(n):
        opportunity = OpportunityFactory(skills=[f"skill-a{i}", f"skill-b{i}"])
        if i % 2:
            OpportunitySaveFactory(user=viewer, opportunity=opportunity)
            ApplicationFactory(opportunity=opportunity, applicant=viewer)


def _applications(n: int, viewer: User) -> None:
    # The viewer is a talent: half are theirs, half are to a startup they own.
    owned = StartupFactory(owner=viewer)
    for i in range(n):
        if i % 2:
            ApplicationFactory(applicant=viewer)
        else:
            ApplicationFactory(opportunity=OpportunityFactory(startup=owned))


def _saved(n: int, viewer: User) -> None:
    for i in range(n):
        if i % 2:
            SaveFactory(user=viewer, startup=StartupFactory(owner=FounderFactory()))
        else:
            OpportunitySaveFactory(user=viewer)


@pytest.mark.parametrize(
    ("url", "make", "max_queries"),
    [
        # user and signed-out session (JWT) + count + page (+ skills prefetch)
        # startups: + the page's ids, then its rows, skills, open-role counts, follower
        # counts, the viewer's saves and follows: one grouped query each (selectors.startup_rows)
        (STARTUPS, _startups, 10),
        # opportunities: + ids, rows, skills, the viewer's saves and applications
        (OPPORTUNITIES, _opportunities, 8),
        # applications: + ids, then the rows
        (APPLICATIONS, _applications, 5),
        (SAVED, _saved, 4),
    ],
    ids=["startups", "opportunities", "applications", "saved"],
)
def test_list_query_count_does_not_grow_with_rows(
    client_for: ClientFor,
    django_assert_max_num_queries,
    url: str,
    make: Callable[[int, User], None],
    max_queries: int,
) -> None:
    # Given three rows, the list's query count measured
    viewer = UserFactory()
    client = client_for(viewer)
    client.get(url)  # warm caches (content types): the count does not depend on test order
    make(3, viewer)
    with CaptureQueriesContext(connection) as small:
        assert len(results(client.get(url, {"page_size": 50}))) == 3
    assert len(small) <= max_queries

    # When thirty more rows exist
    make(30, viewer)

    # Then the same number of queries serves all of them
    with django_assert_max_num_queries(len(small)):
        assert len(results(client.get(url, {"page_size": 50}))) == 33


# --- Pagination and privacy -------------------------------------------------------------------


@pytest.mark.parametrize("url", [STARTUPS, OPPORTUNITIES])
def test_page_out_of_range_is_404_not_a_missing_object(client_for: ClientFor, url: str) -> None:
    # Given one page of results
    _plain_startup()

    # When a page past the end is asked for
    response = client_for(None).get(url, {"page": 99})

    # Then it is a 404 about the page, not "startup_not_found" / "opportunity_not_found"
    assert_error(response, 404, "invalid_page")


def test_page_size_is_capped_at_50(client_for: ClientFor) -> None:
    for _ in range(51):
        _plain_startup()

    response = client_for(None).get(STARTUPS, {"page_size": 500})

    assert len(results(response)) == 50
    assert response.json()["count"] == 51


def test_startup_does_not_expose_owner_email(client_for: ClientFor, startup: Startup) -> None:
    response = client_for(None).get(startup_url(startup.pk))

    assert response.status_code == 200
    assert set(response.json()["owner"]) == {"id", "name", "role", "headline"}
    assert startup.owner.email not in response.content.decode()


def test_application_does_not_expose_applicant_email(
    client_for: ClientFor, founder: User, talent: User, opportunity: Opportunity
) -> None:
    application = ApplicationFactory(opportunity=opportunity, applicant=talent)

    response = client_for(founder).get(f"{APPLICATIONS}{application.pk}/")

    assert response.status_code == 200
    assert talent.email not in response.content.decode()


def test_list_filters_do_not_hide_an_object_by_id(client_for: ClientFor, founder: User) -> None:
    startup = _plain_startup(owner=founder, industry="health")

    detail = client_for(None).get(f"{STARTUPS}{startup.pk}/?industry=ai")
    patch = client_for(founder).patch(
        f"{STARTUPS}{startup.pk}/?industry=ai", {"tagline": "Still here"}, format="json"
    )

    assert detail.status_code == 200
    assert patch.status_code == 200
    startup.refresh_from_db()
    assert startup.tagline == "Still here"


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/startups/?owner=999999999999999999999999",
        "/api/v1/startups/?owner=1.5",
        "/api/v1/opportunities/?startup=99999999999999999999999",
        "/api/v1/opportunities/?startup=-3",
    ],
)
def test_malformed_id_filters_are_400(client_for: ClientFor, query: str) -> None:
    response = client_for(None).get(query)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_application_id_filter_out_of_range_is_400(client_for: ClientFor, talent: User) -> None:
    response = client_for(talent).get("/api/v1/applications/?opportunity=99999999999999999999")

    assert response.status_code == 400
