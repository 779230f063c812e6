"""Each recommendation type for its role, on small hand-built datasets: the expected top
results, in order, with reasons that are true of the data."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Availability, Industry, User
from recommendations import features, selectors
from recommendations.services import interaction_record
from startups.models import Opportunity, OpportunityStatus, Startup
from tests.accounts.factories import FounderFactory, InvestorFactory, UserFactory
from tests.recommendations.helpers import engage
from tests.startups.factories import OpportunityFactory, StartupFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/recommendations/"


def recommend(client_for, user, *, age: bool = True, **query):
    """GET the recommendations; everything the test created is first made a month old, so
    the new-items boost (tested on its own) stays out of the way."""
    if age:
        month_ago = timezone.now() - timedelta(days=30)
        Startup.objects.update(created_at=month_ago)
        Opportunity.objects.update(created_at=month_ago)
        User.objects.update(date_joined=month_ago)
    response = client_for(user).get(URL, query)
    assert response.status_code == 200, response.content
    return response.json()


def ids(body: dict) -> list[int]:
    return [item["id"] for item in body["recommendations"]]


def reasons_of(body: dict, item_id: int) -> list[str]:
    return next(item["reasons"] for item in body["recommendations"] if item["id"] == item_id)


def test_startups_for_talent_match_skills_then_interests_and_place(client_for) -> None:
    ada = UserFactory(
        skills=["python", "django", "postgresql"],
        interests=[Industry.CLIMATE],
        location="Lisbon, Portugal",
    )
    hiring = StartupFactory(name="Stackwise", industry=Industry.DEVTOOLS, skills=["python"])
    OpportunityFactory(startup=hiring, skills=["django", "postgresql"])
    closed_only = StartupFactory(name="Closedco", industry=Industry.GAMING, skills=["unity"])
    OpportunityFactory(startup=closed_only, skills=["django"], status=OpportunityStatus.CLOSED)
    local = StartupFactory(
        name="Sunfield", industry=Industry.CLIMATE, location="Lisbon, Portugal", skills=["figma"]
    )
    StartupFactory(name="Unrelated", industry=Industry.GAMING, skills=["unity"])

    body = recommend(client_for, ada)

    assert body["type"] == "startups"
    assert body["algorithm"] == "content"  # skills and interests, no history yet
    assert ids(body) == [hiring.pk, local.pk]  # a closed role's skills do not count
    assert reasons_of(body, hiring.pk) == [
        "Matches 3 of 3 skills you list: postgresql, python, django"  # the rarest first
    ]
    assert reasons_of(body, local.pk) == [
        "In Climate & energy, one of your interests",
        "Based in Lisbon, Portugal, like you",
    ]
    first = body["recommendations"][0]
    assert first == {
        "id": hiring.pk,
        "kind": "startup",
        "name": "Stackwise",
        "tagline": hiring.tagline,
        "score": pytest.approx(0.7, abs=1e-4),  # every skill, no interest, not local or remote
        "reasons": first["reasons"],
    }


def test_opportunities_for_talent_rank_by_share_of_required_skills(client_for) -> None:
    ada = UserFactory(skills=["python", "django"])
    full = OpportunityFactory(title="Django Engineer", skills=["python", "django"], remote=True)
    partial = OpportunityFactory(title="Platform Engineer", skills=["python", "go", "terraform"])
    OpportunityFactory(title="Designer", skills=["figma"])
    OpportunityFactory(title="Closed", skills=["python", "django"], status=OpportunityStatus.CLOSED)

    body = recommend(client_for, ada, type="opportunities")

    assert ids(body) == [full.pk, partial.pk]
    item = body["recommendations"][0]
    assert item["kind"] == "opportunity" and item["title"] == "Django Engineer"
    assert item["tagline"] == f"{full.startup.name} · Full-time · Remote"
    assert item["reasons"] == ["You have 2 of the 2 skills it asks for: django, python", "Remote"]
    assert reasons_of(body, partial.pk) == ["You have 1 of the 3 skills it asks for: python"]


def test_talent_for_founders_covers_their_open_roles_two_sided(client_for) -> None:
    founder = FounderFactory()
    startup = StartupFactory(owner=founder, name="Gridly", industry=Industry.CLIMATE)
    OpportunityFactory(startup=startup, title="Backend Engineer", skills=["go", "postgresql"])
    OpportunityFactory(
        startup=startup, title="Old role", skills=["cobol"], status=OpportunityStatus.CLOSED
    )
    both = UserFactory(name="Both Skills", skills=["go", "postgresql"])
    keen = UserFactory(
        name="Keen", skills=["go"], interests=[Industry.CLIMATE], availability="looking"
    )
    UserFactory(name="Cobol Only", skills=["cobol"])  # only a closed role needs it
    FounderFactory(name="Another Founder", skills=["go", "postgresql"])  # not talent

    body = recommend(client_for, founder)

    assert body["type"] == "talent"
    assert ids(body) == [both.pk, keen.pk]
    assert body["recommendations"][0]["kind"] == "talent"
    assert body["recommendations"][0]["name"] == "Both Skills"
    assert reasons_of(body, both.pk) == [
        "Has 2 of the 2 skills your Backend Engineer role needs: postgresql, go"
    ]
    assert reasons_of(body, keen.pk) == [
        "Has 1 of the 2 skills your Backend Engineer role needs: go",
        "Interested in Climate & energy, Gridly's industry",
        "Actively looking for a role",
    ]


def test_startups_for_investors_rank_by_traction_and_interests(client_for) -> None:
    investor = InvestorFactory(interests=[Industry.AI])
    rocket = StartupFactory(name="Rocket AI", industry=Industry.AI, growth_rate=25)
    steady = StartupFactory(name="Steady AI", industry=Industry.AI, growth_rate=2)
    outside = StartupFactory(name="Fast Fintech", industry=Industry.FINTECH, growth_rate=40)
    fan = UserFactory()
    engage(fan, "save", rocket)
    engage(UserFactory(), "follow", rocket)
    features.features_rebuild()

    body = recommend(client_for, investor)

    assert body["type"] == "startups" and body["algorithm"] == "hybrid"
    assert ids(body) == [rocket.pk, steady.pk, outside.pk]
    assert reasons_of(body, rocket.pk) == [
        "In AI & machine learning, one of the industries you invest in",
        "Growing 25% month over month",
        "1 save and 1 new follower in the last 30 days",
    ]
    assert reasons_of(body, outside.pk)[0] == "Growing 40% month over month"
    scores = [item["score"] for item in body["recommendations"]]
    assert scores == sorted(scores, reverse=True)


def test_behaviour_people_who_saved_this_also_saved(client_for, settings) -> None:
    settings.RECOMMENDATIONS_MIN_TOGETHER = 2
    me = UserFactory()  # no skills, no interests: only behaviour to go on
    seen, liked_too, lonely = StartupFactory(name="Seen"), StartupFactory(name="Liked"), None
    lonely = StartupFactory(name="Lonely")
    for _ in range(3):
        person = UserFactory()
        engage(person, "save", seen)
        engage(person, "follow", liked_too)
    one = UserFactory()  # one person in common is not enough
    engage(one, "save", seen)
    engage(one, "save", lonely)
    engage(me, "save", seen)
    features.features_rebuild()

    body = recommend(client_for, me)

    assert body["algorithm"] == "hybrid"
    assert ids(body)[0] == liked_too.pk
    assert reasons_of(body, liked_too.pk)[0] == (
        "3 people who engaged with Seen (you saved it) engaged with this too"
    )
    assert seen.pk not in ids(body)  # already saved: in my lists, not a recommendation
    similar = body["recommendations"][0]
    assert similar["score"] > next(
        item["score"] for item in body["recommendations"] if item["id"] == lonely.pk
    )


def test_strong_signals_weigh_more_than_weak_ones(client_for, settings) -> None:
    settings.RECOMMENDATIONS_MIN_TOGETHER = 1
    me = UserFactory()
    viewed, applied = StartupFactory(name="Viewed"), StartupFactory(name="Applied")
    after_view, after_apply = StartupFactory(name="After view"), StartupFactory(name="After apply")
    other = UserFactory()
    for first, then in ((viewed, after_view), (applied, after_apply)):
        engage(other, "save", first)
        engage(other, "save", then)
    interaction_record(user=me, kind="view", item_type="startup", item_id=viewed.pk)
    engage(me, "follow", applied)
    features.features_rebuild()

    order = ids(recommend(client_for, me))

    assert order.index(after_apply.pk) < order.index(after_view.pk)


def test_popular_items_do_not_drown_personal_matches(client_for, settings) -> None:
    # The damping under a blend where popularity weighs 0.25 (the chosen weights change with
    # each held-out evaluation; with popularity at 0.5 a 1-of-3 match loses to 20 saves).
    settings.RECOMMENDATIONS_WEIGHTS = {
        **settings.RECOMMENDATIONS_WEIGHTS,
        "startups": {"content": 0.3, "behaviour": 0.45, "popularity": 0.25},
    }
    ada = UserFactory(skills=["rust", "go", "elixir"])
    match = StartupFactory(name="Rusty", skills=["rust"])  # a weak match: 1 skill of 3
    famous = StartupFactory(name="Famous", skills=["cobol"])
    for _ in range(20):
        fan = UserFactory()
        engage(fan, "save", famous)
    interaction_record(user=ada, kind="view", item_type="startup", item_id=famous.pk)
    features.features_rebuild()

    body = recommend(client_for, ada)

    assert body["algorithm"] == "hybrid"
    assert ids(body)[:2] == [match.pk, famous.pk]
    assert reasons_of(body, famous.pk) == ["Popular this month: 20 saves in the last 30 days"]
    # Popularity alone counts 0.25 undamped, 0.05 damped; the weak match about 0.06.
    settings.RECOMMENDATIONS_POPULAR_ONLY_DAMPING = 1.0
    undamped = selectors.recommendation_list(user=ada, use_cache=False)
    assert [item["id"] for item in undamped["recommendations"]][:2] == [famous.pk, match.pk]


def test_cold_start_with_nothing_is_trending_for_the_role_and_says_so(client_for) -> None:
    newcomer = UserFactory()
    hot, cold = StartupFactory(name="Hot"), StartupFactory(name="Cold")
    for _ in range(3):
        engage(UserFactory(), "save", hot)
    engage(InvestorFactory(), "save", cold)

    body = recommend(client_for, newcomer)

    assert body["algorithm"] == "trending"
    assert ids(body) == [hot.pk]  # what talent engage with, not investors
    assert reasons_of(body, hot.pk) == [
        "Trending with talent: 3 people engaged in the last 30 days"
    ]


def test_cold_start_on_an_empty_platform_shows_the_newest(client_for) -> None:
    older, newer = StartupFactory(name="Older"), StartupFactory(name="Newer")
    Startup.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=30))
    Startup.objects.filter(pk=newer.pk).update(created_at=timezone.now() - timedelta(days=10))

    body = recommend(client_for, UserFactory(), age=False)

    assert body["algorithm"] == "trending"
    assert ids(body)[:2] == [newer.pk, older.pk]
    assert reasons_of(body, older.pk) == ["One of the newest startups on CollabHub"]


def test_founder_without_open_roles_gets_active_talent(client_for) -> None:
    founder = FounderFactory()
    busy, idle = UserFactory(name="Busy"), UserFactory(name="Idle")
    startup = StartupFactory()
    for kind in ("view", "save", "like"):
        engage(busy, kind, startup)
    features.features_rebuild()

    body = recommend(client_for, founder)

    assert body["algorithm"] == "trending"
    assert ids(body) == [busy.pk]
    assert reasons_of(body, busy.pk) == ["Active on CollabHub: 3 actions in the last 30 days"]
    assert idle.pk not in ids(body)


def test_every_result_has_a_reason_and_limits_hold(client_for) -> None:
    ada = UserFactory(skills=["python"], interests=[Industry.FINTECH])
    for number in range(60):
        StartupFactory(name=f"S{number}", skills=["python"] if number % 2 else [])

    body = recommend(client_for, ada, limit=50)
    default = recommend(client_for, ada)

    assert len(body["recommendations"]) == 50
    assert len(default["recommendations"]) == 10
    assert all(item["reasons"] for item in body["recommendations"])


def test_unavailable_people_are_never_recommended(client_for) -> None:
    founder = FounderFactory()
    OpportunityFactory(startup=StartupFactory(owner=founder), skills=["go"])
    shown = UserFactory(skills=["go"])
    UserFactory(skills=["go"], availability=Availability.NOT_LOOKING)
    UserFactory(skills=["go"], is_active=False)

    assert ids(recommend(client_for, founder)) == [shown.pk]


def test_startups_in_an_industry_people_with_your_skills_engage_with_say_so(client_for) -> None:
    """What relates a talent's job skills to startups' industries is learned from behaviour:
    python people save fintech startups, so a new python person is shown an unseen one."""
    saved = [StartupFactory(industry=Industry.FINTECH) for _ in range(3)]
    for _ in range(3):
        person = UserFactory(skills=["python"])
        for startup in saved:
            engage(person, "save", startup)
    for _ in range(9):
        person = UserFactory(skills=["figma"])
        for startup in [StartupFactory(industry=Industry.CLIMATE) for _ in range(3)]:
            engage(person, "save", startup)
    unseen = StartupFactory(name="Ledgerly", industry=Industry.FINTECH)
    features.features_rebuild()
    ada = UserFactory(skills=["python"], interests=[], location="Nowhere")
    Startup.objects.update(remote_friendly=False)

    body = recommend(client_for, ada)

    assert body["algorithm"] == "content"
    assert unseen.pk in ids(body)
    assert reasons_of(body, unseen.pk) == [
        "People who list python engage with Fintech startups 1.3x as often as others"  # 3 / 2.25
    ]


def test_behaviour_reaches_across_types_a_role_you_applied_to_points_to_startups(
    client_for, settings
) -> None:
    settings.RECOMMENDATIONS_MIN_TOGETHER = 2
    me = UserFactory()  # no skills, no interests: only behaviour to go on
    seen = StartupFactory(name="Seen")
    role = OpportunityFactory(title="Data Engineer", startup=StartupFactory(name="Pipes"))
    theirs = StartupFactory(name="Theirs")
    for _ in range(2):
        person = UserFactory()
        engage(person, "apply", role)
        engage(person, "save", theirs)
    engage(me, "save", seen)
    engage(me, "apply", role)
    features.features_rebuild()

    body = recommend(client_for, me)

    assert body["algorithm"] == "hybrid"
    assert ids(body)[0] == theirs.pk
    assert reasons_of(body, theirs.pk)[0] == (
        "2 people who engaged with Data Engineer at Pipes (you applied to it) engaged with this too"
    )
