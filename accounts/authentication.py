from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import Token

from accounts import selectors
from accounts.models import User
from accounts.tokens import SESSION_REVOKED_MESSAGE, SID_CLAIM


class SessionJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer authentication, refusing the access tokens of a signed-out session.

    One unique-index lookup per request, next to the user lookup simplejwt makes anyway, and
    no cache in front: "not revoked" is exactly the answer a sign-out must overturn at once in
    every process, and a cache that is down or stale must never let a revoked token in. Tokens
    without a ``sid`` (issued before sessions had ids) are accepted until they expire.
    """

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        sid = token.get(SID_CLAIM)
        if sid is not None and selectors.session_is_revoked(sid=str(sid)):
            raise AuthenticationFailed(SESSION_REVOKED_MESSAGE, code="session_revoked")
        return token


class SessionJWTScheme(SimpleJWTScheme):
    """OpenAPI: the same bearer scheme (``jwtAuth``) as simplejwt's own class."""

    target_class = "accounts.authentication.SessionJWTAuthentication"


def request_user(request: Request) -> User:
    """The signed-in user of a view that requires one (typed for the services)."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    return user
