"""Mark steps whose worker stopped heartbeating ``interrupted`` and ask again for unclaimed ones (once, or --loop)."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection

from procedures.execution import reaper


class Command(BaseCommand):
    help = (
        "Mark claimed running steps with a stale heartbeat interrupted (never re-runs anything); ask the workers "
        "again for running steps that none has claimed (a doubled request runs nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep reaping every --interval seconds")
        parser.add_argument("--interval", type=float, default=10.0)
        parser.add_argument("--stale-after", type=float, default=None, help="seconds without a heartbeat")

    def handle(self, *args, loop, interval, stale_after, **options):
        stale = timedelta(seconds=stale_after) if stale_after is not None else None
        while True:
            done = reaper.sweep(stale)
            for step_id in done["interrupted"]:
                self.stdout.write(f"step {step_id}: interrupted")
            for step_id in done["asked_again"]:
                self.stdout.write(f"step {step_id}: asked of the workers again")
            if not loop:
                return
            connection.close()
            time.sleep(interval)
