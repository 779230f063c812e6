from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "feed"

    def ready(self) -> None:
        from accounts.signals import profile_updated, sessions_ended
        from feed import (
            receivers,
            tasks,  # noqa: F401 - registers the Celery tasks
        )

        profile_updated.connect(
            receivers.record_profile_update, dispatch_uid="feed-profile-updated"
        )
        sessions_ended.connect(receivers.close_sockets, dispatch_uid="feed-sessions-ended")
        from feed import realtime, selectors

        realtime.resume_source_register("notification", "after", selectors.notifications_after)
        realtime.resume_source_register("feed.event", "feed_after", selectors.feed_events_after)
        # Whoever deletes a user or a startup (a service, the admin, a cascade), nobody follows
        # it any more; its events stay.
        from django.apps import apps
        from django.db.models.signals import post_delete

        from feed.selectors import STARTUP_MODEL

        for model in (apps.get_model("accounts", "User"), apps.get_model(*STARTUP_MODEL)):
            post_delete.connect(
                receivers.unfollow_deleted, sender=model, dispatch_uid=f"feed-{model}"
            )
