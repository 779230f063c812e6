"""Signal receivers: how this app learns from the rest of the platform without being called
by it (connected in ``apps.py``)."""

from typing import Any


def event_recorded(sender: Any, event: Any, **kwargs: Any) -> None:
    from recommendations.services import interaction_record_from_event

    interaction_record_from_event(event=event)


def interaction_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    from recommendations.services import recommendations_invalidate

    recommendations_invalidate(user_id=instance.user_id)


def _undone(sender: Any, origin: Any) -> bool:
    """An unsave or unfollow itself, not a row swept away with its user or item (whose
    interactions go with the user, or no longer match anything)."""
    model = origin.model if hasattr(origin, "model") else type(origin)
    return model is sender


def save_deleted(sender: Any, instance: Any, origin: Any = None, **kwargs: Any) -> None:
    from recommendations.models import InteractionKind, ItemType
    from recommendations.services import interaction_undo

    if not _undone(sender, origin):
        return

    if instance.startup_id is not None:
        item_type, item_id = ItemType.STARTUP, instance.startup_id
    else:
        item_type, item_id = ItemType.OPPORTUNITY, instance.opportunity_id
    interaction_undo(
        user_id=instance.user_id, kind=InteractionKind.SAVE, item_type=item_type, item_id=item_id
    )


def follow_deleted(sender: Any, instance: Any, origin: Any = None, **kwargs: Any) -> None:
    from django.contrib.contenttypes.models import ContentType

    from recommendations.models import InteractionKind, ItemType
    from recommendations.services import interaction_undo
    from startups.models import Startup

    if (
        _undone(sender, origin)
        and instance.target_type_id == ContentType.objects.get_for_model(Startup).pk
    ):
        interaction_undo(
            user_id=instance.follower_id,
            kind=InteractionKind.FOLLOW,
            item_type=ItemType.STARTUP,
            item_id=instance.target_id,
        )


def profile_updated(sender: Any, user: Any, **kwargs: Any) -> None:
    _person_changed(user.pk)


def user_saved(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # a login is not a profile change
    _person_changed(instance.pk)


def _person_changed(user_id: int) -> None:
    from recommendations.services import item_stamp, recommendations_invalidate

    recommendations_invalidate(user_id=user_id)  # what they are shown
    item_stamp(kind="talent", item_id=user_id)  # and how founders see them


def _reverse_ids(sender: Any, instance: Any, action: str, pk_set: Any) -> list[int]:
    """The people or items a change made from the skill's side touches: ``pk_set``, or for a
    clear (which has none) the ids read in ``pre_clear``."""
    column = next(f.attname for f in sender._meta.fields if f.is_relation and f.name != "skill")
    if action == "pre_clear":
        instance._recommendations_cleared = list(
            sender._default_manager.filter(skill=instance).values_list(column, flat=True)
        )
        return []
    if action == "post_clear":
        return list(getattr(instance, "_recommendations_cleared", []))
    return list(pk_set or ()) if action.startswith("post_") else []


def user_skills(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if reverse:  # skill.users.add(...): the people are in pk_set
        for user_id in _reverse_ids(sender, instance, action, pk_set):
            _person_changed(user_id)
    elif action.startswith("post_"):
        _person_changed(instance.pk)


def item_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    from recommendations.services import item_stamp, recommendations_invalidate
    from startups.models import Opportunity, Startup

    if isinstance(instance, Opportunity):
        item_stamp(kind="opportunity", item_id=instance.pk)
        startup_id = instance.startup_id
        owners = Startup.objects.filter(pk=startup_id).values_list("owner_id", flat=True)
        owner_id = owners.first()
    else:
        startup_id, owner_id = instance.pk, instance.owner_id
    # Its open opportunities are part of what it offers; what their startups need is what
    # the owner is shown.
    item_stamp(kind="startup", item_id=startup_id)
    if owner_id is not None:
        recommendations_invalidate(user_id=owner_id)


def item_skills(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: Any, **kwargs: Any
) -> None:
    if reverse:  # skill.startups.add(...): the items are in pk_set
        ids = _reverse_ids(sender, instance, action, pk_set)
        for item in model._default_manager.filter(pk__in=ids):
            item_saved(model, item)
    elif action.startswith("post_"):
        item_saved(type(instance), instance)
