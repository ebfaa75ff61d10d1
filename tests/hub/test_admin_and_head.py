"""The Django admin saves the demo debate; HEAD answers like GET on every page (issue 12, item 9)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory

from debates.models import Debate
from tests.factories import make_debate, make_moderator, make_question, make_user

pytestmark = pytest.mark.django_db


def _admin_form(debate: Debate | None, **changes):
    superuser = make_user(is_superuser=True, is_staff=True)
    request = RequestFactory().post("/admin/")
    request.user = superuser
    model_admin = admin.site._registry[Debate]
    form_class = model_admin.get_form(request, debate)
    initial = {name: field.initial for name, field in form_class.base_fields.items()}
    if debate is not None:
        form = form_class(instance=debate)
        initial = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in {**initial, **changes}.items() if v is not None}
    for name in ("scheduled_start", "scheduled_end"):
        if name in data and hasattr(data[name], "strftime"):
            data[f"{name}_0"], data[f"{name}_1"] = data[name].strftime("%Y-%m-%d"), data[name].strftime("%H:%M:%S")
    return form_class(data, instance=debate)


def test_the_admin_saves_a_debate_whose_stored_code_predates_the_rule():
    debate = make_debate(code="MAIRE7")
    form = _admin_form(debate, title="Questions au maire, saison 2")
    assert form.is_valid(), form.errors
    form.save()
    assert Debate.objects.get(pk=debate.pk).title == "Questions au maire, saison 2"


def test_the_admin_still_checks_a_code_being_changed():
    debate = make_debate()
    form = _admin_form(debate, code="MAIRE0")
    assert not form.is_valid() and "code" in form.errors


def test_head_answers_like_get_on_pages():
    debate = make_debate(status=Debate.Status.LIVE)
    moderator = make_moderator(debate)
    make_question(debate, actor=moderator)
    client = Client()
    client.force_login(moderator)
    d = f"/d/{debate.code}"
    for path in (
        "/",
        f"/{debate.code}",
        f"{d}/",
        f"{d}/me",
        f"/api/d/{debate.code}/state",
        "/api/debates",
        f"{d}/report/",
        f"{d}/export.json",
        f"{d}/export.csv",
        f"{d}/screen/{debate.screen_token}/",
        f"{d}/moderate/",
        f"{d}/moderate/log/",
        f"{d}/moderate/log.csv",
        f"{d}/moderate/settings/",
        "/accounts/login/",
        "/healthz",
    ):
        get, head = client.get(path), client.head(path)
        assert (path, head.status_code) == (path, get.status_code)
        assert head.content == b""
