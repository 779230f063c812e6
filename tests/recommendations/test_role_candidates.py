"""Candidates for one role: ``GET /api/v1/recommendations/?type=talent&opportunity=<id>`` ranks
people by what that role needs (the whole list weighs all the founder's roles)."""

import pytest

from tests.accounts.factories import UserFactory
from tests.startups.factories import OpportunityFactory, StartupFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/recommendations/"


@pytest.fixture
def roles(founder):
    startup = StartupFactory(owner=founder)
    backend = OpportunityFactory(
        startup=startup, title="Backend engineer", skills=["python", "sql"]
    )
    design = OpportunityFactory(startup=startup, title="Product designer", skills=["figma", "ux"])
    return backend, design


def names(body) -> list[str]:
    return [item["name"] for item in body["recommendations"]]


def test_the_candidates_of_a_role_are_those_its_skills_fit(client_for, founder, roles) -> None:
    backend, design = roles
    UserFactory(name="Pat Python", role="talent", skills=["python", "sql"])
    UserFactory(name="Dee Designer", role="talent", skills=["figma"])
    client = client_for(founder)

    for_backend = client.get(URL, {"type": "talent", "opportunity": backend.pk}).json()
    for_design = client.get(URL, {"type": "talent", "opportunity": design.pk}).json()
    everyone = client.get(URL, {"type": "talent"}).json()

    assert names(for_backend)[0] == "Pat Python"
    assert "your Backend engineer role needs" in " ".join(
        for_backend["recommendations"][0]["reasons"]
    )
    assert not any(
        "Product designer" in r for i in for_backend["recommendations"] for r in i["reasons"]
    )
    assert names(for_design)[0] == "Dee Designer"
    assert {"Pat Python", "Dee Designer"} <= set(names(everyone))  # the whole list: both


def test_only_with_talent_and_only_for_ones_own_open_role(client_for, founder, roles) -> None:
    backend, _ = roles
    closed = OpportunityFactory(startup=backend.startup, status="closed")

    wrong_type = client_for(founder).get(URL, {"type": "startups", "opportunity": backend.pk})
    someone_elses = client_for(UserFactory(role="founder")).get(
        URL, {"type": "talent", "opportunity": backend.pk}
    )
    not_open = client_for(founder).get(URL, {"type": "talent", "opportunity": closed.pk})

    assert wrong_type.status_code == 400
    assert wrong_type.json()["error"]["fields"]["opportunity"]
    assert someone_elses.status_code == 404 and not_open.status_code == 404
