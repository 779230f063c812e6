"""The feed records what apps declare (their ``events.py``), and names none of them."""

import importlib

import pytest
from django.db import transaction

from core.events import EventType
from feed import presentation, registry
from feed import services as feed_services
from feed.exceptions import NotFollowable
from feed.models import ActivityEvent, Notification
from feed.serializers import EventSerializer
from tests.accounts.factories import UserFactory
from tests.startups.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def declared():
    """Declare an event type for one test, as a new app's events.py would."""
    added: list[str] = []

    def declare(event_type: EventType) -> EventType:
        registry.event_type_register(event_type)
        added.append(event_type.action)
        return event_type

    yield declare
    for action in added:
        registry._event_types.pop(action)


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        ("accounts", {"profile_updated", "user_followed"}),
        ("startups", {"startup_created", "opportunity_posted", "application_accepted"}),
        ("messaging", {"message_sent", "connection_requested", "connection_made"}),
        ("recommendations", {"recommendation_viewed"}),
        ("experiments", {"experiment_completed"}),
        ("feed", {"feed_composition_changed"}),
    ],
)
def test_every_app_declares_its_own_actions(app: str, expected: set[str]) -> None:
    declared = {t.action for t in importlib.import_module(f"{app}.events").EVENT_TYPES}
    assert expected <= declared
    assert declared <= {t.action for t in registry.event_type_list()}  # and feed found them


def test_feed_declares_only_its_own_staff_event() -> None:
    """Feed names no domain app's actions: its events.py holds the one change it makes
    itself (staff setting the feed's default mix), private, followable by nobody."""
    events = importlib.import_module("feed.events")
    assert [t.action for t in events.EVENT_TYPES] == ["feed_composition_changed"]
    assert not getattr(events, "FOLLOWABLES", [])
    assert not any(t.interest for t in events.EVENT_TYPES)
    assert registry.interest_actions() == ["opportunity_posted", "startup_created"]


def test_an_old_event_of_an_action_no_app_declares_still_fans_out(committed) -> None:
    """A retired action's undispatched event is notified and marked dispatched, not retried
    for ever."""
    reader = UserFactory()
    event = ActivityEvent.objects.create(
        action_type="something_retired", actor=UserFactory(), recipients=[reader.pk]
    )

    with committed():
        assert feed_services.event_fanout_run(event_id=event.pk) == 1

    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert Notification.objects.get(event=event).recipient == reader


def test_an_undeclared_action_is_refused_and_nothing_is_written() -> None:
    with pytest.raises(registry.UnknownEventType), transaction.atomic():
        feed_services.event_record(action_type="startup_exploded", actor=UserFactory())
    assert not ActivityEvent.objects.exists()


def test_a_new_action_needs_only_its_declaration(declared, committed) -> None:
    """No migration, no change in feed: the app declares it, records it, and it reads, fans
    out to whom its rule names, and appears in the API's list of action types."""
    audience = UserFactory()
    declared(
        EventType("demo_day_announced", "{actor} announced {name}", notify=lambda e: [audience.pk])
    )
    with committed():
        event = feed_services.event_record(
            action_type="demo_day_announced",
            actor=UserFactory(name="Ada"),
            snapshot={"name": "Demo Day"},
        )

    assert presentation.describe(event) == "Ada announced Demo Day"
    assert Notification.objects.get(event=event).recipient == audience
    choices = EventSerializer().fields["action_type"].choices
    assert "demo_day_announced" in choices
    assert "startup_created" in choices


def test_a_declaration_cannot_be_changed_by_a_second_one(declared) -> None:
    declared(EventType("demo_day_announced", "{actor} announced {name}"))
    with pytest.raises(Exception, match="declared twice"):
        registry.event_type_register(EventType("demo_day_announced", "{actor} did it"))


def test_only_what_an_app_declared_followable_can_be_followed() -> None:
    with pytest.raises(NotFollowable):
        feed_services.follow_create(follower=UserFactory(), target=OpportunityFactory())


def test_an_event_of_a_retired_action_still_reads() -> None:
    event = ActivityEvent.objects.create(action_type="something_retired", actor=UserFactory())
    assert presentation.describe(event).endswith("did something")
