from typing import Any

from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "feed"

    def ready(self) -> None:
        from accounts.signals import profile_updated
        from feed import tasks  # noqa: F401 - registers the Celery tasks

        profile_updated.connect(_record_profile_update, dispatch_uid="feed-profile-updated")


def _record_profile_update(sender: Any, user: Any, fields: list[str], **kwargs: Any) -> None:
    from feed.models import ActionType
    from feed.services import event_record

    event_record(
        action_type=ActionType.PROFILE_UPDATED,
        actor=user,
        target=user,
        snapshot={"type": "user", "name": user.name, "headline": user.headline, "fields": fields},
        skills=user.skills.all(),
    )
