from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response

from collabhub.api.utils import request_user, validate_input
from recommendations import services
from recommendations.models import Interaction, InteractionKind
from recommendations.serializers import InteractionInputSerializer, InteractionSerializer


@extend_schema(tags=["recommendations"])
class InteractionListApi(generics.ListCreateAPIView):  # type: ignore[type-arg]
    """My history of views, likes, saves, shares, applications, follows and dismissals (saves,
    follows and applications made through their own endpoints are here too)."""

    serializer_class = InteractionSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Interaction.objects.none()

    @extend_schema(
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, enum=list(InteractionKind.values))]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Interaction]:
        interactions = Interaction.objects.filter(user=request_user(self.request))
        kind = self.request.query_params.get("kind")
        if kind in InteractionKind.values:
            interactions = interactions.filter(kind=kind)
        return interactions.order_by("-created_at", "-id")

    @extend_schema(request=InteractionInputSerializer, responses={201: InteractionSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validate_input(InteractionInputSerializer, request.data)
        interaction = services.interaction_record(user=request_user(request), **data)
        return Response(InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED)
