"""Our CSRF failure view: htmx gets an inline message and keeps its page; a plain post gets a page that says
nothing was changed and leads back. Nothing is written in either case."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from debates.models import Question
from tests.factories import make_debate, make_moderator, make_question

pytestmark = pytest.mark.django_db


def test_htmx_moderator_action_without_token_answers_inline_and_keeps_the_page():
    debate = make_debate()
    q = make_question(debate, approve=False)
    c = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(make_moderator(debate))
    r = c.post(
        reverse("moderate_act", args=[debate.code]), {"action": "approve", "question": q.pk}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 403
    assert r["HX-Reswap"] == "none"
    assert json.loads(r["HX-Trigger"])["mod-refused"]["csrf"] is True
    html = r.content.decode()
    assert 'id="mod-flash"' in html and 'id="flash"' in html and "nothing was changed" in html
    assert "Forbidden" not in html and "<html" not in html
    q.refresh_from_db()
    assert q.status == Question.Status.PENDING


def test_plain_post_without_token_gets_our_page_with_a_way_back():
    debate = make_debate()
    c = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="fr")
    r = c.post(
        reverse("ask", args=[debate.code]), {"text": "Sans jeton ?"}, HTTP_REFERER=f"http://testserver/d/{debate.code}/"
    )
    assert r.status_code == 403
    html = r.content.decode()
    assert "Rien n’a été modifié" in html or "Rien n'a été modifié" in html
    assert f'href="/d/{debate.code}/"' in html
    assert "CSRF verification failed" not in html
    assert Question.objects.count() == 0


def test_a_foreign_referer_is_not_a_way_back():
    debate = make_debate()
    c = Client(enforce_csrf_checks=True)
    r = c.post(
        reverse("moderate_act", args=[debate.code]), {"action": "approve"}, HTTP_REFERER="https://evil.example/phish"
    )
    assert r.status_code == 403
    assert "evil.example" not in r.content.decode()
    assert f'href="/d/{debate.code}/moderate/"' in r.content.decode()


def test_every_page_carries_the_token_in_a_meta_tag():
    debate = make_debate()
    c = Client(enforce_csrf_checks=True)
    html = c.get(reverse("citizen", args=[debate.code])).content.decode()
    token = c.cookies["csrftoken"].value
    assert '<meta name="csrf-token" content="' in html
    assert "js/csrf.js" in html
    assert token  # the cookie and the meta tag come from the same request
