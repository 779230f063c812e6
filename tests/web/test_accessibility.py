"""Every page passes axe-core (vendored for the tests: tests/vendor/axe-core) with no serious
or critical violation, and the main journeys work from the keyboard alone -- in headless
Chromium, against the live server (both runs: no socket is needed here)."""

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from startups import services as startup_services
from tests.accounts.factories import FounderFactory, UserFactory
from tests.browser import require_chromium, violations
from tests.messaging.factories import ConnectionFactory, MessageFactory
from tests.startups.factories import OpportunityFactory, StartupFactory

require_chromium()

pytestmark = pytest.mark.django_db(transaction=True)

AXE = (Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js").read_text()
SERIOUS = """() => axe.run(document).then((result) => ({
  checked: result.passes.length,
  serious: result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ` +
                v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")),
}))"""
PASSWORD = "accessible-passphrase-2026"


def axe_violations(page: Any) -> list[str]:
    page.evaluate(AXE)  # through the debugging protocol: the page's CSP does not apply
    result = page.evaluate(SERIOUS)
    assert result["checked"] > 10, "axe checked next to nothing"
    return list(result["serious"])


@pytest.fixture
def world(transactional_db: None) -> dict[str, Any]:
    """A founder with a startup, a role and an application; a talent connected to them with a
    message; staff. Made before the browser starts (no database calls from its thread)."""
    founder = FounderFactory(name="Fay Founder")
    talent = UserFactory(name="Tess Talent", role="talent", skills=["python"])
    talent.set_password(PASSWORD)
    talent.save()
    staff = UserFactory(is_staff=True, is_superuser=True)
    startup = StartupFactory(owner=founder, name="Ledgerly", skills=["python"])
    opportunity = OpportunityFactory(startup=startup, title="Backend engineer")
    other_role = OpportunityFactory(startup=startup, title="Designer")
    startup_services.application_create(
        opportunity=opportunity, applicant=talent, cover_letter="Hello"
    )
    ConnectionFactory(requester=talent, addressee=founder)
    MessageFactory(sender=founder, recipient=talent, body="Welcome!")

    def session(user: User) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    return {
        "founder": founder,
        "talent": talent,
        "startup": startup,
        "opportunity": opportunity,
        "other_role": other_role,
        "sessions": {
            "founder": session(founder),
            "talent": session(talent),
            "staff": session(staff),
        },
    }


def signed_in(page: Any, base: str, session: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": base}])


def test_every_page_has_no_serious_or_critical_accessibility_violation(
    world: dict[str, Any], live_server: Any, page: Any
) -> None:
    base = live_server.url
    startup, opportunity, founder, talent = (
        world["startup"], world["opportunity"], world["founder"], world["talent"]
    )  # fmt: skip
    pages = {
        None: [
            "/", "/sign-in/", "/sign-up/", "/discover/", "/discover/?search=ledger",
            f"/startups/{startup.pk}/", f"/opportunities/{opportunity.pk}/", "/people/",
            f"/people/{founder.pk}/", "/traction/", "/roles/", "/roles/?search=backend",
            "/no-such-page/",
        ],
        "talent": [
            "/", "/me/edit/", "/me/applications/", "/notifications/", "/network/",
            "/messages/", f"/messages/{founder.pk}/", f"/opportunities/{opportunity.pk}/",
            f"/opportunities/{world['other_role'].pk}/", "/me/saved/", "/me/password/",
        ],
        "founder": [
            "/me/startups/", "/startups/new/", f"/startups/{startup.pk}/edit/",
            f"/startups/{startup.pk}/roles/new/", f"/opportunities/{opportunity.pk}/edit/",
            f"/opportunities/{opportunity.pk}/applications/", f"/people/{talent.pk}/",
        ],
        "staff": ["/staff/analytics/"],
    }  # fmt: skip
    found = {}
    for who, paths in pages.items():
        page.context.clear_cookies()
        if who:
            signed_in(page, base, world["sessions"][who])
        for path in paths:
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
            problems = axe_violations(page)
            if problems:
                found[f"{who or 'signed out'} {path}"] = problems
    assert found == {}
    assert violations(page) == []

    # The check itself catches what it is for: an image without a text alternative.
    page.evaluate("document.querySelector('main').append(document.createElement('img'))")
    assert any(problem.startswith("image-alt") for problem in axe_violations(page))


def test_signing_in_and_applying_work_from_the_keyboard_alone(
    world: dict[str, Any], live_server: Any, page: Any
) -> None:
    base = live_server.url
    role = world["other_role"]

    def tab_to(selector: str) -> None:
        for _ in range(60):
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
            page.keyboard.press("Tab")
        raise AssertionError(f"{selector} cannot be reached with Tab")

    page.goto(f"{base}/sign-in/?next=/opportunities/{role.pk}/")
    tab_to("#email")  # focused on arrival (autofocus)
    page.keyboard.type(world["talent"].email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/opportunities/{role.pk}/")

    tab_to("#cover_letter")
    page.keyboard.type("I design with care.")
    tab_to("#apply button[type=submit]")
    # The focused element is visibly marked (a focus ring, not the browser's default none).
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("Enter")
    page.wait_for_selector("#application-status")
    assert page.locator("#application-status").inner_text() == "Pending"


def test_the_main_pages_fit_a_phones_width(
    world: dict[str, Any], live_server: Any, page: Any
) -> None:
    base = live_server.url
    page.set_viewport_size({"width": 375, "height": 760})
    signed_in(page, base, world["sessions"]["talent"])
    wide = {}
    for path in ["/", "/discover/", f"/startups/{world['startup'].pk}/", "/traction/",
                 f"/messages/{world['founder'].pk}/", "/people/"]:  # fmt: skip
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            wide[path] = width
    assert wide == {}  # nothing to scroll sideways


def test_skills_are_chips_added_and_removed_from_the_keyboard(
    world: dict[str, Any], live_server: Any, page: Any
) -> None:
    base = live_server.url
    signed_in(page, base, world["sessions"]["talent"])
    page.goto(f"{base}/me/edit/")
    chips = page.locator("ul.chips.editable li")
    assert [text.rstrip("\u00d7").strip() for text in chips.all_inner_texts()] == ["python"]

    page.focus("#skills")
    page.keyboard.type("rust")
    page.keyboard.press("Enter")
    page.keyboard.type("go,sql,")
    page.keyboard.press("Backspace")  # the box is empty: the last chip goes
    page.get_by_role("button", name="Remove python").click()
    page.keyboard.type("Kotlin")  # still typed when the form is sent: it counts
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    me = page.evaluate("fetch('/api/v1/auth/me/').then((r) => r.json())")
    assert sorted(me["skills"]) == ["go", "kotlin", "rust"]
