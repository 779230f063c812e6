import io
import json
import logging
from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the configured console handler (JSON formatter + request-ID filter) writes."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_django_request_warnings_carry_the_request_id(
    api_client: APIClient, log_output: io.StringIO
) -> None:
    response = api_client.get("/api/v1/startups/999999/", HTTP_X_REQUEST_ID="trace-me-42")

    assert response.status_code == 404
    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    warnings = [line for line in lines if line["logger"] == "django.request"]
    assert warnings, lines
    assert {line["request_id"] for line in warnings} == {"trace-me-42"}
    assert all(line["level"] == "WARNING" for line in warnings)
