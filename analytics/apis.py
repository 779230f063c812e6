"""Staff only: the live figures of the platform."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_get
from analytics import selectors
from core.api.validation import validate_input
from core.exceptions import NotFound


class DashboardQuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    timerange = serializers.ChoiceField(choices=list(selectors.RANGES), default="24h")


@extend_schema(
    tags=["analytics"],
    summary="Totals and time series for a time range",
    parameters=[
        OpenApiParameter(
            "timerange", OpenApiTypes.STR, enum=list(selectors.RANGES), description="24h"
        )
    ],
    responses=dict,
)
class DashboardApi(APIView):
    """Sign-ups, active people, events by type, applications, messages, recommendation
    click-through (views from a list ÷ lists served), feed pages, API requests with their
    error rate and p95 latency, and the startups people engaged with most -- from counters
    kept as things happen (minute buckets for 1h, hours for 24h and 7d, days for 30d)."""

    permission_classes = [permissions.IsAdminUser]

    def get(self, request: Request) -> Response:
        query = validate_input(DashboardQuerySerializer, request.query_params)
        return Response(selectors.dashboard_get(timerange=query["timerange"]))


@extend_schema(tags=["analytics"], summary="Behaviour insights of the platform", responses=dict)
class InsightListApi(APIView):
    """The sign-up → profile complete → first save or follow → first application funnel (who
    joined in the last 90 days), weekly retention cohorts (the last 8 sign-up weeks), the
    most active hours (UTC) -- as the hourly ``analytics.insights_refresh`` left them."""

    permission_classes = [permissions.IsAdminUser]

    def get(self, request: Request) -> Response:
        return Response(selectors.insight_list())


@extend_schema(tags=["analytics"], summary="One person's engagement", responses=dict)
class UserInsightApi(APIView):
    """Their events in the last 30 days, active days, saves, follows, applications,
    messages, recommendations opened, first engagement and application, last activity --
    as of the last hourly refresh (``computed_at``; null before the first)."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(operation_id="analytics_user_insights_retrieve")
    def get(self, request: Request, user_id: int) -> Response:
        user = user_get(user_id=user_id)
        if user is None:
            raise NotFound(f"No user with id {user_id}.", code="user_not_found")
        return Response(selectors.user_insight_get(user=user))
