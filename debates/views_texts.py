"""Thin views of texts voted article by article: the text page (summary table, then each article with its vote,
live results and arguments) and the moderators' page to publish texts and open or close their votes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import fragments, markdown, selectors, services
from .models import Poll
from .models_consult import Text
from .services import ServiceError


def _text(debate: Any, text_id: Any) -> Text:
    try:
        return Text.objects.get(pk=int(text_id), debate=debate)
    except (Text.DoesNotExist, ValueError, TypeError):
        raise Http404("unknown text") from None


@require_GET
def text_page(request: HttpRequest, code: str, text_id: int) -> HttpResponse:
    debate = selectors.debate_for_code(code)
    text = _text(debate, text_id)
    participant = selectors.participant_for_request(request, debate)
    rows = list(text.articles.select_related("poll").order_by("position", "id"))
    views = fragments.poll_views([a.poll for a in rows], arguments_per_side=fragments.ARTICLE_ARGUMENTS_PER_SIDE)
    articles = [{"obj": a, "body_html": markdown.render(a.body), "view": view} for a, view in zip(rows, views)]
    return render(
        request,
        "debates/text.html",
        {
            "debate": debate,
            "text": text,
            "intro_html": markdown.render(text.intro) if text.intro else "",
            "articles": articles,
            "audience": "public",
            "oob": False,
            "v": fragments.version_now(),
            "me_json": selectors.participant_state_json(participant),
        },
    )


@login_required
@require_GET
def texts_moderate(request: HttpRequest, code: str) -> HttpResponse:
    debate = selectors.debate_for_staff(code, request.user)
    if not selectors.user_can_moderate(debate, request.user):
        return render(
            request, "403.html", {"message": _("You are not a moderator of this debate."), "status": 403}, status=403
        )
    texts = debate.texts.annotate(n_articles=Count("articles")).order_by("position", "id")
    return render(
        request,
        "debates/texts_moderate.html",
        {"debate": debate, "texts": texts, "results_modes": Poll.Results.choices},
    )


@login_required
@require_POST
def texts_act(request: HttpRequest, code: str) -> HttpResponse:
    debate = selectors.debate_for_staff(code, request.user)
    action = request.POST.get("action", "")
    try:
        if action == "publish":
            text = services.text_publish(
                debate=debate,
                actor=request.user,
                title=request.POST.get("title", ""),
                source=request.POST.get("source", ""),
                results=request.POST.get("results", Poll.Results.LIVE),
                open_now=request.POST.get("open_now") == "on",
            )
            message = _("Text published: %(n)d articles.") % {"n": text.articles.count()}
        elif action in ("open", "close"):
            n = services.text_set_votes(
                text=_text(debate, request.POST.get("text")), actor=request.user, opening=action == "open"
            )
            message = _("%(n)d votes changed.") % {"n": n}
        else:
            raise ServiceError(_("Unknown action."), status=400)
    except ServiceError as exc:
        return render(request, "403.html", {"message": exc.message, "status": exc.status}, status=exc.status)
    messages.success(request, message)
    return redirect("texts_moderate", code=debate.code)
