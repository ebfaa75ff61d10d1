"""Markdown written by organisers (texts and their articles), rendered safely: markdown-it-py with raw HTML off,
then nh3 (ammonia) keeps only an allow-list of tags; every link gets rel="nofollow ugc noopener"."""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def render(source: str) -> SafeString:
    html = _md.render(source or "")
    # Headings of an article body sit under the article's own title: h1/h2 become h3/h4 rather than competing.
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>").replace("<h2>", "<h4>").replace("</h2>", "</h4>")
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
    return mark_safe(clean)  # noqa: S308 — sanitised by nh3 just above
