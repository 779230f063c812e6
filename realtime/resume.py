"""Resume: what a client missed while away, replayed from the database.

A source replays one kind of push from the database: ``fetch(user_id=, after=, limit=)`` returns
the typed messages (oldest first) with an id above ``after``. The client names its last id of
each kind in ``{"type": "resume", "after": …, "feed_after": …, "messages_after": …}``. Apps
register their sources in ``AppConfig.ready`` (the feed: notifications and feed items;
messaging: messages).
"""

from dataclasses import dataclass
from typing import Any, Protocol


class ResumeFetch(Protocol):
    def __call__(self, *, user_id: int, after: int, limit: int) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class ResumeSource:
    message_type: str
    param: str  # the field of the resume message naming the client's last id
    fetch: ResumeFetch


resume_sources: dict[str, ResumeSource] = {}
# Pushes no source replays: after a gap, the client refetches these over REST.
REFETCH = ["connections"]


def resume_source_register(*, message_type: str, param: str, fetch: ResumeFetch) -> None:
    """Apps whose pushes may be missed register how to replay them (``AppConfig.ready``)."""
    resume_sources[message_type] = ResumeSource(message_type, param, fetch)
