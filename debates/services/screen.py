"""The projected screen, under the moderators' explicit control: what the hall sees is stored on the debate
(screen_mode, on_screen, screen_poll, screen_revealed), so every screen — and a screen that reconnects or reloads
— shows the same thing, and each change is logged and announced like any moderator action.

Modes: a question (Debate.on_screen, put there by questions.question_put_on_screen), a poll (live bars, or its
options and vote count while its results are hidden, until a moderator reveals them; a closed poll shows its final
results), the welcome slide, a blank screen, the closing slide (thanks, final results, the report's link).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ..errors import ServiceError
from ..models import Debate, Poll
from ..permissions import require_moderator
from .common import _log, announce

# What a change of the screen re-renders: the screen's stage and poll slot, the moderators' screen panel (never
# the citizens' pages, which do not show the screen's mode).
SCREEN_WIDGETS = {"stage", "screenpoll", "screenctl", "log"}


def _set_mode(d: Debate, actor: Any, mode: str, *, poll: Poll | None = None, extra: dict | None = None) -> Debate:
    before = {"mode": d.screen_mode, "poll": d.screen_poll_id}
    if poll is not None and poll.pk != d.screen_poll_id:
        d.screen_revealed = False
    if poll is not None:
        d.screen_poll = poll
    d.screen_mode = mode
    d.save(update_fields=["screen_mode", "screen_poll", "screen_revealed"])
    _log(d, actor, "screen_mode", d, before, {"mode": mode, "poll": d.screen_poll_id, **(extra or {})})
    announce(d.pk, SCREEN_WIDGETS)
    return d


def screen_show(*, debate: Debate, actor: Any, mode: str, poll: Poll | None = None) -> Debate:
    """Show a slide (welcome, blank, closing), the question on screen, or a poll (`poll` required)."""
    require_moderator(debate, actor)
    if mode not in Debate.ScreenMode.values:
        raise ServiceError(_("Unknown screen mode."), status=400)
    with transaction.atomic():
        d = Debate.objects.select_for_update().get(pk=debate.pk)
        if mode == Debate.ScreenMode.POLL:
            if poll is None:
                raise ServiceError(_("Pick the poll to show."), status=400)
            poll = Poll.objects.select_for_update().get(pk=poll.pk)
            if poll.debate_id != d.pk:
                raise ServiceError(_("This poll belongs to another debate."), status=404)
            if poll.status == Poll.Status.DRAFT:
                raise ServiceError(_("Open the poll before showing it: the hall could not vote."), status=409)
            return _set_mode(d, actor, mode, poll=poll)
        return _set_mode(d, actor, mode)


def screen_reveal(*, debate: Debate, actor: Any) -> Debate:
    """Reveal the results of the poll on screen (its results were hidden), for the hall only: phones keep
    following the poll's own setting."""
    require_moderator(debate, actor)
    with transaction.atomic():
        d = Debate.objects.select_for_update().get(pk=debate.pk)
        if d.screen_mode != Debate.ScreenMode.POLL or d.screen_poll_id is None:
            raise ServiceError(_("No poll is on screen."), status=409)
        if d.screen_revealed:
            raise ServiceError(_("The results are already on screen."), status=409)
        before = {"revealed": False}
        d.screen_revealed = True
        d.save(update_fields=["screen_revealed"])
        _log(d, actor, "screen_revealed", d.screen_poll, before, {"revealed": True})
        announce(d.pk, SCREEN_WIDGETS)
    return d
