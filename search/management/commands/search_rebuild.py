"""Re-derive every search index from its rows. Triggers keep them in sync on every write;
this is for an index lost or damaged outside the application (a partial restore, raw SQL
with the triggers disabled)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from search import cache, schema
from search.indexes import registered


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            for index in registered():
                schema.rebuild(index)
                self.stdout.write(f"rebuilt the search index of {index.table}")
            cache.invalidate()
