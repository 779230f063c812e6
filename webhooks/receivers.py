"""How webhooks learn what happens: they subscribe to the feed's fan-out (connected in
``apps.py``); nobody calls them."""

import logging
from typing import Any

from django.db import DatabaseError, transaction

logger = logging.getLogger("collabhub.webhooks")


def event_dispatched(sender: Any, event: Any, **kwargs: Any) -> None:
    """In the fan-out's transaction (once per event): the deliveries it needs, in a savepoint.
    A database error fails the fan-out, which is retried whole (it is idempotent); any other
    error is ours, and must not cost everyone their notifications: logged, and the event is
    not delivered."""
    from webhooks import services

    try:
        with transaction.atomic():
            services.deliveries_create(event=event)
    except DatabaseError:
        raise
    except Exception:
        logger.exception("webhook deliveries not written", extra={"event": event.pk})
