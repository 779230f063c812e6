"""Every factory builds a row that saves and passes the model's own validation, so a model
change that breaks a factory fails here, by name, instead of somewhere in a test's setup."""

import pytest
from django.apps import apps
from factory.django import DjangoModelFactory

from tests.accounts import factories as accounts
from tests.feed import factories as feed
from tests.messaging import factories as messaging
from tests.realtime import factories as realtime
from tests.recommendations import factories as recommendations
from tests.startups import factories as startups
from tests.webhooks import factories as webhooks

pytestmark = pytest.mark.django_db

FACTORIES: list[type[DjangoModelFactory]] = [
    accounts.SkillFactory,
    accounts.UserFactory,
    accounts.FounderFactory,
    accounts.InvestorFactory,
    accounts.RevokedSessionFactory,
    startups.StartupFactory,
    startups.OpportunityFactory,
    startups.ApplicationFactory,
    startups.SaveFactory,
    startups.OpportunitySaveFactory,
    feed.ActivityEventFactory,
    feed.EventAudienceFactory,
    feed.FollowFactory,
    feed.NotificationFactory,
    feed.FeedMarkerFactory,
    feed.FeedCompositionFactory,
    messaging.ConnectionFactory,
    messaging.MessageFactory,
    realtime.TicketUseFactory,
    recommendations.InteractionFactory,
    recommendations.ItemFeaturesFactory,
    recommendations.ItemSimilarityFactory,
    recommendations.SkillAffinityFactory,
    recommendations.FactorModelFactory,
    recommendations.UserFeaturesFactory,
    webhooks.WebhookEndpointFactory,
    webhooks.WebhookDeliveryFactory,
]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_the_factory_saves_a_valid_row(factory: type[DjangoModelFactory]) -> None:
    obj = factory()

    stored = type(obj).objects.get(pk=obj.pk)
    stored.full_clean()


def test_every_model_of_our_apps_has_a_factory() -> None:
    ours = {"accounts", "startups", "feed", "realtime", "messaging", "recommendations", "webhooks"}
    models = {m for m in apps.get_models() if m._meta.app_label in ours}

    assert models <= {f._meta.model for f in FACTORIES}


def test_generic_targets_point_at_the_row_given() -> None:
    startup, job = startups.StartupFactory(), startups.OpportunityFactory()

    follow = feed.FollowFactory(target=startup)
    event = feed.ActivityEventFactory(target=job)
    interaction = recommendations.InteractionFactory(item=job)

    assert follow.target == startup and event.target == job
    assert (interaction.item_type, interaction.item_id) == ("opportunity", job.pk)
