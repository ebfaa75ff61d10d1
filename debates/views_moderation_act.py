"""The console's one action endpoint (`POST /d/<CODE>/moderate/act`, field `action`): a handler per action, each
calling one service; the response carries the widgets that service announced."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .breach import carries_secret
from . import fragments, selectors, services
from .models import Argument, Debate, Participant, Poll
from .services import ServiceError
from .views import is_htmx
from .views_moderation import _forbidden_page, screen_link

# A handler calls one service and returns the message for the moderator; the widgets rendered in the response are
# the ones that service announced (services.announced), so there is no second list of keys to keep in step.
Handler = Callable[[Debate, HttpRequest], str]


def _q(debate: Debate, request: HttpRequest, field: str = "question") -> Any:
    return selectors.question_in_debate(debate, request.POST.get(field))


def _participant(debate: Debate, request: HttpRequest) -> Participant:
    try:
        pk = selectors.parse_id(request.POST.get("participant"))
        if pk is None:
            raise Participant.DoesNotExist
        return Participant.objects.select_related("debate").get(pk=pk, debate=debate)
    except (Participant.DoesNotExist, ValueError, TypeError):
        raise Http404("unknown participant") from None


def _approve(debate: Debate, request: HttpRequest) -> str:
    services.question_approve(question=_q(debate, request), actor=request.user)
    return _("Question approved.")


def _bulk(action: str) -> Handler:
    def handler(debate: Debate, request: HttpRequest) -> str:
        done, skipped = services.question_moderate_many(
            debate=debate,
            question_ids=request.POST.getlist("questions"),
            actor=request.user,
            action=action,
            reason=request.POST.get("reason", ""),
        )
        message = (_("%(n)d questions approved.") if action == "approve" else _("%(n)d questions rejected.")) % {
            "n": done
        }
        if skipped:
            message += " " + _("%(n)d skipped (already handled).") % {"n": skipped}
        return message

    return handler


def _reject(debate: Debate, request: HttpRequest) -> str:
    services.question_reject(question=_q(debate, request), actor=request.user, reason=request.POST.get("reason", ""))
    return _("Question rejected. Its author sees the reason.")


def _edit(debate: Debate, request: HttpRequest) -> str:
    services.question_edit(question=_q(debate, request), actor=request.user, text=request.POST.get("text", ""))
    return _("Question edited; the original is kept in the log.")


def _merge(debate: Debate, request: HttpRequest) -> str:
    duplicate, into = _q(debate, request), _q(debate, request, "into")
    services.question_merge(duplicate=duplicate, into=into, actor=request.user)
    return _("Questions merged: upvotes combined.")


def _star(starred: bool) -> Handler:
    def handler(debate: Debate, request: HttpRequest) -> str:
        services.question_star(question=_q(debate, request), actor=request.user, starred=starred)
        return _("Question starred.") if starred else _("Star removed.")

    return handler


def _onscreen(debate: Debate, request: HttpRequest) -> str:
    services.question_put_on_screen(question=_q(debate, request), debate=debate, actor=request.user)
    return _("Question on screen.")


def _clear_screen(debate: Debate, request: HttpRequest) -> str:
    services.question_put_on_screen(question=None, debate=debate, actor=request.user)
    return _("Screen cleared.")


def _answered(debate: Debate, request: HttpRequest) -> str:
    services.question_mark_answered(question=_q(debate, request), actor=request.user)
    return _("Question marked answered.")


def _answer(debate: Debate, request: HttpRequest) -> str:
    services.answer_post(question=_q(debate, request), actor=request.user, text=request.POST.get("text", ""))
    return _("Your answer is published.")


def _mute(muted: bool) -> Handler:
    def handler(debate: Debate, request: HttpRequest) -> str:
        participant = _participant(debate, request)
        services.participant_set_muted(participant=participant, muted=muted, actor=request.user)
        message = _("%(name)s is muted: their new posts are refused.") if muted else _("%(name)s can post again.")
        return message % {"name": participant.public_name}

    return handler


def _argument(status: str) -> Handler:
    def handler(debate: Debate, request: HttpRequest) -> str:
        arg = selectors.argument_in_debate(debate, request.POST.get("argument"))
        services.argument_set_status(argument=arg, actor=request.user, status=status)
        return _("Argument hidden.") if status == Argument.Status.HIDDEN else _("Argument restored.")

    return handler


def _poll_create(debate: Debate, request: HttpRequest) -> str:
    options = (request.POST.get("options") or "").splitlines()
    services.poll_create(
        debate=debate,
        actor=request.user,
        text=request.POST.get("text", ""),
        kind=request.POST.get("kind", Poll.Kind.YES_NO_ABSTAIN),
        options=options,
        results=request.POST.get("results", Poll.Results.LIVE),
        open_now=request.POST.get("open_now") in ("1", "on", "true"),
    )
    return _("Poll created.")


def _poll(opening: bool) -> Handler:
    def handler(debate: Debate, request: HttpRequest) -> str:
        poll = selectors.poll_in_debate(debate, request.POST.get("poll"))
        if opening:
            services.poll_open(poll=poll, actor=request.user)
            return _("Poll open: citizens can vote.")
        services.poll_close(poll=poll, actor=request.user)
        return _("Poll closed.")

    return handler


def _clock(debate: Debate, request: HttpRequest) -> str:
    try:
        seconds = int(request.POST.get("seconds") or 60)
    except ValueError:
        raise ServiceError(_("The number of seconds must be a whole number.")) from None
    clock_action = request.POST.get("clock_action", "")
    services.clock_action(debate=debate, actor=request.user, action=clock_action, seconds=seconds)
    labels = {
        "start": _("Clock started."),
        "pause": _("Clock paused."),
        "resume": _("Clock resumed."),
        "extend": _("Time added."),
        "next": _("Next segment."),
        "reset": _("Clock reset."),
    }
    return labels.get(clock_action, _("Clock updated."))


def _status(debate: Debate, request: HttpRequest) -> str:
    updated = services.debate_set_status(debate=debate, status=request.POST.get("status", ""), actor=request.user)
    return _("The debate is now “%(status)s”.") % {"status": updated.get_status_display()}


def _screen(debate: Debate, request: HttpRequest) -> str:
    mode = request.POST.get("mode", "")
    poll = selectors.poll_in_debate(debate, request.POST.get("poll")) if mode == Debate.ScreenMode.POLL else None
    updated = services.screen_show(debate=debate, actor=request.user, mode=mode, poll=poll)
    return _("The screen now shows: %(mode)s.") % {"mode": updated.get_screen_mode_display()}


def _screen_reveal(debate: Debate, request: HttpRequest) -> str:
    services.screen_reveal(debate=debate, actor=request.user)
    return _("The results are on screen.")


def _undo(debate: Debate, request: HttpRequest) -> str:
    services.question_undo(question=_q(debate, request), actor=request.user, action=request.POST.get("undo", ""))
    return _("Undone.")


def _note(debate: Debate, request: HttpRequest) -> str:
    services.staff_note_post(debate=debate, actor=request.user, text=request.POST.get("text", ""))
    return _("Note sent to the officials.")


def _regenerate(debate: Debate, request: HttpRequest) -> str:
    services.screen_token_regenerate(debate=debate, actor=request.user)
    return _("New screen link: the old one no longer works.")


ACTIONS: dict[str, Handler] = {
    "approve": _approve,
    "reject": _reject,
    "bulk_approve": _bulk("approve"),
    "bulk_reject": _bulk("reject"),
    "edit": _edit,
    "merge": _merge,
    "star": _star(True),
    "unstar": _star(False),
    "onscreen": _onscreen,
    "clear_screen": _clear_screen,
    "answered": _answered,
    "answer": _answer,
    "mute": _mute(True),
    "unmute": _mute(False),
    "arg_hide": _argument(Argument.Status.HIDDEN),
    "arg_restore": _argument(Argument.Status.VISIBLE),
    "poll_create": _poll_create,
    "poll_open": _poll(True),
    "poll_close": _poll(False),
    "clock": _clock,
    "status": _status,
    "regenerate_screen": _regenerate,
    "screen": _screen,
    "screen_reveal": _screen_reveal,
    "undo": _undo,
    "note": _note,
}
# Actions the console's toast offers to undo for a few seconds (debates.services.question_moderation.question_undo).
UNDOABLE = {"approve", "reject", "star", "unstar"}


@carries_secret  # a new screen link (regenerate_screen), beside fresh widgets
@require_POST
def act(request: HttpRequest, code: str) -> HttpResponse:
    """One endpoint for every console action (field `action`); the services check the permissions."""
    debate = selectors.debate_for_staff(code, request.user)
    handler = ACTIONS.get(request.POST.get("action", ""))
    keys: set[str] = set()
    try:
        if handler is None:
            raise ServiceError(_("Unknown action."), status=400)
        with services.announced() as keys:
            message = handler(debate, request)
        status = 200
    except ServiceError as exc:
        message, status = exc.message, exc.status
    except Http404:
        message, status = _("This item does not exist in this debate (any more)."), 404
    if not is_htmx(request):
        if status != 200:
            return _forbidden_page(request, message, status=status, debate=debate)
        messages.success(request, message)
        return redirect("moderate", code=debate.code)
    action = request.POST.get("action", "")
    undo = action if status == 200 and action in UNDOABLE and request.POST.get("question") else None
    html: str = render_to_string(
        "debates/moderate.html#flash",
        {
            "message": message,
            "ok": status == 200,
            "oob": True,
            "undo": undo,
            "undo_question": request.POST.get("question"),
            "debate": debate,
        },
        request=request if undo else None,
    )
    if status == 200:
        debate.refresh_from_db()
        if keys:
            # Fresh widgets in the response too: the acting moderator sees the result even if their socket lags.
            frames = fragments.render(debate.pk, keys, [f"moderators.{request.LANGUAGE_CODE}"], None)
            html += "".join(h for _k, _v, h in next(iter(frames.values()), []))
        if request.POST.get("action") == "regenerate_screen":
            html += render_to_string(
                "debates/moderate.html#screenlink",
                {"debate": debate, "oob": True, **screen_link(request, debate)},
                request=request,
            )
    response = HttpResponse(html, status=status)
    if status != 200:
        response["HX-Trigger"] = json.dumps({"mod-refused": {"status": status}})
    return response
