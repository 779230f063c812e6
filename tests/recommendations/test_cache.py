"""Caching and batch work: results are cached per person and type, invalidated by each of
its triggers, refreshed on demand, precomputed nightly; and the API's input handling."""

import time

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Industry
from recommendations import selectors, tasks
from recommendations.models import ItemFeatures, ItemSimilarity, UserFeatures
from recommendations.rules import Rule
from recommendations.selectors import STAMP_KEY, VERSION_KEY
from recommendations.services import interaction_record
from startups import services as startup_services
from startups.models import Startup
from tests.accounts.factories import FounderFactory, InvestorFactory, SkillFactory, UserFactory
from tests.recommendations.test_types import URL, ids, recommend
from tests.startups.factories import OpportunityFactory, StartupFactory
from tests.startups.helpers import assert_error

pytestmark = pytest.mark.django_db

REFRESH = "/api/v1/recommendations/refresh/"


def rename_quietly(startup: Startup, name: str) -> None:
    """A change that bypasses every signal: only a refresh or expiry shows it."""
    Startup.objects.filter(pk=startup.pk).update(name=name)


def names(body: dict) -> list[str]:
    return [item["name"] for item in body["recommendations"]]


def test_results_are_cached_until_refreshed(client_for, committed) -> None:
    ada = UserFactory(skills=["python"])
    startup = StartupFactory(name="Before", skills=["python"])
    assert names(recommend(client_for, ada)) == ["Before"]
    rename_quietly(startup, "After")

    assert names(recommend(client_for, ada)) == ["Before"]  # served from the cache
    with committed():
        response = client_for(ada).post(REFRESH)
    assert response.status_code == 200 and response.json() == {"user_id": ada.pk}
    assert names(recommend(client_for, ada)) == ["After"]


def test_a_cached_read_makes_no_database_query(client_for) -> None:
    ada = UserFactory(skills=["python"])
    StartupFactory(skills=["python"])
    first = selectors.recommendation_list(user=ada)
    with CaptureQueriesContext(connection) as queries:
        again = selectors.recommendation_list(user=ada)
    assert again == first and first["recommendations"]
    assert len(queries) == 0


def test_cached_per_type(client_for) -> None:
    ada = UserFactory(skills=["python"])
    job = OpportunityFactory(skills=["python"])
    assert ids(recommend(client_for, ada, type="startups")) == [job.startup.pk]
    assert ids(recommend(client_for, ada, type="opportunities")) == [job.pk]


def test_changing_skills_or_interests_invalidates(client_for, committed) -> None:
    ada = UserFactory(skills=["python"])
    StartupFactory(name="Pythonic", skills=["python"])
    StartupFactory(name="Rusty", skills=["rust"])
    StartupFactory(name="Healthy", industry=Industry.HEALTH)
    assert names(recommend(client_for, ada)) == ["Pythonic"]
    api = client_for(ada)

    with committed():
        assert api.patch("/api/v1/auth/me/", {"skills": ["rust"]}, format="json").status_code == 200
    assert names(recommend(client_for, ada)) == ["Rusty"]
    with committed():
        body = {"interests": [Industry.HEALTH]}
        assert api.patch("/api/v1/auth/me/", body, format="json").status_code == 200
    assert names(recommend(client_for, ada)) == ["Rusty", "Healthy"]


def test_skills_changed_anywhere_invalidate(client_for, committed) -> None:
    ada = UserFactory(skills=["python"])
    StartupFactory(name="Rusty", skills=["rust"])
    assert names(recommend(client_for, ada)) == []
    with committed():  # the admin, a shell: the m2m signal
        ada.skills.add(
            StartupFactory(name="Other").skills.model.objects.get_or_create(name="rust")[0]
        )
    assert names(recommend(client_for, ada)) == ["Rusty"]


def test_skills_changed_from_the_skill_side_invalidate(client_for, committed) -> None:
    ada = UserFactory(skills=["python", "go"])
    startup = StartupFactory(name="Gophers", skills=["go"])

    def reason() -> str:
        return recommend(client_for, ada)["recommendations"][0]["reasons"][0]

    assert reason() == "Matches 1 of 2 skills you list: go"
    with committed():  # skill.startups.add: the instance is the skill, the item in pk_set
        SkillFactory(name="python").startups.add(startup)
    assert reason().startswith("Matches 2 of 2 skills")
    with committed():  # skill.users.add: the person is in pk_set
        SkillFactory(name="rust").users.add(ada)
    assert reason().startswith("Matches 2 of 3 skills")


def test_clearing_a_skill_from_the_skill_side_invalidates(client_for, committed) -> None:
    ada = UserFactory(skills=["go"])
    StartupFactory(name="Gophers", skills=["go"])
    assert names(recommend(client_for, ada)) == ["Gophers"]
    with committed():  # a clear has no pk_set: the items are read before it
        SkillFactory(name="go").startups.clear()
    assert names(recommend(client_for, ada)) == []


# A rule is the one place a test can act in the middle of a run: these stand for another
# process committing a change while the result is computed.
def _item_changes(ctx, candidate):
    cache.set(STAMP_KEY.format(kind="startup", item_id=candidate.id), time.time(), 600)
    return True


def _person_changes(ctx, candidate):
    cache.set(VERSION_KEY.format(user_id=ctx.user.pk), time.time_ns(), 600)
    return True


ITEM_CHANGES = Rule("item_changes", "filter", 1, "test", frozenset({"startups"}), _item_changes)
PERSON_CHANGES = Rule(
    "person_changes", "filter", 1, "test", frozenset({"startups"}), _person_changes
)


def test_a_change_during_a_run_is_not_cached_over(settings) -> None:
    ada = UserFactory(skills=["python"])
    StartupFactory(skills=["python"])
    rules = settings.RECOMMENDATIONS_RULES
    settings.RECOMMENDATIONS_RULES = [
        *rules,
        "tests.recommendations.test_cache.ITEM_CHANGES",
    ]
    selectors.recommendation_list(user=ada)
    settings.RECOMMENDATIONS_RULES = rules

    with CaptureQueriesContext(connection) as queries:
        selectors.recommendation_list(user=ada)
    assert len(queries) > 0  # computed again: the change came after the run started


def test_a_change_during_the_nightly_precompute_is_not_cached_over(settings) -> None:
    ada = UserFactory(skills=["python"])
    StartupFactory(skills=["python"])
    rules = settings.RECOMMENDATIONS_RULES
    settings.RECOMMENDATIONS_RULES = [
        *rules,
        "tests.recommendations.test_cache.PERSON_CHANGES",
    ]
    selectors.recommendations_precompute(user=ada)
    settings.RECOMMENDATIONS_RULES = rules

    with CaptureQueriesContext(connection) as queries:
        selectors.recommendation_list(user=ada)
    assert len(queries) > 0


def test_an_interaction_invalidates(client_for, committed) -> None:
    ada = UserFactory(skills=["python"])
    first, second = StartupFactory(skills=["python"]), StartupFactory(skills=["python"])
    assert sorted(ids(recommend(client_for, ada))) == sorted([first.pk, second.pk])
    with committed():
        client_for(ada).post(f"/api/v1/startups/{first.pk}/save/")
    assert ids(recommend(client_for, ada)) == [second.pk]


def test_a_changed_item_is_never_served_stale(client_for, committed) -> None:
    ada = UserFactory(skills=["python"])
    job = OpportunityFactory(skills=["python"])
    other = OpportunityFactory(skills=["python"])
    owner = job.startup.owner
    assert sorted(ids(recommend(client_for, ada, type="opportunities"))) == sorted(
        [job.pk, other.pk]
    )
    with committed():
        startup_services.opportunity_update(opportunity=job, by=owner, data={"status": "closed"})
    assert ids(recommend(client_for, ada, type="opportunities")) == [other.pk]

    doomed = other.startup
    assert doomed.pk in ids(recommend(client_for, ada, type="startups"))
    with committed():
        startup_services.startup_delete(startup=doomed, by=doomed.owner)
    assert doomed.pk not in ids(recommend(client_for, ada, type="startups"))


def test_a_talent_profile_change_reaches_founders(client_for, committed) -> None:
    founder = FounderFactory()
    OpportunityFactory(startup=StartupFactory(owner=founder), skills=["go"])
    gopher = UserFactory(skills=["go"])
    assert ids(recommend(client_for, founder)) == [gopher.pk]
    with committed():
        body = {"availability": "not_looking"}
        assert client_for(gopher).patch("/api/v1/auth/me/", body, format="json").status_code == 200
    assert ids(recommend(client_for, founder)) == []


def test_a_founders_new_role_changes_their_talent(client_for, committed) -> None:
    founder = FounderFactory()
    startup = StartupFactory(owner=founder)
    gopher, designer = UserFactory(skills=["go"]), UserFactory(skills=["figma"])
    OpportunityFactory(startup=startup, skills=["go"])
    assert ids(recommend(client_for, founder)) == [gopher.pk]
    with committed():
        startup_services.opportunity_create(
            startup=startup,
            by=founder,
            data={"title": "Designer", "kind": "full-time", "skills": ["figma"]},
        )
    assert sorted(ids(recommend(client_for, founder))) == sorted([gopher.pk, designer.pk])


def test_staff_clear_anyones_cache_others_cannot(client_for, committed) -> None:
    ada, staff, bob = UserFactory(skills=["python"]), UserFactory(is_staff=True), UserFactory()
    startup = StartupFactory(name="Before", skills=["python"])
    assert names(recommend(client_for, ada)) == ["Before"]
    rename_quietly(startup, "After")

    assert_error(client_for(bob).post(REFRESH, {"user_id": ada.pk}), 403, "permission_denied")
    assert names(recommend(client_for, ada)) == ["Before"]
    assert_error(client_for(staff).post(REFRESH, {"user_id": 10**9}), 404, "user_not_found")
    assert_error(client_for(staff).post(REFRESH, {"user_id": "x"}), 400, "validation_error")
    with committed():
        response = client_for(staff).post(REFRESH, {"user_id": ada.pk})
    assert response.status_code == 200
    assert names(recommend(client_for, ada)) == ["After"]


def test_nightly_rebuilds_the_store_and_precomputes_for_the_active(settings) -> None:
    settings.RECOMMENDATIONS_MIN_TOGETHER = 1
    active, dormant = UserFactory(skills=["python"]), UserFactory(skills=["python"])
    first, second = StartupFactory(skills=["python"]), StartupFactory(skills=["python"])
    interaction_record(user=active, kind="like", item_type="startup", item_id=first.pk)
    interaction_record(user=active, kind="view", item_type="startup", item_id=second.pk)

    counts = tasks.nightly()

    assert counts["precomputed"] == 1
    assert ItemFeatures.objects.filter(item_type="startup").count() == 2
    assert ItemSimilarity.objects.filter(item_id=first.pk, other_id=second.pk).exists()
    assert UserFeatures.objects.get(user=active).activity == 2
    with CaptureQueriesContext(connection) as queries:
        selectors.recommendation_list(user=active)  # precomputed: a cache hit
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        selectors.recommendation_list(user=dormant)
    assert len(queries) > 0
    assert (
        settings.CELERY_BEAT_SCHEDULE["recommendations-nightly"]["task"]
        == "recommendations.nightly"
    )


def test_rebuild_command_reports_what_it_built(capsys) -> None:
    StartupFactory()
    call_command("recommendations_rebuild", "--no-precompute")
    out = capsys.readouterr().out
    assert "item_features" in out and "precomputed" not in out
    assert ItemFeatures.objects.count() == 1


def test_default_type_follows_the_role(client_for) -> None:
    assert recommend(client_for, UserFactory())["type"] == "startups"
    assert recommend(client_for, FounderFactory())["type"] == "talent"
    assert recommend(client_for, InvestorFactory())["type"] == "startups"


def choose_popularity(*, user, type):
    return "popularity" if user.name == "Group B" else None


def test_the_algorithm_is_chosen_through_one_hook(client_for, settings) -> None:
    settings.RECOMMENDATIONS_ALGORITHM_HOOK = "tests.recommendations.test_cache.choose_popularity"
    StartupFactory(skills=["python"])
    group_a = UserFactory(name="Group A", skills=["python"])
    group_b = UserFactory(name="Group B", skills=["python"])

    assert recommend(client_for, group_a)["algorithm"] == "content"
    assert recommend(client_for, group_b)["algorithm"] == "popularity"


def test_bad_queries_are_clear_4xx(client_for) -> None:
    api = client_for(UserFactory())
    for query in ({"type": "planets"}, {"limit": 0}, {"limit": 51}, {"limit": "ten"}):
        assert_error(api.get(URL, query), 400, "validation_error")
    assert client_for(None).get(URL).status_code == 401
    assert client_for(None).post(REFRESH).status_code == 401
