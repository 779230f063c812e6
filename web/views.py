"""Pages and the fragments they refresh. Each view reads through the apps' selectors (and the
API's own serializers and filters, so a page shows what the API would) and renders; none
writes. Writes are the browser's calls to the REST API (``static/web/app.js``)."""

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from accounts.filters import UserFilter
from accounts.models import Availability, Industry, Role, Skill, User
from accounts.search import PEOPLE
from accounts.selectors import user_list
from core.signals import object_viewed
from feed import selectors as feed_selectors
from feed import signals as feed_signals
from feed.exceptions import InvalidCursor
from feed.serializers import EventSerializer, NotificationSerializer
from messaging import selectors as messaging_selectors
from messaging.models import ConnectionStatus
from recommendations import selectors as recommendation_selectors
from recommendations import signals as recommendation_signals
from search import engine
from startups import selectors as startup_selectors
from startups.filters import OpportunityFilter, StartupFilter
from startups.models import (
    ApplicationStatus,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    Stage,
    Startup,
)
from startups.search import OPPORTUNITIES, STARTUPS

PAGE_SIZE = 12
DEMO_ACCOUNTS = [
    ("founder@collabhub.dev", "Founder", "runs a startup, posts roles, accepts applications"),
    ("talent@collabhub.dev", "Talent", "finds startups and roles, applies"),
    ("investor@collabhub.dev", "Investor", "follows startups by traction"),
    ("admin@collabhub.dev", "Staff", "the admin and the analytics dashboard"),
]


def _me(request: HttpRequest) -> User:
    """The person signed in (the view requires one)."""
    assert isinstance(request.user, User)  # noqa: S101 - login_required ran
    return request.user


def _demo_accounts() -> list[dict[str, str]]:
    """Shown on the landing page under ``make run`` (DEBUG) only."""
    if not settings.DEBUG:
        return []
    return [
        {"email": email, "role": role, "what": what, "password": settings.DEMO_PASSWORD}
        for email, role, what in DEMO_ACCOUNTS
    ]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Signed out: what CollabHub is. Signed in: the live feed."""
    if not request.user.is_authenticated:
        return render(request, "web/landing.html", {"demo_accounts": _demo_accounts()})
    me = _me(request)
    context = _feed(request, served=True)
    if me.role == Role.FOUNDER:  # the applications waiting for them
        context["pending_applications"] = (
            startup_selectors.application_list(viewer=me)
            .filter(opportunity__startup__owner=me, status=ApplicationStatus.PENDING)
            .count()
        )
    return render(request, "web/home.html", context)


@require_GET
@login_required
def feed_fragment(request: HttpRequest) -> HttpResponse:
    """The feed's first page again (a push said something new arrived)."""
    return render(request, "web/_feed.html", _feed(request, served=False))


def _feed(request: HttpRequest, *, served: bool) -> dict[str, Any]:
    """A page of the feed: the first, or the one ``?cursor=`` (the API's) names; a cursor that
    is not one of ours is the first page."""
    user = _me(request)
    share = feed_selectors.feed_share_get(user=user)
    cursor = request.GET.get("cursor") or None
    try:
        page = feed_selectors.feed_page_get(user=user, size=20, cursor=cursor, personal_share=share)
    except InvalidCursor:
        cursor = None
        page = feed_selectors.feed_page_get(user=user, size=20, cursor=None, personal_share=share)
    if served:  # a page served counts (analytics, experiments' exposures), a refresh not
        feed_signals.feed_served.send(sender=None, user=user, personal_share=share)
    return {
        "events": EventSerializer(page.events, many=True).data,
        "older": page.next_cursor,
        "first_page": cursor is None,
    }


def _recommended(user: User, type: str, limit: int, **scope: Any) -> dict[str, Any]:
    """The API's recommendations, served as the API serves them (the signal counts a list
    served: analytics, experiments' exposures)."""
    result = recommendation_selectors.recommendation_list(
        user=user, type=type, limit=limit, **scope
    )
    recommendation_signals.recommendations_served.send(
        sender=None,
        user=user,
        type=result["type"],
        algorithm=result["algorithm"],
        count=len(result["recommendations"]),
    )
    return result


# What each role is recommended on the home page (the API's ``type``).
RECOMMENDED = {
    "talent": ["startups", "opportunities"],
    "investor": ["startups"],
    "founder": ["talent"],
}


@require_GET
@login_required
def recommendations_fragment(request: HttpRequest) -> HttpResponse:
    """The home page's recommendations with their reasons (loaded after the first paint: a
    cold computation must not hold the page)."""
    user = _me(request)
    lists = []
    for kind in RECOMMENDED.get(user.role, ["startups"]):
        lists.append(_recommended(user, kind, 5))
    return render(request, "web/_recommendations.html", {"lists": lists})


@require_GET
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web-home")
    return render(request, "web/sign_in.html", {"next": _safe_next(request)})


@require_GET
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web-home")
    roles = [(value, label) for value, label in Role.choices if value != "admin"]
    return render(request, "web/sign_up.html", {"roles": roles})


def _safe_next(request: HttpRequest) -> str:
    """Where to go after signing in: a path on this site only (not ``//evil``, ``/\\evil``,
    ``/<tab>/evil`` or any other way of naming another host)."""
    target = request.GET.get("next", "/")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed and target.startswith("/") else "/"


@require_GET
def discover(request: HttpRequest) -> HttpResponse:
    return render(request, "web/discover.html", _startups(request))


@require_GET
def discover_fragment(request: HttpRequest) -> HttpResponse:
    return _fragment(request, "web/_startups.html", _startups(request), "web-discover")


def _listing(request: HttpRequest, *, filterset: Any, queryset: Any, index: Any) -> dict[str, Any]:
    """A list page the API's way: its FilterSet on its queryset, then its search (ranked, with
    snippets); an empty filter ("Any") is no filter."""
    params = request.GET.copy()
    for name in {"page", *(name for name, value in params.items() if not value)}:
        params.pop(name, None)
    filters = filterset(params, queryset=queryset)
    rows: Any = filters.qs if filters.is_valid() else queryset.none()
    query = params.get("search", "").strip()
    if query and filters.is_valid():
        rows = engine.search(index, rows, query)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "filters": filters,
        "query": query,
        "params": params.urlencode(),
        "errors": filters.errors,
    }


def _startups(request: HttpRequest) -> dict[str, Any]:
    return _listing(
        request,
        filterset=StartupFilter,
        queryset=startup_selectors.startup_list(viewer=request.user),
        index=STARTUPS,
    )


def _roles(request: HttpRequest) -> dict[str, Any]:
    return _listing(
        request,
        filterset=OpportunityFilter,
        queryset=startup_selectors.opportunity_list(viewer=request.user),
        index=OPPORTUNITIES,
    )


def _fragment(request: HttpRequest, template: str, context: dict[str, Any], page: str) -> Any:
    """The results alone (search-as-you-type); the address bar shows the page's URL for them
    (back, reload and sharing work)."""
    response = render(request, template, context)
    response["HX-Replace-Url"] = reverse(page) + (
        f"?{context['params']}" if context["params"] else ""
    )
    return response


@require_GET
def roles(request: HttpRequest) -> HttpResponse:
    return render(request, "web/roles.html", {**_roles(request), "kinds": OpportunityKind.choices})


@require_GET
def roles_fragment(request: HttpRequest) -> HttpResponse:
    return _fragment(request, "web/_roles.html", _roles(request), "web-roles")


@require_GET
def startup_detail(request: HttpRequest, startup_id: int) -> HttpResponse:
    startup = startup_selectors.startup_list(viewer=request.user).filter(pk=startup_id).first()
    if startup is None:
        raise Http404("No such startup.")
    object_viewed.send(sender=Startup, instance=startup, viewer=request.user)
    opportunities = startup_selectors.opportunity_list(viewer=request.user).filter(
        startup=startup, status=OpportunityStatus.OPEN
    )
    return render(request, "web/startup.html", {"startup": startup, "opportunities": opportunities})


@require_GET
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    rows = feed_selectors.notification_list(user=_me(request))
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "web/notifications.html",
        {"page": page, "items": NotificationSerializer(page.object_list, many=True).data},
    )


@require_GET
def opportunity_detail(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """The role; signed in: your application (its status, withdraw) or the form to apply."""
    opportunity = (
        startup_selectors.opportunity_list(viewer=request.user).filter(pk=opportunity_id).first()
    )
    if opportunity is None:
        raise Http404("No such opportunity.")
    object_viewed.send(sender=Opportunity, instance=opportunity, viewer=request.user)
    application = None
    if request.user.is_authenticated:
        application = (
            startup_selectors.application_list(viewer=_me(request))
            .filter(opportunity=opportunity, applicant_id=request.user.pk)
            .first()
        )
    return render(
        request,
        "web/opportunity.html",
        {
            "opportunity": opportunity,
            "application": application,
            "is_owner": opportunity.startup.owner_id == request.user.pk,
        },
    )


@require_GET
@login_required
def applications_board(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """The founder's applications to one of their roles, to accept or reject."""
    opportunity = _owned_opportunity(request, opportunity_id)
    applications = startup_selectors.application_list(viewer=_me(request)).filter(
        opportunity=opportunity
    )
    return render(
        request,
        "web/applications_board.html",
        {"opportunity": opportunity, "applications": applications},
    )


@require_GET
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """``POST /api/v1/auth/password/``: this browser stays signed in, every other session of
    the person ends."""
    return render(request, "web/password_change.html")


@require_GET
@login_required
def candidates_fragment(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """The candidates recommended for one of the founder's open roles, with the reasons (the
    API's ``GET /api/v1/recommendations/?type=talent&opportunity=<id>``)."""
    opportunity = _owned_opportunity(request, opportunity_id)
    result = _recommended(_me(request), "talent", 5, opportunity_id=opportunity.pk)
    return render(request, "web/_candidates.html", {"result": result, "opportunity": opportunity})


@require_GET
@login_required
def my_applications(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    applications = startup_selectors.application_list(viewer=me).filter(applicant=me)
    return render(request, "web/my_applications.html", {"applications": applications})


@require_GET
@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    """Edit my profile (``PATCH /api/v1/auth/me/``); after sign-up, to complete it."""
    user = _me(request)
    return render(
        request,
        "web/profile_edit.html",
        {
            "me": user,
            "skills": ", ".join(skill.name for skill in user.skills.all()),
            "skill_suggestions": Skill.objects.values_list("name", flat=True)[:500],
            "industries": Industry.choices,
            "availabilities": Availability.choices,
            "welcome": request.GET.get("welcome") == "1",
        },
    )


def _owned_opportunity(request: HttpRequest, opportunity_id: int) -> Any:
    """A role of the signed-in founder's startups; 404 for anyone else's."""
    opportunity = (
        startup_selectors.opportunity_list(viewer=request.user)
        .filter(pk=opportunity_id, startup__owner_id=request.user.pk)
        .first()
    )
    if opportunity is None:
        raise Http404("No such opportunity of yours.")
    return opportunity


def _owned_startup(request: HttpRequest, startup_id: int) -> Any:
    startup = (
        startup_selectors.startup_list(viewer=request.user)
        .filter(pk=startup_id, owner_id=request.user.pk)
        .first()
    )
    if startup is None:
        raise Http404("No such startup of yours.")
    return startup


@require_GET
@login_required
def my_startups(request: HttpRequest) -> HttpResponse:
    """A founder's startups, each with its roles (open and closed) and links to act on them."""
    startups = startup_selectors.startup_list(viewer=request.user).filter(owner_id=request.user.pk)
    roles = startup_selectors.opportunity_list(viewer=request.user).filter(
        startup__owner_id=request.user.pk
    )
    by_startup: dict[int, list[Any]] = {}
    for role in roles:
        by_startup.setdefault(role.startup_id, []).append(role)
    rows = [(startup, by_startup.get(startup.pk, [])) for startup in startups]
    return render(request, "web/my_startups.html", {"rows": rows})


@require_GET
@login_required
def startup_form(request: HttpRequest, startup_id: int | None = None) -> HttpResponse:
    """Create a startup (``POST /api/v1/startups/``) or edit yours (``PATCH``)."""
    startup = _owned_startup(request, startup_id) if startup_id else None
    return render(
        request,
        "web/startup_form.html",
        {
            "startup": startup,
            "skills": ", ".join(s.name for s in startup.skills.all()) if startup else "",
            "industries": Industry.choices,
            "stages": Stage.choices,
        },
    )


@require_GET
@login_required
def opportunity_form(
    request: HttpRequest, startup_id: int | None = None, opportunity_id: int | None = None
) -> HttpResponse:
    """Post a role at your startup (``POST /api/v1/opportunities/``) or edit one (``PATCH``)."""
    opportunity = None
    if opportunity_id:
        opportunity = _owned_opportunity(request, opportunity_id)
        startup = opportunity.startup
    else:
        startup = _owned_startup(request, startup_id or 0)
    return render(
        request,
        "web/opportunity_form.html",
        {
            "startup": startup,
            "opportunity": opportunity,
            "skills": ", ".join(s.name for s in opportunity.skills.all()) if opportunity else "",
            "kinds": OpportunityKind.choices,
        },
    )


# --- people, the network, messages -----------------------------------------------------------
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    """The directory: the API's people filters (role, skills) and search."""
    context = _listing(request, filterset=UserFilter, queryset=user_list(), index=PEOPLE)
    role, skills = request.GET.get("role", ""), request.GET.get("skills", "")
    return render(
        request,
        "web/people.html",
        {**context, "roles": Role.choices, "role": role, "skills": skills},
    )


@require_GET
def person(request: HttpRequest, user_id: int) -> HttpResponse:
    """A profile: follow, connect, message (once connected); your own: edit."""
    someone = user_list().filter(pk=user_id).first()
    if someone is None:
        raise Http404("No such person.")
    object_viewed.send(sender=User, instance=someone, viewer=request.user)
    connection = None
    if request.user.is_authenticated and request.user.pk != someone.pk:
        connection = messaging_selectors.connection_between(a=_me(request), b=someone)
    return render(
        request,
        "web/person.html",
        {
            "person": someone,
            "follow": feed_selectors.follow_state_get(target=someone, viewer=request.user),
            "connection": connection,
            "connected": connection is not None and connection.status == ConnectionStatus.ACCEPTED,
        },
    )


@require_GET
@login_required
def network(request: HttpRequest) -> HttpResponse:
    """Requests to answer, requests waiting, and the people I am connected with."""
    me = _me(request)
    pending = messaging_selectors.connection_list(user=me, status=ConnectionStatus.PENDING)
    return render(
        request,
        "web/network.html",
        {
            "incoming": [c for c in pending if c.addressee_id == me.pk],
            "outgoing": [c for c in pending if c.requester_id == me.pk],
            "connected": [
                c.addressee if c.requester_id == me.pk else c.requester
                for c in messaging_selectors.connection_list(
                    user=me, status=ConnectionStatus.ACCEPTED
                )
            ],
        },
    )


@require_GET
@login_required
def conversations(request: HttpRequest) -> HttpResponse:
    rows = messaging_selectors.conversation_list(user=_me(request))
    return render(request, "web/conversations.html", {"rows": rows})


CHAT_HISTORY = 50  # messages a chat page opens with


@require_GET
@login_required
def chat(request: HttpRequest, user_id: int) -> HttpResponse:
    """A conversation, live: new messages arrive over the socket; after the connection drops
    (a laptop asleep) the page resumes from the last message it has."""
    me = _me(request)
    other = user_list().filter(pk=user_id).exclude(pk=me.pk).first()
    if other is None:
        raise Http404("No such person.")
    # Where the socket resumes, read before the history: a message committed in between is
    # then replayed rather than lost.
    _, resume_after = messaging_selectors.message_badge_get(user=me)
    history = list(
        messaging_selectors.conversation_message_list(user=me, other=other).order_by("-pk")[
            :CHAT_HISTORY
        ]
    )
    history.reverse()
    return render(
        request,
        "web/chat.html",
        {
            "other": other,
            "history": history,
            "connected": messaging_selectors.connection_is_accepted(a=me, b=other),
            "resume_message": resume_after,
        },
    )


@require_GET
@login_required
def saved(request: HttpRequest) -> HttpResponse:
    """What I saved, startups and roles, newest first (unsave from here)."""
    rows = startup_selectors.save_list(user=_me(request)).order_by("-created_at", "-id")
    return render(request, "web/saved.html", {"saves": rows})


TRACTION_PAGE = 30


@require_GET
def traction(request: HttpRequest) -> HttpResponse:
    """Startups by traction (month-over-month growth, then active users), with their
    figures; an investor also sees why each recommended one is recommended to them."""
    startups = startup_selectors.startup_list(viewer=request.user).order_by(
        F("growth_rate").desc(nulls_last=True),
        F("monthly_active_users").desc(nulls_last=True),
        "-id",
    )[:TRACTION_PAGE]
    reasons: dict[int, list[str]] = {}
    if request.user.is_authenticated and request.user.role == "investor":  # type: ignore[union-attr]
        result = _recommended(_me(request), "startups", 50)
        reasons = {item["id"]: item["reasons"] for item in result["recommendations"]}
    rows = [(startup, reasons.get(startup.pk, [])) for startup in startups]
    return render(request, "web/traction.html", {"rows": rows})
