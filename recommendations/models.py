"""What people do with startups and opportunities: the behaviour recommendations learn from."""

import uuid

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
            # "What did this person ever save / apply to / dismiss?" (the rules' filters).
            models.Index(
                fields=["user", "item_type", "kind", "item_id"], name="interaction_acted_on"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.item_type}:{self.item_id}"


# --- The feature store: derived from the rows above and the catalogue, rebuilt nightly
# (``manage.py recommendations_rebuild``); never a source of truth.


class ItemFeatures(models.Model):
    """What recommenders know about a startup or an opportunity beyond its own row."""

    item_type = models.CharField(max_length=12, choices=ItemType.choices)
    item_id = models.BigIntegerField()
    industry = models.CharField(max_length=20, blank=True)
    popularity = models.FloatField(
        default=0, help_text="Interactions weighted by kind, decaying with age."
    )
    traction = models.FloatField(
        default=0, help_text="Startups: growth, recent activity, stage and recency, 0 to 1."
    )
    engaged = models.PositiveIntegerField(
        default=0, help_text="People who saved, followed, applied or liked, ever."
    )
    recent = models.JSONField(
        default=dict, blank=True, help_text="Interactions of the last 30 days, by kind."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "item features"
        constraints = [
            models.UniqueConstraint(fields=["item_type", "item_id"], name="item_features_once")
        ]
        indexes = [
            models.Index(fields=["item_type", "-popularity"], name="item_features_popular"),
            models.Index(
                fields=["item_type", "industry", "-traction"], name="item_features_traction"
            ),
            models.Index(fields=["item_type", "-traction"], name="item_features_top_traction"),
        ]

    def __str__(self) -> str:
        return f"{self.item_type}:{self.item_id}"


class ItemSimilarity(models.Model):
    """``other_id`` (an ``other_type``) is among the items of its type most often engaged with
    by the people who engaged with ``item_id`` (cosine of their weighted interaction vectors):
    startups and opportunities alike, so a role someone applied to points to startups too."""

    item_type = models.CharField(max_length=12, choices=ItemType.choices)
    item_id = models.BigIntegerField()
    other_type = models.CharField(max_length=12, choices=ItemType.choices)
    other_id = models.BigIntegerField()
    score = models.FloatField()
    together = models.PositiveIntegerField(help_text="People who engaged with both.")

    class Meta:
        verbose_name_plural = "item similarities"
        indexes = [models.Index(fields=["item_type", "item_id", "-score"], name="item_neighbours")]

    def __str__(self) -> str:
        return (
            f"{self.item_type}:{self.item_id} ~ {self.other_type}:{self.other_id} "
            f"({self.score:.2f})"
        )


class UserFeatures(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recommendation_features"
    )
    activity = models.PositiveIntegerField(default=0, help_text="Interactions, last 30 days.")
    last_active_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name_plural = "user features"
        indexes = [
            # The most active people first (talent's popular source): walked, not sorted.
            models.Index(fields=["-activity", "user"], name="user_features_active"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.activity}"


class SkillAffinity(models.Model):
    """What the people who list skills do with startups, learned from their interactions by
    the nightly rebuild: it relates the two vocabularies content compares (people's job skills;
    startups' industries and the skills of their open roles).

    With a ``skill`` and an ``industry``: the people who list the skill engage with startups of
    that industry ``lift`` times as often as everyone who lists skills (a cautious estimate:
    the count less two standard errors; only lifts above 1 are kept). Without either (one
    row): how many times chance people engage with startups hiring for one of their skills,
    pooled over every skill (cautious too)."""

    skill = models.ForeignKey(
        "accounts.Skill", on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    industry = models.CharField(max_length=20, blank=True)
    lift = models.FloatField()
    evidence = models.FloatField(
        help_text="Engagements behind it: of people with the skill; for hiring, as many as "
        "chance would put on startups hiring for their skills."
    )

    class Meta:
        verbose_name_plural = "skill affinities"
        constraints = [
            models.UniqueConstraint(fields=["skill", "industry"], name="skill_affinity_once")
        ]

    def __str__(self) -> str:
        return f"{self.skill_id or 'any skill'} -> {self.industry or 'hiring'} ({self.lift:.2f})"


class FactorModel(models.Model):
    """People's tastes as latent factors (implicit-feedback ALS), fitted by the nightly rebuild
    on the interactions the similarities are computed from: each item's vector and what serving
    needs to place a person among them from their current history (``recommendations.factors``).
    One row: the latest fit."""

    version = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    fitted_at = models.DateTimeField(default=timezone.now)
    factors = models.PositiveSmallIntegerField()
    regularization = models.FloatField()
    alpha = models.FloatField(help_text="Confidence per unit of interaction weight.")
    items = models.PositiveIntegerField(help_text="Items with a vector.")
    people = models.PositiveIntegerField(help_text="People it was fitted on.")
    vectors = models.BinaryField(help_text="numpy .npz: the items' types, ids and vectors.")

    class Meta:
        verbose_name = "factor model"

    def __str__(self) -> str:
        return f"{self.factors} factors, {self.items} items, fitted {self.fitted_at:%Y-%m-%d %H:%M}"
