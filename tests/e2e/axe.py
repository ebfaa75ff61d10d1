"""axe-core in the browser tests: `assert_accessible(page)` fails on any serious or critical violation.

axe-core 4.14.1 (npm, MPL-2.0) is vendored in tests/e2e/vendor/ — a test tool, never served from static/. It is
evaluated in the page through Playwright (the DevTools protocol, so the page's Content-Security-Policy does not
apply) and run on the whole document, or on part of it.

    from tests.e2e.axe import assert_accessible
    assert_accessible(page)                              # whole page
    assert_accessible(page, exclude=["#some-widget"])    # leave out what you do not own, and say why there
    violations = axe_violations(page)                    # the list, to inspect
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
BLOCKING = ("serious", "critical")


@cache
def _source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(
    page: Any,
    *,
    include: str | None = None,
    exclude: list[str] | None = None,
    impacts: tuple[str, ...] = BLOCKING,
    disable_rules: tuple[str, ...] = (),
) -> list[dict]:
    """The violations of the given impacts on the page as it is now (WCAG 2.x A/AA rules and best practices)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_source() + "\n;undefined")
    context: dict[str, Any] = {}
    if include:
        context["include"] = [include]
    if exclude:
        context["exclude"] = list(exclude)
    options = {"resultTypes": ["violations"], "rules": {rule: {"enabled": False} for rule in disable_rules}}
    result = page.evaluate(
        "async ([context, options]) => await axe.run(Object.keys(context).length ? context : document, options)",
        [context, options],
    )
    return [v for v in result["violations"] if v.get("impact") in impacts]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} node(s)) {v['helpUrl']}")
        for node in v["nodes"][:6]:
            lines.append(
                f"    {' '.join(map(str, node['target']))}: {node.get('failureSummary', '').splitlines()[-1:]}"
            )
            lines.append(f"      {node['html'][:160]}")
    return "\n".join(lines)


def assert_accessible(page: Any, *, label: str = "", **kwargs: Any) -> None:
    """Fail with a readable list when axe-core finds a serious or critical violation."""
    violations = axe_violations(page, **kwargs)
    assert not violations, f"axe-core on {label or page.url}:\n{describe(violations)}"
