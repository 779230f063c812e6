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
