from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from core.api.docs import SchemaView, SwaggerView
from core.api.ratelimit import RateLimitListApi
from observability import probes

api_v1: list[URLPattern | URLResolver] = [
    path("", include("accounts.urls")),
    path("", include("startups.urls")),
    path("", include("feed.urls")),
    path("", include("realtime.urls")),
    path("", include("messaging.urls")),
    path("", include("recommendations.urls")),
    path("", include("experiments.urls")),
    path("", include("analytics.urls")),
    path("", include("search.urls")),
    path("", include("webhooks.urls")),
    path("ratelimits/", RateLimitListApi.as_view(), name="ratelimit-list"),
]

urlpatterns = [
    path("live/", probes.live, name="live"),
    path("ready/", probes.ready, name="ready"),
    path("health/", probes.health, name="health"),
    path("metrics/", probes.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("staff/analytics/", include("analytics.page_urls")),
    path("api/v1/", include(api_v1)),
    # Staff only when DEBUG is off, unless PUBLIC_API_DOCS (core/api/permissions.py).
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # The web app: every other path (pages, and the fragments they refresh).
    path("", include("web.urls")),
]

handler400 = "core.api.views.bad_request"
handler403 = "core.api.views.permission_denied"
handler404 = "core.api.views.not_found"
handler500 = "core.api.views.server_error"
