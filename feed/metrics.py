"""This app's Prometheus series (registered with observability in ``apps.py``)."""

from prometheus_client import Histogram

PAGE_DURATION = Histogram(
    "feed_generation_duration_seconds",
    "Time to build one feed page (feed.selectors.feed_page_get: both sources read, merged).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
