"""Ordinary schema changes to indexed tables migrate cleanly, and the index stays in sync.

Run the way ``manage.py migrate`` runs a migration -- pre_migrate signal, the schema change,
post_migrate signal -- in a fresh process on a scratch database of the backend in use: a new
column on users, a wider ``Startup.tagline`` (SQLite rebuilds the whole table for that;
PostgreSQL alters a column a trigger reads).
"""

import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.support import process_env, run_python

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connection, migrations, models
from accounts.models import User
from startups.models import Startup
from startups.search import search_people, search_startups

call_command("migrate", verbosity=0)
owner = User.objects.create_user(email="ada@example.com", password="x" * 12, name="Ada Quorvex",
                                 role="founder")
Startup.objects.create(owner=owner, name="Zentrifuge", slug="zentrifuge", industry="ai",
                       tagline="Lab equipment")  # unlike its name (a typo fix would find it)

plan = [(migrations.Migration("9999_schema_change", "startups"), False)]
emit_pre_migrate_signal(0, False, "default", plan=plan)
with connection.schema_editor() as editor:
    verified = models.BooleanField(default=False)
    verified.set_attributes_from_name("is_verified")
    editor.add_field(User, verified)
    old = Startup._meta.get_field("tagline")
    wider = models.CharField(max_length=400, blank=True)
    wider.set_attributes_from_name("tagline")
    wider.model = Startup
    editor.alter_field(Startup, old, wider)
emit_post_migrate_signal(0, False, "default", plan=plan)

# Still in sync after the change: old rows found, new and changed rows indexed.
assert [s.name for s in search_startups(Startup.objects.all(), "zentrifuge")] == ["Zentrifuge"]
Startup.objects.filter(name="Zentrifuge").update(name="Blorptastic")
Startup.objects.create(owner=owner, name="Quibbleware", slug="quibbleware", industry="ai")
assert [s.name for s in search_startups(Startup.objects.all(), "blorptastic")] == ["Blorptastic"]
assert list(search_startups(Startup.objects.all(), "zentrifuge")) == []
assert [s.name for s in search_startups(Startup.objects.all(), "quibbleware")] == ["Quibbleware"]
assert [u.name for u in search_people(User.objects.all(), "quorvex")] == ["Ada Quorvex"]
print("ok")
"""


@pytest.mark.django_db
def test_schema_changes_to_indexed_tables_migrate_and_stay_in_sync(tmp_path: Path) -> None:
    if connection.vendor == "postgresql":
        base = settings.DATABASES["default"]
        scratch = f"schema_change_{uuid.uuid4().hex[:8]}"
        admin = psycopg.connect(
            host=base["HOST"], port=base["PORT"], user=base["USER"],
            password=base["PASSWORD"], dbname="postgres", autocommit=True,
        )  # fmt: skip
        admin.execute(f'CREATE DATABASE "{scratch}"')
        url = (
            f"postgres://{base['USER']}:{base['PASSWORD']}@{base['HOST']}:{base['PORT']}/{scratch}"
        )
        env = process_env(DATABASE_URL=url, DEBUG="1")
    else:
        env = process_env(SQLITE_PATH=str(tmp_path / "db.sqlite3"), DEBUG="1")
    try:
        result = run_python(SCRIPT, env)
    finally:
        if connection.vendor == "postgresql":
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            admin.close()
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


OPTIONS_SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connection, migrations
from accounts.models import User
from search.backends.sqlite import PREFIXES, SQLiteBackend
from startups.models import Startup
from startups.search import STARTUPS, search_startups

call_command("migrate", verbosity=0)
owner = User.objects.create_user(email="ada@example.com", password="x" * 12, name="Ada",
                                 role="founder")
Startup.objects.create(owner=owner, name="Ledgerly", slug="ledgerly", industry="fintech",
                       description="Instant payments for small shops")

def definition():
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [STARTUPS.fts])
        return cursor.fetchone()[0]

# An index built by an older release: the same columns, shorter prefixes.
backend = SQLiteBackend()
with connection.cursor() as cursor:
    for statement in backend.drop_sql(STARTUPS):
        cursor.execute(statement)
    for statement in backend.create_sql(STARTUPS):
        cursor.execute(statement.replace(PREFIXES, "2 3"))
assert "prefix='2 3'" in definition()

plan = [(migrations.Migration("9999_any", "startups"), False)]
emit_pre_migrate_signal(0, False, "default", plan=plan)
emit_post_migrate_signal(0, False, "default", plan=plan)

assert f"prefix='{PREFIXES}'" in definition(), definition()
[found] = search_startups(Startup.objects.all(), "paymen")  # a prefix, as typed
assert found.name == "Ledgerly" and "<mark>" in found.search_snippet, found.search_snippet
Startup.objects.create(owner=owner, name="Later", slug="later", industry="ai",
                       description="Payments again")  # the triggers are back
assert len(search_startups(Startup.objects.all(), "payments")) == 2
print("ok")
"""


def test_an_sqlite_index_built_with_other_options_is_made_again_on_migrate(tmp_path: Path) -> None:
    # SQLite's own index (a scratch file, whatever database the tests use)
    env = process_env(SQLITE_PATH=str(tmp_path / "db.sqlite3"), DEBUG="1")
    result = run_python(OPTIONS_SCRIPT, env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
