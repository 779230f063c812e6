from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "feed"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from accounts.signals import profile_updated
        from feed import (
            metrics,
            receivers,
            registry,
            selectors,
            tasks,  # noqa: F401 - registers the Celery tasks
        )
        from observability.metrics import series_register
        from realtime.resume import resume_source_register

        series_register(metrics.PAGE_DURATION)
        # What can be recorded and followed, as each app's events.py declares it.
        registry.discover()
        profile_updated.connect(
            receivers.record_profile_update, dispatch_uid="feed-profile-updated"
        )
        resume_source_register(
            message_type="notification", param="after", fetch=selectors.notification_resume_list
        )
        resume_source_register(
            message_type="feed.event", param="feed_after", fetch=selectors.feed_event_resume_list
        )
        # Whoever deletes something followed (a service, the admin, a cascade), nobody follows
        # it any more; its events stay.
        for followable in registry.followable_list():
            post_delete.connect(
                receivers.unfollow_deleted,
                sender=followable.model,
                dispatch_uid=f"feed-unfollow-{followable.model._meta.label_lower}",
            )
