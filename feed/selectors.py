"""Reads of the feed. The personal feed is composed of two sources, mixed by a ratio:

* personal -- events by the people and about the subjects (startups) the user follows;
* interest -- public events of the kinds their apps declared ``interest`` (a new startup, a
  posted opportunity) matching the user's interests (industries) or skills, from people and
  subjects they do not follow.

Each page takes ``round(size * ratio)`` events from the first and the rest from the second
(more from one when the other runs dry), newest first, and a cursor per source on
``(created_at, id)``: pages stay stable while new events arrive. Every page costs the same
queries (the user's skills, one per source), whatever its size.
"""

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import User
from accounts.selectors import user_list
from core.db.prepared import Fixed, Prepared
from feed import registry
from feed.exceptions import InvalidCursor
from feed.metrics import PAGE_DURATION
from feed.models import (
    ActivityEvent,
    EventAudience,
    FeedComposition,
    FeedMarker,
    Follow,
    Notification,
)

UNREAD_CAP = 99  # "99+" is enough for a badge, and bounds the count's cost


def subject_content_type() -> ContentType | None:
    """The content type of what events are about (``startup_id``), as its app declared."""
    model = registry.subject_model()
    return ContentType.objects.get_for_model(model) if model is not None else None


def follower_id_list(*, target_type: ContentType, target_id: int) -> list[int]:
    """Who follows a person or a startup."""
    return list(
        Follow.objects.filter(target_type=target_type, target_id=target_id).values_list(
            "follower_id", flat=True
        )
    )


def follower_count(*, target: Any) -> int:
    """How many follow a person or a startup."""
    target_type = ContentType.objects.get_for_model(target)
    return Follow.objects.filter(target_type=target_type, target_id=target.pk).count()


def feed_audience_list(*, event: ActivityEvent) -> list[int]:
    """Whose personal feed shows the event: the followers of its actor and of its subject,
    among those allowed to see it, never the actor."""
    user_type = ContentType.objects.get_for_model(User)
    followers = (
        set(follower_id_list(target_type=user_type, target_id=event.actor_id))
        if event.actor_id
        else set()
    )
    subject_type = subject_content_type()
    if event.startup_id and subject_type is not None:
        followers |= set(follower_id_list(target_type=subject_type, target_id=event.startup_id))
    if not event.is_public:
        followers &= set(
            EventAudience.objects.filter(event=event).values_list("user_id", flat=True)
        )
    followers.discard(event.actor_id)
    return sorted(followers)


COMPOSITION_CACHE_KEY = "feed:composition:default"
COMPOSITION_CACHE_SECONDS = 60  # a bound on staleness should an invalidation be lost


@dataclass(frozen=True)
class Composition:
    """The mix of one person's feed pages and where it comes from."""

    personal: float
    interest: float
    source: str  # "default" (staff's row, else the setting) or "experiment"
    experiment: dict[str, Any] | None = None


def feed_composition_default_get() -> dict[str, float]:
    """The default mix: the row staff set (``FeedComposition``), else
    ``settings.FEED_COMPOSITION``. Cached for a minute in the shared cache and dropped when
    staff change it (``feed_composition_update``), so every process serves a change at once;
    with the cache down every call reads the row (one primary-key query)."""
    stored = cache.get(COMPOSITION_CACHE_KEY)
    if stored is None:
        row = FeedComposition.objects.filter(pk=FeedComposition.SINGLETON).values(
            "personal", "interest"
        )
        stored = row.first() or {}  # {}: no row, the setting applies (cached as such too)
        cache.set(COMPOSITION_CACHE_KEY, stored, COMPOSITION_CACHE_SECONDS)
    if stored:
        return {"personal": float(stored["personal"]), "interest": float(stored["interest"])}
    return feed_composition_setting_get()


def feed_composition_setting_get() -> dict[str, float]:
    """The mix of ``settings.FEED_COMPOSITION``: the default while staff set none."""
    personal = min(1.0, max(0.0, float(settings.FEED_COMPOSITION)))
    return {"personal": personal, "interest": round(1 - personal, 4)}


def feed_composition_get(*, user: User) -> Composition:
    """The mix of the user's feed pages: the variant of the experiment they are in (the
    callable named by ``FEED_COMPOSITION_HOOK``, called as ``hook(user=)``, returns the personal
    share, or a mapping of it as ``personal`` and of the experiment as ``experiment``; None
    outside any), else the default (``feed_composition_default_get``)."""
    hook = getattr(settings, "FEED_COMPOSITION_HOOK", "")
    if hook:
        value = import_string(hook)(user=user)
        if value is not None:
            experiment = None
            if isinstance(value, Mapping):
                experiment = value.get("experiment")
                value = value["personal"]
            personal = min(1.0, max(0.0, float(value)))
            return Composition(personal, round(1 - personal, 4), "experiment", experiment)
    default = feed_composition_default_get()
    return Composition(default["personal"], default["interest"], "default")


def feed_share_get(*, user: User) -> float:
    """The personal share of the user's feed pages (``feed_composition_get``)."""
    return feed_composition_get(user=user).personal


# The sources are built from plain values (the user's id, skills and interests, the content
# types' ids, the time of the first page): the API's page reads them as prepared queries
# (``core/db/prepared.py``, compiled once per shape) and everything else as querysets.


def _followed(user_id: Any, type_id: Any, as_of: Any) -> QuerySet[Any]:
    follows = Follow.objects.filter(follower_id=user_id, target_type_id=type_id)
    if as_of is not None:
        follows = follows.filter(created_at__lte=as_of)
    return follows.values("target_id")


def _personal_condition(user_id: Any, as_of: Any, user_type_id: Any, subject_type_id: Any) -> Q:
    """Events by followed people or about followed subjects -- the follows as they were at
    ``as_of`` (the first page's time), so following someone between pages moves nothing."""
    condition = Q(actor_id__in=_followed(user_id, user_type_id, as_of))
    if subject_type_id is not None:
        condition |= Q(startup_id__in=_followed(user_id, subject_type_id, as_of))
    return condition


def _personal_events(
    *, user_id: Any, user_type_id: Any, as_of: Any = None, subject_type_id: Any = None
) -> QuerySet[ActivityEvent]:
    return (
        ActivityEvent.objects.visible_to_id(user_id)
        .filter(_personal_condition(user_id, as_of, user_type_id, subject_type_id))
        .exclude(actor_id=user_id)
    )


def _interest_events(
    *,
    user_id: Any,
    user_type_id: Any,
    skill_ids: Any,
    interests: Any,
    actions: Any,
    as_of: Any = None,
    subject_type_id: Any = None,
) -> QuerySet[ActivityEvent]:
    matches: Any = Q(industry__in=interests)
    if skill_ids:
        through = ActivityEvent.skills.through
        matches |= Exists(
            through.objects.filter(activityevent_id=OuterRef("pk"), skill_id__in=skill_ids)
        )
    return (
        ActivityEvent.objects.filter(is_public=True, action_type__in=actions)
        .filter(matches)
        .exclude(_personal_condition(user_id, as_of, user_type_id, subject_type_id))
        .exclude(actor_id=user_id)
    )


def _source_values(user: User, as_of: datetime | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "user_id": user.pk,
        "user_type_id": ContentType.objects.get_for_model(User).pk,
    }
    subject_type = subject_content_type()
    if subject_type is not None:
        values["subject_type_id"] = subject_type.pk
    if as_of is not None:
        values["as_of"] = as_of
    return values


def _interest_values(user: User) -> dict[str, Any]:
    return {
        "skill_ids": list(user.skills.values_list("pk", flat=True)),
        "interests": list(user.interests or []),
        "actions": list(registry.interest_actions()),
    }


def personal_event_list(*, user: User, as_of: datetime | None = None) -> QuerySet[ActivityEvent]:
    return _personal_events(**_source_values(user, as_of)).select_related("actor")


def interest_event_list(*, user: User, as_of: datetime | None = None) -> QuerySet[ActivityEvent]:
    return _interest_events(**_source_values(user, as_of), **_interest_values(user)).select_related(
        "actor"
    )


def feed_event_list(*, user: User) -> QuerySet[ActivityEvent]:
    """Everything either source could show (for the unread count)."""
    return (personal_event_list(user=user) | interest_event_list(user=user)).distinct()


# --- the composed, cursor-paginated page ----------------------------------------------------
Position = tuple[datetime, int] | None


@dataclass
class FeedPage:
    events: list[ActivityEvent]
    next_cursor: str | None
    personal_share: float


MAX_ID = 2**63 - 1
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, tzinfo=UTC)


def _encode(as_of: datetime, positions: dict[str, Position]) -> str:
    data: dict[str, Any] = {"as_of": as_of.isoformat()}
    data.update({key: [p[0].isoformat(), p[1]] if p else None for key, p in positions.items()})
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _moment(text: Any) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    moment = moment.astimezone(UTC)
    if not EARLIEST <= moment <= LATEST:
        raise ValueError("out of range")
    return moment


def _decode(cursor: str) -> tuple[datetime, dict[str, Position]]:
    """The first page's time and each source's position; anything else is a 400."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        positions: dict[str, Position] = {}
        for key in ("personal", "interest"):
            value = data.get(key)
            if value:
                pk = int(value[1])
                if not 0 < pk <= MAX_ID:
                    raise ValueError("id out of range")
                positions[key] = (_moment(value[0]), pk)
            else:
                positions[key] = None
        return _moment(data["as_of"]), positions
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        OverflowError,
        binascii.Error,
    ) as exc:
        raise InvalidCursor() from exc


def _after(queryset: QuerySet[ActivityEvent], position: Position) -> QuerySet[ActivityEvent]:
    if position is not None:
        created_at, pk = position
        queryset = queryset.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk)
        )
    return queryset.order_by("-created_at", "-id")


def _source_page(source: Any) -> Prepared:
    """One source's events after a position (``after_at``/``after_id`` given or not), newest
    first, with the actor's name: the page's query, compiled once per shape."""

    def build(*, limit: Any, after_at: Any = None, after_id: Any = None, **values: Any) -> Any:
        position = None if after_at is None else (after_at, after_id)
        events = _after(source(**values), position).annotate(actor_name=F("actor__name"))
        return events[:limit]

    return Prepared(build)


_personal_page = _source_page(_personal_events)
_interest_page = _source_page(_interest_events)


def _position(position: Position) -> dict[str, Any]:
    return {} if position is None else {"after_at": position[0], "after_id": position[1]}


def _with_actors(events: list[ActivityEvent]) -> list[ActivityEvent]:
    """Each event's actor as ``select_related`` would give it, from the annotated name (an
    instance with its id and name; any other field of it is read when asked for)."""
    for event in events:
        actor = None
        if event.actor_id is not None:
            name = event.actor_name  # type: ignore[attr-defined]
            actor = User.from_db(DEFAULT_DB_ALIAS, ["id", "name"], [event.actor_id, name])
        ActivityEvent.actor.field.set_cached_value(event, actor)
    return events


def feed_mix(
    *, fetched: Mapping[str, list[ActivityEvent]], size: int, personal_share: float
) -> tuple[list[ActivityEvent], dict[str, list[ActivityEvent]]]:
    """A page of ``size`` from each source's events (newest first): ``round(size * share)``
    personal ones and the rest interest ones, a source with fewer than its share leaving the
    rest to the other. Returns the page, newest first, and what each source gave."""
    want = {"personal": round(size * personal_share)}
    want["interest"] = size - want["personal"]
    for key, other in (("personal", "interest"), ("interest", "personal")):
        spare = want[key] - min(want[key], len(fetched[key]))
        want[key] -= spare
        want[other] += spare
    taken = {key: list(fetched[key][: want[key]]) for key in ("personal", "interest")}
    events = sorted(taken["personal"] + taken["interest"], key=lambda e: (e.created_at, e.pk))
    events.reverse()
    return events, taken


def feed_page_get(*, user: User, size: int, cursor: str | None, personal_share: float) -> FeedPage:
    """One page of the feed, timed (``feed_generation_duration_seconds``)."""
    with PAGE_DURATION.time():
        return _feed_page_build(user=user, size=size, cursor=cursor, personal_share=personal_share)


def _feed_page_build(
    *, user: User, size: int, cursor: str | None, personal_share: float
) -> FeedPage:
    if cursor:
        as_of, positions = _decode(cursor)
    else:
        as_of, positions = timezone.now(), {"personal": None, "interest": None}
    values = _source_values(user, as_of)
    sources = {
        "personal": (_personal_page, values),
        "interest": (_interest_page, {**values, **_interest_values(user)}),
    }
    fetched = {
        key: _with_actors(page(**given, **_position(positions[key]), limit=Fixed(size + 1)))
        for key, (page, given) in sources.items()
    }
    events, taken = feed_mix(fetched=fetched, size=size, personal_share=personal_share)
    more = any(len(fetched[key]) > len(taken[key]) for key in sources)
    next_positions = {
        key: ((taken[key][-1].created_at, taken[key][-1].pk) if taken[key] else positions[key])
        for key in sources
    }
    return FeedPage(events, _encode(as_of, next_positions) if more else None, personal_share)


def feed_unread_count(*, user: User) -> int:
    marker = FeedMarker.objects.filter(user=user).values_list("seen_at", flat=True).first()
    events = feed_event_list(user=user)
    if marker is not None:
        events = events.filter(created_at__gt=marker)
    return len(events.values_list("pk", flat=True)[: UNREAD_CAP + 1])


def user_event_list(*, user: User, viewer: Any) -> QuerySet[ActivityEvent]:
    """A user's own events: the public ones, and all of them to the user themself."""
    events = ActivityEvent.objects.filter(actor=user).select_related("actor")
    if getattr(viewer, "pk", None) != user.pk:
        events = events.filter(is_public=True)
    return events.order_by("-created_at", "-id")


def notification_badge_get(*, user: User) -> tuple[int, int]:
    """(unread notifications, the newest one's id or 0), read together: a page shows the one
    and its socket resumes after the other, so nothing is counted twice or missed."""
    row = Notification.objects.filter(recipient=user).aggregate(
        unread=Count("pk", filter=Q(read_at__isnull=True)), last=Max("pk")
    )
    return row["unread"], row["last"] or 0


def follow_state_get(*, target: User, viewer: Any) -> dict[str, Any]:
    user_type = ContentType.objects.get_for_model(User)
    followers = Follow.objects.filter(target_type=user_type, target_id=target.pk)
    viewer_id = viewer.pk if getattr(viewer, "is_authenticated", False) else None
    return {
        "following": viewer_id is not None and followers.filter(follower_id=viewer_id).exists(),
        "followers_count": followers.count(),
        "following_count": Follow.objects.filter(follower=target).count(),
    }


# --- resume: pushes a socket missed, from the database ---------------------------------------
def notification_resume_list(*, user_id: int, after: int, limit: int) -> list[dict[str, Any]]:
    from feed.serializers import notification_messages

    rows = (
        Notification.objects.filter(recipient_id=user_id, pk__gt=after)
        .select_related("event__actor")
        .order_by("pk")[:limit]
    )
    return notification_messages(rows)


def feed_event_resume_list(*, user_id: int, after: int, limit: int) -> list[dict[str, Any]]:
    """The ``feed.event`` pushes sent after the one with id ``after``: events of the personal
    feed in the order their fan-outs ran (which is not id order when the broker was down),
    from the moment that one's ran. Events whose fan-out has not run will be pushed live."""
    from feed.serializers import event_message

    user = User.objects.get(pk=user_id)
    rows = personal_event_list(user=user).filter(dispatched_at__isnull=False)
    seen = ActivityEvent.objects.filter(pk=after).values_list("dispatched_at", flat=True).first()
    if seen is not None:
        rows = rows.filter(Q(dispatched_at__gt=seen) | Q(dispatched_at=seen, pk__gt=after))
    elif after:
        rows = rows.filter(pk__gt=after)
    rows = rows.order_by("dispatched_at", "pk")
    return [event_message(row) for row in rows[:limit]]


# --- notifications and follow lists ----------------------------------------------------------
def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """One's notifications (newest first by the view's cursor), or only the unread ones."""
    notifications = Notification.objects.filter(recipient=user).select_related("event__actor")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def follower_list(*, user: User) -> QuerySet[User]:
    """The people who follow ``user``, by name."""
    user_type = ContentType.objects.get_for_model(User)
    follows = Follow.objects.filter(target_type=user_type, target_id=user.pk)
    return _people(follows.values("follower_id"))


def following_list(*, user: User) -> QuerySet[User]:
    """The people ``user`` follows, by name."""
    user_type = ContentType.objects.get_for_model(User)
    follows = Follow.objects.filter(follower=user, target_type=user_type)
    return _people(follows.values("target_id"))


def _people(ids: QuerySet[Any]) -> QuerySet[User]:
    return user_list().filter(pk__in=ids).order_by("name", "id")
