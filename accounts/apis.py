from typing import Any

from django.db.models import QuerySet
from drf_spectacular.contrib.rest_framework_simplejwt import TokenObtainPairSerializerExtension
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts import lockout, selectors, services
from accounts.authentication import request_user
from accounts.filters import UserFilter
from accounts.models import User
from accounts.search import PEOPLE
from accounts.serializers import (
    PasswordChangeInputSerializer,
    ProfileUpdateInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    RegisterOutputSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from accounts.tokens import SessionRefreshToken
from core.api.schema import conflict_response
from core.api.validation import validate_input
from search.apis import SearchListMixin


class AuthThrottleMixin:
    """Sign-up and sign-in are limited harder than the rest: the ``auth`` rate limit
    (core/api/ratelimit.py, ``RATE_LIMIT_AUTH``)."""

    throttle_scope = "auth"


@extend_schema(tags=["auth"])
class RegisterApi(AuthThrottleMixin, APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        request=RegisterInputSerializer,
        responses={201: RegisterOutputSerializer, **conflict_response("The email is taken.")},
        summary="Create an account",
    )
    def post(self, request: Request) -> Response:
        user = services.user_create(**validate_input(RegisterInputSerializer, request.data))
        body = {
            "user": UserSerializer(user, context={"viewer": user}).data,
            "tokens": services.user_tokens_issue(user=user),
        }
        return Response(body, status=status.HTTP_201_CREATED)


class LoginSerializer(jwt_serializers.TokenObtainPairSerializer):
    """simplejwt's sign-in, where each sign-in starts a session of its own (``sid``), and
    too many failures lock the account or the address for a while (accounts/lockout.py)."""

    token_class = SessionRefreshToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request = self.context["request"]
        try:
            data = super().validate(attrs)
        except AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                raise lockout.sign_in_locked(request, attrs) from None
            raise
        lockout.sign_in_succeeded(attrs[self.username_field])
        return data


class LoginSerializerSchema(TokenObtainPairSerializerExtension):
    """OpenAPI: sign-in keeps simplejwt's shape and name (``TokenObtainPair``)."""

    target_class = "accounts.apis.LoginSerializer"

    def get_name(self, auto_schema: Any, direction: Any) -> str:
        return "TokenObtainPair"


@extend_schema(tags=["auth"], summary="Sign in with email and password")
class LoginApi(AuthThrottleMixin, jwt_views.TokenObtainPairView):
    serializer_class = LoginSerializer  # type: ignore[assignment]


class RefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """simplejwt's refresh, where a deleted account is a 401 rather than a 500, and a
    signed-out session cannot be refreshed."""

    token_class = SessionRefreshToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            return super().validate(attrs)
        except User.DoesNotExist as exc:
            raise AuthenticationFailed(
                "No active account found for this token.", code="no_active_account"
            ) from exc


@extend_schema(tags=["auth"], summary="Exchange a refresh token for a new pair (rotation)")
class RefreshApi(AuthThrottleMixin, jwt_views.TokenRefreshView):
    serializer_class = RefreshSerializer  # type: ignore[assignment]


@extend_schema(tags=["auth"])
class LogoutApi(APIView):
    """The refresh token is the credential here, so a stale access token cannot block sign-out.
    Signs out that refresh token's session: its access tokens stop working at once too, and
    the person's other sessions (other sign-ins, other devices) go on."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list[type] = []

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'  # an invalid refresh token is a 401, not a 403

    @extend_schema(request=RefreshInputSerializer, responses={204: None}, summary="Sign out")
    def post(self, request: Request) -> Response:
        refresh = validate_input(RefreshInputSerializer, request.data)["refresh"]
        try:
            token = SessionRefreshToken(refresh)
        except TokenError as exc:
            raise InvalidToken(str(exc)) from exc
        services.session_revoke(refresh=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["auth"])
class MeApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=UserSerializer, summary="My profile")
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user, context={"request": request}).data)

    @extend_schema(
        request=ProfileUpdateInputSerializer, responses=UserSerializer, summary="Edit my profile"
    )
    def patch(self, request: Request) -> Response:
        data = validate_input(ProfileUpdateInputSerializer, request.data, partial=True)
        user = services.user_update(user=request_user(request), data=data)
        user = selectors.user_list().get(pk=user.pk)
        return Response(UserSerializer(user, context={"request": request}).data)


@extend_schema(tags=["auth"])
class PasswordChangeApi(AuthThrottleMixin, APIView):
    """Throttled like sign-in: a stolen access token must not brute-force the password."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=PasswordChangeInputSerializer,
        responses=TokenPairSerializer,
        summary="Change my password (signs out every other session)",
    )
    def post(self, request: Request) -> Response:
        data = validate_input(PasswordChangeInputSerializer, request.data)
        user = services.user_password_change(user=request_user(request), **data)
        return Response(services.user_tokens_issue(user=user))


@extend_schema(tags=["users"])
class UserViewSet(SearchListMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = UserSerializer
    search_index = PEOPLE
    queryset = User.objects.none()
    filterset_class = UserFilter
    ordering_fields = ["date_joined", "name"]

    def get_queryset(self) -> QuerySet[User]:
        return selectors.user_list()
