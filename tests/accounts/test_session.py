"""A browser's sign-in (``/api/v1/auth/session/``, used by the web app): a session cookie, the
CSRF token checked even before sign-in, the lockout of every sign-in, and then the cookie on
every API call -- with CSRF on every write."""

import pytest
from django.test import Client

from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SESSION = "/api/v1/auth/session/"


@pytest.fixture(autouse=True)
def _no_rate_limit_in_the_way(settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "1000/min"}


def browser() -> tuple[Client, str]:
    """A browser that asked who it is (as the web app's pages do): it holds the CSRF cookie
    and knows its token."""
    client = Client(enforce_csrf_checks=True)
    state = client.get(SESSION).json()
    assert state["user"] is None
    return client, state["csrf_token"]


def sign_in(client: Client, token: str | None, email: str, password: str):
    headers = {"HTTP_X_CSRFTOKEN": token} if token else {}
    return client.post(
        SESSION, {"email": email, "password": password}, content_type="application/json", **headers
    )


def test_signing_in_gives_a_session_that_the_api_and_its_writes_accept() -> None:
    user = UserFactory()
    client, token = browser()

    response = sign_in(client, token, user.email, PASSWORD)

    assert response.status_code == 200 and response.json()["user"]["id"] == user.pk
    assert "sessionid" in response.cookies and "tokens" not in response.json()
    assert client.get(SESSION).json()["user"]["id"] == user.pk
    assert client.get("/api/v1/auth/me/").json()["email"] == user.email
    # A write with the cookie needs the CSRF token -- the new one: signing in rotated it.
    body = {"headline": "Builder"}
    me = "/api/v1/auth/me/"
    assert client.patch(me, body, content_type="application/json").status_code == 403
    stale = client.patch(me, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert stale.status_code == 403
    token = response.json()["csrf_token"]
    changed = client.patch(
        "/api/v1/auth/me/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert changed.status_code == 200 and changed.json()["headline"] == "Builder"


def test_without_the_csrf_token_nobody_is_signed_in() -> None:
    user = UserFactory()
    client, _ = browser()

    response = sign_in(client, None, user.email, PASSWORD)

    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert client.get("/api/v1/auth/me/").status_code in (401, 403)


def test_wrong_credentials_are_a_401_and_count_towards_the_lockout(settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory()
    client, token = browser()

    statuses = [sign_in(client, token, user.email, "guess").status_code for _ in range(3)]
    right = sign_in(client, token, user.email, PASSWORD)

    assert statuses == [401, 401, 429]
    assert right.status_code == 429
    assert right.json()["error"]["code"] == "too_many_failed_sign_ins"


def test_signing_out_ends_the_session() -> None:
    user = UserFactory()
    client, token = browser()
    token = sign_in(client, token, user.email, PASSWORD).json()["csrf_token"]

    assert client.delete(SESSION, HTTP_X_CSRFTOKEN=token).status_code == 204

    assert client.get("/api/v1/auth/me/").status_code in (401, 403)


def test_changing_the_password_keeps_this_browser_signed_in_and_ends_the_others() -> None:
    user = UserFactory()
    here, token = browser()
    there, other_token = browser()
    token = sign_in(here, token, user.email, PASSWORD).json()["csrf_token"]
    sign_in(there, other_token, user.email, PASSWORD)

    changed = here.post(
        "/api/v1/auth/password/",
        {"old_password": PASSWORD, "new_password": "a brand new passphrase 9"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert changed.status_code == 200
    assert here.get("/api/v1/auth/me/").status_code == 200
    assert there.get("/api/v1/auth/me/").status_code in (401, 403)
