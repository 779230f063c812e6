"""What every page's top bar shows of the person signed in."""

from typing import Any

from django.http import HttpRequest

from feed.selectors import notification_last_id, notification_unread_count
from messaging.selectors import message_unread_count


def nav(request: HttpRequest) -> dict[str, Any]:
    """The bell's and the messages link's counts, and the notification the page's socket
    resumes after."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "unread_notifications": notification_unread_count(user=user),
            "unread_messages": message_unread_count(user=user),
            "last_notification": notification_last_id(user=user),
        }
    }
