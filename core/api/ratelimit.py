"""Rate limits (seed 004), for every API request.

Each request counts against the limit for who makes it: ``anon`` (100 a minute per address) or
``user`` (200 a minute per signed-in person). A write to an endpoint where abuse is likely also
counts against that endpoint's scope, which the view names the way DRF does --
``throttle_scope = "auth"`` on the class (``{"POST": "auth"}``: only that method's), or
``@action(throttle_scope="apply")`` -- per person,
or per address when nobody is signed in (``auth``, sign-in and sign-up: always per address).
``RATE_LIMITS`` in the settings maps scopes to rates; ``RATE_LIMIT_ENABLED=0`` switches it all
off (load tests).

Counting is by fixed windows: one Redis round trip per limit (INCR and EXPIREAT in one
transaction: atomic under concurrent requests), in process memory while Redis cannot answer
(observability.cache.FailoverCache), never unlimited. Every API response says where the
tightest limit that applied stands (``X-RateLimit-Limit``, ``-Remaining``, ``-Reset`` as Unix
time); a refused request is a 429 with ``Retry-After`` and the error envelope (``throttled``),
counted in ``collabhub_rate_limited_total`` by scope.

Requests count before the view runs, whatever it answers (401, 404 …): refusing an
unauthenticated caller costs a counter too.
"""

import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from core.api.access import access_remember
from core.api.exceptions import error_body
from observability.cache import FailoverCache
from observability.metrics import RATE_LIMITED
from observability.middleware import client_address, route_template

API_PREFIX = "/api/"
PER_ADDRESS = frozenset({"auth"})  # scopes counted per address even with a valid token
counters = FailoverCache()

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600,
            "hour": 3600, "d": 86400, "day": 86400}  # fmt: skip
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    limit: int
    window: int  # seconds

    def __str__(self) -> str:
        return f"{self.limit}/{self.window}s"


@lru_cache(maxsize=64)
def rate_parse(text: str) -> Rate:
    """``100/min``, ``20/hour``, ``5/10s``, ``1000/day`` → a Rate."""
    match = _RATE.match(text.lower())
    if match is None or match.group(3) not in _PERIODS:
        raise ImproperlyConfigured(
            f"Rate limit {text!r} is not '<count>/<period>' (period: s, min, hour or day, "
            "optionally with a multiplier: 5/10s)."
        )
    count, multiplier, unit = match.groups()
    return Rate(int(count), int(multiplier or 1) * _PERIODS[unit])


def rates() -> dict[str, Rate]:
    """The configured scopes; a malformed rate is a clear error, not a silent default."""
    return {scope: rate_parse(text) for scope, text in settings.RATE_LIMITS.items()}


@dataclass(frozen=True)
class Hit:
    scope: str
    limit: int
    count: int
    reset: int  # Unix time the window ends

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def refused(self) -> bool:
        return self.count > self.limit


def clock() -> float:
    """Now, for the windows (tests hold it still, so a run never straddles two windows)."""
    return time.time()


def hit(scope: str, ident: str, rate: Rate, now: float) -> Hit:
    """Count one request of ``ident`` against ``scope``'s current window."""
    start = int(now // rate.window) * rate.window
    reset = start + rate.window
    count = counters.incr(f"ratelimit:{scope}:{ident}:{start}", reset + 1)
    return Hit(scope, rate.limit, count, reset)


def view_scope(view: Callable[..., Any], method: str) -> str | None:
    """The scope a view (or viewset action) names for writes; reads only count as requests."""
    if method in SAFE_METHODS:
        return None
    initkwargs = getattr(view, "initkwargs", None) or {}
    scope = initkwargs.get("throttle_scope") or getattr(
        getattr(view, "cls", None), "throttle_scope", None
    )
    if isinstance(scope, dict):  # {"POST": "auth"}: only those methods' writes
        scope = scope.get(method)
    return scope if isinstance(scope, str) else None


_jwt = JWTAuthentication()


def requester(request: HttpRequest) -> str | None:
    """The signed-in person's id -- from a valid access token (no database query: its
    signature is enough to count requests against) or the session -- or None."""
    header = _jwt.get_header(request)  # type: ignore[arg-type]  # reads META only
    if header:
        try:
            raw = _jwt.get_raw_token(header)
            if raw is not None:
                token = _jwt.get_validated_token(raw)
                access_remember(request, raw, token)
                return str(token[jwt_settings.USER_ID_CLAIM])
        except (AuthenticationFailed, TokenError, KeyError):
            return None  # a malformed header or token: the view answers 401, counted by address
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return str(user.pk)
    return None


def check(request: HttpRequest, scope: str | None) -> list[Hit]:
    limits = rates()
    person = requester(request)
    address = client_address(request)
    base = ("user", f"u{person}") if person else ("anon", f"a{address}")
    now = clock()
    hits = [hit(base[0], base[1], limits[base[0]], now)]
    if scope is not None:
        if scope not in limits:
            raise ImproperlyConfigured(f"A view names the rate limit scope {scope!r}: not set.")
        # Credentials are guessed per address: a token of one's own must not buy a budget.
        ident = f"a{address}" if scope in PER_ADDRESS else base[1]
        hits.append(hit(scope, ident, limits[scope], now))
    return hits


def throttled(hits: list[Hit]) -> HttpResponse:
    refused = max((h for h in hits if h.refused), key=lambda h: h.reset)
    wait = max(1, math.ceil(refused.reset - clock()))
    RATE_LIMITED.labels(scope=refused.scope).inc()
    body = error_body(
        "throttled",
        f"Request was throttled ({refused.scope}: {refused.limit} per window). "
        f"Expected available in {wait} second{'s' if wait != 1 else ''}.",
    )
    response = JsonResponse(body, status=429)
    response["Retry-After"] = str(wait)
    return response


def headers_set(response: HttpResponse, hits: list[Hit]) -> None:
    tightest = min(hits, key=lambda h: (h.remaining, h.limit))
    response["X-RateLimit-Limit"] = str(tightest.limit)
    response["X-RateLimit-Remaining"] = str(tightest.remaining)
    response["X-RateLimit-Reset"] = str(tightest.reset)


class RateLimitMiddleware:
    """Counts each API request before its view runs (``process_view``: the view names the
    scope), or after the URL resolver found no view (a 404 counts too), and adds the headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        rates()  # a malformed RATE_LIMITS fails the start, not the first request

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.RATE_LIMIT_ENABLED or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        response = self.get_response(request)
        hits: list[Hit] | None = getattr(request, "_rate_limit_hits", None)
        if hits is None:  # no view ran: counted now
            hits = check(request, None)
            if any(h.refused for h in hits):
                response = throttled(hits)
        headers_set(response, hits)
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not settings.RATE_LIMIT_ENABLED or not request.path.startswith(API_PREFIX):
            return None
        hits = check(request, view_scope(view, request.method or "GET"))
        request._rate_limit_hits = hits  # type: ignore[attr-defined]
        return throttled(hits) if any(h.refused for h in hits) else None


# --- What the staff see at GET /api/v1/ratelimits/ ------------------------------------------


_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")  # path("<int:pk>/") -> {pk}


def _routes(patterns: list[Any], prefix: str = "/") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def scoped_endpoints() -> dict[str, list[str]]:
    """Scope -> the writes it limits, e.g. ``POST /api/v1/auth/login/``, read from the URLs."""
    found: dict[str, set[str]] = {}
    for route, view in _routes(get_resolver().url_patterns):
        if not route.startswith(API_PREFIX):
            continue
        cls = getattr(view, "cls", None)
        methods = getattr(view, "actions", None) or [
            method for method in ("post", "put", "patch", "delete") if hasattr(cls, method)
        ]
        for method in methods:
            scope = view_scope(view, method.upper())
            if scope is not None:
                path = _CONVERTER.sub(r"{\1}", route_template(route))
                found.setdefault(scope, set()).add(f"{method.upper()} {path}")
    return {scope: sorted(endpoints) for scope, endpoints in found.items()}


def limits_describe() -> dict[str, Any]:
    endpoints = scoped_endpoints()
    described = []
    for scope, rate in rates().items():
        if scope == "anon":
            applies = ["every API request without a signed-in person, per address"]
        elif scope == "user":
            applies = ["every API request of a signed-in person, per person"]
        else:
            applies = endpoints.get(scope, [])
        described.append(
            {
                "scope": scope,
                "rate": settings.RATE_LIMITS[scope],
                "limit": rate.limit,
                "window_seconds": rate.window,
                "applies_to": applies,
            }
        )
    return {
        "enabled": settings.RATE_LIMIT_ENABLED,
        "counting": "redis" if counters.is_shared() else "per-process",
        "limits": described,
    }


class _LimitSerializer(serializers.Serializer):  # the schema of the staff listing
    scope = serializers.CharField()
    rate = serializers.CharField()
    limit = serializers.IntegerField()
    window_seconds = serializers.IntegerField()
    applies_to = serializers.ListField(child=serializers.CharField())


class _LimitsSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    counting = serializers.ChoiceField(choices=["redis", "per-process"])
    limits = _LimitSerializer(many=True)


@extend_schema(tags=["ops"])
class RateLimitListApi(APIView):
    """The rate limits in force and what each applies to (staff only)."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(responses=_LimitsSerializer, summary="Current rate limits (staff)")
    def get(self, request: Request) -> Response:
        return Response(limits_describe())
