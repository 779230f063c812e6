from django.urls import path

from feed import apis

urlpatterns = [
    path("feed/", apis.FeedApi.as_view(), name="feed"),
    path("feed/composition/", apis.FeedCompositionApi.as_view(), name="feed-composition"),
    path("feed/seen/", apis.FeedSeenApi.as_view(), name="feed-seen"),
    path("feed/unread/", apis.FeedUnreadApi.as_view(), name="feed-unread"),
    path("notifications/", apis.NotificationListApi.as_view(), name="notification-list"),
    path(
        "notifications/read-all/",
        apis.NotificationReadAllApi.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/<int:pk>/read/", apis.NotificationReadApi.as_view(), name="notification-read"
    ),
    path("users/<int:pk>/follow/", apis.UserFollowApi.as_view(), name="user-follow"),
    path("users/<int:pk>/followers/", apis.UserFollowersApi.as_view(), name="user-followers"),
    path("users/<int:pk>/following/", apis.UserFollowingApi.as_view(), name="user-following"),
    path("users/<int:pk>/activity/", apis.UserActivityApi.as_view(), name="user-activity"),
]
