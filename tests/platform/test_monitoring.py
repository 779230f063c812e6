"""The monitoring stack agrees with promtool and with the series the code exports.

deploy/monitoring/ holds Prometheus's configuration, the alert rules and their unit tests, and
Grafana's provisioning and dashboards (docker-compose.yml's profile "monitoring"; the compose
side is tested in test_deployment.py). promtool (Debian's package ``prometheus``) checks the
configuration and the rules and runs the rules' unit tests; every dashboard query is parsed by
promtool too. Every metric a rule or a panel names must be in our exposition
(``observability.metrics.exposition()``) or in the exporters' short list below.

Without promtool these tests are skipped on a developer's machine; in CI (CI=true, or
REQUIRE_PROMTOOL=1) a missing promtool fails them.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from observability import metrics
from tests.support import ROOT

MONITORING = ROOT / "deploy" / "monitoring"
PROMETHEUS_YML = MONITORING / "prometheus.yml"
RULES = MONITORING / "rules" / "alerts.yml"
RULE_TESTS = MONITORING / "rules" / "alerts_test.yml"
DASHBOARDS = MONITORING / "grafana" / "dashboards"
DATASOURCES = MONITORING / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
DASHBOARD_PROVIDERS = MONITORING / "grafana" / "provisioning" / "dashboards" / "collabhub.yml"

PROMTOOL = shutil.which("promtool")
PROMTOOL_REQUIRED = os.environ.get("REQUIRE_PROMTOOL") == "1" or os.environ.get("CI") == "true"

# The seed's eight alerts (issue 17), and one more: a target that stops answering.
SEED_ALERTS = {
    "HighErrorRate",
    "DatabaseUnreachable",
    "RedisDown",
    "HighLatencyP95",
    "HighMemoryUsage",
    "HighCpuUsage",
    "LowCacheHitRatio",
    "CeleryBacklog",
}
DASHBOARD_TITLES = {
    "collabhub-overview": "CollabHub / Overview",
    "collabhub-api": "CollabHub / API latency and errors",
    "collabhub-feed": "CollabHub / Feed and recommendations",
    "collabhub-realtime-celery": "CollabHub / Real time and Celery",
    "collabhub-business": "CollabHub / Experiments and business figures",
}

# Series that come from elsewhere than our code, each one used by a rule or a panel. Keep this
# list short and exact: a name here is not checked against anything else.
EXPORTER_METRICS = {
    "up",  # Prometheus itself: 1 when a target's scrape succeeded
    # redis_exporter (oliver006/redis_exporter)
    "redis_up",
    "redis_connected_clients",
    "redis_memory_used_bytes",
    "redis_commands_processed_total",
    # postgres_exporter (prometheuscommunity/postgres-exporter)
    "pg_up",
    # node_exporter (prom/node-exporter): host CPU and memory
    "node_cpu_seconds_total",
    "node_memory_MemAvailable_bytes",
    "node_memory_MemTotal_bytes",
}

# What Grafana puts in place of its variables before a query reaches Prometheus (a dashboard's
# own query variables become their "All" value).
GRAFANA_BUILTINS = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
}


# --- helpers -----------------------------------------------------------------------------
def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    if PROMTOOL is None:
        if PROMTOOL_REQUIRED:
            pytest.fail(
                "promtool is required here (CI / REQUIRE_PROMTOOL=1): apt-get install prometheus"
            )
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return subprocess.run(
        [PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _alert_rules() -> list[dict[str, Any]]:
    return [rule for group in _load_yaml(RULES)["groups"] for rule in group["rules"]]


def _dashboards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))}


def _strip_strings(expr: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)


# Words that are PromQL syntax, never metric names, where they stand without "(" after them.
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                "or", "unless", "offset", "inf", "nan"}  # fmt: skip


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (promtool has parsed it already)."""
    text = _strip_strings(expr)
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    # Label lists: sum by (le, route), on (instance), group_left (job) ...
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.:])[A-Za-z_:][\w:]*", text):
        word = match.group()
        if text[match.end() :].lstrip().startswith("("):  # a function or an aggregation
            continue
        if word.lower() not in PROMQL_WORDS:
            names.add(word)
    return names


def grafana_substitute(expr: str, variables: dict[str, str]) -> str:
    """``expr`` as Grafana sends it: its built-in and dashboard variables replaced."""
    values = {**GRAFANA_BUILTINS, **variables}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in values, f"unknown Grafana variable ${name} in {expr!r}"
        return values[name]

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", replace, expr)


def _variables(dashboard: dict[str, Any]) -> dict[str, str]:
    return {v["name"]: v.get("allValue") or ".*" for v in dashboard["templating"]["list"]}


def _variable_query(variable: dict[str, Any]) -> str:
    query = variable["query"]
    return query["query"] if isinstance(query, dict) else query


def dashboard_queries() -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target and query variable, variables substituted."""
    queries = []
    for name, dashboard in _dashboards().items():
        variables = _variables(dashboard)
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                where = f"{name} / {panel['title']} / {target['refId']}"
                queries.append((where, grafana_substitute(target["expr"], variables)))
        for variable in dashboard["templating"]["list"]:
            match = re.fullmatch(r"label_values\((.+),\s*\w+\)", _variable_query(variable))
            assert match, f"{name}: variable {variable['name']}: only label_values(series, label)"
            queries.append((f"{name} / ${variable['name']}", match.group(1)))
    return queries


def exported_metric_names() -> set[str]:
    """Every sample name our exposition can carry, from its HELP and TYPE lines."""
    names = set()
    for kind, name, rest in re.findall(
        r"^# (HELP|TYPE) (\S+) ?(.*)$", metrics.exposition().decode(), re.M
    ):
        names.add(name)
        if kind == "TYPE" and rest in ("histogram", "summary"):
            names |= {f"{name}_sum", f"{name}_count"} | (
                {f"{name}_bucket"} if rest == "histogram" else set()
            )
        if kind == "TYPE" and rest == "counter" and not name.endswith("_total"):
            names.add(f"{name}_total")
    # Read from outside the process at scrape time (the broker's queues): absent here when
    # there is no broker, so named by what each collector describes.
    for collector in metrics.scrape_collectors():
        names |= {family.name for family in collector.describe()}  # type: ignore[attr-defined]
    return names


# --- the helpers themselves ----------------------------------------------------------------
def test_metric_names_are_found_in_every_position() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{route!~"x|y"}[5m])))'
        " / ignoring(job) group_left (instance) b_total offset 1h"
        ' and on (instance) c > bool 1e3 or label_replace(d, "dst", "$1", "src", "(.*)")'
        " unless max without (cpu) (e[1h:5m])"
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "c", "d", "e"}


def test_grafana_variables_are_substituted_and_unknown_ones_refused() -> None:
    assert grafana_substitute('rate(x{a=~"$route"}[$__rate_interval])', {"route": ".*"}) == (
        'rate(x{a=~".*"}[1m])'
    )
    with pytest.raises(AssertionError):
        grafana_substitute("rate(x[$__nope])", {})


# --- Prometheus configuration --------------------------------------------------------------
def test_prometheus_config_passes_promtool(tmp_path: Path) -> None:
    """The whole check (rule files included). The bearer token file exists only inside the
    container, so the copy checked here points it at a stand-in; nothing else changes."""
    config = PROMETHEUS_YML.read_text()
    token = tmp_path / "metrics_token"
    token.write_text("stand-in")
    assert config.count("credentials_file: /run/secrets/metrics_token") == 2  # web, realtime
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/run/secrets/metrics_token", str(token))
    )
    shutil.copytree(RULES.parent, tmp_path / "rules")

    result = promtool("check", "config", "prometheus.yml", cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout + result.stderr
    syntax = promtool("check", "config", "--syntax-only", str(PROMETHEUS_YML))
    assert syntax.returncode == 0, syntax.stdout + syntax.stderr


def test_prometheus_config_check_fails_on_a_broken_config(tmp_path: Path) -> None:
    broken = tmp_path / "prometheus.yml"
    broken.write_text(
        PROMETHEUS_YML.read_text().replace("scrape_interval: 15s", "scrape_interval: soon")
    )

    assert promtool("check", "config", "--syntax-only", str(broken)).returncode != 0


def test_web_and_realtime_are_scraped_with_the_token_the_rest_without() -> None:
    jobs = {job["job_name"]: job for job in _load_yaml(PROMETHEUS_YML)["scrape_configs"]}
    assert {"web", "realtime", "worker", "redis", "postgres", "node"} <= set(jobs)
    for name in ("web", "realtime"):
        assert jobs[name]["metrics_path"] == "/metrics/"
        assert jobs[name]["authorization"]["type"] == "Bearer"
        assert jobs[name]["authorization"]["credentials_file"] == "/run/secrets/metrics_token"
        assert "credentials" not in jobs[name]["authorization"], "never the token itself"
    assert "authorization" not in jobs["worker"]
    assert _load_yaml(PROMETHEUS_YML)["rule_files"] == ["rules/alerts.yml"]


# --- alert rules -----------------------------------------------------------------------------
def test_alert_rules_pass_promtool_check() -> None:
    result = promtool("check", "rules", str(RULES))

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_alert_rules())} rules found" in result.stdout


def test_alert_rule_unit_tests_pass() -> None:
    result = promtool("test", "rules", str(RULE_TESTS))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (") > 0.05", ") > 0.03"),  # a lower error threshold: 4 % would fire
        ("for: 5m", "for: 2m"),  # shorter: fires before 5 minutes
        ("pg_up == 0", "pg_up == 2"),  # never fires
    ],
)
def test_the_rule_unit_tests_catch_a_changed_rule(tmp_path: Path, old: str, new: str) -> None:
    shutil.copytree(RULES.parent, tmp_path, dirs_exist_ok=True)
    rules = tmp_path / RULES.name
    assert old in rules.read_text()
    rules.write_text(rules.read_text().replace(old, new, 1))

    result = promtool("test", "rules", str(tmp_path / RULE_TESTS.name))

    assert result.returncode != 0, f"changing {old!r} to {new!r} went unnoticed"


def test_the_seed_alerts_exist_with_severity_and_annotations() -> None:
    rules = _alert_rules()
    names = [rule["alert"] for rule in rules]
    assert set(names) >= SEED_ALERTS, SEED_ALERTS - set(names)
    assert len(names) == len(set(names)), "one rule per alert name"
    for rule in rules:
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        assert rule["annotations"]["description"].strip(), rule["alert"]
        assert rule.get("for"), f"{rule['alert']}: a blip must not page anyone"


def test_every_alert_is_unit_tested_firing_and_not_firing() -> None:
    tests = _load_yaml(RULE_TESTS)
    assert tests["rule_files"] == [RULES.name]
    fires, silent = set(), set()
    for case in tests["tests"]:
        for check in case.get("alert_rule_test", []):
            (fires if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {rule["alert"] for rule in _alert_rules()}
    assert names - fires == set(), f"never shown firing: {names - fires}"
    assert names - silent == set(), f"never shown not firing: {names - silent}"


# --- Grafana ---------------------------------------------------------------------------------
def _datasource() -> dict[str, Any]:
    (datasource,) = _load_yaml(DATASOURCES)["datasources"]
    return datasource


def test_grafana_provisions_prometheus_and_the_dashboard_folder() -> None:
    datasource = _datasource()
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    assert datasource["isDefault"] is True
    (provider,) = _load_yaml(DASHBOARD_PROVIDERS)["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/etc/grafana/dashboards"


def test_the_five_dashboards_are_there() -> None:
    found = {board["uid"]: board["title"] for board in _dashboards().values()}
    assert found == DASHBOARD_TITLES


@pytest.mark.parametrize("name", sorted(path.name for path in DASHBOARDS.glob("*.json")))
def test_dashboard_is_what_the_provider_loads(name: str) -> None:
    board = _dashboards()[name]
    uid = _datasource()["uid"]
    assert re.fullmatch(r"[a-z0-9-]{1,40}", board["uid"])
    assert board["title"] and isinstance(board["schemaVersion"], int)
    assert board["panels"], "a dashboard with nothing on it"
    assert len({panel["id"] for panel in board["panels"]}) == len(board["panels"])
    for panel in board["panels"]:
        where = f"{name} / {panel.get('title')}"
        assert panel["title"] and panel["type"] in ("timeseries", "stat", "gauge", "piechart")
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, where
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"]), where
        assert panel["targets"], where
        for target in panel["targets"]:
            assert target["expr"].strip() and target["refId"], where
            assert target.get("datasource", panel["datasource"]) == panel["datasource"], where
        for target in panel["targets"]:
            # A counter's rate over a fixed window misses scrapes on a zoomed-out graph.
            if re.search(r"\b(rate|increase)\(", target["expr"]) and panel["type"] == "timeseries":
                assert "$__rate_interval" in target["expr"] or "[1h]" in target["expr"], where


def test_every_dashboard_query_parses(tmp_path: Path) -> None:
    queries = dashboard_queries()
    assert len(queries) > 50
    rules = {
        "groups": [
            {
                "name": "dashboards",
                "rules": [
                    {"record": f"dashboard:query_{i}", "expr": expr}
                    for i, (_, expr) in enumerate(queries)
                ],
            }
        ]
    }
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules))

    result = promtool("check", "rules", str(path))

    assert result.returncode == 0, result.stdout + result.stderr


def test_a_query_that_does_not_parse_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    rules = {"record": "dashboard:bad", "expr": "sum(rate(x[$__rate_interval]))"}  # unsubstituted
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [rules]}]}))

    assert promtool("check", "rules", str(path)).returncode != 0


# --- every metric named exists ------------------------------------------------------------
@pytest.fixture
def exported(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """This process's own registry: every series with its HELP and TYPE, values or not."""
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    return exported_metric_names()


@pytest.mark.django_db
def test_every_series_the_code_defines_is_exported(exported: set[str]) -> None:
    """A Counter, Gauge or Histogram defined in observability.metrics but left out of its
    SERIES would be missing from a single-process /metrics/ (daphne, the dev server)."""
    defined = {
        series._name + ("_total" if series._type == "counter" else "")
        for series in vars(metrics).values()
        if isinstance(series, MetricWrapperBase)
    }
    assert defined - exported == set()


@pytest.mark.django_db
def test_every_metric_the_alerts_name_exists(exported: set[str]) -> None:
    missing = {
        f"{rule['alert']}: {name}"
        for rule in _alert_rules()
        for name in metric_names(rule["expr"])
        if name not in exported | EXPORTER_METRICS
    }
    assert missing == set(), f"not in our exposition nor the exporters' list: {sorted(missing)}"


@pytest.mark.django_db
def test_every_metric_the_dashboards_name_exists(exported: set[str]) -> None:
    missing = {
        name
        for _, expr in dashboard_queries()
        for name in metric_names(expr)
        if name not in exported | EXPORTER_METRICS
    }
    assert missing == set(), f"not in our exposition nor the exporters' list: {sorted(missing)}"


@pytest.mark.django_db
def test_the_exporters_list_holds_only_names_in_use(exported: set[str]) -> None:
    used = {name for _, expr in dashboard_queries() for name in metric_names(expr)}
    used |= {name for rule in _alert_rules() for name in metric_names(rule["expr"])}
    assert EXPORTER_METRICS - used == set(), "remove names nothing uses"
    assert EXPORTER_METRICS & exported == set(), "ours: they need no entry here"


def test_the_cache_alert_reads_the_caches_the_apps_name() -> None:
    """The hit-ratio alert is about the result caches: each name it selects is one the apps
    register (a renamed cache would silently leave the alert with nothing to read)."""
    from observability.cache import cache_name_for

    rules = (ROOT / "deploy/monitoring/rules/alerts.yml").read_text()
    selected = set(re.findall(r'cache=~"([^"]+)"', rules))
    assert len(selected) == 1
    names = selected.pop().split("|")
    assert set(names) == {"recommendations", "trending", "search"}
    assert cache_name_for("recs:result:talent:1") == "recommendations"
    assert cache_name_for("recs:features:trending:startups") == "trending"
    assert cache_name_for("search:startups:abc") == "search"
    assert cache_name_for("recs:stamp:startup:1") == "recommendations_meta"  # left out
