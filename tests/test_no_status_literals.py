"""Statuses go through the models' enums or properties, never string literals in templates and views: a template
asks `debate.is_closed`, `q.is_answered`, `debate.screen_shows_poll`; a view compares with `Argument.Status.HIDDEN`.
A literal compared with a status is a second, unchecked copy of the model's vocabulary: renaming a value (or a typo)
silently changes what people see instead of failing.

This test reads every template and every module of debates/, hub/ and live/ (migrations and tests apart) and fails
on a status, mode, kind, role, side, results or outcome compared with a string literal (== / != / in, literal on
either side, and names a template gives such a value with {% with %}). The few comparisons below that are no model
field's vocabulary (the live wire's message, route and item kinds, a redirect's anchor) are listed with their
reason; an entry no longer found fails too, so the list stays what the code is."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The names a model's choices field goes by in templates and views (as a suffix too: screen_mode, vote_mode,
# proposal_outcome).
_NAME = r"[\w.]*(?:status|kind|mode|role|side|results|outcome)"
_LITERAL = r"""(?:'[^']*'|"[^"]*")"""
PATTERNS = (
    # x.status == "closed", mode != 'poll'
    re.compile(rf"(?P<name>{_NAME})\s*(?:==|!=)\s*(?P<literal>{_LITERAL})"),
    # "closed" == x.status
    re.compile(rf"(?P<literal>{_LITERAL})\s*(?:==|!=)\s*(?P<name>{_NAME})\b"),
    # x.status in ("draft", "scheduled"), status not in ['a'], mode in "blank poll" (a loop `for x in (…)` is no test)
    re.compile(rf"(?<![\w.])(?<!for )(?P<name>{_NAME})\s+(?:not\s+)?in\s+[(\[]?\s*(?P<literal>{_LITERAL})"),
)
# {% with m=debate.screen_mode %} … {% if m == "poll" %}: the alias is a status too.
_WITH_ALIAS = re.compile(rf"{{%\s*with\b[^%]*?\b(\w+)=({_NAME})\b")

# Comparisons of a name above with a literal that is no model field's value: the wire's own vocabulary.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("live/wire.py", "mode", "prepared"): "how a frame was encoded, not a model field",
    ("live/consumers.py", "kind", "moderators"): "the socket's route kind (live/routing.py), not a model field",
    ("live/consumers.py", "kind", "identify"): "a socket message type",
    ("live/consumers.py", "kind", "handling"): "a socket message type",
    ("live/consumers.py", "kind", "ping"): "a socket message type",
    ("live/consumers.py", "kind", "write"): "a socket message type",
    ("debates/selectors/debates.py", "kind", "moderators"): "the socket's route kind (live/routing.py)",
    ("debates/selectors/debates.py", "kind", "screen"): "the socket's route kind (live/routing.py)",
    ("debates/fragments/items.py", "kind", "q+"): "a live item key's kind (fragments.ITEM_KINDS)",
    ("debates/fragments/items.py", "kind", "qn"): "a live item key's kind (fragments.ITEM_KINDS)",
    ("debates/fragments/items.py", "kind", "p+"): "a live item key's kind (fragments.ITEM_KINDS)",
    ("debates/fragments/items.py", "kind", "a+"): "a live item key's kind (fragments.ITEM_KINDS)",
    ("debates/fragments/items.py", "kind", "an"): "a live item key's kind (fragments.ITEM_KINDS)",
    ("debates/views.py", "kind", "poll"): "the anchor a plain form post redirects to (poll-N)",
    ("debates/views.py", "kind", "q"): "the anchor a plain form post redirects to (q-N)",
}


def _sources() -> list[Path]:
    templates = sorted((ROOT / "templates").rglob("*.html"))
    modules = sorted(
        path
        for package in ("debates", "hub", "live")
        for path in (ROOT / package).rglob("*.py")
        if not {"migrations", "tests"} & set(path.relative_to(ROOT).parts)
    )
    return templates + modules


def comparisons(text: str, *, template: bool) -> list[tuple[int, str, str, str]]:
    """(line number, name, literal, the line) of each status-like name compared with a string literal."""
    patterns = list(PATTERNS)
    if template:
        aliases = sorted({alias for alias, _value in _WITH_ALIAS.findall(text)})
        if aliases:
            names = "|".join(re.escape(a) for a in aliases)
            patterns += [
                re.compile(rf"(?<![\w.])(?P<name>{names})\s*(?:==|!=)\s*(?P<literal>{_LITERAL})"),
                re.compile(rf"(?<![\w.])(?<!for )(?P<name>{names})\s+(?:not\s+)?in\s+[(\[]?\s*(?P<literal>{_LITERAL})"),
            ]
    found: dict[tuple[int, int], tuple[int, str, str, str]] = {}  # by place: an alias is also a name above
    for number, line in enumerate(text.splitlines(), 1):
        for pattern in patterns:
            for match in pattern.finditer(line):
                name = match.group("name").rpartition(".")[2]
                found[(number, match.start("literal"))] = (number, name, match.group("literal")[1:-1], line.strip())
    return [found[place] for place in sorted(found)]


def test_the_scanner_sees_the_forms_it_is_meant_to_catch():
    samples = [
        ('{% if debate.status == "closed" %}', True),
        ("{% if q.status != 'answered' %}", True),
        ('{% elif debate.screen_mode == "poll" and x %}', True),
        ('{% if consultation.vote_mode=="codes" %}', True),
        ('{% if "live" == debate.status %}', True),
        ('{% if debate.status in "live scheduled" %}', True),
        ("if poll.status not in ('open', 'closed'):", True),
        ('return x if status == "hidden" else y', True),
        ('{% with m=debate.screen_mode %}{% if m == "poll" %}{% endif %}{% endwith %}', True),
        ("{% if debate.is_closed %}", False),
        ("if status == Argument.Status.HIDDEN:", False),
        ('for kind in ("q+", "q"):', False),
        ('<span class="badge badge-{{ debate.status }}">', False),
    ]
    for sample, flagged in samples:
        assert bool(comparisons(sample, template=sample.startswith("{%"))) is flagged, sample


def test_no_template_or_view_compares_a_status_with_a_string_literal():
    offending, used = [], set()
    for path in _sources():
        relative = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        for number, name, literal, line in comparisons(text, template=path.suffix == ".html"):
            if (relative, name, literal) in ALLOWED:
                used.add((relative, name, literal))
            else:
                offending.append(f"{relative}:{number}: {name} vs {literal!r}: {line[:160]}")
    assert not offending, (
        f"{len(offending)} comparison(s) of a status with a string literal; use the model's property or enum "
        "(e.g. debate.is_closed, Question.Status.ANSWERED):\n" + "\n".join(offending)
    )
    assert set(ALLOWED) == used, f"allowed comparisons no longer found (remove them): {sorted(set(ALLOWED) - used)}"
