"""Create (once) a realistic demo debate — a town-hall Q&A with a mayor — and print its URLs and accounts.

`demo --reset` deletes the demo debate (and everything in it: questions, votes, log) and creates it afresh, live
again, and gives the demo accounts their demo passwords back: a demo that was closed, or played with, is restored.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from debates import services
from debates.models import AgendaSegment, Debate, DebateRole

DEMO_CODE = "MAIRE7"
MODERATOR = ("moderatrice", "demo-moderatrice")
OFFICIAL = ("maire", "demo-maire")


class Command(BaseCommand):
    help = "Create the demo town-hall debate (if missing) and print how to reach it; --reset restores it."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--if-missing", action="store_true", help="Do nothing but print if the demo exists.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo debate with everything in it and create it again (live).",
        )

    def handle(self, *args, base_url: str, if_missing: bool, reset: bool = False, **options):
        found = self.reset() if reset else Debate.objects.filter(code=DEMO_CODE).first()
        debate = found if found is not None else self.create()
        base = base_url.rstrip("/")
        self.stdout.write(self.style.SUCCESS("\nDemo debate ready: " + debate.title))
        self.stdout.write(f"  Join code      : {debate.code}")
        self.stdout.write(f"  Citizen page   : {base}{reverse('citizen', args=[debate.code])}")
        self.stdout.write(
            f"  Moderation     : {base}{reverse('moderate', args=[debate.code])}"
            f"   (login {MODERATOR[0]} / {MODERATOR[1]})"
        )
        self.stdout.write(f"  Official       : same console, login {OFFICIAL[0]} / {OFFICIAL[1]}")
        self.stdout.write(f"  Projected screen: {base}{reverse('screen', args=[debate.code, debate.screen_token])}")
        self.stdout.write(f"  Report         : {base}{reverse('report', args=[debate.code])}")
        self.stdout.write(f"  Admin          : {base}/admin/   (login {MODERATOR[0]} / {MODERATOR[1]})\n")

    @transaction.atomic
    def reset(self) -> Debate:
        """One transaction: the old demo disappears and the new one appears together (no moment without it)."""
        old = Debate.objects.filter(code=DEMO_CODE).first()
        if old is not None:
            # The debate points at its on-screen question and current segment, which point back at it: clear those
            # first so the cascade deletes in any order the database likes.
            Debate.objects.filter(pk=old.pk).update(on_screen=None, current_segment=None)
            old.delete()
        User = get_user_model()
        for username, password in (MODERATOR, OFFICIAL):
            user = User.objects.filter(username=username).first()
            if user is not None:
                user.set_password(password)
                user.is_active = True
                user.save()
        debate = self.create()
        self.stdout.write(self.style.WARNING("The demo debate was reset."))
        return debate

    @transaction.atomic
    def create(self) -> Debate:
        User = get_user_model()
        moderator, created = User.objects.get_or_create(
            username=MODERATOR[0],
            defaults={"first_name": "Camille", "last_name": "Martin", "is_staff": True, "is_superuser": True},
        )
        if created:
            moderator.set_password(MODERATOR[1])
            moderator.save()
        mayor, created = User.objects.get_or_create(
            username=OFFICIAL[0], defaults={"first_name": "Hélène", "last_name": "Durand", "is_staff": True}
        )
        if created:
            mayor.set_password(OFFICIAL[1])
            mayor.save()
        now = timezone.now()
        debate = Debate.objects.create(
            code=DEMO_CODE,
            title="Conseil citoyen : quelle ville pour 2030 ?",
            description="Questions-réponses en direct avec la maire sur les mobilités, le logement et le budget participatif.",
            status=Debate.Status.SCHEDULED,
            scheduled_start=now - timedelta(minutes=5),
            scheduled_end=now + timedelta(hours=2),
            premoderation=True,
        )
        DebateRole.objects.create(debate=debate, user=moderator, role=DebateRole.Role.MODERATOR)
        DebateRole.objects.create(
            debate=debate, user=mayor, role=DebateRole.Role.OFFICIAL, title="Hélène Durand, maire"
        )
        DebateRole.objects.create(debate=debate, user=mayor, role=DebateRole.Role.MODERATOR)
        for i, (title, minutes) in enumerate(
            [("Ouverture par la maire", 10), ("Questions du public", 45), ("Vote sur la piétonnisation", 15)]
        ):
            AgendaSegment.objects.create(debate=debate, position=i, title=title, planned_seconds=minutes * 60)
        services.debate_set_status(debate=debate, status=Debate.Status.LIVE, actor=moderator)
        services.clock_action(debate=debate, actor=moderator, action="start")
        services.clock_action(debate=debate, actor=moderator, action="next")

        citizens = [
            services.participant_join(debate=debate, display_name=n)
            for n in ("Karim", "Sophie", "", "Lucas", "Aïcha", "", "Marc", "Inès")
        ]
        asked = [
            (0, "Quand la ligne de tram vers le quartier Nord sera-t-elle enfin prolongée ?"),
            (1, "Pourquoi ne pas rendre les cantines scolaires 100 % bio et locales d’ici 2027 ?"),
            (2, "Que prévoit la ville contre la hausse des loyers dans le centre ?"),
            (3, "Peut-on installer plus d’arceaux vélo sécurisés près des gares ?"),
            (4, "Comment les habitants peuvent-ils proposer des projets au budget participatif ?"),
            (5, "Les horaires de la médiathèque pourraient-ils être étendus le dimanche ?"),
        ]
        questions = [services.question_submit(debate=debate, participant=citizens[a], text=t) for a, t in asked]
        for q in questions[:4]:
            services.question_approve(question=q, actor=moderator)
        for q, voters in zip(questions[:4], (6, 4, 5, 2)):
            for p in citizens[:voters]:
                if p.pk != q.author_id:
                    services.question_upvote(question=q, participant=p)
        services.question_put_on_screen(question=questions[0], debate=debate, actor=moderator)
        services.answer_post(
            question=questions[3],
            actor=mayor,
            text="Oui : 300 arceaux sécurisés seront posés près des deux gares avant l’été, financés par le plan vélo.",
        )
        poll = services.poll_create(
            debate=debate,
            actor=moderator,
            text="Faut-il rendre la rue de la République piétonne le week-end ?",
            kind="yna",
            open_now=True,
        )
        yes, no, abstain = poll.options.order_by("position")
        for p, option in zip(citizens, (yes, yes, no, yes, abstain, no, yes, yes)):
            services.vote_cast(poll=poll, participant=p, option_id=option.pk)
        for p, side, text in [
            (citizens[0], "for", "Moins de bruit et de pollution, plus de place pour les familles et les terrasses."),
            (citizens[1], "for", "Les commerces des rues piétonnes voient souvent leur fréquentation augmenter."),
            (
                citizens[6],
                "against",
                "Les livraisons et l’accès des personnes à mobilité réduite doivent être garantis.",
            ),
            (citizens[2], "against", "Le report de circulation risque d’engorger les rues voisines."),
        ]:
            services.argument_post(poll=poll, participant=p, side=side, text=text)
        services.poll_create(
            debate=debate,
            actor=moderator,
            text="Quelle priorité pour le budget participatif 2027 ?",
            kind="choice",
            options=["Pistes cyclables", "Espaces verts", "Équipements sportifs", "Rénovation des écoles"],
        )
        return debate
