"""An index for "the newest people with this skill" (talent recommendations): the
auto-created through table only indexes each column alone."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_user_availability")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX accounts_user_skills_skill_newest ON accounts_user_skills "
            "(skill_id, user_id)",
            "DROP INDEX accounts_user_skills_skill_newest",
        )
    ]
