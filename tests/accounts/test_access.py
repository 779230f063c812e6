"""Every authenticated API request: the bearer token decoded once, the user and the state of
their session read in one query, and simplejwt's refusals kept."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.backends import TokenBackend

from accounts.services import session_revoke, user_tokens_issue
from accounts.tokens import SessionRefreshToken
from tests.accounts.factories import UserFactory
from tests.accounts.test_auth_api import bearer

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"


def error_code(response) -> str:
    assert response.status_code == 401, response.content
    return response.json()["error"]["code"]


def test_the_token_is_decoded_once_and_the_session_read_with_the_user(monkeypatch) -> None:
    user = UserFactory()
    client = bearer(user_tokens_issue(user=user)["access"])
    decoded = []
    real_decode = TokenBackend.decode  # simplejwt's: outside the system, counted only

    def counting_decode(self, token, verify=True):
        decoded.append(token)
        return real_decode(self, token, verify)

    monkeypatch.setattr(TokenBackend, "decode", counting_decode)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).status_code == 200

    assert len(decoded) == 1  # the rate limit's validation serves the authentication
    session_reads = [q["sql"] for q in queries if "accounts_revokedsession" in q["sql"]]
    assert len(session_reads) == 1
    assert "accounts_user" in session_reads[0]  # one query: the user and their session


def test_a_signed_out_session_is_refused_even_when_its_user_is_gone() -> None:
    user = UserFactory()
    tokens = user_tokens_issue(user=user)
    session_revoke(refresh=SessionRefreshToken(tokens["refresh"]))
    user.delete()

    assert error_code(bearer(tokens["access"]).get(ME)) == "session_revoked"


def test_a_deleted_inactive_or_repassworded_user_is_refused() -> None:
    gone, idle, moved = UserFactory(), UserFactory(), UserFactory()
    access = {u.email: user_tokens_issue(user=u)["access"] for u in (gone, idle, moved)}
    gone.delete()
    idle.is_active = False
    idle.save()
    moved.set_password("another-Passw0rd!")  # without signing the sessions out
    moved.save()

    assert error_code(bearer(access[gone.email]).get(ME)) == "user_not_found"
    assert error_code(bearer(access[idle.email]).get(ME)) == "user_inactive"
    assert error_code(bearer(access[moved.email]).get(ME)) == "password_changed"
