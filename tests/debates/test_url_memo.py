"""{% url %} is remembered (debates/templatetags/url_memo.py, a template builtin) and prints what Django's prints."""

from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import override_settings
from django.urls import NoReverseMatch, path, reverse

from debates.templatetags import url_memo


def view(request, code):  # a view of the URLconf below
    raise AssertionError("never called")


urlpatterns = [path("other/<str:code>/", view, name="citizen")]


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_the_builtin_replaces_django_s_tag():
    node = Template("{% url 'citizen' code %}").nodelist[0]
    assert isinstance(node, url_memo.MemoURLNode)


def test_positional_arguments_print_what_reverse_prints_and_are_remembered():
    url_memo.clear_memo()
    source = "{% url 'upvote' code qid %}|{% url 'upvote_withdraw' code qid %}"
    first = render(source, code="ABC123", qid=42)
    assert first == f"{reverse('upvote', args=['ABC123', 42])}|{reverse('upvote_withdraw', args=['ABC123', 42])}"
    hits = url_memo._reverse.cache_info().hits
    assert render(source, code="ABC123", qid=42) == first
    assert url_memo._reverse.cache_info().hits == hits + 2
    assert render(source, code="ABC123", qid=43) != first  # other arguments, other URLs


def test_keyword_arguments_as_var_and_escaping_behave_as_django_s():
    assert render("{% url 'citizen' code=c %}", c="ABC123") == reverse("citizen", kwargs={"code": "ABC123"})
    assert render("{% url 'citizen' c as link %}[{{ link }}]", c="ABC123") == f"[{reverse('citizen', args=['ABC123'])}]"
    assert render("{% url 'citizen' c as link %}[{{ link }}]", c="not a code") == "[]"  # no match: empty, as Django
    with pytest.raises(NoReverseMatch):
        render("{% url 'citizen' c %}", c="not a code")
    with pytest.raises(TemplateSyntaxError):
        Template("{% url %}")


def test_a_change_of_urlconf_is_not_answered_from_the_memo():
    before = render("{% url 'citizen' c %}", c="ABC123")
    with override_settings(ROOT_URLCONF=__name__):
        assert render("{% url 'citizen' c %}", c="ABC123") == "/other/ABC123/"
    assert render("{% url 'citizen' c %}", c="ABC123") == before
