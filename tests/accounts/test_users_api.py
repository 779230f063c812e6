import pytest
from rest_framework.test import APIClient

from tests.accounts.factories import FounderFactory, InvestorFactory, UserFactory

pytestmark = pytest.mark.django_db


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_filter_by_role(api_client: APIClient) -> None:
    talent, founder, investor = UserFactory(), FounderFactory(), InvestorFactory()

    assert ids(api_client.get("/api/v1/users/?role=founder")) == {founder.pk}
    assert ids(api_client.get("/api/v1/users/?role=investor")) == {investor.pk}
    assert ids(api_client.get("/api/v1/users/?role=talent")) == {talent.pk}


def test_filter_by_skills_requires_all_ignoring_case(api_client: APIClient) -> None:
    both = UserFactory(skills=["python", "django"])
    UserFactory(skills=["python"])
    UserFactory(skills=["react"])

    assert ids(api_client.get("/api/v1/users/?skills=PYTHON, Django")) == {both.pk}
    assert len(ids(api_client.get("/api/v1/users/?skills=python"))) == 2


def test_unknown_role_filter_is_400(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/users/?role=wizard")

    assert response.status_code == 400
    assert "role" in response.json()["error"]["fields"]


def test_too_many_skills_in_filter_is_400(api_client: APIClient) -> None:
    skills = ",".join(f"s{i}" for i in range(11))

    assert api_client.get(f"/api/v1/users/?skills={skills}").status_code == 400


def test_email_is_shown_only_to_the_user_themself(client_for) -> None:
    ada, bob = UserFactory(email="ada@example.com"), UserFactory(email="bob@example.com")

    own = client_for(ada).get(f"/api/v1/users/{ada.pk}/").json()
    other = client_for(bob).get(f"/api/v1/users/{ada.pk}/").json()
    anonymous = client_for(None).get(f"/api/v1/users/{ada.pk}/").json()
    listing = client_for(bob).get("/api/v1/users/").json()["results"]

    assert own["email"] == "ada@example.com"
    assert other["email"] is None
    assert anonymous["email"] is None
    assert {row["email"] for row in listing if row["id"] == ada.pk} == {None}


def test_inactive_users_are_hidden(api_client: APIClient) -> None:
    gone = UserFactory(is_active=False)

    assert api_client.get(f"/api/v1/users/{gone.pk}/").status_code == 404
    assert gone.pk not in ids(api_client.get("/api/v1/users/"))


def test_user_list_query_count_is_constant(
    api_client: APIClient, django_assert_max_num_queries
) -> None:
    for _ in range(3):
        UserFactory(skills=["python", "go"])
    # count, the page's ids, its rows, their skills
    with django_assert_max_num_queries(4):
        api_client.get("/api/v1/users/?page_size=50")
    for _ in range(30):
        UserFactory(skills=["python", "rust"])
    with django_assert_max_num_queries(4):
        assert len(api_client.get("/api/v1/users/?page_size=50").json()["results"]) == 33
