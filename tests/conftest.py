import asyncio
import io
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import user_tokens_issue
from analytics import counters as analytics_counters
from analytics import live as analytics_live
from core.api import ratelimit
from experiments import selectors as experiment_selectors
from experiments import services as experiment_services
from realtime import fanout as realtime_fanout
from realtime import live as realtime_live
from search import vocabulary as search_vocabulary
from tests.accounts.factories import FounderFactory, InvestorFactory, UserFactory
from tests.browser import asgi_server, page  # noqa: F401 - fixtures of the browser tests
from tests.startups.factories import OpportunityFactory, StartupFactory


def pytest_sessionstart(session: pytest.Session) -> None:
    """With REQUIRE_SERVICES=1 (CI's second run) a missing service fails the run at once."""
    if os.environ.get("REQUIRE_SERVICES") != "1":
        return
    missing = [
        name
        for name, ok in (
            ("DATABASE_URL (PostgreSQL)", settings.DATABASE_VENDOR == "postgresql"),
            ("REDIS_URL", settings.REDIS_AVAILABLE),
        )
        if not ok
    ]
    if missing:
        pytest.exit(f"REQUIRE_SERVICES=1 but not configured: {', '.join(missing)}", returncode=3)


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Throttle counters and cached values never leak from one test into the next (nor do
    the rate limits' per-process counts kept while Redis was down, nor the experiments'
    per-process list of running ones and of recorded exposures, nor unflushed analytics
    counts, nor the search vocabularies read from another test's rows, nor the in-memory
    channel layer's groups and the process's broadcast fan-outs of ended event loops)."""

    def clear() -> None:
        cache.clear()
        ratelimit.counters.fallback.clear()
        experiment_selectors.running_cache_clear()
        experiment_services.exposures_seen_clear()
        analytics_counters.buffer_clear()
        analytics_live.live_state_clear()
        realtime_live.live_state_clear()
        search_vocabulary.vocabulary_forget()
        realtime_fanout.fanouts_forget()
        layer = get_channel_layer()
        if isinstance(layer, InMemoryChannelLayer):  # its groups outlive the test's sockets
            async_to_sync(layer.flush)()

    clear()
    yield
    clear()


@pytest.fixture(autouse=True)
def _rate_limit_clock_held(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate limits count in fixed windows of real time: a test's requests all fall in one
    (a run crossing a minute would otherwise split its count in two)."""
    now = time.time()
    monkeypatch.setattr(ratelimit, "clock", lambda: now)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[User | None], APIClient]:
    """An API client signed in as ``user`` with a real JWT (anonymous for ``None``)."""

    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            access = user_tokens_issue(user=user)["access"]
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        return client

    return make


@pytest.fixture
def talent(db: None) -> User:
    return UserFactory(name="Ada Lovelace")


@pytest.fixture
def founder(db: None) -> User:
    return FounderFactory(name="Grace Hopper")


@pytest.fixture
def other_founder(db: None) -> User:
    return FounderFactory(name="Margaret Hamilton")


@pytest.fixture
def investor(db: None) -> User:
    return InvestorFactory(name="Arthur Rock")


@pytest.fixture
def startup(founder: User):
    return StartupFactory(owner=founder, name="Acme Robotics", skills=["python", "django"])


@pytest.fixture
def opportunity(startup):
    return OpportunityFactory(startup=startup, title="Senior Django Engineer", skills=["python"])


Lines = Callable[[], list[dict]]


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    """What the configured console handler (JSON formatter + filters) writes, parsed."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield lines
    handler.setStream(previous)


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """``with committed(): ...`` runs what would run after commit (the fan-out, pushes), as a
    real commit would; the test itself stays inside its rolled-back transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def group_inbox() -> Callable[[str], Callable[..., list[dict[str, Any]]]]:
    """``inbox = group_inbox("analytics")`` joins a channel of the real channel layer to the
    group; ``inbox()`` returns the typed messages pushed to it since (waiting ``timeout``
    seconds for each next one)."""
    layer = get_channel_layer()

    def join(group: str) -> Callable[..., list[dict[str, Any]]]:
        # Not a process-specific name ("!"): channels-redis reads those through a buffer bound
        # to one event loop, and each ``inbox()`` runs in its own.
        channel = f"test-inbox.{uuid.uuid4().hex}"
        async_to_sync(layer.group_add)(group, channel)

        async def drain(timeout: float) -> list[dict[str, Any]]:
            messages = []
            while True:
                try:
                    event = await asyncio.wait_for(layer.receive(channel), timeout)
                except TimeoutError:
                    return messages
                messages.append(event["message"])

        def inbox(timeout: float = 0.3) -> list[dict[str, Any]]:
            return async_to_sync(drain)(timeout)

        return inbox

    return join
