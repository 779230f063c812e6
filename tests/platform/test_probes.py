import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

pytestmark = pytest.mark.django_db


def test_live_is_200_without_touching_the_database(
    client: Client, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        response = client.get("/live/")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_ready_when_database_answers_and_migrations_are_applied(client: Client) -> None:
    response = client.get("/ready/")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_not_ready_while_a_migration_is_pending(client: Client) -> None:
    MigrationRecorder.Migration.objects.filter(app="startups").order_by("-id").first().delete()

    response = client.get("/ready/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert "1 migrations not applied" in body["checks"]["database"]


def test_probes_need_no_auth_and_are_not_throttled(client: Client) -> None:
    statuses = {client.get("/live/").status_code for _ in range(700)}

    assert statuses == {200}
