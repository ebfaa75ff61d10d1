"""`manage.py tick`: apply due scheduled transitions once (for cron; server processes also tick by themselves)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from debates.scheduler import tick


class Command(BaseCommand):
    help = "Apply due scheduled transitions (debates opening and closing at their dates, consultation phases)."

    def handle(self, *args, **options) -> None:
        applied = tick()
        for name, count in applied.items():
            self.stdout.write(f"{name}: {count}")
