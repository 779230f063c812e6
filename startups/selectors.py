"""Reads: each returns a QuerySet shaped for its API (no N+1) and filtered by visibility."""

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from accounts.selectors import skill_names_by
from core.db.prepared import Prepared
from feed.models import Follow
from startups.models import (
    OPPORTUNITY_DETAIL_FIELDS,
    STARTUP_PROFILE_FIELDS,
    Application,
    Opportunity,
    OpportunityStatus,
    Save,
    Startup,
)


def _viewer_id(viewer: User | AnonymousUser | None) -> int | None:
    return viewer.pk if viewer is not None and viewer.is_authenticated else None


def startup_get(*, startup_id: int) -> Startup | None:
    return Startup.objects.filter(pk=startup_id).first()


def startup_list(*, viewer: User | AnonymousUser | None = None) -> QuerySet[Startup]:
    viewer_id = _viewer_id(viewer)
    is_saved = (
        Exists(Save.objects.filter(user_id=viewer_id, startup=OuterRef("pk")))
        if viewer_id
        else Value(False)
    )
    # A correlated count, not a JOIN + GROUP BY over every column of the startup.
    open_count = (
        Opportunity.objects.filter(startup=OuterRef("pk"), status=OpportunityStatus.OPEN)
        .order_by()
        .values("startup")
        .annotate(count=Count("pk"))
        .values("count")
    )
    startup_type = ContentType.objects.get_for_model(Startup)
    follows = Follow.objects.filter(target_type=startup_type, target_id=OuterRef("pk"))
    followers = follows.order_by().values("target_id").annotate(count=Count("pk")).values("count")
    is_following = Exists(follows.filter(follower_id=viewer_id)) if viewer_id else Value(False)
    return (
        Startup.objects.select_related("owner")
        .prefetch_related("skills")
        .annotate(
            open_opportunities_count=Coalesce(Subquery(open_count), 0),
            is_saved=is_saved,
            followers_count=Coalesce(Subquery(followers), 0),
            is_following=is_following,
        )
        .order_by("-created_at", "-id")
    )


def opportunity_list(*, viewer: User | AnonymousUser | None = None) -> QuerySet[Opportunity]:
    viewer_id = _viewer_id(viewer)
    is_saved: Exists | Value
    has_applied: Exists | Value
    if viewer_id:
        is_saved = Exists(Save.objects.filter(user_id=viewer_id, opportunity=OuterRef("pk")))
        has_applied = Exists(
            Application.objects.filter(applicant_id=viewer_id, opportunity=OuterRef("pk"))
        )
    else:
        is_saved = has_applied = Value(False)
    return (
        Opportunity.objects.select_related("startup")
        .prefetch_related("skills")
        .annotate(is_saved=is_saved, has_applied=has_applied)
        .order_by("-created_at", "-id")
    )


def application_list(*, viewer: User) -> QuerySet[Application]:
    """Applications the viewer may see: their own, and those to their startups. The
    startups' side is an uncorrelated subquery, so each side reads its own index (a JOIN in
    the ``OR`` scans every application in date order instead: 15x slower on SQLite)."""
    theirs = Opportunity.objects.filter(startup__owner=viewer).values("pk")
    return (
        Application.objects.filter(Q(applicant=viewer) | Q(opportunity_id__in=theirs))
        .select_related("applicant", "opportunity__startup")
        .order_by("-created_at", "-id")
    )


def save_list(*, user: User) -> QuerySet[Save]:
    return (
        Save.objects.filter(user=user)
        .select_related("startup", "opportunity__startup")
        .order_by("-created_at", "-id")
    )


def startup_follower_list(*, startup: Startup) -> QuerySet[User]:
    follower_id_list = Follow.objects.filter(
        target_type=ContentType.objects.get_for_model(Startup), target_id=startup.pk
    ).values("follower_id")
    return User.objects.filter(pk__in=follower_id_list, is_active=True).order_by("name", "id")


# --- The API's hot paths: rows as dicts for a page of ids -----------------------------------
# A page is found by id first (filters, ordering and pagination run on the bare table), then
# its rows are read with ``.values()`` and each per-row figure with one grouped query over the
# page's ids: no model instances, no correlated subquery per row. The serializers shape them.

STARTUP_COLUMNS = (
    "id",
    "owner_id",
    "owner__name",
    "owner__role",
    "owner__headline",
    *(name for name in STARTUP_PROFILE_FIELDS if name != "skills"),
    "created_at",
    "updated_at",
)


def startup_id_list() -> QuerySet[Startup]:
    """Every startup, newest first: what the list's filters and ordering narrow down."""
    return Startup.objects.order_by("-created_at", "-id")


def _in_order(rows: list[dict[str, Any]], ids: Sequence[int]) -> list[dict[str, Any]]:
    by_id = {row["id"]: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


# Each compiled once per page size (core/db/prepared.py): values are parameters.
_startup_rows = Prepared(lambda ids: Startup.objects.filter(pk__in=ids).values(*STARTUP_COLUMNS))
_open_counts = Prepared(
    lambda ids: (
        Opportunity.objects.filter(startup_id__in=ids, status=OpportunityStatus.OPEN)
        .order_by()
        .values("startup_id")
        .annotate(count=Count("pk"))
        .values_list("startup_id", "count")
    )
)
_follower_counts = Prepared(
    lambda ids, type_id: (
        Follow.objects.filter(target_type_id=type_id, target_id__in=ids)
        .order_by()
        .values("target_id")
        .annotate(count=Count("pk"))
        .values_list("target_id", "count")
    )
)
_followed = Prepared(
    lambda ids, type_id, viewer_id: Follow.objects.filter(
        target_type_id=type_id, target_id__in=ids, follower_id=viewer_id
    ).values_list("target_id", flat=True)
)
_saved_startups = Prepared(
    lambda ids, viewer_id: Save.objects.filter(user_id=viewer_id, startup_id__in=ids).values_list(
        "startup_id", flat=True
    )
)


def startup_rows(
    *, ids: Sequence[int], viewer: User | AnonymousUser | None = None
) -> list[dict[str, Any]]:
    """The startups with these ids, in this order, as ``STARTUP_COLUMNS`` plus ``skills``,
    ``open_opportunities_count``, ``followers_count``, ``is_saved`` and ``is_following``
    (the values ``startup_list`` annotates), in six queries at most whatever the page size."""
    ids = list(ids)
    type_id = ContentType.objects.get_for_model(Startup).pk  # cached once read
    if not ids:
        return []
    rows = _in_order(_startup_rows(ids=ids), ids)
    skills = skill_names_by(through=Startup.skills.through, owner_field="startup_id", ids=ids)
    open_counts = dict(_open_counts(ids=ids))
    followers = dict(_follower_counts(ids=ids, type_id=type_id))
    viewer_id = _viewer_id(viewer)
    saved: set[int] = set()
    following: set[int] = set()
    if viewer_id:
        saved = set(_saved_startups(ids=ids, viewer_id=viewer_id))
        following = set(_followed(ids=ids, type_id=type_id, viewer_id=viewer_id))
    for row in rows:
        pk = row["id"]
        row["skills"] = skills.get(pk, [])
        row["open_opportunities_count"] = open_counts.get(pk, 0)
        row["followers_count"] = followers.get(pk, 0)
        row["is_saved"] = pk in saved
        row["is_following"] = pk in following
    return rows


_STARTUP_SUMMARY = ("id", "name", "slug", "tagline", "industry", "stage")
OPPORTUNITY_COLUMNS = (
    "id",
    *(f"startup__{name}" for name in _STARTUP_SUMMARY),
    "startup__owner_id",
    *(name for name in OPPORTUNITY_DETAIL_FIELDS if name != "skills"),
    "created_at",
    "updated_at",
)


def opportunity_id_list() -> QuerySet[Opportunity]:
    """Every opportunity, newest first: what the list's filters and ordering narrow down."""
    return Opportunity.objects.order_by("-created_at", "-id")


_opportunity_rows = Prepared(
    lambda ids: Opportunity.objects.filter(pk__in=ids).values(*OPPORTUNITY_COLUMNS)
)
_saved_opportunities = Prepared(
    lambda ids, viewer_id: Save.objects.filter(
        user_id=viewer_id, opportunity_id__in=ids
    ).values_list("opportunity_id", flat=True)
)
_applied = Prepared(
    lambda ids, viewer_id: (
        Application.objects.filter(applicant_id=viewer_id, opportunity_id__in=ids)
        .order_by()
        .values_list("opportunity_id", flat=True)
    )
)


def opportunity_rows(
    *, ids: Sequence[int], viewer: User | AnonymousUser | None = None
) -> list[dict[str, Any]]:
    """The opportunities with these ids, in this order, as ``OPPORTUNITY_COLUMNS`` plus
    ``skills``, ``is_saved`` and ``has_applied`` (what ``opportunity_list`` annotates)."""
    ids = list(ids)
    if not ids:
        return []
    rows = _in_order(_opportunity_rows(ids=ids), ids)
    skills = skill_names_by(
        through=Opportunity.skills.through, owner_field="opportunity_id", ids=ids
    )
    viewer_id = _viewer_id(viewer)
    saved: set[int] = set()
    applied: set[int] = set()
    if viewer_id:
        saved = set(_saved_opportunities(ids=ids, viewer_id=viewer_id))
        applied = set(_applied(ids=ids, viewer_id=viewer_id))
    for row in rows:
        pk = row["id"]
        row["skills"] = skills.get(pk, [])
        row["is_saved"] = pk in saved
        row["has_applied"] = pk in applied
    return rows


APPLICATION_COLUMNS = (
    "id",
    "opportunity_id",
    "opportunity__title",
    "opportunity__kind",
    "opportunity__status",
    *(f"opportunity__startup__{name}" for name in _STARTUP_SUMMARY),
    "applicant_id",
    "applicant__name",
    "applicant__role",
    "applicant__headline",
    "cover_letter",
    "status",
    "decided_at",
    "created_at",
    "updated_at",
)


# The page's ids narrow first here, so each row is joined to its startup's owner: cheaper
# than listing every opportunity of the viewer's startups (``application_list``'s form, for
# the list's ids), which costs PostgreSQL ~1 ms even for a detail.
_application_rows = Prepared(
    lambda ids, viewer_id: Application.objects.filter(
        Q(applicant_id=viewer_id) | Q(opportunity__startup__owner_id=viewer_id), pk__in=ids
    ).values(*APPLICATION_COLUMNS)
)


def application_rows(*, ids: Sequence[int], viewer: User) -> list[dict[str, Any]]:
    """The applications with these ids that the viewer may see, in this order, as
    ``APPLICATION_COLUMNS`` (one query)."""
    ids = list(ids)
    if not ids:
        return []
    return _in_order(_application_rows(ids=ids, viewer_id=viewer.pk), ids)
