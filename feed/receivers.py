"""Signal receivers of the feed (connected in ``apps.py``)."""

from typing import Any


def close_sockets(sender: Any, user_id: int, sid: str | None, **kwargs: Any) -> None:
    """A signed-out session's sockets close once the sign-out commits."""
    from django.db import transaction

    from feed import realtime

    transaction.on_commit(lambda: realtime.sessions_close(user_id, sid))


def record_profile_update(sender: Any, user: Any, fields: list[str], **kwargs: Any) -> None:
    from feed.models import ActionType
    from feed.services import event_record

    event_record(
        action_type=ActionType.PROFILE_UPDATED,
        actor=user,
        target=user,
        snapshot={"type": "user", "name": user.name, "headline": user.headline, "fields": fields},
        skills=user.skills.all(),
    )


def unfollow_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    from feed.services import follows_delete_for

    follows_delete_for(target=instance)
