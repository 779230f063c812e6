"""Circuit breakers: a dependency that failed is left alone for a while.

A dead Redis answers "connection refused" at once, but a frozen one (accepting connections,
never answering) costs every caller its whole socket timeout: at 1 s a call, a few requests
would occupy every worker. After one failure the breaker *opens*: callers skip the
dependency for ``cooldown`` seconds and take their fallback (a cache miss, a per-process
throttle, a push left to the client's resume). Then one caller is let through as a probe:
success closes the breaker, failure opens it for another ``cooldown``. Per process, thread
safe, no I/O of its own.
"""

import logging
import threading
import time

from observability.metrics import CIRCUIT_OPEN

logger = logging.getLogger("collabhub.breaker")


class CircuitBreaker:
    def __init__(self, name: str, *, cooldown: float | None = None) -> None:
        self.name = name
        self._cooldown = cooldown
        self._lock = threading.Lock()
        self._open_until = 0.0  # 0: closed; else skip calls until this monotonic time

    @property
    def cooldown(self) -> float:
        from django.conf import settings

        return self._cooldown if self._cooldown is not None else settings.CIRCUIT_BREAKER_COOLDOWN

    @property
    def is_open(self) -> bool:
        return self._open_until > 0.0

    def allow(self) -> bool:
        """Whether the caller may use the dependency now (closed, or the one probe)."""
        if self._open_until == 0.0:
            return True
        with self._lock:
            now = time.monotonic()
            if self._open_until == 0.0:
                return True
            if now < self._open_until:
                return False
            # This caller is the probe; the others wait another cooldown (also if the probe
            # never reports back).
            self._open_until = now + self.cooldown
            return True

    def success(self) -> None:
        if self._open_until == 0.0:
            return
        with self._lock:
            if self._open_until:
                logger.info("dependency back: circuit closed", extra={"dependency": self.name})
            self._open_until = 0.0

    def failure(self, exc: BaseException | None = None) -> None:
        with self._lock:
            opened = self._open_until == 0.0
            self._open_until = time.monotonic() + self.cooldown
        if opened:
            CIRCUIT_OPEN.labels(dependency=self.name).inc()
            logger.warning(
                "dependency failing: circuit open",
                extra={"dependency": self.name, "cooldown_s": self.cooldown, "error": repr(exc)},
            )

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker(name: str) -> CircuitBreaker:
    """The process's breaker for one dependency (``redis``, ``channel_layer``, ``broker``);
    its cooldown is ``CIRCUIT_BREAKER_COOLDOWN``."""
    with _breakers_lock:
        if name not in _breakers:
            _breakers[name] = CircuitBreaker(name)
        return _breakers[name]


def breakers_reset() -> None:
    """Close every breaker (a test that brought its dependency back on purpose)."""
    with _breakers_lock:
        for each in _breakers.values():
            each.reset()
