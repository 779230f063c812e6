"""What every page's top bar shows: the unread notifications of the person signed in."""

from typing import Any

from django.http import HttpRequest

from feed.selectors import notification_unread_count


def nav(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav": {"unread_notifications": notification_unread_count(user=user)}}
