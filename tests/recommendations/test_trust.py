"""Signals you can trust: nobody moves an item's rank by repeating themselves or by claiming
saves and applications that never happened (the security review's faked-traction case)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Industry, User
from recommendations import features, selectors
from recommendations.models import Interaction, ItemFeatures
from startups.models import Opportunity, Startup
from startups.services import application_withdraw
from tests.accounts.factories import InvestorFactory, UserFactory
from tests.recommendations.factories import InteractionFactory
from tests.recommendations.helpers import engage
from tests.startups.factories import OpportunityFactory, StartupFactory

pytestmark = pytest.mark.django_db

INTERACTIONS = "/api/v1/interactions/"


def investor_ranking(investor: User) -> list[tuple[int, list[str]]]:
    """What the investor is shown now (computed afresh, not a cached list)."""
    features.cache_forget()
    result = selectors.recommendation_list(user=investor, limit=20, use_cache=False)
    return [(item["id"], item["reasons"]) for item in result["recommendations"]]


@pytest.fixture
def market(client_for):
    """Sixteen AI startups an investor could be shown, traction from real saves by distinct
    people; the last one (no growth, no saves) ranks at the bottom."""
    investor = InvestorFactory(interests=[Industry.AI])
    startups = []
    for number in range(16):
        startup = StartupFactory(name=f"AI {number}", industry=Industry.AI, growth_rate=15 - number)
        for _ in range(max(0, 5 - number // 3)):
            engage(UserFactory(), "save", startup)
        startups.append(startup)
    month_ago = timezone.now() - timedelta(days=30)
    Startup.objects.update(created_at=month_ago)  # the new-items boost stays out of the way
    features.features_rebuild()
    return investor, startups[-1]


def test_a_hundred_fake_posts_are_refused_and_move_nothing(client_for, market) -> None:
    investor, target = market
    before = investor_ranking(investor)
    assert [item for item, _ in before].index(target.pk) == 15

    attacker = client_for(UserFactory())
    statuses = [
        attacker.post(
            INTERACTIONS, {"kind": kind, "item_type": "startup", "item_id": target.pk}
        ).status_code
        for kind in ["apply"] * 60 + ["save"] * 40
    ]
    features.features_rebuild()

    assert statuses == [400] * 100
    assert not Interaction.objects.filter(item_type="startup", item_id=target.pk).exists()
    assert investor_ranking(investor) == before

    # The control: the same number of real saves by different people does move it.
    for _ in range(8):
        engage(UserFactory(), "save", target)
    features.features_rebuild()
    after = [item for item, _ in investor_ranking(investor)]
    assert after.index(target.pk) < 15


def test_fake_rows_from_before_stop_counting_at_the_rebuild(client_for, market) -> None:
    """Rows a client could post before the fix (60 applies and 40 saves by one account, no
    application or save behind them) are removed by ``recommendations_rebuild``."""
    investor, target = market
    before = investor_ranking(investor)
    faker = UserFactory()
    Interaction.objects.bulk_create(
        InteractionFactory.build(user=faker, kind=kind, item=target)
        for kind in ["apply"] * 60 + ["save"] * 40
    )

    summary = features.features_rebuild()

    assert summary["interactions_removed"] == 100
    assert not Interaction.objects.filter(user=faker).exists()
    assert ItemFeatures.objects.get(item_type="startup", item_id=target.pk).recent == {}
    assert investor_ranking(investor) == before


def test_repetition_counts_each_person_once(client_for) -> None:
    """One account viewing an item fifty times (hours apart, each a new view) is one viewer:
    it cannot outrank an item three people looked at, in popularity or in trending."""
    repeated, liked = StartupFactory(name="Repeated"), StartupFactory(name="Liked")
    keen = UserFactory()
    now = timezone.now()
    Interaction.objects.bulk_create(
        Interaction(
            user=keen,
            kind="view",
            item_type="startup",
            item_id=repeated.pk,
            created_at=now - timedelta(hours=hour),
        )
        for hour in range(50)
    )
    for _ in range(3):
        engage(UserFactory(), "view", liked)

    features.features_rebuild()

    rows = {
        row.item_id: row for row in ItemFeatures.objects.filter(item_id__in=[repeated.pk, liked.pk])
    }
    assert rows[repeated.pk].recent == {"view": 1}
    assert rows[liked.pk].recent == {"view": 3}
    assert rows[repeated.pk].popularity < rows[liked.pk].popularity
    trends = features.trending("talent", "startup")
    assert [(t.item_id, t.count) for t in trends] == [(liked.pk, 3), (repeated.pk, 1)]


def test_a_startups_traction_counts_each_applicant_once(client_for) -> None:
    startup = StartupFactory()
    roles = [OpportunityFactory(startup=startup) for _ in range(3)]
    serial, other = UserFactory(), UserFactory()
    for role in roles:
        engage(serial, "apply", role)
    engage(other, "apply", roles[0])

    features.features_rebuild()

    assert ItemFeatures.objects.get(item_type="startup", item_id=startup.pk).recent == {"apply": 2}


def test_undone_saves_follows_and_applications_stop_counting(client_for) -> None:
    startup = StartupFactory()
    role = OpportunityFactory(startup=startup)
    person = UserFactory()
    api = client_for(person)
    engage(person, "save", startup)
    engage(person, "follow", startup)
    engage(person, "apply", role)
    application = person.applications.get()
    assert set(Interaction.objects.filter(user=person).values_list("kind", flat=True)) == {
        "save",
        "follow",
        "apply",
    }

    assert api.delete(f"/api/v1/startups/{startup.pk}/save/").status_code == 204
    assert api.delete(f"/api/v1/startups/{startup.pk}/follow/").status_code == 204
    application_withdraw(application=application, by=User.objects.get(pk=person.pk))

    assert not Interaction.objects.filter(user=person).exists()
    features.features_rebuild()  # and the rebuild does not bring the withdrawn one back
    assert not Interaction.objects.filter(user=person).exists()
    assert Opportunity.objects.filter(pk=role.pk).exists()


def test_the_rebuild_leaves_alone_what_is_recorded_while_it_runs() -> None:
    """Reconciling reads the real rows, then the interactions: a save committed in between
    (stamped after the rebuild started) must not be taken for a fake."""
    startup, person = StartupFactory(), UserFactory()
    later = InteractionFactory(
        user=person, kind="save", item=startup, created_at=timezone.now() + timedelta(seconds=5)
    )

    features.features_rebuild()

    assert Interaction.objects.filter(pk=later.pk).exists()
