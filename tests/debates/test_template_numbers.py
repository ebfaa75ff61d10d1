"""Integers in templates skip Django's number formatting when it would print them as str() does
(debates.apps.install_integer_fast_path); everything else keeps the locale's format."""

from __future__ import annotations

import datetime

from django.template import Context, Template, base
from django.test import override_settings
from django.utils import formats, translation

TEMPLATE = Template("{{ n }}|{{ f }}|{{ b }}|{{ d }}|{{ s }}")
VALUES = {"n": 1234567, "f": 0.5, "b": True, "d": datetime.date(2026, 12, 2), "s": "texte"}


def render(lang: str) -> str:
    with translation.override(lang):
        return TEMPLATE.render(Context(VALUES))


def test_the_fast_path_is_installed_once():
    assert getattr(base.localize, "integer_fast_path", False)
    from debates.apps import install_integer_fast_path

    installed = base.localize
    install_integer_fast_path()
    assert base.localize is installed  # not wrapped twice


def test_integers_print_plainly_and_the_rest_in_the_locale_s_format():
    with translation.override("fr"):
        expected = f"1234567|0,5|True|{formats.localize(VALUES['d'])}|texte"
    assert render("fr") == expected
    assert render("en").startswith("1234567|0.5|True|")


@override_settings(USE_THOUSAND_SEPARATOR=True)
def test_with_a_thousand_separator_integers_are_grouped_as_django_groups_them():
    with translation.override("en"):
        grouped = formats.localize(1234567)
    assert grouped == "1,234,567"
    assert render("en").startswith("1,234,567|")
