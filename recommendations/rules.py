"""Business rules: an ordered, pluggable list applied to every run.

A rule has a name, a kind (``filter`` drops candidates, ``boost`` multiplies a score,
``rerank`` reorders the ranked list), a priority and the types it applies to. Filters and
boosts run in priority order on the scored candidates; the list is then ranked by score and the
reranks run, in priority order. ``RECOMMENDATIONS_RULES`` (dotted paths to ``Rule`` objects)
chooses and extends the list; a later rule sees only what the earlier ones kept.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.utils.module_loading import import_string

from accounts.models import Availability
from recommendations.models import InteractionKind, ItemType
from startups.models import OpportunityStatus

if TYPE_CHECKING:
    from recommendations.engine import Candidate, Context, Strategy

RuleKind = Literal["filter", "boost", "rerank"]
ALL_TYPES = frozenset({"startups", "opportunities", "talent"})
ITEM_TYPES = frozenset({"startups", "opportunities"})


@dataclass(frozen=True)
class Rule:
    name: str
    kind: RuleKind
    priority: int
    description: str
    types: frozenset[str]
    # filter: keep(ctx, candidate) -> bool; boost: factor(ctx, candidate) -> (factor, reason)
    # rerank: reorder(ctx, ranked) -> ranked
    apply: Callable[..., Any]


def _own(ctx: "Context", candidate: "Candidate") -> bool:
    if ctx.type == "talent":
        return candidate.id != ctx.user.pk
    return candidate.row.get("owner_id") != ctx.user.pk


def _not_applied(ctx: "Context", candidate: "Candidate") -> bool:
    return candidate.id not in ctx.acted_on(ItemType.OPPORTUNITY, [InteractionKind.APPLY])


def _not_engaged(ctx: "Context", candidate: "Candidate") -> bool:
    item_type = ItemType.STARTUP if ctx.type == "startups" else ItemType.OPPORTUNITY
    kinds = [InteractionKind.SAVE, InteractionKind.FOLLOW, InteractionKind.LIKE]
    return candidate.id not in ctx.acted_on(item_type, kinds)


def _open(ctx: "Context", candidate: "Candidate") -> bool:
    return candidate.row.get("status") == OpportunityStatus.OPEN


def _not_dismissed(ctx: "Context", candidate: "Candidate") -> bool:
    item_type = ItemType.STARTUP if ctx.type == "startups" else ItemType.OPPORTUNITY
    return candidate.id not in ctx.acted_on(item_type, [InteractionKind.DISMISS])


def _available(ctx: "Context", candidate: "Candidate") -> bool:
    row = candidate.row
    return bool(row.get("is_active")) and row.get("availability") != Availability.NOT_LOOKING


def _new(ctx: "Context", candidate: "Candidate") -> tuple[float, str]:
    created = candidate.row.get("created_at")
    if created is not None and ctx.now - created < timedelta(days=7):
        return 1 + settings.RECOMMENDATIONS_NEW_BOOST, "New this week"
    return 1.0, ""


def _diverse(ctx: "Context", ranked: list["Candidate"]) -> list["Candidate"]:
    """At most RECOMMENDATIONS_DIVERSITY_MAX of one industry in the top 10; the others wait
    for the places after it, in their order."""
    most, top = settings.RECOMMENDATIONS_DIVERSITY_MAX, 10
    chosen: list[Candidate] = []
    waiting: list[Candidate] = []
    counts: Counter[str] = Counter()
    for candidate in ranked:
        if len(chosen) < top and counts[candidate.industry] >= most and candidate.industry:
            waiting.append(candidate)
            continue
        if len(chosen) < top:
            counts[candidate.industry] += 1
        chosen.append(candidate)
    if len(chosen) < top:  # too few other industries: fill up with what waited
        return chosen + waiting
    return chosen[:top] + waiting + chosen[top:]


OWN_ITEMS = Rule(
    "own_items",
    "filter",
    10,
    "Never your own startups, their opportunities, or yourself.",
    ALL_TYPES,
    _own,
)
ALREADY_APPLIED = Rule(
    "already_applied",
    "filter",
    20,
    "Never an opportunity you have applied to.",
    frozenset({"opportunities"}),
    _not_applied,
)
ALREADY_ENGAGED = Rule(
    "already_engaged",
    "filter",
    25,
    "Never what you already saved, followed or liked: it is in your lists.",
    ITEM_TYPES,
    _not_engaged,
)
CLOSED_OPPORTUNITIES = Rule(
    "closed_opportunities",
    "filter",
    30,
    "Never a closed opportunity.",
    frozenset({"opportunities"}),
    _open,
)
DISMISSED = Rule(
    "dismissed",
    "filter",
    40,
    "Never an item you dismissed.",
    ITEM_TYPES,
    _not_dismissed,
)
UNAVAILABLE_TALENT = Rule(
    "unavailable_talent",
    "filter",
    50,
    "Never people who are not looking or whose account is inactive.",
    frozenset({"talent"}),
    _available,
)
NEW_ITEMS = Rule(
    "new_items",
    "boost",
    60,
    "Items created in the last 7 days score RECOMMENDATIONS_NEW_BOOST more.",
    ALL_TYPES,
    _new,
)
DIVERSITY = Rule(
    "diversity",
    "rerank",
    90,
    "At most RECOMMENDATIONS_DIVERSITY_MAX results of one industry in the top 10.",
    ITEM_TYPES,
    _diverse,
)


@cache
def _configured(paths: tuple[str, ...]) -> list[Rule]:
    rules = [import_string(path) for path in paths]
    for rule in rules:
        if not isinstance(rule, Rule):
            raise TypeError(f"{rule!r} in RECOMMENDATIONS_RULES is not a Rule.")
    return sorted(rules, key=lambda rule: (rule.priority, rule.name))


def rules() -> list[Rule]:
    """The configured rules, in the order they run."""
    return _configured(tuple(settings.RECOMMENDATIONS_RULES))


def apply_rules(
    ctx: "Context", strategy: "Strategy", candidates: list["Candidate"]
) -> list["Candidate"]:
    return rules_rank(ctx, rules_filter_boost(ctx, candidates))


def rules_filter_boost(ctx: "Context", candidates: list["Candidate"]) -> list["Candidate"]:
    """The filters and boosts, in order: what is kept, each boost multiplied into its score
    and remembered in ``boost`` (so a score blended again later keeps it)."""
    for rule in _active(ctx):
        if rule.kind == "filter":
            candidates = [c for c in candidates if rule.apply(ctx, c)]
        elif rule.kind == "boost":
            for candidate in candidates:
                factor, reason = rule.apply(ctx, candidate)
                if factor != 1.0:
                    candidate.boost *= factor
                    candidate.score *= factor
                    candidate.because(0.3, reason)
    return candidates


def rules_rank(ctx: "Context", candidates: list["Candidate"]) -> list["Candidate"]:
    """Ranked by score (ties: popularity, then id), then the reranks in order."""
    ranked = sorted(candidates, key=lambda c: (-c.score, -c.popularity, c.id))
    for rule in _active(ctx):
        if rule.kind == "rerank":
            ranked = rule.apply(ctx, ranked)
    return ranked


def _active(ctx: "Context") -> list[Rule]:
    return [rule for rule in rules() if ctx.type in rule.types]
