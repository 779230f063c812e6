"""An access token decoded once per request: the rate limit, which runs before the view,
validates the bearer token to know whom to count, and keeps it here for the authentication
(``accounts.authentication``) to use instead of decoding and verifying it a second time."""

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from rest_framework_simplejwt.tokens import Token

_VALIDATED = "_validated_access"


def access_remember(request: HttpRequest, raw: bytes, token: "Token") -> None:
    setattr(request, _VALIDATED, (raw, token))


def validated_access(request: HttpRequest, raw: bytes) -> "Token | None":
    """The access token validated earlier in this request, if ``raw`` is that token."""
    known: tuple[bytes, Token] | None = getattr(request, _VALIDATED, None)
    return known[1] if known is not None and known[0] == raw else None
