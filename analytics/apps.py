from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Live figures for staff and what is trending, from counters kept as things happen
    (rollups): it subscribes to recorded events, sign-ups, served feeds and recommendations,
    API requests and detail views. Nobody imports this app."""

    name = "analytics"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from accounts.models import User
        from analytics import (
            receivers,
            tasks,  # noqa: F401 - registers the Celery task
        )
        from core.signals import object_viewed
        from feed.signals import event_recorded, feed_served
        from observability.signals import request_measured
        from recommendations.signals import recommendations_served

        event_recorded.connect(receivers.event_recorded, dispatch_uid="analytics-events")
        post_save.connect(receivers.user_saved, sender=User, dispatch_uid="analytics-signups")
        feed_served.connect(receivers.feed_served, dispatch_uid="analytics-feed")
        recommendations_served.connect(
            receivers.recommendations_served, dispatch_uid="analytics-recommendations"
        )
        request_measured.connect(receivers.request_measured, dispatch_uid="analytics-requests")
        object_viewed.connect(receivers.object_viewed, dispatch_uid="analytics-views")

        # Staff's sockets get the live dashboard's figures while any is open.
        from django.conf import settings

        from analytics.live import live_publish
        from realtime.live import live_group_register
        from realtime.messages import ANALYTICS_GROUP

        live_group_register(
            name=ANALYTICS_GROUP,
            admits=lambda user: bool(user.is_staff),
            publish=live_publish,
            every=settings.ANALYTICS_LIVE_INTERVAL,
        )
