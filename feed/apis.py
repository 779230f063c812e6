"""The feed, notifications, follows of people, and a user's activity."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from accounts.models import User
from accounts.selectors import user_list
from core.api.pagination import CursorPagination
from core.api.validation import validate_input
from feed import selectors, services, signals
from feed.models import ActivityEvent, Notification
from feed.serializers import (
    EventSerializer,
    FeedCompositionInputSerializer,
    FeedCompositionSerializer,
    FeedSerializer,
    FollowStateSerializer,
    NotificationSerializer,
    event_output,
)

MAX_PAGE_SIZE = 50


class EventCursorPagination(CursorPagination):
    """Newest first on ``(created_at, id)``: stable while new events arrive."""

    ordering = ("-created_at", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


def _page_size(request: Request) -> int:
    try:
        size = int(request.query_params.get("page_size", 20))
    except ValueError:
        size = 20
    return min(max(size, 1), MAX_PAGE_SIZE)


@extend_schema(
    tags=["feed"],
    summary="My feed",
    parameters=[
        OpenApiParameter("cursor", OpenApiTypes.STR, description="From the previous `next`."),
        OpenApiParameter("page_size", OpenApiTypes.INT, description="At most 50 (20)."),
    ],
    responses=FeedSerializer,
)
class FeedApi(APIView):
    """Events by the people and startups I follow, mixed with public events matching my
    skills and interests (`composition` says in which proportion), newest first."""

    permission_classes = [permissions.IsAuthenticated]

    def get(self, request: Request) -> Response:
        user = request_user(request)
        share = selectors.feed_share_get(user=user)
        page = selectors.feed_page_get(
            user=user,
            size=_page_size(request),
            cursor=request.query_params.get("cursor"),
            personal_share=share,
        )
        signals.feed_served.send(sender=None, user=user, personal_share=share)
        next_url = None
        if page.next_cursor:
            params = request.query_params.copy()
            params["cursor"] = page.next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        return Response(
            {
                "next": next_url,
                "composition": {"personal": share, "interest": round(1 - share, 4)},
                "results": [event_output(event) for event in page.events],
            }
        )


def _composition(composition: selectors.Composition) -> Response:
    return Response(
        FeedCompositionSerializer(
            {
                "personal": composition.personal,
                "interest": composition.interest,
                "source": composition.source,
                "experiment": composition.experiment,
            }
        ).data
    )


@extend_schema(tags=["feed"])
class FeedCompositionApi(APIView):
    """The personal/interest mix of feed pages."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="The mix of my feed", responses=FeedCompositionSerializer)
    def get(self, request: Request) -> Response:
        """The mix that applies to me: an experiment's variant if I am in one, else the
        default (set by staff, else the `FEED_COMPOSITION` setting)."""
        return _composition(selectors.feed_composition_get(user=request_user(request)))

    @extend_schema(
        summary="Set the default mix (staff)",
        request=FeedCompositionInputSerializer,
        responses=FeedCompositionSerializer,
    )
    def put(self, request: Request) -> Response:
        """Both shares, each from 0 to 1, summing to 1 (within 0.001). Applies at once to
        every feed page of people in no experiment; recorded as `feed_composition_changed`
        (private to staff)."""
        data = validate_input(FeedCompositionInputSerializer, request.data)
        row = services.feed_composition_update(by=request_user(request), **data)
        return _composition(selectors.Composition(row.personal, row.interest, "default"))


@extend_schema(
    tags=["feed"],
    summary="How many feed events are new since I last marked it seen",
    responses=inline_serializer("FeedUnread", {"unread_count": serializers.IntegerField()}),
)
class FeedUnreadApi(APIView):
    """For a badge: cheap to poll, and apart from the feed so a page does not pay for it.
    Counts up to 100 (shown as "99+")."""

    permission_classes = [permissions.IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"unread_count": selectors.feed_unread_count(user=request_user(request))})


@extend_schema(tags=["feed"], summary="Mark my feed as seen", request=None, responses={204: None})
class FeedSeenApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request: Request) -> Response:
        services.feed_marker_update(user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["feed"], summary="A user's activity")
class UserActivityApi(generics.ListAPIView):  # type: ignore[type-arg]
    """Their public events; all of your own when it is you."""

    serializer_class = EventSerializer
    pagination_class = EventCursorPagination
    queryset = ActivityEvent.objects.none()

    def get_queryset(self) -> QuerySet[ActivityEvent]:
        user = get_object_or_404(user_list(), pk=self.kwargs["pk"])
        return selectors.user_event_list(user=user, viewer=self.request.user)


@extend_schema(
    tags=["notifications"],
    parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread ones.")],
)
class NotificationListApi(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = NotificationSerializer
    pagination_class = EventCursorPagination
    permission_classes = [permissions.IsAuthenticated]
    queryset = Notification.objects.none()

    def get_queryset(self) -> QuerySet[Notification]:
        unread_only = self.request.query_params.get("unread") in {"1", "true", "True"}
        return selectors.notification_list(user=request_user(self.request), unread_only=unread_only)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        response.data["unread_count"] = selectors.notification_unread_count(
            user=request_user(request)
        )
        return response


@extend_schema(tags=["notifications"], request=None, responses=NotificationSerializer)
class NotificationReadApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request: Request, pk: int) -> Response:
        notification = get_object_or_404(
            selectors.notification_list(user=request_user(request)), pk=pk
        )
        services.notification_read(notification=notification)
        return Response(NotificationSerializer(notification).data)


@extend_schema(tags=["notifications"], request=None, responses={200: dict})
class NotificationReadAllApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request: Request) -> Response:
        marked = services.notifications_read_all(user=request_user(request))
        return Response({"marked_read": marked})


def follow_response(*, request: Request, target: Any) -> Response:
    """``POST`` follows (201, or 200 when already following); ``DELETE`` unfollows (204)."""
    user = request_user(request)
    if request.method == "DELETE":
        services.follow_delete(follower=user, target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)
    _, created = services.follow_create(follower=user, target=target)
    count = selectors.follower_count(target=target)
    return Response(
        FollowStateSerializer({"following": True, "followers_count": count}).data,
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


@extend_schema(
    tags=["follows"],
    summary="Follow / unfollow a person",
    request=None,
    responses={200: FollowStateSerializer, 201: FollowStateSerializer, 204: None},
)
class UserFollowApi(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    @extend_schema(responses=FollowStateSerializer, summary="Follower counts of a person")
    def get(self, request: Request, pk: int) -> Response:
        """How many follow this person and whom they follow; whether you do."""
        target = get_object_or_404(user_list(), pk=pk)
        return Response(
            FollowStateSerializer(
                selectors.follow_state_get(target=target, viewer=request.user)
            ).data
        )

    def post(self, request: Request, pk: int) -> Response:
        target = get_object_or_404(user_list(), pk=pk)
        return follow_response(request=request, target=target)

    def delete(self, request: Request, pk: int) -> Response:
        target = get_object_or_404(user_list(), pk=pk)
        return follow_response(request=request, target=target)


class _FollowListApi(generics.ListAPIView):  # type: ignore[type-arg]
    from accounts.serializers import UserSummarySerializer as serializer_class

    queryset = User.objects.none()

    people = staticmethod(selectors.follower_list)

    def get_queryset(self) -> QuerySet[User]:
        user = get_object_or_404(user_list(), pk=self.kwargs["pk"])
        return self.people(user=user)


@extend_schema(tags=["follows"], summary="Who follows this person")
class UserFollowersApi(_FollowListApi):
    people = staticmethod(selectors.follower_list)


@extend_schema(tags=["follows"], summary="Whom this person follows")
class UserFollowingApi(_FollowListApi):
    people = staticmethod(selectors.following_list)
