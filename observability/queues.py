"""``celery_queue_length{queue}``: messages waiting in each Celery queue, read from the broker
when ``/metrics/`` is scraped (by the web; a worker's own endpoint leaves it out).

Redis brokers only: one pipelined ``LLEN`` per queue and priority step -- kombu keeps a
message of priority 3, 6 or 9 in a sub-list ``<queue>\\x06\\x16<step>`` (the transport's
``sep`` and ``priority_steps``, and its ``global_keyprefix``) -- added up per queue. The
queues are the configured ones: ``CELERY_TASK_DEFAULT_QUEUE`` (``celery``) and those of
``CELERY_TASK_QUEUES``. Messages a worker has taken but not yet acknowledged are not in the
lists (kombu keeps them apart, to redeliver them): the gauge is the backlog.

No series at all when tasks run eagerly (no broker) or the broker is not Redis. A broker
that is down or frozen costs one scrape ``QUEUE_LENGTH_TIMEOUT`` (a connect or read timeout)
and then opens the ``broker`` breaker, shared with the publishers: scrapes leave the series
out while it is open, and the rest of the exposition is served either way.
"""

import logging
import threading
from collections.abc import Iterator
from typing import Any

import redis
from django.conf import settings
from kombu.transport.redis import Channel
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.backoff import NoBackoff
from redis.retry import Retry

from observability.breaker import breaker

logger = logging.getLogger("collabhub.metrics")

QUEUE_LENGTH_TIMEOUT = 0.5  # seconds, to connect and to read: a scrape must stay quick
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def _client(url: str) -> redis.Redis:
    with _clients_lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(
                url,
                socket_timeout=QUEUE_LENGTH_TIMEOUT,
                socket_connect_timeout=QUEUE_LENGTH_TIMEOUT,
                retry=Retry(NoBackoff(), 0),  # redis-py retries 10 times by default
            )
        return _clients[url]


def queue_names() -> list[str]:
    names = [getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", None) or "celery"]
    for queue in getattr(settings, "CELERY_TASK_QUEUES", None) or ():
        name = queue if isinstance(queue, str) else getattr(queue, "name", None)
        if name and name not in names:
            names.append(str(name))
    return names


def _keys(queue: str, options: dict[str, Any]) -> list[str]:
    prefix = options.get("global_keyprefix", Channel.global_keyprefix)
    sep = options.get("sep", Channel.sep)
    steps = options.get("priority_steps", Channel.priority_steps)
    return [f"{prefix}{queue}{sep}{step}" if step else f"{prefix}{queue}" for step in steps]


QUEUES_BREAKER = "broker_queues"


def celery_queue_lengths() -> dict[str, int] | None:
    """Each configured queue's backlog, or None: no Redis broker, or it did not answer."""
    url = settings.CELERY_BROKER_URL
    if settings.CELERY_TASK_ALWAYS_EAGER or not url or not url.startswith(REDIS_SCHEMES):
        return None
    # Its own breaker: a scrape that finds the broker slow must not make this process's
    # publishers skip it too (their "broker" breaker).
    guard = breaker(QUEUES_BREAKER)
    if not guard.allow():
        return None
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}
    queues = {queue: _keys(queue, options) for queue in queue_names()}
    try:
        pipe = _client(url).pipeline(transaction=False)
        for keys in queues.values():
            for key in keys:
                pipe.llen(key)
        sizes = iter(pipe.execute())
    except (redis.exceptions.RedisError, OSError) as exc:
        guard.failure(exc)
        return None
    guard.success()
    return {queue: sum(int(next(sizes)) for _ in keys) for queue, keys in queues.items()}


def _family() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        "celery_queue_length",
        "Messages waiting in each Celery queue (priority sub-queues included), read from "
        "the broker at scrape time.",
        labels=["queue"],
    )


class CeleryQueueCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The series it serves when the broker answers (none without a broker)."""
        yield _family()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            lengths = celery_queue_lengths()
        except Exception:  # never fail the scrape
            logger.warning("celery queue lengths failed", exc_info=True)
            return
        if lengths is None:
            return
        family = _family()
        for queue, length in sorted(lengths.items()):
            family.add_metric([queue], length)
        yield family
