"""Signal receivers of the feed (connected in ``apps.py``)."""

from typing import Any


def record_profile_update(sender: Any, user: Any, fields: list[str], **kwargs: Any) -> None:
    """``accounts`` sits below the feed: it sends the signal, the feed records its event."""
    from accounts.events import PROFILE_UPDATED, user_snapshot
    from feed.services import event_record

    event_record(
        action_type=PROFILE_UPDATED,
        actor=user,
        target=user,
        snapshot=user_snapshot(user, headline=user.headline, fields=fields),
        skills=user.skills.all(),
    )


def unfollow_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    from feed.services import follows_delete_for

    follows_delete_for(target=instance)
