"""The report and exports: figures equal the database, CSV cells are neutralised, no participant identity leaks."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.urls import reverse

from debates import report, services
from debates.models import Debate, PresenceSample, Question
from tests.factories import make_debate, make_moderator, make_official, make_participant, make_poll, make_question

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def finished():
    """A closed debate with questions, a poll with votes and arguments, an answer and a muted participant."""
    debate = make_debate(premoderation=True)
    mod = make_moderator(debate)
    official = make_official(debate, title="Maire de Testville")
    alice = make_participant(debate, name="Alice Secret")
    bob = make_participant(debate, name="Bob Hidden")
    make_participant(debate, name="Lurker Only")  # joined, did nothing
    q1 = make_question(debate, participant=alice, text=EVIL + " tram ?", actor=mod)
    q2 = make_question(debate, participant=bob, text="+33 6 00 00 00 00 pourquoi ?", actor=mod)
    q3 = services.question_submit(debate=debate, participant=bob, text="@rejected question")
    services.question_reject(question=q3, actor=mod, reason="hors sujet")
    services.question_upvote(question=q1, participant=bob)
    services.question_put_on_screen(question=q1, debate=debate, actor=mod)
    services.answer_post(question=q1, actor=official, text="-10 % sur les tarifs")
    poll = make_poll(debate, actor=mod)
    yes, no, _abstain = poll.options.all()
    services.vote_cast(poll=poll, participant=alice, option_id=yes.pk)
    services.vote_cast(poll=poll, participant=bob, option_id=no.pk)
    arg = services.argument_post(poll=poll, participant=alice, side="for", text="-moins de voitures")
    services.argument_upvote(argument=arg, participant=bob)
    services.participant_set_muted(participant=bob, muted=True, actor=mod)
    services.clock_action(debate=debate, actor=mod, action="start")
    services.poll_close(poll=poll, actor=mod)
    PresenceSample.objects.create(debate=debate, connected=3)
    PresenceSample.objects.create(debate=debate, connected=7)
    services.debate_set_status(debate=debate, status=Debate.Status.CLOSED, actor=mod)
    debate.refresh_from_db()
    return {"debate": debate, "mod": mod, "poll": poll, "q1": q1, "q2": q2, "alice": alice, "bob": bob}


def test_figures_equal_the_database(finished):
    debate = finished["debate"]
    assert report.participation(debate)["participants"] == 2  # the lurker did nothing
    assert report.participation(debate)["peak_connected"] == 7
    figures = report.question_figures(debate)
    assert figures["asked"] == Question.objects.filter(debate=debate).count() == 3
    assert figures["approved"] == 2 and figures["answered"] == 1 and figures["rejected"] == 1
    polls = report.poll_results(debate)
    assert [o["count"] for o in polls[0]["tally"]["options"]] == [1, 1, 0]
    assert [o["pct"] for o in polls[0]["tally"]["options"]] == [50.0, 50.0, 0.0]
    assert polls[0]["arguments"]["for"][0].support == 1
    kinds = {e["kind"] for e in report.timeline(debate)}
    assert {"segment", "question_on_screen", "answer_posted", "poll_opened", "poll_closed"} <= kinds


def test_report_page_is_public_once_closed(client, finished):
    debate = finished["debate"]
    response = client.get(reverse("report", args=[debate.code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Faut-il piétonniser le centre ?" in html and "<svg" in html and re.search(r"50[.,]0 %", html)
    assert "Alice Secret" not in html and "Bob Hidden" not in html
    assert "Maire de Testville" in html  # officials are public figures, their answers are signed


def test_report_before_closing_is_for_moderators_only(client):
    debate = make_debate()
    mod = make_moderator(debate)
    url = reverse("report", args=[debate.code])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    # A visitor is told when the report opens, not that an account they do not have lacks a role.
    assert response.status_code == 403
    html = response.content.decode()
    assert "The report opens when the debate closes." in html and "role" not in html
    assert client.get(reverse("export", args=[debate.code, "json"])).status_code == 403
    client.force_login(mod)
    assert client.get(url).status_code == 200


def test_citizen_page_links_the_report_for_moderators_while_live_and_for_everyone_once_closed(client):
    debate = make_debate()
    mod = make_moderator(debate)
    page, report_url = reverse("citizen", args=[debate.code]), reverse("report", args=[debate.code])
    link = f'class="report-link" href="{report_url}"'  # in the navigation (the closed notices are hidden while live)
    assert link not in client.get(page).content.decode()
    client.force_login(mod)
    assert link in client.get(page).content.decode()
    client.logout()
    services.debate_set_status(debate=debate, status=Debate.Status.CLOSED, actor=mod)
    html = client.get(page).content.decode()
    assert link in html and 'id="ask-form"' not in html


def test_drafts_have_no_public_report(client):
    debate = make_debate(status=Debate.Status.DRAFT)
    assert client.get(reverse("report", args=[debate.code])).status_code == 404
    assert client.get(reverse("export", args=[debate.code, "csv"]) + "?what=questions").status_code == 404


def _csv(client, debate, what):
    response = client.get(reverse("export", args=[debate.code, "csv"]) + f"?what={what}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_exports_neutralise_formulas(client, finished):
    debate = finished["debate"]
    questions = _csv(client, debate, "questions")
    header, rows = questions[0], questions[1:]
    assert len(rows) == 3
    texts = {r[header.index("text")] for r in rows}
    assert (
        "'" + EVIL + " tram ?" in texts and "'+33 6 00 00 00 00 pourquoi ?" in texts and "'@rejected question" in texts
    )
    answers = [r[header.index("answers")] for r in rows if r[header.index("answers")]]
    assert answers == ["'-10 % sur les tarifs"]
    upvotes = {r[header.index("text")]: r[header.index("upvotes")] for r in rows}
    assert upvotes["'" + EVIL + " tram ?"] == "1"
    arguments = _csv(client, debate, "arguments")
    assert arguments[1][arguments[0].index("text")] == "'-moins de voitures"
    assert arguments[1][arguments[0].index("support")] == "1"
    polls = _csv(client, debate, "polls")
    assert [r[polls[0].index("votes")] for r in polls[1:]] == ["1", "1", "0"]
    for table in (questions, arguments, polls, _csv(client, debate, "log")):
        for row in table:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@")), cell


def test_exports_carry_no_participant_identity(client, finished):
    debate = finished["debate"]
    everything = client.get(reverse("export", args=[debate.code, "json"]))
    assert everything.status_code == 200
    doc = everything.json()
    blobs = [everything.content.decode()]
    for what in ("questions", "polls", "arguments", "log"):
        blobs.append(client.get(reverse("export", args=[debate.code, "csv"]) + f"?what={what}").content.decode())
    for blob in blobs:
        for secret in ("Alice Secret", "Bob Hidden", "Lurker Only", finished["alice"].token, finished["bob"].token):
            assert secret not in blob
    for record in doc["questions"] + doc["arguments"]:
        assert not {"author", "author_id", "participant", "participant_id", "display_name"} & set(record)
    muted = [e for e in doc["log"] if e["action"] == "participant_muted"]
    assert muted and muted[0]["object_id"] == "" and "name" not in muted[0]["after"]
    # JSON has everything in one document, and its counts match the database.
    assert doc["questions_summary"]["asked"] == 3 and len(doc["questions"]) == 3
    assert doc["polls"][0]["total"] == 2 and doc["participation"]["participants"] == 2
    assert {"debate", "participation", "polls", "arguments", "log", "presence", "agenda"} <= set(doc)
    json.dumps(doc)


def test_unknown_export_is_refused(client, finished):
    debate = finished["debate"]
    assert client.get(reverse("export", args=[debate.code, "xml"])).status_code == 404
    assert client.get(reverse("export", args=[debate.code, "csv"]) + "?what=users").status_code == 400


def test_screen_page_needs_the_token(client):
    debate = make_debate()
    assert client.get(reverse("screen", args=[debate.code, "nope"])).status_code == 404
    response = client.get(reverse("screen", args=[debate.code, debate.screen_token]) + "?theme=light")
    assert response.status_code == 200
    html = response.content.decode()
    for widget in ("screen-status", "screen-question", "screen-top", "screen-poll", "screen-presence"):
        assert f'id="{widget}"' in html
    assert "theme-light" in html and "<svg" in html and f"/screen/{debate.screen_token}/" in html
    assert "data-clock" in html
    draft = make_debate(status=Debate.Status.DRAFT)
    assert client.get(reverse("screen", args=[draft.code, draft.screen_token])).status_code == 404


def test_screen_shows_the_question_its_asker_and_the_official_answer(client, finished):
    debate = finished["debate"]
    debate.status = Debate.Status.LIVE
    debate.screen_mode = Debate.ScreenMode.QUESTION  # closing it had put the closing slide up
    debate.save()
    html = client.get(reverse("screen", args=[debate.code, debate.screen_token])).content.decode()
    assert "Alice Secret" in html  # the asker's chosen display name is shown with their question
    assert "Maire de Testville" in html and "-10 % sur les tarifs" in html


def test_scheduled_screen_counts_down_to_the_start(client):
    debate = make_debate(status=Debate.Status.SCHEDULED)
    html = client.get(reverse("screen", args=[debate.code, debate.screen_token])).content.decode()
    assert 'data-state="until"' in html


def test_chart_axes_count_whole_people_in_the_readers_locale():
    from datetime import timedelta

    from django.utils import timezone, translation

    from debates import charts

    assert [charts._nice_max(v) for v in (0, 3, 5, 10, 13, 21, 99, 1234)] == [4, 4, 8, 12, 16, 24, 100, 1600]
    t0 = timezone.now()
    for peak in (5, 10, 7, 1234):
        series = [charts.Series("connected", [(t0, 1.0), (t0 + timedelta(minutes=5), float(peak))])]
        with translation.override("fr"):
            html = charts.step_chart(series, title="Présence")
        labels = re.findall(r'class="tick tick-y"[^>]*>([^<]*)<', html)
        assert len(labels) == 5 and all(re.fullmatch(r"[\d\s\u00a0\u202f]+", lab) for lab in labels), labels
    assert labels[-1].replace("\u00a0", " ").replace("\u202f", " ") == "1 600"  # grouped the French way


def test_report_figures_say_what_they_count_in_french(client, finished):
    debate = finished["debate"]
    # A question nobody reviewed before the close.
    Question.objects.create(debate=debate, author=finished["alice"], text="Oubliée ?", status=Question.Status.PENDING)
    Debate.objects.filter(pk=debate.pk).update(title="Conseil citoyen : la ville en 2030")
    html = client.get(reverse("report", args=[debate.code]), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert report.question_figures(debate)["never_reviewed"] == 1
    assert "jamais examinées" in html
    assert "<h1>Conseil citoyen : la ville en 2030</h1>" in html and "Compte rendu : Conseil" not in html
    assert "50,0 %" in html and "50.0 %" not in html  # decimal comma
    # Each figure's sub-line is about that figure: votes are their own figure, not under "answered".
    figures = re.findall(
        r'<div class="r-figure[^"]*"><strong>([^<]*)</strong><span>([^<]*)</span><small>([^<]*)</small>', html
    )
    by_label = {label: (value, sub) for value, label, sub in figures}
    assert "votes" not in by_label["questions avec réponse"][1]
    assert by_label["votes exprimés"][0] == "2"
