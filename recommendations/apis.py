from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from accounts.selectors import user_get
from core.api.validation import validate_input
from core.exceptions import NotFound, PermissionDenied
from recommendations import rules, selectors, services, signals
from recommendations.models import Interaction, InteractionKind
from recommendations.serializers import (
    InteractionInputSerializer,
    InteractionSerializer,
    RecommendationListSerializer,
    RecommendationQuerySerializer,
    RecommendationRefreshInputSerializer,
    RuleSerializer,
)
from startups import selectors as startup_selectors
from startups.models import OpportunityStatus


@extend_schema(tags=["recommendations"])
class InteractionListApi(generics.ListCreateAPIView):  # type: ignore[type-arg]
    """My history of views, likes, saves, shares, applications, follows and dismissals (saves,
    follows and applications made through their own endpoints are here too)."""

    serializer_class = InteractionSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Interaction.objects.none()
    throttle_scope = "interactions"  # the rate limit (core/api/ratelimit.py)

    @extend_schema(
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, enum=list(InteractionKind.values))]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Interaction]:
        kind = self.request.query_params.get("kind")
        return selectors.interaction_list(user=request_user(self.request), kind=kind)

    @extend_schema(
        request=InteractionInputSerializer,
        responses={201: InteractionSerializer, 200: InteractionSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record a view, like, share or dismiss (201; 200 with the existing one when it was
        recorded already: one like per item, repeated views within 30 minutes count once).
        Saves, follows and applications are recorded by their own endpoints (400)."""
        data = validate_input(InteractionInputSerializer, request.data)
        interaction, created = services.interaction_record_by_client(
            user=request_user(request), **data
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(InteractionSerializer(interaction).data, status=code)


@extend_schema(
    tags=["recommendations"],
    summary="What to look at next",
    parameters=[RecommendationQuerySerializer],
    responses=RecommendationListSerializer,
)
class RecommendationListApi(APIView):
    """Startups (talent, investors), open opportunities (talent) or talent (founders), each
    with the reasons it is recommended. Cached for 30 minutes; what you do refreshes it."""

    permission_classes = [permissions.IsAuthenticated]

    def get(self, request: Request) -> Response:
        query = validate_input(RecommendationQuerySerializer, request.query_params)
        opportunity_id = query.get("opportunity")
        mine = startup_selectors.opportunity_list(viewer=request.user).filter(
            startup__owner=request_user(request), status=OpportunityStatus.OPEN
        )
        if opportunity_id is not None and not mine.filter(pk=opportunity_id).exists():
            raise NotFound("No open opportunity of yours with this id.", code="not_found")
        result = selectors.recommendation_list(
            user=request_user(request),
            type=query.get("type"),
            limit=query["limit"],
            opportunity_id=opportunity_id,
        )
        signals.recommendations_served.send(
            sender=None,
            user=request_user(request),
            type=result["type"],
            algorithm=result["algorithm"],
            count=len(result["recommendations"]),
        )
        return Response(result)


@extend_schema(tags=["recommendations"], summary="The business rules, in order")
class RuleListApi(APIView):
    """Staff: the filters, boosts and reranks every run applies, in the order they run."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(responses=RuleSerializer(many=True))
    def get(self, request: Request) -> Response:
        data = [
            {
                "name": rule.name,
                "kind": rule.kind,
                "priority": rule.priority,
                "description": rule.description,
                "types": sorted(rule.types),
            }
            for rule in rules.rules()
        ]
        return Response(RuleSerializer(data, many=True).data)


@extend_schema(
    tags=["recommendations"],
    summary="Recompute my recommendations",
    request=RecommendationRefreshInputSerializer,
    responses=inline_serializer("RefreshOutput", {"user_id": serializers.IntegerField()}),
)
class RefreshApi(APIView):
    """Drop my cached recommendations (staff: anyone's, with `user_id`)."""

    permission_classes = [permissions.IsAuthenticated]

    def post(self, request: Request) -> Response:
        me = request_user(request)
        data = validate_input(RecommendationRefreshInputSerializer, request.data)
        user_id = data.get("user_id", me.pk)
        if user_id != me.pk:
            if not me.is_staff:
                raise PermissionDenied("Only staff can clear another person's recommendations.")
            if user_get(user_id=user_id) is None:
                raise NotFound(f"No user with id {user_id}.", code="user_not_found")
        services.recommendations_invalidate(user_id=user_id)
        return Response({"user_id": user_id})
