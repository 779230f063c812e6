"""Cache backends that count their hits and misses for ``/metrics/``.

The settings name these instead of Django's and django-redis's own classes; they behave exactly
like them, and every ``get`` / ``get_many`` adds to ``collabhub_cache_requests_total``.
"""

from typing import Any

from django.core.cache.backends import locmem
from django_redis import cache as django_redis_cache

from observability.metrics import CACHE_REQUESTS

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


class RedisCache(CacheMetricsMixin, django_redis_cache.RedisCache):
    pass
