"""/healthz: what a load balancer probes (issue 12)."""

from __future__ import annotations

import socket

import pytest
from django.test import Client


@pytest.fixture
def production_like(settings):
    """A load balancer probes each backend by its address, over plain HTTP, while the site is HTTPS-only."""
    settings.ALLOWED_HOSTS = ["debat.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    settings.DEBUG = False
    return settings


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db
def test_healthz_answers_a_load_balancer_by_address_over_http(production_like):
    response = Client().get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["redis"] == ("ok" if production_like.REDIS_URL else "not configured")
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_healthz_head_and_trailing_slash(production_like):
    assert Client().head("/healthz", HTTP_HOST="10.0.0.7").status_code == 200
    assert Client().get("/healthz/", HTTP_HOST="10.0.0.7").status_code == 200
    assert Client().post("/healthz", HTTP_HOST="10.0.0.7").status_code == 405


@pytest.mark.django_db
def test_other_pages_still_refuse_unknown_hosts_and_redirect(production_like):
    assert Client().get("/", HTTP_HOST="10.0.0.7").status_code == 400
    assert Client().get("/", HTTP_HOST="debat.example.org").status_code == 301


@pytest.mark.django_db
def test_healthz_is_503_when_redis_is_unreachable(production_like):
    production_like.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response = Client().get("/healthz", HTTP_HOST="10.0.0.7")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "ok", "redis": "unavailable"}
