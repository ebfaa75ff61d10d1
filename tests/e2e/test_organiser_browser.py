"""Issue 14's target, in a browser: a signed-in organiser creates a debate from nothing (agenda of three segments),
invites a moderator and an official who accept in their own browser contexts, prints the poster to PDF and puts
the debate live — counting the organiser's clicks or submits (at most 10) and typed fields (at most 15, none in
seconds). Screenshots of every new page on a laptop and a phone, and of the poster."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.e2e.conftest import SCREENSHOTS, requires_chromium

pytestmark = [requires_chromium, pytest.mark.e2e]

LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


class Organiser:
    """The organiser's page, counting what they do."""

    def __init__(self, page):
        self.page, self.clicks, self.fields = page, 0, []

    def click(self, selector: str, **kwargs):
        self.clicks += 1
        self.page.click(selector, **kwargs)

    def fill(self, selector: str, value: str):
        name = self.page.get_attribute(selector, "name") or selector
        assert "second" not in name, f"a field in seconds: {name}"
        self.fields.append(name)
        self.page.fill(selector, value)


def pdf_text(path) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def accept_invitation(browser, link: str, username: str, shot: str) -> None:
    context = browser.new_context(viewport=PHONE, locale="fr-FR")
    page = context.new_page()
    page.goto(link)
    page.screenshot(path=str(SCREENSHOTS / shot))
    page.fill("#id_username", username)
    page.fill("#id_password1", "un-mot-de-passe-long-42")
    page.fill("#id_password2", "un-mot-de-passe-long-42")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/moderate/$"))
    context.close()


def test_organiser_from_nothing_to_live(browser, daphne_server, tmp_path):
    daphne_server.shell(
        "from django.contrib.auth.models import User, Permission\n"
        "u = User.objects.create_user('orga', password='pw-orga-123456')\n"
        "u.user_permissions.add(Permission.objects.get(codename='organise_debates'))\n"
    )
    base = daphne_server.url
    context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
    page = context.new_page()
    page.goto(base + "/")
    page.click("text=Se connecter")  # the header's sign-in link, for everyone
    page.fill("#id_username", "orga")
    page.fill("#id_password", "pw-orga-123456")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/organise/")  # lands on "My debates"
    page.screenshot(path=str(SCREENSHOTS / "organise-dashboard-empty-1440.png"))

    org = Organiser(page)  # from the dashboard on, everything counts
    org.click("text=Nouveau débat")
    page.wait_for_url(base + "/organise/new/")
    org.fill("#id_title", "Conseil de quartier : la place du marché")
    org.fill("#id_scheduled_start", "2027-03-04T18:30")
    for i, (title, minutes) in enumerate([("Accueil", "5"), ("Questions au maire", "45"), ("Conclusion", "10")], 1):
        org.fill(f"#agenda-title-{i}", title)
        org.fill(f"#agenda-minutes-{i}", minutes)
    page.screenshot(path=str(SCREENSHOTS / "organise-create-1440.png"), full_page=True)
    org.click("text=Créer le débat")
    page.wait_for_url(re.compile(r"/organise/staff/$"))
    code = re.search(r"/d/([A-Z0-9]{6})/", page.url).group(1)

    org.click("button[value=moderator]")
    page.wait_for_selector("#new-link")
    moderator_link = page.input_value("#new-link")
    org.click("text=Copier le lien")
    org.fill("#id_title", "Maire de Nanterre")
    org.click("button[value=official]")
    page.wait_for_function("document.querySelector('#new-link').value !== %r" % moderator_link)
    official_link = page.input_value("#new-link")
    org.click("text=Copier le lien")
    page.screenshot(path=str(SCREENSHOTS / "organise-staff-1440.png"), full_page=True)
    assert moderator_link != official_link and "/invite/" in official_link

    laptop = browser.new_context(viewport=LAPTOP, locale="fr-FR")  # opening the link does not use it
    invite_page = laptop.new_page()
    invite_page.goto(moderator_link)
    invite_page.screenshot(path=str(SCREENSHOTS / "organise-invitation-1440.png"), full_page=True)
    laptop.close()
    accept_invitation(browser, moderator_link, "moderatrice2", "organise-invitation-390.png")
    accept_invitation(browser, official_link, "maire2", "organise-invitation-official-390.png")
    page.goto(page.url)  # a GET: reloading would post the last invitation again
    team = page.inner_text(".org-columns")
    assert "moderatrice2" in team and "maire2" in team and "Maire de Nanterre" in team

    with context.expect_page() as popup:
        org.click("text=Affiche")
    poster = popup.value
    poster.wait_for_load_state()
    poster.screenshot(path=str(SCREENSHOTS / "organise-poster-1440.png"), full_page=True)
    org.clicks += 1  # printing the poster (page.pdf stands for the browser's print dialog)
    pdf = tmp_path / "poster.pdf"
    poster.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
    text = pdf_text(pdf)
    assert code in text and "Conseil de quartier" in text and "4 mars 2027" in text, text
    from pypdf import PdfReader

    assert len(PdfReader(pdf).pages) == 1
    poster.close()

    org.click("text=Passer en direct")
    page.wait_for_url(re.compile(rf"/d/{code}/moderate/$"))
    assert (
        daphne_server.shell(
            f"from debates.models import Debate; print(Debate.objects.get(code='{code}').status)"
        ).split()[-1]
        == "live"
    )

    assert org.clicks <= 10, org.clicks
    assert len(org.fields) <= 15, org.fields
    print(f"organiser: {org.clicks} clicks or submits, {len(org.fields)} fields typed")

    # Every new page on a phone too, and the laptop dashboard with a debate.
    page.goto(base + "/organise/")
    page.screenshot(path=str(SCREENSHOTS / "organise-dashboard-1440.png"), full_page=True)
    phone = browser.new_context(viewport=PHONE, locale="fr-FR", storage_state=context.storage_state())
    p = phone.new_page()
    for path, name in [
        ("/organise/", "dashboard"),
        ("/organise/new/", "create"),
        (f"/d/{code}/organise/", "edit"),
        (f"/d/{code}/organise/staff/", "staff"),
        (f"/d/{code}/organise/poster/", "poster"),
        (f"/d/{code}/organise/screen-sheet/", "screen-sheet"),
        (f"/d/{code}/organise/how-to/", "howto"),
    ]:
        response = p.goto(base + path)
        assert response.status == 200, path
        p.screenshot(path=str(SCREENSHOTS / f"organise-{name}-390.png"), full_page=True)
    for path, name in [
        (f"/d/{code}/organise/", "edit"),
        (f"/d/{code}/organise/screen-sheet/", "screen-sheet"),
        (f"/d/{code}/organise/how-to/", "howto"),
    ]:
        page.goto(base + path)
        page.screenshot(path=str(SCREENSHOTS / f"organise-{name}-1440.png"), full_page=True)
    phone.close()
    context.close()
