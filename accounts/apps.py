from datetime import timedelta

from django.apps import AppConfig
from django.utils import timezone


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from accounts import (
            lockout,
            search,  # noqa: F401 - registers the people search index
        )
        from accounts.models import User
        from observability.metrics import business_metric_register
        from search.cache import invalidate_on_write

        invalidate_on_write(User, ignore_fields=frozenset({"last_login", "password"}))
        user_login_failed.connect(lockout.failed, dispatch_uid="accounts-sign-in-failed")
        user_locked_out.connect(lockout.locked_out, dispatch_uid="accounts-locked-out")
        user_logged_in.connect(lockout.admin_signed_in, dispatch_uid="accounts-signed-in")

        def active_users() -> int:
            since = timezone.now() - timedelta(hours=24)
            return User.objects.filter(is_active=True, last_login__gte=since).count()

        business_metric_register("users", User.objects.count, "Registered users.")
        business_metric_register(
            "active_users", active_users, "Users seen (signed in) in the last 24 h.", prefixed=False
        )
