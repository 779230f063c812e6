"""Each action is recorded by its service, in the same transaction, and fanned out after commit."""

import pytest
from django.db import transaction

from accounts import services as account_services
from feed.models import ActivityEvent, Notification
from feed.outbox import publish_soon
from feed.services import event_publish
from observability.context import request_id_var
from startups import services
from tests.accounts.factories import FounderFactory, UserFactory
from tests.startups.factories import ApplicationFactory, OpportunityFactory, StartupFactory

pytestmark = pytest.mark.django_db


def last_event() -> ActivityEvent:
    return ActivityEvent.objects.order_by("-id").first()


def test_startup_created_and_updated() -> None:
    founder = FounderFactory(name="Ada Lovelace")
    startup = services.startup_create(owner=founder, data={"name": "Acme", "industry": "ai"})
    event = last_event()
    assert (event.action_type, event.actor, event.startup_id) == (
        "startup_created",
        founder,
        startup.pk,
    )
    assert event.snapshot["name"] == "Acme" and event.is_public and event.industry == "ai"

    services.startup_update(startup=startup, by=founder, data={"tagline": "Rockets"})
    assert last_event().action_type == "startup_updated"
    assert last_event().snapshot["tagline"] == "Rockets"


def test_opportunity_posted_and_closed() -> None:
    startup = StartupFactory(name="Acme")
    job = services.opportunity_create(
        startup=startup,
        by=startup.owner,
        data={"title": "Django Engineer", "kind": "full-time", "skills": ["django"]},
    )
    event = last_event()
    assert event.action_type == "opportunity_posted"
    assert event.snapshot == {
        "type": "opportunity",
        "title": "Django Engineer",
        "kind": "full-time",
        "startup": {"id": startup.pk, "name": "Acme", "slug": startup.slug},
    }
    assert [s.name for s in event.skills.all()] == ["django"]

    services.opportunity_update(opportunity=job, by=startup.owner, data={"status": "closed"})
    assert last_event().action_type == "opportunity_closed"


def test_application_events_are_private_and_notify_the_other_side(committed) -> None:
    job = OpportunityFactory(title="Engineer")
    owner, talent = job.startup.owner, UserFactory()
    with committed():
        application = services.application_create(opportunity=job, applicant=talent)
    created = last_event()
    assert created.action_type == "application_created" and not created.is_public
    assert set(created.audience.all()) == {owner, talent}
    assert Notification.objects.get(event=created).recipient == owner

    with committed():
        services.application_accept(application=application, by=owner)
    accepted = last_event()
    assert accepted.action_type == "application_accepted"
    assert Notification.objects.get(event=accepted).recipient == talent


@pytest.mark.parametrize(
    ("decide", "action", "notified"),
    [
        ("reject", "application_rejected", "applicant"),
        ("withdraw", "application_withdrawn", "owner"),
    ],
)
def test_rejected_and_withdrawn(committed, decide: str, action: str, notified: str) -> None:
    application = ApplicationFactory()
    owner = application.opportunity.startup.owner
    with committed():
        if decide == "reject":
            services.application_reject(application=application, by=owner)
        else:
            services.application_withdraw(application=application, by=application.applicant)
    event = last_event()
    assert event.action_type == action
    expected = application.applicant if notified == "applicant" else owner
    assert [n.recipient for n in Notification.objects.filter(event=event)] == [expected]


def test_saves_are_private_to_the_saver() -> None:
    user, startup = UserFactory(), StartupFactory()
    services.save_create(user=user, startup=startup)
    event = last_event()
    assert event.action_type == "startup_saved" and not event.is_public
    assert list(event.audience.all()) == [user]
    services.save_create(user=user, startup=startup)  # already saved: no second event
    assert ActivityEvent.objects.filter(action_type="startup_saved").count() == 1

    job = OpportunityFactory()
    services.save_create(user=user, opportunity=job)
    assert last_event().action_type == "opportunity_saved"


def test_profile_updated_is_recorded_through_the_accounts_signal() -> None:
    user = UserFactory()
    account_services.user_update(user=user, data={"headline": "Rust person"})
    event = last_event()
    assert (event.action_type, event.actor, event.snapshot["headline"]) == (
        "profile_updated",
        user,
        "Rust person",
    )


def test_an_edit_that_changes_nothing_records_nothing(client_for, committed) -> None:
    """A PATCH repeating what is there writes nothing, records no event and leaves cached
    recommendations alone; a PATCH changing one field names that field only."""
    from django.core.cache import cache

    from recommendations.selectors import VERSION_KEY

    user = UserFactory(headline="Rust person", skills=["rust"])
    startup = StartupFactory(tagline="Rockets", skills=["python"])
    api, owner_api = client_for(user), client_for(startup.owner)
    before = ActivityEvent.objects.count()
    version = cache.get(VERSION_KEY.format(user_id=user.pk))

    same_profile = {"headline": "Rust person", "skills": ["Rust"]}
    same_startup = {"tagline": "Rockets", "skills": ["python"], "name": startup.name}
    with committed():  # what would run after commit (the recommendations' version) runs
        assert api.patch("/api/v1/auth/me/", same_profile).status_code == 200
        assert owner_api.patch(f"/api/v1/startups/{startup.pk}/", same_startup).status_code == 200

    assert ActivityEvent.objects.count() == before
    assert cache.get(VERSION_KEY.format(user_id=user.pk)) == version
    account_services.user_update(user=user, data={"headline": "Go person", "bio": user.bio})
    assert last_event().snapshot["fields"] == ["headline"]


def test_a_skills_only_edit_is_news_and_moves_updated_at() -> None:
    startup = StartupFactory(skills=["python"])
    before = startup.updated_at

    services.startup_update(startup=startup, by=startup.owner, data={"skills": ["rust"]})

    startup.refresh_from_db()
    assert startup.updated_at > before
    assert last_event().action_type == "startup_updated"


def test_an_event_carries_the_request_id() -> None:
    token = request_id_var.set("req-event-1")
    try:
        StartupFactory()  # factories bypass services: record through one
        services.startup_create(owner=FounderFactory(), data={"name": "X", "industry": "ai"})
    finally:
        request_id_var.reset(token)
    assert last_event().request_id == "req-event-1"


def test_a_rolled_back_service_leaves_no_event_and_queues_nothing(
    django_capture_on_commit_callbacks,
) -> None:
    founder = FounderFactory()

    def fanouts(callbacks: list) -> list:
        return [
            c
            for c in callbacks
            if getattr(c, "func", None) is publish_soon and c.args[0] is event_publish
        ]

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.startup_create(owner=founder, data={"name": "Gone", "industry": "ai"})
        raise RuntimeError("the caller's transaction fails")
    assert not ActivityEvent.objects.exists()
    assert fanouts(callbacks) == []

    with django_capture_on_commit_callbacks() as callbacks:
        services.startup_create(owner=founder, data={"name": "Kept", "industry": "ai"})
    assert ActivityEvent.objects.count() == 1
    [fanout] = fanouts(callbacks)  # the fan-out, queued after commit
    assert fanout.args == (event_publish,)
    assert fanout.keywords == {"event_id": ActivityEvent.objects.get().pk}
