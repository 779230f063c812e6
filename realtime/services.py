"""Real-time writes: WebSocket tickets, and pushes to a user's sockets.

A client that cannot send the session cookie (a mobile app, another origin's script) gets a
short-lived, single-use ticket from ``POST /api/v1/realtime/ticket/`` (JWT-authenticated) and
connects to ``/ws/?ticket=...``: never a long-lived token in a URL. A ticket is signed with
``SECRET_KEY`` and expires after ``REALTIME_TICKET_TTL`` seconds; redeeming it stores its hash
in the database, so it works once. No cache is involved: sockets open while Redis is down.

Pushes go to the group ``user.<id>`` after the change commits. Channel-layer delivery is
at-most-once: the database is the truth, and a client that reconnects asks for what it missed
(``{"type": "resume", "after": <last notification id>}``, ``realtime.resume``). What a write
causes is pushed by the feed's fan-out once the write commits, never from the request.
"""

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import selectors
from observability.breaker import breaker
from realtime.messages import EVERYONE, user_group
from realtime.models import TicketUse

logger = logging.getLogger("collabhub.realtime")


TICKET_SALT = "collabhub.realtime.ticket"


@dataclass(frozen=True)
class TicketHolder:
    user_id: int
    session: str | None  # the sign-in session (JWT ``sid``) the ticket was issued to, if any


def ticket_issue(*, user_id: int, session: str | None = None) -> str:
    """A signed ticket for one user, valid ``REALTIME_TICKET_TTL`` seconds. Nothing is stored:
    a ticket is verified by its signature, so it works whether or not Redis is up. It names
    the sign-in session that asked for it: signing that session out refuses the ticket and
    closes the socket it opened."""
    payload = [user_id, secrets.token_urlsafe(16), session]
    return signing.dumps(payload, salt=TICKET_SALT, compress=False)


def ticket_redeem(*, ticket: str) -> TicketHolder | None:
    """Who a valid ticket was issued to, once; None for a missing, used, expired or forged
    ticket, or one whose session has been signed out since. Single use is a primary key in
    the database: of two concurrent redemptions only the one whose insert commits wins."""
    if not ticket or len(ticket) > 240:
        return None
    ttl = settings.REALTIME_TICKET_TTL
    try:
        user_id, _nonce, *rest = signing.loads(ticket, salt=TICKET_SALT, max_age=ttl)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    session = rest[0] if rest else None  # tickets issued before they named a session: none
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        return None
    if session is not None and (
        not isinstance(session, str) or selectors.session_is_revoked(sid=session)
    ):
        return None
    now = timezone.now()
    try:
        with transaction.atomic():
            TicketUse.objects.create(
                ticket_hash=hashlib.sha256(ticket.encode()).hexdigest(), used_at=now
            )
    except IntegrityError:
        return None
    # Expired tickets fail their signature check: their rows are no longer needed (an hour of
    # margin for servers whose clocks disagree).
    TicketUse.objects.filter(used_at__lt=now - timedelta(seconds=ttl + 3600)).delete()
    return TicketHolder(user_id, session)


PUSH_TIMEOUT = 2.0  # seconds one group_send may take before the layer counts as failing

Send = tuple[str, dict[str, Any]]  # a group, and the channel-layer event for its sockets


async def _group_send(layer: Any, group: str, event: dict[str, Any]) -> None:
    await asyncio.wait_for(layer.group_send(group, event), PUSH_TIMEOUT)


async def _send_all(layer: Any, sends: list[Send]) -> int:
    """Each send in turn on this one event loop (and so on one connection pool of the layer),
    skipping while the breaker is open; how many were not sent."""
    guard = breaker("channel_layer")
    skipped = 0
    for group, event in sends:
        if not guard.allow():
            skipped += 1
            continue
        try:
            try:
                await _group_send(layer, group, event)
            except redis.exceptions.ConnectionError:
                # Once more, at once: after Redis restarts, the first use of each pooled
                # connection fails; the retry gets a fresh one. (Not after a timeout: a frozen
                # Redis would cost a second PUSH_TIMEOUT.)
                await _group_send(layer, group, event)
        except Exception as exc:
            guard.failure(exc)
            skipped += 1
        else:
            guard.success()
    return skipped


def _send(sends: list[Send]) -> None:
    """Send each event to its group, all in one event loop: a fan-out's hundreds of pushes
    share the layer's connections instead of opening one each (``async_to_sync`` runs every
    call on a new loop, and channels_redis pools connections per loop). A channel layer that is
    down or frozen costs one ``PUSH_TIMEOUT`` per breaker cooldown, and loses only the fast
    path (logged): every notification is in the database, and clients resume from there."""
    layer = get_channel_layer()
    if layer is None or not sends:
        return
    skipped = async_to_sync(_send_all)(layer, sends)
    if skipped:
        types = sorted({str(event["message"].get("type", event["type"])) for _, event in sends})
        logger.warning(
            "pushes not sent: channel layer unavailable (clients resume from the database)",
            extra={"skipped": skipped, "message_type": ",".join(types)},
        )


def socket_pushes(*, pushes: Iterable[tuple[Iterable[int], dict[str, Any]]]) -> None:
    """Send typed messages, each to its users' sockets, in one go: a fan-out's notifications
    (a message per recipient) and the event itself."""
    _send(
        [
            (user_group(user_id), {"type": "push", "message": message})
            for user_ids, message in pushes
            for user_id in user_ids
        ]
    )


def socket_push(*, user_ids: Iterable[int], message: dict[str, Any]) -> None:
    """Send one typed message to each user's sockets."""
    socket_pushes(pushes=[(user_ids, message)])


def sessions_close(*, user_id: int, session: str | None) -> None:
    """Close the user's sockets opened with a ticket of ``session`` (every socket of the user
    for None: a password change). Best effort, like any push; a signed-out session's tickets
    are refused anyway."""
    event = {"type": "session.ended", "message": {"session": session}, "session": session}
    _send([(user_group(user_id), event)])


def socket_group_push(*, group: str, message: dict[str, Any]) -> None:
    """Send one typed message to the sockets of a live group (``realtime.live``); each socket
    checks now and then that its user is still admitted (staff rights withdrawn)."""
    _send([(group, {"type": "live.push", "message": message, "group": group})])


def socket_broadcast(*, message: dict[str, Any]) -> None:
    """Send one typed message to every open socket (e.g. a maintenance notice)."""
    _send([(EVERYONE, {"type": "push", "message": message})])
