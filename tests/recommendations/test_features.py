"""The feature store: interactions from bulk-loaded rows, similarities, traction, skill
rarity, trending and activity -- each checked against values worked out by hand."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Industry, Skill
from recommendations import features
from recommendations.models import (
    Interaction,
    ItemFeatures,
    ItemSimilarity,
    SkillAffinity,
    UserFeatures,
)
from recommendations.services import interaction_record
from startups.models import Stage, Startup
from tests.accounts.factories import InvestorFactory, UserFactory
from tests.feed.factories import FollowFactory
from tests.recommendations.helpers import engage
from tests.startups.factories import (
    ApplicationFactory,
    OpportunityFactory,
    OpportunitySaveFactory,
    SaveFactory,
    StartupFactory,
)

pytestmark = pytest.mark.django_db


def test_reconcile_records_bulk_loaded_saves_applications_and_follows_once() -> None:
    save, job_save, application = SaveFactory(), OpportunitySaveFactory(), ApplicationFactory()
    follower, startup = UserFactory(), StartupFactory()
    FollowFactory(follower=follower, target=startup)

    assert features.interactions_reconcile() == {"added": 4, "removed": 0}
    assert features.interactions_reconcile() == {"added": 0, "removed": 0}
    recorded = set(Interaction.objects.values_list("user_id", "kind", "item_type", "item_id"))
    assert recorded == {
        (save.user_id, "save", "startup", save.startup_id),
        (job_save.user_id, "save", "opportunity", job_save.opportunity_id),
        (application.applicant_id, "apply", "opportunity", application.opportunity_id),
        (follower.pk, "follow", "startup", startup.pk),
    }
    synced = Interaction.objects.get(kind="save", item_type="startup")
    assert synced.created_at == save.created_at


def test_similarity_is_the_cosine_of_weighted_vectors(settings) -> None:
    settings.RECOMMENDATIONS_MIN_TOGETHER = 1
    a, b, c = StartupFactory(), StartupFactory(), StartupFactory()
    first, second = UserFactory(), UserFactory()
    for user, items in ((first, [a, b]), (second, [a, b, c])):
        for item in items:
            engage(user, "save", item)

    features.features_rebuild()

    def similarity(x: Startup, y: Startup) -> tuple[float, int]:
        row = ItemSimilarity.objects.get(item_id=x.pk, other_id=y.pk)
        return row.score, row.together

    # Saves weigh 4 each: a = b = (4, 4), c = (0, 4).
    assert similarity(a, b) == (pytest.approx(1.0), 2)
    assert similarity(a, c) == (pytest.approx(16 / (math.sqrt(32) * 4), abs=1e-5), 1)
    assert similarity(c, a)[0] == similarity(a, c)[0]
    settings.RECOMMENDATIONS_MIN_TOGETHER = 2
    features.features_rebuild()
    assert set(ItemSimilarity.objects.values_list("item_id", "other_id")) == {
        (a.pk, b.pk),
        (b.pk, a.pk),
    }


def test_similarities_reach_across_item_types(settings) -> None:
    settings.RECOMMENDATIONS_MIN_TOGETHER = 2
    role, startup = OpportunityFactory(), StartupFactory()
    for _ in range(2):
        person = UserFactory()
        engage(person, "apply", role)
        engage(person, "save", startup)

    features.features_rebuild()

    # Each person: the role weighs 5 (apply), the startup 4 (save): parallel vectors.
    rows = set(
        ItemSimilarity.objects.values_list(
            "item_type", "item_id", "other_type", "other_id", "score", "together"
        )
    )
    assert rows == {
        ("opportunity", role.pk, "startup", startup.pk, 1.0, 2),
        ("startup", startup.pk, "opportunity", role.pk, 1.0, 2),
    }


def test_traction_blends_growth_activity_stage_and_recency() -> None:
    now = timezone.now()
    value = features.traction(
        growth_rate=15, stage=Stage.SEED, created_at=now, recent={"save": 2}, busiest=8, now=now
    )
    # growth 15/30 * .35 + activity log1p(8)/log1p(8) * .35 + seed .7 * .15 + new 1 * .15
    assert value == pytest.approx(0.175 + 0.35 + 0.105 + 0.15)
    older = features.traction(
        growth_rate=None,
        stage=Stage.IDEA,
        created_at=now - timedelta(days=180),
        recent=None,
        busiest=0,
        now=now,
    )
    assert older == pytest.approx(0.2 * 0.15 + 0.5 * 0.15)


def test_rebuild_stores_popularity_recent_counts_and_traction() -> None:
    hot = StartupFactory(growth_rate=30, stage=Stage.SERIES_A)
    quiet = StartupFactory(growth_rate=0, stage=Stage.IDEA)
    for kind in ("save", "follow", "view"):
        engage(UserFactory(), kind, hot)

    features.features_rebuild()

    row = ItemFeatures.objects.get(item_type="startup", item_id=hot.pk)
    assert row.recent == {"save": 1, "follow": 1, "view": 1}
    assert row.engaged == 2  # saves and follows; a view is not engagement
    assert row.popularity == pytest.approx(4 + 3 + 1, rel=1e-3)
    assert row.traction == pytest.approx(0.35 + 0.35 + 0.9 * 0.15 + 0.15, rel=1e-3)
    assert ItemFeatures.objects.get(item_id=quiet.pk).traction < row.traction


def test_rare_skills_weigh_more() -> None:
    for _ in range(5):
        StartupFactory(skills=["python"])
    StartupFactory(skills=["python", "elixir"])
    weights = features.skill_weights()
    names = {s.name: s.pk for s in Startup.objects.get(skills__name="elixir").skills.all()}
    assert weights[names["elixir"]] > weights[names["python"]]


def test_trending_is_per_role_and_recent() -> None:
    talent_pick, investor_pick, stale = StartupFactory(), StartupFactory(), StartupFactory()
    engage(UserFactory(), "save", talent_pick)
    engage(InvestorFactory(), "save", investor_pick)
    old = engage(UserFactory(), "follow", stale)
    Interaction.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))

    assert [t.item_id for t in features.trending("talent", "startup")] == [talent_pick.pk]
    assert [t.item_id for t in features.trending("investor", "startup")] == [investor_pick.pk]


def test_user_activity_and_last_seen() -> None:
    busy, returning = UserFactory(), UserFactory()
    startup = StartupFactory()
    for kind in ("view", "like"):
        interaction_record(user=busy, kind=kind, item_type="startup", item_id=startup.pk)
    login = timezone.now() - timedelta(days=2)
    type(returning).objects.filter(pk=returning.pk).update(last_login=login)

    features.features_rebuild()

    assert UserFeatures.objects.get(user=busy).activity == 2
    assert UserFeatures.objects.get(user=returning).last_active_at == login
    assert set(features.recently_active_users(7)) == {busy.pk, returning.pk}
    assert features.recently_active_users(1) == [busy.pk]


def test_skill_affinities_relate_skills_to_the_industries_their_people_engage_with() -> None:
    fintech = [StartupFactory(industry=Industry.FINTECH) for _ in range(3)]
    climate = [StartupFactory(industry=Industry.CLIMATE) for _ in range(3)]
    OpportunityFactory(startup=fintech[0], skills=["python"])  # open, asks for python
    for _ in range(3):
        person = UserFactory(skills=["python"])
        for startup in fintech:
            SaveFactory(user=person, startup=startup)
    for _ in range(9):
        person = UserFactory(skills=["figma"])
        for startup in climate:
            SaveFactory(user=person, startup=startup)

    counts = features.features_rebuild()

    python, figma = (Skill.objects.get(name=name) for name in ("python", "figma"))
    stored = set(SkillAffinity.objects.values_list("skill_id", "industry", "lift", "evidence"))
    # Engagements: python people 9, all fintech; figma people 27, all climate; 36 in all.
    # python -> fintech: 9 against 9 * 9/36 = 2.25 expected: cautiously (9 - 2*3) / 2.25.
    # figma -> climate: 27 against 27 * 27/36 = 20.25: (27 - 2*sqrt(27)) / 20.25 < 1, not kept.
    # Hiring, pooled: the python people engaged 3 times with fintech[0], which hires for
    # python, where chance gives 3 * 3 * 1/6 = 1.5: cautiously (3 - 2*sqrt(3)) < 0, so 0.
    assert stored == {
        (python.pk, Industry.FINTECH, round(3 / 2.25, 6), 9.0),
        (None, "", 0.0, 1.5),
    }
    assert counts["skill_affinities"] == 2
    learned = features.skill_affinities([python.pk, figma.pk])
    assert learned.industry_strength(python.pk, Industry.FINTECH) == pytest.approx(
        math.log2(3 / 2.25)
    )
    assert learned.industry_strength(figma.pk, Industry.CLIMATE) == 0.0
    assert learned.hiring_trust() == pytest.approx(20 / 21.5)  # little evidence: the prior


def test_a_hiring_match_is_trusted_until_the_evidence_says_otherwise() -> None:
    assert features.SkillAffinities(industry={}).hiring_trust() == 1.0  # nothing known yet
    at_chance = features.SkillAffinities(industry={}, hiring_lift=1.0, hiring_evidence=180)
    assert at_chance.hiring_trust() == pytest.approx(20 / 200)
    twice = features.SkillAffinities(industry={}, hiring_lift=2.0, hiring_evidence=180)
    assert twice.hiring_trust() == 1.0
    somewhat = features.SkillAffinities(industry={}, hiring_lift=1.5, hiring_evidence=20)
    assert somewhat.hiring_trust() == pytest.approx((20 + 20 * math.log2(1.5)) / 40)
