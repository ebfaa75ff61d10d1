"""Control and bidi characters are cleaned from every text citizens and moderators write (issue 12, item 4)."""

from __future__ import annotations

import pytest
from django.test import Client

from debates import services
from debates.models import ModerationLog, Poll, Question
from debates.services.text import clean_line, strip_controls
from tests.factories import make_debate, make_moderator, make_participant, make_question

pytestmark = pytest.mark.django_db

DIRTY = "A\x00li\u202ece\x1b[0m\u2066 \x7f"


def test_strip_controls_keeps_text_joiners_and_newlines():
    assert strip_controls("a\x00b\u202ec\u200bd\ud800") == "abcd"
    assert strip_controls("famille 👨\u200d👩\u200d👧\nligne 2") == "famille 👨\u200d👩\u200d👧\nligne 2"
    assert clean_line("  un\tdeux\n  trois\x00 ", 9) == "un deux t"
    assert strip_controls(None) == "" and strip_controls(["x"]) == ""


def test_display_names_reasons_options_and_texts_are_cleaned():
    debate = make_debate(premoderation=True)
    moderator = make_moderator(debate)
    participant = make_participant(debate, name=DIRTY)
    assert participant.display_name == "Alice[0m"
    services.participant_rename(participant=participant, display_name="Bob\u202e\x00  Martin")
    participant.refresh_from_db()
    assert participant.display_name == "Bob Martin"
    question = make_question(debate, participant=participant, text="Pourquoi\x00 \u202epas ?", approve=False)
    assert question.text == "Pourquoi pas ?"
    services.question_reject(question=question, actor=moderator, reason="Hors\x00 sujet\u202e")
    assert Question.objects.get(pk=question.pk).rejection_reason == "Hors sujet"
    poll = services.poll_create(
        debate=debate,
        actor=moderator,
        text="Choix\x07 ?",
        kind=Poll.Kind.CHOICE,
        options=["Un\x00", "\u202eDeux", "\x00"],
        open_now=True,
    )
    assert [o.label for o in poll.options.order_by("position")] == ["Un", "Deux"]
    assert poll.text == "Choix ?"


def test_a_name_made_only_of_controls_is_empty_and_refused_where_names_are_required():
    debate = make_debate(allow_anonymous=False)
    participant = make_participant(debate, name="Ana")
    with pytest.raises(services.ServiceError):
        services.participant_rename(participant=participant, display_name="\x00\u202e\x01")


def test_home_code_and_log_filters_are_cleaned():
    debate = make_debate(premoderation=True)
    response = Client().get("/", {"code": f" {debate.code[:3]}\x00{debate.code[3:]} "})
    assert response.status_code == 302 and response["Location"] == f"/d/{debate.code}/"
    moderator = make_moderator(debate)
    make_question(debate, actor=moderator)
    client = Client()
    client.force_login(moderator)
    response = client.get(f"/d/{debate.code}/moderate/log/", {"action": "question_\x00approved"})
    assert response.status_code == 200
    assert ModerationLog.objects.filter(debate=debate, action="question_approved").exists()
    assert "question_approved" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/d/MA%00RE7/",
        "/api/d/MA%00RE7/state",
        "/d/MA%00RE7/me",
        "/d/MA%00RE7/report/",
        "/d/MA%00RE7/export.json",
        "/d/MAIRE7/screen/%00/",
        "/MA%00RE7",
        "/d/MAIRE7/q/99999999999999999999999/upvote",
    ],
)
def test_paths_that_cannot_name_anything_are_404(path):
    make_debate(code="MAIRE7")
    client = Client()
    response = client.post(path) if "upvote" in path else client.get(path)
    assert response.status_code == 404


def test_settings_and_role_titles_are_cleaned():
    from debates.forms import DebateSettingsForm, RoleForm

    debate = make_debate()
    data = {f: getattr(debate, f) for f in DebateSettingsForm.Meta.fields}
    data.update(title="Conseil\u202e municipal\x07", description="ligne 1\nligne\u2066 2")
    form = DebateSettingsForm(data, instance=debate)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["title"] == "Conseil municipal"
    assert form.cleaned_data["description"] == "ligne 1\nligne 2"
    role = RoleForm({"username": "mod", "role": "moderator", "title": "Maire\u202e"})
    assert role.is_valid() and role.cleaned_data["title"] == "Maire"
