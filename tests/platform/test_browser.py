"""The production Content-Security-Policy in a real browser (Debian's headless Chromium, driven by
Playwright): the admin signs in and the Swagger UI lists the operations, and Chromium reports
no violation of the policy on the way.

Skipped only on a developer's machine without chromium; in CI (CI=true, or REQUIRE_BROWSER=1)
a missing browser fails the test."""

from typing import Any

import pytest

from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.browser import require_chromium, violations

require_chromium()

PASSWORD = "browser-test-passphrase-2026"


@pytest.fixture
def staff(transactional_db: None) -> User:
    """Made before the browser starts: Playwright's sync API runs an event loop in this
    thread, where Django refuses database calls."""
    user = UserFactory(email="staff@collabhub.dev", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def test_admin_and_swagger_ui_work_under_the_csp_with_no_violation(
    staff: User, live_server: Any, page: Any
) -> None:
    csp_headers: list[str] = []
    page.on(
        "response",
        lambda r: csp_headers.append(r.headers.get("content-security-policy", "")),
    )

    # The admin's login page renders and signs in.
    page.goto(f"{live_server.url}/admin/login/")
    assert "'unsafe-inline'" not in csp_headers[0] and "script-src 'self'" in csp_headers[0]
    page.fill("input[name=username]", staff.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    assert page.locator("#site-name").is_visible()
    assert page.locator("#user-tools").inner_text().upper().startswith("WELCOME")
    assert violations(page) == []

    # The Swagger UI (staff only with DEBUG off) renders the list of operations.
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", state="visible")
    assert page.locator(".opblock").count() > 20
    assert "/api/v1/startups/" in page.locator(".opblock-summary-path").all_inner_texts()
    page.locator(".opblock-summary").first.click()  # an operation opens
    page.wait_for_selector(".opblock-body", state="visible")
    assert violations(page) == []
