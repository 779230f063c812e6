"""Sign-in rate limits key on the real client: a forged X-Forwarded-For does not reset them
(the lockouts use the same rule: tests/accounts/test_lockout.py)."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_forged_forwarded_for_headers_share_one_budget(api_client: APIClient, settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "5/min"}  # before any lockout
    credentials = {"email": "nobody@example.com", "password": "wrong"}
    statuses = [
        api_client.post(
            "/api/v1/auth/login/", credentials, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}"
        ).status_code
        for i in range(6)
    ]

    assert statuses == [401] * 5 + [429]
