"""The circuit breaker: open after a failure, one probe per cooldown, closed by success."""

import time

from observability.breaker import CircuitBreaker


def test_a_failure_opens_it_for_the_cooldown_then_one_caller_probes() -> None:
    guard = CircuitBreaker("test", cooldown=0.2)
    assert guard.allow()

    guard.failure(ConnectionError("refused"))
    assert guard.is_open
    assert not guard.allow()  # skipped during the cooldown
    time.sleep(0.25)
    assert guard.allow()  # the probe
    assert not guard.allow()  # ... only one: the others wait another cooldown

    guard.success()
    assert not guard.is_open
    assert guard.allow() and guard.allow()


def test_a_failed_probe_opens_it_again_and_a_silent_one_expires() -> None:
    guard = CircuitBreaker("test", cooldown=0.1)
    guard.failure(TimeoutError())
    time.sleep(0.15)
    assert guard.allow()
    guard.failure(TimeoutError())  # the probe failed
    assert not guard.allow()
    time.sleep(0.15)
    assert guard.allow()  # a probe that never reported does not keep it shut for good


def test_a_cache_call_that_does_no_io_neither_probes_nor_closes_it(settings) -> None:
    """Django closes caches after every request: that must not count as Redis answering."""
    from observability.cache import _GuardedClient

    class Client:
        def close(self) -> None:
            pass

        def make_key(self, key: str) -> str:
            return key

    guard = CircuitBreaker("test", cooldown=0.05)
    client = _GuardedClient(Client(), guard)
    guard.failure(ConnectionError())
    time.sleep(0.1)

    client.close()
    assert client.make_key("k") == "k"

    assert guard.is_open  # still open: its probe is still to come
    assert guard.allow()
