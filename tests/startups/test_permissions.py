"""Who may call each write endpoint of the startups API: refused callers change nothing."""

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from startups.models import Application, ApplicationStatus, Opportunity, Save, Startup
from tests.accounts.factories import UserFactory
from tests.startups.factories import (
    ApplicationFactory,
    OpportunitySaveFactory,
    SaveFactory,
    StartupFactory,
)
from tests.startups.helpers import (
    OPPORTUNITIES,
    STARTUPS,
    application_url,
    assert_error,
    db_state,
    opportunity_url,
    startup_url,
)

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], APIClient]

NEW_STARTUP = {"name": "Orbital Kitchens", "industry": "food", "stage": "seed"}


@pytest.fixture
def actor(request: pytest.FixtureRequest) -> Callable[[str], User | None]:
    """Resolve an actor name from a parametrize table: ``anon`` or a user fixture's name."""

    def resolve(name: str) -> User | None:
        return None if name == "anon" else request.getfixturevalue(name)

    return resolve


@pytest.fixture
def world(startup: Startup, opportunity: Opportunity) -> None:
    """Real data around the rows under test, so a stray write anywhere would show."""
    ApplicationFactory(opportunity=opportunity, applicant=UserFactory())
    SaveFactory(user=UserFactory(), startup=startup)
    OpportunitySaveFactory(user=UserFactory(), opportunity=opportunity)


@pytest.fixture
def application(world: None, opportunity: Opportunity, talent: User) -> Application:
    return ApplicationFactory(opportunity=opportunity, applicant=talent)


# --- POST /startups/ ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("anon", 401, "not_authenticated"),
        ("talent", 403, "founders_only"),
        ("investor", 403, "founders_only"),
    ],
)
def test_create_startup_is_refused(
    client_for: ClientFor, actor, world: None, who: str, status: int, code: str
) -> None:
    # Given a caller who is not a founder, and a database with data in it
    before = db_state()

    # When they create a startup
    response = client_for(actor(who)).post(STARTUPS, NEW_STARTUP)

    # Then it is refused and nothing was written
    assert_error(response, status, code)
    assert db_state() == before


def test_founder_creates_startup(client_for: ClientFor, founder: User, world: None) -> None:
    count = Startup.objects.count()

    response = client_for(founder).post(STARTUPS, NEW_STARTUP)

    assert response.status_code == 201, response.content
    assert Startup.objects.count() == count + 1
    created = Startup.objects.get(pk=response.json()["id"])
    assert created.owner == founder
    assert created.name == NEW_STARTUP["name"]


# --- PATCH / DELETE /startups/{id}/ ---------------------------------------------------------

STARTUP_WRITE_REFUSED = [
    ("anon", 401, "not_authenticated"),
    ("other_founder", 403, "not_startup_owner"),
    ("talent", 403, "not_startup_owner"),
    ("investor", 403, "not_startup_owner"),
]


@pytest.mark.parametrize(("who", "status", "code"), STARTUP_WRITE_REFUSED)
def test_patch_startup_is_refused(
    client_for: ClientFor, actor, world: None, startup: Startup, who: str, status: int, code: str
) -> None:
    before = db_state()

    response = client_for(actor(who)).patch(startup_url(startup.pk), {"name": "Hijacked"})

    assert_error(response, status, code)
    assert db_state() == before


def test_owner_patches_startup(
    client_for: ClientFor, founder: User, world: None, startup: Startup
) -> None:
    response = client_for(founder).patch(startup_url(startup.pk), {"name": "Acme Robotics II"})

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Acme Robotics II"
    startup.refresh_from_db()
    assert startup.name == "Acme Robotics II"


@pytest.mark.parametrize(("who", "status", "code"), STARTUP_WRITE_REFUSED)
def test_delete_startup_is_refused(
    client_for: ClientFor, actor, world: None, startup: Startup, who: str, status: int, code: str
) -> None:
    before = db_state()

    response = client_for(actor(who)).delete(startup_url(startup.pk))

    assert_error(response, status, code)
    assert db_state() == before


def test_owner_deletes_startup(
    client_for: ClientFor, founder: User, world: None, startup: Startup
) -> None:
    response = client_for(founder).delete(startup_url(startup.pk))

    assert response.status_code == 204, response.content
    assert not Startup.objects.filter(pk=startup.pk).exists()


# --- POST /opportunities/ -------------------------------------------------------------------


def _new_opportunity(startup: Startup) -> dict[str, object]:
    return {"startup": startup.pk, "title": "Founding Designer", "kind": "contract"}


@pytest.mark.parametrize(("who", "status", "code"), STARTUP_WRITE_REFUSED)
def test_create_opportunity_is_refused(
    client_for: ClientFor, actor, world: None, startup: Startup, who: str, status: int, code: str
) -> None:
    before = db_state()

    response = client_for(actor(who)).post(OPPORTUNITIES, _new_opportunity(startup))

    assert_error(response, status, code)
    assert db_state() == before


def test_owner_creates_opportunity(
    client_for: ClientFor, founder: User, world: None, startup: Startup
) -> None:
    count = startup.opportunities.count()

    response = client_for(founder).post(OPPORTUNITIES, _new_opportunity(startup))

    assert response.status_code == 201, response.content
    assert startup.opportunities.count() == count + 1
    assert Opportunity.objects.get(pk=response.json()["id"]).startup == startup


# --- PATCH / DELETE /opportunities/{id}/ ----------------------------------------------------


@pytest.mark.parametrize(("who", "status", "code"), STARTUP_WRITE_REFUSED)
def test_patch_opportunity_is_refused(
    client_for: ClientFor,
    actor,
    world: None,
    opportunity: Opportunity,
    who: str,
    status: int,
    code: str,
) -> None:
    before = db_state()

    response = client_for(actor(who)).patch(
        opportunity_url(opportunity.pk), {"title": "Hijacked", "status": "closed"}
    )

    assert_error(response, status, code)
    assert db_state() == before


def test_owner_patches_opportunity(
    client_for: ClientFor, founder: User, world: None, opportunity: Opportunity
) -> None:
    response = client_for(founder).patch(
        opportunity_url(opportunity.pk), {"title": "Staff Django Engineer", "status": "closed"}
    )

    assert response.status_code == 200, response.content
    opportunity.refresh_from_db()
    assert opportunity.title == "Staff Django Engineer"
    assert opportunity.status == "closed"


@pytest.mark.parametrize(("who", "status", "code"), STARTUP_WRITE_REFUSED)
def test_delete_opportunity_is_refused(
    client_for: ClientFor,
    actor,
    world: None,
    opportunity: Opportunity,
    who: str,
    status: int,
    code: str,
) -> None:
    before = db_state()

    response = client_for(actor(who)).delete(opportunity_url(opportunity.pk))

    assert_error(response, status, code)
    assert db_state() == before


def test_owner_deletes_opportunity(
    client_for: ClientFor, founder: User, world: None, opportunity: Opportunity
) -> None:
    response = client_for(founder).delete(opportunity_url(opportunity.pk))

    assert response.status_code == 204, response.content
    assert not Opportunity.objects.filter(pk=opportunity.pk).exists()


# --- POST /opportunities/{id}/apply/ --------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("anon", 401, "not_authenticated"),
        ("founder", 403, "talent_only"),  # the startup's own founder: founders are not talent
        ("other_founder", 403, "talent_only"),
        ("investor", 403, "talent_only"),
    ],
)
def test_apply_is_refused(
    client_for: ClientFor,
    actor,
    world: None,
    opportunity: Opportunity,
    who: str,
    status: int,
    code: str,
) -> None:
    before = db_state()

    response = client_for(actor(who)).post(
        f"{opportunity_url(opportunity.pk)}apply/", {"cover_letter": "Hire me"}
    )

    assert_error(response, status, code)
    assert db_state() == before


def test_talent_applies(
    client_for: ClientFor, talent: User, world: None, opportunity: Opportunity
) -> None:
    response = client_for(talent).post(
        f"{opportunity_url(opportunity.pk)}apply/", {"cover_letter": "Hire me"}
    )

    assert response.status_code == 201, response.content
    application = Application.objects.get(opportunity=opportunity, applicant=talent)
    assert application.status == ApplicationStatus.PENDING
    assert application.cover_letter == "Hire me"
    assert response.json()["id"] == application.pk


# --- POST /applications/{id}/accept|reject/ -------------------------------------------------


@pytest.mark.parametrize("decision", ["accept", "reject"])
@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("anon", 401, "not_authenticated"),
        ("talent", 403, "not_startup_owner"),  # the applicant can see it but not decide it
        ("other_founder", 404, "application_not_found"),  # cannot even see it
        ("investor", 404, "application_not_found"),
    ],
)
def test_decide_application_is_refused(
    client_for: ClientFor,
    actor,
    application: Application,
    decision: str,
    who: str,
    status: int,
    code: str,
) -> None:
    before = db_state()

    response = client_for(actor(who)).post(f"{application_url(application.pk)}{decision}/")

    assert_error(response, status, code)
    assert db_state() == before


@pytest.mark.parametrize(
    ("decision", "expected"),
    [("accept", ApplicationStatus.ACCEPTED), ("reject", ApplicationStatus.REJECTED)],
)
def test_owner_decides_application(
    client_for: ClientFor, founder: User, application: Application, decision: str, expected: str
) -> None:
    response = client_for(founder).post(f"{application_url(application.pk)}{decision}/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == expected
    application.refresh_from_db()
    assert application.status == expected


# --- POST /applications/{id}/withdraw/ ------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("anon", 401, "not_authenticated"),
        ("founder", 403, "not_applicant"),  # the startup's owner sees it but did not apply
        ("other_founder", 404, "application_not_found"),
        ("investor", 404, "application_not_found"),
    ],
)
def test_withdraw_is_refused(
    client_for: ClientFor, actor, application: Application, who: str, status: int, code: str
) -> None:
    before = db_state()

    response = client_for(actor(who)).post(f"{application_url(application.pk)}withdraw/")

    assert_error(response, status, code)
    assert db_state() == before


def test_another_talent_cannot_withdraw(client_for: ClientFor, application: Application) -> None:
    before = db_state()

    response = client_for(UserFactory()).post(f"{application_url(application.pk)}withdraw/")

    assert_error(response, 404, "application_not_found")
    assert db_state() == before


def test_applicant_withdraws(client_for: ClientFor, talent: User, application: Application) -> None:
    response = client_for(talent).post(f"{application_url(application.pk)}withdraw/")

    assert response.status_code == 200, response.content
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN


# --- POST / DELETE /startups|opportunities/{id}/save/ ---------------------------------------

SIGNED_IN = ["talent", "founder", "other_founder", "investor"]


def _save_url(target: str, startup: Startup, opportunity: Opportunity) -> str:
    if target == "startup":
        return f"{startup_url(startup.pk)}save/"
    return f"{opportunity_url(opportunity.pk)}save/"


@pytest.mark.parametrize("method", ["post", "delete"])
@pytest.mark.parametrize("target", ["startup", "opportunity"])
def test_save_is_refused_to_anonymous(
    client_for: ClientFor,
    world: None,
    startup: Startup,
    opportunity: Opportunity,
    target: str,
    method: str,
) -> None:
    before = db_state()

    response = getattr(client_for(None), method)(_save_url(target, startup, opportunity))

    assert_error(response, 401, "not_authenticated")
    assert db_state() == before


@pytest.mark.parametrize("target", ["startup", "opportunity"])
@pytest.mark.parametrize("who", SIGNED_IN)
def test_first_save_creates_bookmark(
    client_for: ClientFor,
    actor,
    world: None,
    startup: Startup,
    opportunity: Opportunity,
    who: str,
    target: str,
) -> None:
    user = actor(who)

    response = client_for(user).post(_save_url(target, startup, opportunity))

    assert response.status_code == 201, response.content
    assert response.json()["type"] == target
    save = Save.objects.get(user=user)
    assert getattr(save, f"{target}_id") == (startup.pk if target == "startup" else opportunity.pk)


@pytest.mark.parametrize("target", ["startup", "opportunity"])
@pytest.mark.parametrize("who", SIGNED_IN)
def test_repeat_save_is_200_and_keeps_one_bookmark(
    client_for: ClientFor,
    actor,
    world: None,
    startup: Startup,
    opportunity: Opportunity,
    who: str,
    target: str,
) -> None:
    user = actor(who)
    client = client_for(user)
    first = client.post(_save_url(target, startup, opportunity))

    response = client.post(_save_url(target, startup, opportunity))

    assert response.status_code == 200, response.content
    assert response.json()["id"] == first.json()["id"]
    assert Save.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("target", ["startup", "opportunity"])
@pytest.mark.parametrize("who", SIGNED_IN)
def test_unsave_is_204_twice_and_touches_only_own_bookmark(
    client_for: ClientFor,
    actor,
    world: None,
    startup: Startup,
    opportunity: Opportunity,
    who: str,
    target: str,
) -> None:
    user = actor(who)
    client = client_for(user)
    client.post(_save_url(target, startup, opportunity))
    others = Save.objects.exclude(user=user).count()
    assert others == 2  # the world's bookmarks

    first = client.delete(_save_url(target, startup, opportunity))
    second = client.delete(_save_url(target, startup, opportunity))

    assert first.status_code == 204, first.content
    assert second.status_code == 204, second.content
    assert not Save.objects.filter(user=user).exists()
    assert Save.objects.exclude(user=user).count() == others


# --- Read-only fields cannot be written -----------------------------------------------------


def test_patch_cannot_transfer_startup_ownership(
    client_for: ClientFor, founder: User, other_founder: User, startup: Startup
) -> None:
    slug = startup.slug

    response = client_for(founder).patch(
        startup_url(startup.pk), {"owner": other_founder.pk, "slug": "stolen", "id": 999}
    )

    assert response.status_code == 200, response.content
    startup.refresh_from_db()
    assert (startup.owner, startup.slug, startup.pk) == (founder, slug, response.json()["id"])


def test_patch_cannot_move_opportunity_to_another_startup(
    client_for: ClientFor, founder: User, other_founder: User, opportunity: Opportunity
) -> None:
    elsewhere = StartupFactory(owner=other_founder)

    response = client_for(founder).patch(opportunity_url(opportunity.pk), {"startup": elsewhere.pk})

    assert response.status_code == 200, response.content
    opportunity.refresh_from_db()
    assert opportunity.startup_id != elsewhere.pk
    assert not elsewhere.opportunities.exists()


def test_applicant_cannot_set_status_when_applying(
    client_for: ClientFor, talent: User, opportunity: Opportunity
) -> None:
    response = client_for(talent).post(
        f"{opportunity_url(opportunity.pk)}apply/", {"status": "accepted", "decided_at": None}
    )

    assert response.status_code == 201, response.content
    application = Application.objects.get(applicant=talent)
    assert application.status == ApplicationStatus.PENDING
    assert application.decided_at is None
