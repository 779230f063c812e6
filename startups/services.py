"""Writes for startups, opportunities, applications and saves. Every function is atomic.

Ownership and role rules are enforced here, once, whatever the caller. Each write records its
activity event (``startups.events``) in the same transaction.
"""

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Role, User
from accounts.services import skills_replace
from core.services import model_touch, model_update
from startups import events
from startups.exceptions import (
    ApplicationExists,
    FoundersOnly,
    InvalidTransition,
    NotApplicant,
    NotStartupOwner,
    OpportunityClosed,
    OwnStartup,
    TalentOnly,
)
from startups.models import (
    OPPORTUNITY_DETAIL_FIELDS,
    STARTUP_PROFILE_FIELDS,
    Application,
    ApplicationStatus,
    Opportunity,
    Save,
    Startup,
)

# Which statuses an application may move to, and from which.
_TRANSITIONS: dict[str, set[str]] = {
    ApplicationStatus.ACCEPTED: {ApplicationStatus.PENDING},
    ApplicationStatus.REJECTED: {ApplicationStatus.PENDING},
    ApplicationStatus.WITHDRAWN: {ApplicationStatus.PENDING, ApplicationStatus.ACCEPTED},
}


def _assert_owner(*, startup: Startup, user: User) -> None:
    if startup.owner_id != user.pk:
        raise NotStartupOwner()


def _apply_fields(instance: Any, data: dict[str, Any], fields: tuple[str, ...]) -> None:
    for field in fields:
        if field in data:
            setattr(instance, field, data[field])


def _save_with_skills(instance: Startup | Opportunity, data: dict[str, Any]) -> None:
    """Validate and save; replace the skills when ``data`` names them."""
    instance.full_clean()
    instance.save()
    if "skills" in data:
        skills_replace(instance=instance, names=data["skills"])


def _unique_slug(name: str) -> str:
    """The name's slug, or the slug plus a random suffix when it is taken."""
    base = slugify(name)[:120] or "startup"
    slug = base
    while Startup.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


STARTUP_FIELDS = tuple(f for f in STARTUP_PROFILE_FIELDS if f not in {"slug", "skills"})
OPPORTUNITY_FIELDS = tuple(f for f in OPPORTUNITY_DETAIL_FIELDS if f != "skills")


@transaction.atomic
def startup_create(*, owner: User, data: dict[str, Any]) -> Startup:
    if owner.role != Role.FOUNDER:
        raise FoundersOnly()
    startup = Startup(owner=owner)
    _apply_fields(startup, data, STARTUP_FIELDS)
    startup.full_clean(exclude=["slug"])
    # Two concurrent creates of one name could pick the same free slug; the unique index
    # refuses the second, and it retries once with a fresh suffix.
    for attempt in range(2):
        startup.slug = _unique_slug(startup.name)
        try:
            with transaction.atomic():
                startup.save()
            break
        except IntegrityError:
            if attempt == 1:
                raise
    if "skills" in data:
        skills_replace(instance=startup, names=data["skills"])
    events.startup_event_record(action=events.STARTUP_CREATED, startup=startup, by=owner)
    return startup


@transaction.atomic
def startup_update(*, startup: Startup, by: User, data: dict[str, Any]) -> Startup:
    _assert_owner(startup=startup, user=by)
    # Re-read under a lock: concurrent edits apply one after the other, none is lost.
    startup = Startup.objects.select_for_update().get(pk=startup.pk)
    changed = model_update(instance=startup, fields=STARTUP_FIELDS, data=data)
    if "skills" in data and skills_replace(instance=startup, names=data["skills"]):
        if not changed:
            model_touch(instance=startup)
        changed.append("skills")
    if changed:  # an edit that changes nothing is no news
        events.startup_event_record(action=events.STARTUP_UPDATED, startup=startup, by=by)
    return startup


@transaction.atomic
def startup_delete(*, startup: Startup, by: User) -> None:
    _assert_owner(startup=startup, user=by)
    startup.delete()  # its follows go (feed listens); its events stay, with their snapshots


@transaction.atomic
def opportunity_create(*, startup: Startup, by: User, data: dict[str, Any]) -> Opportunity:
    _assert_owner(startup=startup, user=by)
    opportunity = Opportunity(startup=startup)
    _apply_fields(opportunity, data, OPPORTUNITY_FIELDS)
    _save_with_skills(opportunity, data)
    # The fan-out notifies the startup's followers.
    events.opportunity_event_record(
        action=events.OPPORTUNITY_POSTED, opportunity=opportunity, by=by
    )
    return opportunity


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, by: User, data: dict[str, Any]) -> Opportunity:
    """Edit an opportunity; ``status`` closes it to new applications or reopens it."""
    _assert_owner(startup=opportunity.startup, user=by)
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    was_open = opportunity.is_open
    changed = model_update(instance=opportunity, fields=OPPORTUNITY_FIELDS, data=data)
    skills_changed = "skills" in data and skills_replace(instance=opportunity, names=data["skills"])
    if skills_changed and not changed:
        model_touch(instance=opportunity)
    if was_open and not opportunity.is_open:
        events.opportunity_event_record(
            action=events.OPPORTUNITY_CLOSED, opportunity=opportunity, by=by
        )
    return opportunity


@transaction.atomic
def opportunity_delete(*, opportunity: Opportunity, by: User) -> None:
    _assert_owner(startup=opportunity.startup, user=by)
    opportunity.delete()


@transaction.atomic
def application_create(
    *, opportunity: Opportunity, applicant: User, cover_letter: str = ""
) -> Application:
    if applicant.role != Role.TALENT:
        raise TalentOnly()
    if opportunity.startup.owner_id == applicant.pk:
        raise OwnStartup()
    # Lock the opportunity: applies to it (and a close) run one at a time, so the checks
    # below cannot be raced (on SQLite the IMMEDIATE transaction does the same).
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if not opportunity.is_open:
        raise OpportunityClosed()
    if Application.objects.filter(opportunity=opportunity, applicant=applicant).exists():
        raise ApplicationExists()
    application = Application(
        opportunity=opportunity, applicant=applicant, cover_letter=cover_letter
    )
    application.full_clean(validate_unique=False, validate_constraints=False)
    application.save()
    events.application_event_record(
        action=events.APPLICATION_CREATED, application=application, by=applicant
    )
    return application


def _application_transition(*, application: Application, to: str) -> Application:
    """Move an application to ``to``. Should be called inside a transaction."""
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("applicant", "opportunity__startup")
        .get(pk=application.pk)
    )
    if locked.status not in _TRANSITIONS[to]:
        raise InvalidTransition(f"An application that is {locked.status} cannot become {to}.")
    locked.status = to
    if to in (ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED):
        locked.decided_at = timezone.now()  # the owner's decision; a withdrawal keeps it
    locked.save(update_fields=["status", "decided_at", "updated_at"])
    return locked


@transaction.atomic
def application_accept(*, application: Application, by: User) -> Application:
    _assert_owner(startup=application.opportunity.startup, user=by)
    application = _application_transition(application=application, to=ApplicationStatus.ACCEPTED)
    events.application_event_record(
        action=events.APPLICATION_ACCEPTED, application=application, by=by
    )
    return application


@transaction.atomic
def application_reject(*, application: Application, by: User) -> Application:
    _assert_owner(startup=application.opportunity.startup, user=by)
    application = _application_transition(application=application, to=ApplicationStatus.REJECTED)
    events.application_event_record(
        action=events.APPLICATION_REJECTED, application=application, by=by
    )
    return application


@transaction.atomic
def application_withdraw(*, application: Application, by: User) -> Application:
    if application.applicant_id != by.pk:
        raise NotApplicant()
    application = _application_transition(application=application, to=ApplicationStatus.WITHDRAWN)
    events.application_event_record(
        action=events.APPLICATION_WITHDRAWN, application=application, by=by
    )
    return application


@transaction.atomic
def save_create(
    *, user: User, startup: Startup | None = None, opportunity: Opportunity | None = None
) -> tuple[Save, bool]:
    """Bookmark a startup or an opportunity. Idempotent: returns (save, created)."""
    if (startup is None) == (opportunity is None):
        raise ValueError("A save targets exactly one of a startup or an opportunity.")
    # get_or_create re-reads the row when a concurrent identical save wins the insert.
    save, created = Save.objects.get_or_create(user=user, startup=startup, opportunity=opportunity)
    if created:
        events.save_event_record(user=user, startup=startup, opportunity=opportunity)
    return save, created


@transaction.atomic
def save_delete(
    *, user: User, startup: Startup | None = None, opportunity: Opportunity | None = None
) -> None:
    """Remove a bookmark. Idempotent: removing what is not saved is not an error."""
    Save.objects.filter(user=user, startup=startup, opportunity=opportunity).delete()
