"""Staff by invitation: a debate's roles and invitation links (shown once), and the page where an invitation
link lands (accept with the signed-in account, or create one)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .breach import carries_secret
from . import selectors, services
from .forms_organise import InviteeSignupForm, InviteForm
from .models import DebateRole, Invitation
from .permissions import can_manage_staff
from .qr import absolute_url
from .services import ServiceError, organising
from .views_organise import _debate, _debate_nav, _forbidden


def _invite_url(request: HttpRequest, token: str) -> str:
    return absolute_url(reverse("invitation", args=[token]), request)


@carries_secret  # a new invitation link, beside staff names
@login_required
@never_cache
def staff(request: HttpRequest, code: str) -> HttpResponse:
    """Roles and invitations. A new link exists in clear only until it is shown (the database keeps its hash): the
    POST that makes it redirects here, and this GET shows it once (it travelled in the session, popped now), so a
    reload neither re-posts the form (a second invitation) nor shows the link again. Never cached."""
    debate, _refused = _debate(request, code, admin=False)
    if not can_manage_staff(debate, request.user):
        return _forbidden(request, _("Only this debate's administrators invite and remove staff."), debate)
    form, new_link, status = InviteForm(), _shown_once(request, debate), 200
    if request.method == "POST":
        action = request.POST.get("action", "invite")
        try:
            if action == "invite":
                form = InviteForm(request.POST)
                if form.is_valid():
                    issued = organising.invitation_create(debate=debate, actor=request.user, **form.cleaned_data)
                    new_link = _issued(request, issued)
                    form = InviteForm()
                else:
                    status = 400
            elif action in ("renew", "revoke"):
                invitation = get_object_or_404(Invitation, pk=request.POST.get("invitation"), debate=debate)
                if action == "renew":
                    new_link = _issued(request, organising.invitation_renew(invitation=invitation, actor=request.user))
                else:
                    organising.invitation_revoke(invitation=invitation, actor=request.user)
                    messages.success(request, _("Invitation withdrawn: its link no longer works."))
            elif action == "remove":
                role = get_object_or_404(DebateRole, pk=request.POST.get("role"), debate=debate)
                if role.user_id == request.user.pk and role.role == DebateRole.Role.ADMIN:
                    raise ServiceError(_("You cannot remove your own administrator role."), status=409)
                services.role_remove(role=role, actor=request.user)
                messages.success(request, _("Role removed: their open console is closed."))
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        if status == 200:  # done: back to a GET, which a reload repeats harmlessly
            if new_link is not None:
                request.session[NEW_LINK_KEY] = {
                    "url": new_link["url"],
                    "invitation": new_link["invitation"].pk,
                    "sent": new_link["sent"],
                }
            return redirect("organise_staff", code=debate.code)
    ctx = {
        "debate": debate,
        "form": form,
        "new_link": new_link,
        "roles": selectors.staff_roles(debate),
        "invitations": selectors.invitations_of(debate),
        "email_enabled": settings.EMAIL_ENABLED,
        **_debate_nav(request, debate),
    }
    return render(request, "organise/staff.html", ctx, status=status)


NEW_LINK_KEY = "organise_new_invitation_link"


def _shown_once(request: HttpRequest, debate: Any) -> dict[str, Any] | None:
    """The invitation link the last POST made, for this one page (popped from the session)."""
    if request.method != "GET":
        return None
    kept = request.session.pop(NEW_LINK_KEY, None)
    if not isinstance(kept, dict):
        return None
    invitation_pk = selectors.parse_id(kept.get("invitation"))
    invitation = Invitation.objects.filter(pk=invitation_pk, debate=debate).first() if invitation_pk else None
    if invitation is None:
        return None
    return {"url": kept.get("url", ""), "invitation": invitation, "sent": bool(kept.get("sent"))}


def _issued(request: HttpRequest, issued: organising.IssuedInvitation) -> dict[str, Any]:
    url = _invite_url(request, issued.token)
    sent = organising.invitation_send_email(issued=issued, url=url)
    return {"url": url, "invitation": issued.invitation, "sent": sent}


@carries_secret  # its token (in the sign-in link), beside the inviter's name and the debate's title
@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Where an invitation link lands: accept with the signed-in account, or create one, or sign in first."""
    found = organising.invitation_for_token(token)
    if found is None:
        return render(
            request, "organise/invitation.html", {"problem": _("This invitation link is not valid.")}, status=404
        )
    state = found.state()
    if state != "pending":
        problem = {
            "accepted": _("This invitation has already been used."),
            "revoked": _("This invitation has been withdrawn."),
            "expired": _("This invitation has expired: ask the organiser for a new link."),
        }[state]
        return render(request, "organise/invitation.html", {"problem": problem, "invitation": found}, status=410)
    signup = InviteeSignupForm()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "signup" and not request.user.is_authenticated:
                signup = InviteeSignupForm(request.POST)
                if not signup.is_valid():
                    return render(
                        request,
                        "organise/invitation.html",
                        {"invitation": found, "signup": signup, "token": token},
                        status=400,
                    )
                user = signup.save()
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            elif not request.user.is_authenticated:
                return redirect(f"{reverse('login')}?next={request.path}")
            organising.invitation_accept(token=token, user=request.user)
        except ServiceError as exc:
            return render(
                request, "organise/invitation.html", {"problem": exc.message, "invitation": found}, status=exc.status
            )
        messages.success(request, _("Welcome to the team of “%(title)s”.") % {"title": found.debate.title})
        return redirect("moderate", code=found.debate.code)
    return render(request, "organise/invitation.html", {"invitation": found, "signup": signup, "token": token})
