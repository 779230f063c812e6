from typing import Any

from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"

    def ready(self) -> None:
        from feed.signals import event_recorded

        event_recorded.connect(_event_recorded, dispatch_uid="recommendations-interactions")


def _event_recorded(sender: Any, event: Any, **kwargs: Any) -> None:
    from recommendations.services import interaction_from_event

    interaction_from_event(event)
