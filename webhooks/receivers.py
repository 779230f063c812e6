"""How webhooks learn what happens: they subscribe to the feed's fan-out (connected in
``apps.py``); nobody calls them."""

from typing import Any


def event_dispatched(sender: Any, event: Any, **kwargs: Any) -> None:
    """In the fan-out's transaction (once per event): the deliveries it needs."""
    from webhooks import services

    services.deliveries_create(event=event)
