"""Full-text indexes for startups and opportunities (see search/engine.py and the note on
the pg_trgm extension in accounts/migrations/0002_search_index.py)."""

from django.db import migrations

from search.indexes import SearchIndex, SkillsSource
from search.schema import SearchIndexOperation


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_search_index"), ("startups", "0002_opportunity_equity_percent")]

    operations = [
        SearchIndexOperation(
            SearchIndex(
                table="startups_startup",
                columns=(("name", "A"), ("tagline", "B"), ("industry", "B"), ("description", "C")),
                name_column="name",
            )
        ),
        SearchIndexOperation(
            SearchIndex(
                table="startups_opportunity",
                columns=(("title", "A"), ("skills", "B"), ("description", "C")),
                name_column="title",
                skills=SkillsSource(through="startups_opportunity_skills", column="opportunity_id"),
            )
        ),
    ]
