"""Cache backends that count their hits and misses for ``/metrics/``, and a Redis cache that
never fails a request.

The settings name these instead of Django's and django-redis's own classes; they behave like
them, and every ``get`` / ``get_many`` adds to ``cache_hits_total`` or ``cache_misses_total``
by cache name: the name an app registered for the key's prefix (``cache_name_register``, in
its ``ready()``), ``default`` for any other key -- a small, bounded set. When Redis is
down or frozen the Redis cache degrades to misses (reads return the default, writes do
nothing) behind the ``redis`` circuit breaker, so a frozen Redis costs one socket timeout per
cooldown and process, not one per call. Code that must know whether Redis answered (the
rate limits, the health check) uses ``FailoverCache`` / ``ping()``.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from django.core.cache import caches
from django.core.cache.backends import locmem
from django.core.cache.backends.base import BaseCache
from django_redis import cache as django_redis_cache
from django_redis.exceptions import ConnectionInterrupted

from observability.breaker import CircuitBreaker, breaker
from observability.metrics import CACHE_HITS, CACHE_MISSES

logger = logging.getLogger("collabhub.cache")

# What an unreachable, dead or frozen Redis raises (a full or read-only one is not an outage).
OUTAGE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)

_MISSING = object()


DEFAULT_CACHE_NAME = "default"
_cache_prefixes: dict[str, str] = {}
_cache_names: list[tuple[str, str]] = []  # (key prefix, cache name), longest prefix first


def cache_name_register(prefix: str, name: str) -> None:
    """Reads of keys starting with ``prefix`` count as cache ``name`` in the hit and miss
    counters (the longest registered prefix wins). Apps call it in ``ready()`` for the key
    prefixes they use, e.g. ``("search:", "search")``: the label's values stay a fixed set."""
    _cache_prefixes[prefix] = name
    _cache_names[:] = sorted(_cache_prefixes.items(), key=lambda item: len(item[0]), reverse=True)


def cache_name_for(key: Any) -> str:
    if isinstance(key, str):
        for prefix, name in _cache_names:
            if key.startswith(prefix):
                return name
    return DEFAULT_CACHE_NAME


class CacheMetricsMixin:
    """Counts ``get`` (and so ``get_or_set``, and Django's own ``get_many``, which reads key
    by key through ``get``)."""

    def get(self, key: Any, default: Any = None, version: Any = None, **kwargs: Any) -> Any:
        value = super().get(key, _MISSING, version=version, **kwargs)  # type: ignore[misc]
        if value is _MISSING:
            CACHE_MISSES.labels(cache=cache_name_for(key)).inc()
            return default
        CACHE_HITS.labels(cache=cache_name_for(key)).inc()
        return value


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

    def get_many(self, keys: Any, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        """One MGET (not through ``get``): each key counted here, by its cache's name."""
        keys = list(keys)
        found = super().get_many(keys, *args, **kwargs)
        hits: dict[str, int] = {}
        misses: dict[str, int] = {}
        for key in keys:
            counts = hits if key in found else misses
            name = cache_name_for(key)
            counts[name] = counts.get(name, 0) + 1
        for name, count in hits.items():
            CACHE_HITS.labels(cache=name).inc(count)
        for name, count in misses.items():
            CACHE_MISSES.labels(cache=name).inc(count)
        return found

    @property
    def client(self) -> Any:
        if self._guarded is None:
            self._guarded = _GuardedClient(super().client, breaker("redis"))
        return self._guarded

    def incr_expiring(self, key: str, expires_at: int) -> int:
        """INCR and EXPIREAT in one transaction (one round trip); behind the breaker, an
        outage raises ``ConnectionInterrupted`` and loses nothing worth restoring."""
        guard = breaker("redis")
        if not guard.allow():
            raise ConnectionInterrupted(connection=None)
        name = self.make_key(key)
        try:
            pipe = super().client.get_client(write=True).pipeline(transaction=True)
            pipe.incr(name)
            pipe.expireat(name, expires_at)
            count, _ = pipe.execute()
        except (*OUTAGE_ERRORS, redis.exceptions.RedisError) as exc:
            # Down, or up but refusing writes (a read-only replica after a failover, out of
            # memory under noeviction, a failed snapshot): count in memory meanwhile.
            guard.failure(exc)
            raise ConnectionInterrupted(connection=None) from exc
        guard.success()
        return int(count)

    def ping(self) -> None:
        """Ask Redis itself, past the breaker; raises what Redis raised. Success closes the
        breaker (the health check doubles as a probe)."""
        raw = super().client.get_client(write=True)
        raw.ping()
        breaker("redis").success()


class FailoverCache:
    """Counters that must not fail open, like the rate limits': in Redis when it answers, in a
    per-process memory cache whenever it cannot (down, frozen, breaker open) -- never a silent
    miss. Without Redis a limit holds per process instead of across them."""

    def __init__(self) -> None:
        self.fallback = locmem.LocMemCache("failover", {"OPTIONS": {"MAX_ENTRIES": 100_000}})

    def incr(self, key: str, expires_at: int) -> int:
        """Add one to the counter ``key`` (created at 0), which expires at the Unix time
        ``expires_at``; returns the new count. Atomic: in Redis one round trip (INCR and
        EXPIREAT in a transaction), in memory under the cache's lock."""
        primary = caches["default"]
        if isinstance(primary, RedisCache):
            try:
                return primary.incr_expiring(key, expires_at)
            except ConnectionInterrupted:
                return _incr_local(self.fallback, key, expires_at)
        return _incr_local(primary, key, expires_at)

    def is_shared(self) -> bool:
        """Whether counts are kept across processes now (Redis answering)."""
        primary = caches["default"]
        return isinstance(primary, RedisCache) and not breaker("redis").is_open


def _incr_local(cache: BaseCache, key: str, expires_at: int) -> int:
    timeout = max(1, expires_at - int(time.time()))
    cache.add(key, 0, timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between the two calls: a new window
        cache.set(key, 1, timeout)
        return 1
