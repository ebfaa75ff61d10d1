"""`manage.py consult_tick`: apply the consultations' due transitions (for cron; server processes run it too)."""

from django.core.management.base import BaseCommand

from debates.services.dates import consultation_tick


class Command(BaseCommand):
    help = "Close the consultations whose closing date has passed (safe to run from several places at once)."

    def handle(self, *args, **options):
        closed = consultation_tick()
        self.stdout.write(f"closed {len(closed)} debate(s)")
