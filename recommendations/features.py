"""The feature store: item popularity and traction, item-to-item similarities, latent factors
(``recommendations.factors``), user activity, skill rarity and what is trending per role,
derived from interactions and the catalogue.

``features_rebuild()`` re-derives all of it in one transaction (nightly, and
``manage.py recommendations_rebuild``); readers see the old store until it commits. Skill
weights and trending lists are cached and computed again on a miss.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.models import Role, User
from feed.models import Follow
from recommendations import factors
from recommendations.models import (
    FactorModel,
    Interaction,
    InteractionKind,
    ItemFeatures,
    ItemSimilarity,
    ItemType,
    SkillAffinity,
    UserFeatures,
)
from startups.models import (
    Application,
    ApplicationStatus,
    Opportunity,
    OpportunityStatus,
    Save,
    Stage,
    Startup,
)

# How much each kind of interaction says about a person's interest (dismiss says the opposite
# and is only ever a filter).
KIND_WEIGHTS: dict[str, float] = {
    InteractionKind.APPLY: 5.0,
    InteractionKind.SAVE: 4.0,
    InteractionKind.FOLLOW: 3.0,
    InteractionKind.LIKE: 2.0,
    InteractionKind.SHARE: 2.0,
    InteractionKind.VIEW: 1.0,
}
POSITIVE_KINDS = tuple(KIND_WEIGHTS)
ENGAGED_KINDS = (
    InteractionKind.APPLY,
    InteractionKind.SAVE,
    InteractionKind.FOLLOW,
    InteractionKind.LIKE,
)
RECENT = timedelta(days=30)
HALF_LIFE_DAYS = 30.0  # an interaction counts half as much a month later
NEIGHBOURS = 20  # similar items kept per item
HISTORY_PER_USER = 200  # most recent items per person that count for similarities
STAGE_SCORES: dict[str, float] = {
    Stage.IDEA: 0.2,
    Stage.PRE_SEED: 0.4,
    Stage.SEED: 0.7,
    Stage.SERIES_A: 0.9,
    Stage.SERIES_B_PLUS: 1.0,
}
GROWTH_FULL_MARKS = 30.0  # percent month over month
TRENDING_SIZE = 50
TRENDING_SCAN = 20_000  # the most recent interactions a trending list is computed from
CACHE_IDF = "recs:features:idf"
CACHE_TRENDING = "recs:features:trending:{role}:{item_type}"
FEATURES_CACHE_TIMEOUT = 25 * 3600  # a day and a bit: the nightly rebuild refreshes them


def decay(moment: datetime, now: datetime) -> float:
    age_days = max(0.0, (now - moment).total_seconds() / 86400)
    return 0.5 ** (age_days / HALF_LIFE_DAYS)


# --- Saves, applications and follows as interactions: exactly the real rows -----------------

# Interactions that only the row behind them can assert (clients may not post them).
BACKED_KINDS = (InteractionKind.SAVE, InteractionKind.APPLY, InteractionKind.FOLLOW)


def _backing_rows() -> list[tuple[str, str, Any]]:
    """(kind, item type, (person, item, when) rows) for every interaction a real row backs."""
    startup_type = ContentType.objects.get_for_model(Startup)
    return [
        (
            InteractionKind.SAVE,
            ItemType.STARTUP,
            Save.objects.filter(startup__isnull=False).values_list(
                "user_id", "startup_id", "created_at"
            ),
        ),
        (
            InteractionKind.SAVE,
            ItemType.OPPORTUNITY,
            Save.objects.filter(opportunity__isnull=False).values_list(
                "user_id", "opportunity_id", "created_at"
            ),
        ),
        (
            InteractionKind.APPLY,
            ItemType.OPPORTUNITY,
            Application.objects.exclude(status=ApplicationStatus.WITHDRAWN).values_list(
                "applicant_id", "opportunity_id", "created_at"
            ),
        ),
        (
            InteractionKind.FOLLOW,
            ItemType.STARTUP,
            Follow.objects.filter(target_type=startup_type).values_list(
                "follower_id", "target_id", "created_at"
            ),
        ),
    ]


def interactions_reconcile() -> dict[str, int]:
    """Make the save, apply and follow interactions match the rows behind them: record the
    ones missing (rows bulk-inserted without events, e.g. by ``seed_demo``) and delete the
    ones nothing backs (posted by a client when that was still allowed, or a row removed
    without its event). Returns how many were added and removed."""
    started = timezone.now()  # a row committed while this runs is not judged by it
    added = removed = 0
    backed: set[tuple[str, str, int, int]] = set()
    for kind, item_type, rows in _backing_rows():
        known = set(
            Interaction.objects.filter(kind=kind, item_type=item_type).values_list(
                "user_id", "item_id"
            )
        )
        missing = []
        for user_id, item_id, at in rows.iterator(chunk_size=5000):
            backed.add((kind, item_type, user_id, item_id))
            if (user_id, item_id) not in known:
                missing.append(
                    Interaction(
                        user_id=user_id,
                        kind=kind,
                        item_type=item_type,
                        item_id=item_id,
                        created_at=at,
                    )
                )
        Interaction.objects.bulk_create(missing, batch_size=2000)
        added += len(missing)
    unbacked = [
        pk
        for pk, kind, item_type, user_id, item_id in Interaction.objects.filter(
            kind__in=BACKED_KINDS, created_at__lt=started
        )
        .values_list("pk", "kind", "item_type", "user_id", "item_id")
        .iterator(chunk_size=5000)
        if (kind, item_type, user_id, item_id) not in backed
    ]
    for start in range(0, len(unbacked), 2000):
        removed += Interaction.objects.filter(pk__in=unbacked[start : start + 2000]).delete()[0]
    return {"added": added, "removed": removed}


def _engagements(since: datetime | None = None) -> Any:
    """Positive interactions as (person, kind, item type, item, latest moment): one row per
    person, kind and item however often it was repeated, so counts are of people."""
    rows = Interaction.objects.filter(kind__in=POSITIVE_KINDS)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return (
        rows.values("user_id", "kind", "item_type", "item_id")
        .annotate(at=Max("created_at"))
        .order_by()
    )


# --- Skill rarity ----------------------------------------------------------------------------


_cache_enabled: ContextVar[bool] = ContextVar("recommendation_features_cached", default=True)


@contextmanager
def uncached() -> Iterator[None]:
    """Compute skill weights and trending from this connection's data, and neither read nor
    write their cache entries (the offline evaluation's rolled-back data must not leak)."""
    token = _cache_enabled.set(False)
    try:
        yield
    finally:
        _cache_enabled.reset(token)


def cache_forget() -> None:
    """Drop the cached skill weights and trending lists (computed again on the next read)."""
    keys = [CACHE_IDF] + [
        CACHE_TRENDING.format(role=role, item_type=item_type)
        for role in Role.values
        for item_type in ItemType.values
    ]
    cache.delete_many(keys)


def skill_weights() -> dict[int, float]:
    """Skill id -> inverse document frequency over startups, opportunities and people: a rare
    skill in common says more than a common one."""
    if not _cache_enabled.get():
        return _skill_weights()
    weights: dict[int, float] | None = cache.get(CACHE_IDF)
    if weights is None:
        weights = _skill_weights()
        cache.set(CACHE_IDF, weights, FEATURES_CACHE_TIMEOUT)
    return weights


def _skill_weights() -> dict[int, float]:
    frequency: Counter[int] = Counter()
    documents = 0
    for through, column in (
        (Startup.skills.through, "startup_id"),
        (Opportunity.skills.through, "opportunity_id"),
        (User.skills.through, "user_id"),
    ):
        manager = through._default_manager  # type: ignore[attr-defined]
        for skill_id, count in manager.values_list("skill_id").annotate(n=Count("pk")):
            frequency[skill_id] += count
        documents += manager.values(column).distinct().count()
    return {
        skill_id: math.log((documents + 1) / (count + 1)) + 1.0
        for skill_id, count in frequency.items()
    }


# --- Trending per role -----------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    item_id: int
    score: float
    count: int  # people of the role who engaged in the last 30 days


def trending(role: str, item_type: str) -> list[Trend]:
    """What people of ``role`` engaged with most in the last 30 days (recent counts more; each
    person once per kind, however often they repeated it)."""
    if not _cache_enabled.get():
        return _trending(role, item_type, timezone.now())
    key = CACHE_TRENDING.format(role=role, item_type=item_type)
    trends: list[Trend] | None = cache.get(key)
    if trends is None:
        trends = _trending(role, item_type, timezone.now())
        cache.set(key, trends, 3600)
    return trends


def _trending(role: str, item_type: str, now: datetime) -> list[Trend]:
    rows = (
        _engagements(since=now - RECENT)
        .filter(item_type=item_type, user__role=role)
        .order_by("-at")[:TRENDING_SCAN]
    )
    scores: dict[int, float] = defaultdict(float)
    people: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        item_id = row["item_id"]
        scores[item_id] += KIND_WEIGHTS[row["kind"]] * decay(row["at"], now)
        people[item_id].add(row["user_id"])
    best = sorted(scores, key=lambda item_id: (-scores[item_id], item_id))[:TRENDING_SIZE]
    return [Trend(item_id, scores[item_id], len(people[item_id])) for item_id in best]


# --- The nightly rebuild ---------------------------------------------------------------------


@transaction.atomic
def features_rebuild(*, now: datetime | None = None) -> dict[str, int]:
    """Re-derive the whole feature store; returns how many rows of each kind it wrote."""
    now = now or timezone.now()
    reconciled = interactions_reconcile()
    per_item, per_user = _interaction_summary(now)
    items = _item_features(per_item, now)
    ItemFeatures.objects.all().delete()
    ItemFeatures.objects.bulk_create(items, batch_size=2000)
    history = _weighted_history(now)
    similarities = _similarities(history)
    ItemSimilarity.objects.all().delete()
    ItemSimilarity.objects.bulk_create(similarities, batch_size=2000)
    fitted = factors.factors_fit(history)
    FactorModel.objects.all().delete()
    if fitted is not None:
        fitted.save()
    users = _user_features(per_user)
    UserFeatures.objects.all().delete()
    UserFeatures.objects.bulk_create(users, batch_size=2000)
    affinities = _skill_affinities()
    SkillAffinity.objects.all().delete()
    SkillAffinity.objects.bulk_create(affinities, batch_size=2000)
    weights = _skill_weights()
    trends = {
        (role, item_type): _trending(role, item_type, now)
        for role in Role.values
        for item_type in ItemType.values
    }

    def publish() -> None:
        cache.set(CACHE_IDF, weights, FEATURES_CACHE_TIMEOUT)
        for (role, item_type), items in trends.items():
            key = CACHE_TRENDING.format(role=role, item_type=item_type)
            cache.set(key, items, FEATURES_CACHE_TIMEOUT)

    if _cache_enabled.get():
        transaction.on_commit(publish)
    return {
        "interactions_added": reconciled["added"],
        "interactions_removed": reconciled["removed"],
        "item_features": len(items),
        "item_similarities": len(similarities),
        "factor_items": fitted.items if fitted is not None else 0,
        "user_features": len(users),
        "skill_affinities": len(affinities),
        "skills": len(weights),
    }


@dataclass
class _ItemSummary:
    popularity: float = 0.0
    engaged: set[int] | None = None
    recent: dict[str, set[int]] | None = None  # kind -> the people, last 30 days


def _interaction_summary(
    now: datetime,
) -> tuple[dict[tuple[str, int], _ItemSummary], dict[int, tuple[int, datetime]]]:
    """Per item: popularity (each person's kinds of engagement, decayed from the latest), the
    people who engaged, and who did what in the last 30 days. Per person: how many items and
    kinds they engaged with in the last 30 days, and when last."""
    per_item: dict[tuple[str, int], _ItemSummary] = defaultdict(_ItemSummary)
    recent_by_user: Counter[int] = Counter()
    last_by_user: dict[int, datetime] = {}
    for row in _engagements().iterator(chunk_size=5000):
        user_id, kind, at = row["user_id"], row["kind"], row["at"]
        summary = per_item[row["item_type"], row["item_id"]]
        summary.popularity += KIND_WEIGHTS[kind] * decay(at, now)
        if kind in ENGAGED_KINDS:
            summary.engaged = summary.engaged or set()
            summary.engaged.add(user_id)
        if at >= now - RECENT:
            summary.recent = summary.recent or defaultdict(set)
            summary.recent[kind].add(user_id)
            recent_by_user[user_id] += 1
        if user_id not in last_by_user or at > last_by_user[user_id]:
            last_by_user[user_id] = at
    per_user = {user_id: (recent_by_user[user_id], last) for user_id, last in last_by_user.items()}
    return per_item, per_user


def _counts(recent: dict[str, set[int]] | None) -> dict[str, int]:
    return {kind: len(people) for kind, people in (recent or {}).items()}


def traction(
    *,
    growth_rate: Any,
    stage: str,
    created_at: datetime,
    recent: Counter[str] | dict[str, int] | None,
    busiest: float,
    now: datetime,
) -> float:
    """0 to 1: month-over-month growth, the last 30 days' follows, saves and applications
    (relative to the busiest startup), stage and recency."""
    growth = min(max(float(growth_rate or 0) / GROWTH_FULL_MARKS, 0.0), 1.0)
    activity = _recent_activity(recent)
    activity_score = math.log1p(activity) / math.log1p(busiest) if busiest > 0 else 0.0
    recency = 0.5 ** (max(0.0, (now - created_at).days) / 180)
    return round(
        0.35 * growth + 0.35 * activity_score + 0.15 * STAGE_SCORES.get(stage, 0) + 0.15 * recency,
        6,
    )


def _recent_activity(recent: Counter[str] | dict[str, int] | None) -> float:
    recent = recent or {}
    return sum(
        KIND_WEIGHTS[kind] * recent.get(kind, 0)
        for kind in (InteractionKind.FOLLOW, InteractionKind.SAVE, InteractionKind.APPLY)
    )


def _item_features(
    per_item: dict[tuple[str, int], _ItemSummary], now: datetime
) -> list[ItemFeatures]:
    features: list[ItemFeatures] = []
    # An opportunity's applicants are its startup's traction too (each person once).
    startup_of = dict(Opportunity.objects.values_list("pk", "startup_id"))
    startup_people: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for (item_type, item_id), summary in per_item.items():
        if not summary.recent:
            continue
        if item_type == ItemType.STARTUP:
            for kind, people in summary.recent.items():
                startup_people[item_id][kind] |= people
        elif item_id in startup_of:
            applicants = summary.recent.get(InteractionKind.APPLY, set())
            if applicants:
                startup_people[startup_of[item_id]][InteractionKind.APPLY] |= applicants
    startup_recent = {pk: _counts(people) for pk, people in startup_people.items()}
    busiest = max((_recent_activity(recent) for recent in startup_recent.values()), default=0.0)
    startups = Startup.objects.values_list("pk", "industry", "growth_rate", "stage", "created_at")
    industries: dict[int, str] = {}
    for pk, industry, growth_rate, stage, created_at in startups.iterator(chunk_size=5000):
        industries[pk] = industry
        summary = per_item.get((ItemType.STARTUP, pk), _ItemSummary())
        recent = startup_recent.get(pk)
        features.append(
            ItemFeatures(
                item_type=ItemType.STARTUP,
                item_id=pk,
                industry=industry,
                popularity=summary.popularity,
                engaged=len(summary.engaged or ()),
                recent=dict(recent or {}),
                traction=traction(
                    growth_rate=growth_rate,
                    stage=stage,
                    created_at=created_at,
                    recent=recent,
                    busiest=busiest,
                    now=now,
                ),
            )
        )
    for (item_type, item_id), summary in per_item.items():
        if item_type != ItemType.OPPORTUNITY or item_id not in startup_of:
            continue
        features.append(
            ItemFeatures(
                item_type=ItemType.OPPORTUNITY,
                item_id=item_id,
                industry=industries.get(startup_of[item_id], ""),
                popularity=summary.popularity,
                engaged=len(summary.engaged or ()),
                recent=_counts(summary.recent),
            )
        )
    return features


Item = factors.Item


def _weighted_history(now: datetime) -> dict[int, list[tuple[Item, float]]]:
    """What similarities and factors learn from: per person, each item they engaged with
    (startups and opportunities alike) and the weight of their strongest interaction with it,
    by kind and decayed by age; their ``HISTORY_PER_USER`` most recent items of each type."""
    vectors: dict[tuple[int, str], dict[int, float]] = defaultdict(dict)
    rows = (
        Interaction.objects.filter(kind__in=POSITIVE_KINDS)
        .order_by("user_id", "-created_at", "-id")
        .values_list("user_id", "kind", "item_type", "item_id", "created_at")
    )
    for user_id, kind, item_type, item_id, at in rows.iterator(chunk_size=5000):
        items = vectors[user_id, item_type]
        if item_id not in items and len(items) >= HISTORY_PER_USER:
            continue
        weight = KIND_WEIGHTS[kind] * (0.5 + 0.5 * decay(at, now))
        items[item_id] = max(items.get(item_id, 0.0), weight)
    people: dict[int, list[tuple[Item, float]]] = defaultdict(list)
    for (user_id, item_type), items in vectors.items():
        people[user_id].extend(((item_type, item_id), w) for item_id, w in items.items())
    return people


def _similarities(people: dict[int, list[tuple[Item, float]]]) -> list[ItemSimilarity]:
    """Item-to-item cosine similarity of the people's weighted interaction vectors
    (``_weighted_history``), across item types (a person's saved startups and the roles they
    applied to are all their taste). Each item keeps its ``NEIGHBOURS`` most similar of each
    type."""
    norms: dict[Item, float] = defaultdict(float)
    dots: dict[tuple[Item, Item], float] = defaultdict(float)
    together: Counter[tuple[Item, Item]] = Counter()
    for engaged in people.values():
        pairs = sorted(engaged)
        for index, (item, weight) in enumerate(pairs):
            norms[item] += weight * weight
            for other, other_weight in pairs[index + 1 :]:
                dots[item, other] += weight * other_weight
                together[item, other] += 1
    minimum = settings.RECOMMENDATIONS_MIN_TOGETHER
    neighbours: dict[tuple[Item, str], list[tuple[float, int, int]]] = defaultdict(list)
    for (a, b), dot in dots.items():
        count = together[a, b]
        if count < minimum:
            continue
        score = dot / math.sqrt(norms[a] * norms[b])
        neighbours[a, b[0]].append((score, b[1], count))
        neighbours[b, a[0]].append((score, a[1], count))
    similarities: list[ItemSimilarity] = []
    for ((item_type, item_id), other_type), others in sorted(neighbours.items()):
        others.sort(key=lambda other: (-other[0], other[1]))
        similarities.extend(
            ItemSimilarity(
                item_type=item_type,
                item_id=item_id,
                other_type=other_type,
                other_id=other_id,
                score=round(score, 6),
                together=count,
            )
            for score, other_id, count in others[:NEIGHBOURS]
        )
    return similarities


def _user_features(per_user: dict[int, tuple[int, datetime]]) -> list[UserFeatures]:
    logins = dict(User.objects.filter(last_login__isnull=False).values_list("pk", "last_login"))
    features = []
    for user_id in sorted(set(per_user) | set(logins)):
        activity, last_interaction = per_user.get(user_id, (0, None))
        moments = [m for m in (last_interaction, logins.get(user_id)) if m is not None]
        features.append(
            UserFeatures(
                user_id=user_id,
                activity=activity,
                last_active_at=max(moments) if moments else None,
            )
        )
    return features


# --- Skills and startups: what people's job skills say about the startups they engage with ----

AFFINITY_PRIOR = 20.0  # engagements' worth of trust in a hiring match before any evidence
AFFINITY_MAX_PEOPLE = 5000  # people a rebuild learns from (the most recently active)


def _cautious_lift(observed: float, expected: float) -> float:
    """Observed over expected, the observed count less two standard errors (Poisson)."""
    if expected <= 0:
        return 0.0
    return max(0.0, observed - 2 * math.sqrt(observed)) / expected


def _skill_affinities() -> list[SkillAffinity]:
    """People's skills against the startups they engaged with (each startup once a person):
    per skill and industry, how many more of their engagements fall in the industry than
    everyone's share predicts; pooled over skills, how many fall on startups with an open role
    asking for one of the person's skills against what chance gives (the share of startups
    hiring for them)."""
    skills: dict[int, set[int]] = defaultdict(set)
    for user_id, skill_id in User.skills.through.objects.values_list("user_id", "skill_id"):
        skills[user_id].add(skill_id)
    engaged: dict[int, set[int]] = defaultdict(set)
    rows = (
        Interaction.objects.filter(item_type=ItemType.STARTUP, kind__in=POSITIVE_KINDS)
        .order_by("-created_at", "-id")
        .values_list("user_id", "item_id")
    )
    for user_id, item_id in rows.iterator(chunk_size=5000):
        if user_id not in skills:
            continue
        if user_id in engaged or len(engaged) < AFFINITY_MAX_PEOPLE:
            engaged[user_id].add(item_id)
    industry_of = dict(Startup.objects.values_list("pk", "industry"))
    hiring: dict[int, set[int]] = defaultdict(set)
    for skill_id, startup_id in Opportunity.skills.through.objects.filter(
        opportunity__status=OpportunityStatus.OPEN
    ).values_list("skill_id", "opportunity__startup_id"):
        hiring[skill_id].add(startup_id)
    per_skill: Counter[int] = Counter()
    per_pair: Counter[tuple[int, str]] = Counter()
    per_industry: Counter[str] = Counter()
    hired = 0  # engagements with startups hiring for one of the person's skills
    expected_hired = 0.0
    for user_id, startups in sorted(engaged.items()):
        known = [s for s in startups if s in industry_of]
        if not known:
            continue
        theirs = set().union(*(hiring[skill_id] for skill_id in skills[user_id]))
        hired += sum(1 for s in known if s in theirs)
        expected_hired += len(known) * len(theirs) / len(industry_of)
        for startup_id in known:
            per_industry[industry_of[startup_id]] += 1
        for skill_id in skills[user_id]:
            per_skill[skill_id] += len(known)
            for startup_id in known:
                per_pair[skill_id, industry_of[startup_id]] += 1
    total = sum(per_industry.values())
    affinities = []
    for (skill_id, industry), count in sorted(per_pair.items()):
        expected = per_skill[skill_id] * per_industry[industry] / total
        lift = _cautious_lift(count, expected)
        if lift > 1:
            affinities.append(
                SkillAffinity(
                    skill_id=skill_id,
                    industry=industry,
                    lift=round(lift, 6),
                    evidence=per_skill[skill_id],
                )
            )
    if expected_hired > 0:
        affinities.append(
            SkillAffinity(
                skill=None,
                industry="",
                lift=round(_cautious_lift(hired, expected_hired), 6),
                evidence=round(expected_hired, 3),
            )
        )
    return affinities


@dataclass(frozen=True)
class SkillAffinities:
    """What the feature store knows of some skills (``skill_affinities``)."""

    industry: dict[tuple[int, str], float]  # (skill, industry) -> lift, only above 1
    hiring_lift: float = 1.0  # pooled over skills; see hiring_trust
    hiring_evidence: float = 0.0

    def industry_strength(self, skill_id: int, industry: str) -> float:
        """0 to 1: log2 of the lift, full marks at twice as often."""
        lift = self.industry.get((skill_id, industry), 1.0)
        return min(1.0, max(0.0, math.log2(lift)))

    def hiring_trust(self) -> float:
        """0 to 1: how far a startup hiring for one of a person's skills is a reason to show
        it. Trusted fully without evidence; as evidence comes in it takes over: the log2 of
        the hiring lift (full marks at twice chance, none at chance or below)."""
        observed = min(1.0, max(0.0, math.log2(self.hiring_lift))) if self.hiring_lift else 0.0
        evidence = self.hiring_evidence
        return (AFFINITY_PRIOR + evidence * observed) / (AFFINITY_PRIOR + evidence)


def skill_affinities(skill_ids: Iterable[int]) -> SkillAffinities:
    """The learned affinities of these skills, and the pooled hiring lift (one query)."""
    industry: dict[tuple[int, str], float] = {}
    hiring_lift, hiring_evidence = 1.0, 0.0
    rows = SkillAffinity.objects.filter(
        Q(skill_id__in=list(skill_ids)) | Q(skill__isnull=True)
    ).values_list("skill_id", "industry", "lift", "evidence")
    for skill_id, industry_name, lift, evidence in rows:
        if skill_id is None:
            hiring_lift, hiring_evidence = lift, evidence
        else:
            industry[skill_id, industry_name] = lift
    return SkillAffinities(
        industry=industry, hiring_lift=hiring_lift, hiring_evidence=hiring_evidence
    )


def recently_active_users(days: int) -> list[int]:
    since = timezone.now() - timedelta(days=days)
    return list(
        UserFeatures.objects.filter(last_active_at__gte=since, user__is_active=True)
        .order_by("-last_active_at")
        .values_list("user_id", flat=True)
    )
