"""SQLite's search indexes keep prefixes of 2 to 8 characters (they kept 2 and 3): a query's
last word, matched as a prefix, then reads one index entry instead of merging every term that
starts with it. Nothing to change in the tables Django knows: applying this migration runs
``migrate``'s post-migrate hook, where the SQLite backend makes again any index whose options
differ from the code's (``SQLiteBackend.after_migrate``) and refills it. PostgreSQL: nothing."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("startups", "0007_opportunity_open_index")]

    operations: list[migrations.operations.base.Operation] = []
