"""What the feed and recommendations ask (through ``FEED_COMPOSITION_HOOK`` and
``RECOMMENDATIONS_ALGORITHM_HOOK``): the variant's setting for this person, or None for the
default. Pure reads: exposures are recorded when the person is actually served
(``receivers.py``), not here."""

from typing import Any

from experiments import selectors, targets


def feed_composition(*, user: Any) -> dict[str, Any] | None:
    """The variant's personal share and which experiment and variant it comes from."""
    assigned = selectors.variant_get(target=targets.FEED_COMPOSITION, user=user)
    if assigned is None:
        return None
    running, variant = assigned
    return {
        "personal": float(variant["config"]["personal"]),
        "experiment": {"id": running.id, "key": running.key, "variant": variant["key"]},
    }


def recommendations_algorithm(*, user: Any, type: str) -> str | None:
    assigned = selectors.variant_get(target=targets.RECOMMENDATIONS_ALGORITHM, user=user)
    return str(assigned[1]["config"]["algorithm"]) if assigned is not None else None
