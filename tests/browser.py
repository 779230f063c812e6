"""A real browser for tests: Debian's headless Chromium, driven by Playwright's Python API.

Test modules that use it call ``require_chromium()`` at import: skipped only on a developer's
machine without chromium; in CI (CI=true, or REQUIRE_BROWSER=1) a missing browser fails.
The ``page`` fixture records every Content-Security-Policy violation the page reports
(``violations``). Playwright's ``wait_for_function`` evaluates a string, which our CSP
forbids: wait with ``wait_until`` instead.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings

from tests.support import ROOT, free_port, process_env, wait_until_up

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_REQUIRED = os.environ.get("REQUIRE_BROWSER") == "1" or os.environ.get("CI") == "true"

# Recorded in the page before any of its own scripts run; Playwright's init script is not
# subject to the page's policy.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI}`);
});
"""


def require_chromium() -> None:
    if CHROMIUM is None and not BROWSER_REQUIRED:
        pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
def page() -> Iterator[Any]:
    assert CHROMIUM is not None, "chromium is required in CI (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context()
            context.add_init_script(RECORD_VIOLATIONS)
            yield _recording(context.new_page())
        finally:
            browser.close()


def _recording(page: Any) -> Any:
    page.set_default_timeout(20_000)
    page.console_lines = []
    page.on("console", lambda m: page.console_lines.append(f"{m.type}: {m.text}"))
    return page


def another_person(page: Any) -> Any:
    """A second person's page: a browser context of its own (cookies, storage) in the same
    Chromium as ``page``."""
    context = page.context.browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    return _recording(context.new_page())


def violations(page: Any) -> list[str]:
    reported = [line for line in page.console_lines if "Content Security Policy" in line]
    return reported + list(page.evaluate("window.__cspViolations"))


def wait_until(page: Any, condition: Callable[[], Any], timeout: float = 20) -> Any:
    """Poll ``condition`` (Python, e.g. reading the page with ``page.evaluate``) until it is
    truthy; its last value otherwise, after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(100)


@pytest.fixture
def asgi_server(transactional_db: None) -> Iterator[str]:
    """Daphne serving the whole site (pages, API, ``/ws/``) on this test's PostgreSQL
    database and Redis, as deployed behind one origin; its base URL. Tasks run eagerly in it
    (the test settings), so a write's pushes leave from the process that served the write.
    Service-backed runs only: another process cannot share an in-memory SQLite database."""
    db = settings.DATABASES["default"]
    env = process_env(
        DJANGO_SETTINGS_MODULE="collabhub.settings_test",  # this worker's Redis databases
        SECRET_KEY=settings.SECRET_KEY,
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        REDIS_URL=settings.REDIS_URL,
        SESSION_COOKIE_SECURE="0",  # plain HTTP on loopback
        CSRF_COOKIE_SECURE="0",
        ANALYTICS_LIVE_INTERVAL="0.5",
        LOG_LEVEL="WARNING",
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
         "collabhub.asgi:application"],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until_up(f"http://127.0.0.1:{port}/live/")
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
