"""The README's search examples find what it says on the demo data of ``make run``
(``seed_demo`` with its defaults: seed 42, the same data everywhere)."""

from io import StringIO

import pytest
from django.core.management import call_command

from startups.models import Startup
from startups.search import search_startups

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> None:
    call_command("seed_demo", stdout=StringIO())


def names(query: str) -> list[str]:
    return [startup.name for startup in search_startups(Startup.objects.all(), query)]


def test_the_readme_search_examples_hold_on_the_demo_data(demo: None) -> None:
    assert names("terra")[0] == "Terraloop"  # the last word is a prefix
    assert names("Terralop")[0] == "Terraloop"  # a misspelt name
    assert names("heat pump")[0] == "Verdantnest Carbon"
    assert set(names('"mental health"')) >= {"Orbitthera", "Wellwise Medical"}
    assert "Tidalaegis" in names("security -healthcare")
    assert set(names("security -healthcare")).isdisjoint({"Cipherflow", "Locklab Security"})
    assert len(names("security or health")) > len(names("security"))
    assert len(names("python")) >= 3  # startups' skills are searchable


def test_the_quick_start_filter_finds_startups(demo: None, api_client) -> None:
    response = api_client.get("/api/v1/startups/", {"industry": "climate"})
    assert response.status_code == 200
    assert {s["name"] for s in response.json()["results"]} >= {"Terraloop", "Verdantnest Carbon"}
