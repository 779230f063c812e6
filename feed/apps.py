from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "feed"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from accounts.signals import profile_updated, sessions_ended
        from feed import (
            realtime,
            receivers,
            registry,
            selectors,
            tasks,  # noqa: F401 - registers the Celery tasks
        )

        # What can be recorded and followed, as each app's events.py declares it.
        registry.discover()
        profile_updated.connect(
            receivers.record_profile_update, dispatch_uid="feed-profile-updated"
        )
        sessions_ended.connect(receivers.close_sockets, dispatch_uid="feed-sessions-ended")
        realtime.resume_source_register("notification", "after", selectors.notifications_after)
        realtime.resume_source_register("feed.event", "feed_after", selectors.feed_events_after)
        # Whoever deletes something followed (a service, the admin, a cascade), nobody follows
        # it any more; its events stay.
        for followable in registry.followable_list():
            post_delete.connect(
                receivers.unfollow_deleted,
                sender=followable.model,
                dispatch_uid=f"feed-unfollow-{followable.model._meta.label_lower}",
            )
