"""DRF's throttles, counting in Redis when it answers and per process when it does not: an
outage neither fails requests (500) nor lifts the limits (unlimited sign-in attempts)."""

from rest_framework import throttling

from observability.cache import FailoverCache

throttle_cache = FailoverCache()


class AnonRateThrottle(throttling.AnonRateThrottle):
    cache = throttle_cache


class UserRateThrottle(throttling.UserRateThrottle):
    cache = throttle_cache


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    cache = throttle_cache
