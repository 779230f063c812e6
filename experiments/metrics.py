"""What an experiment measures: the share of exposed people who, after their exposure, did
one of a metric's actions -- events the platform records anyway (no extra tracking)."""

from dataclasses import dataclass

from accounts import events as account_events
from messaging import events as messaging_events
from recommendations import events as recommendation_events
from startups import events as startup_events


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    actions: tuple[str, ...]


METRICS = {
    metric.name: metric
    for metric in (
        Metric(
            "recommendation_click_through",
            "Opened an item from their recommendations.",
            (recommendation_events.RECOMMENDATION_VIEWED,),
        ),
        Metric(
            "application_rate",
            "Applied to an opportunity.",
            (startup_events.APPLICATION_CREATED,),
        ),
        Metric(
            "save_rate",
            "Saved a startup or an opportunity.",
            (startup_events.STARTUP_SAVED, startup_events.OPPORTUNITY_SAVED),
        ),
        Metric(
            "follow_rate",
            "Followed a startup or a person.",
            (startup_events.STARTUP_FOLLOWED, account_events.USER_FOLLOWED),
        ),
        Metric("message_rate", "Sent a direct message.", (messaging_events.MESSAGE_SENT,)),
        Metric(
            "engagement",
            "Did any of the above.",
            (
                recommendation_events.RECOMMENDATION_VIEWED,
                startup_events.APPLICATION_CREATED,
                startup_events.STARTUP_SAVED,
                startup_events.OPPORTUNITY_SAVED,
                startup_events.STARTUP_FOLLOWED,
                account_events.USER_FOLLOWED,
                messaging_events.MESSAGE_SENT,
            ),
        ),
    )
}

METRIC_NAMES = sorted(METRICS)
