"""Logout means logout: signing out refuses every token of that session at once, and only it."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import RevokedSession
from accounts.services import session_revoke, user_tokens_issue
from accounts.tokens import SessionRefreshToken
from tests.accounts.factories import RevokedSessionFactory, UserFactory
from tests.accounts.test_auth_api import bearer, login

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"
TICKET = "/api/v1/realtime/ticket/"


def logout(client: APIClient, refresh: str):
    return client.post("/api/v1/auth/logout/", {"refresh": refresh}, format="json")


def refresh_pair(client: APIClient, refresh: str):
    return client.post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json")


def assert_session_revoked(response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "session_revoked"
    assert "request_id" in body


def test_logout_refuses_the_sessions_access_token_at_once(api_client: APIClient) -> None:
    user = UserFactory()
    tokens = login(api_client, user.email).json()
    assert bearer(tokens["access"]).get(ME).status_code == 200

    assert logout(api_client, tokens["refresh"]).status_code == 204

    assert_session_revoked(bearer(tokens["access"]).get(ME))
    # Anonymous reads are allowed there, a signed-out token is not.
    assert_session_revoked(bearer(tokens["access"]).get("/api/v1/startups/"))


def test_logout_refuses_a_websocket_ticket_for_the_sessions_access_token(
    api_client: APIClient,
) -> None:
    user = UserFactory()
    tokens = login(api_client, user.email).json()
    assert bearer(tokens["access"]).post(TICKET).status_code == 201

    logout(api_client, tokens["refresh"])

    assert_session_revoked(bearer(tokens["access"]).post(TICKET))


def test_logout_refuses_access_tokens_from_every_rotation_of_the_session(
    api_client: APIClient,
) -> None:
    user = UserFactory()
    first = login(api_client, user.email).json()
    second = refresh_pair(api_client, first["refresh"]).json()

    assert logout(api_client, second["refresh"]).status_code == 204

    assert_session_revoked(bearer(first["access"]).get(ME))
    assert_session_revoked(bearer(second["access"]).get(ME))


def test_other_sessions_of_the_same_person_keep_working(api_client: APIClient) -> None:
    user = UserFactory()
    laptop = login(api_client, user.email).json()
    phone = login(api_client, user.email).json()

    logout(api_client, laptop["refresh"])

    assert bearer(phone["access"]).get(ME).status_code == 200
    rotated = refresh_pair(api_client, phone["refresh"])
    assert rotated.status_code == 200
    assert bearer(rotated.json()["access"]).get(ME).status_code == 200
    assert bearer(rotated.json()["access"]).post(TICKET).status_code == 201


def test_refresh_after_logout_is_refused(api_client: APIClient) -> None:
    user = UserFactory()
    tokens = login(api_client, user.email).json()
    logout(api_client, tokens["refresh"])

    response = refresh_pair(api_client, tokens["refresh"])

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_a_refresh_token_forked_by_a_racing_rotation_is_refused_after_logout(
    api_client: APIClient,
) -> None:
    # Given a session forked in two: two rotations of one refresh token raced (a client
    # retrying), and both were answered -- simplejwt makes the second exactly like this
    user = UserFactory()
    tokens = login(api_client, user.email).json()
    fork = RefreshToken(tokens["refresh"])
    fork.set_jti()
    fork.set_exp()
    fork.set_iat()
    fork.outstand()
    fork_access = str(fork.access_token)
    rotated = refresh_pair(api_client, tokens["refresh"]).json()

    # When the client signs out with the refresh token it kept
    assert logout(api_client, rotated["refresh"]).status_code == 204

    # Then the other branch of the session is dead too
    assert refresh_pair(api_client, str(fork)).status_code == 401
    assert_session_revoked(bearer(fork_access).get(ME))


def test_the_revocation_is_a_database_row_living_as_long_as_the_sessions_tokens(
    api_client: APIClient,
) -> None:
    user = UserFactory()
    tokens = login(api_client, user.email).json()
    before = timezone.now()

    logout(api_client, tokens["refresh"])
    cache.clear()

    assert_session_revoked(bearer(tokens["access"]).get(ME))
    revoked = RevokedSession.objects.get()
    assert revoked.sid == SessionRefreshToken(tokens["refresh"], verify=False)["sid"]
    lifetime = (
        settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] + settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    )
    assert before + lifetime <= revoked.expires_at <= timezone.now() + lifetime


def test_logout_purges_revocations_whose_tokens_have_all_expired(api_client: APIClient) -> None:
    now = timezone.now()
    RevokedSessionFactory(sid="expired", expires_at=now - timedelta(seconds=1))
    RevokedSessionFactory(sid="still-needed", expires_at=now + timedelta(minutes=5))
    tokens = login(api_client, UserFactory().email).json()

    logout(api_client, tokens["refresh"])

    assert set(RevokedSession.objects.values_list("sid", flat=True)) == {
        "still-needed",
        SessionRefreshToken(tokens["refresh"], verify=False)["sid"],
    }


def test_session_revoke_is_idempotent() -> None:
    tokens = user_tokens_issue(user=UserFactory())
    refresh = SessionRefreshToken(tokens["refresh"])

    first = session_revoke(refresh=refresh)
    again = session_revoke(refresh=refresh)

    assert again.pk == first.pk
    assert RevokedSession.objects.count() == 1


def test_tokens_from_before_session_ids_work_and_join_a_session_when_refreshed(
    api_client: APIClient,
) -> None:
    # Given a pair minted before sessions had ids (plain simplejwt, no "sid" claim)
    legacy = RefreshToken.for_user(UserFactory())
    assert "sid" not in legacy
    assert bearer(str(legacy.access_token)).get(ME).status_code == 200

    # When it is rotated, then signed out
    rotated = refresh_pair(api_client, str(legacy)).json()
    assert bearer(rotated["access"]).get(ME).status_code == 200
    assert logout(api_client, rotated["refresh"]).status_code == 204

    # Then the access token of the rotation is refused; the legacy one lives out its 15 min
    assert_session_revoked(bearer(rotated["access"]).get(ME))
    assert bearer(str(legacy.access_token)).get(ME).status_code == 200


@pytest.mark.parametrize("kind", ["garbage", "access", "forged", "expired"])
def test_logout_with_an_unusable_refresh_token_is_401_and_revokes_nothing(
    api_client: APIClient, kind: str
) -> None:
    user = UserFactory()
    tokens = login(api_client, user.email).json()
    expired = SessionRefreshToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    header, payload, signature = tokens["refresh"].split(".")
    refresh = {
        "garbage": "garbage",
        "access": tokens["access"],
        "forged": f"{header}.{payload}.{signature[::-1]}",
        "expired": str(expired),
    }[kind]

    response = logout(api_client, refresh)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
    assert not RevokedSession.objects.exists()
    assert bearer(tokens["access"]).get(ME).status_code == 200


def test_logout_needs_only_the_refresh_token_whoever_sends_it(api_client: APIClient) -> None:
    """The refresh token is the credential (whoever holds it can use the session anyway): a
    bearer header of another person is ignored, and only the refresh token's session ends."""
    ada, grace = UserFactory(), UserFactory()
    ada_tokens = login(api_client, ada.email).json()
    grace_tokens = login(api_client, grace.email).json()

    response = logout(bearer(grace_tokens["access"]), ada_tokens["refresh"])

    assert response.status_code == 204
    assert_session_revoked(bearer(ada_tokens["access"]).get(ME))
    assert bearer(grace_tokens["access"]).get(ME).status_code == 200


def test_a_jwt_logout_leaves_the_cookie_session_alone(api_client: APIClient) -> None:
    user = UserFactory()
    tokens = login(api_client, user.email).json()
    browser = APIClient()
    browser.force_login(user)

    logout(api_client, tokens["refresh"])

    assert browser.get(ME).status_code == 200
    assert browser.post(TICKET).status_code == 201


def test_the_daily_prune_forgets_expired_refresh_tokens_and_keeps_the_rest_refused(
    api_client: APIClient,
) -> None:
    from celery import current_app
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    from accounts import tasks

    user = UserFactory()
    expired, living, signed_out = (user_tokens_issue(user=user)["refresh"] for _ in range(3))
    assert logout(api_client, signed_out).status_code in (200, 204)
    OutstandingToken.objects.filter(token=expired).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    BlacklistedToken.objects.create(token=OutstandingToken.objects.get(token=expired))

    schedule = settings.CELERY_BEAT_SCHEDULE["accounts-tokens-prune"]
    assert schedule["task"] in current_app.tasks  # beat runs it daily
    assert tasks.tokens_prune.delay().get() == 1

    assert set(OutstandingToken.objects.values_list("token", flat=True)) == {living, signed_out}
    assert BlacklistedToken.objects.get().token.token == signed_out  # its entry stays
    assert refresh_pair(api_client, living).status_code == 200
    assert refresh_pair(api_client, signed_out).status_code == 401
