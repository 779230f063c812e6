"""The whole sign-up / sign-in lifecycle, through the API with real tokens."""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "a-Much-longer-passphrase-2026"


def register(client: APIClient, **overrides: str):
    data = {"email": "ada@example.com", "password": STRONG, "name": "Ada", "role": "talent"}
    return client.post("/api/v1/auth/register/", {**data, **overrides}, format="json")


def login(client: APIClient, email: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/login/", {"email": email, "password": password}, format="json")


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_register_returns_user_and_working_tokens(api_client: APIClient) -> None:
    response = register(api_client, email="Ada@Example.COM", role="founder")

    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["role"] == "founder"
    me = bearer(body["tokens"]["access"]).get("/api/v1/auth/me/")
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]
    user = User.objects.get()
    assert user.password.startswith("md5$") or user.password.startswith("argon2")
    assert check_password(STRONG, user.password)


def test_register_rejects_weak_passwords_and_writes_nothing(api_client: APIClient) -> None:
    response = register(api_client, password="12345678")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["password"]
    assert not User.objects.exists()


def test_register_duplicate_email_ignoring_case_is_409(api_client: APIClient) -> None:
    UserFactory(email="ada@example.com")

    response = register(api_client, email="ADA@example.com")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"
    assert User.objects.count() == 1


def test_register_unknown_role_is_400(api_client: APIClient) -> None:
    response = register(api_client, role="admin")

    assert response.status_code == 400
    assert "role" in response.json()["error"]["fields"]


def test_login_is_case_insensitive_on_email(api_client: APIClient) -> None:
    UserFactory(email="grace@example.com")

    response = login(api_client, "GRACE@example.com")

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_login_errors_do_not_reveal_whether_the_email_exists(api_client: APIClient) -> None:
    UserFactory(email="grace@example.com")

    wrong_password = login(api_client, "grace@example.com", "not-the-password")
    unknown_email = login(api_client, "nobody@example.com", "not-the-password")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json()["error"] == unknown_email.json()["error"]


def test_inactive_user_cannot_log_in(api_client: APIClient) -> None:
    UserFactory(email="gone@example.com", is_active=False)

    assert login(api_client, "gone@example.com").status_code == 401


def test_refresh_rotates_and_the_old_refresh_token_is_dead(api_client: APIClient) -> None:
    user = UserFactory()
    tokens = login(api_client, user.email).json()

    rotated = api_client.post(
        "/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh"] != tokens["refresh"]
    assert bearer(new["access"]).get("/api/v1/auth/me/").status_code == 200

    reused = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_not_valid"


def test_logout_blacklists_the_refresh_token(api_client: APIClient) -> None:
    user = UserFactory()
    tokens = login(api_client, user.email).json()

    response = api_client.post(
        "/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json"
    )

    assert response.status_code == 204
    again = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401


def test_logout_with_a_garbage_token_is_401(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/auth/logout/", {"refresh": "garbage"}, format="json")

    assert response.status_code == 401


def test_password_change_revokes_every_outstanding_token(api_client: APIClient) -> None:
    user = UserFactory()
    laptop = login(api_client, user.email).json()
    phone = login(api_client, user.email).json()

    response = bearer(laptop["access"]).post(
        "/api/v1/auth/password/",
        {"old_password": PASSWORD, "new_password": STRONG},
        format="json",
    )

    assert response.status_code == 200
    fresh = response.json()
    for old in (laptop, phone):
        refresh = api_client.post(
            "/api/v1/auth/refresh/", {"refresh": old["refresh"]}, format="json"
        )
        assert refresh.status_code == 401
        assert bearer(old["access"]).get("/api/v1/auth/me/").status_code == 401
    assert bearer(fresh["access"]).get("/api/v1/auth/me/").status_code == 200
    assert login(api_client, user.email, PASSWORD).status_code == 401
    assert login(api_client, user.email, STRONG).status_code == 200


def test_password_change_needs_the_current_password(api_client: APIClient) -> None:
    user = UserFactory()
    access = login(api_client, user.email).json()["access"]

    response = bearer(access).post(
        "/api/v1/auth/password/", {"old_password": "wrong", "new_password": STRONG}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "wrong_password"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_validates_the_new_password(api_client: APIClient) -> None:
    user = UserFactory()
    access = login(api_client, user.email).json()["access"]

    response = bearer(access).post(
        "/api/v1/auth/password/", {"old_password": PASSWORD, "new_password": "123"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["new_password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_expired_access_token_is_401(api_client: APIClient) -> None:
    user = UserFactory()
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))

    response = bearer(str(token)).get("/api/v1/auth/me/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_tampered_access_token_is_401(api_client: APIClient) -> None:
    user = UserFactory()
    access = login(api_client, user.email).json()["access"]
    header, payload, signature = access.split(".")
    tampered = f"{header}.{payload}.{signature[::-1]}"

    assert bearer(tampered).get("/api/v1/auth/me/").status_code == 401


def test_refresh_token_is_not_accepted_as_access(api_client: APIClient) -> None:
    user = UserFactory()
    tokens = login(api_client, user.email).json()

    assert bearer(tokens["refresh"]).get("/api/v1/auth/me/").status_code == 401


def test_me_patch_normalises_skills_and_keeps_role(client_for) -> None:
    user = UserFactory(role="talent")

    response = client_for(user).patch(
        "/api/v1/auth/me/",
        {
            "headline": "Backend engineer",
            "skills": ["Python ", "python", "PYTHON", "Django  REST"],
            "interests": ["fintech", "ai", "fintech"],
            "role": "founder",
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["skills"] == ["django rest", "python"]
    assert body["interests"] == ["fintech", "ai"]
    assert body["headline"] == "Backend engineer"
    assert body["role"] == "talent"
    user.refresh_from_db()
    assert sorted(user.skills.values_list("name", flat=True)) == ["django rest", "python"]


def test_me_patch_rejects_unknown_interest_and_keeps_profile(client_for) -> None:
    user = UserFactory(headline="Before")

    response = client_for(user).patch(
        "/api/v1/auth/me/", {"headline": "After", "interests": ["crypto-x"]}, format="json"
    )

    assert response.status_code == 400
    assert "interests" in response.json()["error"]["fields"]
    user.refresh_from_db()
    assert user.headline == "Before"


def test_me_patch_sets_availability(client_for) -> None:
    user = UserFactory()
    assert client_for(user).get("/api/v1/auth/me/").json()["availability"] == "open"

    response = client_for(user).patch(
        "/api/v1/auth/me/", {"availability": "looking"}, format="json"
    )
    assert response.status_code == 200 and response.json()["availability"] == "looking"
    bad = client_for(user).patch("/api/v1/auth/me/", {"availability": "maybe"}, format="json")
    assert bad.status_code == 400 and "availability" in bad.json()["error"]["fields"]
    user.refresh_from_db()
    assert user.availability == "looking"


def test_me_requires_authentication(api_client: APIClient) -> None:
    assert api_client.get("/api/v1/auth/me/").status_code == 401


def test_refresh_for_a_deleted_account_is_401(api_client: APIClient) -> None:
    user = UserFactory()
    tokens = login(api_client, user.email).json()
    user.delete()

    response = api_client.post(
        "/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "no_active_account"


def test_password_guessing_with_a_stolen_access_token_is_throttled(api_client: APIClient) -> None:
    user = UserFactory()
    access = login(api_client, user.email).json()["access"]
    client = bearer(access)
    guess = {"old_password": "guess", "new_password": STRONG}

    statuses = [
        client.post("/api/v1/auth/password/", guess, format="json").status_code for _ in range(9)
    ]
    response = client.post("/api/v1/auth/password/", guess, format="json")

    assert statuses == [400] * 9  # the sign-in was the address's first of 10 (auth)
    assert response.status_code == 429
