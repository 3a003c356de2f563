"""deploy/: compose.yaml, nginx.conf and the Dockerfile fit together and fit the URL space.

`docker compose config` needs only the compose CLI, not a Docker engine; where neither the
`docker compose` plugin nor `docker-compose` is installed that one test skips, and the structure
is still checked here with PyYAML.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services import SERVICES
from shared.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PREFIXES = {info.name: info.prefix for info in SERVICES}
WEB = ["landing", *PREFIXES]
LONG_RUNNING = [*WEB, "worker", "mail-worker", "scheduler"]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text()))


def compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_config_succeeds() -> None:
    cli = compose_cli()
    if cli is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed; the structure tests below still run")
    env = {key: value for key, value in os.environ.items() if not key.startswith("ELO_")}
    done = subprocess.run([*cli, "-f", str(DEPLOY / "compose.yaml"), "config"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    assert set(resolved["services"]) >= {*LONG_RUNNING, "migrate", "nginx", "db", "rabbitmq"}


def test_every_process_of_the_design_is_there(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"db", "rabbitmq", "redis", "migrate", *LONG_RUNNING, "inbound", "nginx"}
    assert services["inbound"]["command"][:2] == ["elo", "inbound"]
    for name in WEB:
        command = " ".join(services[name]["command"])
        assert command.startswith("gunicorn ")
        assert f'services.wsgi:create("{name}")' in command
    assert services["worker"]["command"][:2] == ["elo", "worker"]
    assert services["scheduler"]["command"] == ["elo", "scheduler"]
    assert services["migrate"]["command"] == ["elo", "migrate"]
    assert services["migrate"]["restart"] == "no"


def test_everything_waits_for_the_migration(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in LONG_RUNNING:
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert services[name]["image"] == services["migrate"]["image"]
        assert services[name]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}


def test_each_service_owns_a_database_made_by_the_init_script(compose: dict[str, Any]) -> None:
    environment = compose["services"]["worker"]["environment"]
    created = set(re.findall(r"CREATE DATABASE (\w+);", (DEPLOY / "postgres/init-databases.sql").read_text()))
    databases = {service: environment[f"ELO_{service.upper()}_DATABASE_URL"].rsplit("/", 1)[1]
                 for service in PREFIXES}
    assert len(set(databases.values())) == len(PREFIXES)
    assert set(databases.values()) == created
    assert all(environment[f"ELO_{service.upper()}_DATABASE_URL"].startswith("postgresql://elo:")
               for service in PREFIXES)
    init_mount = next(volume for volume in compose["services"]["db"]["volumes"] if "init-databases" in volume)
    assert "/docker-entrypoint-initdb.d/" in init_mount


def test_services_reach_each_other_and_are_health_checked(compose: dict[str, Any]) -> None:
    services = compose["services"]
    environment = services["worker"]["environment"]
    assert environment["ELO_BROKER_URL"].startswith("amqp://elo:")
    assert "@rabbitmq:5672/" in environment["ELO_BROKER_URL"]
    assert environment["ELO_PROXY_HOPS"].endswith("1}"), "gunicorn sits behind nginx: trust one proxy by default"
    for service, prefix in PREFIXES.items():
        assert environment[f"ELO_{service.upper()}_URL"] == f"http://{service}:8000"
        health = " ".join(services[service]["healthcheck"]["test"])
        assert f"http://127.0.0.1:8000{prefix}/healthz" in health
    assert all(services[name]["environment"] == environment for name in [*LONG_RUNNING, "migrate"])


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"^#?(ELO_[A-Z_]+)=", (REPO / ".env.example").read_text(), re.MULTILINE))
    compose_text = (DEPLOY / "compose.yaml").read_text()
    app_settings = set(re.findall(r"^\s+(ELO_[A-Z_]+):", compose_text, re.MULTILINE))
    assert app_settings <= documented, app_settings - documented
    deploy_example = set(re.findall(r"^(ELO_[A-Z_]+)=", (DEPLOY / "env.example").read_text(), re.MULTILINE))
    used = set(re.findall(r"\$\{(ELO_[A-Z_]+)", compose_text))
    assert deploy_example == used, deploy_example ^ used


def nginx_routes() -> dict[str, str]:
    """location prefix → the compose service its upstream points at."""
    text = (DEPLOY / "nginx.conf").read_text()
    upstreams = dict(re.findall(r"upstream (\w+)\s*\{\s*server (\w+):8000;", text))
    return {location: upstreams[upstream]
            for location, upstream in re.findall(r"location (?:\^~ )?(/\S*)\s*\{\s*proxy_pass http://(\w+);", text)}


def network_routes() -> dict[str, str]:
    """The regex locations of the networks' paths (/<network>/newsletter/…) → compose service."""
    text = (DEPLOY / "nginx.conf").read_text()
    upstreams = dict(re.findall(r"upstream (\w+)\s*\{\s*server (\w+):8000;", text))
    return {prefix: upstreams[upstream] for prefix, upstream in
            re.findall(r"location ~ \^/\[a-z\]\[a-z0-9-\]\+(/\w+)/\s*\{\s*proxy_pass http://(\w+);", text)}


def test_nginx_routes_the_same_url_space() -> None:
    assert nginx_routes() == {"/": "landing", **{f"{prefix}/": service for service, prefix in PREFIXES.items()}}
    assert network_routes() == {prefix: service for service, prefix in PREFIXES.items()}
    text = (DEPLOY / "nginx.conf").read_text()
    for header in ("Host $http_host", "X-Forwarded-For $proxy_add_x_forwarded_for", "X-Forwarded-Proto $scheme",
                   "X-Forwarded-Host $http_host"):
        assert f"proxy_set_header {header};" in text
    gzip_types = re.search(r"gzip_types ([^;]+);", text)
    assert gzip_types is not None
    assert {"text/calendar", "application/json", "application/problem+json"} <= set(gzip_types.group(1).split())
    assert re.search(r"client_max_body_size \d+m;", text)


def test_dockerfile_builds_a_non_root_image_from_the_pinned_versions() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert text.count("FROM ") == 1
    assert "ARG BASE_IMAGE=python:3.11-slim" in text  # the official image by default
    assert "FROM ${BASE_IMAGE}" in text
    assert "pip install -c constraints.txt ." in text
    assert "compile_catalogues" in text
    user = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert user
    assert user[-1] not in ("root", "0")


def with_defaults(value: str) -> str:
    """What compose makes of `${NAME:-default}` when deploy/.env does not set NAME."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def test_the_compose_environment_is_valid_settings(compose: dict[str, Any], tmp_path: Path) -> None:
    given = compose["services"]["worker"]["environment"]
    environment = {name: with_defaults(str(value)) for name, value in given.items()}
    settings = load_settings({**environment, "ELO_DATA_DIR": str(tmp_path)})

    assert settings.broker_url == "amqp://elo:elo@rabbitmq:5672/"
    assert settings.proxy_hops == 1
    assert settings.service_urls == {service: f"http://{service}:8000" for service in PREFIXES}
    assert settings.database_url("events") == "postgresql+psycopg://elo:elo@db:5432/events"
    assert settings.smtp_url is None  # no relay configured yet: mail is captured, not lost
    assert (tmp_path / "secret_key").exists(), "without ELO_SECRET_KEY the key is made once in the shared volume"
