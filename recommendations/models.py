"""What people do with startups and opportunities: the behaviour recommendations learn from."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class InteractionKind(models.TextChoices):
    VIEW = "view", "View"
    LIKE = "like", "Like"
    FOLLOW = "follow", "Follow"
    SAVE = "save", "Save"
    SHARE = "share", "Share"
    APPLY = "apply", "Apply"
    DISMISS = "dismiss", "Dismiss"


class ItemType(models.TextChoices):
    STARTUP = "startup", "Startup"
    OPPORTUNITY = "opportunity", "Opportunity"


class Interaction(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interactions"
    )
    kind = models.CharField(max_length=10, choices=InteractionKind.choices)
    item_type = models.CharField(max_length=12, choices=ItemType.choices)
    item_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="interaction_recent"),
            models.Index(fields=["item_type", "item_id", "kind"], name="interaction_item"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.item_type}:{self.item_id}"
