"""Texts voted article by article: publishing a text (split into articles, each with its own proposition), and
opening or closing all its votes at once."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _


from ..errors import ServiceError
from ..models import Debate, Poll
from ..models_consult import Article, Text
from ..permissions import require_moderator
from .common import _log, announce
from .polls import _poll_insert, poll_close, poll_open
from .text import _clean_text

MAX_ARTICLES = 200
_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")


def split_articles(source: str) -> tuple[str, list[tuple[str, str]]]:
    """Markdown → (introduction, [(article title, article body)]): each article starts with a line `## Title`."""
    intro: list[str] = []
    articles: list[tuple[str, list[str]]] = []
    for line in (source or "").replace("\r\n", "\n").split("\n"):
        heading = _HEADING.match(line)
        if heading:
            articles.append((heading.group(1).strip(), []))
        elif articles:
            articles[-1][1].append(line)
        else:
            intro.append(line)
    return "\n".join(intro).strip(), [(title, "\n".join(body).strip()) for title, body in articles]


def text_publish(
    *, debate: Debate, actor: Any, title: str, source: str, results: str = Poll.Results.LIVE, open_now: bool = False
) -> Text:
    """Publish a text: one article per `## Title` section of the Markdown source, each with a yes / no / abstain
    proposition (live results, or hidden until it closes), opened at once or later."""
    require_moderator(debate, actor)
    title = _clean_text(title, 200, _("title"))
    intro, parts = split_articles(_clean_text(source, 200_000, _("text")))
    if not parts:
        raise ServiceError(_("Start each article with a line “## Title of the article”."))
    if len(parts) > MAX_ARTICLES:
        raise ServiceError(_("A text has %(n)d articles at most.") % {"n": MAX_ARTICLES})
    if results not in Poll.Results.values:
        raise ServiceError(_("Unknown results mode."))
    if any(not body for _t, body in parts):
        raise ServiceError(_("Every article needs a text under its title."))
    with transaction.atomic():
        text = Text.objects.create(debate=debate, title=title, intro=intro, position=debate.texts.count())
        for i, (article_title, body) in enumerate(parts):
            poll = _poll_insert(
                debate=debate,
                text=f"{title[:200]} — {article_title[:280]}",
                kind=Poll.Kind.YES_NO_ABSTAIN,
                labels=[_("Yes"), _("No"), _("Abstain")],
                results=results,
                open_now=open_now and debate.accepts_posts,
            )
            Article.objects.create(text=text, position=i, title=article_title[:200], body=body, poll=poll)
        _log(debate, actor, "text_published", text, {}, {"title": title, "articles": len(parts)})
        announce(debate.pk, {"polls", "log"})
    return text


def text_set_votes(*, text: Text, actor: Any, opening: bool) -> int:
    """Open every article vote not yet opened (or close every open one); returns how many changed."""
    changed = 0
    for article in text.articles.select_related("poll__debate"):
        poll = article.poll
        if opening and poll.status == Poll.Status.DRAFT:
            poll_open(poll=poll, actor=actor)
            changed += 1
        elif not opening and poll.status == Poll.Status.OPEN:
            poll_close(poll=poll, actor=actor)
            changed += 1
    return changed
