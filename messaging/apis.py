"""Connections between people and direct messages between connected people."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from accounts.selectors import user_list
from core.api.pagination import CursorPagination
from core.api.schema import conflict_response
from core.api.validation import validate_input
from messaging import selectors, services
from messaging.models import Connection, ConnectionStatus, Message
from messaging.serializers import (
    ConnectionRequestSerializer,
    ConnectionSerializer,
    ConversationSerializer,
    MessageInputSerializer,
    MessageSerializer,
)

CONFLICT = conflict_response()


class MessageCursorPagination(CursorPagination):
    """Newest page first; ``next`` goes back in time. Within a page, oldest first (newest
    last), as a chat shows them."""

    ordering = ("-id",)
    page_size = 30
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(list(reversed(data)))
        return response


@extend_schema(
    tags=["connections"],
    parameters=[
        OpenApiParameter("status", OpenApiTypes.STR, enum=[s.value for s in ConnectionStatus]),
        OpenApiParameter("direction", OpenApiTypes.STR, enum=["incoming", "outgoing"]),
    ],
)
class ConnectionListApi(generics.ListCreateAPIView):  # type: ignore[type-arg]
    """My connections and requests; `POST {user_id}` asks someone to connect."""

    throttle_scope = "connections"  # requests sent: the rate limit (core/api/ratelimit.py)

    serializer_class = ConnectionSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Connection.objects.none()

    def get_queryset(self) -> QuerySet[Connection]:
        return selectors.connection_list(
            user=request_user(self.request),
            status=self.request.query_params.get("status"),
            direction=self.request.query_params.get("direction"),
        )

    @extend_schema(
        request=ConnectionRequestSerializer,
        responses={201: ConnectionSerializer, 200: ConnectionSerializer, **CONFLICT},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validate_input(ConnectionRequestSerializer, request.data)
        addressee = get_object_or_404(user_list(), pk=data["user_id"])
        connection, created = services.connection_request(
            requester=request_user(request), addressee=addressee
        )
        return Response(
            ConnectionSerializer(connection).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def _my_connection(request: Request, pk: int) -> Connection:
    return get_object_or_404(selectors.connection_list(user=request_user(request)), pk=pk)


@extend_schema(
    tags=["connections"], request=None, responses={200: ConnectionSerializer, **CONFLICT}
)
class ConnectionAcceptApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request: Request, pk: int) -> Response:
        connection = services.connection_accept(
            connection=_my_connection(request, pk), by=request_user(request)
        )
        return Response(ConnectionSerializer(connection).data)


@extend_schema(
    tags=["connections"], request=None, responses={200: ConnectionSerializer, **CONFLICT}
)
class ConnectionDeclineApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request: Request, pk: int) -> Response:
        connection = services.connection_decline(
            connection=_my_connection(request, pk), by=request_user(request)
        )
        return Response(ConnectionSerializer(connection).data)


@extend_schema(tags=["connections"], responses={204: None})
class ConnectionDetailApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=ConnectionSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ConnectionSerializer(_my_connection(request, pk)).data)

    def delete(self, request: Request, pk: int) -> Response:
        services.connection_remove(connection=_my_connection(request, pk), by=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["messages"], responses=ConversationSerializer(many=True))
class ConversationListApi(APIView):
    """Everyone I have exchanged messages with: the last message and my unread count."""

    permission_classes = [permissions.IsAuthenticated]

    def get(self, request: Request) -> Response:
        rows = selectors.conversation_list(user=request_user(request))
        return Response({"results": ConversationSerializer(rows, many=True).data})


class MessageListApi(generics.ListCreateAPIView):  # type: ignore[type-arg]
    throttle_scope = "messages"  # messages sent: the rate limit (core/api/ratelimit.py)
    serializer_class = MessageSerializer
    pagination_class = MessageCursorPagination
    permission_classes = [permissions.IsAuthenticated]
    queryset = Message.objects.none()

    def _other(self) -> Any:
        return get_object_or_404(user_list(), pk=self.kwargs["user_id"])

    @extend_schema(tags=["messages"], summary="My conversation with a person")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Message]:
        return selectors.conversation_message_list(
            user=request_user(self.request), other=self._other()
        )

    @extend_schema(
        tags=["messages"],
        summary="Send a message (to a connected person only)",
        request=MessageInputSerializer,
        responses={201: MessageSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validate_input(MessageInputSerializer, request.data)
        message = services.message_send(
            sender=request_user(request), recipient=self._other(), body=data["body"]
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["messages"], request=None, responses={200: dict})
class ConversationReadApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request: Request, user_id: int) -> Response:
        other = get_object_or_404(user_list(), pk=user_id)
        marked = services.conversation_read(user=request_user(request), other=other)
        return Response({"marked_read": marked})
