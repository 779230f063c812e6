"""Sign-in throttling keys on the real client: a forged X-Forwarded-For does not reset it."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_forged_forwarded_for_headers_share_one_budget(api_client: APIClient) -> None:
    credentials = {"email": "nobody@example.com", "password": "wrong"}
    statuses = [
        api_client.post(
            "/api/v1/auth/login/", credentials, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}"
        ).status_code
        for i in range(11)
    ]

    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
