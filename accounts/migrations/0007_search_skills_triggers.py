"""PostgreSQL: a person's skills changed by one statement (``skills.set([...])``) re-index
them once, not once per skill (``PostgreSQLBackend.skills_triggers_sql``). SQLite: nothing."""

from django.db import migrations

from search.indexes import SearchIndex, SkillsSource
from search.schema import SkillsTriggersOperation


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_user_talent_index")]

    operations = [
        SkillsTriggersOperation(
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
