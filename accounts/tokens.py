"""Refresh tokens that name their session, so signing out refuses every token of it at once.

A session starts at sign-in (or sign-up, or a password change): its refresh token gets a
random ``sid`` claim. simplejwt copies every claim but ``token_type``, ``exp``, ``jti`` and
``iat`` into the access tokens it derives, and rotation renews only those, so every token of
one sign-in carries the same ``sid`` and no token of another sign-in does.
``accounts.services.session_revoke`` records a signed-out ``sid``; this token class (refresh)
and ``accounts.authentication`` (access) refuse it.
"""

from typing import Any
from uuid import uuid4

from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import selectors

SID_CLAIM = "sid"
SESSION_REVOKED_MESSAGE = "This session has been signed out."


class SessionRefreshToken(RefreshToken):
    def __init__(self, token: Any = None, verify: bool = True) -> None:
        super().__init__(token, verify)
        if SID_CLAIM not in self.payload:
            # A new token starts a session. One minted before sessions had ids (still valid
            # after the upgrade) joins a new one when it is rotated, so its access tokens from
            # then on can be signed out too.
            self.payload[SID_CLAIM] = uuid4().hex

    def verify(self) -> None:
        """Refuse a refresh token of a signed-out session, not only the blacklisted one: a
        rotation racing another (a client retrying) forks the session into two refresh tokens,
        and signing out with one must not leave the other able to mint access tokens."""
        super().verify()
        sid = self.payload.get(SID_CLAIM)
        if sid is not None and selectors.session_is_revoked(sid=str(sid)):
            raise TokenError(SESSION_REVOKED_MESSAGE)
