from django.db.models import QuerySet

from accounts.models import RevokedSession, User


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
