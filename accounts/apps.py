from datetime import timedelta

from django.apps import AppConfig
from django.utils import timezone


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import search  # noqa: F401 - registers the people search index
        from accounts.models import User
        from collabhub.search import invalidate_on_write
        from observability.metrics import business_metric_register

        invalidate_on_write(User, ignore_fields=frozenset({"last_login", "password"}))

        def active_users_24h() -> int:
            since = timezone.now() - timedelta(hours=24)
            return User.objects.filter(is_active=True, last_login__gte=since).count()

        business_metric_register("users", User.objects.count, "Registered users.")
        business_metric_register("active_users_24h", active_users_24h, "Users seen in 24 h.")
