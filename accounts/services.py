from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.exceptions import EmailTaken, WrongPassword
from accounts.models import USER_PROFILE_FIELDS, RevokedSession, Role, Skill, User, skill_normalise
from accounts.signals import profile_updated, sessions_ended
from accounts.tokens import SID_CLAIM, SessionRefreshToken
from core.services import model_touch, model_update

PROFILE_FIELDS = tuple(f for f in USER_PROFILE_FIELDS if f not in {"role", "skills"})


def skills_replace(*, instance: Any, names: Iterable[str]) -> bool:
    """Make ``instance.skills`` (a person, startup or opportunity) exactly these names;
    whether that changed anything."""
    skills = skills_resolve(names=names)
    if {skill.pk for skill in skills} == set(instance.skills.values_list("pk", flat=True)):
        return False
    instance.skills.set(skills)
    return True


def skills_resolve(*, names: Iterable[str]) -> list[Skill]:
    """The Skill rows for these names, normalised and de-duplicated, created when new."""
    normalised = sorted({skill_normalise(name) for name in names} - {""})
    if not normalised:
        return []
    Skill.objects.bulk_create([Skill(name=name) for name in normalised], ignore_conflicts=True)
    return list(Skill.objects.filter(name__in=normalised))


def _validate_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


@transaction.atomic
def user_create(
    *, email: str, password: str, name: str, role: str = Role.TALENT, **profile: Any
) -> User:
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(fields={"email": [EmailTaken.message]})
    user = User(email=email, name=name, role=role)
    _validate_password(password, user)
    user.set_password(password)
    skills = profile.pop("skills", None)
    for field, value in profile.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise EmailTaken(fields={"email": [EmailTaken.message]}) from exc
    if skills is not None:
        user.skills.set(skills_resolve(names=skills))
    return user


@transaction.atomic
def user_update(*, user: User, data: dict[str, Any]) -> User:
    """Update one's own profile. ``skills`` is a list of names; the role cannot change here.
    Only what changes is saved, and ``profile_updated`` names exactly that (an edit that
    changes nothing sends nothing: no feed event, no recommendations recomputed)."""
    # Re-read under a lock: two edits apply one after the other, each compared with the last.
    user = User.objects.select_for_update().get(pk=user.pk)
    changed = model_update(
        instance=user, fields=PROFILE_FIELDS, data=data, clean_exclude=["password"]
    )
    if "skills" in data and skills_replace(instance=user, names=data["skills"]):
        if not changed:
            model_touch(instance=user)
        changed.append("skills")
    if changed:
        profile_updated.send(sender=User, user=user, fields=sorted(changed))
    return user


def user_tokens_issue(*, user: User) -> dict[str, str]:
    """A new session: a refresh token with its own ``sid`` and an access token carrying it."""
    refresh = SessionRefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def session_revoke(*, refresh: SessionRefreshToken) -> RevokedSession:
    """Sign out the session of this (verified) refresh token: blacklist it and, once this
    commits, refuse every token carrying its ``sid`` -- the access tokens already handed out
    included; other sessions of the same person are untouched. Idempotent: a repeat or a
    concurrent sign-out of the session keeps its one row. Purges rows no token needs any more.

    The row lives as long as a token of the session can: the revocation refuses every later
    refresh, so each remaining token was minted by now, and none outlives now plus the
    refresh-token lifetime (a refresh token forked by a racing rotation may live that long).
    One access-token lifetime on top is margin for a rotation racing this very sign-out and
    for servers whose clocks disagree.
    """
    now = timezone.now()
    lifetime = jwt_settings.REFRESH_TOKEN_LIFETIME + jwt_settings.ACCESS_TOKEN_LIFETIME
    refresh.blacklist()
    revoked, _ = RevokedSession.objects.get_or_create(
        sid=refresh[SID_CLAIM], defaults={"expires_at": now + lifetime, "revoked_at": now}
    )
    RevokedSession.objects.filter(expires_at__lte=now).delete()
    user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
    if user_id is not None:
        sessions_ended.send(sender=User, user_id=user_id, sid=str(refresh[SID_CLAIM]))
    return revoked


BROWSER_SESSION_PREFIX = "browser:"  # apart from the JWT sessions' ids


def browser_session_sid(*, session_key: str) -> str:
    """The name a browser's (cookie) session goes by where sign-in sessions are named: a
    socket opened with the cookie, ``sessions_ended``."""
    return f"{BROWSER_SESSION_PREFIX}{session_key}"


def browser_session_end(*, user_id: int, session_key: str | None) -> None:
    """A browser signed out: the sockets it opened with its cookie close (other tabs too)."""
    if session_key:
        sid = browser_session_sid(session_key=session_key)
        sessions_ended.send(sender=User, user_id=user_id, sid=sid)


def user_refresh_tokens_revoke(*, user: User) -> int:
    """Blacklist every outstanding refresh token of the user; returns how many were revoked."""
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    revoked = [BlacklistedToken(token=token) for token in outstanding]
    BlacklistedToken.objects.bulk_create(revoked, ignore_conflicts=True)
    return len(revoked)


def tokens_expired_prune() -> int:
    """Forget the refresh tokens that have expired, and their blacklist entries (an expired
    token is refused anyway): simplejwt's ``flushexpiredtokens``, counted. Every sign-in and
    refresh writes a token row, so without it the table only grows (beat runs it daily).
    Sign-outs purge themselves (``session_revoke``)."""
    _, deleted = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted.get(OutstandingToken._meta.label, 0)


@transaction.atomic
def user_password_change(*, user: User, old_password: str, new_password: str) -> User:
    """Change the password and sign the user out everywhere.

    Refresh tokens are blacklisted; access tokens carry a password hash claim
    (``CHECK_REVOKE_TOKEN``) so they stop working at once too.
    """
    if not user.check_password(old_password):
        raise WrongPassword(fields={"old_password": [WrongPassword.message]})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    user_refresh_tokens_revoke(user=user)
    sessions_ended.send(sender=User, user_id=user.pk, sid=None)
    return user
