from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    """A/B experiments on the feed's mix and the recommender. Nobody imports this app: the
    feed and recommendations call it through their hook settings, and it subscribes to their
    ``*_served`` signals to record exposures."""

    name = "experiments"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from experiments import (
            receivers,
            tasks,  # noqa: F401 - registers the Celery task
        )
        from experiments.models import Experiment
        from feed.signals import feed_served
        from recommendations.signals import recommendations_served

        feed_served.connect(receivers.feed_served, dispatch_uid="experiments-feed")
        recommendations_served.connect(
            receivers.recommendations_served, dispatch_uid="experiments-recommendations"
        )
        for signal in (post_save, post_delete):
            signal.connect(
                receivers.experiment_changed, sender=Experiment, dispatch_uid=f"exp-{signal!r}"
            )
