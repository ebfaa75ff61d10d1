"""Production configuration: the deploy checks pass, and docker-compose.yml matches what settings read."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROD_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x9Kq-3vLr_8mZp2Tb7Nw4Yc1Hd6Fg5Js0Ae9Ru2Io3Pk8Ul7Vx4Wy1Qz6Sm5Tn0Bo-prod-like",
    "ALLOWED_HOSTS": "debat.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://debat.example.org",
    "DATABASE_URL": "postgres://hub:hub@127.0.0.1:5432/hub",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def run_manage(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in PROD_ENV}
    env.update(PROD_ENV)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_has_no_warning_in_production():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_the_embedded_secret_key():
    result = run_manage("check", extra_env={"SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def settings_env_names() -> set[str]:
    source = (ROOT / "hub" / "settings.py").read_text()
    return set(re.findall(r'(?:environ\.get|env_bool|env_list)\(\s*"([A-Z_]+)"', source))


def test_compose_services_and_dependencies():
    services = compose()["services"]
    assert set(services) >= {"lb", "web1", "web2", "db", "redis"}
    for name in ("web1", "web2"):
        web = services[name]
        assert web["build"] == "."
        assert web["depends_on"]["db"]["condition"] == "service_healthy"
        assert "daphne" in web["command"] and "--proxy-headers" not in web["command"]  # hub/proxies.py decides
    assert (ROOT / "Dockerfile").exists()
    assert "healthcheck" in services["db"] and "healthcheck" in services["redis"]
    assert any(v.startswith("pgdata:") for v in services["db"]["volumes"])
    assert "pgdata" in compose()["volumes"]
    # One replica migrates; the other starts once it is healthy.
    assert "migrate" in services["web1"]["command"] and "migrate" not in services["web2"]["command"]
    assert services["web2"]["depends_on"]["web1"]["condition"] == "service_healthy"


def test_compose_load_balancer_runs_the_tested_haproxy_configuration():
    lb = compose()["services"]["lb"]
    assert "./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in lb["volumes"]
    assert {lb["environment"]["HUB_WEB1"], lb["environment"]["HUB_WEB2"]} == {"web1:8000", "web2:8000"}
    config = (ROOT / "deploy" / "haproxy.cfg").read_text()
    for needed in (
        "option httpchk",
        "uri /healthz",
        "timeout tunnel",
        "stats socket",
        "level admin",
        "option forwardfor",
        "option redispatch",
    ):
        assert needed in config, needed


def test_compose_environment_is_what_settings_read():
    web = compose()["services"]["web1"]
    env = web["environment"]
    read = settings_env_names()
    assert set(env) <= read, f"compose sets variables settings never read: {set(env) - read}"
    for required in (
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "TRUSTED_PROXIES",
    ):
        assert required in env
    # Service names used in the URLs are the compose services.
    assert "@db:5432/" in env["DATABASE_URL"] and env["DATABASE_URL"].startswith("postgres://")
    assert env["REDIS_URL"].startswith("redis://redis:")
    db_env = compose()["services"]["db"]["environment"]
    assert (
        f"{db_env['POSTGRES_USER']}:{db_env['POSTGRES_PASSWORD']}@db:5432/{db_env['POSTGRES_DB']}"
        in env["DATABASE_URL"]
    )


def test_compose_port_is_the_port_daphne_listens_on():
    services = compose()["services"]
    port = re.search(r"daphne .*-e tcp:(\d+):interface=0\.0\.0\.0:backlog=\d+ ", services["web1"]["command"]).group(1)
    assert services["lb"]["ports"] == [f"{port}:{port}"] and services["lb"]["environment"]["HUB_LISTEN"] == f":{port}"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"EXPOSE {port}" in dockerfile and f"-e tcp:{port}:interface=0.0.0.0:backlog=" in dockerfile


def test_compose_settings_pass_deploy_check_with_their_deliberate_exceptions():
    env = {k: str(v) for k, v in compose()["services"]["web1"]["environment"].items() if "${" not in str(v)}
    env.update(
        {
            "SECRET_KEY": PROD_ENV["SECRET_KEY"],
            "ALLOWED_HOSTS": "localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "DATABASE_URL": PROD_ENV["DATABASE_URL"],
            "REDIS_URL": PROD_ENV["REDIS_URL"],
        }
    )
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", extra_env=env)
    assert result.returncode == 0, result.stdout + result.stderr
