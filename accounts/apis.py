from collections.abc import Sequence
from typing import Any

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.db.models import QuerySet
from django.middleware.csrf import get_token
from drf_spectacular.contrib.rest_framework_simplejwt import TokenObtainPairSerializerExtension
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.authentication import SessionAuthentication
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
    SessionInputSerializer,
    SessionStateSerializer,
    TokenPairSerializer,
    UserSerializer,
    user_output,
)
from accounts.tokens import SessionRefreshToken
from core.api.rows import RowsViewMixin
from core.api.schema import conflict_response
from core.api.validation import validate_input
from core.signals import object_viewed
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
class SessionApi(AuthThrottleMixin, APIView):
    """A browser's sign-in (the web app): a session cookie instead of tokens, with the same
    lockout and rate limit as ``auth/login/``. The CSRF token is checked before sign-in too (a
    foreign page must not sign a visitor into another account); the socket and every API call
    then accept the cookie. ``DELETE`` signs this browser out."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = [SessionAuthentication]
    throttle_scope = {"POST": "auth"}  # type: ignore[assignment]  # signing out is not limited

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method not in permissions.SAFE_METHODS:
            SessionAuthentication().enforce_csrf(request)  # signed in or not

    def get_authenticate_header(self, request: Request) -> str:
        return 'Session realm="web"'  # wrong credentials are a 401

    @extend_schema(
        responses=SessionStateSerializer, summary="Who this browser is signed in as; a CSRF token"
    )
    def get(self, request: Request) -> Response:
        return self._state(request, request.user if request.user.is_authenticated else None)

    @staticmethod
    def _state(request: Request, user: Any) -> Response:
        return Response(
            {
                "user": UserSerializer(user, context={"viewer": user}).data if user else None,
                "csrf_token": get_token(request._request),  # and the cookie it goes with
            }
        )

    @extend_schema(
        request=SessionInputSerializer,
        responses=SessionStateSerializer,
        summary="Sign in (a session)",
    )
    def post(self, request: Request) -> Response:
        data = validate_input(SessionInputSerializer, request.data)
        # The DRF request, as simplejwt passes it: django-axes marks a lockout on it, and the
        # view answers (JSON), not axes' middleware (the admin's HTML page).
        user = authenticate(request, email=data["email"], password=data["password"])
        if user is None:
            if getattr(request, "axes_locked_out", False):
                raise lockout.sign_in_locked(request, data)
            raise AuthenticationFailed(
                "No active account found with the given credentials", code="no_active_account"
            )
        login(request._request, user)  # user_logged_in forgives the account's failures
        return self._state(request, user)  # with the new CSRF token: signing in rotates it

    @extend_schema(request=None, responses={204: None}, summary="Sign out (this session)")
    def delete(self, request: Request) -> Response:
        user_id, session_key = request.user.pk, request.session.session_key
        logout(request._request)
        if user_id is not None:  # its sockets (every tab of this browser) close
            services.browser_session_end(user_id=user_id, session_key=session_key)
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
        if isinstance(request.successful_authenticator, SessionAuthentication):
            # This browser stays signed in; every other session of the person ends.
            update_session_auth_hash(request._request, user)
        return Response(services.user_tokens_issue(user=user))


@extend_schema(tags=["users"])
class UserViewSet(RowsViewMixin, SearchListMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = UserSerializer
    search_index = PEOPLE
    queryset = User.objects.none()
    filterset_class = UserFilter
    ordering_fields = ["date_joined", "name"]

    def get_queryset(self) -> QuerySet[User]:
        return selectors.user_list()

    def row_ids(self) -> QuerySet[User]:
        return selectors.user_id_list()

    def rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        return selectors.user_rows(ids=ids)

    def row_output(self, row: dict[str, Any]) -> dict[str, Any]:
        viewer = self.request.user
        return user_output(row, viewer_id=viewer.pk if viewer.is_authenticated else None)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = self.row_get()
        person = User(pk=row["id"])  # its key, for the checks
        self.check_object_permissions(request, person)
        object_viewed.send(sender=User, instance=person, viewer=request.user)
        return Response(self.row_output(row))
