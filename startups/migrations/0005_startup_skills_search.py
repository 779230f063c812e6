"""Startups are found by their skills too (weight B, like tagline and industry): the startup
index is dropped and built again with a skills column, which refills it from the rows."""

from django.db import migrations

from search.indexes import SearchIndex, SkillsSource
from search.schema import SearchIndexOperation

WITHOUT_SKILLS = SearchIndex(
    table="startups_startup",
    columns=(("name", "A"), ("tagline", "B"), ("industry", "B"), ("description", "C")),
    name_column="name",
)
WITH_SKILLS = SearchIndex(
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


class Migration(migrations.Migration):
    dependencies = [("startups", "0004_skill_newest_indexes")]

    operations = [
        SearchIndexOperation(WITHOUT_SKILLS, drop=True),
        SearchIndexOperation(WITH_SKILLS),
    ]
