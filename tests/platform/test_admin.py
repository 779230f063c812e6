"""Staff can moderate every model: each admin page renders for real rows."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounts.services import session_revoke, user_tokens_issue
from accounts.tokens import SessionRefreshToken
from feed import services as feed_services
from messaging import services as messaging_services
from realtime import services as realtime
from recommendations import features
from recommendations import services as recommendation_services
from tests.accounts.factories import SkillFactory, UserFactory
from tests.feed.factories import FeedCompositionFactory
from tests.recommendations.factories import FactorModelFactory, SkillAffinityFactory
from tests.startups.factories import ApplicationFactory, OpportunityFactory, SaveFactory
from tests.webhooks.factories import WebhookDeliveryFactory

pytestmark = pytest.mark.django_db

OUR_APPS = {
    "accounts",
    "startups",
    "feed",
    "messaging",
    "recommendations",
    "observability",
    "webhooks",
}


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def rows(settings) -> None:
    settings.RECOMMENDATIONS_MIN_TOGETHER = 1
    SkillFactory(name="python")
    opportunity = OpportunityFactory(skills=["python"])
    application = ApplicationFactory(opportunity=opportunity)
    other = OpportunityFactory()
    SaveFactory(startup=opportunity.startup)
    event = feed_services.event_record(
        action_type="application_created",
        actor=application.applicant,
        target=application,
        snapshot={"type": "application", "title": opportunity.title},
        is_public=False,
        audience=[opportunity.startup.owner],
    )
    feed_services.notification_create(user=opportunity.startup.owner, event=event)
    feed_services.follow_create(follower=application.applicant, target=opportunity.startup.owner)
    feed_services.feed_marker_update(user=application.applicant)
    ticket = realtime.ticket_issue(user_id=application.applicant.pk)
    assert realtime.ticket_redeem(ticket=ticket) == realtime.TicketHolder(
        application.applicant.pk, None
    )
    friend = UserFactory()
    connection, _ = messaging_services.connection_request(
        requester=friend, addressee=application.applicant
    )
    messaging_services.connection_accept(connection=connection, by=application.applicant)
    messaging_services.message_send(sender=friend, recipient=application.applicant, body="Hi")
    recommendation_services.interaction_record(
        user=friend, kind="like", item_type="opportunity", item_id=opportunity.pk
    )
    recommendation_services.interaction_record(
        user=application.applicant, kind="like", item_type="opportunity", item_id=other.pk
    )
    features.features_rebuild()  # the derived feature store: one row of each model at least
    session_revoke(refresh=SessionRefreshToken(user_tokens_issue(user=friend)["refresh"]))
    FeedCompositionFactory()
    SkillAffinityFactory()  # learned from more behaviour than these rows hold
    FactorModelFactory()  # fitted on its own small history
    WebhookDeliveryFactory()


def our_models() -> list:
    return [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]


def test_every_model_of_ours_is_registered() -> None:
    assert our_models()
    for model in our_models():
        assert admin.site.is_registered(model), model


def test_changelist_add_and_change_pages_render(staff_client: Client, rows: None) -> None:
    for model in our_models():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = staff_client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert changelist.status_code == 200, info
        searched = staff_client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "a"})
        assert searched.status_code == 200, info
        add = staff_client.get(reverse("admin:{}_{}_add".format(*info)))
        # Read-only: derived (the feature store), written only by services (the feed mix, the
        # deliveries' history).
        read_only = not admin.site._registry[model].has_add_permission(add.wsgi_request)
        assert add.status_code == (403 if read_only else 200), info
        obj = model.objects.first()
        change = staff_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        assert change.status_code == 200, info


def test_non_staff_cannot_use_the_admin(rows: None) -> None:
    client = Client()
    client.force_login(UserFactory())

    response = client.get(reverse("admin:startups_startup_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
