from django.db.models import QuerySet

from accounts.models import User


def user_list() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True)
        .prefetch_related("skills")
        .order_by("-date_joined", "-id")
    )
