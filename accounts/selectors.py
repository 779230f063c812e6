import functools
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import Exists, Model, QuerySet

from accounts.models import USER_PROFILE_FIELDS, RevokedSession, User
from core.db.prepared import Prepared


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


_user = Prepared(lambda user_id: User.objects.filter(pk=user_id))
_user_and_session = Prepared(
    lambda user_id, sid: User.objects.filter(pk=user_id).annotate(
        session_revoked=Exists(RevokedSession.objects.filter(sid=sid))
    )
)


def user_for_access(*, user_id: Any, sid: str | None) -> User | None:
    """The user an access token names, with ``session_revoked`` when it names a session:
    every authenticated request's query (compiled once, ``core/db/prepared.py``)."""
    if isinstance(user_id, str) and user_id.isascii() and user_id.isdigit():
        user_id = int(user_id)  # simplejwt writes the id as a string (RFC 7519 "sub")
    if type(user_id) is not int or not 0 < user_id < 2**63:  # the ORM converts or refuses it
        user = user_get(user_id=user_id)
        if user is not None and sid is not None:
            user.session_revoked = session_is_revoked(sid=sid)  # type: ignore[attr-defined]
        return user
    found = _user(user_id=user_id) if sid is None else _user_and_session(user_id=user_id, sid=sid)
    return found[0] if found else None


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
    for owner_id, name in _skill_pairs(through, owner_field)(ids=ids):
        names[owner_id].append(name)
    return names


@functools.cache
def _skill_pairs(through: type[Model], owner_field: str) -> Prepared:
    return Prepared(
        lambda ids: (
            through._default_manager.filter(**{f"{owner_field}__in": ids})
            .order_by("skill__name")
            .values_list(owner_field, "skill__name")
        )
    )


def user_id_list() -> QuerySet[User]:
    """Active people, newest first: what the list's filters and ordering narrow down."""
    return User.objects.filter(is_active=True).order_by("-date_joined", "-id")


_user_rows = Prepared(
    lambda ids: User.objects.filter(pk__in=ids, is_active=True).values(*USER_COLUMNS)
)


def user_rows(*, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The active people with these ids, in this order, as ``USER_COLUMNS`` plus ``skills``
    (two queries)."""
    ids = list(ids)
    if not ids:
        return []
    by_id = {row["id"]: row for row in _user_rows(ids=ids)}
    skills = skill_names_by(through=User.skills.through, owner_field="user_id", ids=ids)
    rows = [by_id[pk] for pk in ids if pk in by_id]
    for row in rows:
        row["skills"] = skills.get(row["id"], [])
    return rows
