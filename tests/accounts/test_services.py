import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError

from accounts.models import Skill, User, skill_normalise
from accounts.services import skills_resolve, user_create
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw", ["python", "Python ", "PYTHON", "  pyTHon\t"])
def test_skill_names_normalise_to_one(raw: str) -> None:
    assert skill_normalise(raw) == "python"


def test_skills_resolve_creates_each_skill_once() -> None:
    first = skills_resolve(names=["Python ", "PYTHON", "Machine   Learning", ""])
    second = skills_resolve(names=["python", "machine learning"])

    assert sorted(s.name for s in first) == ["machine learning", "python"]
    assert {s.pk for s in first} == {s.pk for s in second}
    assert Skill.objects.count() == 2


def test_user_create_lowercases_email_and_authenticates_any_case() -> None:
    user_create(email="Ada@Example.com", password="a-long-enough-pass-2026", name="Ada")

    assert User.objects.get().email == "ada@example.com"
    assert authenticate(email="ADA@example.COM", password="a-long-enough-pass-2026") is not None


def test_database_refuses_emails_differing_only_in_case() -> None:
    UserFactory(email="ada@example.com")

    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="ADA@example.com", name="Copy")])
