"""The ticket a client without the session cookie opens its socket with."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import Token

from accounts.authentication import request_user
from accounts.tokens import SID_CLAIM
from realtime import services


@extend_schema(
    tags=["realtime"],
    summary="A single-use ticket to open the WebSocket",
    request=None,
    responses={
        201: inline_serializer(
            "RealtimeTicket",
            {
                "ticket": serializers.CharField(),
                "expires_in": serializers.IntegerField(help_text="Seconds."),
                "url": serializers.CharField(help_text="Path to connect to, ticket included."),
            },
        )
    },
)
class RealtimeTicketApi(APIView):
    """For clients without the session cookie: connect to `url` (`/ws/?ticket=...`) within
    `expires_in` seconds; the ticket works once."""

    permission_classes = [permissions.IsAuthenticated]

    def post(self, request: Request) -> Response:
        token = request.auth  # a JWT names its sign-in session; a cookie session has none
        session = token.get(SID_CLAIM) if isinstance(token, Token) else None
        ticket = services.ticket_issue(user_id=request_user(request).pk, session=session)
        return Response(
            {
                "ticket": ticket,
                "expires_in": settings.REALTIME_TICKET_TTL,
                "url": f"/ws/?ticket={ticket}",
            },
            status=status.HTTP_201_CREATED,
        )
