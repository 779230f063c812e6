"""Redis stopped, frozen and back, under the real Django stack: the API keeps answering as it
would without Redis, never waits on it more than about a second, keeps its limits, and
recovers without a restart."""

import asyncio
import time
from typing import Any

import pytest
import redis
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from collabhub.asgi import application
from observability.breaker import breakers_reset
from realtime import services as realtime
from startups.models import Save, Startup
from tests.accounts.factories import PASSWORD, FounderFactory, UserFactory
from tests.startups.factories import StartupFactory
from tests.support import RedisServer, reply_of

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(60)]


def signed_in(user: User) -> APIClient:
    from accounts.services import user_tokens_issue

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {user_tokens_issue(user=user)['access']}")
    return client


def mixed_requests(founder: User, talent: User, startup: Startup) -> list[Any]:
    """One of each kind of request a user makes: reads, search, sign-in, writes."""
    anonymous = APIClient()
    return [
        anonymous.get("/api/v1/startups/"),
        anonymous.get("/api/v1/startups/", {"search": "acme"}),
        anonymous.get("/api/v1/search/", {"q": "acme"}),
        anonymous.get(f"/api/v1/startups/{startup.pk}/"),
        anonymous.post(
            "/api/v1/auth/login/",
            {"email": talent.email, "password": PASSWORD},
            format="json",
        ),
        signed_in(founder).post(
            "/api/v1/startups/", {"name": "Outage Labs", "industry": "ai"}, format="json"
        ),
        signed_in(talent).post(f"/api/v1/startups/{startup.pk}/save/"),
        signed_in(talent).get("/api/v1/recommendations/"),
        signed_in(talent).post("/api/v1/realtime/ticket/"),
        signed_in(talent).get("/api/v1/notifications/"),
        anonymous.post("/api/v1/startups/", {"name": "x"}, format="json"),  # 401 stays 401
    ]


@pytest.fixture
def people() -> tuple[User, User, Startup]:
    founder = FounderFactory()
    return founder, UserFactory(), StartupFactory(owner=founder, name="Acme Robotics")


def test_with_redis_stopped_every_request_answers_as_without_redis(
    redis_cache: RedisServer, people: tuple[User, User, Startup]
) -> None:
    founder, talent, startup = people
    redis_cache.stop()

    statuses = [response.status_code for response in mixed_requests(founder, talent, startup)]

    assert statuses == [200, 200, 200, 200, 200, 201, 201, 200, 201, 200, 401]
    # The acknowledged writes are in the database.
    assert Startup.objects.filter(name="Outage Labs").exists()
    assert Save.objects.filter(user=talent, startup=startup).exists()


def test_a_frozen_redis_costs_one_timeout_per_cooldown_not_one_per_request(
    redis_cache: RedisServer, people: tuple[User, User, Startup]
) -> None:
    redis_cache.freeze()
    client = APIClient()
    durations = []
    for _ in range(20):
        started = time.perf_counter()
        assert client.get("/api/v1/startups/").status_code == 200
        durations.append(time.perf_counter() - started)

    print(f"frozen Redis: first request {durations[0]:.2f}s, then max {max(durations[1:]):.3f}s,"
          f" total {sum(durations):.2f}s for 20")  # fmt: skip
    assert durations[0] < 1.6  # the one socket timeout (1 s) that opened the breaker
    # After it, the cooldown (0.5 s) lets at most a probe or two wait again.
    assert sum(d > 0.5 for d in durations[1:]) <= 3, durations
    assert sum(durations) < 5, durations


def test_sign_in_stays_throttled_per_process_while_redis_is_down(
    redis_cache: RedisServer, settings
) -> None:
    """Sign-in allows RATE_LIMIT_AUTH attempts a minute (5 here, below the lockout's 10):
    without Redis, still 5."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "5/min"}
    user = UserFactory()
    redis_cache.stop()
    client = APIClient()
    attempt = {"email": user.email, "password": "wrong-password"}

    statuses = [client.post("/api/v1/auth/login/", attempt, format="json").status_code
                for _ in range(7)]  # fmt: skip

    assert statuses == [401] * 5 + [429] * 2


def test_a_redis_that_answers_but_refuses_writes_leaves_rate_limits_in_memory(
    redis_cache: RedisServer, settings
) -> None:
    """A read-only replica after a failover (or an out-of-memory Redis) answers every write
    with an error, not a dropped connection: requests still get their answer, the limits count
    per process meanwhile (and still refuse), and Redis counts again once it takes writes."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "anon": "3/min"}
    raw = redis.Redis(port=redis_cache.port)
    raw.replicaof("127.0.0.1", "1")  # a replica of nothing: read-only
    try:
        responses = [APIClient().get("/api/v1/startups/") for _ in range(4)]
    finally:
        raw.replicaof("NO", "ONE")

    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert not any(b"ratelimit:" in key for key in raw.keys("*"))
    breakers_reset()  # rather than wait out the cooldown
    APIClient().get("/api/v1/no-such-thing/")
    assert any(b"ratelimit:anon:" in key for key in raw.keys("*"))


def test_everything_recovers_when_redis_returns_without_a_restart(
    redis_cache: RedisServer, people: tuple[User, User, Startup]
) -> None:
    founder, talent, startup = people
    redis_cache.stop()
    assert [r.status_code for r in mixed_requests(founder, talent, startup)][:5] == [200] * 5

    redis_cache.start()  # same port: the configuration has not changed
    time.sleep(0.6)  # the breaker's cooldown: the next call is a probe
    cache.set("after-outage", "cached", 60)

    assert cache.get("after-outage") == "cached"
    raw = redis.Redis(port=redis_cache.port)
    assert raw.get(cache.make_key("after-outage")) is not None  # in Redis, not in memory
    # Rate limits count in Redis again (one counter per client, scope and window).
    APIClient().get("/api/v1/startups/")
    assert any(b"ratelimit:anon:" in key for key in raw.keys("*"))


def test_health_names_redis_as_degraded_and_ready_stays_200(
    redis_cache: RedisServer, client: Client
) -> None:
    redis_cache.stop()

    health = client.get("/health/", HTTP_AUTHORIZATION=f"Bearer {django_settings.METRICS_TOKEN}")
    ready = client.get("/ready/")

    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["status"] == "degraded"
    assert "ConnectionError" in body["checks"]["cache"]["error"]
    assert ready.status_code == 200


async def socket_on_redis(settings, server: RedisServer) -> tuple[User, WebsocketCommunicator]:
    """A signed-in socket (not yet connected) on a channel layer backed by ``server``."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": server.url, "socket_timeout": 15}]},
        }
    }
    user = await database_sync_to_async(UserFactory)()
    ticket = await database_sync_to_async(realtime.ticket_issue)(user_id=user.pk)
    return user, WebsocketCommunicator(application, f"/ws/?ticket={ticket}")


@pytest.mark.django_db(transaction=True)
async def test_a_connected_socket_survives_a_redis_outage_and_resyncs(
    redis_server: RedisServer,
    settings,
) -> None:
    user, socket = await socket_on_redis(settings, redis_server)
    connected, _ = await socket.connect()
    assert connected

    redis_server.stop()  # the channel layer's receive fails under the open socket
    await asyncio.sleep(1.5)
    await socket.send_json_to({"type": "ping"})
    assert reply_of(await socket.receive_json_from(timeout=5)) == {
        "type": "pong"
    }  # not closed (1011)

    redis_server.start()  # empty: every group membership is gone
    resync = await socket.receive_json_from(timeout=15)
    assert resync["type"] == "resync"
    assert set(resync["data"]["resume"]) >= {"notification", "feed.event", "message"}
    # Joined again: a live push reaches the socket.
    breakers_reset()
    push = {"type": "notification", "id": 10**9, "data": {"hello": "again"}}
    await database_sync_to_async(realtime.socket_push)(user_ids=[user.pk], message=push)
    assert await socket.receive_json_from(timeout=5) == push
    await socket.disconnect()


def test_an_invalidation_lost_in_an_outage_never_leaves_a_stale_entry(
    redis_cache: RedisServer,
) -> None:
    cache.set("search-result", "computed before the outage", 3600)
    raw = redis.Redis(port=redis_cache.port)
    raw.set("collabhub:group:user.1", "a channel-layer key")  # not the cache's: kept
    redis_cache.freeze()  # Redis keeps its memory, but answers nothing
    assert cache.get("anything") is None  # times out: the breaker opens
    redis_cache.thaw()
    cache.delete("search-result")  # the invalidation after a write: skipped (breaker open)
    time.sleep(0.6)  # the breaker's cooldown

    assert cache.get("search-result") is None  # emptied, not stale
    assert raw.get("collabhub:group:user.1") == b"a channel-layer key"
    cache.set("after", "fresh", 60)
    assert cache.get("after") == "fresh"


def test_throttle_counts_lost_in_an_outage_do_not_empty_the_cache(
    redis_cache: RedisServer,
) -> None:
    """Only a lost invalidation empties the cache: requests counted by the rate limits while
    Redis was away (kept per process meanwhile) are not one."""
    cache.set("kept", "still valid", 3600)
    redis_cache.freeze()
    assert cache.get("anything") is None  # the breaker opens
    redis_cache.thaw()
    for _ in range(3):  # throttled requests while the breaker is open: counted in memory
        assert APIClient().get("/api/v1/startups/").status_code == 200
    time.sleep(0.6)

    assert cache.get("kept") == "still valid"


@pytest.mark.django_db(transaction=True)
async def test_a_socket_whose_groups_vanished_silently_joins_them_again(
    redis_server: RedisServer,
    settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A flushed Redis (or a failover to an empty replica, or channels-redis's one-day group
    expiry) forgets the groups without any error: the socket joins them again by itself."""
    from realtime import consumers

    monkeypatch.setattr(consumers, "REJOIN_EVERY", 0.3)
    user, socket = await socket_on_redis(settings, redis_server)
    assert (await socket.connect())[0]

    redis.Redis(port=redis_server.port).flushdb()  # every membership gone, no error anywhere
    await asyncio.sleep(0.8)
    breakers_reset()
    push = {"type": "notification", "id": 10**9, "data": {}}
    await database_sync_to_async(realtime.socket_push)(user_ids=[user.pk], message=push)

    assert await socket.receive_json_from(timeout=5) == push
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_broadcasts_reach_a_socket_again_after_a_redis_outage(
    redis_server: RedisServer,
    settings,
) -> None:
    """The process's one member of ``everyone`` (realtime.fanout) joins again too: by the time
    the socket says resync, a broadcast reaches it."""
    _user, socket = await socket_on_redis(settings, redis_server)
    assert (await socket.connect())[0]

    redis_server.stop()
    await asyncio.sleep(1.5)
    redis_server.start()  # empty: the process's membership of everyone is gone
    assert (await socket.receive_json_from(timeout=15))["type"] == "resync"
    breakers_reset()
    notice = {"type": "announcement", "id": None, "data": {"text": "back"}}
    await database_sync_to_async(realtime.socket_broadcast)(message=notice)

    assert await socket.receive_json_from(timeout=5) == notice
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_process_whose_everyone_membership_vanished_silently_joins_again(
    redis_server: RedisServer,
    settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from realtime import fanout

    monkeypatch.setattr(fanout, "REJOIN_EVERY", 0.3)
    _user, socket = await socket_on_redis(settings, redis_server)
    assert (await socket.connect())[0]

    redis.Redis(port=redis_server.port).flushdb()  # no error anywhere
    await asyncio.sleep(0.8)
    breakers_reset()
    notice = {"type": "announcement", "id": None, "data": {"text": "still here"}}
    await database_sync_to_async(realtime.socket_broadcast)(message=notice)

    assert await socket.receive_json_from(timeout=5) == notice
    await socket.disconnect()


def fan_out_to_followers(settings, server: RedisServer, followers: int) -> int:
    """An undispatched ``opportunity_posted`` event of a startup with that many followers, on a
    channel layer backed by ``server``; its id."""
    from django.contrib.contenttypes.models import ContentType

    from feed.models import ActivityEvent, Follow

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": server.url, "socket_timeout": 15}]},
        }
    }
    founder = FounderFactory()
    startup = StartupFactory(owner=founder)
    startup_type = ContentType.objects.get_for_model(Startup)
    Follow.objects.bulk_create(
        Follow(follower=fan, target_type=startup_type, target_id=startup.pk)
        for fan in UserFactory.create_batch(followers)
    )
    event = ActivityEvent.objects.create(  # its startup's followers are notified of an opening
        action_type="opportunity_posted", actor=founder, startup_id=startup.pk
    )
    return event.pk


@pytest.mark.django_db(transaction=True)
def test_a_fan_out_pushes_every_notification_over_the_same_few_connections(
    redis_server: RedisServer, settings
) -> None:
    """Not one channel-layer connection per push (``async_to_sync`` runs each call on a new
    event loop, and channels_redis pools connections per loop): the whole batch on one."""
    from feed import services as feed_services
    from feed.models import Notification

    event_id = fan_out_to_followers(settings, redis_server, 40)
    client = redis.Redis(port=redis_server.port)
    before = client.info("stats")["total_connections_received"]

    assert feed_services.event_fanout_run(event_id=event_id) == 40

    opened = client.info("stats")["total_connections_received"] - before
    assert Notification.objects.filter(event_id=event_id).count() == 40
    assert opened <= 2, opened  # 41 pushes (a notification each, and the event)


@pytest.mark.django_db(transaction=True)
def test_a_fan_out_to_a_frozen_channel_layer_waits_one_push_timeout_and_says_so_once(
    redis_server: RedisServer, settings, log_lines
) -> None:
    """With the channel layer frozen, the first push waits ``PUSH_TIMEOUT`` and opens the
    breaker, the rest are skipped, and one warning counts them: the notifications are in the
    database, and each recipient's client resumes from there."""
    from feed import services as feed_services
    from feed.models import Notification

    settings.CIRCUIT_BREAKER_COOLDOWN = 60  # no probe during the test
    event_id = fan_out_to_followers(settings, redis_server, 40)
    redis_server.freeze()

    started = time.perf_counter()
    notified = feed_services.event_fanout_run(event_id=event_id)
    elapsed = time.perf_counter() - started

    assert notified == 40
    assert Notification.objects.filter(event_id=event_id).count() == 40
    assert elapsed < realtime.PUSH_TIMEOUT + 1.5, elapsed  # not a timeout per push
    (warning,) = [line for line in log_lines() if line["message"].startswith("pushes not sent")]
    assert warning["skipped"] >= 40  # every notification's push, and the event's
