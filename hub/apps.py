from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Wiring"

    def ready(self) -> None:
        install_policy_memo()


def install_policy_memo() -> None:
    """django-csp builds the Content-Security-Policy header from settings for every response, twice (the policy and
    the report-only one): 38 µs here, 3 % of a vote's CPU in a burst. A response that changes nothing of the
    policy (no per-view decorator, no nonce) gets the same text while the settings name the same policy, so it is
    built once per policy setting (an override_settings names another dict: built again)."""
    from csp import middleware

    csp_middleware: Any = middleware  # a patched module attribute, not part of its typed surface
    build = csp_middleware.build_policy
    if getattr(build, "policy_memo", False):
        return
    from django.conf import settings

    built: dict[bool, tuple[object, str]] = {}  # report_only → (the settings' policy it was built from, its text)

    def build_policy(
        config: Any = None, update: Any = None, replace: Any = None, nonce: str | None = None, report_only: bool = False
    ) -> str:
        if config is not None or update is not None or replace is not None or nonce is not None:
            return build(config=config, update=update, replace=replace, nonce=nonce, report_only=report_only)
        source = getattr(
            settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY", None
        )
        known = built.get(report_only)
        if known is None or known[0] is not source:
            known = built[report_only] = (source, build(report_only=report_only))
        return known[1]

    build_policy.policy_memo = True  # type: ignore[attr-defined]
    csp_middleware.build_policy = build_policy
