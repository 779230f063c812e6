from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from recommendations import features, tasks


class Command(BaseCommand):
    help = (
        "Rebuild the recommendation feature store (saves, applications and follows reconciled "
        "with their rows; item popularity and traction; item-to-item similarities; "
        "user activity; skill rarity; trending), then precompute for recently active people."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-precompute", action="store_true", help="Only rebuild the feature store."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = features.features_rebuild()
        if not options["no_precompute"]:
            counts["precomputed"] = tasks.precompute_active(
                days=settings.RECOMMENDATIONS_PRECOMPUTE_DAYS
            )
        for name, count in counts.items():
            self.stdout.write(f"  {name:<22}{count:>9,}")
