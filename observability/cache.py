"""Cache backends that count their hits and misses for ``/metrics/``, and a Redis cache that
never fails a request.

The settings name these instead of Django's and django-redis's own classes; they behave like
them, and every ``get`` / ``get_many`` adds to ``collabhub_cache_requests_total``. When Redis is
down or frozen the Redis cache degrades to misses (reads return the default, writes do
nothing) behind the ``redis`` circuit breaker, so a frozen Redis costs one socket timeout per
cooldown and process, not one per call. Code that must know whether Redis answered (the
throttles, the health check) uses ``FailoverCache`` / ``ping()``.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

import redis
from django.core.cache import caches
from django.core.cache.backends import locmem
from django.core.cache.backends.base import BaseCache
from django_redis import cache as django_redis_cache
from django_redis.exceptions import ConnectionInterrupted

from observability.breaker import CircuitBreaker, breaker
from observability.metrics import CACHE_REQUESTS

logger = logging.getLogger("collabhub.cache")

# What an unreachable, dead or frozen Redis raises (a full or read-only one is not an outage).
OUTAGE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)

_MISSING = object()


class CacheMetricsMixin:
    def get(self, key: Any, default: Any = None, version: Any = None, **kwargs: Any) -> Any:
        value = super().get(key, _MISSING, version=version, **kwargs)  # type: ignore[misc]
        if value is _MISSING:
            CACHE_REQUESTS.labels(result="miss").inc()
            return default
        CACHE_REQUESTS.labels(result="hit").inc()
        return value

    def get_many(self, keys: Any, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        keys = list(keys)
        found = super().get_many(keys, *args, **kwargs)  # type: ignore[misc]
        if found:
            CACHE_REQUESTS.labels(result="hit").inc(len(found))
        if len(keys) > len(found):
            CACHE_REQUESTS.labels(result="miss").inc(len(keys) - len(found))
        return found


class LocMemCache(CacheMetricsMixin, locmem.LocMemCache):
    pass


# The client's calls that go to Redis (the rest -- close, make_key, encode … -- do no I/O and
# pass the breaker untouched: they must neither probe nor close it).
IO_METHODS = frozenset(
    {"get", "get_many", "has_key", "ttl", "pttl", "keys", "iter_keys", "lock", "set", "set_many",
     "add", "delete", "delete_many", "incr", "decr", "incr_version", "touch", "expire",
     "expire_at", "pexpire", "pexpire_at", "persist", "delete_pattern", "clear"}
)  # fmt: skip
# Calls that change the cache: one of them lost in an outage may be an invalidation.
WRITES = frozenset(
    {"set", "set_many", "add", "delete", "delete_many", "incr", "decr", "incr_version",
     "touch", "expire", "persist", "delete_pattern", "clear"}
)  # fmt: skip


class _GuardedClient:
    """django-redis's client behind the breaker: an open breaker fails a call at once (as
    ``ConnectionInterrupted``, which the cache turns into a miss); an outage opens it.

    A write lost while Redis was away may have been an invalidation (a search version bump, a
    recommendation stamp), leaving an entry cached before the outage stale. So when Redis
    answers again, the process that lost a write deletes this cache's keys (``KEY_PREFIX``
    and version; the broker's and the channel layer's keys are left alone): the cache
    restarts cold rather than wrong."""

    def __init__(self, client: Any, guard: CircuitBreaker) -> None:
        self._client = client
        self._guard = guard
        self._lost_write = threading.Event()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name not in IO_METHODS:
            return attribute
        return self._guarded(name, attribute, invalidates=name in WRITES)

    def ephemeral(self, name: str) -> Callable[..., Any]:
        """The call behind the breaker, but a write lost with it invalidates nothing (the
        throttles' counters): losing it does not empty the cache when Redis is back."""
        return self._guarded(name, getattr(self._client, name), invalidates=False)

    def _guarded(
        self, name: str, method: Callable[..., Any], *, invalidates: bool
    ) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if not self._guard.allow():
                if invalidates:
                    self._lost_write.set()
                raise ConnectionInterrupted(connection=None)
            try:
                if self._lost_write.is_set():
                    self._forget_stale()  # before this call: what it writes is fresh
                result = method(*args, **kwargs)
            except ConnectionInterrupted as exc:
                if isinstance(exc.__cause__, OUTAGE_ERRORS):
                    self._guard.failure(exc.__cause__)
                    if invalidates:
                        self._lost_write.set()
                raise
            self._guard.success()
            return result

        return call

    def _forget_stale(self) -> None:
        # django-redis prefixes the pattern: "<KEY_PREFIX>:<version>:*", our keys only.
        deleted = self._client.delete_pattern("*", itersize=1000)
        self._lost_write.clear()
        logger.warning(
            "cache emptied after an outage that lost writes (invalidations)",
            extra={"deleted": deleted},
        )


class RedisCache(CacheMetricsMixin, django_redis_cache.RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._ignore_exceptions = True  # a failed call is a miss / a write not made
        self._log_ignored_exceptions = False  # the breaker logs the outage once
        self._guarded: _GuardedClient | None = None

    @property
    def client(self) -> Any:
        if self._guarded is None:
            self._guarded = _GuardedClient(super().client, breaker("redis"))
        return self._guarded

    def ping(self) -> None:
        """Ask Redis itself, past the breaker; raises what Redis raised. Success closes the
        breaker (the health check doubles as a probe)."""
        raw = super().client.get_client(write=True)
        raw.ping()
        breaker("redis").success()


class FailoverCache(BaseCache):
    """``get`` and ``set`` on the default cache, or on a per-process memory cache whenever
    Redis cannot answer (down, frozen, breaker open) -- never a silent miss. For counters
    that must not fail open, like the throttles' request histories: without Redis a limit
    holds per process instead of across them."""

    def __init__(self) -> None:
        super().__init__({})
        self.fallback = locmem.LocMemCache("failover", {"OPTIONS": {"MAX_ENTRIES": 100_000}})

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        primary = caches["default"]
        if not isinstance(primary, RedisCache):
            return primary.get(key, default)
        try:
            return primary.client.get(key, default=default)
        except ConnectionInterrupted:
            return self.fallback.get(key, default)

    def set(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> None:
        primary = caches["default"]
        if not isinstance(primary, RedisCache):
            primary.set(key, value, timeout)
            return
        try:
            primary.client.ephemeral("set")(key, value, timeout=timeout)
        except ConnectionInterrupted:
            self.fallback.set(key, value, timeout)
