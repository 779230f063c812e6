"""Staff only: the endpoints events are delivered to, and their deliveries."""

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from core.api.pagination import PageNumberPagination
from core.api.schema import conflict_response
from core.api.validation import validate_input
from webhooks import selectors, services
from webhooks.exceptions import DeliveryNotFound, EndpointNotFound
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
)


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    if endpoint is None:
        raise EndpointNotFound()
    return endpoint


@extend_schema(tags=["webhooks"])
class WebhookListApi(generics.ListAPIView):  # type: ignore[type-arg]
    """Endpoints, newest first (the secret is never listed)."""

    permission_classes = [permissions.IsAdminUser]
    serializer_class = WebhookEndpointSerializer
    pagination_class = PageNumberPagination
    queryset = WebhookEndpoint.objects.none()  # the schema's model

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return selectors.endpoint_list()

    @extend_schema(summary="Webhook endpoints")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Register an endpoint (its secret is in this response only)",
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
    )
    def post(self, request: Request) -> Response:
        data = validate_input(WebhookEndpointInputSerializer, request.data)
        endpoint = services.endpoint_create(by=request_user(request), data=data)
        return Response(
            WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )


@extend_schema(tags=["webhooks"])
class WebhookDetailApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(summary="A webhook endpoint", responses=WebhookEndpointSerializer)
    def get(self, request: Request, endpoint_id: int) -> Response:
        return Response(WebhookEndpointSerializer(_endpoint(endpoint_id)).data)

    @extend_schema(
        summary="Change an endpoint (is_active: true enables it again and clears its failures)",
        request=WebhookEndpointInputSerializer,
        responses={
            200: WebhookEndpointSerializer,
            **conflict_response("The built-in endpoint: only is_active can change."),
        },
    )
    def patch(self, request: Request, endpoint_id: int) -> Response:
        endpoint = _endpoint(endpoint_id)
        data = validate_input(WebhookEndpointInputSerializer, request.data, partial=True)
        endpoint = services.endpoint_update(endpoint=endpoint, data=data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        summary="Delete an endpoint and its deliveries",
        responses={204: None, **conflict_response("The built-in endpoint (its setting's).")},
    )
    def delete(self, request: Request, endpoint_id: int) -> Response:
        services.endpoint_delete(endpoint=_endpoint(endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    tags=["webhooks"],
    summary="An endpoint's delivery attempts, newest first",
    parameters=[
        OpenApiParameter(
            "status", OpenApiTypes.STR, enum=DeliveryStatus.values, description="Only these."
        )
    ],
)
class WebhookDeliveryListApi(generics.ListAPIView):  # type: ignore[type-arg]
    """Every attempt: its status, response code, duration and error; a retry or a
    redelivery names the attempt it follows (``previous``)."""

    permission_classes = [permissions.IsAdminUser]
    serializer_class = WebhookDeliverySerializer
    pagination_class = PageNumberPagination
    queryset = WebhookDelivery.objects.none()  # the schema's model

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        wanted = self.request.query_params.get("status", "")
        if wanted and wanted not in DeliveryStatus.values:
            wanted = "none"  # an unknown status matches nothing
        endpoint = _endpoint(self.kwargs["endpoint_id"])
        return selectors.delivery_list(endpoint=endpoint, status=wanted)


@extend_schema(
    tags=["webhooks"],
    summary="Send a delivery's event again (a new delivery, with its own retries)",
    request=None,
    responses={
        202: WebhookDeliverySerializer,
        **conflict_response("The endpoint is disabled."),
    },
)
class WebhookRedeliverApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    def post(self, request: Request, endpoint_id: int, delivery_id: UUID) -> Response:
        endpoint = _endpoint(endpoint_id)
        delivery = selectors.delivery_list(endpoint=endpoint).filter(delivery_id=delivery_id)
        found = delivery.first()
        if found is None:
            raise DeliveryNotFound()
        again = services.delivery_redeliver(delivery=found)
        return Response(WebhookDeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
