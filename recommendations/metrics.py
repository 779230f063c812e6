"""This app's Prometheus series (registered with observability in ``apps.py``)."""

from prometheus_client import Counter, Histogram

GENERATED = Counter(
    "recommendations_generated_total",
    "Recommendation lists computed by the engine (a cache miss, an uncached read or the "
    "nightly precompute), by type and the algorithm that ran (the configured or "
    "experiment's choice; content for people with no history yet, trending when there is "
    "nothing to go on).",
    ["type", "algorithm"],
)
GENERATION_DURATION = Histogram(
    "recommendation_generation_duration_seconds",
    "Time to compute one recommendation list, by type.",
    ["type"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
