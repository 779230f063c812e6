"""A real browser for tests: Debian's headless Chromium, driven by Playwright's Python API.

Test modules that use it call ``require_chromium()`` at import: skipped only on a developer's
machine without chromium; in CI (CI=true, or REQUIRE_BROWSER=1) a missing browser fails.
The ``page`` fixture records every Content-Security-Policy violation the page reports
(``violations``). Playwright's ``wait_for_function`` evaluates a string, which our CSP
forbids: wait with ``wait_until`` instead.
"""

import os
import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

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
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.console_lines = []  # type: ignore[attr-defined]
            page.on("console", lambda m: page.console_lines.append(f"{m.type}: {m.text}"))
            yield page
        finally:
            browser.close()


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
