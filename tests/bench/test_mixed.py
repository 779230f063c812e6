"""The pure parts of the mixed benchmark (``bench/mixed.py``): the request mix, the files wrk
reads and writes, the statistics and the CPU split."""

import importlib.util
import sys
from pathlib import Path

import pytest

# Loaded by path: putting bench/ on sys.path would shadow the apps (bench/search.py...).
_spec = importlib.util.spec_from_file_location(
    "bench_mixed", Path(__file__).resolve().parents[2] / "bench" / "mixed.py"
)
assert _spec is not None and _spec.loader is not None
mixed = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = mixed  # dataclasses look their module up
_spec.loader.exec_module(mixed)


def users() -> list:  # of mixed.MixUser
    return [
        mixed.MixUser(id=1, email="a@x", peers=[2], opportunities=[10, 11], token="ta"),
        mixed.MixUser(id=2, email="b@x", peers=[1], opportunities=[10, 12], token="tb"),
        mixed.MixUser(id=3, email="c@x", peers=[], opportunities=[], token="tc"),
    ]


def test_every_application_is_a_fresh_pair_by_its_applicant() -> None:
    people = users()
    plan = mixed.MixPlan(people, startups=[5], terms=["x"], mix=[("apply", 1)])
    requests = plan.requests(4)
    pairs = {(people[r.user].id, r.path) for r in requests}
    assert len(pairs) == 4
    assert plan.applications_left() == 0
    with pytest.raises(RuntimeError, match="no fresh"):
        plan.requests(1)


def test_messages_go_to_connected_people_only() -> None:
    people = users()
    plan = mixed.MixPlan(people, startups=[5], terms=["x"], mix=[("message", 1)])
    for request in plan.requests(20):
        recipient = int(request.path.split("/")[4])
        assert recipient in people[request.user].peers
        assert request.method == "POST"


def test_the_mix_follows_its_weights() -> None:
    plan = mixed.MixPlan(users(), startups=[5], terms=["a b"], mix=[("list", 3), ("feed", 1)])
    kinds = [r.kind for r in plan.requests(4000)]
    assert 0.7 < kinds.count("list") / len(kinds) < 0.8
    assert set(kinds) == {"list", "feed"}


def test_request_lines_are_what_the_lua_script_splits() -> None:
    people = users()
    request = mixed.MixRequest("apply", "POST", "/p/", 1, '{"a": 1}')
    assert mixed.request_lines([request], people) == 'apply\tPOST\t/p/\ttb\t{"a": 1}\n'
    with pytest.raises(ValueError):
        mixed.request_lines([mixed.MixRequest("x", "GET", "/a\tb", 0)], people)


def test_parse_and_count_errors_by_expected_status() -> None:
    run = mixed.parse_wrk_output(
        "SUMMARY 4 2000000 0 1 0 0 3000 7000\nWRAPS 0\n"
        "list 200 1000\napply 201 3000\napply 409 5000\nlist 500 7000\n"
    )
    assert run.seconds == 2.0
    assert run.socket_errors == 1
    assert (run.wrk_p50_ms, run.wrk_p99_ms) == (3.0, 7.0)
    stats = {s.kind: s for s in mixed.kind_stats(run, ["list", "apply"])}
    assert stats["apply"].errors == 1
    assert stats["apply"].statuses == {409: 1}
    assert stats["list"].errors == 1
    assert stats["list"].p99_ms == 7.0
    assert stats["all"].errors == 3  # two statuses and a socket error
    assert stats["all"].rps == 2.0


def test_cpu_split_gives_each_process_to_its_first_group() -> None:
    # pid: (parent, group, CPU seconds). 100 is the bench script, 200 its server (201 a
    # worker), 300 PostgreSQL (301 a backend), 400 someone else, 500 new since the start.
    before = {100: (1, 100, 1.0), 200: (100, 200, 1.0), 201: (200, 200, 2.0),
              300: (1, 300, 5.0), 301: (300, 300, 0.0), 400: (1, 400, 10.0)}  # fmt: skip
    after = {100: (1, 100, 1.5), 200: (100, 200, 1.0), 201: (200, 200, 4.0),
             300: (1, 300, 5.5), 301: (300, 300, 1.0), 400: (1, 400, 11.0),
             500: (1, 500, 0.5)}  # fmt: skip
    split = mixed.cpu_split(
        before,
        after,
        {"server": {200}, "postgres": {300}, "loadgen": {100}},
        seconds=2.0,
        reaped={"loadgen": 1.0},
    )
    assert split == {"server": 100.0, "postgres": 75.0, "loadgen": 75.0, "others": 75.0}


def test_machine_busy_counts_everything_but_idle_and_iowait() -> None:
    before = [100, 0, 100, 700, 100, 0, 0, 0, 0, 0]
    after = [250, 0, 150, 900, 100, 0, 0, 0, 50, 0]  # guest time is inside user
    assert mixed.machine_busy(before, after) == pytest.approx(200 / 400)
    assert mixed.interrupt_share(before, after) == 0.0
    assert mixed.interrupt_share([0] * 8, [1, 0, 1, 1, 0, 0, 1, 0]) == pytest.approx(0.25)
