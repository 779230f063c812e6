from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from analytics.services import insights_refresh, rollups_rebuild


class Command(BaseCommand):
    help = (
        "Count the dashboard's rollups again from the event store and the users (after a "
        "bulk load, or to repair them), then refresh the insights."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Only the last N days.")

    def handle(self, *args: Any, days: int | None = None, **options: Any) -> None:
        rows = rollups_rebuild(days=days)
        self.stdout.write(f"analytics rollups rebuilt: {rows} rows")
        people = insights_refresh()["people"]
        self.stdout.write(f"insights refreshed: {people} people summarised")
