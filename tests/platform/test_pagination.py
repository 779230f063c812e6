import pytest
from rest_framework.test import APIClient

from tests.startups.factories import StartupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sixty_startups() -> None:
    StartupFactory.create_batch(60)


def test_default_page_is_20(api_client: APIClient, sixty_startups: None) -> None:
    body = api_client.get("/api/v1/startups/").json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 60
    assert len(body["results"]) == 20
    assert body["previous"] is None
    assert "page=2" in body["next"]


def test_page_size_is_capped_at_50(api_client: APIClient, sixty_startups: None) -> None:
    body = api_client.get("/api/v1/startups/?page_size=1000").json()

    assert len(body["results"]) == 50


def test_pages_do_not_overlap_or_skip(api_client: APIClient, sixty_startups: None) -> None:
    seen: list[int] = []
    url = "/api/v1/startups/?page_size=25&ordering=name"
    while url:
        body = api_client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]

    assert len(seen) == len(set(seen)) == 60


def test_page_past_the_end_is_a_404_envelope(api_client: APIClient, sixty_startups: None) -> None:
    response = api_client.get("/api/v1/startups/?page=99")

    assert response.status_code == 404
    assert response.json()["error"]["message"]
