"""Business rules: each one, their order and plugging one in, and the guarantee that nothing a
filter removes ever shows up, whatever the algorithm."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Industry, User
from recommendations import features, rules
from recommendations.engine import ALGORITHMS
from recommendations.models import Interaction
from recommendations.selectors import recommendation_list
from recommendations.services import interaction_record
from startups.models import Opportunity, OpportunityStatus, Startup
from tests.accounts.factories import FounderFactory, UserFactory
from tests.recommendations.factories import InteractionFactory
from tests.recommendations.helpers import engage
from tests.recommendations.test_types import ids, recommend
from tests.startups.factories import ApplicationFactory, OpportunityFactory, StartupFactory

pytestmark = pytest.mark.django_db

RULES = "/api/v1/recommendations/rules/"


def test_own_startups_and_their_opportunities_are_filtered(client_for) -> None:
    founder = FounderFactory(skills=["python"])
    mine = StartupFactory(owner=founder, skills=["python"])
    my_role = OpportunityFactory(startup=mine, skills=["python"])
    theirs = StartupFactory(skills=["python"])
    their_role = OpportunityFactory(startup=theirs, skills=["python"])

    assert ids(recommend(client_for, founder, type="startups")) == [theirs.pk]
    assert ids(recommend(client_for, founder, type="opportunities")) == [their_role.pk]
    assert my_role.pk != their_role.pk


def test_applied_opportunities_are_filtered(client_for, committed) -> None:
    ada = UserFactory(skills=["python"])
    applied, other = OpportunityFactory(skills=["python"]), OpportunityFactory(skills=["python"])
    assert sorted(ids(recommend(client_for, ada, type="opportunities"))) == sorted(
        [applied.pk, other.pk]
    )
    with committed():
        url = f"/api/v1/opportunities/{applied.pk}/apply/"
        response = client_for(ada).post(url, {}, format="json")
    assert response.status_code == 201

    assert ids(recommend(client_for, ada, type="opportunities")) == [other.pk]


def test_saved_and_followed_items_are_filtered(client_for) -> None:
    ada = UserFactory(skills=["python"])
    saved, followed, fresh = (StartupFactory(skills=["python"]) for _ in range(3))
    api = client_for(ada)
    assert api.post(f"/api/v1/startups/{saved.pk}/save/").status_code == 201
    assert api.post(f"/api/v1/startups/{followed.pk}/follow/").status_code == 201

    assert ids(recommend(client_for, ada)) == [fresh.pk]


def test_closed_opportunities_are_filtered(client_for, settings) -> None:
    settings.RECOMMENDATIONS_MIN_TOGETHER = 1
    ada = UserFactory(skills=["python"])
    OpportunityFactory(skills=["python"], status=OpportunityStatus.CLOSED)  # a skill match
    seen = OpportunityFactory(skills=["figma"])
    closed = OpportunityFactory(skills=["go"], status=OpportunityStatus.CLOSED)
    fan = UserFactory()
    for job in (seen, closed):  # popular, and similar to what ada viewed
        engage(fan, "save", job)
    interaction_record(user=ada, kind="view", item_type="opportunity", item_id=seen.pk)
    features.features_rebuild()

    body = recommend(client_for, ada, type="opportunities")

    assert body["algorithm"] == "hybrid"  # every source ran
    assert ids(body) == [seen.pk]


def test_what_was_done_long_ago_stays_filtered(client_for) -> None:
    ada = UserFactory(skills=["python"])
    applied, kept = OpportunityFactory(skills=["python"]), OpportunityFactory(skills=["python"])
    dismissed = StartupFactory(skills=["python"])
    engage(ada, "apply", applied)
    interaction_record(user=ada, kind="dismiss", item_type="startup", item_id=dismissed.pk)
    browsed = StartupFactory()
    # 600 later views push them out of the recent history
    Interaction.objects.bulk_create(InteractionFactory.build_batch(600, user=ada, item=browsed))

    assert ids(recommend(client_for, ada, type="opportunities")) == [kept.pk]
    assert dismissed.pk not in ids(recommend(client_for, ada))


def test_an_unsaved_or_unfollowed_item_comes_back(client_for, committed) -> None:
    ada = UserFactory(skills=["python"])
    startup = StartupFactory(skills=["python"])
    api = client_for(ada)
    with committed():
        api.post(f"/api/v1/startups/{startup.pk}/save/")
        api.post(f"/api/v1/startups/{startup.pk}/follow/")
    assert ids(recommend(client_for, ada)) == []
    with committed():
        assert api.delete(f"/api/v1/startups/{startup.pk}/save/").status_code in (200, 204)
    assert ids(recommend(client_for, ada)) == []  # still followed
    with committed():
        assert api.delete(f"/api/v1/startups/{startup.pk}/follow/").status_code in (200, 204)
    assert ids(recommend(client_for, ada)) == [startup.pk]
    assert not Interaction.objects.filter(user=ada, kind__in=["save", "follow"]).exists()


def test_dismissed_items_are_filtered(client_for, committed) -> None:
    ada = UserFactory(skills=["python"])
    dismissed, kept = StartupFactory(skills=["python"]), StartupFactory(skills=["python"])
    assert dismissed.pk in ids(recommend(client_for, ada))  # cached now
    body = {"kind": "dismiss", "item_type": "startup", "item_id": dismissed.pk}
    with committed():
        response = client_for(ada).post("/api/v1/interactions/", body, format="json")
    assert response.status_code == 201

    assert ids(recommend(client_for, ada)) == [kept.pk]


def test_new_items_are_boosted_and_say_so(client_for, settings) -> None:
    settings.RECOMMENDATIONS_NEW_BOOST = 0.2
    ada = UserFactory(skills=["python"])
    old, new = StartupFactory(skills=["python"]), StartupFactory(skills=["python"])
    Startup.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    Startup.objects.filter(pk=new.pk).update(created_at=timezone.now() - timedelta(days=6))

    body = recommend(client_for, ada, age=False)

    assert ids(body) == [new.pk, old.pk]
    first, second = body["recommendations"]
    assert first["score"] == pytest.approx(second["score"] * 1.2, abs=1e-3)
    assert "New this week" in first["reasons"] and "New this week" not in second["reasons"]


def test_diversity_keeps_one_industry_from_filling_the_top(client_for, settings, committed) -> None:
    settings.RECOMMENDATIONS_DIVERSITY_MAX = 3
    ada = UserFactory(skills=["python", "django", "go"])
    fintech = [
        StartupFactory(industry=Industry.FINTECH, skills=["python", "django", "go"])
        for _ in range(5)
    ]
    others = [StartupFactory(industry=Industry.HEALTH, skills=["go"]) for _ in range(2)]

    body = recommend(client_for, ada)

    industries = dict(Startup.objects.values_list("pk", "industry"))
    order = ids(body)
    assert [industries[pk] for pk in order] == ["fintech"] * 3 + ["health"] * 2 + ["fintech"] * 2
    assert set(order) == {s.pk for s in fintech + others}
    settings.RECOMMENDATIONS_DIVERSITY_MAX = 10
    with committed():
        client_for(ada).post("/api/v1/recommendations/refresh/")
    assert [industries[pk] for pk in ids(recommend(client_for, ada))][:5] == ["fintech"] * 5


def test_unexplained_candidates_hold_no_place_in_the_diverse_top(client_for, settings) -> None:
    """Items popular only through views have no reason to show: they must not take top-10
    places from which the diversity rule would push a shown item out."""
    settings.RECOMMENDATIONS_DIVERSITY_MAX = 1
    ada = UserFactory(skills=["python"])
    first = StartupFactory(industry=Industry.FINTECH, skills=["python"])
    second = StartupFactory(industry=Industry.FINTECH, skills=["python"])
    saved = StartupFactory(industry=Industry.HEALTH)  # popular: 1 save, a reason to show
    engage(UserFactory(), "save", saved)
    viewers = [UserFactory() for _ in range(6)]
    others = [i for i in Industry.values if i not in (Industry.FINTECH, Industry.HEALTH)]
    for industry in others[:9]:  # more popular (6 views), but no reason: views say little
        viewed = StartupFactory(industry=industry)
        for viewer in viewers:
            interaction_record(user=viewer, kind="view", item_type="startup", item_id=viewed.pk)
    alone = StartupFactory(industry=others[9])  # ada's history, shared with nobody
    interaction_record(user=ada, kind="view", item_type="startup", item_id=alone.pk)
    features.features_rebuild()

    body = recommend(client_for, ada)

    assert body["algorithm"] == "hybrid"
    assert ids(body) in ([first.pk, saved.pk, second.pk], [second.pk, saved.pk, first.pk])


def test_staff_see_the_rules_in_order(client_for) -> None:
    staff = UserFactory(is_staff=True)
    response = client_for(staff).get(RULES)

    assert response.status_code == 200
    listed = response.json()
    assert [r["name"] for r in listed] == [
        "own_items",
        "already_applied",
        "already_engaged",
        "closed_opportunities",
        "dismissed",
        "unavailable_talent",
        "new_items",
        "diversity",
    ]
    assert [r["priority"] for r in listed] == sorted(r["priority"] for r in listed)
    assert listed[-1] == {
        "name": "diversity",
        "kind": "rerank",
        "priority": 90,
        "description": rules.DIVERSITY.description,
        "types": ["opportunities", "startups"],
    }
    assert client_for(UserFactory()).get(RULES).status_code == 403
    assert client_for(None).get(RULES).status_code == 401


# A rule plugged in through settings (its dotted path is this module's).
NO_FINTECH = rules.Rule(
    "no_fintech",
    "filter",
    5,
    "Never fintech.",
    frozenset({"startups"}),
    lambda ctx, candidate: candidate.industry != Industry.FINTECH,
)


def test_a_rule_plugs_in_through_settings(client_for, settings) -> None:
    settings.RECOMMENDATIONS_RULES = [
        *settings.RECOMMENDATIONS_RULES,
        "tests.recommendations.test_rules.NO_FINTECH",
    ]
    ada = UserFactory(skills=["python"])
    StartupFactory(industry=Industry.FINTECH, skills=["python"])
    health = StartupFactory(industry=Industry.HEALTH, skills=["python"])

    assert ids(recommend(client_for, ada)) == [health.pk]
    assert rules.rules()[0].name == "no_fintech"  # priority 5 runs first


def test_nothing_filtered_ever_shows_up(settings) -> None:
    """A random catalogue where many items are forbidden for one person, for every type and
    algorithm (cold start included): none of them is ever recommended."""
    settings.RECOMMENDATIONS_MIN_TOGETHER = 1
    rng = random.Random(7)
    me = FounderFactory(skills=["python", "go"], interests=[Industry.AI])
    skills = ["python", "go", "react", "figma"]
    forbidden: dict[str, set[int]] = {"startups": set(), "opportunities": set(), "talent": set()}
    people = [UserFactory(skills=rng.sample(skills, 2)) for _ in range(12)]
    for number in range(40):
        owner = me if number % 7 == 0 else FounderFactory()
        startup = StartupFactory(
            owner=owner, industry=rng.choice([Industry.AI, Industry.HEALTH]), skills=["python"]
        )
        role = OpportunityFactory(startup=startup, skills=rng.sample(skills, 2))
        if owner == me:
            forbidden["startups"].add(startup.pk)
            forbidden["opportunities"].add(role.pk)
        if number % 5 == 1:
            Opportunity.objects.filter(pk=role.pk).update(status=OpportunityStatus.CLOSED)
            forbidden["opportunities"].add(role.pk)
        for person in rng.sample(people, 3):  # behaviour and popularity for every item
            engage(person, "save", startup)
            interaction_record(user=person, kind="like", item_type="opportunity", item_id=role.pk)
        mine = number % 4
        if mine == 1 and owner != me:
            ApplicationFactory(opportunity=role, applicant=me)  # recorded by the rebuild
            forbidden["opportunities"].add(role.pk)
        elif mine == 2:
            interaction_record(user=me, kind="dismiss", item_type="startup", item_id=startup.pk)
            interaction_record(user=me, kind="dismiss", item_type="opportunity", item_id=role.pk)
            forbidden["startups"].add(startup.pk)
            forbidden["opportunities"].add(role.pk)
        elif mine == 3:
            engage(me, "save", startup)
            forbidden["startups"].add(startup.pk)
    for number, person in enumerate(people):
        if number % 3 == 0:
            User.objects.filter(pk=person.pk).update(availability="not_looking")
            forbidden["talent"].add(person.pk)
        elif number % 3 == 1:
            User.objects.filter(pk=person.pk).update(is_active=False)
            forbidden["talent"].add(person.pk)
    features.features_rebuild()
    me.refresh_from_db()
    nobody = UserFactory()  # a cold start
    shown_any = False
    for user in (me, nobody):
        for type in ("startups", "opportunities", "talent"):
            for algorithm in ALGORITHMS:
                result = recommendation_list(
                    user=user, type=type, limit=50, algorithm=algorithm, use_cache=False
                )
                shown = {item["id"] for item in result["recommendations"]}
                shown_any = shown_any or bool(shown)
                assert not shown & (forbidden[type] if user == me else set()), (type, algorithm)
                if type == "opportunities":
                    closed = Opportunity.objects.filter(pk__in=shown).exclude(status="open")
                    assert not closed.exists(), algorithm
                if type == "talent":
                    assert not User.objects.filter(pk__in=shown, is_active=False).exists()
                    assert not User.objects.filter(pk__in=shown, availability="not_looking")
    assert shown_any
