"""The live dashboard in a real browser (headless Chromium), as deployed: Daphne serving the
page, the API and ``/ws/`` on PostgreSQL and Redis. Staff sign in, the charts render, and a
sign-up made over the API reaches the sign-up counter without a reload -- with no
Content-Security-Policy violation on the way.

It needs Redis (and PostgreSQL: the server is another process, sharing the test database),
so it runs in the service-backed run, where REQUIRE_SERVICES=1 makes them mandatory."""

import json
import urllib.request
from typing import Any

import pytest
from django.conf import settings

from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.browser import require_chromium, violations, wait_until

require_chromium()

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_AVAILABLE, reason="needs Redis: runs in the service-backed run"
    ),
]

PASSWORD = "live-dashboard-passphrase-2026"
# Per canvas: its chart's number of points and of series, and whether it was drawn at a size.
CHARTS = """() => [...document.querySelectorAll("canvas")].map((canvas) => {
  const chart = window.Chart && window.Chart.getChart(canvas);
  return chart ? [chart.data.labels.length, chart.data.datasets.length, canvas.width > 0] : null;
})"""


@pytest.fixture
def staff(transactional_db: None) -> User:
    """Made before the browser starts (Playwright's event loop forbids database calls)."""
    user = UserFactory(email="live-staff@collabhub.dev", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_up(base: str, email: str) -> int:
    body = {"email": email, "password": "a long passphrase 1", "name": "New", "role": "talent"}
    request = urllib.request.Request(
        f"{base}/api/v1/auth/register/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def counter(page: Any, name: str) -> str:
    return str(page.locator(f"[data-total={name}]").inner_text())


def test_staff_see_the_charts_and_a_sign_up_arrive_without_a_reload(
    staff: User, asgi_server: str, page: Any
) -> None:
    server = asgi_server
    # Signed out, the page sends staff to the admin's sign-in, then back.
    page.goto(f"{server}/staff/analytics/")
    page.fill("input[name=username]", staff.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server}/staff/analytics/")

    # The charts render, with the dashboard API's series.
    def charts() -> list[Any]:
        return list(page.evaluate(CHARTS))

    wait_until(page, lambda: all(charts()))
    assert charts() == [[60, 4, True], [60, 1, True], [60, 2, True], [60, 1, True]]

    # Live: the socket is open and metric updates arrive.
    assert wait_until(page, lambda: page.locator("#status").inner_text() == "live")
    assert wait_until(page, lambda: page.evaluate("window.collabhubDashboard.updates") >= 1)
    before = int(counter(page, "signups"))
    page.evaluate("window.notReloaded = true")

    assert sign_up(server, "live-new@example.com") == 201

    # Set by a metric update (not by reading the dashboard again at a minute's turn).
    assert wait_until(
        page,
        lambda: (
            counter(page, "signups") == str(before + 1)
            and page.evaluate("window.collabhubDashboard.totalsFrom") == "update"
        ),
    ), f"the sign-up counter stayed at {counter(page, 'signups')}"
    assert page.evaluate("window.notReloaded") is True
    assert int(page.locator("#sockets").inner_text()) >= 1
    assert page.locator("#experiments tbody tr").first.inner_text() == "No experiments yet."
    assert violations(page) == []
