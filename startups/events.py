"""The events of startups, opportunities, applications and saves: their names, how they read,
what they carry, and who is told. Services call the ``*_event_record`` functions inside their
own transaction; ``feed`` discovers ``EVENT_TYPES`` and ``FOLLOWABLES``.
"""

from typing import Any

from django.contrib.contenttypes.models import ContentType

from accounts.models import User
from core.events import EventType, Followable
from feed.models import ActivityEvent
from feed.selectors import follower_id_list
from feed.services import event_record
from startups.models import Application, Opportunity, Startup

STARTUP_CREATED = "startup_created"
STARTUP_UPDATED = "startup_updated"
STARTUP_FOLLOWED = "startup_followed"
STARTUP_SAVED = "startup_saved"
OPPORTUNITY_POSTED = "opportunity_posted"
OPPORTUNITY_CLOSED = "opportunity_closed"
OPPORTUNITY_SAVED = "opportunity_saved"
APPLICATION_CREATED = "application_created"
APPLICATION_ACCEPTED = "application_accepted"
APPLICATION_REJECTED = "application_rejected"
APPLICATION_WITHDRAWN = "application_withdrawn"


def startup_snapshot(startup: Startup) -> dict[str, Any]:
    return {
        "type": "startup",
        "name": startup.name,
        "slug": startup.slug,
        "tagline": startup.tagline,
        "industry": startup.industry,
    }


def opportunity_snapshot(opportunity: Opportunity) -> dict[str, Any]:
    startup = opportunity.startup
    return {
        "type": "opportunity",
        "title": opportunity.title,
        "kind": opportunity.kind,
        "startup": {"id": startup.pk, "name": startup.name, "slug": startup.slug},
    }


def _startup_followers(event: ActivityEvent) -> list[int]:
    """A new opening is news to everyone who follows its startup."""
    if not event.startup_id:
        return []
    return follower_id_list(
        target_type=ContentType.objects.get_for_model(Startup), target_id=event.startup_id
    )


EVENT_TYPES = [
    EventType(STARTUP_CREATED, "{actor} created {name}", interest=True),
    EventType(STARTUP_UPDATED, "{actor} updated {name}"),
    EventType(STARTUP_FOLLOWED, "{actor} followed {name}"),
    EventType(STARTUP_SAVED, "{actor} saved {name}"),
    EventType(
        OPPORTUNITY_POSTED,
        "{actor} posted {title} at {startup}",
        interest=True,
        notify=_startup_followers,
    ),
    EventType(OPPORTUNITY_CLOSED, "{actor} closed {title} at {startup}"),
    EventType(OPPORTUNITY_SAVED, "{actor} saved {title} at {startup}"),
    EventType(APPLICATION_CREATED, "{actor} applied to {title} at {startup}"),
    EventType(APPLICATION_ACCEPTED, "{actor} accepted an application to {title} at {startup}"),
    EventType(APPLICATION_REJECTED, "{actor} declined an application to {title} at {startup}"),
    EventType(APPLICATION_WITHDRAWN, "{actor} withdrew an application to {title} at {startup}"),
]
FOLLOWABLES = [Followable(Startup, STARTUP_FOLLOWED, startup_snapshot, subject=True)]


def startup_event_record(*, action: str, startup: Startup, by: User) -> None:
    event_record(
        action_type=action,
        actor=by,
        target=startup,
        snapshot=startup_snapshot(startup),
        startup_id=startup.pk,
        industry=startup.industry,
        skills=startup.skills.all(),
    )


def opportunity_event_record(*, action: str, opportunity: Opportunity, by: User) -> None:
    event_record(
        action_type=action,
        actor=by,
        target=opportunity,
        snapshot=opportunity_snapshot(opportunity),
        startup_id=opportunity.startup_id,
        industry=opportunity.startup.industry,
        skills=opportunity.skills.all(),
    )


def application_event_record(*, action: str, application: Application, by: User) -> None:
    """Private: the applicant and the startup's owner see it; the other one is notified."""
    opportunity = application.opportunity
    owner_id = opportunity.startup.owner_id
    applicant = application.applicant
    event_record(
        action_type=action,
        actor=by,
        target=application,
        snapshot={
            **opportunity_snapshot(opportunity),
            "type": "application",
            "status": application.status,
            "opportunity_id": opportunity.pk,
        },
        startup_id=opportunity.startup_id,
        is_public=False,
        audience=[applicant, opportunity.startup.owner],
        recipients=[owner_id if by.pk == applicant.pk else applicant.pk],
    )


def save_event_record(
    *, user: User, startup: Startup | None = None, opportunity: Opportunity | None = None
) -> None:
    """A bookmark is private: only its owner sees the event."""
    target: Startup | Opportunity
    if startup is not None:
        action, target, snapshot = STARTUP_SAVED, startup, startup_snapshot(startup)
        startup_id = startup.pk
    elif opportunity is not None:
        action, target, snapshot = OPPORTUNITY_SAVED, opportunity, opportunity_snapshot(opportunity)
        startup_id = opportunity.startup_id
    else:
        raise ValueError("A save targets exactly one of a startup or an opportunity.")
    event_record(
        action_type=action,
        actor=user,
        target=target,
        snapshot=snapshot,
        startup_id=startup_id,
        is_public=False,
    )
