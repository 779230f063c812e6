"""How experiments learn that someone was served (connected in ``apps.py``)."""

from typing import Any


def feed_served(sender: Any, user: Any, **kwargs: Any) -> None:
    from experiments import services, targets

    services.exposure_record(target=targets.FEED_COMPOSITION, user=user)


def recommendations_served(sender: Any, user: Any, **kwargs: Any) -> None:
    from experiments import services, targets

    services.exposure_record(target=targets.RECOMMENDATIONS_ALGORITHM, user=user)


def experiment_changed(sender: Any, **kwargs: Any) -> None:
    """Whoever changes an experiment (a service, the admin), this process reads the running
    list again at once, and again after the change commits."""
    from django.db import transaction

    from experiments import selectors

    selectors.running_cache_clear()
    transaction.on_commit(selectors.running_cache_clear)
