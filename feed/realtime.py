"""Real-time delivery: WebSocket tickets and pushes to a user's group.

A client that cannot send the session cookie (a mobile app, another origin's script) gets a
short-lived, single-use ticket from ``POST /api/v1/realtime/ticket/`` (JWT-authenticated) and
connects to ``/ws/?ticket=...``: never a long-lived token in a URL. Only a hash of the ticket
is stored (in the cache, for ``REALTIME_TICKET_TTL`` seconds) and redeeming deletes it, so a
ticket works once.

Pushes go to the group ``user.<id>`` after the change commits. Channel-layer delivery is
at-most-once: the database is the truth, and a client that reconnects asks for what it missed
(``{"type": "resume", "after": <last notification id>}``).
"""

import hashlib
import logging
import secrets
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("collabhub.realtime")


EVERYONE = "everyone"  # every open socket: platform-wide announcements


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def _ticket_key(ticket: str) -> str:
    return "ws-ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


def ticket_issue(*, user_id: int) -> str:
    ticket = secrets.token_urlsafe(32)
    cache.set(_ticket_key(ticket), user_id, timeout=settings.REALTIME_TICKET_TTL)
    return ticket


def ticket_redeem(ticket: str) -> int | None:
    """The user a valid ticket was issued to, once; None for a missing, used, expired or
    forged ticket. Of two concurrent redemptions only the one that deletes the key wins."""
    if not ticket or len(ticket) > 100:
        return None
    key = _ticket_key(ticket)
    user_id = cache.get(key)
    if user_id is None or not cache.delete(key):
        return None
    return int(user_id)


def push(user_ids: list[int], message: dict[str, Any]) -> None:
    """Send one typed message to each user's sockets. A channel layer that is down loses
    only the fast path (logged): clients resume from the database."""
    layer = get_channel_layer()
    if layer is None:
        return
    for user_id in user_ids:
        try:
            async_to_sync(layer.group_send)(
                user_group(user_id), {"type": "push", "message": message}
            )
        except Exception:
            logger.warning("push failed", extra={"user_id": user_id}, exc_info=True)


def broadcast(message: dict[str, Any]) -> None:
    """Send one typed message to every open socket (e.g. a maintenance notice)."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(EVERYONE, {"type": "push", "message": message})
