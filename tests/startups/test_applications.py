"""The application life cycle through the API: transitions, conflicts and who sees what."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from startups.models import Application, ApplicationStatus, Opportunity, OpportunityStatus
from tests.accounts.factories import FounderFactory, UserFactory
from tests.startups.factories import ApplicationFactory, OpportunityFactory, StartupFactory
from tests.startups.helpers import (
    APPLICATIONS,
    application_url,
    assert_error,
    db_state,
    ids,
    opportunity_url,
)

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], APIClient]

# The user who may perform each action on an application.
ACTOR = {"accept": "founder", "reject": "founder", "withdraw": "talent"}


@pytest.fixture
def application(opportunity: Opportunity, talent: User) -> Application:
    return ApplicationFactory(opportunity=opportunity, applicant=talent)


def _act(client_for: ClientFor, users: dict[str, User], application: Application, action: str):
    client = client_for(users[ACTOR[action]])
    return client.post(f"{application_url(application.pk)}{action}/")


@pytest.fixture
def users(founder: User, talent: User) -> dict[str, User]:
    return {"founder": founder, "talent": talent}


# --- Allowed transitions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        (ApplicationStatus.PENDING, "accept", ApplicationStatus.ACCEPTED),
        (ApplicationStatus.PENDING, "reject", ApplicationStatus.REJECTED),
        (ApplicationStatus.PENDING, "withdraw", ApplicationStatus.WITHDRAWN),
        (ApplicationStatus.ACCEPTED, "withdraw", ApplicationStatus.WITHDRAWN),
    ],
)
def test_allowed_transition(
    client_for: ClientFor,
    users: dict[str, User],
    application: Application,
    start: str,
    action: str,
    end: str,
) -> None:
    # Given an application in the start status
    Application.objects.filter(pk=application.pk).update(status=start)

    # When the allowed user performs the action
    response = _act(client_for, users, application, action)

    # Then it moves to the end status, in the response and in the database
    assert response.status_code == 200, response.content
    assert response.json()["status"] == end
    application.refresh_from_db()
    assert application.status == end


def test_accept_sets_decided_at(
    client_for: ClientFor, users: dict[str, User], application: Application
) -> None:
    assert application.decided_at is None
    before = timezone.now()

    response = _act(client_for, users, application, "accept")

    assert response.status_code == 200, response.content
    application.refresh_from_db()
    assert application.decided_at is not None
    assert before <= application.decided_at <= timezone.now()
    assert response.json()["decided_at"] is not None


def test_reject_sets_decided_at(
    client_for: ClientFor, users: dict[str, User], application: Application
) -> None:
    response = _act(client_for, users, application, "reject")

    assert response.status_code == 200, response.content
    application.refresh_from_db()
    assert application.decided_at is not None


# --- Refused transitions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "action"),
    [
        (ApplicationStatus.ACCEPTED, "accept"),
        (ApplicationStatus.ACCEPTED, "reject"),
        (ApplicationStatus.REJECTED, "accept"),
        (ApplicationStatus.REJECTED, "reject"),
        (ApplicationStatus.REJECTED, "withdraw"),
        (ApplicationStatus.WITHDRAWN, "accept"),
        (ApplicationStatus.WITHDRAWN, "reject"),
        (ApplicationStatus.WITHDRAWN, "withdraw"),
    ],
)
def test_invalid_transition_is_409_and_changes_nothing(
    client_for: ClientFor,
    users: dict[str, User],
    application: Application,
    start: str,
    action: str,
) -> None:
    decided = timezone.now() - timedelta(days=3)
    Application.objects.filter(pk=application.pk).update(status=start, decided_at=decided)
    before = db_state()

    response = _act(client_for, users, application, action)

    assert_error(response, 409, "invalid_transition")
    assert db_state() == before
    application.refresh_from_db()
    assert application.status == start
    assert application.decided_at == decided


# --- Applying ---------------------------------------------------------------------------------


def _apply(client: APIClient, opportunity: Opportunity, cover_letter: str = "Hello"):
    return client.post(f"{opportunity_url(opportunity.pk)}apply/", {"cover_letter": cover_letter})


def test_second_application_is_409_and_keeps_one_row(
    client_for: ClientFor, talent: User, opportunity: Opportunity
) -> None:
    client = client_for(talent)
    assert _apply(client, opportunity, "first").status_code == 201

    response = _apply(client, opportunity, "second")

    assert_error(response, 409, "application_exists")
    rows = Application.objects.filter(opportunity=opportunity, applicant=talent)
    assert rows.count() == 1
    assert rows.get().cover_letter == "first"


def test_reapplying_after_withdrawing_is_409(
    client_for: ClientFor, talent: User, application: Application, opportunity: Opportunity
) -> None:
    Application.objects.filter(pk=application.pk).update(status=ApplicationStatus.WITHDRAWN)

    response = _apply(client_for(talent), opportunity)

    assert_error(response, 409, "application_exists")
    assert Application.objects.filter(opportunity=opportunity).count() == 1


def test_applying_to_closed_opportunity_is_409(
    client_for: ClientFor, talent: User, startup
) -> None:
    closed = OpportunityFactory(startup=startup, status=OpportunityStatus.CLOSED)

    response = _apply(client_for(talent), closed)

    assert_error(response, 409, "opportunity_closed")
    assert not Application.objects.filter(opportunity=closed).exists()


def test_founder_applying_to_own_startup_is_refused(
    client_for: ClientFor, founder: User, opportunity: Opportunity
) -> None:
    response = _apply(client_for(founder), opportunity)

    assert_error(response, 403, "talent_only")
    assert not Application.objects.exists()


def test_talent_owning_the_startup_cannot_apply_to_it(client_for: ClientFor) -> None:
    # Given a talent account that owns a startup (e.g. a founder whose role was changed later)
    owner = UserFactory()
    opportunity = OpportunityFactory(startup=StartupFactory(owner=owner))

    response = _apply(client_for(owner), opportunity)

    assert_error(response, 403, "own_startup")
    assert not Application.objects.exists()


def test_applying_to_missing_opportunity_is_404(client_for: ClientFor, talent: User) -> None:
    response = client_for(talent).post(f"{opportunity_url(999_999)}apply/", {})

    assert_error(response, 404, "opportunity_not_found")
    assert not Application.objects.exists()


def test_new_application_is_pending_without_decision(
    client_for: ClientFor, talent: User, opportunity: Opportunity
) -> None:
    response = _apply(client_for(talent), opportunity)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["decided_at"] is None
    assert body["applicant"]["id"] == talent.pk
    assert body["opportunity"]["id"] == opportunity.pk


# --- Visibility -------------------------------------------------------------------------------


@pytest.fixture
def two_sides(founder: User, other_founder: User, talent: User, opportunity: Opportunity):
    """Applications on both sides of the founder and the talent, plus unrelated ones."""
    mine = ApplicationFactory(opportunity=opportunity, applicant=talent)
    to_founder = ApplicationFactory(opportunity=opportunity, applicant=UserFactory())
    elsewhere = OpportunityFactory(startup=StartupFactory(owner=other_founder))
    talent_elsewhere = ApplicationFactory(opportunity=elsewhere, applicant=talent)
    unrelated = ApplicationFactory(opportunity=elsewhere, applicant=UserFactory())
    return {
        "mine": mine,
        "to_founder": to_founder,
        "talent_elsewhere": talent_elsewhere,
        "unrelated": unrelated,
    }


def test_applicant_sees_only_their_applications(
    client_for: ClientFor, talent: User, two_sides
) -> None:
    response = client_for(talent).get(APPLICATIONS)

    assert set(ids(response)) == {two_sides["mine"].pk, two_sides["talent_elsewhere"].pk}


def test_owner_sees_only_applications_to_their_startups(
    client_for: ClientFor, founder: User, two_sides
) -> None:
    response = client_for(founder).get(APPLICATIONS)

    assert set(ids(response)) == {two_sides["mine"].pk, two_sides["to_founder"].pk}


def test_user_with_no_applications_sees_none(
    client_for: ClientFor, investor: User, two_sides
) -> None:
    response = client_for(investor).get(APPLICATIONS)

    assert ids(response) == []
    assert response.json()["count"] == 0


def test_anonymous_cannot_list_applications(client_for: ClientFor, two_sides) -> None:
    assert_error(client_for(None).get(APPLICATIONS), 401, "not_authenticated")


def test_role_filter_applicant(client_for: ClientFor, two_sides) -> None:
    # Given a user who both applied somewhere and owns a startup with applications
    # (a talent account owning a startup, e.g. after a role change)
    user = UserFactory()
    as_applicant = ApplicationFactory(applicant=user)
    to_them = ApplicationFactory(opportunity=OpportunityFactory(startup=StartupFactory(owner=user)))

    applicant_view = client_for(user).get(APPLICATIONS, {"role": "applicant"})
    owner_view = client_for(user).get(APPLICATIONS, {"role": "owner"})
    both = client_for(user).get(APPLICATIONS)

    assert ids(applicant_view) == [as_applicant.pk]
    assert ids(owner_view) == [to_them.pk]
    assert set(ids(both)) == {as_applicant.pk, to_them.pk}


def test_role_filter_owner_for_a_founder(client_for: ClientFor, founder: User, two_sides) -> None:
    owner_view = client_for(founder).get(APPLICATIONS, {"role": "owner"})
    applicant_view = client_for(founder).get(APPLICATIONS, {"role": "applicant"})

    assert set(ids(owner_view)) == {two_sides["mine"].pk, two_sides["to_founder"].pk}
    assert ids(applicant_view) == []


def test_unknown_role_filter_is_400(client_for: ClientFor, founder: User, two_sides) -> None:
    response = client_for(founder).get(APPLICATIONS, {"role": "admin"})

    assert_error(response, 400, "validation_error")


def test_status_filter(client_for: ClientFor, founder: User, two_sides) -> None:
    Application.objects.filter(pk=two_sides["mine"].pk).update(status=ApplicationStatus.ACCEPTED)

    accepted = client_for(founder).get(APPLICATIONS, {"status": "accepted"})
    pending = client_for(founder).get(APPLICATIONS, {"status": "pending"})

    assert ids(accepted) == [two_sides["mine"].pk]
    assert ids(pending) == [two_sides["to_founder"].pk]


def test_status_filter_takes_several_values(
    client_for: ClientFor, founder: User, two_sides
) -> None:
    Application.objects.filter(pk=two_sides["mine"].pk).update(status=ApplicationStatus.ACCEPTED)
    Application.objects.filter(pk=two_sides["to_founder"].pk).update(
        status=ApplicationStatus.REJECTED
    )

    both = client_for(founder).get(f"{APPLICATIONS}?status=accepted&status=rejected")
    neither = client_for(founder).get(f"{APPLICATIONS}?status=pending&status=withdrawn")

    assert set(ids(both)) == {two_sides["mine"].pk, two_sides["to_founder"].pk}
    assert ids(neither) == []


@pytest.mark.parametrize("key", ["mine", "to_founder"])
def test_third_user_gets_404_on_detail(
    client_for: ClientFor, other_founder: User, two_sides, key: str
) -> None:
    response = client_for(other_founder).get(application_url(two_sides[key].pk))

    assert_error(response, 404, "application_not_found")


def test_applicant_and_owner_see_detail(
    client_for: ClientFor, founder: User, talent: User, two_sides
) -> None:
    pk = two_sides["mine"].pk

    as_applicant = client_for(talent).get(application_url(pk))
    as_owner = client_for(founder).get(application_url(pk))

    assert as_applicant.status_code == 200
    assert as_owner.status_code == 200
    assert as_applicant.json()["id"] == as_owner.json()["id"] == pk


def test_third_founder_never_lists_others_applications(client_for: ClientFor, two_sides) -> None:
    stranger = FounderFactory()

    response = client_for(stranger).get(APPLICATIONS, {"role": "owner"})

    assert ids(response) == []


def test_withdrawing_keeps_the_time_of_the_decision(
    client_for: ClientFor, founder: User, talent: User, application: Application
) -> None:
    client_for(founder).post(f"{application_url(application.pk)}accept/")
    application.refresh_from_db()
    decided_at = application.decided_at
    assert decided_at is not None

    response = client_for(talent).post(f"{application_url(application.pk)}withdraw/")

    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert application.decided_at == decided_at
