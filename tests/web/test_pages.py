"""The web app's pages: who may open what, what the first paint shows (the API's own shapes,
filters and search), the error pages in the site's look -- and JSON still under ``/api/``."""

import re

import pytest
from django.test import Client, RequestFactory

from core.api.views import server_error
from feed.services import follow_create
from startups import events
from startups import services as startup_services
from tests.accounts.factories import UserFactory
from tests.startups.factories import OpportunityFactory, StartupFactory

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml"}


def browser(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_signed_out_the_home_is_the_landing_page_with_demo_accounts_only_in_debug(
    settings,
) -> None:
    page = browser().get("/")
    assert page.status_code == 200
    assert b"Where talent, founders and investors meet" in page.content
    assert b"demo-accounts" not in page.content  # DEBUG is off

    settings.DEBUG = True
    page = browser().get("/")
    assert b"founder@collabhub.dev" in page.content
    assert settings.DEMO_PASSWORD.encode() in page.content


def test_signed_in_the_home_is_the_feed(startup) -> None:
    fan = UserFactory(name="Fan")
    follow_create(follower=fan, target=startup, record=False)
    opportunity = OpportunityFactory(startup=startup, title="Rust engineer")
    events.opportunity_event_record(
        action=events.OPPORTUNITY_POSTED, opportunity=opportunity, by=startup.owner
    )

    page = browser(fan).get("/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="feed"' in html and "Rust engineer" in html
    assert f'data-user-id="{fan.pk}"' in html


@pytest.mark.parametrize("path", ["/notifications/", "/me/edit/", "/me/applications/", "/_/feed/"])
def test_pages_of_a_person_send_the_signed_out_to_sign_in(path: str) -> None:
    response = browser().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/sign-in/?next={path}"


def test_an_applications_board_is_its_founders_only(opportunity, founder) -> None:
    path = f"/opportunities/{opportunity.pk}/applications/"
    applicant = UserFactory(name="Ada Applicant")
    startup_services.application_create(
        opportunity=opportunity, applicant=applicant, cover_letter="I build things."
    )

    assert browser(UserFactory()).get(path, **HTML).status_code == 404
    board = browser(founder).get(path)
    assert board.status_code == 200
    assert b"Ada Applicant" in board.content and b"I build things." in board.content
    assert b"/accept/" in board.content


def test_an_opportunity_page_shows_your_application_or_the_form(opportunity) -> None:
    talent = UserFactory()
    path = f"/opportunities/{opportunity.pk}/"

    assert b"Send application" in browser(talent).get(path).content
    assert b"Sign in</a> to apply" in browser().get(path).content
    startup_services.application_create(opportunity=opportunity, applicant=talent, cover_letter="")
    page = browser(talent).get(path).content.decode()
    assert "Send application" not in page
    assert re.search(r'id="application-status">\s*Pending', page)


def test_discover_uses_the_apis_filters_and_search_with_snippets() -> None:
    StartupFactory(name="Ledgerly", tagline="Bookkeeping for bakeries", industry="fintech")
    StartupFactory(name="Cropwise", tagline="Soil sensors", industry="food")

    everything = browser().get("/discover/").content.decode()
    typo = browser().get("/discover/", {"search": "ledgerli"}).content.decode()
    filtered = browser().get("/discover/", {"industry": "food", "stage": ""}).content.decode()
    bad = browser().get("/discover/", {"industry": "nonsense"})

    assert "Ledgerly" in everything and "Cropwise" in everything
    assert "Ledgerly" in typo and "Cropwise" not in typo and "<mark>" in typo
    assert "Cropwise" in filtered and "Ledgerly" not in filtered  # an empty filter is none
    assert bad.status_code == 200 and b"Select a valid choice" in bad.content


def test_the_results_fragment_puts_the_pages_address_in_the_bar() -> None:
    StartupFactory(name="Ledgerly")
    response = browser().get("/_/discover/", {"search": "ledg", "stage": ""})
    assert response.status_code == 200
    assert response["HX-Replace-Url"] == "/discover/?search=ledg"
    assert b"<html" not in response.content  # the results alone


def test_a_startup_page_and_its_follow_state(startup, founder) -> None:
    fan = UserFactory()
    client = browser(fan)
    page = client.get(f"/startups/{startup.pk}/").content.decode()
    assert startup.name in page and 'aria-pressed="false"' in page
    follow_create(follower=fan, target=startup, record=False)
    assert 'data-toggle="follow"' in client.get(f"/startups/{startup.pk}/").content.decode()
    assert ">Following<" in client.get(f"/startups/{startup.pk}/").content.decode()


def test_pages_have_no_inline_script_and_the_strict_csp(startup, opportunity, founder) -> None:
    from tests.messaging.factories import ConnectionFactory

    talent = UserFactory()
    ConnectionFactory(requester=talent, addressee=founder)
    public = ["/", "/sign-in/", "/sign-up/", "/discover/", "/roles/", "/people/", "/traction/",
              f"/startups/{startup.pk}/", f"/opportunities/{opportunity.pk}/"]  # fmt: skip
    mine = ["/", "/me/edit/", "/me/password/", "/me/applications/", "/me/saved/",
            "/notifications/", "/network/", "/messages/", f"/messages/{founder.pk}/",
            f"/people/{founder.pk}/"]  # fmt: skip
    founders = ["/me/startups/", "/startups/new/", f"/startups/{startup.pk}/edit/",
                f"/opportunities/{opportunity.pk}/applications/"]  # fmt: skip
    pages = [(None, p) for p in public] + [(talent, p) for p in mine]
    for user, path in pages + [(founder, p) for p in founders]:
        response = browser(user).get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == [], path
        assert not re.search(r"\son[a-z]+=", html), path
        assert "unsafe-inline" not in response["Content-Security-Policy"].split("style-src")[0]


def test_a_browser_gets_the_sites_404_page_and_the_api_stays_json() -> None:
    page = browser().get("/no-such-page/", **HTML)
    api = browser().get("/api/v1/no-such-thing/", **HTML)
    machine = browser().get("/no-such-page/", HTTP_ACCEPT="application/json")
    startup = browser().get("/startups/999999/", **HTML)

    assert page.status_code == 404 and b"Page not found" in page.content
    assert page["Content-Type"].startswith("text/html")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    assert machine.status_code == 404 and machine.json()["error"]["code"] == "not_found"
    assert startup.status_code == 404 and b"Page not found" in startup.content


def test_a_browser_gets_the_sites_500_page_and_the_api_stays_json() -> None:
    factory = RequestFactory()
    page = server_error(factory.get("/discover/", **HTML))
    api = server_error(factory.get("/api/v1/startups/", **HTML))

    assert page.status_code == 500 and b"Something went wrong" in page.content
    assert api.status_code == 500 and b'"server_error"' in api.content


def test_signed_in_people_are_sent_home_from_sign_in_and_sign_up() -> None:
    client = browser(UserFactory())
    assert client.get("/sign-in/")["Location"] == "/"
    assert client.get("/sign-up/")["Location"] == "/"


def test_the_bell_shows_unread_notifications_and_staff_get_their_links() -> None:
    staff = UserFactory(is_staff=True)
    page = browser(staff).get("/discover/").content.decode()
    assert 'id="bell-count" data-count="0"' in page
    assert 'href="/admin/"' in page and 'href="/staff/analytics/"' in page
    member_page = browser(UserFactory()).get("/discover/").content.decode()
    assert 'href="/staff/analytics/"' not in member_page


def test_the_home_pages_recommendations_say_why_and_can_be_dismissed() -> None:
    talent = UserFactory(role="talent", skills=["python"])
    StartupFactory(name="Snakepit", skills=["python"])

    assert browser().get("/_/recommendations/")["Location"].startswith("/sign-in/")
    fragment = browser(talent).get("/_/recommendations/").content.decode()

    assert "Snakepit" in fragment and 'class="reasons"' in fragment
    assert 'data-action="dismiss" data-item-type="startup"' in fragment
    assert "?from=recommendation" in fragment


def test_a_recommended_item_page_names_its_item_for_the_view_it_records(startup) -> None:
    page = browser(UserFactory()).get(f"/startups/{startup.pk}/?from=recommendation")
    assert f'data-item="startup:{startup.pk}"' in page.content.decode()


def test_founders_forms_post_and_patch_their_own_startups_and_roles_only(
    startup, opportunity, founder
) -> None:
    mine = browser(founder)
    new_startup = mine.get("/startups/new/").content.decode()
    edit_startup = mine.get(f"/startups/{startup.pk}/edit/").content.decode()
    new_role = mine.get(f"/startups/{startup.pk}/roles/new/").content.decode()
    edit_role = mine.get(f"/opportunities/{opportunity.pk}/edit/").content.decode()

    assert 'data-method="POST" data-url="/api/v1/startups/"' in new_startup
    assert f'data-method="PATCH" data-url="/api/v1/startups/{startup.pk}/"' in edit_startup
    assert f'value="{startup.name}"' in edit_startup
    assert 'data-url="/api/v1/opportunities/"' in new_role
    assert f'name="startup" data-kind="number" value="{startup.pk}"' in new_role
    assert f'data-url="/api/v1/opportunities/{opportunity.pk}/"' in edit_role
    for path in [
        f"/startups/{startup.pk}/edit/",
        f"/startups/{startup.pk}/roles/new/",
        f"/opportunities/{opportunity.pk}/edit/",
    ]:
        assert browser(UserFactory()).get(path, **HTML).status_code == 404, path


def test_my_startups_lists_each_with_its_roles(startup, opportunity, founder) -> None:
    page = browser(founder).get("/me/startups/").content.decode()
    assert startup.name in page and opportunity.title in page
    assert f"/opportunities/{opportunity.pk}/applications/" in page
    assert browser(UserFactory()).get("/me/startups/").content.decode().count("<section") == 0


def test_the_owner_can_close_a_role_from_its_page(opportunity, founder) -> None:
    page = browser(founder).get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert """data-body='{"status": "closed"}'""" in page
    assert (
        "Close the role"
        not in browser(UserFactory()).get(f"/opportunities/{opportunity.pk}/").content.decode()
    )


# --- people, the network, messages ------------------------------------------------------------
def test_the_directory_searches_people_by_the_apis_rules() -> None:
    UserFactory(name="Grace Hopper", role="talent", headline="Compiler engineer")
    UserFactory(name="Ada Lovelace", role="founder")

    found = browser().get("/people/", {"search": "hoper"}).content.decode()
    founders = browser().get("/people/", {"role": "founder"}).content.decode()

    assert "Grace Hopper" in found and "Ada Lovelace" not in found
    assert "Ada Lovelace" in founders and "Grace Hopper" not in founders


def test_a_profile_offers_what_fits_the_connection() -> None:
    from tests.messaging.factories import ConnectionFactory

    me, stranger, friend, asker = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    ConnectionFactory(requester=me, addressee=friend)
    ConnectionFactory(requester=asker, addressee=me, pending=True)
    client = browser(me)

    assert "/api/v1/connections/" in client.get(f"/people/{stranger.pk}/").content.decode()
    assert f'href="/messages/{friend.pk}/"' in client.get(f"/people/{friend.pk}/").content.decode()
    assert "Accept their request" in client.get(f"/people/{asker.pk}/").content.decode()
    assert "Edit my profile" in client.get(f"/people/{me.pk}/").content.decode()
    assert browser().get(f"/people/{me.pk}/").status_code == 200  # profiles are public


@pytest.mark.parametrize("path", ["/network/", "/messages/", "/messages/1/"])
def test_the_network_and_messages_need_a_person(path: str) -> None:
    assert browser().get(path)["Location"] == f"/sign-in/?next={path}"


def test_the_network_lists_requests_to_answer_and_connections() -> None:
    from tests.messaging.factories import ConnectionFactory

    me, friend, asker = UserFactory(), UserFactory(name="Fran Friend"), UserFactory(name="Ash")
    ConnectionFactory(requester=friend, addressee=me)
    request = ConnectionFactory(requester=asker, addressee=me, pending=True)

    page = browser(me).get("/network/").content.decode()

    assert f"/api/v1/connections/{request.pk}/accept/" in page
    assert f"/api/v1/connections/{request.pk}/decline/" in page
    assert "Fran Friend" in page and f'href="/messages/{friend.pk}/"' in page


def test_a_chat_shows_the_history_and_writes_only_to_connections() -> None:
    from tests.messaging.factories import ConnectionFactory, MessageFactory

    me, friend, stranger = UserFactory(), UserFactory(), UserFactory()
    ConnectionFactory(requester=me, addressee=friend)
    first = MessageFactory(sender=friend, recipient=me, body="Hi <b>there</b>")
    MessageFactory(sender=me, recipient=friend, body="Hello!")
    client = browser(me)

    chat = client.get(f"/messages/{friend.pk}/").content.decode()
    assert chat.index("Hi &lt;b&gt;there&lt;/b&gt;") < chat.index("Hello!")  # oldest first
    assert f'data-message-id="{first.pk}"' in chat
    assert f'data-url="/api/v1/conversations/{friend.pk}/messages/"' in chat
    assert 'data-form="chat"' not in client.get(f"/messages/{stranger.pk}/").content.decode()
    assert client.get(f"/messages/{me.pk}/", **HTML).status_code == 404
    conversations = client.get("/messages/").content.decode()
    assert f'href="/messages/{friend.pk}/"' in conversations and "1 new" in conversations


def test_the_top_bar_counts_unread_messages_and_knows_the_last_notification() -> None:
    from tests.messaging.factories import MessageFactory

    me = UserFactory()
    MessageFactory(recipient=me)
    MessageFactory(recipient=me)
    page = browser(me).get("/discover/").content.decode()
    assert 'id="messages-count" data-count="2"' in page
    assert 'data-last-notification="0"' in page


def test_saved_lists_what_i_saved_with_an_unsave_button(startup, opportunity) -> None:
    me = UserFactory()
    startup_services.save_create(user=me, startup=startup)
    startup_services.save_create(user=me, opportunity=opportunity)

    page = browser(me).get("/me/saved/").content.decode()

    assert startup.name in page and opportunity.title in page
    assert f'data-url="/api/v1/startups/{startup.pk}/save/" aria-pressed="true"' in page
    assert f'data-url="/api/v1/opportunities/{opportunity.pk}/save/"' in page
    assert browser().get("/me/saved/")["Location"] == "/sign-in/?next=/me/saved/"


def test_traction_orders_by_growth_and_tells_investors_why() -> None:
    StartupFactory(name="Slowco", growth_rate=2, monthly_active_users=900)
    StartupFactory(name="Rocket", growth_rate=40, monthly_active_users=100)
    StartupFactory(name="Quiet", growth_rate=None, monthly_active_users=5000)

    page = browser().get("/traction/").content.decode()
    investor = browser(UserFactory(role="investor")).get("/traction/").content.decode()

    assert page.index("Rocket") < page.index("Slowco") < page.index("Quiet")
    assert "40.0 %" in page
    assert 'class="reasons"' in investor and 'class="reasons"' not in page


def test_a_founders_home_counts_the_applications_waiting(opportunity, founder) -> None:
    for _ in range(2):
        startup_services.application_create(
            opportunity=opportunity, applicant=UserFactory(), cover_letter=""
        )
    page = browser(founder).get("/").content.decode()
    assert re.search(r"<strong>2</strong> applications to your roles are waiting", page)
    assert 'id="pending-applications"' not in browser(UserFactory()).get("/").content.decode()


def test_the_password_page_posts_to_the_api_and_the_admin_leads_to_the_site() -> None:
    me = UserFactory(is_staff=True, is_superuser=True)
    page = browser(me).get("/me/password/").content.decode()
    assert 'data-url="/api/v1/auth/password/"' in page
    assert browser().get("/me/password/")["Location"] == "/sign-in/?next=/me/password/"
    assert '<a href="/">View site</a>' in browser(me).get("/admin/").content.decode()


def test_roles_use_the_apis_filters_and_search(startup) -> None:
    OpportunityFactory(startup=startup, title="Rust engineer", kind="contract", remote=True)
    OpportunityFactory(startup=startup, title="Office manager", kind="full-time")
    OpportunityFactory(startup=startup, title="Rust lead", status="closed")

    everything = browser().get("/roles/").content.decode()
    typo = browser().get("/roles/", {"search": "rust enginer"}).content.decode()
    remote = browser().get("/roles/", {"remote": "true", "kind": ""}).content.decode()
    fragment = browser().get("/_/roles/", {"kind": "full-time", "search": ""})

    assert "Rust engineer" in everything and "Office manager" in everything
    assert "Rust lead" not in everything  # open roles only, as the API
    assert "Rust engineer" in typo and "Office manager" not in typo
    assert "Rust engineer" in remote and "Office manager" not in remote
    assert fragment["HX-Replace-Url"] == "/roles/?kind=full-time"


def test_the_feed_pages_back_and_a_foreign_cursor_is_the_first_page(startup) -> None:
    fan = UserFactory()
    follow_create(follower=fan, target=startup, record=False)
    for n in range(22):
        opportunity = OpportunityFactory(startup=startup, title=f"Role {n}")
        events.opportunity_event_record(
            action=events.OPPORTUNITY_POSTED, opportunity=opportunity, by=startup.owner
        )
    client = browser(fan)

    first = client.get("/").content.decode()
    older = re.search(r'href="/\?cursor=([^"]+)"', first)
    assert older is not None and "Role 21 at" in first and "Role 0 at" not in first
    second = client.get(f"/?cursor={older.group(1)}").content.decode()
    assert "Role 0" in second and 'hx-trigger="feed-changed' not in second
    assert client.get("/?cursor=not-ours").status_code == 200


def test_an_unread_notification_can_be_marked_read() -> None:
    from tests.feed.factories import NotificationFactory

    me = UserFactory()
    notification = NotificationFactory(recipient=me)
    page = browser(me).get("/notifications/").content.decode()
    assert f'data-url="/api/v1/notifications/{notification.pk}/read/"' in page


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "/\\evil.example", "/\t/evil.example", "https://evil.example/x",
     "javascript:alert(1)"],
)  # fmt: skip
def test_sign_in_never_sends_anyone_to_another_site(target: str) -> None:
    page = browser().get("/sign-in/", {"next": target}).content.decode()
    assert 'data-next="/"' in page


def test_sign_in_goes_back_to_the_page_that_asked() -> None:
    page = browser().get("/sign-in/", {"next": "/opportunities/7/?tab=apply"}).content.decode()
    assert 'data-next="/opportunities/7/?tab=apply"' in page


def test_signing_out_is_not_limited_like_signing_in(settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "1/min"}
    user = UserFactory()
    from tests.accounts.factories import PASSWORD

    client = Client(enforce_csrf_checks=True)
    token = client.get("/api/v1/auth/session/").json()["csrf_token"]
    signed_in = client.post(
        "/api/v1/auth/session/",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    token = signed_in.json()["csrf_token"]
    assert client.delete("/api/v1/auth/session/", HTTP_X_CSRFTOKEN=token).status_code == 204


def test_discover_and_people_filter_by_skills_as_the_api_does() -> None:
    StartupFactory(name="Pyshop", skills=["python", "django"])
    StartupFactory(name="Goshop", skills=["go"])
    UserFactory(name="Pia Python", skills=["python"])
    UserFactory(name="Gus Go", skills=["go"])

    startups = browser().get("/discover/", {"skills": "python,django"}).content.decode()
    people = browser().get("/people/", {"skills": "go"}).content.decode()

    assert "Pyshop" in startups and "Goshop" not in startups
    assert "Gus Go" in people and "Pia Python" not in people


def test_an_applications_board_shows_the_candidates_for_its_role(founder, startup) -> None:
    role = OpportunityFactory(startup=startup, title="Data engineer", skills=["spark"])
    UserFactory(name="Sam Spark", role="talent", skills=["spark"])

    board = browser(founder).get(f"/opportunities/{role.pk}/applications/").content.decode()
    fragment = browser(founder).get(f"/_/opportunities/{role.pk}/candidates/").content.decode()

    assert f'hx-get="/_/opportunities/{role.pk}/candidates/"' in board
    assert "Sam Spark" in fragment and "your Data engineer role needs" in fragment
    other = browser(UserFactory()).get(f"/_/opportunities/{role.pk}/candidates/", **HTML)
    assert other.status_code == 404
