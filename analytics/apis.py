"""Staff only: the live figures of the platform."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from core.api.validation import validate_input


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
