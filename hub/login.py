"""Staff sign-in with a growing delay after failed attempts, per account and per address, never a lockout.

A lockout would let a stranger keep the moderator out during the debate by typing wrong passwords on their
account. Instead, after a few failures each further attempt must wait (1, 2, 4… seconds): from the failing address
up to a minute, on the account from anywhere only up to LOGIN_ACCOUNT_DELAY_CAP seconds, so someone else's
failures cost the moderator a few seconds at most. While a delay runs the password is not even checked.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse

from debates import limits
from debates.services.text import clean_line


def _keys(request: HttpRequest) -> tuple[str, str, str]:
    username = clean_line(request.POST.get("username", ""), 150).casefold()
    address = limits.client_address(request)
    return ("account", username), ("address", address), ("pair", username, address)  # type: ignore[return-value]


def seconds_to_wait(request: HttpRequest) -> int:
    account, address, pair = _keys(request)
    return max(
        limits.seconds_to_wait("login_failure", account, cap=settings.LOGIN_ACCOUNT_DELAY_CAP),
        limits.seconds_to_wait("login_failure", address),
        limits.seconds_to_wait("login_failure", pair),
    )


class ThrottledLoginView(LoginView):
    template_name = "registration/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = seconds_to_wait(request)
        if wait > 0:
            form = self.get_form_class()(
                request, initial={"username": clean_line(request.POST.get("username", ""), 150)}
            )
            response = self.render_to_response(self.get_context_data(form=form, wait_seconds=wait), status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        for key in _keys(self.request):
            limits.record_failure("login_failure", key)
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        account, _address, pair = _keys(self.request)
        limits.clear_failures("login_failure", pair)
        limits.clear_failures("login_failure", account)
        return super().form_valid(form)
