"""CollabHub settings: one module, driven by environment variables.

Unset variables give the embedded defaults (SQLite, local-memory cache, in-memory channel
layer, eager Celery) so the platform runs with no services. Setting ``DATABASE_URL`` /
``REDIS_URL`` / ``CELERY_BROKER_URL`` switches to the real services.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(required whenever DEBUG is off)."
        )
    SECRET_KEY = "django-insecure-collabhub-local-development-only"  # noqa: S105 (DEBUG only)

# The bearer token of the ops surfaces: /metrics/ requires it, and /health/ and /ready/ show
# which check failed, and why, only to a request carrying it. Required whenever DEBUG is off.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if not METRICS_TOKEN and not DEBUG:
    raise ImproperlyConfigured(
        "METRICS_TOKEN is not set. Set the METRICS_TOKEN environment variable to a long random "
        "string (required whenever DEBUG is off: /metrics/ and the detail of /health/ need it "
        "as a bearer token)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",  # first: its runserver serves HTTP and WebSocket from one process
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "axes",  # sign-in lockouts per account and per address (accounts/lockout.py)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served locally, not from a CDN
    "csp",
    "channels",
    "observability",
    "search",  # the engine: apps register their indexes (accounts.search, startups.search)
    "accounts",
    "realtime",
    "feed",
    "messaging",
    "startups",
    "recommendations",
    "experiments",  # A/B tests on the feed and recommendations (subscribes; nobody imports it)
    "analytics",  # live figures from rollups (subscribes; nobody imports it)
    "webhooks",  # events delivered, signed, to external URLs (subscribes; nobody imports it)
    "web",  # the pages people use in a browser (renders; acts through the API; nobody imports it)
    "demo",  # manage.py seed_demo
]

MIDDLEWARE = [
    "observability.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.api.ratelimit.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns an admin lockout into its 429 page
]

ROOT_URLCONF = "collabhub.urls"
WSGI_APPLICATION = "collabhub.wsgi.application"
ASGI_APPLICATION = "collabhub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "collabhub" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context.nav",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# A query may run this long on PostgreSQL (server-side statement_timeout, plus a client-side
# deadline that holds even when the server is frozen: core/db). Requests fail fast with
# 503 instead of hanging. Long jobs raise it (the Celery worker: 600000 in compose and k8s);
# 0 turns both off (migrate).
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=3000)
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # However the file is named (SQLITE_PATH, or DATABASE_URL=sqlite:///...): writers take
    # the lock at BEGIN and wait for it (busy timeout). A deferred transaction reads first and
    # then upgrades to a write, and SQLite fails that upgrade at once, without waiting, when
    # another writer got in between: "database is locked" (docs/reliability.md).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "core.db.postgresql"  # Django's, with deadlines
    # Persistent connections with health checks: measured 1.5-2x faster than a connection per
    # request on this stack (see docs/benchmarks.md). A connection found broken is dropped at
    # the start of the next request, so a restarted server needs no restart here.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # libpq: give up connecting (a frozen or unreachable server) after this long.
            "connect_timeout": env.int("DB_CONNECT_TIMEOUT", default=2),
            "options": " ".join(
                filter(
                    None,
                    [
                        DATABASES["default"].get("OPTIONS", {}).get("options", ""),
                        f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}",
                    ],
                )
            ),
        }
    )
DATABASE_VENDOR = "postgresql" if "postgresql" in DATABASES["default"]["ENGINE"] else "sqlite"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# The web app's sign-in page (pages that need a person send others there), and how long a
# browser's sign-in lasts (seconds from signing in; not renewed per request, which would write
# the session on every page).
LOGIN_URL = "web-sign-in"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)

AUTHENTICATION_BACKENDS = [
    "accounts.lockout.LockoutBackend",  # django-axes: refuses locked accounts and addresses
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in protection (accounts/lockout.py): this many failures per account, and separately per
# address, within the cool-off lock it until the cool-off has passed since the last failure.
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGN_IN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_RESET_ON_SUCCESS = False  # a success forgives the account only (accounts/lockout.py)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # guessing on cannot extend a lockout
AXES_USERNAME_CALLABLE = "accounts.lockout.username"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out_response"
AXES_SENSITIVE_PARAMETERS = ["password", "old_password", "new_password"]

# --- Redis: cache, channel layer, Celery broker ----------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_AVAILABLE = bool(REDIS_URL)

if REDIS_AVAILABLE:
    CACHES = {
        "default": {
            "BACKEND": "observability.cache.RedisCache",  # django-redis, counting hits
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "collabhub",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # Short timeouts: a slow or dead Redis must not hang requests.
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's default 5 s socket timeout equals channels-redis's 5 s blocking
                # read (BZPOPMIN): an idle read then races the timeout, and a lost race fails
                # the process's receive loop, closing every socket with 1011 (seen at 1,000
                # sockets in bench/ws_fanout.py). Reads may block longer than the poll.
                "hosts": [
                    {"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 2}
                ],
                "prefix": "collabhub",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "observability.cache.LocMemCache"}}  # counts hits
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that loses the broker reconnects for as long as it takes (the default gives up,
# and the worker exits, after 100 attempts).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Tasks running at a connection loss finish (celery 5's default; it logs a pending-deprecation
# warning at each loss). Their late ack may fail ("Couldn't ack", survived: core/broker.py);
# a broker that kept the task delivers it again after the visibility timeout -- fan-outs and
# webhook deliveries do their work once. Cancelling them terminated their pool processes, and
# celery 5.7.0 could then lose track of a replacement and exit at the next reconnect
# ("Unrecoverable error", ValueError('file descriptor is None'): docs/reliability.md).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TIMEZONE = "UTC"
# A task unacknowledged this long (its worker died: acks_late) is delivered again. It must
# exceed the longest task and retry countdown (backoff at most 300 s; the nightly rebuild
# takes about a minute at 100k startups); Redis's default, an hour, delays recovery.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
# Publishing happens off the request path (feed/outbox.py) and fails at once when the broker
# is down: no connection retries (kombu's "max_retries"); the event row stays undispatched and
# the beat task below queues it again.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
    "max_retries": 0,
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Each worker looks for tasks past their visibility timeout every 10 s (one ZRANGE), not
    # kombu's every 100 s ("throttle" 10): it also looks once at start, so a dead worker's
    # tasks not yet that old when its replacement started came back up to 100 s late.
    "unacked_restore_throttle": 1,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# kombu's Redis transport with one guard (core/broker.py): a broker lost while tasks are
# unacknowledged no longer stops the worker with an AttributeError ("Unrecoverable error").
# redis:// only: a named transport replaces the URL's scheme, and kombu turns TLS on from the
# scheme name (rediss://), so rediss:// and sentinel:// brokers keep kombu's own transport.
if CELERY_BROKER_URL.startswith("redis://"):
    CELERY_BROKER_TRANSPORT = "core.broker.RedisTransport"
CELERY_BEAT_SCHEDULE = {
    "feed-events-redispatch": {
        "task": "feed.events_redispatch",
        "schedule": env.float("FEED_REDISPATCH_INTERVAL", default=60.0),
    },
    # Rebuild the recommendation feature store, then precompute for recently active people.
    "recommendations-nightly": {
        "task": "recommendations.nightly",
        "schedule": crontab(hour=3, minute=0),
    },
    # Complete experiments at their end (or early, when significant), stop them on a guardrail.
    "experiments-monitor": {
        "task": "analytics.experiments_monitor",
        "schedule": env.float("EXPERIMENTS_MONITOR_INTERVAL", default=600.0),
    },
    # The funnel, retention cohorts, active hours and each person's engagement.
    "analytics-insights": {
        "task": "analytics.insights_refresh",
        "schedule": crontab(minute=5),
    },
    # Webhook deliveries whose task was never queued (a broker outage) or is lost.
    "webhooks-deliveries-redispatch": {
        "task": "webhooks.deliveries_redispatch",
        "schedule": env.float("WEBHOOKS_REDISPATCH_INTERVAL", default=30.0),
    },
    # Finished webhook deliveries older than WEBHOOKS_KEEP_DAYS.
    "webhooks-deliveries-prune": {
        "task": "webhooks.deliveries_prune",
        "schedule": crontab(hour=4, minute=30),
    },
    # Refresh tokens past their expiry (every sign-in and refresh writes one).
    "accounts-tokens-prune": {
        "task": "accounts.tokens_prune",
        "schedule": crontab(hour=4, minute=45),
    },
    # Minute buckets older than 2 days and hour buckets older than 90 days.
    "analytics-prune": {
        "task": "analytics.rollups_prune",
        "schedule": crontab(hour=4, minute=15),
    },
}

# --- Feed and real time ------------------------------------------------------------------
# An event whose fan-out the broker never accepted (an outage) is queued again by the beat task
# above once it is this many seconds old (the outbox: feed/outbox.py, feed/services.py).
FEED_REDISPATCH_AFTER = env.int("FEED_REDISPATCH_AFTER", default=60)
# A fan-out the broker accepted but has not run after this many seconds is queued again too:
# by then a task waiting in the queue has run, a dead worker's has been delivered again (once,
# after CELERY_VISIBILITY_TIMEOUT) and retries (5 minutes at most) are over -- it is lost (kombu's
# Redis transport loses a task its worker had just fetched when the worker is SIGKILLed).
FEED_LOST_AFTER = env.int("FEED_LOST_AFTER", default=2 * CELERY_VISIBILITY_TIMEOUT + 300)
# How long a WebSocket ticket (POST /api/v1/realtime/ticket/) may wait to be used, in seconds.
REALTIME_TICKET_TTL = env.int("REALTIME_TICKET_TTL", default=30)
# The personal share of a feed page (the rest: events matching one's skills and interests).
FEED_COMPOSITION = env.float("FEED_COMPOSITION", default=0.6)
# Dotted path to a callable(user=) -> float | None that may choose it per person: by default
# the running feed_composition experiment, if any (experiments/hooks.py).
FEED_COMPOSITION_HOOK = env.str(
    "FEED_COMPOSITION_HOOK", default="experiments.hooks.feed_composition"
)

# --- Webhooks (webhooks/: staff register endpoints at /api/v1/webhooks/) ------------------
# A built-in subscription to every event (public ones; private too with
# EXTERNAL_WEBHOOK_PRIVATE), signed with EXTERNAL_WEBHOOK_SECRET (required with the URL).
EXTERNAL_WEBHOOK_URL = env.str("EXTERNAL_WEBHOOK_URL", default="")
EXTERNAL_WEBHOOK_SECRET = env.str("EXTERNAL_WEBHOOK_SECRET", default="")
EXTERNAL_WEBHOOK_PRIVATE = env.bool("EXTERNAL_WEBHOOK_PRIVATE", default=False)
# Deliveries go to public addresses only; loopback and private networks when this is on
# (tests, development: on with DEBUG).
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=DEBUG)
WEBHOOKS_TIMEOUT = min(env.float("WEBHOOKS_TIMEOUT", default=5.0), 5.0)  # seconds, in all
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=8)  # first try included
WEBHOOKS_RETRY_BASE = env.float("WEBHOOKS_RETRY_BASE", default=30.0)  # doubled per attempt
WEBHOOKS_RETRY_MAX_DELAY = env.float("WEBHOOKS_RETRY_MAX_DELAY", default=3600.0)
WEBHOOKS_DISABLE_AFTER = env.int("WEBHOOKS_DISABLE_AFTER", default=20)  # failures in a row
WEBHOOKS_KEEP_DAYS = env.int("WEBHOOKS_KEEP_DAYS", default=30)  # the deliveries' history
# With no broker (tasks run in-process), deliveries are sent by a background thread, not by
# the request that caused them.
WEBHOOKS_BACKGROUND = env.bool("WEBHOOKS_BACKGROUND", default=True)

# --- Recommendations ---------------------------------------------------------------------
# hybrid | content | popularity | random; a dotted path to callable(user=, type=) returning
# one of them may choose per person: by default the running recommendations_algorithm
# experiment, if any (experiments/hooks.py).
RECOMMENDATIONS_ALGORITHM = env.str("RECOMMENDATIONS_ALGORITHM", default="hybrid")
RECOMMENDATIONS_ALGORITHM_HOOK = env.str(
    "RECOMMENDATIONS_ALGORITHM_HOOK", default="experiments.hooks.recommendations_algorithm"
)
# The hybrid blend per strategy (signals are 0 to 1; "popularity" is traction for investors):
# what `recommendations_evaluate --seeds 1-10` chose on its tuning seeds 101-104, each signal at
# least 0.1: of the blends within one standard error of the best mean NDCG@10, the one with the
# widest coverage (docs/benchmarks.md, "held out"). An item that is only popular is damped
# (below), so popularity mostly orders what content or behaviour brought in.
RECOMMENDATIONS_WEIGHTS = {
    "startups": {"content": 0.5, "behaviour": 0.2, "popularity": 0.3},
    "startups_traction": {"content": 0.5, "behaviour": 0.4, "popularity": 0.1},
    "opportunities": {"content": 0.1, "behaviour": 0.4, "popularity": 0.5},
    "talent": {"content": 0.8, "behaviour": 0.1, "popularity": 0.1},
}
# An item that is only popular (no personal signal) counts its popularity this much.
RECOMMENDATIONS_POPULAR_ONLY_DAMPING = 0.2
RECOMMENDATIONS_NEW_BOOST = 0.2  # items of the last 7 days score 20 % more
RECOMMENDATIONS_DIVERSITY_MAX = 3  # of one industry in the top 10
RECOMMENDATIONS_RULES = [
    f"recommendations.rules.{name}"
    for name in (
        "OWN_ITEMS",
        "ALREADY_APPLIED",
        "ALREADY_ENGAGED",
        "CLOSED_OPPORTUNITIES",
        "DISMISSED",
        "UNAVAILABLE_TALENT",
        "NEW_ITEMS",
        "DIVERSITY",
    )
]
RECOMMENDATIONS_CACHE_TTL = env.int("RECOMMENDATIONS_CACHE_TTL", default=30 * 60)
# Nightly precomputed results live until the next night (the same triggers invalidate them).
RECOMMENDATIONS_PRECOMPUTE_TTL = env.int("RECOMMENDATIONS_PRECOMPUTE_TTL", default=24 * 3600)
RECOMMENDATIONS_PRECOMPUTE_DAYS = 7  # "recently active"
RECOMMENDATIONS_MIN_TOGETHER = 2  # people in common before two items count as similar
# Where each strategy's behaviour signal comes from: "similar-items" (item-to-item cosine, the
# default) or "factors" (latent factors, ALS). Factors won only for investors' startups on
# held-out data (docs/benchmarks.md, "ALS"): for talent the blend already recovers what they add.
RECOMMENDATIONS_BEHAVIOUR = {
    "startups": "similar-items",
    "opportunities": "similar-items",
    "startups_traction": "factors",
}
# The nightly ALS fit (implicit's AlternatingLeastSquares), chosen on tuning seeds 101-102.
RECOMMENDATIONS_FACTORS = {"factors": 16, "regularization": 0.1, "alpha": 1.0, "iterations": 15}

# --- Auth -----------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Access tokens carry a hash of the password: changing it invalidates them at once.
    "CHECK_REVOKE_TOKEN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # simplejwt's, refusing access tokens of a signed-out session (POST auth/logout/).
        "accounts.authentication.SessionJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.FilterBackend",
        "core.api.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    # How many trusted proxies append to X-Forwarded-For (rate limits and sign-in lockouts
    # key on the client address): 0 trusts none (make run), compose and Kubernetes set 1.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Rate limits (core/api/ratelimit.py): every API request counts against anon (per
# address) or user (per person); writes to the endpoints naming a scope count against it too.
# Rates are "<count>/<period>": s, min, hour, day, with an optional multiplier ("5/10s").
RATE_LIMIT_ENABLED = env.bool("RATE_LIMIT_ENABLED", default=True)
RATE_LIMITS = {
    "anon": env.str("RATE_LIMIT_ANON", default="100/min"),
    "user": env.str("RATE_LIMIT_USER", default="200/min"),
    "auth": env.str("RATE_LIMIT_AUTH", default="10/min"),  # sign-in, sign-up, refresh, password
    "apply": env.str("RATE_LIMIT_APPLY", default="20/hour"),
    "messages": env.str("RATE_LIMIT_MESSAGES", default="30/min"),
    "connections": env.str("RATE_LIMIT_CONNECTIONS", default="30/hour"),  # requests sent
    "interactions": env.str("RATE_LIMIT_INTERACTIONS", default="120/min"),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CollabHub API",
    "DESCRIPTION": "Where talent, founders and investors meet around startups.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No validator badge: it would load an image from a third party (and break the CSP).
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "validatorUrl": None},
    # Staff only when DEBUG is off, unless PUBLIC_API_DOCS (read per request).
    "SERVE_PERMISSIONS": ["core.api.permissions.ApiDocsVisible"],
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.models.Role",
        "IndustryEnum": "accounts.models.Industry",
        "StageEnum": "startups.models.Stage",
        "OpportunityKindEnum": "startups.models.OpportunityKind",
        "OpportunityStatusEnum": "startups.models.OpportunityStatus",
        "ApplicationStatusEnum": "startups.models.ApplicationStatus",
        "InteractionKindEnum": "recommendations.models.InteractionKind",
        "ExperimentMetricEnum": "experiments.metrics.METRIC_NAMES",
    },
}

# Bodies larger than this are refused with 413 (the API exception handler) before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# --- Internationalisation, static -----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# Browser libraries vendored from the npm registry at pinned versions (scripts/vendor.py).
STATICFILES_DIRS = [BASE_DIR / "collabhub" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security ---------------------------------------------------------------------------
# Headers (README "Security"). SecurityMiddleware sends HSTS (on HTTPS only), the TLS
# redirect, X-Content-Type-Options, Referrer-Policy and Cross-Origin-Opener-Policy;
# django-csp the Content-Security-Policy; django-permissions-policy the Permissions-Policy.
if not DEBUG:
    # The TLS-terminating proxy (Ingress, nginx) says the client used HTTPS; such requests
    # are secure, so the redirect below never loops behind it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# kubelet and Prometheus reach the pods over plain HTTP: the probes are never redirected.
SECURE_REDIRECT_EXEMPT = [r"^live/$", r"^ready/$", r"^health/$", r"^metrics/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Joining the browsers' preload list is hard to undo: an explicit decision, off by default
# (and so its deploy check, security.W021, is silenced: README "Security").
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Only this origin's scripts, styles, images and fonts; no inline script at all (the Swagger
# UI is served as an HTML page plus its own script: collabhub/urls.py). An inline <style>
# needs the request's nonce (collabhub/templates/drf_spectacular/swagger_ui.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.NONE],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "manifest-src": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "base-uri": [csp.NONE],
        "object-src": [csp.NONE],
    },
}
# Powerful browser features this site never uses, off for it and anything it embeds.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# Ops surfaces: /api/schema/ and /api/docs/ are for staff when DEBUG is off (session or JWT);
# PUBLIC_API_DOCS=1 opens them to everyone. In DEBUG they are always public.
PUBLIC_API_DOCS = env.bool("PUBLIC_API_DOCS", default=False)

# After a dependency (Redis, the broker) fails, calls to it are skipped for this many seconds
# in that process -- a cache miss, a per-process rate-limit count, a push left to resume -- then one
# call probes it (observability/breaker.py).
CIRCUIT_BREAKER_COOLDOWN = env.float("CIRCUIT_BREAKER_COOLDOWN", default=5.0)

# Each health check (database, cache, channel layer, broker …) gives up after this long.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)

# A Celery worker serves its own series (tasks by name and outcome) on this port; 0: off.
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)

# --- Logging --------------------------------------------------------------------------
# One JSON object per line (python-json-logger), each with a UTC ISO 8601 timestamp and the
# request ID. LOG_FILE adds a size-rotated file and an errors-only file beside it.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
SLOW_REQUEST_MS = env.float("SLOW_REQUEST_MS", default=1000)
LOG_FILE = env.str("LOG_FILE", default="")
if LOG_FILE.lower() in {"1", "true", "yes", "on"}:
    LOG_FILE = str(BASE_DIR / "logs" / "collabhub.log")

_log_filters = ["request_id", "redact_secrets"]
_log_handlers: dict[str, dict[str, object]] = {
    "console": {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": _log_filters,
    },
}
if LOG_FILE:
    Path(LOG_FILE).parent.mkdir(parents=True, exist_ok=True)
    _rotation = {"maxBytes": 10 * 1024 * 1024, "backupCount": 5, "encoding": "utf-8"}
    _log_handlers["file"] = {
        "class": "logging.handlers.RotatingFileHandler",
        "filename": LOG_FILE,
        "formatter": "json",
        "filters": _log_filters,
        **_rotation,
    }
    _log_handlers["error_file"] = {
        "class": "logging.handlers.RotatingFileHandler",
        "filename": str(Path(LOG_FILE).parent / "error.log"),
        "level": "ERROR",
        "formatter": "json",
        "filters": _log_filters,
        **_rotation,
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "observability.logging.RequestIDFilter"},
        "redact_secrets": {"()": "observability.logging.RedactSecretsFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
        },
    },
    "handlers": _log_handlers,
    "root": {"handlers": list(_log_handlers), "level": LOG_LEVEL},
    "loggers": {
        # Drop Django's plain-text DEBUG console handler: every line goes through ours, as JSON.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # The access line (collabhub.access) replaces the dev servers' own per-request lines,
        # which would repeat every request (and every 500, at ERROR) without a request ID.
        "django.server": {"level": "CRITICAL"},
        "django.channels.server": {"level": "CRITICAL"},
        # django-axes names the typed account in its own lines (a password typed into the
        # email field, too); accounts/lockout.py logs each failure and lockout safely instead.
        "axes": {"level": "ERROR"},
    },
}

# --- Demo -----------------------------------------------------------------------------
PUBLIC_DEMO_PASSWORD = "collabhub-demo-2026"  # noqa: S105 (published in the README on purpose)
# Generated demo users are <role><n>.s<seed>@DEMO_EMAIL_DOMAIN (seed_demo; the recommendations'
# evaluation finds its dataset's people by it).
DEMO_EMAIL_DOMAIN = "demo.collabhub.dev"

DEMO_PASSWORD = env.str("DEMO_PASSWORD", default=PUBLIC_DEMO_PASSWORD)

# --- Analytics --------------------------------------------------------------------------
# analytics.counters: a thread per process writes the counts every 2 s (off in the tests).
ANALYTICS_BACKGROUND_FLUSH = env.bool("ANALYTICS_BACKGROUND_FLUSH", default=True)
# The live dashboard (/staff/analytics/): seconds between metric_update pushes while staff
# watch, and the system_alert thresholds over the last five minutes of API requests (none
# below ANALYTICS_ALERT_MIN_REQUESTS requests); /health/ not healthy is an alert too. Latency
# is counted in buckets (25, 50, 100 ... 3200 ms): the p95 alert fires when the p95 is in a
# bucket starting at or above ANALYTICS_ALERT_P95_MS (so pick a bucket edge).
ANALYTICS_LIVE_INTERVAL = env.float("ANALYTICS_LIVE_INTERVAL", default=2.0)
ANALYTICS_ALERT_ERROR_RATE = env.float("ANALYTICS_ALERT_ERROR_RATE", default=0.05)
ANALYTICS_ALERT_P95_MS = env.float("ANALYTICS_ALERT_P95_MS", default=800.0)
ANALYTICS_ALERT_MIN_REQUESTS = env.int("ANALYTICS_ALERT_MIN_REQUESTS", default=20)
