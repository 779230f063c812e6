"""The indexes are kept by the database (triggers): every write path keeps them in sync."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import Skill, User
from search import cache as search_cache
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


def test_startup_skill_changes_are_indexed_and_a_renamed_skill_follows() -> None:
    acme = StartupFactory(name="Acme", tagline="", description="", skills=["django"])
    assert startup_ids("django") == [acme.pk]

    acme.skills.set([Skill.objects.create(name="quorvex")])
    assert startup_ids("quorvex") == [acme.pk]
    assert startup_ids("django") == []

    Skill.objects.filter(name="quorvex").update(name="zentrifuge")
    assert startup_ids("zentrifuge") == [acme.pk]
    acme.skills.clear()
    assert startup_ids("zentrifuge") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's row versions")
def test_skills_changed_in_one_statement_rewrite_each_row_once() -> None:
    """Every UPDATE writes a new version of the row (and of its index entries): a row's
    skills added, removed or bulk-linked in one statement re-index it once, not per skill."""

    def updates() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'startups_startup'"
            )
            return int(cursor.fetchone()[0])

    acme, other = (StartupFactory(name=name, tagline="", description="") for name in "AB")
    skills = [Skill.objects.create(name=f"quorvex{i}") for i in range(4)]
    before = updates()
    acme.skills.add(*skills)
    assert updates() - before == 1
    acme.skills.remove(*skills[:3])
    assert updates() - before == 2
    Startup.skills.through.objects.bulk_create(
        [Startup.skills.through(startup=other, skill=skill) for skill in skills]
    )
    assert updates() - before == 3

    assert sorted(startup_ids("quorvex3")) == sorted([acme.pk, other.pk])
    assert startup_ids("quorvex0") == [other.pk]


def test_profile_edits_are_indexed_and_logins_do_not_reindex() -> None:
    ada = UserFactory(name="Ada Lovelace", headline="Analyst", bio="")
    ada.headline = "Quorvex engineer"
    ada.save()

    assert [u.pk for u in search_people(User.objects.all(), "quorvex")] == [ada.pk]
    assert list(search_people(User.objects.all(), "analyst")) == []


def test_a_renamed_skill_is_found_at_once_and_a_rebuild_restores_a_wiped_index() -> None:
    # Short words only: longer ones would also match the title through the trigram index.
    job = OpportunityFactory(title="Dev", description="", skills=["djangoo"])
    Skill.objects.filter(name="djangoo").update(name="quorvex")  # even a bulk update

    def found(query: str) -> list[int]:
        return [o.pk for o in search_opportunities(Opportunity.objects.all(), query)]

    assert found("quorvex") == [job.pk]
    assert found("djangoo") == []

    with connection.cursor() as cursor:  # lose the index (e.g. restored from a bad backup)
        if connection.vendor == "postgresql":
            cursor.execute("UPDATE startups_opportunity SET search_vector = ''::tsvector")
        else:
            cursor.execute("DELETE FROM startups_opportunity_fts")
    search_cache.invalidate()
    assert found("dev") == []
    call_command("search_rebuild", stdout=StringIO())
    assert found("dev") == [job.pk]


def test_the_sqlite_index_passes_its_integrity_check_after_every_kind_of_write() -> None:
    if connection.vendor != "sqlite":
        return  # an FTS5 check; PostgreSQL's vector is a column of the row itself
    job = OpportunityFactory(title="Engineer", description="Builds", skills=["cobolish"])
    Skill.objects.filter(name="cobolish").update(name="rustacean")
    job.title = "Senior Engineer"
    job.save()
    job.skills.add(Skill.objects.create(name="go"))
    OpportunityFactory(title="Other").delete()
    with connection.cursor() as cursor:
        for table in ("startups_opportunity_fts", "startups_opportunity_trigram"):
            cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES('integrity-check', 1)")
    assert [o.pk for o in search_opportunities(Opportunity.objects.all(), "rustacean")] == [job.pk]
