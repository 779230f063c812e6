import factory
from factory.django import DjangoModelFactory

from accounts.models import Industry
from startups.models import Application, Opportunity, OpportunityKind, Save, Stage, Startup
from tests.accounts.factories import FounderFactory, SkillFactory, UserFactory


class StartupFactory(DjangoModelFactory):
    class Meta:
        model = Startup
        skip_postgeneration_save = True

    owner = factory.SubFactory(FounderFactory)
    name = factory.Sequence(lambda n: f"Startup {n}")
    slug = factory.Sequence(lambda n: f"startup-{n}")
    tagline = factory.Faker("catch_phrase")
    description = factory.Faker("paragraph")
    industry = Industry.FINTECH
    stage = Stage.SEED

    @factory.post_generation
    def skills(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            self.skills.set([SkillFactory(name=name) for name in extracted])


class OpportunityFactory(DjangoModelFactory):
    class Meta:
        model = Opportunity
        skip_postgeneration_save = True

    startup = factory.SubFactory(StartupFactory)
    title = factory.Sequence(lambda n: f"Engineer {n}")
    description = factory.Faker("paragraph")
    kind = OpportunityKind.FULL_TIME

    @factory.post_generation
    def skills(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            self.skills.set([SkillFactory(name=name) for name in extracted])


class ApplicationFactory(DjangoModelFactory):
    class Meta:
        model = Application

    opportunity = factory.SubFactory(OpportunityFactory)
    applicant = factory.SubFactory(UserFactory)
    cover_letter = factory.Faker("paragraph")


class SaveFactory(DjangoModelFactory):
    class Meta:
        model = Save

    user = factory.SubFactory(UserFactory)
    startup = factory.SubFactory(StartupFactory)
    opportunity = None


class OpportunitySaveFactory(SaveFactory):
    """A bookmark of an opportunity (``SaveFactory`` bookmarks a startup)."""

    startup = None
    opportunity = factory.SubFactory(OpportunityFactory)
