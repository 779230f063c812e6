from typing import Any

from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    """Learns from the rest of the platform by subscribing (nobody imports this app): recorded
    events become interactions, and changes to people and items invalidate cached results."""

    name = "recommendations"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from accounts.models import User
        from accounts.signals import profile_updated
        from feed.signals import event_recorded
        from recommendations.models import Interaction
        from startups.models import Opportunity, Startup

        event_recorded.connect(_event_recorded, dispatch_uid="recommendations-interactions")
        post_save.connect(_interaction_saved, sender=Interaction, dispatch_uid="recs-interaction")
        profile_updated.connect(_profile_updated, dispatch_uid="recs-profile")
        post_save.connect(_user_saved, sender=User, dispatch_uid="recs-user")
        m2m_changed.connect(_user_skills, sender=User.skills.through, dispatch_uid="recs-skills")
        for model in (Startup, Opportunity):
            post_save.connect(_item_saved, sender=model, dispatch_uid=f"recs-{model.__name__}")
            post_delete.connect(
                _item_saved, sender=model, dispatch_uid=f"recs-del-{model.__name__}"
            )
            m2m_changed.connect(
                _item_skills, sender=model.skills.through, dispatch_uid=f"recs-m2m-{model.__name__}"
            )


def _event_recorded(sender: Any, event: Any, **kwargs: Any) -> None:
    from recommendations.services import interaction_from_event

    interaction_from_event(event)


def _interaction_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    from recommendations.services import user_invalidate

    user_invalidate(instance.user_id)


def _profile_updated(sender: Any, user: Any, **kwargs: Any) -> None:
    from recommendations.services import item_changed, user_invalidate

    user_invalidate(user.pk)
    item_changed("talent", user.pk)


def _user_saved(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # a login is not a profile change
    from recommendations.services import item_changed, user_invalidate

    user_invalidate(instance.pk)
    item_changed("talent", instance.pk)


def _user_skills(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        _user_saved(sender, instance)


def _item_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    from recommendations.services import item_changed, user_invalidate
    from startups.models import Opportunity, Startup

    if isinstance(instance, Opportunity):
        item_changed("opportunity", instance.pk)
        startup_id = instance.startup_id
        owners = Startup.objects.filter(pk=startup_id).values_list("owner_id", flat=True)
        owner_id = owners.first()
    else:
        startup_id, owner_id = instance.pk, instance.owner_id
    item_changed("startup", startup_id)  # its open opportunities are part of what it offers
    if owner_id is not None:
        user_invalidate(owner_id)  # what their startups need is what they are shown


def _item_skills(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        _item_saved(type(instance), instance)
