import ipaddress
import logging
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import BaseThrottle

from observability.context import request_id_from_header, request_id_var
from observability.metrics import IN_PROGRESS, LATENCY, REQUESTS
from observability.signals import request_measured

REQUEST_ID_HEADER = "X-Request-ID"

access_logger = logging.getLogger("collabhub.access")


_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def route_template(route: str) -> str:
    """``api/v1/^startups/(?P<pk>[^/.]+)/$`` → ``api/v1/startups/{pk}/``: low-cardinality."""
    return _NAMED_GROUP.sub(r"{\1}", route).replace("^", "").replace("$", "")


def client_address(request: HttpRequest) -> str:
    """The client's address exactly as the rate limits and sign-in lockouts see it: DRF's
    rule, where X-Forwarded-For is trusted only for ``NUM_PROXIES`` hops. Always an IP address
    or "": a forwarded entry with a port (``203.0.113.7:4711``, ``[2001:db8::1]:443``) loses
    the port, anything else falls back to the socket's address."""
    forwarded = BaseThrottle().get_ident(request) or ""  # type: ignore[arg-type]  # META only
    for candidate in (
        forwarded,
        forwarded.rsplit(":", 1)[0].strip("[]"),
        request.META.get("REMOTE_ADDR", ""),
    ):
        try:
            return str(ipaddress.ip_address(candidate.strip()))
        except ValueError:
            continue
    return ""


class RequestIDMiddleware:
    """Gives every request an ID (context variable, request, response header) and writes one
    JSON access line per request, a warning when slower than ``SLOW_REQUEST_MS``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = request_id_from_header(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        IN_PROGRESS.inc()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            self._record(request, response, time.perf_counter() - started)
        finally:
            IN_PROGRESS.dec()
            request_id_var.reset(token)
        return response

    def _record(self, request: HttpRequest, response: HttpResponse, seconds: float) -> None:
        """The access log line and the request metrics."""
        match = request.resolver_match
        route = route_template(match.route) if match is not None else None
        # Unmatched paths share one label: raw paths would make unbounded series.
        REQUESTS.labels(request.method, route or "<unmatched>", response.status_code).inc()
        LATENCY.labels(route or "<unmatched>").observe(seconds)
        duration_ms = seconds * 1000
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        request_measured.send(
            sender=None,
            route=route,
            method=request.method,
            status=response.status_code,
            seconds=seconds,
            user_id=user_id,
        )
        slow = duration_ms > settings.SLOW_REQUEST_MS
        access_logger.log(
            logging.WARNING if slow else logging.INFO,
            "slow request" if slow else "request",
            extra={
                "user_id": user_id,
                "method": request.method,
                "path": request.path,
                "route": route,
                "status_code": response.status_code,
                "duration_ms": round(duration_ms, 2),
                "remote_addr": client_address(request),
                "user_agent": request.headers.get("User-Agent", "")[:256],
                "response_bytes": None if response.streaming else len(response.content),
            },
        )
