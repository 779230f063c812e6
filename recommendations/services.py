"""Recording interactions: from the API, and from the events other apps record (saves,
follows, applications), which this app subscribes to rather than being called by them. And
keeping cached recommendations true: invalidating a person's, stamping changed items."""

import time
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from feed.models import ActivityEvent
from recommendations import events
from recommendations.exceptions import InteractionRecordedByServer, ItemNotFound
from recommendations.models import Interaction, InteractionKind, ItemType
from recommendations.selectors import STAMP_KEY, VERSION_KEY, stamp_timeout
from startups import events as startup_events
from startups.models import Opportunity, Startup

ITEM_MODELS = {ItemType.STARTUP: Startup, ItemType.OPPORTUNITY: Opportunity}

# Events of other apps that are interactions too.
EVENT_INTERACTIONS: dict[str, tuple[str, str]] = {
    startup_events.STARTUP_SAVED: (InteractionKind.SAVE, ItemType.STARTUP),
    startup_events.OPPORTUNITY_SAVED: (InteractionKind.SAVE, ItemType.OPPORTUNITY),
    startup_events.STARTUP_FOLLOWED: (InteractionKind.FOLLOW, ItemType.STARTUP),
    startup_events.APPLICATION_CREATED: (InteractionKind.APPLY, ItemType.OPPORTUNITY),
}
# Events that undo one of those (unsaves and unfollows delete rows: see apps.py).
EVENT_UNDOES: dict[str, tuple[str, str]] = {
    startup_events.APPLICATION_WITHDRAWN: (InteractionKind.APPLY, ItemType.OPPORTUNITY),
}


@transaction.atomic
def interaction_record(
    *,
    user: User,
    kind: str,
    item_type: str,
    item_id: int,
    from_recommendation: bool = False,
) -> Interaction:
    """Record what ``user`` did with an item; a view of a recommended item also records
    ``recommendation_viewed`` (private, a double click counted once)."""
    model = ITEM_MODELS[ItemType(item_type)]
    item = model._default_manager.filter(pk=item_id).first()
    if item is None:
        raise ItemNotFound(f"No {item_type} with id {item_id}.", code=f"{item_type}_not_found")
    interaction = Interaction.objects.create(
        user=user, kind=InteractionKind(kind), item_type=item_type, item_id=item_id
    )
    if from_recommendation and kind == InteractionKind.VIEW:
        events.recommendation_viewed_record(user=user, item=item, item_type=item_type)
    return interaction


# What a client can truthfully assert. Saves, follows and applications are interactions only
# when the real save, follow or application exists: their own endpoints record them.
CLIENT_KINDS = frozenset(
    {InteractionKind.VIEW, InteractionKind.LIKE, InteractionKind.SHARE, InteractionKind.DISMISS}
)
SERVER_ENDPOINTS = {
    InteractionKind.SAVE: "POST /api/v1/startups/{id}/save/ or /opportunities/{id}/save/",
    InteractionKind.FOLLOW: "POST /api/v1/startups/{id}/follow/",
    InteractionKind.APPLY: "POST /api/v1/opportunities/{id}/apply/",
}
ONCE = frozenset({InteractionKind.LIKE, InteractionKind.DISMISS})  # per person and item
REPEAT_WINDOW = timedelta(minutes=30)  # a view or share repeated within it counts once


@transaction.atomic
def interaction_record_by_client(
    *, user: User, kind: str, item_type: str, item_id: int, from_recommendation: bool = False
) -> tuple[Interaction, bool]:
    """An interaction a client reports; (it, whether it is new). A like or a dismiss is one
    per person and item, a view or share repeated within ``REPEAT_WINDOW`` is the same one:
    repetition cannot make an item look more popular than the people who engaged with it."""
    if kind not in CLIENT_KINDS:
        raise InteractionRecordedByServer(
            f"A {kind} is recorded when it happens: {SERVER_ENDPOINTS[InteractionKind(kind)]}.",
            fields={"kind": [f"Clients may record {', '.join(sorted(CLIENT_KINDS))}."]},
        )
    same = Interaction.objects.filter(user=user, kind=kind, item_type=item_type, item_id=item_id)
    if kind not in ONCE:
        same = same.filter(created_at__gte=timezone.now() - REPEAT_WINDOW)
    existing = same.order_by("-created_at").first()
    if existing is not None:
        return existing, False
    interaction = interaction_record(
        user=user,
        kind=kind,
        item_type=item_type,
        item_id=item_id,
        from_recommendation=from_recommendation,
    )
    return interaction, True


def interaction_record_from_event(*, event: ActivityEvent) -> Interaction | None:
    """The interaction an event of another app stands for, if any (same transaction); an
    event that undoes one (a withdrawn application) removes it."""
    mapping = EVENT_INTERACTIONS.get(event.action_type) or EVENT_UNDOES.get(event.action_type)
    if mapping is None or event.actor_id is None:
        return None
    kind, item_type = mapping
    item_id: Any = event.target_id
    if item_type == ItemType.OPPORTUNITY and event.snapshot.get("type") == "application":
        item_id = event.snapshot.get("opportunity_id")
    if item_id is None:
        return None
    if event.action_type in EVENT_UNDOES:
        interaction_undo(user_id=event.actor_id, kind=kind, item_type=item_type, item_id=item_id)
        return None
    return Interaction.objects.create(
        user_id=event.actor_id, kind=kind, item_type=item_type, item_id=item_id
    )


def recommendations_invalidate(*, user_id: int) -> None:
    """After commit, a person's cached recommendations (every type) are no longer served."""

    def bump() -> None:
        cache.set(VERSION_KEY.format(user_id=user_id), time.time_ns(), stamp_timeout())

    transaction.on_commit(bump)


def item_stamp(*, kind: str, item_id: int) -> None:
    """After commit, any cached recommendations showing this item are recomputed on read.
    ``kind`` is a result's kind: startup, opportunity or talent."""

    def stamp() -> None:
        cache.set(STAMP_KEY.format(kind=kind, item_id=item_id), time.time(), stamp_timeout())

    transaction.on_commit(stamp)


def interaction_undo(*, user_id: int, kind: str, item_type: str, item_id: int) -> None:
    """An unsave, unfollow or withdrawal: it no longer says anything about the person."""
    Interaction.objects.filter(
        user_id=user_id, kind=kind, item_type=item_type, item_id=item_id
    ).delete()
    recommendations_invalidate(user_id=user_id)
