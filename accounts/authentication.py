from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts import selectors
from accounts.models import User
from accounts.tokens import SESSION_REVOKED_MESSAGE, SID_CLAIM
from core.api.access import validated_access


class SessionJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer authentication, refusing the access tokens of a signed-out session.

    Whether the session was signed out is read with the user, in the same query (an indexed
    ``EXISTS``), and no cache in front: "not revoked" is exactly the answer a sign-out must
    overturn at once in every process, and a cache that is down or stale must never let a
    revoked token in. Tokens without a ``sid`` (issued before sessions had ids) are accepted
    until they expire. The token is decoded once per request: the rate limit, which runs
    first, keeps what it validated (``core.api.ratelimit.validated_access``).
    """

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        header = self.get_header(request)  # type: ignore[arg-type]
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        token = validated_access(request._request, raw_token) or self.get_validated_token(raw_token)
        return self.get_user(token), token

    def get_user(self, validated_token: Token) -> Any:
        """simplejwt's checks and messages, on a user read with their session's state."""
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as e:
            raise InvalidToken("Token contained no recognizable user identification") from e
        sid = validated_token.get(SID_CLAIM)
        user = selectors.user_for_access(user_id=user_id, sid=None if sid is None else str(sid))
        if user is None:
            if sid is not None and selectors.session_is_revoked(sid=str(sid)):
                raise AuthenticationFailed(SESSION_REVOKED_MESSAGE, code="session_revoked")
            raise AuthenticationFailed("User not found", code="user_not_found")
        if getattr(user, "session_revoked", False):
            raise AuthenticationFailed(SESSION_REVOKED_MESSAGE, code="session_revoked")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(
                "The user's password has been changed.", code="password_changed"
            )
        return user


class SessionJWTScheme(SimpleJWTScheme):
    """OpenAPI: the same bearer scheme (``jwtAuth``) as simplejwt's own class."""

    target_class = "accounts.authentication.SessionJWTAuthentication"


def request_user(request: Request) -> User:
    """The signed-in user of a view that requires one (typed for the services)."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    return user
