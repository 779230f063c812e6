from typing import Any

from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "feed"

    def ready(self) -> None:
        from accounts.signals import profile_updated, sessions_ended
        from feed import tasks  # noqa: F401 - registers the Celery tasks

        profile_updated.connect(_record_profile_update, dispatch_uid="feed-profile-updated")
        sessions_ended.connect(_close_sockets, dispatch_uid="feed-sessions-ended")
        from feed import realtime, selectors

        realtime.resume_source_register("notification", "after", selectors.notifications_after)
        realtime.resume_source_register("feed.event", "feed_after", selectors.feed_events_after)
        # Whoever deletes a user or a startup (a service, the admin, a cascade), nobody follows
        # it any more; its events stay.
        from django.apps import apps
        from django.db.models.signals import post_delete

        from feed.services import STARTUP_MODEL

        for model in (apps.get_model("accounts", "User"), apps.get_model(*STARTUP_MODEL)):
            post_delete.connect(_unfollow_deleted, sender=model, dispatch_uid=f"feed-{model}")


def _close_sockets(sender: Any, user_id: int, sid: str | None, **kwargs: Any) -> None:
    """A signed-out session's sockets close once the sign-out commits."""
    from django.db import transaction

    from feed import realtime

    transaction.on_commit(lambda: realtime.sessions_close(user_id, sid))


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


def _unfollow_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    from feed.services import follows_delete_for

    follows_delete_for(target=instance)
