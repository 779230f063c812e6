"""The web app in a real browser (headless Chromium), as deployed: Daphne serving the pages,
the API and ``/ws/`` on PostgreSQL and Redis. People do what they came for, through the pages
only; what one does reaches the other's open page without a reload; no Content-Security-Policy
violation on the way.

Service-backed runs only (the server is another process sharing the test database)."""

from typing import Any

import pytest
from django.conf import settings

from accounts.models import User
from startups.models import Opportunity
from tests.accounts.factories import FounderFactory, UserFactory
from tests.browser import another_person, require_chromium, violations, wait_until
from tests.startups.factories import OpportunityFactory, StartupFactory

require_chromium()

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_AVAILABLE, reason="needs Redis: runs in the service-backed run"
    ),
]

PASSWORD = "journey-passphrase-2026"


def with_password(user: User) -> User:
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(page: Any, base: str, email: str, then: str = "/") -> None:
    """Through the sign-in page, to ``then``."""
    page.goto(f"{base}/sign-in/?next={then}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{then}")


@pytest.fixture
def founder_with_a_role(transactional_db: None) -> tuple[User, Opportunity]:
    """Made before the browsers start (Playwright's event loop forbids database calls)."""
    founder = with_password(FounderFactory(email="founder@journey.dev", name="Fay Founder"))
    startup = StartupFactory(
        owner=founder, name="Ledgerly", tagline="Bookkeeping for bakeries", industry="fintech"
    )
    opportunity = OpportunityFactory(startup=startup, title="Growth marketer")
    return founder, opportunity


def test_a_talent_signs_up_finds_a_startup_by_a_typo_applies_and_sees_the_answer_live(
    founder_with_a_role: tuple[User, Opportunity], asgi_server: str, page: Any
) -> None:
    founder, opportunity = founder_with_a_role
    base = asgi_server

    # Sign up (role, then profile).
    page.goto(f"{base}/")
    page.click("text=Create an account")
    page.check("input[name=role][value=talent]")
    page.fill("#name", "Tess Talent")
    page.fill("#email", "tess@journey.dev")
    page.fill("#password", "a long enough passphrase 7")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/me/edit/?welcome=1")
    page.fill("#headline", "Growth marketer for B2B")
    page.fill("#skills", "seo, copywriting")
    page.check("input[name=interests][value=fintech]")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    # Search with a typo, from the top bar; then narrow it as you type.
    page.fill("#top-search", "ledgerli")
    page.press("#top-search", "Enter")
    page.wait_for_url(f"{base}/discover/?search=ledgerli")
    assert page.locator(".startup-card h2").all_inner_texts() == ["Ledgerly"]
    assert page.locator(".startup-card mark").count() >= 1
    page.fill("#discover-search", "bakeris")
    assert wait_until(page, lambda: "bakeris" in page.locator("#result-count").inner_text())
    assert page.url == f"{base}/discover/?search=bakeris"

    # Follow the startup, apply to its role.
    page.click("text=Ledgerly")
    page.click("button[data-toggle=follow]")
    assert wait_until(page, lambda: page.locator("#followers-count").inner_text() == "1")
    page.click(f"text={opportunity.title}")
    page.fill("#cover_letter", "I grew two bakeries' books to a thousand customers.")
    page.click("#apply button[type=submit]")
    assert wait_until(page, lambda: page.locator("#application-status").count() == 1)
    assert page.locator("#application-status").inner_text() == "Pending"

    # The talent waits on the home page.
    page.goto(f"{base}/")
    assert page.locator("#bell-count").get_attribute("data-count") == "0"
    page.evaluate("window.notReloaded = true")

    # The founder accepts from the applications board, in another browser.
    return_path = f"/opportunities/{opportunity.pk}/applications/"
    founder_page = another_person(page)
    sign_in(founder_page, base, founder.email, then=return_path)
    card = founder_page.locator(".application", has_text="Tess Talent")
    assert "bakeries" in card.inner_text()
    card.locator("text=Accept").click()
    assert wait_until(founder_page, lambda: "Accepted" in card.inner_text())

    # The talent's bell and feed change without a reload.
    assert wait_until(page, lambda: page.locator("#bell-count").get_attribute("data-count") == "1")
    assert wait_until(
        page,
        lambda: "accepted an application to Growth marketer" in page.locator("#feed").inner_text(),
    )
    assert page.evaluate("window.notReloaded") is True
    assert violations(page) == [] and violations(founder_page) == []


@pytest.fixture
def talent_and_startups(transactional_db: None) -> User:
    talent = with_password(
        UserFactory(email="rita@journey.dev", role="talent", skills=["python", "django"])
    )
    for n, skills in enumerate([["python"], ["django", "python"], ["go"], ["python", "react"]]):
        StartupFactory(name=f"Startup {n}", skills=skills)
    return talent


def test_a_dismissed_recommendation_goes_and_does_not_come_back(
    talent_and_startups: User, asgi_server: str, page: Any
) -> None:
    base = asgi_server
    sign_in(page, base, talent_and_startups.email)

    startups = page.locator("#recommended-startups + ul > li[data-recommended]")
    assert wait_until(page, lambda: startups.count() >= 2)
    first = startups.first
    dismissed = first.get_attribute("data-recommended")
    assert first.locator(".reasons li").count() >= 1  # every recommendation says why
    first.locator("button[data-action=dismiss]").click()

    gone = f'[data-recommended="{dismissed}"]'
    assert wait_until(page, lambda: page.locator(gone).count() == 0)
    page.reload()
    assert wait_until(page, lambda: startups.count() >= 1)
    assert page.locator(gone).count() == 0
    assert violations(page) == []


@pytest.fixture
def founder_and_a_candidate(transactional_db: None) -> User:
    UserFactory(name="Cara Candidate", role="talent", skills=["python", "pytorch"])
    return with_password(FounderFactory(email="nora@journey.dev"))


def test_a_founder_presents_a_startup_posts_a_role_and_meets_a_candidate(
    founder_and_a_candidate: User, asgi_server: str, page: Any
) -> None:
    base = asgi_server
    sign_in(page, base, founder_and_a_candidate.email)

    page.goto(f"{base}/startups/new/")
    page.fill("#name", "Quillo")
    page.select_option("#industry", "ai")
    page.fill("#skills", "python, machine learning")
    page.check("input[name=remote_friendly]")
    page.click("button[type=submit]")
    assert wait_until(page, lambda: page.locator("h1").inner_text() == "Quillo")

    page.click("text=Post a role")
    page.fill("#title", "ML engineer")
    page.fill("#skills", "python, pytorch")
    page.fill("#compensation_min", "90000")
    page.click("button[type=submit]")
    assert wait_until(page, lambda: page.locator("h1").inner_text() == "ML engineer")
    assert "Full-time" in page.locator("article").inner_text()

    page.goto(f"{base}/")
    candidates = page.locator("#recommended-talent + ul > li[data-recommended]")
    assert wait_until(page, lambda: candidates.count() >= 1)
    assert "Cara Candidate" in candidates.first.inner_text()
    # Why, naming the role she fits.
    assert "of the 2 skills your ML engineer role needs" in candidates.first.inner_text()
    assert violations(page) == []


@pytest.fixture
def two_connected_people(transactional_db: None) -> tuple[User, User]:
    from tests.messaging.factories import ConnectionFactory

    ines = with_password(UserFactory(email="ines@journey.dev", name="Ines"))
    omar = with_password(UserFactory(email="omar@journey.dev", name="Omar"))
    ConnectionFactory(requester=ines, addressee=omar)
    return ines, omar


def test_two_people_chat_live_and_what_was_sent_while_one_was_away_arrives_once(
    two_connected_people: tuple[User, User], asgi_server: str, page: Any
) -> None:
    ines, omar = two_connected_people
    base = asgi_server
    sign_in(page, base, ines.email, then=f"/messages/{omar.pk}/")
    omars = another_person(page)
    sign_in(omars, base, omar.email, then=f"/messages/{ines.pk}/")
    for someone in (page, omars):
        assert wait_until(someone, lambda p=someone: p.evaluate("window.collabhub.state") == "live")

    def messages(who: Any) -> list[str]:
        return list(who.locator("#messages .body").all_inner_texts())

    # Live, both ways, from the keyboard (Enter sends).
    omars.fill("#body", "Hi Ines!")
    omars.press("#body", "Enter")
    assert wait_until(page, lambda: messages(page) == ["Hi Ines!"])
    page.fill("#body", "Hi Omar")
    page.press("#body", "Enter")
    assert wait_until(omars, lambda: messages(omars) == ["Hi Ines!", "Hi Omar"])
    # And with the button, twice: it is ready again after each message.
    for text in ("How are you?", "Lunch?"):
        page.fill("#body", text)
        page.click("#chat button[type=submit]")
        assert wait_until(omars, lambda t=text: messages(omars)[-1] == t)

    # Ines's laptop sleeps: no network, the socket gone. Chromium's offline emulation fails
    # requests but not WebSockets (microsoft/playwright#4910), so the page's reconnects go to a
    # path nothing serves, and fail, until it wakes up.
    page.context.set_offline(True)
    page.evaluate(
        """() => {
        const Real = window.WebSocket;
        window.WebSocket = function (url) { return new Real(url.replace("/ws/", "/asleep/")); };
        window.awake = () => { window.WebSocket = Real; };
    }"""
    )
    page.evaluate("window.collabhub.socket.close()")
    assert wait_until(page, lambda: page.evaluate("window.collabhub.state") == "offline")
    for text in ("Are you there?", "Call me tomorrow"):
        omars.fill("#body", text)
        omars.press("#body", "Enter")
        assert wait_until(omars, lambda t=text: messages(omars)[-1] == t)
    before = ["Hi Ines!", "Hi Omar", "How are you?", "Lunch?"]
    assert messages(page) == before

    # It wakes up: reconnects, resumes, and has each message once, in order.
    page.context.set_offline(False)
    page.evaluate("window.awake()")
    expected = [*before, "Are you there?", "Call me tomorrow"]
    assert wait_until(page, lambda: messages(page) == expected, timeout=40)
    page.wait_for_timeout(1000)  # nothing arrives twice afterwards
    assert messages(page) == expected
    assert violations(page) == [] and violations(omars) == []
