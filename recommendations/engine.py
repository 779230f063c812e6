"""Scoring recommendations.

A run gathers candidates from its sources (content: skills and interests; behaviour: items
similar to what the person engaged with; popularity or traction), scores every candidate on
every signal, blends the signals with the weights in settings, applies the business rules
(``recommendations.rules``) and keeps, for each result, the reasons that are true of it.

Four strategies answer the four recommendation types: ``startups`` (talent and founders),
``startups`` for investors (traction), ``opportunities`` and ``talent`` (for founders).
"""

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from itertools import chain
from typing import Any, ClassVar

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Availability, Industry, Role, User
from core.db.lookups import any_of
from recommendations import factors, features
from recommendations.models import (
    Interaction,
    InteractionKind,
    ItemFeatures,
    ItemSimilarity,
    ItemType,
    UserFeatures,
)
from startups.models import Opportunity, OpportunityKind, OpportunityStatus, Startup

MAX_LIMIT = 50
CANDIDATES = 200  # per source
HISTORY = 500  # most recent interactions read per run
REASONS = 3  # shown per result
ALGORITHMS = ("hybrid", "content", "popularity", "random")
# Offline only (recommendations_evaluate): item-to-item behaviour alone, without a cold start.
BEHAVIOUR_ONLY = "behaviour"
SIGNALS = ("content", "behaviour", "popularity")
COLD_START = "trending"
VERBS = {
    InteractionKind.APPLY: "applied to",
    InteractionKind.SAVE: "saved",
    InteractionKind.FOLLOW: "followed",
    InteractionKind.LIKE: "liked",
    InteractionKind.SHARE: "shared",
    InteractionKind.VIEW: "viewed",
}
ROLE_PLURALS: dict[str, str] = {
    Role.TALENT: "talent",
    Role.FOUNDER: "founders",
    Role.INVESTOR: "investors",
}


class Types:
    STARTUPS = "startups"
    OPPORTUNITIES = "opportunities"
    TALENT = "talent"
    ALL = (STARTUPS, OPPORTUNITIES, TALENT)


DEFAULT_TYPES: dict[str, str] = {
    Role.TALENT: Types.STARTUPS,
    Role.FOUNDER: Types.TALENT,
    Role.INVESTOR: Types.STARTUPS,
}


def _city(location: str) -> str:
    return location.split(",")[0].strip().lower()


def _names(names: Iterable[str], shown: int = 3) -> str:
    names = list(names)
    text = ", ".join(names[:shown])
    return f"{text}, …" if len(names) > shown else text


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


INDUSTRY_LABELS: dict[str, str] = {value: str(label) for value, label in Industry.choices}
PER_SKILL = 1000  # newest items read per skill when gathering candidates
SKILLS_READ = 8  # the rarest of a person's skills gather candidates (all of them score)


def _industry(value: str) -> str:
    return INDUSTRY_LABELS.get(value, value)


@dataclass
class Candidate:
    id: int
    row: dict[str, Any] = field(default_factory=dict)
    content: float = 0.0
    behaviour: float = 0.0
    popularity: float = 0.0
    boost: float = 1.0
    score: float = 0.0
    reasons: list[tuple[float, str]] = field(default_factory=list)

    def because(self, strength: float, text: str) -> None:
        self.reasons.append((strength, text))

    @property
    def industry(self) -> str:
        return str(self.row.get("industry") or "")


@dataclass
class Context:
    """Who asks, for what, and what is known about them."""

    user: User
    type: str
    algorithm: str
    now: datetime = field(default_factory=timezone.now)
    # Talent for one of the founder's open roles only (None: for all of them).
    opportunity_id: int | None = None
    _acted_on: dict[tuple[str, frozenset[str]], frozenset[int]] = field(
        default_factory=dict, repr=False
    )
    memo: dict[str, Any] = field(default_factory=dict, repr=False)  # per-run strategy data

    @cached_property
    def skills(self) -> dict[int, str]:
        return dict(self.user.skills.values_list("pk", "name"))

    @cached_property
    def interests(self) -> list[str]:
        return [i for i in (self.user.interests or []) if i in INDUSTRY_LABELS]

    @cached_property
    def city(self) -> str:
        return _city(self.user.location)

    @cached_property
    def idf(self) -> dict[int, float]:
        return features.skill_weights()

    @cached_property
    def history(self) -> list[tuple[str, str, int, datetime]]:
        return list(
            Interaction.objects.filter(user=self.user)
            .order_by("-created_at", "-id")
            .values_list("kind", "item_type", "item_id", "created_at")[:HISTORY]
        )

    def acted_on(self, item_type: str, kinds: Iterable[str]) -> frozenset[int]:
        """Items of ``item_type`` the person ever did one of ``kinds`` to: all of their
        history, not just the recent part (one indexed query per run and question)."""
        key = (item_type, frozenset(kinds))
        if key not in self._acted_on:
            rows = Interaction.objects.filter(
                user=self.user, item_type=item_type, kind__in=key[1]
            ).values_list("item_id", flat=True)
            self._acted_on[key] = frozenset(rows)
        return self._acted_on[key]

    def positives(self, item_type: str) -> dict[int, tuple[float, str]]:
        """Item -> (weight, kind) of the strongest positive interaction, decayed by age."""
        best: dict[int, tuple[float, str]] = {}
        for kind, t, item_id, at in self.history:
            if t != item_type or kind not in features.KIND_WEIGHTS:
                continue
            weight = features.KIND_WEIGHTS[kind] * (0.5 + 0.5 * features.decay(at, self.now))
            if weight > best.get(item_id, (0.0, ""))[0]:
                best[item_id] = (weight, kind)
        return best

    @cached_property
    def own_startups(self) -> set[int]:
        return set(Startup.objects.filter(owner=self.user).values_list("pk", flat=True))

    @cached_property
    def unseen_skill_weight(self) -> float:
        """A skill added since the weights were computed is as rare as can be."""
        return max(self.idf.values(), default=1.0)

    def skill_weight(self, skill_id: int) -> float:
        weight = self.idf.get(skill_id)
        return self.unseen_skill_weight if weight is None else weight

    def ranked_skills(self, skill_ids: Iterable[int], names: dict[int, str]) -> list[str]:
        ordered = sorted(skill_ids, key=lambda s: (-self.skill_weight(s), names.get(s, "")))
        return [names[s] for s in ordered if s in names]


def _overlap(
    through: Any,
    column: str,
    skill_ids: Iterable[int],
    ctx: Context,
    filters: Q | None = None,
    newest: str | None = None,
) -> list[int]:
    """Ids in ``column`` sharing the most rarity-weighted skills with ``skill_ids``.

    Bounded: the rarest SKILLS_READ skills, each reading its PER_SKILL newest rows (by
    ``newest``, the through table's other key; one walk of a (skill, item) index per skill), so
    the cost does not grow with the catalogue; a common skill's older items can still come in
    through the other sources.
    """
    rarest = sorted(skill_ids, key=lambda s: (-ctx.skill_weight(s), s))[:SKILLS_READ]
    walks = [
        through._default_manager.filter(Q(skill_id=skill_id) & (filters or Q()))
        .order_by(f"-{newest or column}")
        .values_list("skill_id", column)[:PER_SKILL]
        for skill_id in rarest
    ]
    if len(walks) > 1 and connection.features.supports_slicing_ordering_in_compound:
        rows: Iterable[tuple[int, int]] = walks[0].union(*walks[1:], all=True)  # one query
    else:
        rows = chain.from_iterable(walks)
    found: dict[int, set[int]] = defaultdict(set)
    for skill_id, item_id in rows:
        found[skill_id].add(item_id)
    weights: dict[int, float] = defaultdict(float)
    for skill_id in rarest:
        for item_id in found[skill_id]:
            weights[item_id] += ctx.skill_weight(skill_id)
    ranked = sorted(weights, key=lambda item_id: (-weights[item_id], -item_id))
    return ranked[:CANDIDATES]


def _best_traction(industries: Sequence[str]) -> list[int]:
    """The startups of these industries with the best traction (one index walk each)."""
    found: dict[int, float] = {}
    for industry in industries:
        found.update(
            ItemFeatures.objects.filter(item_type=ItemType.STARTUP, industry=industry)
            .order_by("-traction", "item_id")
            .values_list("item_id", "traction")[:CANDIDATES]
        )
    return sorted(found, key=lambda item_id: (-found[item_id], item_id))[:CANDIDATES]


class Strategy:
    """One recommendation type: where candidates come from and how each signal is scored."""

    name: ClassVar[str]
    kind: ClassVar[str]  # the "kind" of each result
    item_type: ClassVar[str | None]  # for behaviour, popularity and dismissals; None: people
    # Without history, run content only (its popularity signal is not personal); investors'
    # traction is what they ask for, so their strategy keeps it.
    content_when_new: ClassVar[bool] = True
    popular_by: ClassVar[str] = "popularity"  # the ItemFeatures column of the popular source

    def has_profile(self, ctx: Context) -> bool:
        """Something to match on without any history."""
        return bool(ctx.skills or ctx.interests)

    def content_sources(self, ctx: Context) -> Iterable[int]:
        raise NotImplementedError

    def popular_sources(self, ctx: Context) -> dict[int, float]:
        """Id -> raw popularity (``popular_by``), the most popular first."""
        field = self.popular_by
        rows = (
            ItemFeatures.objects.filter(item_type=self.item_type, **{f"{field}__gt": 0})
            .order_by(f"-{field}", "item_id")
            .values_list("item_id", field)[:CANDIDATES]
        )
        return dict(rows)

    def newest(self, ctx: Context) -> list[int]:
        raise NotImplementedError

    def catalogue(self) -> list[int]:
        raise NotImplementedError

    def hydrate(self, ctx: Context, ids: list[int]) -> dict[int, dict[str, Any]]:
        raise NotImplementedError

    def score_content(self, ctx: Context, candidates: list[Candidate]) -> None:
        raise NotImplementedError

    def score_popularity(self, ctx: Context, candidates: list[Candidate]) -> None:
        rows = ItemFeatures.objects.filter(
            any_of("item_id", [c.id for c in candidates]), item_type=self.item_type
        ).values_list("item_id", "popularity", "engaged", "recent")
        known = {
            item_id: (popularity, engaged, recent)
            for item_id, *rest in rows
            for popularity, engaged, recent in [rest]
        }
        top = max((p for p, _, _ in known.values()), default=0.0)
        for candidate in candidates:
            popularity, engaged, recent = known.get(candidate.id, (0.0, 0, {}))
            if popularity <= 0 or top <= 0:
                continue
            candidate.popularity = math.log1p(popularity) / math.log1p(top)
            text = _activity(recent)
            if text:
                text = f"Popular this month: {text} in the last 30 days"
                candidate.because(0.5 + 0.1 * candidate.popularity, text)
            elif engaged:
                candidate.because(
                    0.5,
                    f"{_count(engaged, 'person', 'people')} saved, followed, liked or applied",
                )

    def has_history(self, ctx: Context) -> bool:
        return bool(self.item_type and ctx.positives(self.item_type))

    def behaviour(self, ctx: Context) -> dict[int, tuple[float, str]]:
        """Candidate -> (raw score, reason), from what the person engaged with, startups and
        opportunities alike, each weighted by how strongly (apply > save > follow > like >
        view): items similar to those (item-to-item), or where their tastes place them among
        everyone's (latent factors), as ``RECOMMENDATIONS_BEHAVIOUR`` says for the strategy."""
        if self.item_type is None:
            return {}
        positives = {
            (item_type, item_id): strength
            for item_type in ItemType.values
            for item_id, strength in ctx.positives(item_type).items()
        }
        if settings.RECOMMENDATIONS_BEHAVIOUR.get(self.name) == "factors":
            return self._from_factors(positives)
        return self._from_similar_items(positives)

    def _from_factors(
        self, positives: dict[tuple[str, int], tuple[float, str]]
    ) -> dict[int, tuple[float, str]]:
        model = factors.factors_current()
        if model is None:  # no fit stored (before the first rebuild, or implicit cannot load)
            return self._from_similar_items(positives)
        if self.item_type is None:
            return {}
        history = {item: weight for item, (weight, _) in positives.items()}
        suggestions = model.suggest(history, self.item_type, CANDIDATES)
        names = _item_names({s.because for s in suggestions})
        return {
            s.item_id: (
                s.score,
                f"People who engage with {names.get(s.because, 'an item')} "
                f"(you {VERBS[InteractionKind(positives[s.because][1])]} it) tend to engage "
                "with this too",
            )
            for s in suggestions
        }

    def _from_similar_items(
        self, positives: dict[tuple[str, int], tuple[float, str]]
    ) -> dict[int, tuple[float, str]]:
        strongest = sorted(positives, key=lambda item: (-positives[item][0], item))[:100]
        parts: dict[int, list[float]] = defaultdict(list)
        best: dict[int, tuple[float, tuple[str, int], int]] = {}  # other -> (part, source, n)
        sources = Q(pk__in=[])
        for item_type in ItemType.values:
            ids = [item_id for t, item_id in strongest if t == item_type]
            if ids:
                sources |= Q(item_type=item_type, item_id__in=ids)
        rows = (
            ItemSimilarity.objects.filter(sources, other_type=self.item_type)
            # the index's order: ties settle alike
            .order_by("item_type", "item_id", "-score", "other_id")
            .values_list("item_type", "item_id", "other_id", "score", "together")
        )
        for source_type, source_id, other, similarity, together in rows:
            source = (source_type, source_id)
            part = positives[source][0] * similarity
            parts[other].append(part)
            if part > best.get(other, (0.0, source, 0))[0]:
                best[other] = (part, source, together)
        names = _item_names({source for _, source, _ in best.values()})
        found = {}
        for other, shares in parts.items():
            total = math.fsum(shares)  # exact: the same whatever order the rows came in
            _, source, together = best[other]
            verb = VERBS[InteractionKind(positives[source][1])]
            found[other] = (
                total,
                f"{_count(together, 'person', 'people')} who engaged with "
                f"{names.get(source, 'an item')} (you {verb} it) engaged with this too",
            )
        return found

    def output(self, candidate: Candidate) -> dict[str, Any]:
        raise NotImplementedError


def _item_names(items: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """How a reason names each (item type, id): a startup by name, a role as "title at startup"."""
    startups = [item_id for item_type, item_id in items if item_type == ItemType.STARTUP]
    roles = [item_id for item_type, item_id in items if item_type == ItemType.OPPORTUNITY]
    names: dict[tuple[str, int], str] = {}
    if startups:
        for pk, name in Startup.objects.filter(pk__in=startups).values_list("pk", "name"):
            names[ItemType.STARTUP, pk] = name
    if roles:
        rows = Opportunity.objects.filter(pk__in=roles).values_list("pk", "title", "startup__name")
        for pk, title, startup in rows:
            names[ItemType.OPPORTUNITY, pk] = f"{title} at {startup}"
    return names


def _activity(recent: dict[str, int]) -> str:
    parts = [
        _count(recent[kind], noun, plural)
        for kind, noun, plural in (
            (InteractionKind.APPLY, "application", None),
            (InteractionKind.SAVE, "save", None),
            (InteractionKind.FOLLOW, "new follower", None),
            (InteractionKind.LIKE, "like", None),
        )
        if recent.get(kind)
    ]
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


class StartupMatch(Strategy):
    """Startups whose skills and open opportunities match a person's skills and interests."""

    name = "startups"
    kind = "startup"
    item_type = ItemType.STARTUP

    def content_sources(self, ctx: Context) -> Iterable[int]:
        yield from _overlap(Startup.skills.through, "startup_id", ctx.skills, ctx)
        yield from _overlap(
            Opportunity.skills.through,
            "opportunity__startup_id",
            ctx.skills,
            ctx,
            Q(opportunity__status=OpportunityStatus.OPEN),
            newest="opportunity_id",
        )
        industries = list(dict.fromkeys([*ctx.interests, *self.affine_industries(ctx)[:3]]))
        if industries:
            yield from _best_traction(industries)
            yield from self._newest(Q(industry__in=industries))

    def _newest(self, where: Q) -> list[int]:
        rows = Startup.objects.filter(where).order_by("-created_at", "-id")
        return list(rows.values_list("pk", flat=True)[: CANDIDATES // 4])

    def newest(self, ctx: Context) -> list[int]:
        return self._newest(Q())

    def catalogue(self) -> list[int]:
        return list(Startup.objects.order_by("pk").values_list("pk", flat=True))

    def hydrate(self, ctx: Context, ids: list[int]) -> dict[int, dict[str, Any]]:
        rows = Startup.objects.filter(any_of("pk", ids)).values(
            "pk",
            "name",
            "tagline",
            "industry",
            "stage",
            "owner_id",
            "created_at",
            "location",
            "remote_friendly",
            "growth_rate",
        )
        return {row["pk"]: dict(row) for row in rows}

    def affinities(self, ctx: Context) -> features.SkillAffinities:
        cached: features.SkillAffinities | None = ctx.memo.get("affinities")
        if cached is None:
            cached = ctx.memo["affinities"] = features.skill_affinities(ctx.skills)
        return cached

    def affine_industries(self, ctx: Context) -> list[str]:
        """Industries the person's skills are learned to go with, strongest first."""
        learned = self.affinities(ctx)
        strength: dict[str, float] = defaultdict(float)
        for skill_id, industry in learned.industry:
            strength[industry] += ctx.skill_weight(skill_id) * learned.industry_strength(
                skill_id, industry
            )
        return sorted(strength, key=lambda industry: (-strength[industry], industry))

    def score_content(self, ctx: Context, candidates: list[Candidate]) -> None:
        """Skills (a startup's own, and its open roles' as far as behaviour shows hiring for
        people's skills draws them: ``SkillAffinities.hiring_trust``), the industries people
        with these skills engage with (learned), interests and place. Startups describe
        themselves in their industry's words and people in their job's: their own skills
        rarely meet, so what relates the two is learned from behaviour."""
        ids = [c.id for c in candidates]
        own: dict[int, set[int]] = defaultdict(set)
        hiring: dict[int, set[int]] = defaultdict(set)
        learned = self.affinities(ctx)
        if ctx.skills:
            for startup_id, skill_id in Startup.skills.through.objects.filter(
                any_of("startup_id", ids), skill_id__in=list(ctx.skills)
            ).values_list("startup_id", "skill_id"):
                own[startup_id].add(skill_id)
            for startup_id, skill_id in Opportunity.skills.through.objects.filter(
                any_of("opportunity__startup_id", ids),
                opportunity__status=OpportunityStatus.OPEN,
                skill_id__in=list(ctx.skills),
            ).values_list("opportunity__startup_id", "skill_id"):
                hiring[startup_id].add(skill_id)
        weight = {s: ctx.skill_weight(s) for s in ctx.skills}
        total = math.fsum(weight.values())
        trust = learned.hiring_trust()
        for candidate in candidates:
            row = candidate.row
            mine, roles = own.get(candidate.id, set()), hiring.get(candidate.id, set())
            skills = mine | roles
            skill_score = 0.0
            affinity = 0.0
            if total:
                skill_score = (
                    math.fsum(weight[s] if s in mine else weight[s] * trust for s in skills) / total
                )
                affinity = (
                    math.fsum(
                        weight[s] * learned.industry_strength(s, row["industry"]) for s in weight
                    )
                    / total
                )
            if skills:
                candidate.because(
                    3 + skill_score,
                    f"Matches {len(skills)} of {len(ctx.skills)} skills you list: "
                    + _names(ctx.ranked_skills(skills, ctx.skills)),
                )
            if affinity > 0:
                best = max(
                    (s for s in weight if (s, row["industry"]) in learned.industry),
                    key=lambda s: (learned.industry[s, row["industry"]], -s),
                )
                lift = learned.industry[best, row["industry"]]
                candidate.because(
                    2.5 + affinity,
                    f"People who list {ctx.skills[best]} engage with "
                    f"{_industry(row['industry'])} startups {lift:.1f}x as often as others",
                )
            interest = row["industry"] in ctx.interests
            if interest:
                candidate.because(2.0, f"In {_industry(row['industry'])}, one of your interests")
            place = 0.0
            if ctx.city and _city(row["location"]) == ctx.city:
                place = 1.0
                candidate.because(1.0, f"Based in {row['location']}, like you")
            elif row["remote_friendly"]:
                place = 0.7
                candidate.because(0.9, "Remote-friendly")
            candidate.content = (
                0.7 * min(1.0, skill_score + affinity) + 0.2 * interest + 0.1 * place
            )

    def output(self, candidate: Candidate) -> dict[str, Any]:
        row = candidate.row
        return {
            "id": candidate.id,
            "kind": self.kind,
            "name": row["name"],
            "tagline": row["tagline"],
        }


class StartupTraction(StartupMatch):
    """Startups for investors: traction (growth, recent follows, saves and applications, stage,
    recency) and the investor's interests."""

    name = "startups_traction"
    content_when_new = False
    popular_by = "traction"

    def has_profile(self, ctx: Context) -> bool:
        return bool(ctx.interests)

    def content_sources(self, ctx: Context) -> Iterable[int]:
        if ctx.interests:
            yield from _best_traction(ctx.interests)
            yield from self._newest(Q(industry__in=ctx.interests))

    def score_content(self, ctx: Context, candidates: list[Candidate]) -> None:
        for candidate in candidates:
            industry = candidate.row["industry"]
            if industry in ctx.interests:
                candidate.content = 1.0
                candidate.because(
                    2.0, f"In {_industry(industry)}, one of the industries you invest in"
                )

    def score_popularity(self, ctx: Context, candidates: list[Candidate]) -> None:
        stored = {
            item_id: (value, recent)
            for item_id, value, recent in ItemFeatures.objects.filter(
                any_of("item_id", [c.id for c in candidates]), item_type=ItemType.STARTUP
            ).values_list("item_id", "traction", "recent")
        }
        for candidate in candidates:
            row = candidate.row
            value, recent = stored.get(candidate.id, (None, {}))
            if value is None:  # newer than the last rebuild: growth, stage and recency only
                value = features.traction(
                    growth_rate=row["growth_rate"],
                    stage=row["stage"],
                    created_at=row["created_at"],
                    recent=None,
                    busiest=0.0,
                    now=ctx.now,
                )
            candidate.popularity = value
            growth = float(row["growth_rate"] or 0)
            if growth >= 5:
                candidate.because(
                    1.5 + min(growth, 30) / 60, f"Growing {growth:g}% month over month"
                )
            text = _activity(recent)
            if text:
                candidate.because(1.4, f"{text[0].upper()}{text[1:]} in the last 30 days")
            if ctx.now - row["created_at"] < timedelta(days=30):
                candidate.because(0.4, "Joined CollabHub this month")
            if not candidate.reasons and value > 0:
                stage = Startup(stage=row["stage"]).get_stage_display()
                candidate.because(0.1, f"Traction score {value:.2f} at the {stage} stage")


class OpportunityMatch(Strategy):
    """Open opportunities whose required skills the person has."""

    name = "opportunities"
    kind = "opportunity"
    item_type = ItemType.OPPORTUNITY

    def content_sources(self, ctx: Context) -> Iterable[int]:
        yield from _overlap(
            Opportunity.skills.through,
            "opportunity_id",
            ctx.skills,
            ctx,
            Q(opportunity__status=OpportunityStatus.OPEN),
        )
        if ctx.interests:
            yield from self._newest(Q(startup__industry__in=ctx.interests))

    def _newest(self, where: Q) -> list[int]:
        rows = Opportunity.objects.filter(where, status=OpportunityStatus.OPEN)
        return list(rows.order_by("-created_at", "-id").values_list("pk", flat=True)[:CANDIDATES])

    def newest(self, ctx: Context) -> list[int]:
        return self._newest(Q())

    def catalogue(self) -> list[int]:
        rows = Opportunity.objects.filter(status=OpportunityStatus.OPEN).order_by("pk")
        return list(rows.values_list("pk", flat=True))

    def hydrate(self, ctx: Context, ids: list[int]) -> dict[int, dict[str, Any]]:
        rows = Opportunity.objects.filter(any_of("pk", ids)).values(
            "pk",
            "title",
            "kind",
            "status",
            "location",
            "remote",
            "created_at",
            "startup_id",
            "startup__name",
            industry=F("startup__industry"),
            owner_id=F("startup__owner_id"),
        )
        return {row["pk"]: dict(row) for row in rows}

    def score_content(self, ctx: Context, candidates: list[Candidate]) -> None:
        required: dict[int, set[int]] = defaultdict(set)
        names: dict[int, str] = dict(ctx.skills)
        for opportunity_id, skill_id, name in Opportunity.skills.through.objects.filter(
            any_of("opportunity_id", [c.id for c in candidates])
        ).values_list("opportunity_id", "skill_id", "skill__name"):
            required[opportunity_id].add(skill_id)
            names[skill_id] = name
        for candidate in candidates:
            row, needs = candidate.row, required.get(candidate.id, set())
            have = needs & set(ctx.skills)
            total = math.fsum(ctx.skill_weight(s) for s in needs)
            skill_score = math.fsum(ctx.skill_weight(s) for s in have) / total if total else 0.0
            if have:
                candidate.because(
                    3 + skill_score,
                    f"You have {len(have)} of the {_count(len(needs), 'skill')} it asks for: "
                    + _names(ctx.ranked_skills(have, names)),
                )
            interest = row["industry"] in ctx.interests
            if interest:
                candidate.because(
                    2.0,
                    f"At {row['startup__name']}, in {_industry(row['industry'])}, "
                    "one of your interests",
                )
            place = 0.0
            if row["remote"]:
                place = 1.0
                candidate.because(0.9, "Remote")
            elif ctx.city and _city(row["location"]) == ctx.city:
                place = 1.0
                candidate.because(1.0, f"In {row['location']}, where you are")
            candidate.content = 0.7 * skill_score + 0.2 * interest + 0.1 * place

    def output(self, candidate: Candidate) -> dict[str, Any]:
        row = candidate.row
        where = "Remote" if row["remote"] else row["location"]
        kind = OpportunityKind(row["kind"]).label if row["kind"] in OpportunityKind.values else ""
        tagline = " · ".join(str(part) for part in (row["startup__name"], kind, where) if part)
        return {"id": candidate.id, "kind": self.kind, "title": row["title"], "tagline": tagline}


@dataclass(frozen=True)
class Requirement:
    """One of a founder's open opportunities: what it needs."""

    title: str
    startup: str
    industry: str
    city: str
    remote: bool
    skills: frozenset[int]


class TalentMatch(Strategy):
    """People whose skills cover the open opportunities of the founder's startups; their
    interests and availability count too."""

    name = "talent"
    kind = "talent"
    item_type = None
    content_when_new = False  # people have no item history: content and activity, always

    def requirements(self, ctx: Context) -> list[Requirement]:
        cached: list[Requirement] | None = ctx.memo.get("requirements")
        if cached is not None:
            return cached
        skills: dict[int, set[int]] = defaultdict(set)
        roles = Opportunity.objects.filter(startup__owner=ctx.user, status=OpportunityStatus.OPEN)
        if ctx.opportunity_id is not None:
            roles = roles.filter(pk=ctx.opportunity_id)
        for opportunity_id, skill_id in Opportunity.skills.through.objects.filter(
            opportunity__in=roles
        ).values_list("opportunity_id", "skill_id"):
            skills[opportunity_id].add(skill_id)
        rows = roles.values_list(
            "pk", "title", "startup__name", "startup__industry", "location", "remote"
        )
        requirements = [
            Requirement(title, startup, industry, _city(location), remote, frozenset(skills[pk]))
            for pk, title, startup, industry, location, remote in rows.order_by(
                "-created_at", "-pk"
            )
            if skills[pk]
        ]
        ctx.memo["requirements"] = requirements
        return requirements

    def has_profile(self, ctx: Context) -> bool:
        return bool(self.requirements(ctx))

    def has_history(self, ctx: Context) -> bool:
        return bool(self.behaviour(ctx))

    def behaviour(self, ctx: Context) -> dict[int, tuple[float, str]]:
        """People who engaged with the founder's startups or their roles (applicants are in
        the founder's inbox already: applying does not count here)."""
        cached: dict[int, tuple[float, str]] | None = ctx.memo.get("engaged")
        if cached is not None:
            return cached
        startups = dict(Startup.objects.filter(owner=ctx.user).values_list("pk", "name"))
        roles = dict(Opportunity.objects.filter(startup_id__in=startups).values_list("pk", "title"))
        if ctx.opportunity_id is not None:  # for one role: who engaged with that role
            startups = {}
            roles = {pk: title for pk, title in roles.items() if pk == ctx.opportunity_id}
        kinds = [k for k in features.KIND_WEIGHTS if k != InteractionKind.APPLY]
        rows = (
            Interaction.objects.filter(
                Q(item_type=ItemType.STARTUP, item_id__in=list(startups))
                | Q(item_type=ItemType.OPPORTUNITY, item_id__in=list(roles)),
                kind__in=kinds,
            )
            .exclude(user=ctx.user)
            .order_by("-created_at", "-id")
            .values_list("user_id", "kind", "item_type", "item_id", "created_at")[:5000]
        )
        totals: dict[int, float] = defaultdict(float)
        best: dict[int, tuple[float, str]] = {}
        for user_id, kind, item_type, item_id, at in rows:
            weight = features.KIND_WEIGHTS[kind] * (0.5 + 0.5 * features.decay(at, ctx.now))
            totals[user_id] += weight
            if weight > best.get(user_id, (0.0, ""))[0]:
                verb = VERBS[InteractionKind(kind)].capitalize()
                if item_type == ItemType.STARTUP:
                    text = f"{verb} {startups[item_id]}, your startup"
                else:
                    text = f"{verb} your {roles[item_id]} role"
                best[user_id] = (weight, text)
        engaged = {user_id: (total, best[user_id][1]) for user_id, total in totals.items()}
        ctx.memo["engaged"] = engaged
        return engaged

    def _talent(self) -> Q:
        return Q(user__role=Role.TALENT, user__is_active=True)

    def content_sources(self, ctx: Context) -> Iterable[int]:
        wanted = set().union(*(r.skills for r in self.requirements(ctx)))
        return _overlap(User.skills.through, "user_id", wanted, ctx, self._talent())

    def popular_sources(self, ctx: Context) -> dict[int, float]:
        rows = (
            UserFeatures.objects.filter(self._talent(), activity__gt=0)
            .order_by("-activity", "user_id")
            .values_list("user_id", "activity")[:CANDIDATES]
        )
        return {user_id: float(activity) for user_id, activity in rows}

    def newest(self, ctx: Context) -> list[int]:
        rows = User.objects.filter(role=Role.TALENT, is_active=True).order_by("-date_joined", "-id")
        return list(rows.values_list("pk", flat=True)[:CANDIDATES])

    def catalogue(self) -> list[int]:
        rows = User.objects.filter(role=Role.TALENT, is_active=True).order_by("pk")
        return list(rows.values_list("pk", flat=True))

    def hydrate(self, ctx: Context, ids: list[int]) -> dict[int, dict[str, Any]]:
        rows = User.objects.filter(any_of("pk", ids), role=Role.TALENT).values(
            "pk",
            "name",
            "headline",
            "location",
            "interests",
            "availability",
            "is_active",
            created_at=F("date_joined"),
        )
        return {row["pk"]: dict(row) for row in rows}

    def score_content(self, ctx: Context, candidates: list[Candidate]) -> None:
        requirements = self.requirements(ctx)
        wanted = set().union(*(r.skills for r in requirements))
        has: dict[int, set[int]] = defaultdict(set)
        names: dict[int, str] = {}
        for user_id, skill_id, name in User.skills.through.objects.filter(
            any_of("user_id", [c.id for c in candidates]), skill_id__in=wanted
        ).values_list("user_id", "skill_id", "skill__name"):
            has[user_id].add(skill_id)
            names[skill_id] = name
        industries = {r.industry: r.startup for r in requirements}
        weight = {s: ctx.skill_weight(s) for s in wanted}
        totals = [math.fsum(weight[s] for s in r.skills) for r in requirements]
        for candidate in candidates:
            row, skills = candidate.row, has.get(candidate.id, set())
            best, best_score = None, 0.0
            if skills:
                for requirement, total in zip(requirements, totals, strict=True):
                    covered = math.fsum(weight[s] for s in requirement.skills & skills)
                    if total and covered / total > best_score:
                        best, best_score = requirement, covered / total
            if best is not None:
                have = best.skills & skills
                candidate.because(
                    3 + best_score,
                    f"Has {len(have)} of the {_count(len(best.skills), 'skill')} your "
                    f"{best.title} role needs: " + _names(ctx.ranked_skills(have, names)),
                )
            shared = [i for i in row["interests"] or [] if i in industries]
            if shared:
                candidate.because(
                    2.0,
                    f"Interested in {_industry(shared[0])}, {industries[shared[0]]}'s industry",
                )
            availability = {Availability.LOOKING: 1.0, Availability.OPEN: 0.5}.get(
                row["availability"], 0.0
            )
            if row["availability"] == Availability.LOOKING:
                candidate.because(1.2, "Actively looking for a role")
            place = 0.0
            if best is not None and best.city and _city(row["location"]) == best.city:
                place = 1.0
                candidate.because(
                    1.0, f"Based in {row['location']}, where your {best.title} role is"
                )
            candidate.content = (
                0.6 * best_score + 0.2 * bool(shared) + 0.1 * availability + 0.1 * place
            )

    def score_popularity(self, ctx: Context, candidates: list[Candidate]) -> None:
        activity = dict(
            UserFeatures.objects.filter(any_of("user_id", [c.id for c in candidates])).values_list(
                "user_id", "activity"
            )
        )
        top = max(activity.values(), default=0)
        for candidate in candidates:
            count = activity.get(candidate.id, 0)
            if count and top:
                candidate.popularity = math.log1p(count) / math.log1p(top)
                candidate.because(
                    0.5,
                    f"Active on CollabHub: {_count(count, 'action')} in the last 30 days",
                )

    def output(self, candidate: Candidate) -> dict[str, Any]:
        row = candidate.row
        return {
            "id": candidate.id,
            "kind": self.kind,
            "name": row["name"],
            "tagline": row["headline"],
        }


def strategy_for(user: User, type: str) -> Strategy:
    if type == Types.OPPORTUNITIES:
        return OpportunityMatch()
    if type == Types.TALENT:
        return TalentMatch()
    return StartupTraction() if user.role == Role.INVESTOR else StartupMatch()


# --- One run --------------------------------------------------------------------------------


_weights_override: ContextVar[Mapping[str, Mapping[str, float]] | None] = ContextVar(
    "recommendation_weights", default=None
)


@contextmanager
def weights_used(blends: Mapping[str, Mapping[str, float]]) -> Iterator[None]:
    """Blend the hybrid with ``blends`` (strategy name -> signal weights) instead of
    ``RECOMMENDATIONS_WEIGHTS`` for what runs inside (the offline evaluation's chosen weights);
    a strategy it does not name keeps the configured ones."""
    token = _weights_override.set(blends)
    try:
        yield
    finally:
        _weights_override.reset(token)


def weights(strategy: Strategy, algorithm: str) -> dict[str, float]:
    if algorithm == "content":
        return {"content": 1.0, "behaviour": 0.0, "popularity": 0.0}
    if algorithm == BEHAVIOUR_ONLY:
        return {"content": 0.0, "behaviour": 1.0, "popularity": 0.0}
    if algorithm in ("popularity", COLD_START):
        return {"content": 0.0, "behaviour": 0.0, "popularity": 1.0}
    override = _weights_override.get()
    if override is not None and strategy.name in override:
        configured = override[strategy.name]
    else:
        configured = settings.RECOMMENDATIONS_WEIGHTS[strategy.name]
    return {signal: float(configured.get(signal, 0.0)) for signal in SIGNALS}


def algorithm_resolve(ctx: Context, strategy: Strategy) -> str:
    """What runs for the asked algorithm: with nothing to go on, what is trending for the
    role; the hybrid without history (where content alone is meant for newcomers), content."""
    algorithm = ctx.algorithm
    if algorithm in ("hybrid", "content"):
        history = strategy.has_history(ctx)
        if not strategy.has_profile(ctx) and not history:
            return COLD_START
        if algorithm == "hybrid" and strategy.content_when_new and not history:
            return "content"
    return algorithm


def run(ctx: Context, strategy: Strategy) -> list[Candidate]:
    """Every eligible candidate, best first (rules applied)."""
    from recommendations.rules import apply_rules

    candidates = candidates_scored(ctx, strategy)
    if not candidates:
        return []
    if ctx.algorithm == "random":
        rng = random.Random(f"{ctx.user.pk}:{strategy.name}:order")  # noqa: S311
        for candidate in candidates:
            candidate.score = rng.random()
            candidate.because(0.0, "Picked at random (the evaluation baseline)")
    else:
        blend(ctx, candidates, weights(strategy, ctx.algorithm))
    # Never shown without a reason: dropped before the rules, so none holds a place.
    return apply_rules(ctx, strategy, [c for c in candidates if c.reasons])


def candidates_scored(ctx: Context, strategy: Strategy) -> list[Candidate]:
    """The run's candidates from its algorithm's sources, hydrated, each signal scored (0 to
    1) with its reasons; not blended yet (``blend``), no rules applied."""
    algorithm = ctx.algorithm
    pool: dict[int, Candidate] = {}

    def add(ids: Iterable[int]) -> None:
        for item_id in ids:
            pool.setdefault(item_id, Candidate(item_id))

    behaviour: dict[int, tuple[float, str]] = {}
    if algorithm == "random":
        rng = random.Random(f"{ctx.user.pk}:{strategy.name}")  # noqa: S311 (a baseline)
        catalogue = strategy.catalogue()
        add(rng.sample(catalogue, min(len(catalogue), MAX_LIMIT * 4)))
    elif algorithm == COLD_START:
        role = ctx.user.role
        trends = features.trending(role, strategy.item_type) if strategy.item_type else []
        if trends:
            add(t.item_id for t in trends)
        else:
            add(strategy.popular_sources(ctx) or strategy.newest(ctx))
    else:
        if algorithm in ("hybrid", "content"):
            add(strategy.content_sources(ctx))
        if algorithm in ("hybrid", BEHAVIOUR_ONLY):
            behaviour = strategy.behaviour(ctx)
            add(sorted(behaviour, key=lambda i: -behaviour[i][0])[:CANDIDATES])
        if algorithm in ("hybrid", "popularity"):
            add(strategy.popular_sources(ctx))
    rows = strategy.hydrate(ctx, list(pool))
    candidates = [c for c in pool.values() if c.id in rows]
    for candidate in candidates:
        candidate.row = rows[candidate.id]
    if not candidates or algorithm == "random":
        return candidates
    strategy.score_content(ctx, candidates)
    strategy.score_popularity(ctx, candidates)
    if algorithm == COLD_START:
        _explain_cold_start(ctx, strategy, candidates)
    if behaviour:
        _score_behaviour(candidates, behaviour)
    return candidates


def blend(ctx: Context, candidates: list[Candidate], signals: Mapping[str, float]) -> None:
    """Each candidate's score: its signals weighted by ``signals``, times its boost (1 until
    the rules' boosts ran). In the hybrid an item that is only popular is damped."""
    damping = settings.RECOMMENDATIONS_POPULAR_ONLY_DAMPING
    for candidate in candidates:
        personal = (
            signals["content"] * candidate.content + signals["behaviour"] * candidate.behaviour
        )
        popular = signals["popularity"] * candidate.popularity
        if ctx.algorithm == "hybrid" and personal == 0:
            popular *= damping
        candidate.score = (personal + popular) * candidate.boost


def _score_behaviour(candidates: list[Candidate], behaviour: dict[int, tuple[float, str]]) -> None:
    top = max((behaviour[c.id][0] for c in candidates if c.id in behaviour), default=0.0)
    if top <= 0:
        return
    for candidate in candidates:
        if candidate.id in behaviour:
            raw, reason = behaviour[candidate.id]
            candidate.behaviour = raw / top
            candidate.because(2.5 + 0.1 * candidate.behaviour, reason)


def _explain_cold_start(ctx: Context, strategy: Strategy, candidates: list[Candidate]) -> None:
    """A cold start says what it shows: what is trending with people of the same role, else
    the most popular, else the newest."""
    role_plural = ROLE_PLURALS.get(ctx.user.role, "people")
    trends = {}
    if strategy.item_type:
        trends = {t.item_id: t for t in features.trending(ctx.user.role, strategy.item_type)}
    noun = {"startup": "startups", "opportunity": "open opportunities", "talent": "talent"}[
        strategy.kind
    ]
    if trends:
        top = max(t.score for t in trends.values())
        for candidate in candidates:
            trend = trends.get(candidate.id)
            candidate.popularity = trend.score / top if trend and top else 0.0
            if trend is not None:
                candidate.because(
                    2.0,
                    f"Trending with {role_plural}: {_count(trend.count, 'person', 'people')} "
                    "engaged in the last 30 days",
                )
        return
    for candidate in candidates:
        if not candidate.popularity:  # not popular either: the newest first
            age = max((ctx.now - candidate.row["created_at"]).total_seconds(), 0.0)
            candidate.popularity = 0.5 / (1 + age / 86400)
            candidate.because(0.05, f"One of the newest {noun} on CollabHub")


def present(strategy: Strategy, candidates: list[Candidate], limit: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for candidate in candidates:
        if len(results) == limit:
            break
        if not candidate.reasons:  # never shown without a reason
            continue
        reasons = [text for _, text in sorted(candidate.reasons, key=lambda r: -r[0])]
        item = strategy.output(candidate)
        item["score"] = round(candidate.score, 4)
        item["reasons"] = list(dict.fromkeys(reasons))[:REASONS]
        results.append(item)
    return results
