from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from recommendations.models import (
    FactorModel,
    Interaction,
    InteractionKind,
    ItemFeatures,
    ItemSimilarity,
    ItemType,
    SkillAffinity,
    UserFeatures,
)
from startups.models import Opportunity
from tests.accounts.factories import SkillFactory, UserFactory
from tests.startups.factories import StartupFactory


def _item_type(item: Any) -> str:
    return ItemType.OPPORTUNITY if isinstance(item, Opportunity) else ItemType.STARTUP


class InteractionFactory(DjangoModelFactory):
    """``user`` did ``kind`` to ``item`` (a startup or an opportunity; a new startup by
    default), stored directly: no save, follow or application stands behind it."""

    class Meta:
        model = Interaction

    class Params:
        item = factory.SubFactory(StartupFactory)

    user = factory.SubFactory(UserFactory)
    kind = InteractionKind.VIEW
    item_type = factory.LazyAttribute(lambda o: _item_type(o.item))
    item_id = factory.SelfAttribute("item.pk")
    created_at = factory.LazyFunction(timezone.now)


class ItemFeaturesFactory(DjangoModelFactory):
    class Meta:
        model = ItemFeatures

    class Params:
        item = factory.SubFactory(StartupFactory)

    item_type = factory.LazyAttribute(lambda o: _item_type(o.item))
    item_id = factory.SelfAttribute("item.pk")
    industry = factory.LazyAttribute(
        lambda o: o.item.startup.industry if isinstance(o.item, Opportunity) else o.item.industry
    )
    popularity = 1.0
    traction = 0.5
    engaged = 1


class ItemSimilarityFactory(DjangoModelFactory):
    """``other`` is a neighbour of ``item`` (two new startups by default)."""

    class Meta:
        model = ItemSimilarity

    class Params:
        item = factory.SubFactory(StartupFactory)
        other = factory.SubFactory(StartupFactory)

    item_type = factory.LazyAttribute(lambda o: _item_type(o.item))
    item_id = factory.SelfAttribute("item.pk")
    other_type = factory.LazyAttribute(lambda o: _item_type(o.other))
    other_id = factory.SelfAttribute("other.pk")
    score = 0.5
    together = 2


class UserFeaturesFactory(DjangoModelFactory):
    class Meta:
        model = UserFeatures

    user = factory.SubFactory(UserFactory)
    activity = 1
    last_active_at = factory.LazyFunction(timezone.now)


class SkillAffinityFactory(DjangoModelFactory):
    """The people who list a skill engage with an industry's startups ``lift`` times as often
    as everyone (the nightly rebuild learns these)."""

    class Meta:
        model = SkillAffinity

    skill = factory.SubFactory(SkillFactory)
    industry = "fintech"
    lift = 1.5
    evidence = 12.0


class FactorModelFactory(DjangoModelFactory):
    """A model the nightly rebuild would store, fitted on a small made-up history (the real
    fit, ``factors.factors_fit``): two tastes among a few startups and roles."""

    class Meta:
        model = FactorModel

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> FactorModel:
        from recommendations import factors

        history = kwargs.pop("history", None) or {
            person: [((ItemType.STARTUP, person % 2 * 10 + n), 4.0) for n in range(3)]
            for person in range(1, 7)
        }
        fitted = factors.factors_fit(history)
        assert fitted is not None
        for name, value in kwargs.items():
            setattr(fitted, name, value)
        fitted.save()
        return fitted
