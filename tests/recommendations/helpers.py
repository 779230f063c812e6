"""Engaging with items the way the platform records it, so the feature store sees real rows."""

from typing import Any

from accounts.models import User
from feed.services import follow_create
from recommendations.models import Interaction
from recommendations.services import interaction_record
from startups.models import Opportunity
from startups.services import application_create, save_create


def engage(user: User, kind: str, item: Any) -> Interaction:
    """``user`` saves, follows or applies to ``item`` through that action's own service (its
    event records the interaction), or views, likes or shares it as a client would."""
    is_opportunity = isinstance(item, Opportunity)
    if kind == "save":
        save_create(user=user, **{"opportunity" if is_opportunity else "startup": item})
    elif kind == "follow":
        follow_create(follower=user, target=item)
    elif kind == "apply":
        application_create(opportunity=item, applicant=user)
    else:
        item_type = "opportunity" if is_opportunity else "startup"
        return interaction_record(user=user, kind=kind, item_type=item_type, item_id=item.pk)
    return Interaction.objects.filter(user=user, kind=kind, item_id=item.pk).latest("id")
