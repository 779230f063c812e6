"""An index definition changes by a migration that drops the old one and builds the new one;
migrating back restores the old one, working (its triggers on SQLite), for the code of that
migration. The real test database goes back and forth."""

import pytest
from django.core.management import call_command
from django.db import connection

from startups.models import Startup
from startups.search import search_startups
from tests.startups.factories import StartupFactory

pytestmark = pytest.mark.django_db(transaction=True)


def indexed(name_word: str) -> bool:
    """Whether the old (pre-0005) index finds the word, read straight from the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM startups_startup "
                "WHERE search_vector @@ to_tsquery('english', %s)",
                [name_word],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM startups_startup_fts WHERE startups_startup_fts MATCH %s",
                [name_word],
            )
        return bool(cursor.fetchone()[0])


def test_the_startup_index_migrates_back_and_forth_and_keeps_working() -> None:
    StartupFactory(name="Before Labs", skills=["quorvex"])
    try:
        call_command("migrate", "startups", "0004", verbosity=0)
        later = StartupFactory(name="Zyxwvut Labs")  # written while migrated back
        assert indexed("zyxwvut")  # the old index has its triggers
    finally:
        call_command("migrate", verbosity=0)

    assert [s.name for s in search_startups(Startup.objects.all(), "quorvex")] == ["Before Labs"]
    assert [s.pk for s in search_startups(Startup.objects.all(), "zyxwvut")] == [later.pk]
