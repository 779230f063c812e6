"""A/B experiments on what the platform serves (the feed's mix, the recommendations'
algorithm), and who was exposed to which variant."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"
    COMPLETED = "completed", "Completed"


class Experiment(models.Model):
    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    hypothesis = models.TextField(blank=True)
    target = models.CharField(max_length=40, help_text="What it varies (experiments.targets).")
    variants = models.JSONField(
        default=list, help_text='[{"key": "control", "weight": 50, "config": {...}}, ...]'
    )
    traffic_allocation = models.PositiveSmallIntegerField(
        default=100,
        validators=[MaxValueValidator(100)],
        help_text="Percent of people who enter the experiment at all.",
    )
    primary_metric = models.CharField(max_length=40)
    guardrail_metrics = models.JSONField(default=list, blank=True)
    min_sample_size = models.PositiveIntegerField(
        default=100, help_text="Exposures per variant before it may complete early."
    )
    duration_days = models.PositiveSmallIntegerField(default=14)
    status = models.CharField(
        max_length=10, choices=ExperimentStatus.choices, default=ExperimentStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    results = models.JSONField(
        null=True, blank=True, help_text="The results when it ended (live ones are computed)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target"],
                condition=Q(status="running"),
                name="one_running_experiment_per_target",
            ),
            models.CheckConstraint(
                condition=Q(traffic_allocation__lte=100), name="experiment_allocation_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"

    @property
    def ends_at(self) -> datetime | None:
        if self.started_at is None:
            return None
        return self.started_at + timedelta(days=self.duration_days)


class Exposure(models.Model):
    """The first time a person in the experiment was served by its target, and with which
    variant: recorded once (the database enforces it); metrics count what they did after."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="exposures")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    variant = models.CharField(max_length=40)
    exposed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["experiment", "user"], name="exposure_once")]
        indexes = [models.Index(fields=["experiment", "variant"], name="exposure_variant")]

    def __str__(self) -> str:
        return f"user {self.user_id} saw {self.variant} of experiment {self.experiment_id}"
