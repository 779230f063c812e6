"""Reads: each returns a QuerySet shaped for its API (no N+1) and filtered by visibility."""

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from feed.models import Follow
from startups.models import Application, Opportunity, OpportunityStatus, Save, Startup


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
    """Applications the viewer may see: their own, and those to their startups."""
    return (
        Application.objects.filter(Q(applicant=viewer) | Q(opportunity__startup__owner=viewer))
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
