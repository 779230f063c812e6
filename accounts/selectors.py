from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import Model, QuerySet

from accounts.models import USER_PROFILE_FIELDS, RevokedSession, User


def user_get(*, user_id: int) -> User | None:
    """Anyone with this id, active or not."""
    return User.objects.filter(pk=user_id).first()


def user_list() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True)
        .prefetch_related("skills")
        .order_by("-date_joined", "-id")
    )


def session_is_revoked(*, sid: str) -> bool:
    """Whether the session was signed out. A row past ``expires_at`` that is not purged yet
    still counts: every token it refuses has expired by then anyway."""
    return RevokedSession.objects.filter(sid=sid).exists()


# --- The API's hot path (core/api/rows.py): a page's rows as dicts -------------------------

USER_COLUMNS = (
    "id",
    "email",
    *(name for name in USER_PROFILE_FIELDS if name != "skills"),
    "date_joined",
)


def skill_names_by(
    *, through: type[Model], owner_field: str, ids: Sequence[int]
) -> dict[int, list[str]]:
    """Skill names per row of a many-to-many to ``Skill`` (its ``through`` model), sorted by
    name as ``Skill`` is, in one query for all the rows."""
    names: dict[int, list[str]] = defaultdict(list)
    pairs = (
        through._default_manager.filter(**{f"{owner_field}__in": ids})
        .order_by("skill__name")
        .values_list(owner_field, "skill__name")
    )
    for owner_id, name in pairs:
        names[owner_id].append(name)
    return names


def user_id_list() -> QuerySet[User]:
    """Active people, newest first: what the list's filters and ordering narrow down."""
    return User.objects.filter(is_active=True).order_by("-date_joined", "-id")


def user_rows(*, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The active people with these ids, in this order, as ``USER_COLUMNS`` plus ``skills``
    (two queries)."""
    ids = list(ids)
    if not ids:
        return []
    by_id = {
        row["id"]: row
        for row in User.objects.filter(pk__in=ids, is_active=True).values(*USER_COLUMNS)
    }
    skills = skill_names_by(through=User.skills.through, owner_field="user_id", ids=ids)
    rows = [by_id[pk] for pk in ids if pk in by_id]
    for row in rows:
        row["skills"] = skills.get(row["id"], [])
    return rows
