"""`manage.py consult_tick`: close the consultations past their closing date (kept for existing crontabs;
`manage.py tick` applies it with every other due transition, and every server process ticks by itself)."""

from django.core.management.base import BaseCommand

from debates.scheduler import close_due_consultations
from django.utils import timezone


class Command(BaseCommand):
    help = "Close the consultations whose closing date has passed (safe to run from several places at once)."

    def handle(self, *args, **options):
        closed = close_due_consultations(timezone.now())
        self.stdout.write(f"closed {closed} debate(s)")
