"""``manage.py seed_demo``: sizes, integrity, determinism, idempotency and the demo accounts."""

from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from accounts.models import Industry, Role, Skill, User, skill_normalise
from experiments.models import Experiment, ExperimentStatus, Exposure
from feed.models import ActivityEvent
from messaging.models import Connection, Message
from messaging.services import connection_accept, connection_request
from startups.models import Application, Opportunity, OpportunityStatus, Save, Startup

pytestmark = pytest.mark.django_db

SIZES = {"users": 14, "startups": 6, "opportunities": 12, "applications": 18, "saves": 15}
DEMO_EMAILS = {
    "admin": "admin@collabhub.dev",
    "founder": "founder@collabhub.dev",
    "talent": "talent@collabhub.dev",
    "investor": "investor@collabhub.dev",
}


def seed(**options: Any) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **{**SIZES, **options})
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "startups": Startup.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "applications": Application.objects.count(),
        "saves": Save.objects.count(),
        "skills": Skill.objects.count(),
        "startup_skills": Startup.skills.through.objects.count(),
        "opportunity_skills": Opportunity.skills.through.objects.count(),
        "user_skills": User.skills.through.objects.count(),
    }


def snapshot() -> dict[str, list[Any]]:
    """What the generated data looks like, without ids or timestamps."""
    return {
        "startups": list(
            Startup.objects.order_by("slug").values_list(
                "name", "slug", "tagline", "industry", "stage", "founded_on", "funding_raised"
            )
        ),
        "opportunities": list(
            Opportunity.objects.order_by("id").values_list(
                "title", "startup__slug", "kind", "status", "compensation_min", "equity_max"
            )
        ),
        "users": list(
            User.objects.order_by("email").values_list("email", "name", "headline", "interests")
        ),
        "applications": list(
            Application.objects.order_by("id").values_list(
                "applicant__email", "opportunity__title", "status"
            )
        ),
        "saves": list(
            Save.objects.order_by("id").values_list(
                "user__email", "startup__slug", "opportunity__title", "opportunity__startup__slug"
            )
        ),
    }


def wipe() -> None:
    User.objects.all().delete()  # cascades to startups, opportunities, applications, saves
    Skill.objects.all().delete()


def test_counts_match_the_options() -> None:
    seed()

    generated = User.objects.filter(email__endswith="@demo.collabhub.dev")
    assert generated.count() == SIZES["users"]
    assert User.objects.count() == SIZES["users"] + len(DEMO_EMAILS)
    assert Startup.objects.count() == SIZES["startups"]
    assert Opportunity.objects.count() == SIZES["opportunities"]
    assert Application.objects.count() == SIZES["applications"]
    assert Save.objects.count() == SIZES["saves"]


def test_batches_smaller_than_the_data_give_the_same_data() -> None:
    seed(batch_size=4)
    small_batches = snapshot()
    wipe()
    seed()
    assert snapshot() == small_batches


def test_every_role_is_generated_with_a_full_profile() -> None:
    seed()

    generated = User.objects.filter(email__endswith="@demo.collabhub.dev")
    assert set(generated.values_list("role", flat=True)) == set(Role.values)
    for user in generated.prefetch_related("skills"):
        assert user.name and user.headline and user.bio and user.location
        assert user.interests and set(user.interests) <= set(Industry.values)
        assert user.skills.exists()
        assert user.check_password(settings.DEMO_PASSWORD)


def test_generated_rows_pass_model_validation() -> None:
    seed()

    for user in User.objects.all():
        user.full_clean()
    for startup in Startup.objects.all():
        startup.full_clean()
    for opportunity in Opportunity.objects.all():
        opportunity.full_clean()
    for application in Application.objects.all():
        application.full_clean()
    assert all(
        name == skill_normalise(name) for name in Skill.objects.values_list("name", flat=True)
    )


def test_startups_are_varied_and_plausible() -> None:
    seed(startups=40, opportunities=40)

    startups = Startup.objects.all()
    assert startups.filter(owner__role=Role.FOUNDER).count() == startups.count()
    assert len(set(startups.values_list("industry", flat=True))) >= 5
    assert len(set(startups.values_list("stage", flat=True))) >= 3
    assert not startups.filter(founded_on__isnull=True).exists()
    assert not startups.filter(founded_on__gt=timezone.localdate()).exists()
    for startup in startups:
        assert startup.name in startup.description
        assert "lorem" not in startup.description.lower()
        assert startup.tagline and startup.website.startswith("https://")
        assert startup.skills.exists()


def test_opportunity_ranges_are_ordered_and_most_are_open() -> None:
    seed(startups=20, opportunities=60)

    opportunities = Opportunity.objects.all()
    assert not opportunities.filter(compensation_min__gt=F("compensation_max")).exists()
    assert not opportunities.filter(equity_min__gt=F("equity_max")).exists()
    for opportunity in opportunities:  # a range is given in full or not at all
        assert (opportunity.compensation_min is None) == (opportunity.compensation_max is None)
        assert (opportunity.equity_min is None) == (opportunity.equity_max is None)
        assert opportunity.skills.exists()
    open_count = opportunities.filter(status=OpportunityStatus.OPEN).count()
    assert open_count > opportunities.count() / 2
    assert opportunities.filter(status=OpportunityStatus.CLOSED).exists()


def test_applications_are_from_talent_and_never_to_their_own_startup() -> None:
    seed(applications=40)

    applications = Application.objects.select_related("applicant", "opportunity__startup")
    for application in applications:
        assert application.applicant.role == Role.TALENT
        assert application.opportunity.startup.owner_id != application.applicant_id
        assert (application.decided_at is None) == (application.status == "pending")
    pairs = list(applications.values_list("opportunity_id", "applicant_id"))
    assert len(pairs) == len(set(pairs))
    assert len(set(applications.values_list("status", flat=True))) >= 3


def test_saves_have_exactly_one_target_and_no_duplicates() -> None:
    seed(saves=60)

    saves = Save.objects.all()
    assert not saves.filter(startup__isnull=True, opportunity__isnull=True).exists()
    assert not saves.filter(startup__isnull=False, opportunity__isnull=False).exists()
    assert saves.filter(startup__isnull=False).exists()
    assert saves.filter(opportunity__isnull=False).exists()
    keys = list(saves.values_list("user_id", "startup_id", "opportunity_id"))
    assert len(keys) == len(set(keys))


def test_running_twice_duplicates_nothing() -> None:
    seed()
    before = counts()

    out = seed()

    assert counts() == before
    assert "already present" in out


def test_the_same_seed_gives_the_same_data() -> None:
    seed(seed=7)
    first = snapshot()
    wipe()

    seed(seed=7)

    assert snapshot() == first


def test_different_seeds_give_different_data() -> None:
    seed(seed=1)
    first = snapshot()
    wipe()

    seed(seed=2)

    second = snapshot()
    assert second["startups"] != first["startups"]
    assert second["opportunities"] != first["opportunities"]


def test_two_seeds_live_side_by_side() -> None:
    seed(seed=1)
    seed(seed=2)

    assert Startup.objects.count() == 2 * SIZES["startups"]
    slugs = list(Startup.objects.values_list("slug", flat=True))
    assert len(slugs) == len(set(slugs))


def test_the_demo_accounts_can_sign_in() -> None:
    out = seed()

    for role, email in DEMO_EMAILS.items():
        user = authenticate(email=email, password=settings.DEMO_PASSWORD)
        assert user is not None, email
        if role != "admin":
            assert user.role == role
        assert email in out
    admin = User.objects.get(email=DEMO_EMAILS["admin"])
    assert admin.is_staff and admin.is_superuser
    assert settings.DEMO_PASSWORD in out
    assert "/admin/" in out
    generated = User.objects.filter(email__endswith="@demo.collabhub.dev").first()
    assert generated is not None
    assert authenticate(email=generated.email, password=settings.DEMO_PASSWORD) == generated


def test_the_demo_founder_is_hiring_and_the_demo_talent_has_skills() -> None:
    seed()

    founder = User.objects.get(email=DEMO_EMAILS["founder"])
    assert Opportunity.objects.filter(
        startup__owner=founder, status=OpportunityStatus.OPEN
    ).exists()
    assert User.objects.get(email=DEMO_EMAILS["talent"]).skills.exists()


def test_the_demo_looks_alive_at_the_first_sign_in(client_for, committed) -> None:
    """Follows, a connection, messages and a pending request are made through the services:
    the demo founder's feed, notifications and conversations have something in them."""
    with committed():  # the fan-out runs after commit, as in make run
        seed()
    founder = User.objects.get(email=DEMO_EMAILS["founder"])
    api = client_for(founder)

    feed = api.get("/api/v1/feed/").json()["results"]
    notes = [n["event"]["action_type"] for n in api.get("/api/v1/notifications/").json()["results"]]
    talks = api.get("/api/v1/conversations/").json()["results"]

    assert len(feed) >= 3 and all(item["actor"]["id"] != founder.pk for item in feed)
    assert {"connection_requested", "message_sent"} <= set(notes)
    assert [t["user"]["name"] for t in talks] == ["Demo Investor"]
    assert ActivityEvent.objects.filter(action_type="startup_followed").exists()


def test_another_seed_leaves_the_demo_accounts_connections_alone(committed) -> None:
    seed()
    before = Connection.objects.count(), Message.objects.count()
    seed(seed=7)
    assert (Connection.objects.count(), Message.objects.count()) == before


def test_demo_accounts_connected_the_other_way_round_are_left_alone() -> None:
    """People used the demo: the founder asked the talent and was accepted, the investor
    asked nobody. Seeding another seed must not fail on it (nor duplicate anything)."""
    seed(users=0, startups=0, opportunities=0, applications=0, saves=0, no_activity=True)
    founder, talent = (User.objects.get(email=DEMO_EMAILS[key]) for key in ("founder", "talent"))
    request, _ = connection_request(requester=founder, addressee=talent)
    connection_accept(connection=request, by=talent)

    seed(seed=43)

    assert Connection.objects.filter(requester=talent, addressee=founder).count() == 0
    assert Connection.objects.count() == 2  # theirs, and the investor's with the founder


def test_no_activity_for_the_evaluation_and_benchmarks() -> None:
    seed(no_activity=True)
    assert not Connection.objects.exists()
    assert not ActivityEvent.objects.exists()


def test_only_the_demo_accounts_when_every_size_is_zero() -> None:
    seed(users=0, startups=0, opportunities=0, applications=0, saves=0)

    assert set(User.objects.values_list("email", flat=True)) == set(DEMO_EMAILS.values())
    assert not Startup.objects.exists()


def test_existing_demo_accounts_are_left_alone() -> None:
    seed(users=0, startups=0, opportunities=0, applications=0, saves=0)
    founder = User.objects.get(email=DEMO_EMAILS["founder"])
    founder.set_password("a-password-someone-chose")
    founder.save()

    seed()

    founder.refresh_from_db()
    assert founder.check_password("a-password-someone-chose")
    assert User.objects.filter(email__in=DEMO_EMAILS.values()).count() == len(DEMO_EMAILS)


@pytest.mark.parametrize(
    "options",
    [
        {"users": 0},
        {"startups": 0},
        {"applications": 10_000},
        {"saves": 10_000},
        {"users": -1},
        {"batch_size": 0},
    ],
)
def test_impossible_sizes_fail_before_writing_anything(options: dict[str, int]) -> None:
    with pytest.raises(CommandError):
        seed(**options)

    assert not User.objects.exists()


def test_refuses_the_public_password_when_debug_is_off(settings) -> None:
    settings.DEBUG = False
    settings.DEMO_PASSWORD = settings.PUBLIC_DEMO_PASSWORD

    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        call_command("seed_demo", "--users", "3", "--startups", "1", stdout=StringIO())

    assert not User.objects.exists()


def test_the_demo_experiment_runs_with_simulated_traffic_and_has_results(client_for) -> None:
    seed(users=150)
    experiment = Experiment.objects.get(key="demo-hybrid-vs-popularity")
    staff = client_for(User.objects.get(email=DEMO_EMAILS["admin"]))

    results = staff.get(f"/api/v1/analytics/experiments/{experiment.key}/results/").json()

    assert experiment.status == ExperimentStatus.RUNNING
    assert results["exposures"] == Exposure.objects.count() > 50
    assert {v["key"] for v in results["variants"] if v["exposures"]} == {"control", "hybrid"}
    assert sum(v["converted"] for v in results["variants"]) > 0
    # The simulation is consistent: exposed after the start, engagement counted per startup.
    first = Exposure.objects.order_by("exposed_at").first()
    assert first is not None and experiment.started_at <= first.exposed_at
    views = ActivityEvent.objects.filter(action_type="recommendation_viewed")
    assert views.exists() and not views.filter(startup_id__isnull=True).exists()
    seed(users=150)  # again: nothing added
    assert Exposure.objects.count() == results["exposures"]


def _save_concentration() -> float:
    """Share of saves on the most-saved tenth of the startups and opportunities."""
    per_item = Counter(Save.objects.values_list("startup_id", "opportunity_id"))
    items = Startup.objects.count() + Opportunity.objects.count()
    top = sorted(per_item.values(), reverse=True)[: max(1, items // 10)]
    return sum(top) / sum(per_item.values())


BIGGER = {"users": 200, "startups": 40, "opportunities": 80, "applications": 300, "saves": 900}


def test_the_strong_skew_preset_concentrates_engagement_on_a_few_items() -> None:
    call_command("seed_demo", seed=3, no_activity=True, stdout=StringIO(), **BIGGER)
    default = _save_concentration()
    User.objects.filter(email__endswith=f".s3@{settings.DEMO_EMAIL_DOMAIN}").delete()
    Startup.objects.all().delete()

    call_command(
        "seed_demo", seed=3, preset="strong-skew", no_activity=True, stdout=StringIO(), **BIGGER
    )

    assert _save_concentration() > default + 0.1


def test_a_behaviour_option_overrides_the_preset() -> None:
    # Every save from the taste's pool: with one taste of 2 startups and 2 roles, four items.
    seed(tastes=1, taste_pool=2, save_from_taste=1.0, save_from_profile=0.0)

    generated = Save.objects.filter(user__email__endswith=f"@{settings.DEMO_EMAIL_DOMAIN}")
    targets = set(generated.values_list("startup_id", "opportunity_id"))
    assert generated.exists()
    assert len(targets) <= 4


@pytest.mark.parametrize(
    "options",
    [
        {"tastes": 0},
        {"save_from_taste": 1.5},
        {"save_from_taste": 0.7, "save_from_profile": 0.5},
        {"skew": -1.0},
    ],
)
def test_impossible_behaviour_fails_before_writing_anything(options: dict[str, Any]) -> None:
    with pytest.raises(CommandError):
        seed(**options)
    assert Startup.objects.count() == 0
