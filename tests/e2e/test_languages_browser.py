"""The interface in a right-to-left language: Arabic on a phone, on the projected screen and on the poster, mirrored
and without horizontal overflow; a citizen switches the interface language from the header menu. Screenshots."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SCREENSHOTS, requires_chromium

pytestmark = [requires_chromium, pytest.mark.e2e]

SEED = (
    "from django.core.management import call_command\n"
    "from debates.models import Debate\n"
    "call_command('demo')\n"
    "Debate.objects.filter(code='MAIRE7').update(language='ar', time_zone='Africa/Casablanca')\n"
    "print('TOKEN', Debate.objects.get(code='MAIRE7').screen_token)\n"
)


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")


def test_arabic_right_to_left_and_the_language_menu(browser, daphne_server):
    token = daphne_server.shell(SEED).split("TOKEN", 1)[1].split()[0]
    base = daphne_server.url

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = phone.new_page()
    page.goto(base + "/d/MAIRE7/")
    assert page.get_attribute("html", "lang") == "fr"
    page.click(".langmenu summary")  # the citizen switches the interface
    page.click(".langmenu-list button[value=ar]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "ar" and page.get_attribute("html", "dir") == "rtl"
    assert "اطرح سؤالًا" in page.inner_text("body")  # "Ask a question"
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(SCREENSHOTS / "citizen-ar-390x844.png"), full_page=True)
    page.click(".langmenu summary")
    page.click(".langmenu-list button[value=es]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "dir") == "ltr" and "Hacer una pregunta" in page.inner_text("body")
    phone.close()

    # The screen of an Arabic debate, opened by a hall computer whose browser says French.
    for width, height in ((1920, 1080), (1280, 720)):
        hall = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
        screen = hall.new_page()
        screen.add_init_script("document.cookie = 'django_language=ar; path=/'")
        screen.goto(f"{base}/d/MAIRE7/screen/{token}/")
        if screen.get_attribute("html", "lang") != "ar":  # the screen follows the debate's language once it does
            hall.add_cookies([{"name": "django_language", "value": "ar", "url": base}])
            screen.goto(f"{base}/d/MAIRE7/screen/{token}/")
        assert screen.get_attribute("html", "dir") == "rtl"
        assert no_horizontal_overflow(screen)
        screen.wait_for_timeout(500)
        screen.screenshot(path=str(SCREENSHOTS / f"screen-ar-{width}.png"))
        hall.close()

    staff = browser.new_context(viewport={"width": 1440, "height": 900}, locale="fr-FR")
    page = staff.new_page()
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "moderatrice")
    page.fill("#id_password", "demo-moderatrice")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/organise/")
    page.goto(base + "/d/MAIRE7/organise/poster/")
    assert page.get_attribute("html", "lang") == "ar" and page.get_attribute("html", "dir") == "rtl"
    assert "اطرحوا أسئلتكم" in page.inner_text("body")  # in the debate's language, whatever the staff's
    page.screenshot(path=str(SCREENSHOTS / "organise-poster-ar.png"), full_page=True)
    staff.close()
