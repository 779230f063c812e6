from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    """Learns from the rest of the platform by subscribing (nobody imports this app): recorded
    events become interactions, undone saves and follows stop counting, and changes to people
    and items invalidate cached results."""

    name = "recommendations"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from accounts.models import User
        from accounts.signals import profile_updated
        from feed.models import Follow
        from feed.signals import event_recorded
        from observability.cache import cache_name_register
        from observability.metrics import business_metric_register, series_register
        from recommendations import metrics, receivers
        from recommendations.models import Interaction
        from startups.models import Opportunity, Save, Startup

        series_register(metrics.GENERATED, metrics.GENERATION_DURATION)
        # Results are what the hit ratio is about; the trending lists are a cache of their
        # own; versions, item stamps and IDF weights are bookkeeping (absent is normal).
        cache_name_register("recs:result:", "recommendations")
        cache_name_register("recs:features:trending:", "trending")
        cache_name_register("recs:", "recommendations_meta")
        business_metric_register(
            "total_interactions",
            Interaction.objects.count,
            "Interactions recorded (views, likes, saves, shares, follows, applications, "
            "dismissals): what recommendations learn from.",
            prefixed=False,
        )

        event_recorded.connect(
            receivers.event_recorded, dispatch_uid="recommendations-interactions"
        )
        post_save.connect(
            receivers.interaction_saved, sender=Interaction, dispatch_uid="recs-interaction"
        )
        post_delete.connect(receivers.save_deleted, sender=Save, dispatch_uid="recs-unsave")
        post_delete.connect(receivers.follow_deleted, sender=Follow, dispatch_uid="recs-unfollow")
        profile_updated.connect(receivers.profile_updated, dispatch_uid="recs-profile")
        post_save.connect(receivers.user_saved, sender=User, dispatch_uid="recs-user")
        m2m_changed.connect(
            receivers.user_skills, sender=User.skills.through, dispatch_uid="recs-skills"
        )
        for model in (Startup, Opportunity):
            name = model.__name__
            post_save.connect(receivers.item_saved, sender=model, dispatch_uid=f"recs-{name}")
            post_delete.connect(receivers.item_saved, sender=model, dispatch_uid=f"recs-del-{name}")
            m2m_changed.connect(
                receivers.item_skills, sender=model.skills.through, dispatch_uid=f"recs-m2m-{name}"
            )
