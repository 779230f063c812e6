"""REST hot path: our list and detail endpoints vs bare DRF serving the same rows and fields.

    .venv/bin/python bench/rest.py             # or: make bench-rest   (SQLite, ~2 minutes)
    .venv/bin/python bench/rest.py --postgres  # PostgreSQL 15 + Redis (scripts/services.sh)

One process, in-process requests through Django's test ``Client`` (the WSGI handler with every
middleware on, as in production: DEBUG off, rate limits on but raised out of reach, signed in
with a JWT bearer token as API clients are). Data: ``seed_demo --users=1500 --startups=3000
--opportunities=6000 --applications=6000 --saves=3000`` (what ``bench/run.py`` loads).

For each endpoint -- startups, opportunities, users, applications (list with ``page_size=20``
and detail) and the feed -- three views answer on the same rows:

- **ours**: the API as shipped (``/api/v1/...``);
- **bare DRF**: a ``ListAPIView`` / ``RetrieveAPIView`` defined here, with plain nested
  ``ModelSerializer``\\ s producing the same fields and values (the per-viewer flags and counts
  annotated as DRF's docs would: ``Exists`` / ``Subquery``), DRF's ``JSONRenderer`` and
  ``PageNumberPagination``, no filter backends; mounted under ``/api/v1/_bare/`` so it pays
  the same middleware, authentication, rate limit and metrics;
- **floor** (context): a plain Django view returning ``.values()`` of the flat columns of the
  same rows as JSON.

Before measuring, the bench checks that ours and bare DRF answer the same JSON (the rows of a
page and the count; the whole body of a detail). The cases run interleaved in rounds
(alternating order), so machine noise hits both. Prints requests/s, p50/p95 and the ratio
ours / bare in throughput, with PASS/FAIL against the goal (>= 1.5x, issue 18).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from common import arguments_or_child, machine_line, percentile, production_env  # noqa: E402

GOAL = 1.5
UNLIMITED_RATE = "1000000000/min"
SEED = ["--users=1500", "--startups=3000", "--opportunities=6000", "--applications=6000",
        "--saves=3000"]  # fmt: skip


# --- The bare DRF baseline and the floor (built in the child, after django.setup()) ---------


def bare_urlpatterns() -> list[Any]:
    """``/api/v1/_bare/...``: the same rows and fields, with DRF's defaults."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
    from django.db.models.functions import Coalesce
    from django.http import HttpResponse
    from django.urls import path
    from django.utils import timezone
    from rest_framework import generics, pagination, permissions, renderers, serializers
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from accounts.authentication import SessionJWTAuthentication
    from accounts.models import User
    from feed import presentation
    from feed import selectors as feed_selectors
    from feed.models import ActivityEvent, Follow
    from startups.models import Application, Opportunity, Save, Startup

    def viewer_id(request: Any) -> int | None:
        return request.user.pk if request.user.is_authenticated else None

    class Bare:
        pagination_class = pagination.PageNumberPagination  # PAGE_SIZE = 20
        renderer_classes = [renderers.JSONRenderer]
        filter_backends: list[Any] = []

    class SearchFields(serializers.Serializer):  # type: ignore[type-arg]
        search_score = serializers.SerializerMethodField()
        search_snippet = serializers.SerializerMethodField()

        def get_search_score(self, obj: Any) -> None:
            return None

        def get_search_snippet(self, obj: Any) -> None:
            return None

    class UserSummary(serializers.ModelSerializer):  # type: ignore[type-arg]
        class Meta:
            model = User
            fields = ["id", "name", "role", "headline"]

    class StartupSummary(serializers.ModelSerializer):  # type: ignore[type-arg]
        class Meta:
            model = Startup
            fields = ["id", "name", "slug", "tagline", "industry", "stage"]

    def skill_names() -> Any:
        return serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class StartupOut(SearchFields, serializers.ModelSerializer):  # type: ignore[type-arg]
        owner = UserSummary(read_only=True)
        skills = skill_names()
        open_opportunities_count = serializers.IntegerField(read_only=True)
        is_saved = serializers.BooleanField(read_only=True)
        followers_count = serializers.IntegerField(read_only=True)
        is_following = serializers.BooleanField(read_only=True)

        class Meta:
            model = Startup
            fields = ["id", "owner", "name", "slug", "tagline", "description", "industry",
                      "stage", "location", "remote_friendly", "website", "founded_on",
                      "team_size", "skills", "funding_raised", "monthly_active_users",
                      "monthly_revenue", "growth_rate", "open_opportunities_count", "is_saved",
                      "followers_count", "is_following", "created_at", "updated_at",
                      "search_score", "search_snippet"]  # fmt: skip

    def startups(request: Any) -> Any:
        me = viewer_id(request)
        open_count = (
            Opportunity.objects.filter(startup=OuterRef("pk"), status="open")
            .order_by().values("startup").annotate(c=Count("pk")).values("c")
        )  # fmt: skip
        follows = Follow.objects.filter(
            target_type=ContentType.objects.get_for_model(Startup), target_id=OuterRef("pk")
        )
        followers = follows.order_by().values("target_id").annotate(c=Count("pk")).values("c")
        return (
            Startup.objects.select_related("owner")
            .prefetch_related("skills")
            .annotate(
                open_opportunities_count=Coalesce(Subquery(open_count), 0),
                is_saved=Exists(Save.objects.filter(user_id=me, startup=OuterRef("pk")))
                if me else Value(False),
                followers_count=Coalesce(Subquery(followers), 0),
                is_following=Exists(follows.filter(follower_id=me)) if me else Value(False),
            )
            .order_by("-created_at", "-id")
        )  # fmt: skip

    class OpportunityOut(SearchFields, serializers.ModelSerializer):  # type: ignore[type-arg]
        startup = StartupSummary(read_only=True)
        skills = skill_names()
        is_saved = serializers.BooleanField(read_only=True)
        has_applied = serializers.BooleanField(read_only=True)

        class Meta:
            model = Opportunity
            fields = ["id", "startup", "title", "description", "kind", "skills", "location",
                      "remote", "compensation_min", "compensation_max", "equity_min",
                      "equity_max", "status", "is_saved", "has_applied", "created_at",
                      "updated_at", "search_score", "search_snippet"]  # fmt: skip

    def opportunities(request: Any) -> Any:
        me = viewer_id(request)
        mine = {
            "is_saved": Exists(Save.objects.filter(user_id=me, opportunity=OuterRef("pk"))),
            "has_applied": Exists(
                Application.objects.filter(applicant_id=me, opportunity=OuterRef("pk"))
            ),
        } if me else {"is_saved": Value(False), "has_applied": Value(False)}  # fmt: skip
        return (
            Opportunity.objects.select_related("startup")
            .prefetch_related("skills")
            .annotate(**mine)
            .order_by("-created_at", "-id")
        )

    class UserOut(SearchFields, serializers.ModelSerializer):  # type: ignore[type-arg]
        skills = skill_names()
        email = serializers.SerializerMethodField()

        class Meta:
            model = User
            fields = ["id", "email", "name", "role", "headline", "bio", "location", "skills",
                      "interests", "availability", "date_joined", "search_score",
                      "search_snippet"]  # fmt: skip

        def get_email(self, user: Any) -> str | None:
            return user.email if self.context["request"].user.pk == user.pk else None

    def users(request: Any) -> Any:
        return (
            User.objects.filter(is_active=True)
            .prefetch_related("skills")
            .order_by("-date_joined", "-id")
        )

    class OpportunitySummary(serializers.ModelSerializer):  # type: ignore[type-arg]
        startup = StartupSummary(read_only=True)

        class Meta:
            model = Opportunity
            fields = ["id", "title", "kind", "status", "startup"]

    class ApplicationOut(serializers.ModelSerializer):  # type: ignore[type-arg]
        opportunity = OpportunitySummary(read_only=True)
        applicant = UserSummary(read_only=True)

        class Meta:
            model = Application
            fields = ["id", "opportunity", "applicant", "cover_letter", "status", "decided_at",
                      "created_at", "updated_at"]  # fmt: skip

    def applications(request: Any) -> Any:
        me = request.user
        return (
            Application.objects.filter(Q(applicant=me) | Q(opportunity__startup__owner=me))
            .select_related("applicant", "opportunity__startup")
            .order_by("-created_at", "-id")
        )

    class Actor(serializers.Serializer):  # type: ignore[type-arg]
        id = serializers.IntegerField()
        name = serializers.CharField()

    class EventOut(serializers.ModelSerializer):  # type: ignore[type-arg]
        actor = Actor(allow_null=True, read_only=True)
        description = serializers.SerializerMethodField()
        target = serializers.SerializerMethodField()

        class Meta:
            model = ActivityEvent
            fields = ["id", "actor", "action_type", "description", "target", "startup_id",
                      "created_at"]  # fmt: skip

        def get_description(self, event: Any) -> str:
            return presentation.describe(event)

        def get_target(self, event: Any) -> Any:
            return presentation.target(event)

    class BareFeed(APIView):
        """The same first page of events, the bare DRF way: the feed's two sources as
        querysets (``personal_event_list``, ``interest_event_list``: the actor joined with
        ``select_related``), mixed as the feed mixes them (``feed_mix``), rendered by a
        ``ModelSerializer``."""

        renderer_classes = [renderers.JSONRenderer]
        permission_classes = [permissions.IsAuthenticated]

        def get(self, request: Any) -> Response:
            size, user = 20, request.user
            share = feed_selectors.feed_share_get(user=user)
            now = timezone.now()
            sources = {
                "personal": feed_selectors.personal_event_list(user=user, as_of=now),
                "interest": feed_selectors.interest_event_list(user=user, as_of=now),
            }
            fetched = {
                key: list(events.order_by("-created_at", "-id")[: size + 1])
                for key, events in sources.items()
            }
            events, _ = feed_selectors.feed_mix(fetched=fetched, size=size, personal_share=share)
            return Response({"results": EventOut(events, many=True).data})

    def generic(base: type, serializer: type, rows: Any, **extra: Any) -> Any:
        # Lists show what our filters show by default (open opportunities); details any row.
        where = extra.pop("list_filter", {}) if base is generics.ListAPIView else {}
        extra.pop("list_filter", None)
        attrs = {"serializer_class": serializer,
                 "get_queryset": lambda self: rows(self.request).filter(**where)}  # fmt: skip
        return type(f"Bare{serializer.__name__}", (Bare, base), {**attrs, **extra}).as_view()

    def floor(fields: list[str], rows: Any, where: dict[str, Any]) -> Any:
        from django.core.serializers.json import DjangoJSONEncoder

        def view(request: Any, pk: int | None = None) -> HttpResponse:
            request.user = SessionJWTAuthentication().authenticate(Request(request))[0]
            queryset = rows(request).prefetch_related(None)
            if pk is not None:
                body: Any = queryset.values(*fields).get(pk=pk)
            else:
                queryset = queryset.filter(**where)
                body = {"count": queryset.count(), "results": list(queryset.values(*fields)[:20])}
            return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), "application/json")

        return view

    auth = {"permission_classes": [permissions.IsAuthenticated]}
    patterns = []
    for name, serializer, rows, extra in (
        ("startups", StartupOut, startups, {}),
        ("opportunities", OpportunityOut, opportunities, {"list_filter": {"status": "open"}}),
        ("users", UserOut, users, {}),
        ("applications", ApplicationOut, applications, auth),
    ):
        model = serializer.Meta.model
        flat = [f.attname for f in model._meta.concrete_fields if f.attname != "password"]
        patterns += [
            path(f"{name}/", generic(generics.ListAPIView, serializer, rows, **extra)),
            path(f"{name}/<int:pk>/", generic(generics.RetrieveAPIView, serializer, rows, **extra)),
            path(f"floor/{name}/", floor(flat, rows, extra.get("list_filter", {}))),
            path(f"floor/{name}/<int:pk>/", floor(flat, rows, {})),
        ]
    patterns.append(path("feed/", BareFeed.as_view()))
    return patterns


def install_urlconf() -> None:
    """The project's URLs, with the baseline's under ``/api/v1/_bare/`` (matched first)."""
    from types import ModuleType

    from django.conf import settings
    from django.urls import clear_url_caches, include, path

    from collabhub import urls

    patterns = [path("api/v1/_bare/", include(bare_urlpatterns())), *urls.urlpatterns]
    module = ModuleType("bench_rest_urls")
    module.urlpatterns = patterns  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    clear_url_caches()


# --- Measuring ------------------------------------------------------------------------------


def comparable(body: dict[str, Any], listing: bool) -> Any:
    return {"count": body.get("count"), "results": body["results"]} if listing else body


def child(args: argparse.Namespace) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")
    django.setup()
    install_urlconf()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from accounts.models import User
    from accounts.services import user_tokens_issue
    from startups import selectors
    from startups.models import Application, Opportunity, Startup

    def client_for(email: str) -> Client:
        user = User.objects.get(email=email)
        token = user_tokens_issue(user=user)["access"]
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT="application/json")

    # The founder whose startups received the most applications (a full page of them).
    busiest = (
        Application.objects.values("opportunity__startup__owner__email")
        .annotate(n=Count("pk"))
        .order_by("-n")[0]["opportunity__startup__owner__email"]
    )
    talent, founder = client_for("talent@collabhub.dev"), client_for(busiest)
    founder_user = User.objects.get(email=busiest)
    startup = Startup.objects.order_by("-created_at", "-id")[10]
    role = Opportunity.objects.order_by("-created_at", "-id")[10]
    person = User.objects.filter(is_active=True).order_by("-date_joined", "-id")[10]
    application = selectors.application_list(viewer=founder_user).first()
    assert application is not None, "the founder has no applications: seeding failed?"
    # name: (client, our path, bare path, floor path or None, is a list)
    cases: dict[str, tuple[Any, str, str, str | None, bool]] = {}
    for name, client, pk in (
        ("startups", talent, startup.pk),
        ("opportunities", talent, role.pk),
        ("users", talent, person.pk),
        ("applications", founder, application.pk),
    ):
        cases[f"{name} list"] = (client, f"/api/v1/{name}/?page_size=20", f"/api/v1/_bare/{name}/",
                                 f"/api/v1/_bare/floor/{name}/", True)  # fmt: skip
        cases[f"{name} detail"] = (client, f"/api/v1/{name}/{pk}/", f"/api/v1/_bare/{name}/{pk}/",
                                   f"/api/v1/_bare/floor/{name}/{pk}/", False)  # fmt: skip
    cases["feed"] = (talent, "/api/v1/feed/?page_size=20", "/api/v1/_bare/feed/", None, True)
    if args.only:
        cases = {k: v for k, v in cases.items() if any(word in k for word in args.only)}

    mismatches = []
    for name, (client, ours, bare, floor, listing) in cases.items():
        bodies = []
        for path in (ours, bare):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.content)
            bodies.append(comparable(json.loads(response.content), listing))
        if bodies[0] != bodies[1]:
            mismatches.append(name)
        if floor:
            assert client.get(floor).status_code == 200, floor

    times: dict[str, dict[str, list[float]]] = {name: {} for name in cases}
    for number in range(args.rounds):
        for name, (client, ours, bare, floor, _) in cases.items():
            kinds = [("ours", ours), ("bare", bare)] + ([("floor", floor)] if floor else [])
            if number % 2:
                kinds.reverse()
            for kind, path in kinds:
                for _ in range(args.warmup if number == 0 else 0):
                    client.get(path)
                spent = times[name].setdefault(kind, [])
                for _ in range(args.requests):
                    started = time.perf_counter()
                    client.get(path)
                    spent.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"vendor": connection.vendor, "startups": Startup.objects.count(),
                      "mismatches": mismatches, "times": times}))  # fmt: skip


def report(result: dict[str, Any], label: str) -> bool:
    print(f"\n{label}: {result['startups']} startups; in-process (Django test Client, every "
          "middleware, DEBUG off); requests/s from the summed latencies")  # fmt: skip
    head = f"  {'endpoint':<22} {'ours r/s':>9} {'p50':>6} {'p95':>6} {'bare r/s':>9} {'p50':>6} "
    head += f"{'p95':>6} {'ours/bare':>9} {'goal':>5} {'floor r/s':>10} {'bare/floor':>10}"
    print(head)
    passed = True
    for name, kinds in result["times"].items():
        stats = {}
        for kind, ms in kinds.items():
            stats[kind] = (1000 * len(ms) / sum(ms), percentile(ms, 50), percentile(ms, 95))
        ours, bare = stats["ours"], stats["bare"]
        ratio = ours[0] / bare[0]
        ok = ratio >= GOAL and name not in result["mismatches"]
        passed &= ok
        floor = stats.get("floor")
        floor_text = f"{floor[0]:>10.0f} {bare[0] / floor[0]:>9.2f}x" if floor else f"{'n/a':>10}"
        print(f"  {name:<22} {ours[0]:>9.0f} {ours[1]:>6.1f} {ours[2]:>6.1f} {bare[0]:>9.0f} "
              f"{bare[1]:>6.1f} {bare[2]:>6.1f} {ratio:>8.2f}x {'PASS' if ok else 'FAIL':>5} "
              f"{floor_text}")  # fmt: skip
    if result["mismatches"]:
        print(f"  OUTPUT DIFFERS from bare DRF on: {', '.join(result['mismatches'])} (FAIL)")
    print(f"  goal: ours >= {GOAL}x bare DRF's requests/s on every endpoint: "
          f"{'PASS' if passed else 'FAIL'}")  # fmt: skip
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds (6)")
    parser.add_argument("--requests", type=int, default=50, help="requests per case a round (50)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up requests per case (20)")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="PostgreSQL 15 + Redis from scripts/services.sh instead of SQLite",
    )
    parser.add_argument("--only", nargs="*", help="only the endpoints whose name has a word")
    parser.add_argument(
        "--sqlite",
        type=Path,
        help="keep the seeded SQLite database in this file (reused when present)",
    )
    args = arguments_or_child(parser, child)  # fmt: skip
    if args is None:
        return
    from run import run_checked, services

    print(machine_line())
    print(f"command: {' '.join([Path(sys.argv[0]).name, *sys.argv[1:]])}")
    passed = True
    with tempfile.TemporaryDirectory(prefix="collabhub-bench-rest-") as tmp:
        database = args.sqlite.resolve() if args.sqlite else Path(tmp) / "rest.sqlite3"
        reuse = database.exists()
        env = production_env(
            DATABASE_URL=f"sqlite:///{database}",
            DEMO_PASSWORD="bench-" * 4,
            RATE_LIMIT_ANON=UNLIMITED_RATE,
            RATE_LIMIT_USER=UNLIMITED_RATE,
        )
        with services() if args.postgres else _nothing() as running:
            if running is not None:
                env.update(running.urls, DB_STATEMENT_TIMEOUT_MS="600000")
            manage = [sys.executable, "manage.py"]
            if running is not None or not reuse:
                for command in (["migrate", "--no-input"], ["seed_demo", *SEED]):
                    run_checked([*manage, *command], env, " ".join(command))
            forwarded = ["--rounds", str(args.rounds), "--requests", str(args.requests),
                         "--warmup", str(args.warmup)] + (["--only", *args.only] if args.only
                                                          else [])  # fmt: skip
            out = subprocess.run(  # noqa: S603 - our own script
                [sys.executable, __file__, "--child", *forwarded],
                cwd=ROOT, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
        if out.returncode != 0:
            raise SystemExit(f"REST benchmark failed:\n{out.stderr[-4000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        label = "PostgreSQL + Redis" if args.postgres else "SQLite"
        passed = report(result, f"{label}, {args.rounds} rounds x {args.requests} requests")
    sys.exit(0 if passed else 1)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    main()
