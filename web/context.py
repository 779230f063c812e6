"""What every page's top bar shows of the person signed in."""

from typing import Any

from django.http import HttpRequest

from feed.selectors import notification_badge_get
from messaging.selectors import message_badge_get


def nav(request: HttpRequest) -> dict[str, Any]:
    """The bell's and the messages link's counts, and the notification and the message the
    page's socket resumes after."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/_/"):
        return {}  # a fragment has no top bar
    unread_notifications, last_notification = notification_badge_get(user=user)
    unread_messages, last_message = message_badge_get(user=user)
    return {
        "nav": {
            "unread_notifications": unread_notifications,
            "last_notification": last_notification,
            "unread_messages": unread_messages,
            "last_message": last_message,
        }
    }
