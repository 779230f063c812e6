"""The startups app's rules, called directly: roles, ownership, the application life cycle,
saves. (tests/startups/test_apis.py and test_applications.py check the same through HTTP.)"""

import pytest
from django.core.exceptions import ValidationError

from feed.models import ActivityEvent
from startups import services
from startups.exceptions import (
    ApplicationExists,
    FoundersOnly,
    InvalidTransition,
    NotApplicant,
    NotStartupOwner,
    OpportunityClosed,
    OwnStartup,
    TalentOnly,
)
from startups.models import Application, ApplicationStatus, OpportunityStatus, Save, Startup
from tests.accounts.factories import FounderFactory, InvestorFactory, UserFactory
from tests.startups.factories import OpportunityFactory, StartupFactory

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(ActivityEvent.objects.order_by("id").values_list("action_type", flat=True))


def test_only_founders_create_startups_each_with_its_own_slug() -> None:
    founder = FounderFactory()
    for person in (UserFactory(), InvestorFactory()):
        with pytest.raises(FoundersOnly):
            services.startup_create(owner=person, data={"name": "Acme", "industry": "ai"})

    first = services.startup_create(owner=founder, data={"name": "Acme", "industry": "ai"})
    second = services.startup_create(
        owner=founder, data={"name": "Acme", "industry": "ai", "skills": ["Python", "python"]}
    )

    assert first.slug == "acme" and second.slug.startswith("acme-") and second.slug != "acme"
    assert [s.name for s in second.skills.all()] == ["python"]
    assert actions() == ["startup_created"] * 2


def test_a_startup_is_validated_before_anything_is_written() -> None:
    with pytest.raises(ValidationError):
        services.startup_create(owner=FounderFactory(), data={"name": "", "industry": "ai"})
    assert not Startup.objects.exists() and not ActivityEvent.objects.exists()


def test_only_the_owner_edits_a_startup_or_its_opportunities() -> None:
    startup = StartupFactory()
    other = FounderFactory()
    with pytest.raises(NotStartupOwner):
        services.startup_update(startup=startup, by=other, data={"tagline": "Mine now"})
    with pytest.raises(NotStartupOwner):
        services.opportunity_create(startup=startup, by=other, data={"title": "Spy"})
    with pytest.raises(NotStartupOwner):
        services.startup_delete(startup=startup, by=other)
    assert Startup.objects.get(pk=startup.pk).tagline == startup.tagline


def test_closing_an_opportunity_is_news_once() -> None:
    startup = StartupFactory()
    job = services.opportunity_create(
        startup=startup, by=startup.owner, data={"title": "Engineer", "kind": "full-time"}
    )
    closed = {"status": OpportunityStatus.CLOSED}
    services.opportunity_update(opportunity=job, by=startup.owner, data=closed)
    services.opportunity_update(opportunity=job, by=startup.owner, data=closed)
    services.opportunity_update(
        opportunity=job, by=startup.owner, data={"status": OpportunityStatus.OPEN}
    )

    assert actions() == ["opportunity_posted", "opportunity_closed"]


def test_who_may_apply() -> None:
    job = OpportunityFactory()
    for person in (FounderFactory(), InvestorFactory()):
        with pytest.raises(TalentOnly):
            services.application_create(opportunity=job, applicant=person)
    job.startup.owner.role = "talent"
    with pytest.raises(OwnStartup):
        services.application_create(opportunity=job, applicant=job.startup.owner)
    talent = UserFactory()
    services.application_create(opportunity=job, applicant=talent)
    with pytest.raises(ApplicationExists):
        services.application_create(opportunity=job, applicant=talent)
    job.status = OpportunityStatus.CLOSED
    job.save()
    with pytest.raises(OpportunityClosed):
        services.application_create(opportunity=job, applicant=UserFactory())
    assert Application.objects.count() == 1


def test_an_application_is_private_to_the_two_sides() -> None:
    job = OpportunityFactory()
    talent = UserFactory()
    application = services.application_create(opportunity=job, applicant=talent, cover_letter="Hi")

    event = ActivityEvent.objects.get(action_type="application_created")
    assert event.is_public is False
    assert set(event.audience.values_list("pk", flat=True)) == {talent.pk, job.startup.owner_id}
    assert event.recipients == [job.startup.owner_id]
    assert event.snapshot["opportunity_id"] == job.pk and application.cover_letter == "Hi"


def test_the_application_life_cycle() -> None:
    job = OpportunityFactory()
    owner, talent = job.startup.owner, UserFactory()
    first = services.application_create(opportunity=job, applicant=talent)

    with pytest.raises(NotStartupOwner):
        services.application_accept(application=first, by=talent)
    with pytest.raises(NotApplicant):
        services.application_withdraw(application=first, by=owner)
    accepted = services.application_accept(application=first, by=owner)
    assert accepted.status == ApplicationStatus.ACCEPTED and accepted.decided_at is not None
    with pytest.raises(InvalidTransition):
        services.application_reject(application=first, by=owner)  # decided already
    withdrawn = services.application_withdraw(application=first, by=talent)
    assert withdrawn.status == ApplicationStatus.WITHDRAWN
    assert withdrawn.decided_at == accepted.decided_at  # the owner's decision is kept
    with pytest.raises(InvalidTransition):
        services.application_withdraw(application=first, by=talent)
    assert actions()[-2:] == ["application_accepted", "application_withdrawn"]


def test_saves_are_idempotent_private_and_target_one_thing() -> None:
    user, startup, job = UserFactory(), StartupFactory(), OpportunityFactory()

    assert services.save_create(user=user, startup=startup)[1] is True
    assert services.save_create(user=user, startup=startup)[1] is False
    services.save_create(user=user, opportunity=job)
    with pytest.raises(ValueError):
        services.save_create(user=user)
    with pytest.raises(ValueError):
        services.save_create(user=user, startup=startup, opportunity=job)

    saved = ActivityEvent.objects.filter(actor=user)
    assert saved.count() == 2 and not saved.filter(is_public=True).exists()
    services.save_delete(user=user, startup=startup)
    services.save_delete(user=user, startup=startup)  # not saved: not an error
    assert list(Save.objects.values_list("opportunity_id", flat=True)) == [job.pk]
