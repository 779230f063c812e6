"""Indexes for "the newest startups / opportunities with this skill" (recommendation
candidates): the auto-created through tables only index each column alone, so such a query
read every row of the skill and sorted them."""

from django.db import migrations

INDEXES = [
    ("startups_startup_skills_skill_newest", "startups_startup_skills", "skill_id, startup_id"),
    (
        "startups_opportunity_skills_skill_newest",
        "startups_opportunity_skills",
        "skill_id, opportunity_id",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("startups", "0003_search_index")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {name} ON {table} ({columns})", f"DROP INDEX {name}"
        )
        for name, table, columns in INDEXES
    ]
