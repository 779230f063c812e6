"""The deployment files agree with the code: every entry point they name exists and imports.

No Docker engine is needed: docker-compose.yml, the Dockerfile, deploy/nginx.conf and the
Kubernetes manifests are parsed and checked as text.
"""

import importlib
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
K8S_DIR = ROOT / "deploy" / "k8s"

SERVICES = {"postgres", "redis", "migrate", "web", "realtime", "worker", "beat", "nginx"}
APP_SERVICES = ("migrate", "web", "realtime", "worker", "beat")
# "package.module:attribute", as gunicorn, daphne and uvicorn take it.
ENTRY_POINT = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


# --- helpers -----------------------------------------------------------------------------
def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def _service(name: str) -> dict[str, Any]:
    return _compose()["services"][name]


def _argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]


def _command(name: str) -> list[str]:
    return _argv(_service(name)["command"])


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the "KEY=value" list form
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def _entry_points(argv: list[str]) -> list[str]:
    return [arg for arg in argv if ENTRY_POINT.match(arg)]


def _celery_app_option(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg in ("-A", "--app") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--app="):
            return arg.split("=", 1)[1]
    return None


def _assert_entry_point_resolves(entry_point: str) -> None:
    module_name, attribute = entry_point.split(":")
    module = importlib.import_module(module_name)
    assert getattr(module, attribute, None) is not None, f"{entry_point}: no such attribute"


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def _block(text: str, header: str) -> str:
    """The body of the first ``header { ... }`` block (header matched as a regex)."""
    match = re.search(header + r"\s*\{", text)
    assert match, f"no block {header!r} in {NGINX_CONF.name}"
    depth, start = 1, match.end()
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start:i]
    raise AssertionError(f"unbalanced braces after {header!r}")


def _top_level(body: str) -> str:
    """A block's own directives, without those of nested blocks."""
    out, depth = [], 0
    for char in body:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def _directives(body: str, name: str) -> list[list[str]]:
    """Arguments of every ``name ...;`` directive directly in ``body``."""
    return [
        shlex.split(m.group(1))
        for m in re.finditer(rf"(?:^|[;\s]){name}\s+([^;]*);", _top_level(body))
    ]


def _proxy_headers(location: str, server: str) -> dict[str, str]:
    """The headers nginx really sends: a location that sets any proxy_set_header of its own
    inherits none from the server block."""
    own = _directives(location, "proxy_set_header") or _directives(server, "proxy_set_header")
    return {args[0].lower(): " ".join(args[1:]) for args in own}


def _upstream_servers(conf: str, proxy_pass: str) -> set[str]:
    """``proxy_pass http://NAME`` -> the servers of upstream NAME (or NAME itself)."""
    target = re.sub(r"^https?://", "", proxy_pass).split("/", 1)[0]
    if re.search(rf"upstream\s+{re.escape(target)}\s*\{{", conf):
        return {args[0] for args in _directives(_block(conf, rf"upstream\s+{target}"), "server")}
    return {target}


def _seconds(value: str) -> int:
    """An nginx time ("90", "90s", "5m", "1h") in seconds."""
    match = re.fullmatch(r"(\d+)([smhd]?)", value)
    assert match, f"unparsed nginx time {value!r}"
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _nginx() -> tuple[str, str]:
    conf = _strip_comments(NGINX_CONF.read_text())
    return conf, _block(conf, r"(?<![\w$])server")


def _location(path: str) -> tuple[str, str, str]:
    conf, server = _nginx()
    return conf, server, _block(server, rf"location\s+{re.escape(path)}")


def _k8s_documents() -> dict[str, list[dict[str, Any]]]:
    return {
        path.name: [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
        for path in sorted(K8S_DIR.glob("*.yaml"))
    }


def _k8s(kind: str, name: str) -> dict[str, Any]:
    for docs in _k8s_documents().values():
        for doc in docs:
            if doc["kind"] == kind and doc["metadata"]["name"] == name:
                return doc
    raise AssertionError(f"no {kind} {name} in {K8S_DIR}")


# --- docker-compose.yml -------------------------------------------------------------------
def test_compose_defines_every_service() -> None:
    missing = SERVICES - set(_compose()["services"])
    assert not missing, f"services missing from docker-compose.yml: {missing}"


def test_web_serves_http_with_gunicorn_on_wsgi() -> None:
    argv = _command("web")
    assert argv[0] == "gunicorn"
    assert "collabhub.wsgi:application" in argv
    assert "0.0.0.0:8000" in " ".join(argv)


def test_realtime_serves_the_asgi_application() -> None:
    argv = _command("realtime")
    assert argv[0] in ("daphne", "uvicorn")
    assert "collabhub.asgi:application" in argv
    assert "8001" in argv or any(arg.endswith(":8001") for arg in argv)


@pytest.mark.parametrize("role", ["worker", "beat"])
def test_celery_processes(role: str) -> None:
    argv = _command(role)
    assert argv[0] == "celery"
    assert _celery_app_option(argv) == "collabhub"
    assert role in argv[1:]


def test_migrate_runs_migrations_once_before_the_app() -> None:
    assert _command("migrate")[:3] == ["python", "manage.py", "migrate"]
    assert _service("migrate")["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "realtime", "worker", "beat"):
        depends_on = _service(name)["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["redis"]["condition"] == "service_healthy", name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_entry_point_named_in_a_command_imports(name: str) -> None:
    argv = _command(name)
    for entry_point in _entry_points(argv):
        _assert_entry_point_resolves(entry_point)
    celery_app = _celery_app_option(argv)
    if celery_app is not None:
        importlib.import_module(celery_app.split(":")[0])
        # Exactly how `celery -A` finds the application.
        assert isinstance(find_app(celery_app), Celery)


def test_entry_point_check_fails_for_a_missing_attribute() -> None:
    with pytest.raises(AssertionError):
        _assert_entry_point_resolves("collabhub.wsgi:no_such_application")
    with pytest.raises(ImportError):
        _assert_entry_point_resolves("collabhub.no_such_module:application")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_get_the_production_environment(name: str) -> None:
    service = _service(name)
    env = _environment(service)
    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    assert env["SECRET_KEY"]
    assert env["DEBUG"] == "0"
    assert "build" in service, "app services build from the project's Dockerfile"


def test_infrastructure_services_have_healthchecks() -> None:
    assert "pg_isready" in str(_service("postgres")["healthcheck"]["test"])
    assert "ping" in str(_service("redis")["healthcheck"]["test"])


def test_nginx_publishes_port_8000_and_mounts_the_conf() -> None:
    nginx = _service("nginx")
    assert nginx["image"].startswith("nginx:")
    assert any(str(port).startswith("8000:80") for port in nginx["ports"])
    mounts = {v.split(":")[0]: v.split(":")[1] for v in nginx["volumes"] if isinstance(v, str)}
    target = mounts["./deploy/nginx.conf"]
    text = _strip_comments(NGINX_CONF.read_text())
    if target == "/etc/nginx/nginx.conf":  # a whole file
        assert re.search(r"\bevents\s*\{", text) and re.search(r"\bhttp\s*\{", text)
    else:  # a server block, included inside the image's http {}
        assert target.startswith("/etc/nginx/conf.d/") and target.endswith(".conf")
        assert not re.search(r"\b(events|http)\s*\{", text)


# --- deploy/nginx.conf --------------------------------------------------------------------
def test_nginx_routes_websockets_to_realtime_with_upgrade_headers() -> None:
    conf, server, location = _location("/ws/")
    (proxy_pass,) = _directives(location, "proxy_pass")
    assert _upstream_servers(conf, proxy_pass[0]) == {"realtime:8001"}
    assert _directives(location, "proxy_http_version") == [["1.1"]]
    headers = _proxy_headers(location, server)
    assert headers["upgrade"] == "$http_upgrade"
    connection = headers["connection"]
    if connection.startswith("$"):  # a map: it must yield "upgrade" for upgrade requests
        variable = re.escape(connection)
        assert re.search(rf"map\s+\$http_upgrade\s+{variable}\s*\{{[^}}]*\bupgrade\b", conf)
    else:
        assert connection.lower() == "upgrade"
    (timeout,) = _directives(location, "proxy_read_timeout")
    assert _seconds(timeout[0]) >= 300, "WebSockets idle longer than nginx's 60s default"


def test_nginx_routes_everything_else_to_web() -> None:
    conf, _, location = _location("/")
    (proxy_pass,) = _directives(location, "proxy_pass")
    assert _upstream_servers(conf, proxy_pass[0]) == {"web:8000"}


@pytest.mark.parametrize("path", ["/ws/", "/"])
def test_nginx_forwards_client_and_request_id_headers(path: str) -> None:
    conf, server, location = _location(path)
    headers = _proxy_headers(location, server)
    assert headers["x-forwarded-proto"] == "$scheme"
    assert headers["x-forwarded-for"] in ("$remote_addr", "$proxy_add_x_forwarded_for")
    assert headers["host"] in ("$host", "$http_host")
    request_id = headers["x-request-id"]
    if request_id != "$http_x_request_id":  # a map that keeps the client's ID when present
        variable = re.escape(request_id)
        assert re.search(rf"map\s+\$http_x_request_id\s+{variable}\s*\{{", conf)


# --- Dockerfile ---------------------------------------------------------------------------
def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_dockerfile_cmd_serves_the_wsgi_application() -> None:
    instructions = _dockerfile_instructions()
    cmds = [args for op, args in instructions if op == "CMD"]
    assert cmds, "no CMD"
    assert "gunicorn" in cmds[-1]
    assert "collabhub.wsgi:application" in cmds[-1]
    assert "0.0.0.0:8000" in cmds[-1]
    assert "GUNICORN_WORKERS" in cmds[-1]


def test_dockerfile_is_production_shaped() -> None:
    instructions = _dockerfile_instructions()
    ops = [op for op, _ in instructions]
    assert instructions[0][0] == "FROM" and instructions[0][1].startswith("python:3.11-slim")
    users = [args for op, args in instructions if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "must not run as root"
    env = " ".join(args for op, args in instructions if op == "ENV")
    assert re.search(r"\bDEBUG=0\b", env)
    assert "SECRET_KEY" not in env, "the build-only key must not be baked into the image"
    runs = [args for op, args in instructions if op == "RUN"]
    (collectstatic,) = [i for i, (_, args) in enumerate(instructions) if "collectstatic" in args]
    debug_off = [
        i for i, (op, args) in enumerate(instructions) if op == "ENV" and "DEBUG=0" in args
    ]
    # Manifest storage (DEBUG off) must be in force when collectstatic runs.
    assert debug_off and debug_off[0] < collectstatic
    assert "SECRET_KEY=" in instructions[collectstatic][1], "collectstatic needs a dummy key"
    assert any("pip install --no-cache-dir -r requirements.txt" in run for run in runs)
    assert "EXPOSE" in ops


# --- deploy/k8s ---------------------------------------------------------------------------
def test_k8s_manifests_parse() -> None:
    documents = _k8s_documents()
    assert {
        "configmap.yaml",
        "web-deployment.yaml",
        "realtime-deployment.yaml",
        "worker-deployment.yaml",
        "beat-deployment.yaml",
    } <= set(documents)
    for name, docs in documents.items():
        assert docs, f"{name} is empty"
        for doc in docs:
            assert {"apiVersion", "kind", "metadata"} <= set(doc), name


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    spec = deployment["spec"]
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    (container,) = spec["template"]["spec"]["containers"]
    return container


def test_k8s_web_probes() -> None:
    container = _container(_k8s("Deployment", "collabhub-web"))
    assert container["livenessProbe"]["httpGet"]["path"] == "/live/"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready/"
    # A slow start is covered by the startup probe, not by a lax liveness probe.
    startup = container["startupProbe"]
    assert startup["httpGet"]["path"] == "/live/"
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60
    ports = {p.get("name"): p["containerPort"] for p in container["ports"]}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        port = container[probe]["httpGet"]["port"]
        assert ports.get(port, port) == 8000
        # Django rejects a Host not in ALLOWED_HOSTS; kubelet would send the pod IP.
        hosts = {h["value"] for h in container[probe]["httpGet"].get("httpHeaders", [])}
        allowed = _k8s("ConfigMap", "collabhub-config")["data"]["ALLOWED_HOSTS"].split(",")
        assert hosts and hosts <= set(allowed)


def test_k8s_commands_match_compose() -> None:
    realtime = _container(_k8s("Deployment", "collabhub-realtime"))
    assert "collabhub.asgi:application" in realtime["command"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert realtime[probe]["tcpSocket"], probe
    for name, role in (("collabhub-worker", "worker"), ("collabhub-beat", "beat")):
        argv = _container(_k8s("Deployment", name))["command"]
        assert argv[0] == "celery" and _celery_app_option(argv) == "collabhub" and role in argv
    beat = _k8s("Deployment", "collabhub-beat")["spec"]
    assert beat["replicas"] == 1 and beat["strategy"]["type"] == "Recreate"


def test_k8s_config_is_strings_and_secrets_stay_out() -> None:
    data = _k8s("ConfigMap", "collabhub-config")["data"]
    assert all(isinstance(value, str) for value in data.values()), "ConfigMap values: strings"
    assert data["DEBUG"] == "0"
    assert not {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} & set(data)
    for name in ("collabhub-web", "collabhub-realtime", "collabhub-worker", "collabhub-beat"):
        sources = _container(_k8s("Deployment", name))["envFrom"]
        assert {"secretRef": {"name": "collabhub-secrets"}} in sources, name
        assert {"configMapRef": {"name": "collabhub-config"}} in sources, name


def test_k8s_secret_example_has_every_key_and_no_real_value() -> None:
    secret = _k8s("Secret", "collabhub-secrets")
    values = secret["stringData"]
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= set(values)
    assert "replace" in values["SECRET_KEY"]
    assert "replace-me" in values["DATABASE_URL"]


def test_k8s_worker_metrics_are_scraped_where_the_worker_serves_them() -> None:
    worker = _k8s("Deployment", "collabhub-worker")
    container = _container(worker)
    env = {item["name"]: item["value"] for item in container["env"]}
    annotations = worker["spec"]["template"]["metadata"]["annotations"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == int(env["CELERY_METRICS_PORT"])
    assert ports["metrics"] == int(env["CELERY_METRICS_PORT"])
    assert env["PROMETHEUS_MULTIPROC_DIR"], "a prefork pool needs multiprocess mode"


@pytest.mark.django_db
def test_every_http_probe_path_is_served_by_the_app() -> None:
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    paths = {
        container[probe]["httpGet"]["path"]
        for kind, docs in _all_k8s_documents()
        if kind == "Deployment"
        for container in [_container(docs)]
        for probe in ("livenessProbe", "readinessProbe", "startupProbe")
        if container.get(probe, {}).get("httpGet", {}).get("port") == "http"
    }

    assert {"/live/", "/ready/"} <= paths
    for path in paths:
        assert client.get(path).status_code == 200, path


def test_the_worker_is_restarted_when_its_own_metrics_stop_answering() -> None:
    """Liveness of the worker asks the worker (its metrics server), never the broker: a
    broker outage must not get every worker killed while it reconnects."""
    container = _container(_k8s("Deployment", "collabhub-worker"))
    probe = container["livenessProbe"]["httpGet"]
    env = {item["name"]: item["value"] for item in container["env"]}
    [port] = [p["containerPort"] for p in container["ports"] if p["name"] == probe["port"]]

    assert env["CELERY_METRICS_PORT"] == str(port)
    assert probe["path"] == "/metrics"


def _all_k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    return [
        (doc["kind"], doc)
        for path in sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


# --- ops surfaces and banners (README "Security") -----------------------------------------
def test_nginx_keeps_metrics_inside_and_hides_its_version() -> None:
    _, server, location = _location("= /metrics/")
    assert _directives(location, "return") == [["404"]]
    assert not _directives(location, "proxy_pass")
    assert _directives(server, "server_tokens") == [["off"]]


def test_the_metrics_token_comes_from_the_environment_or_a_secret() -> None:
    env = _environment(_compose()["x-app"])
    assert re.fullmatch(r"\$\{METRICS_TOKEN:\?[^}]+\}", env["METRICS_TOKEN"]), env["METRICS_TOKEN"]
    assert "METRICS_TOKEN" not in _k8s("ConfigMap", "collabhub-config")["data"]
    secret = _k8s("Secret", "collabhub-secrets")["stringData"]
    assert secret["METRICS_TOKEN"].startswith("replace-with")  # a placeholder, never a value
    scrape = yaml.safe_load(_k8s("ConfigMap", "collabhub-prometheus-scrape")["data"]
                            ["collabhub-scrape.yml"])  # fmt: skip
    (web,) = [job for job in scrape["scrape_configs"] if job["metrics_path"] == "/metrics/"]
    assert web["authorization"]["credentials_file"]


# --- docker-compose.yml: the "monitoring" profile (deploy/monitoring/, README "Monitoring") ---
# Images cannot be pulled here: each is pinned to an exact release of the repository named.
MONITORING_IMAGES = {
    "prometheus": "prom/prometheus",
    "grafana": "grafana/grafana",
    "flower": "mher/flower",
    "redis-exporter": "oliver006/redis_exporter",
    "postgres-exporter": "quay.io/prometheuscommunity/postgres-exporter",
    "node-exporter": "prom/node-exporter",
}
MONITORING_DIR = ROOT / "deploy" / "monitoring"
PROMETHEUS_YML = MONITORING_DIR / "prometheus.yml"


def _depends_on(service: dict[str, Any]) -> set[str]:
    return set(service.get("depends_on") or [])  # the list form or the mapping's keys


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Short-syntax volumes, target -> source."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        mounts[target] = source
    return mounts


def _scrape_jobs() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load(PROMETHEUS_YML.read_text())
    return {job["job_name"]: job for job in config["scrape_configs"]}


def _targets(job: str) -> list[str]:
    return [t for static in _scrape_jobs()[job]["static_configs"] for t in static["targets"]]


def _flag(argv: list[str], name: str) -> str:
    (value,) = [arg.split("=", 1)[1] for arg in argv if arg.startswith(f"{name}=")]
    return value


def test_the_default_stack_is_unchanged_by_the_monitoring_profile() -> None:
    services = _compose()["services"]
    assert {name for name, service in services.items() if not service.get("profiles")} == SERVICES
    profiled = {
        name: service["profiles"] for name, service in services.items() if name not in SERVICES
    }
    assert profiled == {name: ["monitoring"] for name in MONITORING_IMAGES}
    for name in SERVICES:
        assert not _depends_on(services[name]) & set(MONITORING_IMAGES), name


def test_monitoring_services_require_no_variable() -> None:
    """Compose interpolates the whole file before it applies profiles: a ${VAR:?} in a profile's
    service would stop a plain `docker compose up` where VAR is unset."""
    for name in MONITORING_IMAGES:
        assert not re.search(r"\$\{\w+:?\?", yaml.safe_dump(_service(name))), name


@pytest.mark.parametrize("name", sorted(MONITORING_IMAGES))
def test_monitoring_images_are_pinned_releases_run_as_built(name: str) -> None:
    service = _service(name)
    repository, _, tag = service["image"].rpartition(":")
    assert repository == MONITORING_IMAGES[name]
    assert re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{service['image']}: pin an exact release"
    assert "build" not in service and "entrypoint" not in service
    argv = _argv(service.get("command", []))
    if name == "flower":  # the image's own CMD is `celery flower`
        assert argv[0] == "celery" and "flower" in argv
    else:  # arguments to the image's entry point (the exporter or server binary)
        assert all(arg.startswith("--") for arg in argv), argv


def test_every_image_names_a_tag() -> None:
    for name, service in _compose()["services"].items():
        if "build" not in service:
            repository, _, tag = service["image"].rpartition(":")
            assert repository and tag and tag != "latest", name


def test_every_mount_and_secret_is_in_the_repository_or_declared() -> None:
    compose = _compose()
    named = set(compose.get("volumes") or {})
    secrets = compose.get("secrets") or {}
    for name, service in compose["services"].items():
        for source in _mounts(service).values():
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source} is not in the repository"
            elif source.startswith("/"):  # only node-exporter reads the host, read-only
                assert (name, source) == ("node-exporter", "/"), f"{name}: host path {source}"
                assert ":ro" in service["volumes"][0]
            else:
                assert source in named, f"{name}: volume {source} is not declared"
        for secret in service.get("secrets", []):
            assert (secret if isinstance(secret, str) else secret["source"]) in secrets, name
    for name, secret in secrets.items():
        if "file" in secret:
            assert (ROOT / secret["file"]).is_file(), name
        else:  # never a value written in the repository
            assert set(secret) == {"environment"}, name


def test_prometheus_loads_the_repositorys_config_and_rules() -> None:
    service = _service("prometheus")
    argv, mounts = _argv(service["command"]), _mounts(service)
    config = _flag(argv, "--config.file")
    assert mounts[config] == "./deploy/monitoring/prometheus.yml"
    # Rule files are relative to the config file: the same layout in the container as here.
    for pattern in yaml.safe_load(PROMETHEUS_YML.read_text())["rule_files"]:
        directory = pattern.split("/")[0]
        assert (
            mounts[f"{config.rsplit('/', 1)[0]}/{directory}"] == f"./deploy/monitoring/{directory}"
        )
        assert list(MONITORING_DIR.glob(pattern)), pattern
    assert mounts[_flag(argv, "--storage.tsdb.path")] in _compose()["volumes"]


def test_prometheus_sends_the_apps_metrics_token() -> None:
    compose = _compose()
    app_token = _environment(compose["x-app"])["METRICS_TOKEN"]
    assert compose["secrets"]["metrics_token"] == {"environment": "METRICS_TOKEN"}
    assert "${METRICS_TOKEN" in app_token  # the very variable the app's token comes from
    assert "metrics_token" in _service("prometheus")["secrets"]  # /run/secrets/metrics_token
    jobs = _scrape_jobs()
    for job in ("web", "realtime"):
        assert jobs[job]["authorization"]["credentials_file"] == "/run/secrets/metrics_token"


def test_every_scrape_target_is_a_port_its_service_exposes() -> None:
    services = _compose()["services"]
    for name in _scrape_jobs():
        for target in _targets(name):
            host, port = target.rsplit(":", 1)
            if host == "localhost":
                assert name == "prometheus", target
                continue
            exposed = [str(p) for p in services[host].get("expose", [])]
            assert port in exposed, f"job {name}: {host} exposes {exposed}, not {port}"


def test_django_answers_the_scrapes_of_web_and_realtime() -> None:
    from django.urls import resolve

    from observability import probes

    allowed = _environment(_compose()["x-app"])["ALLOWED_HOSTS"].split(",")
    for job in ("web", "realtime"):
        (target,) = _targets(job)
        assert target.split(":")[0] in allowed, f"Django would refuse Host {target}"
        assert resolve(_scrape_jobs()[job]["metrics_path"]).func is probes.metrics
    assert _targets("web") == ["web:8000"] and _targets("realtime") == ["realtime:8001"]


def test_the_compose_worker_serves_its_metrics_where_prometheus_scrapes() -> None:
    env = _environment(_service("worker"))
    assert _targets("worker") == [f"worker:{env['CELERY_METRICS_PORT']}"]
    assert _scrape_jobs()["worker"]["metrics_path"] == "/metrics"
    assert env["PROMETHEUS_MULTIPROC_DIR"], "a prefork pool needs multiprocess mode"


def test_grafana_is_provisioned_from_the_repository_with_a_password_from_the_environment() -> None:
    service = _service("grafana")
    mounts = _mounts(service)
    provisioning = MONITORING_DIR / "grafana" / "provisioning"
    assert mounts["/etc/grafana/provisioning"] == "./deploy/monitoring/grafana/provisioning"
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "collabhub.yml").read_text())[
        "providers"
    ]
    assert mounts[provider["options"]["path"]] == "./deploy/monitoring/grafana/dashboards"
    (datasource,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    assert datasource["url"] == "http://prometheus:9090" and "prometheus" in _compose()["services"]
    env = _environment(service)
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env, "no password in the repository"
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana_admin_password"
    assert "grafana_admin_password" in service["secrets"]
    assert _compose()["secrets"]["grafana_admin_password"] == {
        "environment": "GRAFANA_ADMIN_PASSWORD"
    }


def test_monitoring_uis_are_published_on_loopback_only() -> None:
    published = {}
    for name in MONITORING_IMAGES:
        for port in _service(name).get("ports", []):
            host, outside, _ = str(port).split(":")
            assert host == "127.0.0.1", f"{name}: Prometheus and Flower have no sign-in"
            published[name] = outside
    assert published == {"prometheus": "9090", "grafana": "3000", "flower": "5555"}


def test_flower_and_the_exporters_watch_the_stacks_own_services() -> None:
    app_env = _environment(_compose()["x-app"])
    assert _flag(_argv(_service("flower")["command"]), "--broker") == app_env["REDIS_URL"]
    redis_addr = _environment(_service("redis-exporter"))["REDIS_ADDR"]
    assert urlsplit(redis_addr).netloc == urlsplit(app_env["REDIS_URL"]).netloc
    dsn = urlsplit(_environment(_service("postgres-exporter"))["DATA_SOURCE_NAME"])
    app_db = urlsplit(app_env["DATABASE_URL"])
    assert (dsn.username, dsn.password, dsn.hostname, dsn.port, dsn.path) == (
        app_db.username,
        app_db.password,
        app_db.hostname,
        app_db.port,
        app_db.path,
    )
    for name, dependency in (
        ("flower", "redis"),
        ("redis-exporter", "redis"),
        ("postgres-exporter", "postgres"),
    ):
        assert _service(name)["depends_on"][dependency]["condition"] == "service_healthy", name
    node = _service("node-exporter")
    assert _mounts(node)[_flag(_argv(node["command"]), "--path.rootfs")] == "/"
