"""Contract: every public route is documented in the README (posters and projectors print these URLs)."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
UNDOCUMENTED_ON_PURPOSE = {"/admin/", "/i18n/", "/accounts/logout/"}


def routes(patterns, prefix=""):
    for p in patterns:
        text = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            if "/" + text in UNDOCUMENTED_ON_PURPOSE:
                continue
            yield from routes(p.url_patterns, text)
        elif isinstance(p, URLPattern):
            yield text


def readable(route: str) -> str:
    route = route.replace("^(?P<code>[A-Za-z0-9]{6})/?$", "<CODE>")
    route = re.sub(r"<(?:str|code):code>", "<CODE>", route)
    route = re.sub(r"<(?:int|id):(\w+)>", "<id>", route)
    route = re.sub(r"<(?:str|token):token>", "<secret>", route).replace("<str:fmt>", "")
    return "/" + route


def test_every_route_is_in_the_readme():
    missing = []
    for route in routes(get_resolver().url_patterns):
        path = readable(route)
        if path in UNDOCUMENTED_ON_PURPOSE or path == "/":
            continue
        if path.rstrip(".") not in README:
            missing.append(path)
    assert not missing, f"routes missing from README.md: {missing}"
