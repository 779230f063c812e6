"""Writes of the feed: recording events, follows, notifications, the durable fan-out.

Domain apps record what they do with ``event_record`` (or ``event_record_once``) inside their own
transaction: the event row commits with the change it describes, or not at all. Its fan-out
(notifications now, WebSocket pushes later) is a Celery task queued after commit, carrying the
request ID; if the broker is down the event simply stays undispatched and the periodic
``events_redispatch`` queues it again -- the event table is the outbox.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Skill, User
from feed import outbox, registry
from feed.exceptions import FollowSelf, NotFollowable, StaffOnly
from feed.models import (
    ActivityEvent,
    EventAudience,
    FeedComposition,
    FeedMarker,
    Follow,
    Notification,
)
from feed.selectors import (
    COMPOSITION_CACHE_KEY,
    feed_audience_list,
    feed_composition_setting_get,
)
from feed.signals import event_dispatched, event_recorded
from observability.breaker import breaker
from observability.context import request_id_get
from realtime import services as realtime
from search import cache as search_cache

logger = logging.getLogger("collabhub.feed")

DUPLICATE_WINDOW = timedelta(seconds=5)
REDISPATCH_AFTER = timedelta(seconds=settings.FEED_REDISPATCH_AFTER)  # never queued, this old
LOST_AFTER = timedelta(seconds=settings.FEED_LOST_AFTER)  # queued, never run: lost
MAX_DISPATCH_ATTEMPTS = 10  # then it is left alone, and logged as an error, for a person
REDISPATCH_BATCH = 500
REDISPATCH_BATCHES = 20  # at most this many batches a run


@transaction.atomic
def event_record(
    *,
    action_type: str,
    actor: User | None,
    target: models.Model | None = None,
    snapshot: dict[str, Any] | None = None,
    startup_id: int | None = None,
    industry: str = "",
    skills: Iterable[Skill] = (),
    is_public: bool = True,
    audience: Iterable[User] = (),
    recipients: Iterable[int] = (),
) -> ActivityEvent:
    """Record one event of a declared type (``feed.registry``; an undeclared one raises
    ``UnknownEventType``); private events are visible to ``audience`` (and the actor) only;
    ``recipients`` (user ids) are notified, besides the event type's ``notify`` rule."""
    event = ActivityEvent.objects.create(
        action_type=registry.event_type_get(action_type).action,
        actor=actor,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=target.pk if target is not None else None,
        snapshot=snapshot or {},
        startup_id=startup_id,
        industry=industry,
        is_public=is_public,
        recipients=sorted({int(pk) for pk in recipients}),
        request_id=request_id_get() or "",
    )
    if skills:
        event.skills.set(skills)
    if not is_public:
        people = {user.pk for user in audience} | ({actor.pk} if actor is not None else set())
        EventAudience.objects.bulk_create(EventAudience(event=event, user_id=pk) for pk in people)
    event_recorded.send(sender=ActivityEvent, event=event)
    transaction.on_commit(partial(outbox.publish_soon, event_publish, event_id=event.pk))
    return event


@transaction.atomic
def event_record_once(**kwargs: Any) -> ActivityEvent:
    """``event_record``, but an identical event (same actor, action and target) recorded in the
    last 5 seconds is returned instead of a new one: a double click is one event."""
    actor, target = kwargs.get("actor"), kwargs.get("target")
    if actor is not None:
        recent = ActivityEvent.objects.filter(
            actor=actor,
            action_type=kwargs["action_type"],
            target_type=ContentType.objects.get_for_model(target) if target is not None else None,
            target_id=target.pk if target is not None else None,
            created_at__gte=timezone.now() - DUPLICATE_WINDOW,
        ).first()
        if recent is not None:
            return recent
    return event_record(**kwargs)


def event_publish(*, event_id: int) -> bool:
    """Queue the event's fan-out; record when the broker accepted it. A broker that is down
    or frozen fails the publish at once (no retries; its breaker skips it for a while): the
    event stays undispatched and ``events_redispatch`` queues it later."""
    from feed.tasks import event_fanout

    if current_app.conf.task_always_eager:  # no broker: the fan-out runs here and now
        try:
            event_fanout.apply_async((event_id,))
        except Exception:
            logger.exception("fan-out failed; it will be re-dispatched", extra={"event": event_id})
            return False
        return True
    guard = breaker("broker")
    if not guard.allow():
        return False
    try:
        event_fanout.apply_async((event_id,), retry=False)
    except Exception as exc:
        guard.failure(exc)
        logger.warning(
            "fan-out not queued; it will be re-dispatched",
            extra={"event": event_id, "error": f"{type(exc).__name__}: {exc}"[:300]},
        )
        return False
    guard.success()
    ActivityEvent.objects.filter(pk=event_id).update(queued_at=timezone.now())
    return True


def event_fanout_run(*, event_id: int) -> int:
    """Notify everyone the event concerns, once; mark the event dispatched. Idempotent: a
    repeated run finds it dispatched, and a concurrent one cannot duplicate a notification
    (one per recipient and event, enforced by the database)."""
    with transaction.atomic():
        event = ActivityEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.dispatched_at is not None:
            return 0
        recipients = set(event.recipients)
        declared = registry.event_type_find(event.action_type)  # None: an action since retired
        notify = declared.notify if declared is not None else None
        if notify is not None:
            recipients |= set(notify(event))
        recipients.discard(event.actor_id)
        if not event.is_public:
            allowed = EventAudience.objects.filter(event=event).values_list("user_id", flat=True)
            recipients &= set(allowed)
        Notification.objects.bulk_create(
            [Notification(recipient_id=pk, event=event) for pk in sorted(recipients)],
            ignore_conflicts=True,
        )
        event.dispatched_at = timezone.now()
        event.save(update_fields=["dispatched_at"])
        event_dispatched.send(sender=ActivityEvent, event=event)
        transaction.on_commit(partial(_push_notifications, event.pk))
    return len(recipients)


def _push_notifications(event_id: int) -> None:
    """After the fan-out commits: each notification to its recipient's sockets, the event
    itself, as a ``feed.event``, to those whose personal feed it enters, and the pushes of the
    event's own kind (a ``message``, a ``connection``), all with the request ID of the write."""
    from feed.serializers import event_message, notification_messages

    notifications = list(
        Notification.objects.filter(event_id=event_id).select_related("event__actor")
    )
    messages = notification_messages(notifications)
    event = ActivityEvent.objects.select_related("actor").get(pk=event_id)
    declared = registry.event_type_find(event.action_type)
    pushes = declared.pushes if declared is not None else None
    realtime.socket_pushes(
        pushes=[
            *(([n.recipient_id], m) for n, m in zip(notifications, messages, strict=True)),
            (feed_audience_list(event=event), event_message(event)),
            *(pushes(event) if pushes is not None else ()),
        ]
    )


def events_redispatch(*, older_than: timedelta = REDISPATCH_AFTER) -> int:
    """Queue again the fan-out of events whose task is really lost: never accepted by the
    broker (an outage, a process that died before publishing), or accepted by a broker that
    has since lost its memory (restarted empty: every accepted one, however recent). A task
    waiting in the queue, or running and redelivered by the broker if its worker dies
    (``acks_late``, ``visibility_timeout``), is left alone -- unless it has been pending longer
    than any task can legitimately take (``LOST_AFTER``). Batches run until none is left or the
    broker refuses; an event queued ``MAX_DISPATCH_ATTEMPTS`` times is given up on, so a few
    that always fail cannot hold back the others."""
    now = timezone.now()
    lost_before = now if broker_memory_lost() else now - LOST_AFTER
    lost = Q(queued_at__isnull=True, created_at__lt=now - older_than) | Q(queued_at__lt=lost_before)
    candidates = ActivityEvent.objects.filter(
        lost, dispatched_at__isnull=True, dispatch_attempts__lt=MAX_DISPATCH_ATTEMPTS
    ).order_by("created_at", "pk")
    queued = 0
    for _ in range(REDISPATCH_BATCHES):
        pending = list(candidates.values_list("pk", flat=True)[:REDISPATCH_BATCH])
        ActivityEvent.objects.filter(pk__in=pending).update(requeued_at=now, queued_at=None)
        accepted = [pk for pk in pending if event_publish(event_id=pk)]
        # Only a publish the broker accepted counts as an attempt (not one skipped while the
        # broker is down).
        ActivityEvent.objects.filter(pk__in=accepted).update(
            dispatch_attempts=F("dispatch_attempts") + 1
        )
        queued += len(accepted)
        for pk in ActivityEvent.objects.filter(
            pk__in=accepted,
            dispatched_at__isnull=True,
            dispatch_attempts__gte=MAX_DISPATCH_ATTEMPTS,
        ).values_list("pk", flat=True):
            logger.error("fan-out given up after repeated failures", extra={"event": pk})
        if pending:
            logger.info("events re-dispatched", extra={"pending": len(pending), "queued": queued})
        if len(pending) < REDISPATCH_BATCH or len(accepted) < len(pending):
            break  # none left, or the broker refuses: the next run goes on
    return queued


BROKER_EPOCH_KEY = "collabhub:broker-epoch"


def broker_memory_lost() -> bool:
    """Whether the broker forgot everything since the last look: a marker key it held is
    gone (a Redis restarted without persistence, or flushed). Sets the marker again."""
    if current_app.conf.task_always_eager:
        return False
    try:
        with current_app.connection_for_write() as connection:
            client = connection.default_channel.client
            return bool(client.set(BROKER_EPOCH_KEY, timezone.now().isoformat(), nx=True))
    except Exception:
        logger.warning("broker not reachable to check its memory", exc_info=True)
        return False


# --- follows --------------------------------------------------------------------------------
@transaction.atomic
def follow_create(
    *, follower: User, target: models.Model, record: bool = True
) -> tuple[Follow, bool]:
    """Follow anything an app declared followable (a person, a startup); following again
    changes nothing (idempotent). ``record`` false: no event (e.g. the follows a new
    connection implies)."""
    followable = registry.followable_get(target)
    if followable is None:
        raise NotFollowable()
    if isinstance(target, User) and target.pk == follower.pk:
        raise FollowSelf()
    target_type = ContentType.objects.get_for_model(target)
    follow, created = Follow.objects.get_or_create(
        follower=follower, target_type=target_type, target_id=target.pk
    )
    if created:
        search_cache.invalidate()  # cached searches may filter on follows (?followed_by=)
    if created and record:
        event_record(
            action_type=followable.action,
            actor=follower,
            target=target,
            snapshot=followable.snapshot(target),
            startup_id=target.pk if followable.subject else None,
            recipients=[target.pk] if followable.notify_target else [],
        )
    return follow, created


@transaction.atomic
def follow_delete(*, follower: User, target: models.Model) -> None:
    deleted, _ = Follow.objects.filter(
        follower=follower,
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
    ).delete()
    if deleted:
        search_cache.invalidate()


def follows_delete_for(*, target: models.Model) -> None:
    """A deleted person or startup (anything followable) is followed by nobody."""
    Follow.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=target.pk
    ).delete()


# --- notifications and the feed marker ------------------------------------------------------
def notification_create(*, user: User, event: ActivityEvent) -> Notification:
    """Notify one user of an event (at most once)."""
    notification, _ = Notification.objects.get_or_create(recipient=user, event=event)
    return notification


def notification_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_read_all(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def feed_marker_update(*, user: User) -> FeedMarker:
    marker, _ = FeedMarker.objects.update_or_create(user=user, defaults={"seen_at": timezone.now()})
    return marker


# --- the default mix of feed pages -----------------------------------------------------------
def _composition_cache_drop() -> None:
    cache.delete(COMPOSITION_CACHE_KEY)


@transaction.atomic
def feed_composition_update(*, personal: float, interest: float, by: User) -> FeedComposition:
    """Staff set the default mix (shares already checked: non-negative, summing to 1; stored
    as ``personal`` and ``1 - personal``). Holds the row's lock while it compares and writes;
    records ``feed_composition_changed`` (private to staff, the mix before and after) in this
    transaction, and drops the cached default after commit -- every process then reads the
    new row. Setting the mix it already has writes and records nothing."""
    from feed.events import feed_composition_changed_record

    if not by.is_staff:
        raise StaffOnly()
    personal = round(float(personal), 4)
    interest = round(1 - personal, 4)
    # The first write of two at once: the second waits on the row's unique key, then takes
    # the committed row (get_or_create re-reads it, locked) and changes that.
    row, created = FeedComposition.objects.select_for_update().get_or_create(
        pk=FeedComposition.SINGLETON,
        defaults={"personal": personal, "interest": interest, "updated_by": by},
    )
    before: dict[str, Any]
    if created:
        before = {**feed_composition_setting_get(), "from": "setting"}
    else:
        before = {"personal": row.personal, "interest": row.interest}
        if (row.personal, row.interest) == (personal, interest):
            return row
        row.personal, row.interest, row.updated_by = personal, interest, by
        row.save()
    feed_composition_changed_record(composition=row, before=before, by=by)
    transaction.on_commit(_composition_cache_drop)
    return row
