"""PostgreSQL: a startup's or an opportunity's skills changed by one statement
(``skills.set([...])``, a bulk insert) re-index each row once, not once per skill
(``PostgreSQLBackend.skills_triggers_sql``). SQLite: nothing."""

from django.db import migrations

from search.indexes import SearchIndex, SkillsSource
from search.schema import SkillsTriggersOperation


class Migration(migrations.Migration):
    dependencies = [("startups", "0008_search_prefix_lengths")]

    operations = [
        SkillsTriggersOperation(
            SearchIndex(
                table="startups_startup",
                columns=(
                    ("name", "A"),
                    ("tagline", "B"),
                    ("industry", "B"),
                    ("skills", "B"),
                    ("description", "C"),
                ),
                name_column="name",
                skills=SkillsSource(through="startups_startup_skills", column="startup_id"),
            )
        ),
        SkillsTriggersOperation(
            SearchIndex(
                table="startups_opportunity",
                columns=(("title", "A"), ("skills", "B"), ("description", "C")),
                name_column="title",
                skills=SkillsSource(through="startups_opportunity_skills", column="opportunity_id"),
            )
        ),
    ]
