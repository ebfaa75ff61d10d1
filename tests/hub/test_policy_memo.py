"""The Content-Security-Policy header is built once per policy setting (hub.apps.install_policy_memo)."""

from __future__ import annotations

import pytest
from csp import middleware as csp_middleware
from csp.utils import build_policy as build_fresh
from django.test import override_settings


def test_the_memo_is_installed_and_answers_what_django_csp_builds() -> None:
    assert getattr(csp_middleware.build_policy, "policy_memo", False)
    assert csp_middleware.build_policy() == build_fresh()
    assert csp_middleware.build_policy(report_only=True) == build_fresh(report_only=True)


def test_another_policy_setting_is_built_again() -> None:
    before = csp_middleware.build_policy()
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        assert csp_middleware.build_policy() == "default-src 'none'"
    assert csp_middleware.build_policy() == before


def test_a_nonce_or_a_views_own_policy_is_never_memoised() -> None:
    assert csp_middleware.build_policy(nonce="abc") == build_fresh(nonce="abc")
    assert csp_middleware.build_policy(replace={"frame-ancestors": ["'self'"]}) == build_fresh(
        replace={"frame-ancestors": ["'self'"]}
    )
    assert "frame-ancestors 'self'" in csp_middleware.build_policy(replace={"frame-ancestors": ["'self'"]})


@pytest.mark.django_db
def test_pages_carry_the_policy(client) -> None:
    response = client.get("/")
    assert response["Content-Security-Policy"] == build_fresh()
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
