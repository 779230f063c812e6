"""Prepared queries (core/db/prepared.py) answer exactly what the ORM answers, compile once
per shape, and refuse a builder whose values would be frozen into the SQL."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Exists, Q
from django.utils import timezone

from accounts.models import RevokedSession, User
from core.db.prepared import Fixed, Prepared
from feed.models import Follow
from feed.services import follow_create
from startups.models import Opportunity, Startup
from tests.accounts.factories import RevokedSessionFactory, UserFactory
from tests.startups.factories import OpportunityFactory, StartupFactory

pytestmark = pytest.mark.django_db


def startups_by_id(ids):
    return Startup.objects.filter(pk__in=ids).order_by("id")


def test_values_rows_equal_the_orms_with_every_columns_type_converted() -> None:
    # Given startups with decimals, booleans, dates and times (columns SQLite converts)
    made = [
        StartupFactory(funding_raised=Decimal("1250000.50"), remote_friendly=flag)
        for flag in (True, False, True)
    ]
    ids = [s.pk for s in made]
    columns = ["id", "name", "funding_raised", "remote_friendly", "founded_on", "created_at"]
    prepared = Prepared(lambda ids: startups_by_id(ids).values(*columns))

    # Then the rows are the ORM's, typed as the ORM types them
    rows = prepared(ids=ids)
    assert rows == list(startups_by_id(ids).values(*columns))
    assert [type(r["funding_raised"]) for r in rows] == [Decimal] * 3
    assert [r["remote_friendly"] for r in rows] == [True, False, True]
    assert {type(r["remote_friendly"]) for r in rows} == {bool}  # not SQLite's 1 and 0
    # A shorter list is another shape, with its own answer
    assert prepared(ids=ids[1:]) == list(startups_by_id(ids[1:]).values(*columns))
    assert prepared(ids=[]) == []


def test_values_list_flat_and_grouped_rows_equal_the_orms() -> None:
    startup = StartupFactory()
    OpportunityFactory.create_batch(3, startup=startup, status="open")
    OpportunityFactory(startup=startup, status="closed")
    other = StartupFactory()

    def counts(ids, status):
        return (
            Opportunity.objects.filter(startup_id__in=ids, status=status)
            .order_by()
            .values("startup_id")
            .annotate(n=Count("pk"))
            .values_list("startup_id", "n")
        )

    grouped = Prepared(counts)
    assert grouped(ids=[startup.pk, other.pk], status="open") == [(startup.pk, 3)]
    assert grouped(ids=[startup.pk, other.pk], status="closed") == [(startup.pk, 1)]

    flat = Prepared(
        lambda owner: Startup.objects.filter(owner_id=owner).values_list("id", flat=True)
    )
    assert flat(owner=other.owner_id) == [other.pk]


def test_instances_carry_their_fields_and_annotations() -> None:
    user = UserFactory(name="Ada")
    RevokedSessionFactory(sid="gone")
    prepared = Prepared(
        lambda user_id, sid: User.objects.filter(pk=user_id).annotate(
            revoked=Exists(RevokedSession.objects.filter(sid=sid))
        )
    )

    [found] = prepared(user_id=user.pk, sid="gone")
    assert isinstance(found, User)
    assert (found.pk, found.name, found.email, found.revoked) == (user.pk, "Ada", user.email, True)
    assert found.date_joined == user.date_joined
    assert not found._state.adding  # a saved row, as the ORM loads it
    [found] = prepared(user_id=user.pk, sid="live")
    assert found.revoked is False
    assert prepared(user_id=user.pk + 1000, sid="gone") == []


def test_a_shape_is_compiled_once_and_values_are_never_frozen_in() -> None:
    a, b = StartupFactory(), StartupFactory()
    built = []

    def build(ids):
        built.append(len(ids))
        return Startup.objects.filter(pk__in=ids).values_list("id", flat=True)

    prepared = Prepared(build)
    assert prepared(ids=[a.pk]) == [a.pk]
    assert prepared(ids=[b.pk]) == [b.pk]  # the same shape: the values are parameters
    assert sorted(prepared(ids=[b.pk, a.pk])) == [a.pk, b.pk]
    assert prepared(ids=[b.pk]) == [b.pk]
    assert built == [1, 2]


def test_a_builder_that_writes_a_value_into_the_sql_is_refused() -> None:
    # A slice is written into the SQL: a cached compilation would keep the first one.
    prepared = Prepared(lambda n: Startup.objects.values_list("id", flat=True)[: n - 1999999999])
    with pytest.raises(ImproperlyConfigured, match=r"\['n'\] did not"):
        prepared(n=3)


def test_select_related_is_refused() -> None:
    prepared = Prepared(lambda pk: Startup.objects.select_related("owner").filter(pk=pk))
    with pytest.raises(ImproperlyConfigured, match="select_related"):
        prepared(pk=1)


def test_datetimes_fixed_values_and_empty_lists_shape_the_query() -> None:
    old, new = StartupFactory(), StartupFactory()
    Startup.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    yesterday = timezone.now() - timedelta(days=1)

    # A datetime is a parameter in the backend's form of it (a string on SQLite)
    since = Prepared(
        lambda after, limit: (
            Startup.objects.filter(created_at__gt=after)
            .order_by("-created_at")
            .values_list("id", flat=True)[:limit]
        )
    )
    assert since(after=yesterday, limit=Fixed(5)) == [new.pk]
    assert since(after=yesterday - timedelta(days=2), limit=Fixed(5)) == [new.pk, old.pk]
    # A fixed value is written into the SQL: each one is its own compilation
    assert since(after=yesterday - timedelta(days=2), limit=Fixed(1)) == [new.pk]

    # An empty list is a shape of its own, not "nothing": here the other condition still holds
    either = Prepared(
        lambda ids, name: Startup.objects.filter(Q(pk__in=ids) | Q(name=name)).values_list(
            "id", flat=True
        )
    )
    assert either(ids=[], name=old.name) == [old.pk]
    assert sorted(either(ids=[new.pk], name=old.name)) == [old.pk, new.pk]
    # ... and where the ORM knows that nothing can match, nothing is asked
    assert Prepared(lambda ids: Startup.objects.filter(pk__in=ids).values("id"))(ids=[]) == []


def test_a_big_integer_column_takes_its_values_as_the_orm_passes_them() -> None:
    # On PostgreSQL the ORM passes a BigIntegerField's values as psycopg's Int8, not as int
    startup, follower = StartupFactory(), UserFactory()
    follow_create(follower=follower, target=startup)
    type_id = ContentType.objects.get_for_model(Startup).pk
    followers = Prepared(
        lambda ids, type_id: Follow.objects.filter(
            target_type_id=type_id, target_id__in=ids
        ).values_list("follower_id", flat=True)
    )
    assert followers(ids=[startup.pk], type_id=type_id) == [follower.pk]
    assert followers(ids=[startup.pk + 1], type_id=type_id) == []


@pytest.mark.parametrize("value", [True, 1.5, Decimal("1"), None, [1, None]])
def test_a_value_that_is_not_a_plain_parameter_is_refused(value: object) -> None:
    prepared = Prepared(lambda v: Startup.objects.filter(pk=1).values("id"))
    with pytest.raises(TypeError, match="integers, strings, datetimes"):
        prepared(v=value)
