"""Broadcasts reach a process once: one channel of the process is in the ``everyone`` group,
and it hands each broadcast to the process's own sockets as text serialised once.

Without it each socket is in the group itself: a broadcast is then, in every one of a
process's sockets, a read from the channel layer, a pass through Channels' dispatch (which
hops to a worker thread to close stale database connections) and a ``json.dumps`` -- most of
a broadcast's time at 1,000 sockets (docs/benchmarks.md). Here the process's channel receives
the broadcast, serialises it once and gives the text to each socket (``deliver``); the socket
sends it after any resume it is replaying, and drops what that resume has just sent, as it
does for its own pushes. Any channel layer will do (the in-memory one too).

The channel joins the group when the process's first socket opens and leaves it when the last
one closes. Like each socket's own groups, it joins again every ``REJOIN_EVERY`` seconds (group
memberships expire, and a flushed Redis forgets them silently) and when the layer works again
after failing; meanwhile broadcasts are lost, as any push is, and clients resume.
"""

import asyncio
import contextlib
import json
import logging
from typing import Any, Protocol

from realtime.messages import EVERYONE

logger = logging.getLogger("collabhub.websocket")

RETRY_FIRST, RETRY_MAX = 0.5, 5.0  # seconds between tries while the layer fails
STOP = "fanout.stop"  # the message that ends a fan-out's receive
STOP_WAIT = 1.0  # seconds the last socket's disconnect waits for the receive to end
REJOIN_EVERY = 600.0  # seconds between idempotent re-joins of the group


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class LocalSocket(Protocol):
    def deliver(self, message: dict[str, Any], text: str) -> None:
        """Send ``text`` (``message`` serialised) soon, unless its resume has just sent it."""


class LocalFanout:
    """This process's (this event loop's) member of ``everyone`` on one channel layer."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.sockets: set[LocalSocket] = set()
        self.channel_name = ""
        self.error: Exception | None = None  # the layer's failure, until it works again
        self.tried: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.tasks: list[asyncio.Future[None]] = []
        self.stopping = False

    def start(self) -> None:
        self.tasks = [asyncio.ensure_future(self._receive()), asyncio.ensure_future(self._keep())]

    async def stop(self) -> None:
        """End the tasks, then leave the group. The receive is woken with a message to the
        channel rather than cancelled: cancelled inside channels-redis's blocking read, it
        held on for seconds (and, at a test's end, kept its event loop from closing)."""
        self.stopping = True
        receiver, *others = self.tasks
        for task in others:
            task.cancel()
        if self.channel_name and not receiver.done():
            with contextlib.suppress(Exception):  # a layer that is down: cancelled below
                await asyncio.wait_for(self.layer.send(self.channel_name, {"type": STOP}), 1)
                await asyncio.wait({receiver}, timeout=STOP_WAIT)
        receiver.cancel()
        if self.channel_name:
            with contextlib.suppress(Exception):  # a layer that is down forgets on its own
                await self.layer.group_discard(EVERYONE, self.channel_name)

    async def joined(self) -> None:
        """Wait for the first try to join; raise the layer's error while it fails."""
        await asyncio.shield(self.tried)
        if self.error is not None:
            raise self.error

    async def _join(self) -> None:
        if not self.channel_name:
            self.channel_name = await self.layer.new_channel()
        await self.layer.group_add(EVERYONE, self.channel_name)

    async def _receive(self) -> None:
        delay, joined = RETRY_FIRST, False
        while True:
            try:
                if not joined:  # first, and after a failure (a restarted Redis forgot us)
                    await self._join()
                    if self.error is not None:
                        logger.info("broadcasts resumed: channel layer back")
                    joined, self.error = True, None
                    if not self.tried.done():
                        self.tried.set_result(None)
                event = await self.layer.receive(self.channel_name)
                if event.get("type") == STOP:
                    return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.stopping or _cancelling():  # a cancelled read may end as an error
                    return
                if self.error is None:
                    logger.warning("broadcasts paused: channel layer failing", extra={
                        "error": repr(exc)})  # fmt: skip
                self.error, joined = exc, False
                if not self.tried.done():
                    self.tried.set_result(None)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            delay = RETRY_FIRST
            try:
                self._deliver(event)
            except Exception:  # one bad message must not stop the process's broadcasts
                logger.exception("broadcast not delivered")

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(REJOIN_EVERY)
            if self.error is None:
                with contextlib.suppress(Exception):  # the receive loop sees a failing layer
                    await self._join()

    def _deliver(self, event: dict[str, Any]) -> None:
        if event.get("type") != "push":
            logger.warning("broadcast of an unknown type dropped", extra={
                "event_type": event.get("type")})  # fmt: skip
            return
        message = event["message"]
        text = json.dumps(message)  # once, for every socket (as AsyncJsonWebsocketConsumer would)
        for socket in self.sockets:
            socket.deliver(message, text)


# Per event loop (a test's loop ends; a process has one) and channel layer (tests swap it).
_fanouts: dict[tuple[asyncio.AbstractEventLoop, Any], LocalFanout] = {}


async def fanout_join(*, socket: LocalSocket, layer: Any) -> None:
    """Deliver the broadcasts of ``everyone`` to ``socket``. Raises while the channel layer
    fails (the socket stays registered: broadcasts reach it once the layer is back)."""
    key = (asyncio.get_running_loop(), layer)
    fanout = _fanouts.get(key)
    if fanout is None:
        fanout = _fanouts[key] = LocalFanout(layer)
        fanout.start()
    fanout.sockets.add(socket)
    await fanout.joined()


async def fanout_leave(*, socket: LocalSocket, layer: Any) -> None:
    """Stop delivering to ``socket``; the last socket of the process takes the channel out of
    the group."""
    key = (asyncio.get_running_loop(), layer)
    fanout = _fanouts.get(key)
    if fanout is None:
        return
    fanout.sockets.discard(socket)
    if not fanout.sockets:
        del _fanouts[key]
        await fanout.stop()


def fanout_sockets() -> int:
    """How many sockets the fan-outs of this process deliver to (for tests and metrics)."""
    return sum(len(fanout.sockets) for fanout in _fanouts.values())


def fanouts_forget() -> None:
    """Forget the fan-outs of event loops that have ended (a test's loop; a server's loop
    lasts as long as the process). Their channels leave the groups as any expire."""
    for key in [key for key in _fanouts if key[0].is_closed()]:
        del _fanouts[key]
