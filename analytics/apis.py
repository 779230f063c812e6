"""The live figures of the platform (staff only), and what is trending (everyone)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_get
from accounts.serializers import UserSerializer
from analytics import selectors, trending
from core.api.schema import ErrorSerializer
from core.api.validation import validate_input
from core.exceptions import NotFound
from startups.serializers import OpportunitySerializer, StartupSerializer


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


# --- trending ---------------------------------------------------------------------------------
ITEM_SERIALIZERS: dict[str, type[serializers.Serializer]] = {  # type: ignore[type-arg]
    trending.STARTUPS: StartupSerializer,
    trending.OPPORTUNITIES: OpportunitySerializer,
    trending.PEOPLE: UserSerializer,
}


class TrendingQuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    window = serializers.ChoiceField(choices=list(trending.WINDOWS), default="24h")
    type = serializers.ChoiceField(choices=list(trending.KINDS), default=trending.STARTUPS)
    limit = serializers.IntegerField(min_value=1, max_value=selectors.TRENDING_MAX, default=20)


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="TrendingSubject",
        serializers=[StartupSerializer, OpportunitySerializer, UserSerializer],
        resource_type_field_name=None,
    )
)
class TrendingSubjectField(serializers.DictField):  # type: ignore[type-arg]
    """The item as its list shows it (``type``'s serializer)."""


class TrendingItemSerializer(serializers.Serializer):  # type: ignore[type-arg]
    rank = serializers.IntegerField()
    score = serializers.FloatField(
        help_text="Distinct people engaging, each weighted by how recent their latest "
        "engagement is (halved every quarter of the window)."
    )
    people = serializers.IntegerField(help_text="Distinct people who engaged in the window.")
    followers_gained = serializers.IntegerField()
    saves = serializers.IntegerField()
    applications = serializers.IntegerField()
    views = serializers.IntegerField()
    reason = serializers.CharField()
    item = TrendingSubjectField()


class TrendingSerializer(serializers.Serializer):  # type: ignore[type-arg]
    window = serializers.ChoiceField(choices=list(trending.WINDOWS))
    type = serializers.ChoiceField(choices=list(trending.KINDS))
    computed_at = serializers.DateTimeField(help_text="Rankings are cached for a minute.")
    results = TrendingItemSerializer(many=True)


@extend_schema(
    tags=["analytics"],
    summary="What is trending",
    parameters=[
        OpenApiParameter("window", OpenApiTypes.STR, enum=list(trending.WINDOWS), default="24h"),
        OpenApiParameter(
            "type", OpenApiTypes.STR, enum=list(trending.KINDS), default=trending.STARTUPS
        ),
        OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 50 (20)."),
    ],
    responses={
        200: TrendingSerializer,
        400: OpenApiResponse(ErrorSerializer, description="An unknown window or type."),
    },
)
class TrendingApi(APIView):
    """Startups, open opportunities or people ranked by the distinct people who engaged with
    them in the window -- startups: followed, saved, applied to one of their roles;
    opportunities: saved, applied to; people: followed -- recent engagement weighing more.
    Each with its counts in the window (`views`: detail views by others; not ranked on) and
    why. Anyone may read it; only public items, and no one's identity."""

    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    def get(self, request: Request) -> Response:
        query = validate_input(TrendingQuerySerializer, request.query_params)
        ranking, ranked = selectors.trending_list(
            window=query["window"], type=query["type"], viewer=request.user, limit=query["limit"]
        )
        shown = ITEM_SERIALIZERS[query["type"]]
        context = {"request": request}
        results: list[dict[str, Any]] = [
            {**row, "rank": rank, "item": shown(item, context=context).data}
            for rank, (row, item) in enumerate(ranked, start=1)
        ]
        return Response(
            TrendingSerializer(
                {
                    "window": ranking["window"],
                    "type": ranking["type"],
                    "computed_at": ranking["computed_at"],
                    "results": results,
                }
            ).data
        )
