from typing import Any

import factory
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from factory.django import DjangoModelFactory

from feed.models import (
    ActivityEvent,
    EventAudience,
    FeedComposition,
    FeedMarker,
    Follow,
    Notification,
)
from tests.accounts.factories import UserFactory


def _content_type(obj: Any) -> ContentType | None:
    return ContentType.objects.get_for_model(obj) if obj is not None else None


class ActivityEventFactory(DjangoModelFactory):
    """An event as ``feed.services.event_record`` stores it, without its side effects: no
    fan-out is queued, so the row is stored as already dispatched (pass ``dispatched_at=None``
    for an event still in the outbox). Its target (``target=...``, the actor by default) sets
    ``target_type`` / ``target_id``."""

    class Meta:
        model = ActivityEvent

    class Params:
        target = factory.SelfAttribute("actor")

    actor = factory.SubFactory(UserFactory)
    action_type = "profile_updated"
    target_type = factory.LazyAttribute(lambda o: _content_type(o.target))
    target_id = factory.LazyAttribute(lambda o: o.target.pk if o.target is not None else None)
    snapshot = factory.LazyAttribute(
        lambda o: (
            {"type": "user", "name": o.actor.name, "headline": o.actor.headline} if o.actor else {}
        )
    )
    created_at = factory.LazyFunction(timezone.now)
    dispatched_at = factory.SelfAttribute("created_at")


class EventAudienceFactory(DjangoModelFactory):
    """Someone who may see a private event."""

    class Meta:
        model = EventAudience

    event = factory.SubFactory(ActivityEventFactory, is_public=False)
    user = factory.SubFactory(UserFactory)


class FollowFactory(DjangoModelFactory):
    """``follower`` follows ``target`` (a user by default; pass ``target=startup``)."""

    class Meta:
        model = Follow

    class Params:
        target = factory.SubFactory(UserFactory)

    follower = factory.SubFactory(UserFactory)
    target_type = factory.LazyAttribute(lambda o: _content_type(o.target))
    target_id = factory.SelfAttribute("target.pk")


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    event = factory.SubFactory(ActivityEventFactory)
    created_at = factory.LazyFunction(timezone.now)


class FeedMarkerFactory(DjangoModelFactory):
    class Meta:
        model = FeedMarker

    user = factory.SubFactory(UserFactory)
    seen_at = factory.LazyFunction(timezone.now)


class FeedCompositionFactory(DjangoModelFactory):
    """The staff-set default mix (one row). Only the row: not the audit event nor the cache
    drop of ``feed.services``."""

    class Meta:
        model = FeedComposition
        django_get_or_create = ("id",)

    id = FeedComposition.SINGLETON
    personal = 0.7
    interest = 0.3
