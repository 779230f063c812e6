from django.urls import path

from messaging import apis

urlpatterns = [
    path("connections/", apis.ConnectionListApi.as_view(), name="connection-list"),
    path("connections/<int:pk>/", apis.ConnectionDetailApi.as_view(), name="connection-detail"),
    path(
        "connections/<int:pk>/accept/", apis.ConnectionAcceptApi.as_view(), name="connection-accept"
    ),
    path(
        "connections/<int:pk>/decline/",
        apis.ConnectionDeclineApi.as_view(),
        name="connection-decline",
    ),
    path("conversations/", apis.ConversationListApi.as_view(), name="conversation-list"),
    path(
        "conversations/<int:user_id>/messages/",
        apis.MessageListApi.as_view(),
        name="conversation-messages",
    ),
    path(
        "conversations/<int:user_id>/read/",
        apis.ConversationReadApi.as_view(),
        name="conversation-read",
    ),
]
