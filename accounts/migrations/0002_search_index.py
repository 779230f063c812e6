"""Full-text index for people (see search/engine.py): a tsvector + trigger + GIN and a
pg_trgm index on PostgreSQL, FTS5 tables + triggers on SQLite. On PostgreSQL this creates the
pg_trgm extension: trusted since PostgreSQL 13, so the database owner (a user with CREATE on
the database) can; otherwise have a superuser run ``CREATE EXTENSION pg_trgm`` first."""

from django.db import migrations

from search.indexes import SearchIndex, SkillsSource
from search.schema import SearchIndexOperation


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        SearchIndexOperation(
            SearchIndex(
                table="accounts_user",
                columns=(
                    ("name", "A"),
                    ("headline", "B"),
                    ("skills", "B"),
                    ("bio", "C"),
                    ("location", "C"),
                ),
                name_column="name",
                skills=SkillsSource(through="accounts_user_skills", column="user_id"),
            )
        )
    ]
