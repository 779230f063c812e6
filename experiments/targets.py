"""What an experiment can vary: a registry of targets, each one function that checks a
variant's ``config`` (and says what it means). A new target is one more ``target_register``
and the hook of the app that applies it (``experiments/hooks.py``)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from recommendations.engine import ALGORITHMS

# Validates a variant's config: returns it normalised, or raises ValueError with the reason.
ConfigCheck = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    check: ConfigCheck


_targets: dict[str, Target] = {}


def target_register(*, name: str, description: str, check: ConfigCheck) -> None:
    _targets[name] = Target(name, description, check)


def target_get(*, name: str) -> Target | None:
    return _targets.get(name)


def target_list() -> list[Target]:
    return sorted(_targets.values(), key=lambda target: target.name)


def _feed_composition(config: Any) -> dict[str, Any]:
    """``{"personal": 0.6, "interest": 0.4}``: the two shares of a feed page, summing to 1
    (``interest`` may be left out)."""
    if not isinstance(config, dict) or set(config) - {"personal", "interest"}:
        raise ValueError('Expected {"personal": <0..1>, "interest": <0..1>}.')
    personal = config.get("personal")
    if isinstance(personal, bool) or not isinstance(personal, int | float):
        raise ValueError('"personal" must be a number from 0 to 1.')
    if not 0 <= personal <= 1:
        raise ValueError('"personal" must be a number from 0 to 1.')
    interest = config.get("interest", round(1 - personal, 4))
    if isinstance(interest, bool) or not isinstance(interest, int | float):
        raise ValueError('"interest" must be a number from 0 to 1.')
    if abs(personal + interest - 1) > 1e-6:
        raise ValueError('"personal" and "interest" must sum to 1.')
    return {"personal": float(personal), "interest": round(1 - float(personal), 4)}


def _recommendations_algorithm(config: Any) -> dict[str, Any]:
    """``{"algorithm": "hybrid"}``: one of the recommenders."""
    if not isinstance(config, dict) or set(config) != {"algorithm"}:
        raise ValueError('Expected {"algorithm": "' + '" | "'.join(ALGORITHMS) + '"}.')
    if config["algorithm"] not in ALGORITHMS:
        raise ValueError(f'"algorithm" must be one of {", ".join(ALGORITHMS)}.')
    return {"algorithm": config["algorithm"]}


FEED_COMPOSITION = "feed_composition"
RECOMMENDATIONS_ALGORITHM = "recommendations_algorithm"

target_register(
    name=FEED_COMPOSITION,
    description=f"The feed's personal/interest mix (default {settings.FEED_COMPOSITION}).",
    check=_feed_composition,
)
target_register(
    name=RECOMMENDATIONS_ALGORITHM,
    description=f"The recommender (default {settings.RECOMMENDATIONS_ALGORITHM}).",
    check=_recommendations_algorithm,
)
