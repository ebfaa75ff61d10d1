"""Security headers on every page (issue 12, item 7)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_debate

pytestmark = pytest.mark.django_db


def test_pages_carry_a_policy_without_inline_scripts():
    debate = make_debate()
    for path in ("/", f"/d/{debate.code}/", f"/d/{debate.code}/screen/{debate.screen_token}/", "/accounts/login/"):
        policy = Client().get(path)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["script-src"] == "'self'" and "unsafe" not in directives["script-src"]
        assert directives["style-src"] == "'self'" and directives["style-src-attr"] == "'unsafe-inline'"
        # The screen may be framed by this site only: the console's live preview of it.
        framing = "'self'" if "/screen/" in path else "'none'"
        assert directives["frame-ancestors"] == framing and directives["object-src"] == "'none'"
        assert "'self'" in directives["connect-src"]


def test_htmx_is_configured_for_the_policy():
    html = Client().get("/").content.decode()
    assert '"allowScriptTags":false' in html and '"includeIndicatorStyles":false' in html
    assert '"allowEval":false' in html


def test_connect_src_names_the_public_websocket_origin(settings):
    import importlib
    import os

    from hub import settings as hub_settings

    os.environ["PUBLIC_BASE_URL"] = "https://debat.example.org"
    try:
        reloaded = importlib.reload(hub_settings)
        assert "wss://debat.example.org" in reloaded.CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"]
    finally:
        del os.environ["PUBLIC_BASE_URL"]
        importlib.reload(hub_settings)
