from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import RevokedSession, Role, Skill, User

PASSWORD = "correct-horse-battery-staple"


class SkillFactory(DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"skill-{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    role = Role.TALENT
    headline = factory.Faker("job")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def skills(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            self.skills.set([SkillFactory(name=name) for name in extracted])


class FounderFactory(UserFactory):
    role = Role.FOUNDER


class InvestorFactory(UserFactory):
    role = Role.INVESTOR


class RevokedSessionFactory(DjangoModelFactory):
    """A signed-out session whose tokens are still refused for an hour."""

    class Meta:
        model = RevokedSession

    sid = factory.Sequence(lambda n: f"sid-{n}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
