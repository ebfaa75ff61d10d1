"""A deterministic debate for the golden tests: fixed ids (sequences reset), fixed clock, fixed secrets.

Built through the services (and the citizen views where a session must hold a participant), so what it stores is
what real use stores. Each step moves the frozen clock on by a few seconds, so every ordering by time is total and
the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone as dt_timezone
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from debates import services
from debates.models import AgendaSegment, Debate, DebateRole, Participant, Poll, Question

START = datetime(2026, 11, 26, 18, 0, 0, tzinfo=dt_timezone.utc)
CODE = "VERT47"
CLOSED_CODE = "PAC379"
SCREEN_TOKEN = "golden-screen-token-0123456789abcdef"


@dataclass
class Seed:
    debate: Debate
    closed: Debate
    moderator: Any
    official: Any
    citizen: Client  # a browser whose session holds a participant who voted, upvoted and asked
    participant: Participant
    polls: dict[str, Poll] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)


def build(traveller: Any) -> Seed:
    """traveller: a time_machine traveller (tick=False) started at START."""

    def step(seconds: int = 7) -> None:
        traveller.shift(timedelta(seconds=seconds))

    User = get_user_model()
    moderator = User.objects.create_user(
        "camille", password="pw", first_name="Camille", last_name="Martin", is_staff=True, is_superuser=True
    )
    official = User.objects.create_user("helene", password="pw", first_name="Hélène", last_name="Durand", is_staff=True)
    debate = Debate.objects.create(
        code=CODE,
        title="Conseil citoyen : la ville en 2030",
        description="Mobilités, logement & <budget>.",
        status=Debate.Status.SCHEDULED,
        scheduled_start=START - timedelta(minutes=5),
        scheduled_end=START + timedelta(hours=2),
        premoderation=True,
        trending_threshold=2,
    )
    Debate.objects.filter(pk=debate.pk).update(screen_token=SCREEN_TOKEN)
    debate.refresh_from_db()
    DebateRole.objects.create(debate=debate, user=moderator, role=DebateRole.Role.MODERATOR)
    DebateRole.objects.create(debate=debate, user=official, role=DebateRole.Role.OFFICIAL, title="Hélène Durand, maire")
    for i, (title, minutes) in enumerate([("Ouverture", 10), ("Questions du public", 45), ("Vote", 15)]):
        AgendaSegment.objects.create(debate=debate, position=i, title=title, planned_seconds=minutes * 60)
    step()
    services.debate_set_status(debate=debate, status=Debate.Status.LIVE, actor=moderator)
    step()
    services.clock_action(debate=debate, actor=moderator, action="start")
    step(95)
    services.clock_action(debate=debate, actor=moderator, action="next")
    step(40)
    services.clock_action(debate=debate, actor=moderator, action="extend", seconds=120)
    step(30)
    services.clock_action(debate=debate, actor=moderator, action="pause")
    step()

    names = ["Karim", "Sophie", "", "Lucas", "Aïcha", "Marc"]
    people = [services.participant_join(debate=debate, display_name=n) for n in names]
    step()
    texts = [
        "Quand la ligne de tram arrivera-t-elle au quartier nord ?",
        "Combien de logements sociaux d'ici 2030 ?",
        "Le budget participatif sera-t-il doublé ? <b>vraiment</b>",
        "Pourquoi pas des pistes cyclables protégées partout ?",
        "Que faire des friches industrielles ?",
        "Les transports seront-ils gratuits le week-end ?",
        "Quand le tram ira-t-il au nord ?",
    ]
    qs = []
    for person, text in zip(people + people[:1], texts):
        qs.append(services.question_submit(debate=debate, participant=person, text=text))
        step()
    for q in qs[:5]:
        services.question_approve(question=q, actor=moderator)
        step()
    services.question_reject(question=qs[5], actor=moderator, reason="Hors sujet pour ce conseil.")
    step()
    services.question_merge(duplicate=qs[6], into=qs[0], actor=moderator)
    step()
    for voters, q in ((people[1:5], qs[0]), (people[2:4], qs[1]), (people[:1], qs[3])):
        for person in voters:
            services.question_upvote(question=q, participant=person)
            step(2)
    services.question_star(question=qs[1], actor=moderator, starred=True)
    step()
    services.question_put_on_screen(question=qs[0], debate=debate, actor=moderator)
    step()
    services.answer_post(question=qs[0], actor=official, text="Les travaux commencent en 2027 & finissent en 2029.")
    step()
    services.question_mark_answered(question=qs[3], actor=moderator)
    step()
    services.question_edit(question=qs[4], actor=moderator, text="Que faire des friches industrielles du port ?")
    step()
    # A held question (word filter) and one still pending.
    Debate.objects.filter(pk=debate.pk).update(word_filter="arnaque")
    debate.refresh_from_db()
    services.question_submit(debate=debate, participant=people[3], text="Encore une arnaque de la mairie ?")
    step()
    services.question_submit(debate=debate, participant=people[4], text="Et les écoles ?")
    step()
    services.participant_set_muted(participant=people[5], muted=True, actor=moderator)
    step()

    polls: dict[str, Poll] = {}
    polls["proposition"] = services.poll_create(
        debate=debate, actor=moderator, text="Piétonniser le centre ?", kind=Poll.Kind.YES_NO_ABSTAIN, open_now=True
    )
    step()
    polls["choice"] = services.poll_create(
        debate=debate,
        actor=moderator,
        text="Quelle priorité ?",
        kind=Poll.Kind.CHOICE,
        options=["Logement", "Transports", "Écoles"],
        results=Poll.Results.HIDDEN,
        open_now=True,
    )
    step()
    polls["draft"] = services.poll_create(
        debate=debate, actor=moderator, text="Un sondage en préparation", kind=Poll.Kind.YES_NO_ABSTAIN
    )
    step()
    options = {k: list(p.options.order_by("position")) for k, p in polls.items()}
    for i, person in enumerate(people[:5]):
        services.vote_cast(poll=polls["proposition"], participant=person, option_id=options["proposition"][i % 3].pk)
        step(2)
        services.vote_cast(poll=polls["choice"], participant=person, option_id=options["choice"][i % 2].pk)
        step(2)
    args = [
        services.argument_post(
            poll=polls["proposition"], participant=people[0], side="for", text="Moins de bruit, plus de commerces."
        ),
        services.argument_post(
            poll=polls["proposition"],
            participant=people[1],
            side="against",
            text="Les livraisons deviennent impossibles.",
        ),
        services.argument_post(
            poll=polls["proposition"], participant=people[2], side="for", text="Un air plus sain pour les enfants."
        ),
        services.argument_post(
            poll=polls["proposition"],
            participant=people[3],
            side="against",
            text="C'est une arnaque pour les riverains.",
        ),  # held by the word filter
    ]
    step()
    for person in people[1:4]:
        services.argument_upvote(argument=args[0], participant=person)
        step(2)
    services.argument_upvote(argument=args[1], participant=people[0])
    step()
    services.argument_set_status(argument=args[2], actor=moderator, status="hidden")
    step()

    # A browser session holding a participant: it asks, upvotes and votes through the ordinary views.
    citizen = Client(HTTP_ACCEPT_LANGUAGE="fr")
    citizen.post(f"/d/{CODE}/ask", {"text": "Et le stationnement des vélos ?", "display_name": "Nadia"})
    step()
    citizen.post(f"/d/{CODE}/q/{qs[1].pk}/upvote", HTTP_HX_REQUEST="true")
    step()
    citizen.post(
        f"/d/{CODE}/poll/{polls['proposition'].pk}/vote",
        {"option": options["proposition"][0].pk},
        HTTP_HX_REQUEST="true",
    )
    step()
    citizen.post(f"/d/{CODE}/arg/{args[1].pk}/support", HTTP_HX_REQUEST="true")
    step()
    participant = Participant.objects.get(debate=debate, display_name="Nadia")
    services.presence_record(debate.pk, 12)
    step(60)
    services.presence_record(debate.pk, 30)
    step(60)

    # A closed debate with a little content (the public report and exports), and a scheduled one (the home page).
    closed = Debate.objects.create(
        code=CLOSED_CODE,
        title="Budget 2026 : bilan",
        status=Debate.Status.SCHEDULED,
        scheduled_start=START - timedelta(days=2),
        scheduled_end=START - timedelta(days=2) + timedelta(hours=1),
        premoderation=False,
    )
    Debate.objects.filter(pk=closed.pk).update(screen_token=SCREEN_TOKEN + "-closed")
    closed.refresh_from_db()
    DebateRole.objects.create(debate=closed, user=moderator, role=DebateRole.Role.MODERATOR)
    AgendaSegment.objects.create(debate=closed, position=0, title="Bilan", planned_seconds=600)
    services.debate_set_status(debate=closed, status=Debate.Status.LIVE, actor=moderator)
    step()
    voter = services.participant_join(debate=closed, display_name="Léa")
    q = services.question_submit(debate=closed, participant=voter, text="Où est passé l'excédent ?")
    step()
    services.question_upvote(question=q, participant=services.participant_join(debate=closed))
    step()
    poll = services.poll_create(
        debate=closed, actor=moderator, text="Satisfait du bilan ?", kind=Poll.Kind.YES_NO_ABSTAIN, open_now=True
    )
    step()
    services.vote_cast(poll=poll, participant=voter, option_id=poll.options.order_by("position").first().pk)
    step()
    services.poll_close(poll=poll, actor=moderator)
    step()
    services.debate_set_status(debate=closed, status=Debate.Status.CLOSED, actor=moderator)
    step()
    Debate.objects.create(
        code="NEXT34",
        title="Prochain conseil",
        status=Debate.Status.SCHEDULED,
        scheduled_start=START + timedelta(days=7),
        scheduled_end=START + timedelta(days=7, hours=2),
    )
    Debate.objects.create(code="DRAFT3", title="Brouillon", status=Debate.Status.DRAFT)
    step()

    debate.refresh_from_db()
    return Seed(
        debate=debate,
        closed=closed,
        moderator=moderator,
        official=official,
        citizen=citizen,
        participant=participant,
        polls=polls,
        questions={"tram": qs[0], "housing": qs[1]},
    )
