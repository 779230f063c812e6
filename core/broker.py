"""kombu's Redis transport, with one guard: a channel whose connection was released fails
with a connection error, not an ``AttributeError`` that stops the Celery worker.

Registered by ``CELERY_BROKER_TRANSPORT`` (collabhub/settings.py) for ``redis://`` brokers.

The fault (kombu 5.7.0, celery 5.7.0): when the broker goes away with a ``BRPOP`` in flight
and tasks unacknowledged, Celery's consumer calls ``Connection.collect()`` and then
``Connection.close()``. In ``collect()`` the task channel's ``close()`` stops at reading the
pending ``BRPOP`` (a connection error, ignored); ``Transport.close_connection`` stops at the
first other channel whose ``close()`` fails (the remote-control channel, deleting its
auto-delete queue) and kombu then releases the transport: ``Transport.client = None``. The
task channel is closed again only afterwards: it drops its connection pools and, to restore
the unacknowledged messages, builds a new pool: ``Channel._connparams`` reads
``self.connection.client.hostname``, ``AttributeError: 'NoneType' object has no attribute
'hostname'``. That is not one of the connection errors ``kombu.common.ignore_errors`` and
``Message.ack_log_error`` swallow: it leaves ``Consumer.on_connection_error_after_connected``,
and the worker logs "Unrecoverable error" and exits. A late ack or reject of a message from
that channel ends the same way. A ``BRPOP`` is in flight whenever the worker has a free pool
slot (its prefetch limit not reached): a worker busy on every slot has none, hence a crash
that looked intermittent.

Here the same call raises :class:`BrokerConnectionReleased`, a ``redis`` ``ConnectionError``:
Celery treats it as the outage it is (the close is ignored, an ack is logged as "Couldn't ack")
and reconnects. Nothing is lost: a message that could not be restored or acknowledged stays in
the broker's unacknowledged set and is delivered again after ``visibility_timeout`` (the tasks
are idempotent); if the broker restarted empty, the outbox queues the fan-out again
(feed/outbox.py).
"""

from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class BrokerConnectionReleased(RedisConnectionError):
    """The channel's broker connection was closed and released; this channel can no longer
    reach the broker (a new connection gets new channels)."""


class RedisChannel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        # ``self.connection`` is the transport (None once the channel is closed); its
        # ``client``, the kombu Connection, is None once that connection was released.
        transport = self.connection
        if transport is None or transport.client is None:
            raise BrokerConnectionReleased(
                "the broker connection of this channel was released; unacknowledged "
                "messages are delivered again after the visibility timeout"
            )
        params: dict[str, Any] = super()._connparams(asynchronous=asynchronous)
        return params


class RedisTransport(kombu_redis.Transport):
    Channel = RedisChannel
