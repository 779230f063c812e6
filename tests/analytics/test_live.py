"""The live dashboard's feed: the snapshot staff get every few seconds, the alerts, and the
page (staff only, under the CSP, linked from the admin)."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from analytics import counters, live, selectors
from realtime.messages import ANALYTICS_GROUP
from tests.accounts.factories import UserFactory
from tests.support import ROOT

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 30, 15, tzinfo=UTC)
PAGE = "/staff/analytics/"


def requests(n: int, status: int = 200, ms: float = 20, at: datetime = NOW) -> None:
    from analytics.receivers import latency_bucket

    for _ in range(n):
        counters.count("api_requests", f"{status // 100}xx", at=at)
        counters.count("api_latency_ms", latency_bucket(ms / 1000), at=at)


def test_the_snapshot_has_each_ranges_totals_as_the_dashboard_computes_them() -> None:
    counters.count("signups", at=NOW - timedelta(minutes=3))
    counters.count("signups", at=NOW - timedelta(hours=3))
    counters.count("events", "application_created", at=NOW)
    counters.count("active_user", "7", at=NOW)
    requests(4, at=NOW - timedelta(minutes=1))

    snapshot = live.live_snapshot(now=NOW)

    for timerange in selectors.RANGES:
        assert (
            snapshot["totals"][timerange]
            == (selectors.dashboard_get(timerange=timerange, now=NOW)["totals"])
        )
    assert snapshot["totals"]["1h"]["signups"] == 1
    assert snapshot["totals"]["24h"]["signups"] == 2
    assert snapshot["totals"]["1h"]["applications"] == 1


def test_the_snapshot_has_the_latest_buckets_for_the_charts() -> None:
    counters.count("signups", at=NOW)
    counters.count("signups", at=NOW - timedelta(minutes=1))
    counters.count("signups", at=NOW - timedelta(minutes=2))  # no longer the latest

    buckets = live.live_snapshot(now=NOW)["buckets"]

    assert sorted(buckets["m"]) == ["2026-11-30T12:29:00+00:00", "2026-11-30T12:30:00+00:00"]
    assert buckets["m"]["2026-11-30T12:30:00+00:00"]["signups"] == 1
    assert buckets["h"]["2026-11-30T12:00:00+00:00"]["signups"] == 3
    assert buckets["d"]["2026-11-30T00:00:00+00:00"]["signups"] == 3
    # The same figures as the dashboard's series for that point.
    series = selectors.dashboard_get(timerange="1h", now=NOW)["series"]
    at = series["t"].index("2026-11-30T12:30:00+00:00")
    for name, value in buckets["m"]["2026-11-30T12:30:00+00:00"].items():
        assert series[name][at] == value


def test_the_last_five_minutes_give_the_request_rate_error_rate_and_p95() -> None:
    requests(90, ms=20, at=NOW - timedelta(minutes=2))
    requests(10, status=503, ms=1500, at=NOW)
    requests(50, at=NOW - timedelta(minutes=6))  # before the window

    recent = live.live_snapshot(now=NOW)["recent"]

    assert recent["api_requests"] == 100
    # Over four whole minutes and the 15 s of the current one.
    assert recent["api_requests_per_minute"] == pytest.approx(100 / 4.25, abs=0.001)
    assert recent["error_rate"] == pytest.approx(0.1)
    assert recent["p95_ms"] == 1600.0  # the bucket holding the 95th of 100 requests


def snapshot_with(requests: int, error_rate: float, p95: float | None) -> dict[str, Any]:
    return {
        "recent": {
            "minutes": 5,
            "api_requests": requests,
            "api_requests_per_minute": requests / 5,
            "error_rate": error_rate,
            "p95_ms": p95,
        }
    }


def test_alerts_fire_at_their_thresholds(settings) -> None:
    settings.ANALYTICS_ALERT_ERROR_RATE = 0.05
    settings.ANALYTICS_ALERT_P95_MS = 800
    settings.ANALYTICS_ALERT_MIN_REQUESTS = 20

    # A p95 in the (400, 800] ms bucket is not certainly over 800 ms.
    assert live.alerts_evaluate(snapshot=snapshot_with(100, 0.049, 800), health="healthy") == {}
    # In the (800, 1600] ms bucket it is.
    raised = live.alerts_evaluate(snapshot=snapshot_with(100, 0.05, 1600), health="healthy")
    assert set(raised) == {"error_rate", "p95"}
    assert raised["error_rate"]["value"] == 0.05 and raised["p95"]["value"] == 800
    assert "5.0%" in raised["error_rate"]["message"]
    assert raised["p95"]["message"] == "API p95 latency was over 800 ms in the last 5 minutes."
    # Too few requests to judge: a single failed call is not an outage.
    assert live.alerts_evaluate(snapshot=snapshot_with(19, 1.0, 3200), health="healthy") == {}
    degraded = live.alerts_evaluate(snapshot=snapshot_with(0, 0.0, None), health="degraded")
    assert degraded["health"]["message"] == "/health/ reports degraded."


def test_each_alert_is_pushed_when_raised_and_when_resolved_and_every_update_lists_them(
    settings, group_inbox, monkeypatch
) -> None:
    settings.ANALYTICS_ALERT_MIN_REQUESTS = 20
    inbox = group_inbox(ANALYTICS_GROUP)
    health = ["healthy"]
    monkeypatch.setattr(live, "_health_status", lambda: health[0])

    live.live_publish()
    (update,) = inbox()
    assert update["type"] == "metric_update" and update["data"]["alerts"] == []
    assert update["id"] is None and isinstance(update["data"]["published_at"], float)

    health[0] = "degraded"
    live.live_publish()
    alert, update = inbox()
    assert alert["type"] == "system_alert"
    assert alert["data"]["code"] == "health" and alert["data"]["status"] == "raised"
    assert [a["code"] for a in update["data"]["alerts"]] == ["health"]

    live.live_publish()  # still degraded: listed, not raised again
    (update,) = inbox()
    assert update["type"] == "metric_update" and len(update["data"]["alerts"]) == 1

    health[0] = "healthy"
    live.live_publish()
    resolved, update = inbox()
    assert resolved["data"] == {**alert["data"], "status": "resolved"}
    assert update["data"]["alerts"] == []


def test_without_the_cache_this_process_remembers_the_alerts_it_raised(
    group_inbox, monkeypatch
) -> None:
    from observability.breaker import breaker

    inbox = group_inbox(ANALYTICS_GROUP)
    monkeypatch.setattr(live, "_health_status", lambda: "degraded")
    monkeypatch.setattr(live.cache, "get", lambda *args, **kwargs: None)  # a miss, as when down
    monkeypatch.setattr(live.cache, "set", lambda *args, **kwargs: None)  # a write not made
    breaker("redis").failure(ConnectionError("redis down"))
    try:
        live.live_publish()
        live.live_publish()
    finally:
        breaker("redis").reset()
    alerts = [m for m in inbox() if m["type"] == "system_alert"]
    assert [a["data"]["status"] for a in alerts] == ["raised"]  # once, not every period


def test_a_sign_up_shows_in_the_next_update(client_for, committed, group_inbox) -> None:
    inbox = group_inbox(ANALYTICS_GROUP)
    live.live_publish()
    before = inbox()[-1]["data"]["totals"]["1h"]["signups"]
    with committed():
        response = client_for(None).post(
            "/api/v1/auth/register/",
            {"email": "new@example.com", "password": "a long enough passphrase 1",
             "name": "New", "role": "talent"},
            format="json",
        )  # fmt: skip
        assert response.status_code == 201

    live.live_publish()

    assert inbox()[-1]["data"]["totals"]["1h"]["signups"] == before + 1


# --- the page ---------------------------------------------------------------------------------
def test_the_page_is_for_staff_only() -> None:
    anonymous = Client()
    response = anonymous.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={PAGE}"

    member = Client()
    member.force_login(UserFactory())
    response = member.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert b"chart" not in response.content


def test_staff_get_the_page_with_its_vendored_scripts_under_the_csp() -> None:
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))

    response = staff.get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js" defer></script>' in html
    assert '<script src="/static/analytics/dashboard.js" defer></script>' in html
    assert "<script>" not in html and " on" + "click=" not in html  # nothing inline
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert 'data-total="signups"' in html


def test_the_admin_index_links_to_it() -> None:
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert f'href="{PAGE}"' in staff.get("/admin/").content.decode()


def test_the_vendored_libraries_are_the_registry_files_recorded_in_the_manifest() -> None:
    check = subprocess.run(
        [sys.executable, "scripts/vendor.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    manifest = json.loads((ROOT / "collabhub/static/vendor/vendor.json").read_text())
    assert manifest["chart.js"]["version"] == "4.5.1"
    assert manifest["chart.js"]["integrity"].startswith("sha512-")
