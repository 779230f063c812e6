"""The shape of everything a socket receives, and the groups sockets join."""

from typing import Any

EVERYONE = "everyone"  # every open socket: platform-wide announcements
# Staff's sockets (a live group, realtime.live): the live analytics dashboard's figures,
# alerts and experiments.
ANALYTICS_GROUP = "analytics"


def socket_message(
    *, type: str, id: int | None, data: Any, request_id: str | None = None
) -> dict[str, Any]:
    """Every push a socket gets has this one shape: ``{"type", "id", "data", "request_id"}``
    (``request_id``: the request that caused it, None when unknown, e.g. on resume)."""
    return {"type": type, "id": id, "data": data, "request_id": request_id or None}


def user_group(user_id: int) -> str:
    return f"user.{user_id}"
