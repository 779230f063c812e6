"""The indexes are kept by the database (triggers): every write path keeps them in sync."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Skill, User
from startups.models import Opportunity, Startup
from startups.search import search_opportunities, search_people, search_startups
from tests.accounts.factories import UserFactory
from tests.startups.factories import OpportunityFactory, StartupFactory

pytestmark = pytest.mark.django_db


def startup_ids(query: str) -> list[int]:
    return [s.pk for s in search_startups(Startup.objects.all(), query)]


def test_a_renamed_startup_is_found_by_its_new_name_only() -> None:
    acme = StartupFactory(name="Quorvex Labs", tagline="", description="")
    assert startup_ids("quorvex") == [acme.pk]

    acme.name = "Zentrifuge Labs"
    acme.save()

    assert startup_ids("zentrifuge") == [acme.pk]
    assert startup_ids("quorvex") == []


def test_queryset_update_and_delete_are_reflected() -> None:
    acme = StartupFactory(name="Quorvex", tagline="", description="")
    Startup.objects.filter(pk=acme.pk).update(description="Now with blorptastic engines")
    assert startup_ids("blorptastic") == [acme.pk]

    acme.delete()
    assert startup_ids("quorvex") == []
    assert startup_ids("blorptastic") == []


def test_bulk_created_rows_are_indexed() -> None:
    owner = UserFactory()
    Startup.objects.bulk_create(
        [Startup(owner=owner, name=f"Bulkzilla {i}", slug=f"bulkzilla-{i}") for i in range(3)]
    )
    assert len(startup_ids("bulkzilla")) == 3


def test_opportunity_skill_changes_are_indexed() -> None:
    job = OpportunityFactory(title="Engineer", description="", skills=["django"])

    def found(query: str) -> list[int]:
        return [o.pk for o in search_opportunities(Opportunity.objects.all(), query)]

    assert found("django") == [job.pk]
    job.skills.set([Skill.objects.create(name="quorvex")])
    assert found("quorvex") == [job.pk]
    assert found("django") == []
    job.skills.clear()
    assert found("quorvex") == []


def test_profile_edits_are_indexed_and_logins_do_not_reindex() -> None:
    ada = UserFactory(name="Ada Lovelace", headline="Analyst", bio="")
    ada.headline = "Quorvex engineer"
    ada.save()

    assert [u.pk for u in search_people(User.objects.all(), "quorvex")] == [ada.pk]
    assert list(search_people(User.objects.all(), "analyst")) == []


def test_search_rebuild_catches_up_with_renamed_skills() -> None:
    job = OpportunityFactory(title="Engineer", description="", skills=["djangoo"])
    Skill.objects.filter(name="djangoo").update(name="quorvex")  # no trigger sees this

    def found(query: str) -> list[int]:
        return [o.pk for o in search_opportunities(Opportunity.objects.all(), query)]

    assert found("quorvex") == []
    call_command("search_rebuild", stdout=StringIO())
    assert found("quorvex") == [job.pk]
