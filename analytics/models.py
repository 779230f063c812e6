"""Pre-aggregated counters: what the dashboard reads instead of scanning the event table."""

from django.db import models


class Granularity(models.TextChoices):
    MINUTE = "m", "Minute"
    HOUR = "h", "Hour"
    DAY = "d", "Day"


class Rollup(models.Model):
    """How many times ``metric`` happened in one bucket (a minute, an hour or a day, UTC),
    optionally per ``dimension`` (an action type, a status class, a latency bucket, a
    startup, a person). Written by ``analytics.counters`` as additive upserts."""

    metric = models.CharField(max_length=40)
    granularity = models.CharField(max_length=1, choices=Granularity.choices)
    bucket = models.DateTimeField()
    dimension = models.CharField(max_length=64, blank=True, default="")
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "granularity", "bucket", "dimension"], name="rollup_unique"
            )
        ]
        indexes = [
            models.Index(fields=["granularity", "metric", "bucket"], name="rollup_range"),
        ]

    def __str__(self) -> str:
        return f"{self.metric}[{self.dimension}] {self.granularity} {self.bucket:%Y-%m-%d %H:%M}"


class ActivePerson(models.Model):
    """When someone was last active (an event, a signed-in API request), to the minute; kept
    by the counters' flush. Not a foreign key: a figure, not a relation."""

    person_id = models.BigIntegerField(primary_key=True)
    last_active_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"user {self.person_id} active {self.last_active_at:%Y-%m-%d %H:%M}"


class Insight(models.Model):
    """A platform-wide insight (the funnel, retention cohorts, active hours), materialised by
    the hourly ``analytics.insights_refresh`` task: read as stored, never computed per
    request."""

    name = models.CharField(max_length=40, unique=True)
    computed_at = models.DateTimeField()
    data = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.name} at {self.computed_at:%Y-%m-%d %H:%M}"


class UserEngagement(models.Model):
    """One person's engagement over the last 30 days and ever, materialised hourly."""

    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    computed_at = models.DateTimeField()
    events_30d = models.PositiveIntegerField(default=0)
    active_days_30d = models.PositiveSmallIntegerField(default=0)
    saves = models.PositiveIntegerField(default=0)
    follows = models.PositiveIntegerField(default=0)
    applications = models.PositiveIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)
    recommendations_opened = models.PositiveIntegerField(default=0)
    first_engaged_at = models.DateTimeField(null=True, blank=True)
    first_applied_at = models.DateTimeField(null=True, blank=True)
    last_active_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"engagement of user {self.user_id}"


class EngagedPerson(models.Model):
    """Someone engaged with an item (followed, saved, applied to it) -- and the minute they
    last did, kept forward only by the counters' flush. The trending list's distinct people
    over any window are then the rows whose minute is in it: one indexed range read, each
    person once per item, weighted by how recent their latest engagement is. (Per-bucket
    distinct counts, as for active people, cannot be summed into a window: someone coming
    back in three hours would count three times.) ``kind``: ``s`` a startup, ``o`` an
    opportunity, ``p`` a person; ``minute``: minutes since the Unix epoch, UTC, so the decay
    is plain arithmetic in SQL on both databases. Pruned after 8 days (the longest window is
    7). Not foreign keys: figures, not relations."""

    kind = models.CharField(max_length=1)
    item_id = models.BigIntegerField()
    person_id = models.BigIntegerField()
    minute = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "item_id", "person_id"], name="engaged_person_unique"
            )
        ]
        # Covering: the window's rows are read from the index alone (PostgreSQL).
        indexes = [models.Index(fields=["kind", "minute", "item_id"], name="engaged_person_recent")]

    def __str__(self) -> str:
        return f"person {self.person_id} engaged with {self.kind}{self.item_id} at {self.minute}"
