"""Who gets which variant: a stable hash of (experiment key, user id), the same in every
process and on every request, with nothing stored. Two independent hashes decide whether a
person enters at all (``traffic_allocation``) and, if so, which variant (by the weights), so
raising the allocation later keeps everyone who was in on their variant."""

import hashlib
from typing import Any

SCALE = 10_000  # buckets: weights and allocations are whole percents, so this is exact


def bucket(*, salt: str, key: str, user_id: int) -> int:
    """0 .. SCALE-1, uniform and stable (SHA-256, not Python's per-process ``hash``)."""
    digest = hashlib.sha256(f"{salt}:{key}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SCALE


def variant_assign(
    *, key: str, variants: list[dict[str, Any]], traffic_allocation: int, user_id: int
) -> dict[str, Any] | None:
    """The variant this person sees, or None when they are outside the allocation."""
    if bucket(salt="allocation", key=key, user_id=user_id) >= traffic_allocation * SCALE // 100:
        return None
    point = bucket(salt="variant", key=key, user_id=user_id)
    total = sum(variant["weight"] for variant in variants)
    edge = 0
    for variant in variants:
        edge += variant["weight"] * SCALE // total
        if point < edge:
            return variant
    return variants[-1]  # rounding: the last bucket or so
