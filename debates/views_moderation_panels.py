"""What the console asks for after it loads: a card's "⋯" panel (the forms of one question, when its <details>
opens), a proposition's arguments (when their <details> opens) and the screen's secret link (its preview and QR
code).

Both keep the console page small and free of secrets: the page (50 pending and 50 approved cards) no longer repeats
four forms per card, and it carries no screen secret, so it can be compressed (debates/breach.py); the screen link
goes out alone, uncompressed.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import fragments, selectors
from .breach import carries_secret
from .views import is_htmx
from .views_moderation import _not_staff, _staff_debate, screen_link

# ?list= → the panel's partial, and who may ask for it (the queue's panel is moderators' work only).
PANELS = {"queue": ("more_queue", True), "approved": ("more_approved", False)}


@login_required
@require_safe
def more_panel(request: HttpRequest, code: str, question: int) -> HttpResponse:
    """The "⋯" panel of one card: pending (mute the author, reject with a reason, edit, merge) or approved (edit,
    answer as an official), rendered for the asker's roles. htmx swaps it in place of the card's placeholder (out of
    band, same id); without JavaScript the placeholder is a link to this page, with the same forms."""
    debate, can_moderate, is_official = _staff_debate(request, code)
    if request.GET.get("list") not in PANELS:
        raise Http404("unknown list")
    partial, moderators_only = PANELS[request.GET["list"]]
    if not (can_moderate or (is_official and not moderators_only)):
        return _not_staff(request, debate)
    q = selectors.question_in_debate(debate, question)
    ctx = {"debate": debate, "q": q, "can_moderate": can_moderate, "is_official": is_official}
    if is_htmx(request):
        return render(request, f"debates/moderate.html#{partial}", {**ctx, "oob": True})
    return render(request, "debates/moderate_more.html", {**ctx, "panel": f"debates/moderate.html#{partial}"})


@login_required
@require_safe
def poll_arguments_panel(request: HttpRequest, code: str, poll: int) -> HttpResponse:
    """A proposition's arguments as the console lists them (the most supported per side, held and hidden ones too,
    each with its hide or restore button), asked for when their <details> opens and again after each push of the
    polls while it is open; without JavaScript the placeholder is a link to this page."""
    debate, can_moderate, is_official = _staff_debate(request, code)
    if not (can_moderate or is_official):
        return _not_staff(request, debate)
    view = fragments.poll_view(selectors.poll_in_debate(debate, poll), moderator=True, with_results=False)
    if "arguments" not in view:
        raise Http404("not a proposition")
    ctx = {"debate": debate, "poll": view, "can_moderate": can_moderate, "is_official": is_official}
    if is_htmx(request):
        return render(request, "debates/moderate.html#poll_arguments", ctx)
    return render(
        request,
        "debates/moderate_more.html",
        {**ctx, "heading": view["obj"].text, "panel": "debates/moderate.html#poll_arguments"},
    )


@carries_secret  # the screen's secret link, its QR code and the preview's address
@never_cache
@login_required
@require_safe
def screen_link_panel(request: HttpRequest, code: str) -> HttpResponse:
    """The console's screen link panel, asked for when the console loads (moderators only)."""
    debate, can_moderate, _is_official = _staff_debate(request, code)
    if not can_moderate:
        return _not_staff(request, debate)
    return render(request, "debates/moderate.html#screenlink", {"debate": debate, **screen_link(request, debate)})
