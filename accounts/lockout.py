"""Sign-in protection, with django-axes: failed sign-ins -- API and admin alike, since both go
through ``django.contrib.auth.authenticate`` -- are counted per account and per address; at
``AXES_FAILURE_LIMIT`` (10) in ``AXES_COOLOFF_TIME`` (15 minutes) that account, or that
address, is refused until the cool-off ends (the API: 429 ``too_many_failed_sign_ins`` with
``Retry-After``; the admin: a 429 page). An account locked by failures from one address is
locked everywhere (the point: guessing from many addresses is slowed too); an address locked
is locked for every account (other addresses are not). A successful sign-in clears the
account's failures, not the address's.

The settings (``AXES_*`` in collabhub/settings.py) point here for the username (the email,
however it was typed), the client's address (the rate limits' rule) and the lockout page.
Every failure is logged without the password and counted in
``collabhub_sign_in_failures_total``; every refusal in ``collabhub_sign_in_lockouts_total``.
"""

import hashlib
import hmac
import logging
import math
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from rest_framework.exceptions import Throttled

from accounts.models import User
from observability.metrics import SIGN_IN_FAILURES, SIGN_IN_LOCKOUTS
from observability.middleware import client_address

logger = logging.getLogger("collabhub.auth")
MAX_EMAIL = 254  # RFC 5321; django-axes keeps 255 characters


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check for sign-ins from outside (they carry a request); an in-process call to
    ``authenticate`` without one (the shell, a management command) is not counted."""

    def authenticate(
        self, request: Any, username: Any = None, password: Any = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)  # type: ignore[no-any-return]


class SignInLocked(Throttled):
    default_code = "too_many_failed_sign_ins"
    default_detail = "Too many failed sign-ins for this account or from this address."


def username(request: Any, credentials: dict[str, Any] | None) -> str | None:
    """The account a sign-in names: the API posts ``email``, the admin form ``username``
    (holding the email). Case-folded, so ``Ada@x.io`` and ``ada@x.io`` share one count."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username")
    if value is None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        value = data.get("email") or data.get("username")
    return account_key(value)


def account_key(value: Any) -> str | None:
    """One key per account however the email was typed; None for what cannot be an email
    (empty, not text, longer than an email can be: never an account to lock)."""
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_EMAIL:
        return None
    return value.strip().casefold()


def account_label(name: str | None) -> str | None:
    """What a log line may say about the account a sign-in named: the email of an existing
    account, else a keyed digest -- people type their password into the email field."""
    if name is None or User.objects.filter(email__iexact=name).exists():
        return name
    digest = hmac.new(settings.SECRET_KEY.encode(), name.encode(), hashlib.sha256).hexdigest()
    return f"unknown:{digest[:16]}"


def client_ip(request: Any) -> str:
    return client_address(request)


def surface(request: Any) -> str:
    return "admin" if str(getattr(request, "path", "")).startswith("/admin/") else "api"


def retry_after(request: Any, credentials: dict[str, Any] | None) -> int:
    """Seconds until the lockout ends: the cool-off from the last failure that counted."""
    cool_off = get_cool_off(request) or settings.AXES_COOLOFF_TIME
    name = username(request, credentials)
    matching = Q(ip_address=client_ip(request))
    if name:
        matching |= Q(username=name)
    last = AccessAttempt.objects.filter(matching).aggregate(last=Max("attempt_time"))["last"]
    if last is None:
        return math.ceil(cool_off.total_seconds())
    return max(1, math.ceil((last + cool_off - timezone.now()).total_seconds()))


def locked_out_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """The admin's lockout page (the API raises ``SignInLocked`` in its view instead)."""
    wait = retry_after(request, credentials)
    response = render(
        request,
        "accounts/sign_in_locked.html",
        {"minutes": math.ceil(wait / 60), "limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def sign_in_locked(request: Any, credentials: dict[str, Any]) -> SignInLocked:
    return SignInLocked(wait=retry_after(request, credentials))


def sign_in_succeeded(email: str) -> None:
    """The account's failures are forgiven (from every address); failures from the address
    against other accounts stay until they expire."""
    name = account_key(email)
    if name is not None:
        reset(username=name)


def failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    """``user_login_failed``: Django has already masked the password in ``credentials``."""
    where = surface(request)
    SIGN_IN_FAILURES.labels(surface=where).inc()
    logger.info(
        "sign-in failed",
        extra={
            "surface": where,
            "account": account_label(username(request, credentials)),
            "client": client_ip(request) if request is not None else None,
        },
    )


def locked_out(
    sender: Any, request: Any, username: str | None, ip_address: str, **kwargs: Any
) -> None:
    """django-axes' ``user_locked_out``: a sign-in refused (or the failure that locked)."""
    where = surface(request)
    SIGN_IN_LOCKOUTS.labels(surface=where).inc()
    logger.warning(
        "sign-in locked out",
        extra={"surface": where, "account": account_label(username), "client": ip_address},
    )


def admin_signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` (the admin's session sign-in; API sign-ins call it themselves)."""
    sign_in_succeeded(user.get_username())
