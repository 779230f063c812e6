"""Assignment: a stable hash picks the bucket; sticky, close to the weights, the same in every
process, and raising the allocation keeps everyone who was in on their variant."""

import subprocess
import sys
from collections import Counter

from experiments.assignment import variant_assign

VARIANTS = [
    {"key": "control", "weight": 20, "config": {}},
    {"key": "b", "weight": 30, "config": {}},
    {"key": "c", "weight": 50, "config": {}},
]


def assign(user_id: int, *, key: str = "exp", allocation: int = 100) -> str | None:
    variant = variant_assign(
        key=key, variants=VARIANTS, traffic_allocation=allocation, user_id=user_id
    )
    return variant["key"] if variant else None


def test_the_split_is_close_to_the_weights_over_10000_people() -> None:
    counts = Counter(assign(user_id) for user_id in range(1, 10_001))
    assert abs(counts["control"] - 2000) < 200
    assert abs(counts["b"] - 3000) < 200
    assert abs(counts["c"] - 5000) < 200
    assert None not in counts


def test_the_same_person_always_gets_the_same_variant() -> None:
    first = [assign(user_id) for user_id in range(1, 500)]
    assert [assign(user_id) for user_id in range(1, 500)] == first


def test_another_experiment_splits_people_independently() -> None:
    same = sum(assign(u, key="one") == assign(u, key="two") for u in range(1, 10_001))
    # Independent splits agree with probability 0.2² + 0.3² + 0.5² = 0.38.
    assert abs(same - 3800) < 300


def test_the_allocation_admits_its_share_and_raising_it_keeps_everyone_in_place() -> None:
    at_30 = {u: assign(u, allocation=30) for u in range(1, 10_001)}
    at_60 = {u: assign(u, allocation=60) for u in range(1, 10_001)}
    admitted = [u for u, variant in at_30.items() if variant is not None]
    assert abs(len(admitted) - 3000) < 200
    assert all(at_60[u] == at_30[u] for u in admitted)
    assert abs(sum(v is not None for v in at_60.values()) - 6000) < 250
    assert all(assign(u, allocation=0) is None for u in range(1, 200))


def test_another_process_with_another_hash_seed_assigns_the_same() -> None:
    code = (
        "from experiments.assignment import variant_assign as a; import json, sys; "
        f"v = {VARIANTS!r}; "
        "print(json.dumps([a(key='exp', variants=v, traffic_allocation=100, user_id=u)['key'] "
        "for u in range(1, 200)]))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
        cwd=".",
        timeout=60,
    ).stdout
    assert output.strip() == str([assign(u) for u in range(1, 200)]).replace("'", '"')
