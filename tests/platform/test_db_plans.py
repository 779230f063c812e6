"""core.db: ``serial_plans()`` (no parallel plans for a request's small queries) and
``AnyOf`` (many ids as one array parameter on PostgreSQL)."""

import pytest
from django.db import connection, transaction
from django.db.models import F

from core.db.lookups import AnyOf, any_of
from core.db.plans import serial_plans
from startups.models import Startup
from tests.startups.factories import StartupFactory

pytestmark = pytest.mark.django_db


def _workers() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        return str(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner setting")
def test_serial_plans_turns_parallel_plans_off_and_back() -> None:
    before = _workers()

    with serial_plans():
        inside = _workers()

    assert inside == "0"
    assert _workers() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner setting")
def test_serial_plans_leaves_a_failed_transaction_to_its_rollback() -> None:
    before = _workers()

    with pytest.raises(ZeroDivisionError), transaction.atomic(), serial_plans():
        1 / 0  # noqa: B018

    assert _workers() == before


def test_any_of_finds_what_in_finds() -> None:
    startups = StartupFactory.create_batch(4)
    wanted = [startups[0].pk, startups[2].pk, 10**9]

    found = set(Startup.objects.filter(any_of("pk", wanted)).values_list("pk", flat=True))

    assert found == set(Startup.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    assert found == {startups[0].pk, startups[2].pk}
    assert not Startup.objects.filter(AnyOf(F("pk"), [])).exists()  # nothing matches none
    joined = Startup.objects.filter(any_of("owner__pk", [startups[1].owner_id]))
    assert list(joined.values_list("pk", flat=True)) == [startups[1].pk]
