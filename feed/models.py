"""What happens on the platform (events), who follows what, and who is told (notifications).

``feed`` knows no domain app: the actions are declared by the apps that record them
(``feed.registry``), an event points at its target through a generic relation and carries a
small JSON ``snapshot`` of it (title, name, the startup's name ...), so a feed page needs no
query per row and an event outlives its target. ``startup_id`` (a name the API keeps) is the
id of the event's subject: the followable an app declared ``subject`` -- its followers see the
event in their feed. The row is also the outbox of the
fan-out: ``dispatched_at`` stays empty until its notifications (and later its pushes) are done.
"""

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Industry, Skill


class ActivityEventQuerySet(models.QuerySet["ActivityEvent"]):
    def visible_to(self, user: object) -> "ActivityEventQuerySet":
        """Public events, and private ones the user is part of; nothing private for anonymous."""
        user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
        return self.visible_to_id(user_id)

    def visible_to_id(self, user_id: Any) -> "ActivityEventQuerySet":
        """``visible_to`` the user with this id (None: anonymous)."""
        if user_id is None:
            return self.filter(is_public=True)
        involved = EventAudience.objects.filter(event=models.OuterRef("pk"), user_id=user_id)
        return self.filter(Q(is_public=True) | models.Exists(involved))


class ActivityEvent(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # the event stays when its actor is deleted
        related_name="activity_events",
    )
    action_type = models.CharField(
        max_length=40, help_text="Declared by the app that records it (its events.py)."
    )
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_id = models.BigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    snapshot = models.JSONField(default=dict, blank=True, help_text="The target, as it was.")
    startup_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="The subject (a startup) the event concerns; kept after its deletion.",
    )
    industry = models.CharField(max_length=20, choices=Industry.choices, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="+")
    is_public = models.BooleanField(default=True)
    audience = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="EventAudience",
        related_name="+",
        blank=True,
        help_text="Who may see a private event.",
    )
    recipients = models.JSONField(
        default=list, blank=True, help_text="User ids to notify, besides the followers' rules."
    )
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the broker last accepted its fan-out task."
    )
    dispatch_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times the fan-out was queued again by the re-dispatcher."
    )
    requeued_at = models.DateTimeField(null=True, blank=True)

    objects = ActivityEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="event_recent"),
            models.Index(fields=["actor", "-created_at", "-id"], name="event_actor_recent"),
            models.Index(fields=["startup_id", "-created_at", "-id"], name="event_startup_recent"),
            models.Index(fields=["industry", "-created_at", "-id"], name="event_industry_recent"),
            models.Index(fields=["target_type", "target_id"], name="event_target"),
            models.Index(
                fields=["created_at"],
                name="event_undispatched",
                condition=Q(dispatched_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action_type} #{self.pk}"


class EventAudience(models.Model):
    """The people a private event is visible to (e.g. the applicant and the startup owner)."""

    event = models.ForeignKey(ActivityEvent, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="event_audience_unique")
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} sees event {self.event_id}"


class Follow(models.Model):
    """A user follows a user or a startup (any model, through a generic relation)."""

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.BigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["follower", "target_type", "target_id"], name="follow_unique"
            )
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="follow_target")]

    def __str__(self) -> str:
        return f"user {self.follower_id} follows {self.target_type_id}:{self.target_id}"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.ForeignKey(ActivityEvent, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A retried fan-out cannot notify anyone twice of one event.
            models.UniqueConstraint(fields=["recipient", "event"], name="notification_once")
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recent"),
            models.Index(
                fields=["recipient"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} for user {self.recipient_id}"


class FeedMarker(models.Model):
    """How far a user has seen their feed: newer events count as unread."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_marker"
    )
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"user {self.user_id} saw their feed at {self.seen_at}"


class FeedComposition(models.Model):
    """The default mix of a feed page, set by staff (``PUT /api/v1/feed/composition/``): one
    row (``pk`` 1) or none, when ``settings.FEED_COMPOSITION`` applies. An experiment's
    variant still wins for the people in it."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON, editable=False)
    personal = models.FloatField()
    interest = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(id=1)
                & Q(personal__gte=0)
                & Q(personal__lte=1)
                & Q(interest__gte=0)
                & Q(interest__lte=1),
                name="feed_composition_one_row_of_shares",
            )
        ]

    def __str__(self) -> str:
        return f"feed mix {self.personal:.2f} personal / {self.interest:.2f} interest"
