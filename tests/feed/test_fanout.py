"""The fan-out: notifications once, after commit; the event table is the outbox."""

from datetime import timedelta

import pytest
from django.utils import timezone

from collabhub.celery import app
from feed import outbox
from feed import services as feed_services
from feed.models import ActivityEvent, Notification
from observability.breaker import breakers_reset
from startups import services
from tests.accounts.factories import FounderFactory, UserFactory
from tests.startups.factories import StartupFactory
from tests.support import celery_pools_reset, free_port

pytestmark = pytest.mark.django_db


def post_job(startup, title: str = "Engineer"):
    return services.opportunity_create(
        startup=startup, by=startup.owner, data={"title": title, "kind": "full-time"}
    )


def test_followers_of_a_startup_are_notified_of_its_new_opportunity(
    django_capture_on_commit_callbacks,
) -> None:
    startup = StartupFactory()
    fans = [UserFactory(), UserFactory()]
    for fan in fans:
        feed_services.follow_create(follower=fan, target=startup)
    with django_capture_on_commit_callbacks(execute=True):
        post_job(startup)

    event = ActivityEvent.objects.get(action_type="opportunity_posted")
    assert {n.recipient for n in Notification.objects.filter(event=event)} == set(fans)
    assert event.dispatched_at is not None


def test_a_retried_fanout_notifies_nobody_twice(committed) -> None:
    startup = StartupFactory()
    fan = UserFactory()
    feed_services.follow_create(follower=fan, target=startup)
    with committed():
        post_job(startup)
    event = ActivityEvent.objects.get(action_type="opportunity_posted")

    # A redelivered task after the first run, and a run racing past the dispatched mark.
    assert feed_services.event_fanout_run(event_id=event.pk) == 0
    ActivityEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
    feed_services.event_fanout_run(event_id=event.pk)

    assert Notification.objects.filter(event=event, recipient=fan).count() == 1


def test_a_new_follower_is_notified(committed) -> None:
    ada, grace = UserFactory(), UserFactory()
    with committed():
        feed_services.follow_create(follower=grace, target=ada)
    [notification] = Notification.objects.filter(recipient=ada)
    assert notification.event.action_type == "user_followed"
    assert notification.event.actor == grace


def test_an_event_left_undispatched_by_a_broker_outage_is_redispatched(
    django_capture_on_commit_callbacks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    startup = StartupFactory()
    fan = UserFactory()
    feed_services.follow_create(follower=fan, target=startup)
    dead = f"redis://127.0.0.1:{free_port()}/0"
    previous = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=dead)
    celery_pools_reset()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            post_job(startup)  # the request succeeds although the broker is down
        outbox.publisher_drain()  # the publish (off the request path) has failed
    finally:
        app.conf.update(previous)
        celery_pools_reset()  # forget the pools made for the dead broker
        breakers_reset()

    event = ActivityEvent.objects.get(action_type="opportunity_posted")
    assert event.dispatched_at is None
    assert not Notification.objects.filter(event=event).exists()
    assert any("re-dispatched" in r.getMessage() for r in caplog.records)

    # Not yet: the sweep leaves recent events to their own task.
    assert feed_services.events_redispatch() == 0
    ActivityEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert feed_services.events_redispatch() == 1  # the broker is back (eager here)

    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert Notification.objects.get(event=event).recipient == fan


def test_log_activity_drops_a_double_click() -> None:
    user, startup = UserFactory(), StartupFactory()
    first = feed_services.event_record_once(
        action_type="recommendation_viewed", actor=user, target=startup, is_public=False
    )
    second = feed_services.event_record_once(
        action_type="recommendation_viewed", actor=user, target=startup, is_public=False
    )
    assert first.pk == second.pk
    ActivityEvent.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(seconds=6)
    )
    third = feed_services.event_record_once(
        action_type="recommendation_viewed", actor=user, target=startup, is_public=False
    )
    assert third.pk != first.pk


def test_notify_user_is_idempotent() -> None:
    user = UserFactory()
    event = feed_services.event_record(action_type="message_sent", actor=UserFactory())
    feed_services.notification_create(user=user, event=event)
    feed_services.notification_create(user=user, event=event)
    assert Notification.objects.filter(recipient=user, event=event).count() == 1


def test_the_redispatcher_leaves_recently_requeued_and_hopeless_events_alone() -> None:
    old = timezone.now() - timedelta(minutes=5)
    stuck = feed_services.event_record(action_type="profile_updated", actor=UserFactory())
    hopeless = feed_services.event_record(action_type="profile_updated", actor=None)
    ActivityEvent.objects.filter(pk__in=[stuck.pk, hopeless.pk]).update(created_at=old)
    ActivityEvent.objects.filter(pk=hopeless.pk).update(
        dispatch_attempts=feed_services.MAX_DISPATCH_ATTEMPTS
    )

    assert feed_services.events_redispatch() == 1  # the stuck one (eager here: it runs)
    stuck.refresh_from_db()
    assert stuck.dispatched_at is not None and stuck.dispatch_attempts == 1
    hopeless.refresh_from_db()
    assert hopeless.dispatched_at is None and hopeless.dispatch_attempts == 10

    # One the broker accepted is waiting in the queue (or running): left to its task ...
    waiting = feed_services.event_record(action_type="profile_updated", actor=None)
    ActivityEvent.objects.filter(pk=waiting.pk).update(created_at=old, queued_at=old)
    assert feed_services.events_redispatch() == 0
    # ... until it has been pending longer than any task can take: then it is lost.
    lost = timezone.now() - feed_services.LOST_AFTER - timedelta(seconds=1)
    ActivityEvent.objects.filter(pk=waiting.pk).update(queued_at=lost)
    assert feed_services.events_redispatch() == 1
    waiting.refresh_from_db()
    assert waiting.dispatched_at is not None


@pytest.mark.django_db(transaction=True)  # real commits: on_commit runs inside the request
def test_a_fan_out_that_fails_after_commit_does_not_fail_the_request(
    client_for,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Eager (no broker): the fan-out runs right after commit. If it fails, the change is
    committed all the same: the request says so (201), and the outbox retries the fan-out."""
    from django.db import OperationalError

    founder = FounderFactory()

    def locked(*, event_id: int) -> int:
        raise OperationalError("database is locked")

    monkeypatch.setattr(feed_services, "event_fanout_run", locked)
    response = client_for(founder).post(
        "/api/v1/startups/", {"name": "Committed", "industry": "ai"}, format="json"
    )

    assert response.status_code == 201, response.content
    event = ActivityEvent.objects.get(action_type="startup_created")
    assert event.dispatched_at is None  # left in the outbox
    monkeypatch.undo()
    ActivityEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert feed_services.events_redispatch() == 1
    event.refresh_from_db()
    assert event.dispatched_at is not None


def test_a_broker_that_lost_its_memory_gets_every_accepted_fan_out_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Restarted empty, the broker forgot the tasks it had accepted, however recent: one run
    of the sweep queues them all again, batch after batch."""
    events = [
        feed_services.event_record(action_type="profile_updated", actor=UserFactory())
        for _ in range(5)
    ]
    recently = timezone.now() - timedelta(seconds=5)
    ActivityEvent.objects.filter(pk__in=[e.pk for e in events]).update(
        dispatched_at=None, queued_at=recently, created_at=recently
    )
    assert feed_services.events_redispatch() == 0  # waiting in the queue: left alone

    monkeypatch.setattr(feed_services, "broker_memory_lost", lambda: True)
    monkeypatch.setattr(feed_services, "REDISPATCH_BATCH", 2)

    assert feed_services.events_redispatch() == 5
    assert not ActivityEvent.objects.filter(dispatched_at__isnull=True).exists()
